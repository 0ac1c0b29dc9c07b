// Durable atomic writes (src/explore/durable_write.ts): the new text is on the disk under the target's
// name, or the old file is untouched and no temporary file is left, whichever system call fails. The
// failures are put in through the file-system interface the writer takes (open, write, fsync, close,
// rename, and the directory's fsync), each one as the errno the kernel gives for it.

import * as fs from 'node:fs';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { type WriteFs, writeDurably } from '../../src/explore/durable_write.ts';

function errno(code: string, syscall: string, path?: string): NodeJS.ErrnoException {
  const e = new Error(`${code}: injected, ${syscall}`) as NodeJS.ErrnoException;
  e.code = code;
  e.syscall = syscall;
  if (path !== undefined) e.path = path;
  return e;
}

/** node:fs with the `n`-th call of `call` failing with `code`; records the calls made. */
function faulty(call: keyof WriteFs, code: string, n = 1) {
  const calls: string[] = [];
  let seen = 0;
  const wrap =
    <A extends unknown[], R>(name: keyof WriteFs, f: (...a: A) => R) =>
    (...a: A): R => {
      calls.push(name);
      if (name === call && ++seen === n)
        throw errno(code, name === 'writeSync' ? 'write' : name.replace(/Sync$/, ''));
      return f(...a);
    };
  const io: WriteFs = {
    openSync: wrap('openSync', (p: string, fl: string, m?: number) => fs.openSync(p, fl, m)),
    writeSync: wrap('writeSync', (fd: number, d: Uint8Array, o: number, l: number) =>
      fs.writeSync(fd, d, o, l),
    ),
    fsyncSync: wrap('fsyncSync', (fd: number) => fs.fsyncSync(fd)),
    closeSync: wrap('closeSync', (fd: number) => fs.closeSync(fd)),
    renameSync: wrap('renameSync', (a: string, b: string) => fs.renameSync(a, b)),
    unlinkSync: wrap('unlinkSync', (p: string) => fs.unlinkSync(p)),
  };
  return { io, calls };
}

describe('writeDurably', () => {
  test('writes the text under the name, syncs file and directory, leaves nothing else', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ttm-sim-durable-'));
    const target = join(dir, 'campaign.json');
    writeFileSync(target, 'old\n');
    const { io, calls } = faulty('openSync', 'NONE', 99);
    expect(writeDurably(target, 'new text\n', io)).toEqual({ ok: true });
    expect(readFileSync(target, 'utf8')).toBe('new text\n');
    expect(readdirSync(dir)).toEqual(['campaign.json']);
    // open tmp, write, fsync, close, rename, then open the directory, fsync it, close it.
    expect(calls).toEqual([
      'openSync',
      'writeSync',
      'fsyncSync',
      'closeSync',
      'renameSync',
      'openSync',
      'fsyncSync',
      'closeSync',
    ]);
  });

  const cases: [keyof WriteFs, string, number, string][] = [
    ['openSync', 'EACCES', 1, 'open'],
    ['openSync', 'EMFILE', 1, 'open'],
    ['writeSync', 'ENOSPC', 1, 'write'],
    ['writeSync', 'EDQUOT', 1, 'write'],
    ['writeSync', 'EIO', 1, 'write'],
    ['fsyncSync', 'EIO', 1, 'fsync'],
    ['fsyncSync', 'ENOSPC', 1, 'fsync'],
    ['closeSync', 'EIO', 1, 'close'],
    ['renameSync', 'EXDEV', 1, 'rename'],
    ['renameSync', 'EISDIR', 1, 'rename'],
  ];
  test.each(cases)(
    '%s failing with %s: old file kept, no temporary file, the error as data',
    (call, code, n, syscall) => {
      const dir = mkdtempSync(join(tmpdir(), 'ttm-sim-durable-'));
      const target = join(dir, 'campaign.json');
      writeFileSync(target, 'old\n');
      const { io } = faulty(call, code, n);
      const r = writeDurably(target, 'new text\n', io);
      expect(r).toEqual({ ok: false, code, syscall, path: target, text: 'injected' });
      expect(readFileSync(target, 'utf8')).toBe('old\n');
      expect(readdirSync(dir)).toEqual(['campaign.json']);
    },
  );

  test("the directory's fsync failing (EIO) is reported with the directory; the new file is in place", () => {
    const dir = mkdtempSync(join(tmpdir(), 'ttm-sim-durable-'));
    const target = join(dir, 'a.json');
    const { io } = faulty('fsyncSync', 'EIO', 2);
    expect(writeDurably(target, 'x\n', io)).toEqual({
      ok: false,
      code: 'EIO',
      syscall: 'fsync',
      path: dir,
      text: 'injected',
    });
    expect(readdirSync(dir)).toEqual(['a.json']);
  });

  test('a file system that cannot sync a directory (EINVAL) still counts as written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ttm-sim-durable-'));
    const target = join(dir, 'a.json');
    const { io } = faulty('fsyncSync', 'EINVAL', 2);
    expect(writeDurably(target, 'x\n', io)).toEqual({ ok: true });
    expect(readFileSync(target, 'utf8')).toBe('x\n');
  });

  test('a missing directory: ENOENT from open, nothing created', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ttm-sim-durable-'));
    const r = writeDurably(join(dir, 'no', 'a.json'), 'x\n');
    expect(r).toMatchObject({ ok: false, code: 'ENOENT', syscall: 'open', path: join(dir, 'no', 'a.json') });
    expect(readdirSync(dir)).toEqual([]);
  });

  test('a short write is continued until every byte is written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ttm-sim-durable-'));
    const target = join(dir, 'a.json');
    const io: WriteFs = {
      ...fs,
      writeSync: (fd, d, o, l) => fs.writeSync(fd, d, o, Math.min(l, 3)),
    };
    expect(writeDurably(target, 'twelve bytes', io)).toEqual({ ok: true });
    expect(readFileSync(target, 'utf8')).toBe('twelve bytes');
  });
});
