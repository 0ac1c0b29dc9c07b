// The version the command prints (ttm-sim --version). It equals package.json's "version"; a test in
// test/package/ holds them equal. A constant rather than a read of package.json: --version loads
// nothing else.

export const VERSION = '0.1.0';
