// Headless Chromium for browser tests: Debian's package (never a downloaded browser), driven by
// playwright-core. CI (.ci/run) installs it and sets TTM_SIM_REQUIRE_BROWSER=1, so a missing browser
// fails there; on a machine without /usr/bin/chromium the browser tests are skipped with this reason.

import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export const browserMissing: string | null = existsSync(CHROMIUM)
  ? null
  : `no ${CHROMIUM}: install Debian's chromium (apt-get install chromium) to run the browser tests`;

if (browserMissing !== null && process.env.TTM_SIM_REQUIRE_BROWSER === '1') throw new Error(browserMissing);

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}
