// The file system refusing a write is the user's environment, not a simulator bug: exit 2, one line with
// the path and the errno, never "internal error", and no temporary file left. A directory without write
// permission (EACCES) is real for an unprivileged user (as root, the command runs as uid 65534). A full disk (ENOSPC) and a
// read-only file system (EROFS) are real here: a 12 KiB tmpfs is mounted for them when this process
// may mount one (root with CAP_SYS_ADMIN, as in the project's container); the message of an errno error
// that crossed from a worker thread (its message only) is checked everywhere.

import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { systemErrorMessage } from '../../src/cli/errors.ts';
import { EXIT_CODE } from '../../src/engine/types.ts';
import { CorpusWriteError } from '../../src/explore/corpus.ts';
import { cli } from './in_process.ts';

const BIN = join(import.meta.dirname, '../../bin/ttm-sim.js');

describe('system error messages', () => {
  test('a node:fs error: the call, the path, the errno and its text, and what to do', () => {
    let thrown: unknown;
    try {
      readdirSync('/nonexistent-ttm-sim');
    } catch (err) {
      thrown = err;
    }
    expect(systemErrorMessage(thrown)).toBe(
      'cannot scandir /nonexistent-ttm-sim: ENOENT (no such file or directory); check the path',
    );
  });

  test('a corpus write error, and the same error with its message only (as it crosses a worker thread)', () => {
    const e = new CorpusWriteError({
      code: 'ENOSPC',
      syscall: 'write',
      path: '/d/c.json',
      text: 'no space left on device',
    });
    const want =
      'cannot write /d/c.json: ENOSPC (no space left on device); free some space or give a path on another file system';
    expect(systemErrorMessage(e)).toBe(want);
    expect(systemErrorMessage(new Error(e.message))).toBe(want);
    expect(systemErrorMessage({ message: "EROFS: read-only file system, open '/r/x'" })).toBe(
      'cannot open /r/x: EROFS (read-only file system); give a path you can write to',
    );
  });

  test('anything else stays an internal error', () => {
    expect(systemErrorMessage(new TypeError("Cannot read properties of undefined (reading 'x')"))).toBeNull();
    expect(systemErrorMessage(new Error('ENOSPC somewhere'))).toBeNull();
    expect(systemErrorMessage('ENOSPC')).toBeNull();
    expect(systemErrorMessage(null)).toBeNull();
  });
});

describe('a directory the user may not write in (EACCES)', () => {
  // Permissions bind everyone but root: as root, the command runs as the unprivileged user 65534.
  const root = process.getuid?.() === 0;
  const base = mkdtempSync(join(tmpdir(), 'ttm-sim-eacces-'));
  chmodSync(base, 0o755);
  const ro = join(base, 'ro');
  mkdirSync(ro, { mode: 0o555 });
  chmodSync(ro, 0o555);
  mkdirSync(join(base, 'corpus'), { mode: 0o555 });
  chmodSync(join(base, 'corpus'), 0o555);
  const run = (args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args], {
      encoding: 'utf8',
      ...(root ? { uid: 65534, gid: 65534, env: { ...process.env, HOME: tmpdir() } } : {}),
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  test.each([
    [
      ['run', '--scenario', 'small', '--trace', join(ro, 't.jsonl')],
      `--trace ${join(ro, 't.jsonl')}: cannot write in ${ro}`,
    ],
    [
      ['fuzz', '--scenario', 'small', '--schedules', '2', '--corpus', join(ro, 'c')],
      `--corpus ${join(ro, 'c')}: cannot write in ${ro}`,
    ],
    [
      ['fuzz', '--scenario', 'small', '--schedules', '2', '--corpus', join(base, 'corpus')],
      `--corpus ${join(base, 'corpus')}: cannot write in ${join(base, 'corpus')}`,
    ],
    [['charts', '--out', join(ro, 'charts')], `--out ${join(ro, 'charts')}: cannot write in ${ro}`],
  ])('ttm-sim %j: exit 2, EACCES, nothing written', (args, says) => {
    const r = run(args);
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: EXIT_CODE.badInput, stdout: '' });
    expect(r.stderr).toBe(
      `ttm-sim: ${says} (EACCES: permission denied); give a path in a directory you can write to\n`,
    );
    expect([readdirSync(ro), readdirSync(join(base, 'corpus'))]).toEqual([[], []]);
  });
});

const mnt = mkdtempSync(join(tmpdir(), 'ttm-sim-fs-'));
const canMount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=12k', 'tmpfs', mnt]).status === 0;

describe.runIf(canMount)('a full and a read-only file system (a 12 KiB tmpfs)', () => {
  afterAll(() => {
    spawnSync('umount', [mnt]);
  });

  test('fuzz --corpus on a full disk: exit 2 naming campaign.json and ENOSPC, nothing but the directory left', async () => {
    const dir = join(mnt, 'one');
    // Two of the three pages taken: the lock gets the last one, the corpus file none.
    writeFileSync(join(mnt, 'filler'), Buffer.alloc(8192));
    const r = await cli([
      'fuzz',
      '--scenario',
      'abba-deadlock',
      '--schedules',
      '30',
      '--faults',
      'off',
      '--corpus',
      dir,
    ]);
    expect(r.code).toBe(EXIT_CODE.badInput);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('ttm-sim:'))).toEqual([
      `ttm-sim: cannot write ${join(dir, 'campaign.json')}: ENOSPC (no space left on device); free some space or give a path on another file system`,
    ]);
    expect(readdirSync(dir)).toEqual([]);
    unlinkSync(join(mnt, 'filler'));
  });

  test('fuzz --workers 2 --corpus on a full disk: the worker thread error is exit 2 too; the locks are given back', () => {
    spawnSync('rm', ['-rf', join(mnt, 'one')]);
    const dir = join(mnt, 'two');
    const r = spawnSync(
      process.execPath,
      [
        BIN,
        'fuzz',
        '--scenario',
        'abba-deadlock',
        '--schedules',
        '30',
        '--faults',
        'off',
        '--workers',
        '2',
        '--corpus',
        dir,
      ],
      { encoding: 'utf8' },
    );
    expect(r.status).toBe(EXIT_CODE.badInput);
    const last = r.stderr.trimEnd().split('\n').at(-1);
    expect(last).toMatch(
      new RegExp(
        `^ttm-sim: cannot write ${dir}/shard-[01]-of-2\\.json: ENOSPC \\(no space left on device\\); free some space`,
      ),
    );
    expect(r.stderr).not.toContain('internal error');
    expect(readdirSync(dir).filter((n) => !/^shard-[01]-of-2\.json$/.test(n))).toEqual([]);
  });

  test('run --trace of a trace bigger than the disk: exit 2 with ENOSPC and no temporary file', async () => {
    spawnSync('rm', ['-rf', join(mnt, 'two')]);
    const file = join(mnt, 'big.jsonl');
    const r = await cli(['run', '--scenario', 'vram-pressure', '--seed', '1', '--trace', file]);
    expect(r).toEqual({
      code: EXIT_CODE.badInput,
      stdout: '',
      stderr: `ttm-sim: --trace ${file}: cannot write ${file}: ENOSPC (no space left on device); free some space or give a path on another file system\n`,
    });
    expect(readdirSync(mnt)).toEqual([]);
  });

  test('a read-only file system: refused before any work with EROFS', async () => {
    mkdirSync(join(mnt, 'ro'));
    expect(spawnSync('mount', ['-o', 'remount,ro', mnt]).status).toBe(0);
    try {
      const a = await cli(['fuzz', '--scenario', 'abba-ww', '--schedules', '2', '--corpus', join(mnt, 'ro')]);
      expect(a).toEqual({
        code: EXIT_CODE.badInput,
        stdout: '',
        stderr: `ttm-sim: --corpus ${join(mnt, 'ro')}: cannot write in ${join(mnt, 'ro')} (EROFS: a read-only file system); give a path in a directory you can write to\n`,
      });
      const b = await cli(['charts', '--out', join(mnt, 'charts')]);
      expect(b.code).toBe(EXIT_CODE.badInput);
      expect(b.stderr).toBe(
        `ttm-sim: --out ${join(mnt, 'charts')}: cannot write in ${mnt} (EROFS: a read-only file system); give a path in a directory you can write to\n`,
      );
    } finally {
      spawnSync('mount', ['-o', 'remount,rw', mnt]);
    }
    expect(readdirSync(mnt)).toEqual(['ro']);
  });
});
