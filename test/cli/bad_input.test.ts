// Bad input and misuse over every command, as a table: each row is one command line a user could type
// that the tool must refuse. Every row must give exit 2, nothing on stdout, exactly one line on stderr
// ("ttm-sim: ...") that names the problem (the row's `says`), no stack trace, and leave its working
// directory exactly as it was (no file changed, added or removed: no temporary file, no lost corpus).
// The rows run in this process through the CLI's entry (main), so the table stays fast; the cases that
// need a second process (a live campaign holding a corpus, one killed with SIGKILL) are in
// test/cli/corpus_lock.test.ts.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EXIT_CODE } from '../../src/engine/types.ts';
import { cli } from './in_process.ts';

/** Every file under `dir` with a hash of its bytes (symbolic links by their target, not followed). */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      const s = lstatSync(path);
      const key = rel === '' ? name : `${rel}/${name}`;
      if (s.isSymbolicLink()) out[key] = `link to ${readlinkSync(path)}`;
      else if (s.isDirectory()) {
        out[`${key}/`] = 'dir';
        walk(path, key);
      } else if (s.isFile()) out[key] = createHash('sha256').update(readFileSync(path)).digest('hex');
      else out[key] = 'special';
    }
  };
  walk(dir, '');
  return out;
}

interface Row {
  /** The command line; `@` stands for the row's own working directory. */
  readonly args: readonly string[];
  /** What the one line on stderr must contain (the problem; most rows also name the fix). */
  readonly says: readonly string[];
  /** Files the row's directory holds before the command runs. */
  readonly setup?: (dir: string) => void;
}

const root = mkdtempSync(join(tmpdir(), 'ttm-sim-bad-input-'));
let token = '';
let passingShrink = '';
let campaign = '';

/** A copy of the valid campaign.json with `edit` applied, in `dir`. */
function corrupt(edit: (c: Record<string, unknown>) => void): (dir: string) => void {
  return (dir) => {
    const c = JSON.parse(campaign) as Record<string, unknown>;
    edit(c);
    writeFileSync(join(dir, 'campaign.json'), `${JSON.stringify(c)}\n`);
  };
}

const FUZZ_SMALL = [
  'fuzz',
  '--scenario',
  'abba-deadlock',
  '--schedules',
  '2',
  '--faults',
  'off',
  '--no-shrink',
];

const fifo = (name: string) => (dir: string) => {
  const r = spawnSync('mkfifo', [join(dir, name)]);
  if (r.status !== 0) throw new Error('mkfifo failed');
};
const dangling = (name: string) => (dir: string) => symlinkSync(join(dir, 'nowhere', 'x'), join(dir, name));
const file =
  (name: string, text = 'x\n') =>
  (dir: string) =>
    writeFileSync(join(dir, name), text);
const subdir = (name: string) => (dir: string) => mkdirSync(join(dir, name));
/** A corpus directory held by a live campaign: this process (same host, its own start time). */
const locked = (name: string) => (dir: string) => {
  mkdirSync(join(dir, 'c'), { recursive: true });
  const stat = readFileSync(`/proc/${process.pid}/stat`, 'utf8');
  const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  writeFileSync(join(dir, 'c', name), `${JSON.stringify({ pid: process.pid, host: hostname(), start })}\n`);
};

// The rows, command by command. `T` is replaced by a token of a passing run, `P` by the same token
// for shrink (which needs a failing run).
const ROWS: Row[] = [
  // ttm-sim itself
  { args: ['nope'], says: ['unknown command "nope"', 'ttm-sim --help'] },
  { args: ['--bogus'], says: ['unknown command "--bogus"'] },
  { args: ['Run'], says: ['unknown command "Run"'] },
  { args: [''], says: ['unknown command ""'] },

  // run
  { args: ['run', '--scenario', 'nope'], says: ['unknown scenario "nope"', 'the built-in ones are'] },
  { args: ['run', '--scenario', ''], says: ['scenario'] },
  { args: ['run', '--seed', '-1'], says: ['--seed must be an unsigned 64-bit integer', 'got "-1"'] },
  { args: ['run', '--seed=-1'], says: ['--seed must be an unsigned 64-bit integer', 'got "-1"'] },
  { args: ['run', '--seed', '-0x10'], says: ['--seed must be', 'got "-0x10"'] },
  { args: ['run', '--seed', 'abc'], says: ['--seed must be', 'got "abc"'] },
  { args: ['run', '--seed', '1.5'], says: ['--seed must be', 'got "1.5"'] },
  { args: ['run', '--seed', '1e3'], says: ['--seed must be', 'got "1e3"'] },
  { args: ['run', '--seed', '0x'], says: ['--seed must be', 'got "0x"'] },
  { args: ['run', '--seed', '18446744073709551616'], says: ['--seed must be', '2^64-1'] },
  { args: ['run', '--seed', ''], says: ['--seed must be', 'got ""'] },
  { args: ['run', '--seed', ' 1'], says: ['--seed must be'] },
  {
    args: ['run', '--seed'],
    says: ["run: Option '--seed <value>' argument missing", "'ttm-sim run --help'"],
  },
  { args: ['run', '--strategy', 'nope'], says: ['--strategy'] },
  { args: ['run', '--strategy', 'pct:0'], says: ['--strategy'] },
  { args: ['run', '--strategy', 'pct:4'], says: ['--strategy'] },
  { args: ['run', '--strategy', 'pct:-1'], says: ['--strategy'] },
  { args: ['run', '--strategy', 'pct:2:0'], says: ['--strategy'] },
  { args: ['run', '--strategy', 'pct:x'], says: ['--strategy'] },
  { args: ['run', '--strategy', 'random:3'], says: ['--strategy'] },
  { args: ['run', '--mutation', 'nope'], says: ["unknown mutation 'nope'", "'ttm-sim mutations'"] },
  { args: ['run', '--mutation', ''], says: ['--mutation'] },
  { args: ['run', '--mutation', 'swapout-busy-zombie-progress=3'], says: ['takes no value'] },
  {
    args: ['run', '--scenario', 'calibrate', '--mutation', 'calibrator-starvation=999999'],
    says: ['needs an integer value'],
  },
  {
    args: ['run', '--scenario', 'calibrate', '--mutation', 'calibrator-starvation=-3'],
    says: ['needs an integer value', "'-3'"],
  },
  {
    args: ['run', '--mutation', 'calibrator-starvation'],
    says: ["mutation 'calibrator-starvation' cannot act in vram-pressure", 'it acts in calibrate'],
  },
  {
    args: ['run', '--scenario', 'calibrate', '--mutation', 'swapout-busy-zombie-progress'],
    says: ['cannot act in calibrate', 'every scenario that builds a TTM world'],
  },
  {
    args: ['run', '--scenario', 'stress-pte', '--mutation', 'swapout-busy-zombie-progress'],
    says: ['cannot act in stress-pte', 'the kernel model'],
  },
  {
    args: ['run', '--scenario', 'memory-pressure', '--mutation', 'stress-pte-check-then-store'],
    says: ['cannot act in memory-pressure', 'the stress programs', 'stress-pte, stress-bind, stress-signal'],
  },
  { args: ['run', '--design', 'nope'], says: ['--design'] },
  { args: ['run', '--design', 'shared-iommu:nope=1'], says: ['--design'] },
  { args: ['run', '--faults', 'nope'], says: ['--faults must be one of', 'got "nope"'] },
  { args: ['run', '--faults', 'mixed'], says: ['--faults must be one of', 'got "mixed"'] },
  { args: ['run', 'extra'], says: ['run: unexpected argument "extra"'] },
  { args: ['run', '--bogus'], says: ["Unknown option '--bogus'", "'ttm-sim run --help'"] },
  { args: ['run', '--json=1'], says: ["'--json' does not take an argument"] },
  { args: ['run', '--json', '-1'], says: ["'--json' does not take an argument"] },
  { args: ['run', '--trace', '/proc/x.jsonl'], says: ['--trace /proc/x.jsonl', 'under /proc'] },
  { args: ['run', '--trace', '/proc/self/status'], says: ['under /proc'] },
  { args: ['run', '--trace', '/sys/x.jsonl'], says: ['under /sys'] },
  { args: ['run', '--trace', '/dev/full'], says: ['under /dev'] },
  { args: ['run', '--trace', '/dev/null'], says: ['under /dev'] },
  { args: ['run', '--trace', '@'], says: ['is a directory (EISDIR)'] },
  { args: ['run', '--trace', '@/sub'], says: ['is a directory (EISDIR)'], setup: subdir('sub') },
  { args: ['run', '--trace', '@/fifo'], says: ['is a FIFO (named pipe)'], setup: fifo('fifo') },
  { args: ['run', '--trace', '@/no/such/t.jsonl'], says: ['does not exist (ENOENT)', 'create it first'] },
  {
    args: ['run', '--trace', '@/f/t.jsonl'],
    says: ['is a file, not a directory (ENOTDIR)'],
    setup: file('f'),
  },
  { args: ['run', '--trace', '@/link'], says: ['symbolic link', '(ENOENT)'], setup: dangling('link') },
  { args: ['run', '--trace', ''], says: ['--trace needs a file name'] },
  { args: ['run', '--scenario', 'vram-pressure', '--trace', '/proc/1/x'], says: ['under /proc'] },

  // replay
  { args: ['replay'], says: ['replay: missing TOKEN', "'ttm-sim run'"] },
  { args: ['replay', 'xyz'], says: ['bad token'] },
  { args: ['replay', ''], says: ['bad token'] },
  { args: ['replay', 'AAAA'], says: ['bad token'] },
  { args: ['replay', 'T!'], says: ['bad token'] },
  { args: ['replay', 'T', 'T'], says: ['replay: expected one TOKEN, got 2 arguments'] },
  { args: ['replay', 'T', '--trace', '/proc/x'], says: ['under /proc'] },
  { args: ['replay', 'T', '--trace', '@/fifo'], says: ['FIFO'], setup: fifo('fifo') },
  { args: ['replay', 'T', '--trace', '@/no/x'], says: ['ENOENT'] },
  { args: ['replay', 'T', '--seed', '1'], says: ["Unknown option '--seed'"] },
  { args: ['replay', '--json=yes', 'T'], says: ["'--json' does not take an argument"] },

  // selfcheck
  { args: ['selfcheck'], says: ['selfcheck: missing TOKEN'] },
  { args: ['selfcheck', 'xyz'], says: ['bad token'] },
  { args: ['selfcheck', 'T', 'T'], says: ['selfcheck: expected one TOKEN'] },
  { args: ['selfcheck', 'T', '--trace', 'x'], says: ["Unknown option '--trace'"] },
  { args: ['selfcheck', 'T!'], says: ['bad token'] },

  // shrink
  { args: ['shrink'], says: ['shrink: missing TOKEN'] },
  { args: ['shrink', 'xyz'], says: ['bad token'] },
  { args: ['shrink', 'P'], says: ["this token's run passes", 'a failing run'] },
  { args: ['shrink', 'P', 'P'], says: ['shrink: expected one TOKEN'] },
  { args: ['shrink', 'P', '--budget', '-3'], says: ['--budget must be a number of seconds', 'got "-3"'] },
  { args: ['shrink', 'P', '--budget', '0'], says: ['--budget must be', 'got "0"'] },
  { args: ['shrink', 'P', '--budget', 'abc'], says: ['--budget must be', 'got "abc"'] },
  { args: ['shrink', 'P', '--budget', '5000'], says: ['--budget must be', 'got "5000"'] },
  { args: ['shrink', 'P', '--budget', ''], says: ['--budget must be'] },
  { args: ['shrink', 'P', '--budget', 'Infinity'], says: ['--budget must be'] },
  { args: ['shrink', 'P', '--trace', '/proc/x'], says: ['under /proc'] },
  { args: ['shrink', 'P', '--trace', '@/fifo'], says: ['FIFO'], setup: fifo('fifo') },
  { args: ['shrink', 'P', '--trace', '@'], says: ['EISDIR'] },
  { args: ['shrink', 'P', '--seed', '1'], says: ["Unknown option '--seed'"] },

  // trace
  { args: ['trace', 'T'], says: ['trace: --perfetto FILE is required'] },
  { args: ['trace', '--perfetto', '@/t.json'], says: ['trace: missing TOKEN'] },
  { args: ['trace', 'xyz', '--perfetto', '@/t.json'], says: ['bad token'] },
  { args: ['trace', 'T', 'T', '--perfetto', '@/t.json'], says: ['trace: expected one TOKEN'] },
  { args: ['trace', 'T', '--perfetto', '/proc/x.json'], says: ['--perfetto /proc/x.json', 'under /proc'] },
  { args: ['trace', 'T', '--perfetto', '/sys/kernel/x'], says: ['under /sys'] },
  { args: ['trace', 'T', '--perfetto', '@'], says: ['EISDIR'] },
  { args: ['trace', 'T', '--perfetto', '@/fifo'], says: ['FIFO'], setup: fifo('fifo') },
  { args: ['trace', 'T', '--perfetto', '@/none/t.json'], says: ['ENOENT', 'create it first'] },
  { args: ['trace', 'T', '--perfetto', '@/f/t.json'], says: ['ENOTDIR'], setup: file('f') },
  { args: ['trace', 'T', '--perfetto', '@/link'], says: ['symbolic link'], setup: dangling('link') },
  { args: ['trace', 'T', '--perfetto'], says: ["'--perfetto <value>' argument missing"] },
  { args: ['trace', 'T', '--out', 'x'], says: ["Unknown option '--out'"] },

  // view
  { args: ['view', 'T'], says: ['view: --out FILE.html is required'] },
  { args: ['view', '--out', '@/v.html'], says: ['view: missing TOKEN'] },
  { args: ['view', 'xyz', '--out', '@/v.html'], says: ['bad token'] },
  { args: ['view', 'T', 'T', '--out', '@/v.html'], says: ['view: expected one TOKEN'] },
  { args: ['view', 'T', '--out', '/sys/v.html'], says: ['under /sys'] },
  { args: ['view', 'T', '--out', '/proc/v.html'], says: ['under /proc'] },
  { args: ['view', 'T', '--out', '@'], says: ['EISDIR'] },
  { args: ['view', 'T', '--out', '@/fifo'], says: ['FIFO'], setup: fifo('fifo') },
  { args: ['view', 'T', '--out', '@/a/b/v.html'], says: ['ENOENT'] },
  { args: ['view', 'T', '--out', '@/link'], says: ['symbolic link'], setup: dangling('link') },
  { args: ['view', 'T', '--perfetto', 'x'], says: ["Unknown option '--perfetto'"] },

  // charts
  { args: ['charts', '--format', 'svg'], says: ['--format must be one of', 'got "svg"'] },
  { args: ['charts', '--format', ''], says: ['--format must be one of'] },
  { args: ['charts', 'extra'], says: ['charts: unexpected argument "extra"'] },
  { args: ['charts', '--out', '/proc/charts'], says: ['under /proc'] },
  { args: ['charts', '--out', '/sys/charts'], says: ['under /sys'] },
  { args: ['charts', '--out', '@/f'], says: ['is a file, not a directory (ENOTDIR)'], setup: file('f') },
  { args: ['charts', '--out', '@/fifo'], says: ['FIFO'], setup: fifo('fifo') },
  { args: ['charts', '--out', '@/a/b'], says: ['does not exist (ENOENT)', 'mkdir -p'] },
  { args: ['charts', '--out', '@/link'], says: ['symbolic link'], setup: dangling('link') },
  { args: ['charts', '--out', ''], says: ['--out needs a directory'] },
  { args: ['charts', '--bogus'], says: ["Unknown option '--bogus'"] },

  // scenarios, mutations, designs, oracles, faults (listings)
  { args: ['scenarios', '--bogus'], says: ["Unknown option '--bogus'", "'ttm-sim scenarios --help'"] },
  { args: ['scenarios', 'extra'], says: ['extra'] },
  { args: ['mutations', '--bogus'], says: ["Unknown option '--bogus'"] },
  { args: ['mutations', 'extra'], says: ['extra'] },
  { args: ['mutations', '--json=1'], says: ["'--json' does not take an argument"] },
  { args: ['designs', '--bogus'], says: ["Unknown option '--bogus'"] },
  { args: ['designs', 'extra'], says: ['extra'] },
  { args: ['oracles', '--schedules', '5'], says: ['--schedules only applies with --count'] },
  {
    args: ['oracles', '--count', '--schedules', '0'],
    says: ['--schedules must be a whole number', 'got "0"'],
  },
  {
    args: ['oracles', '--count', '--schedules', '-1'],
    says: ['--schedules must be a whole number', 'got "-1"'],
  },
  { args: ['oracles', '--count', '--schedules', 'x'], says: ['--schedules must be a whole number'] },
  { args: ['oracles', '--count', '--schedules', '100001'], says: ['--schedules must be a whole number'] },
  { args: ['oracles', 'extra'], says: ['extra'] },
  { args: ['oracles', '--bogus'], says: ["Unknown option '--bogus'"] },
  { args: ['faults', '--schedules', '5'], says: ['--schedules only applies with --scenarios'] },
  { args: ['faults', '--scenarios', '--schedules', '0'], says: ['--schedules must be a whole number'] },
  {
    args: ['faults', '--scenarios', '--schedules', '-2'],
    says: ['--schedules must be a whole number', '"-2"'],
  },
  { args: ['faults', '--scenarios', '--schedules', '10001'], says: ['--schedules must be a whole number'] },
  { args: ['faults', 'extra'], says: ['faults: unexpected argument "extra"'] },
  { args: ['faults', '--bogus'], says: ["Unknown option '--bogus'"] },

  // compare
  { args: ['compare'], says: ['compare: --scenario NAME is required'] },
  { args: ['compare', '--scenario', 'shared-iommu'], says: ['compare: --designs LIST is required'] },
  { args: ['compare', '--scenario', 'nope', '--designs', 'kernel'], says: ['nope'] },
  {
    args: ['compare', '--scenario', 'shared-iommu', '--designs', ''],
    says: ['--designs needs at least one design'],
  },
  {
    args: ['compare', '--scenario', 'shared-iommu', '--designs', ','],
    says: ['--designs needs at least one design'],
  },
  { args: ['compare', '--scenario', 'shared-iommu', '--designs', 'nope'], says: ['--designs'] },
  {
    args: ['compare', '--scenario', 'shared-iommu', '--designs', 'kernel', '--schedules', '-1'],
    says: ['--schedules must be a positive integer', 'got "-1"'],
  },
  {
    args: ['compare', '--scenario', 'shared-iommu', '--designs', 'kernel', '--schedules', '0'],
    says: ['--schedules must be a positive integer'],
  },
  {
    args: ['compare', '--scenario', 'shared-iommu', '--designs', 'kernel', '--schedules', 'x'],
    says: ['--schedules must be a positive integer'],
  },
  {
    args: ['compare', '--scenario', 'shared-iommu', '--designs', 'kernel', '--seed', '-1'],
    says: ['--seed must be', 'got "-1"'],
  },
  {
    args: ['compare', '--scenario', 'shared-iommu', '--designs', 'kernel', '--strategy', 'nope'],
    says: ['--strategy'],
  },
  { args: ['compare', 'extra'], says: ['compare: unexpected argument "extra"'] },
  { args: ['compare', '--bogus'], says: ["Unknown option '--bogus'"] },

  // stress
  { args: ['stress', '--scenario', 'nope'], says: ['--scenario must be one of', 'stress-pte'] },
  { args: ['stress', '--scenario', 'vram-pressure'], says: ['--scenario must be one of'] },
  { args: ['stress', '--threads', '-2'], says: ['--threads must be an integer', 'got "-2"'] },
  { args: ['stress', '--threads', '0'], says: ['--threads must be an integer'] },
  { args: ['stress', '--threads', '999'], says: ['--threads must be an integer'] },
  { args: ['stress', '--threads', 'x'], says: ['--threads must be an integer'] },
  { args: ['stress', '--runs', '0'], says: ['--runs must be an integer'] },
  { args: ['stress', '--runs', '-1'], says: ['--runs must be an integer', 'got "-1"'] },
  { args: ['stress', '--seed', '-1'], says: ['--seed must be', 'got "-1"'] },
  { args: ['stress', '--jitter', '-1'], says: ['--jitter must be an integer', 'got "-1"'] },
  { args: ['stress', '--mutation', 'nope'], says: ["unknown mutation 'nope'"] },
  {
    args: ['stress', '--mutation', 'swapout-busy-zombie-progress'],
    says: ['cannot act in stress-pte', 'the kernel model'],
  },
  { args: ['stress', 'extra'], says: ['stress: unexpected argument "extra"'] },
  { args: ['stress', '--bogus'], says: ["Unknown option '--bogus'"] },

  // corpus
  { args: ['corpus'], says: ['corpus: expected the subcommand merge, got nothing'] },
  { args: ['corpus', 'nope'], says: ['corpus: expected the subcommand merge, got "nope"'] },
  { args: ['corpus', 'merge'], says: ['corpus merge: no directory given'] },
  { args: ['corpus', 'merge', '@/none'], says: ['corpus merge: cannot read directory', 'ENOENT'] },
  { args: ['corpus', 'merge', '@'], says: ['holds no shard files'] },
  { args: ['corpus', 'merge', '@/f'], says: ['ENOTDIR'], setup: file('f') },
  { args: ['corpus', 'merge', '/proc/self'], says: ['under /proc'] },
  { args: ['corpus', 'merge', '@/link'], says: ['symbolic link'], setup: dangling('link') },
  {
    args: ['corpus', 'merge', '@/d'],
    says: ['shard-0-of-2.json is not valid JSON'],
    setup: (d) => {
      mkdirSync(join(d, 'd'));
      writeFileSync(join(d, 'd', 'shard-0-of-2.json'), '{"format": 1, "next": ');
    },
  },
  {
    args: ['corpus', 'merge', '@/d'],
    says: ['shard-0-of-2.json is damaged: next must be a whole number >= 0, got "x"'],
    setup: (d) => {
      mkdirSync(join(d, 'd'));
      const c = JSON.parse(campaign) as Record<string, unknown>;
      writeFileSync(
        join(d, 'd', 'shard-0-of-2.json'),
        JSON.stringify({ ...c, shard: 0, shards: 2, next: 'x' }),
      );
    },
  },
  {
    args: ['corpus', 'merge', '@/d', '--out', '/proc/merged'],
    says: ['under /proc'],
    setup: (d) => {
      mkdirSync(join(d, 'd'));
      const c = JSON.parse(campaign) as Record<string, unknown>;
      writeFileSync(join(d, 'd', 'shard-0-of-2.json'), JSON.stringify({ ...c, shard: 0, shards: 2 }));
    },
  },
  {
    args: ['corpus', 'merge', '@/d', '--out', '@/f'],
    says: ['ENOTDIR'],
    setup: (d) => {
      file('f')(d);
      mkdirSync(join(d, 'd'));
      const c = JSON.parse(campaign) as Record<string, unknown>;
      writeFileSync(join(d, 'd', 'shard-0-of-2.json'), JSON.stringify({ ...c, shard: 0, shards: 2 }));
    },
  },
  { args: ['corpus', 'merge', '@', '--bogus'], says: ["Unknown option '--bogus'"] },
  {
    args: ['corpus', 'merge', '@/d', '--out', '@/c'],
    says: [
      '--out: ',
      'shard-0-of-2.lock is held by the campaign of pid',
      `${process.pid}`,
      'another --out directory',
    ],
    setup: (d) => {
      locked('shard-0-of-2.lock')(d);
      mkdirSync(join(d, 'd'));
      const c = JSON.parse(campaign) as Record<string, unknown>;
      writeFileSync(
        join(d, 'd', 'shard-0-of-2.json'),
        JSON.stringify({ ...c, shard: 0, shards: 2, schedules: 2 }),
      );
    },
  },

  // inevitable
  { args: ['inevitable'], says: ['inevitable: missing TOKEN'] },
  { args: ['inevitable', 'xyz'], says: ['bad token'] },
  { args: ['inevitable', 'T', 'T'], says: ['inevitable: expected one TOKEN, got 2 arguments'] },
  { args: ['inevitable', 'T', '--tails', '0'], says: ['--tails must be an integer', 'got "0"'] },
  { args: ['inevitable', 'T', '--tails', '-4'], says: ['--tails must be an integer', 'got "-4"'] },
  { args: ['inevitable', 'T', '--tails', 'x'], says: ['--tails must be an integer'] },
  { args: ['inevitable', 'T'], says: ['it needs the token of a failing run'] },
  { args: ['inevitable', 'T', '--bogus'], says: ["Unknown option '--bogus'"] },
  // verify
  { args: ['verify'], says: ['verify: --scenario S is required'] },
  { args: ['verify', '--scenario', 'calibrate'], says: ['verify: --preemptions P is required'] },
  {
    args: ['verify', '--scenario', 'calibrate', '--preemptions', '11'],
    says: ['--preemptions must be an integer in 0..10', 'got "11"'],
  },
  {
    args: ['verify', '--scenario', 'calibrate', '--preemptions', '-1'],
    says: ['--preemptions must be an integer in 0..10', 'got "-1"'],
  },
  {
    args: ['verify', '--scenario', 'calibrate', '--preemptions', 'x'],
    says: ['--preemptions must be an integer'],
  },
  {
    args: ['verify', '--scenario', 'calibrate', '--preemptions', '1', '--max-schedules', '0'],
    says: ['--max-schedules must be an integer in 1..', 'got "0"'],
  },
  { args: ['verify', '--scenario', 'nope', '--preemptions', '1'], says: ['nope'] },
  {
    args: ['verify', '--scenario', 'small', '--preemptions', '1', '--mutation', 'calibrator-lost-update'],
    says: ['--mutation'],
  },
  {
    args: ['verify', '--scenario', 'calibrate', '--preemptions', '1', 'extra'],
    says: ['verify: unexpected argument "extra"'],
  },
  {
    args: ['verify', '--scenario', 'calibrate', '--preemptions', '1', '--seed', '-3'],
    says: ['--seed must be an unsigned 64-bit integer'],
  },
  { args: ['verify', '--bogus'], says: ["Unknown option '--bogus'"] },
  {
    args: [...['verify', '--scenario', 'calibrate', '--preemptions', '1'], '--faults', '9'],
    says: ['--faults must be an integer in 0..8', 'got "9"'],
  },
  {
    args: [...['verify', '--scenario', 'calibrate', '--preemptions', '1'], '--faults', '-1'],
    says: ['--faults must be an integer in 0..8', 'got "-1"'],
  },
  {
    args: [...['verify', '--scenario', 'calibrate', '--preemptions', '1'], '--faults', 'x'],
    says: ['--faults must be an integer'],
  },
  {
    args: [...['verify', '--scenario', 'calibrate', '--preemptions', '1'], '--workers', '0'],
    says: ['--workers must be an integer in 1..64', 'got "0"'],
  },
  {
    args: [...['verify', '--scenario', 'calibrate', '--preemptions', '1'], '--workers', '65'],
    says: ['--workers must be an integer in 1..64', 'got "65"'],
  },
  {
    args: [...['verify', '--scenario', 'calibrate', '--preemptions', '1'], '--corpus', '/proc/x'],
    says: ['--corpus /proc/x', 'under /proc'],
  },
  {
    args: [...['verify', '--scenario', 'calibrate', '--preemptions', '1'], '--corpus', '@/f'],
    says: ['ENOTDIR'],
    setup: file('f'),
  },
  {
    args: [...['verify', '--scenario', 'calibrate', '--preemptions', '1'], '--corpus', '@/no/such'],
    says: ['does not exist (ENOENT)'],
  },
  {
    args: [...['verify', '--scenario', 'calibrate', '--preemptions', '1'], '--corpus', '@/c'],
    says: ['verify.lock is held by the search of pid', `${process.pid}`, 'another --corpus directory'],
    setup: locked('verify.lock'),
  },
  {
    args: [...['verify', '--scenario', 'calibrate', '--preemptions', '1'], '--corpus', '@'],
    says: ['verify.json is not valid JSON'],
    setup: file('verify.json', '{"format":'),
  },
  {
    args: [...['verify', '--scenario', 'calibrate', '--preemptions', '1'], '--corpus', '@'],
    says: ['verify.json has format 2', 'reads "ttm-sim-verify/1"'],
    setup: file('verify.json', '{"format":2}\n'),
  },
  {
    args: [...['verify', '--scenario', 'calibrate', '--preemptions', '1'], '--corpus', '@'],
    says: ['verify.json is a search of another preemptions (--preemptions: 2 there, 1 here)'],
    setup: file(
      'verify.json',
      `${JSON.stringify({ format: 'ttm-sim-verify/1', scenario: 'calibrate', scenarioHash: '6235be96d0f325d268e41e627d00136f', modelVersion: '0.1.0', tokenVersion: 1, seed: '0', mutations: [], preemptions: 2, faults: 0 })}\n`,
    ),
  },
  {
    args: [...['verify', '--scenario', 'calibrate', '--preemptions', '1'], '--faults', '1', '--corpus', '@'],
    says: ['verify.json is a search of another faults (--faults: 0 there, 1 here)'],
    setup: file(
      'verify.json',
      `${JSON.stringify({ format: 'ttm-sim-verify/1', scenario: 'calibrate', scenarioHash: '6235be96d0f325d268e41e627d00136f', modelVersion: '0.1.0', tokenVersion: 1, seed: '0', mutations: [], preemptions: 1, faults: 0 })}\n`,
    ),
  },
  {
    args: [...['verify', '--scenario', 'calibrate', '--preemptions', '1'], '--reduce', '--corpus', '@'],
    says: ['verify.json is a search of another reduce (--reduce: false there, true here)'],
    setup: file(
      'verify.json',
      `${JSON.stringify({ format: 'ttm-sim-verify/1', scenario: 'calibrate', scenarioHash: '6235be96d0f325d268e41e627d00136f', modelVersion: '0.1.0', tokenVersion: 1, seed: '0', mutations: [], preemptions: 1, faults: 0, reduce: false })}\n`,
    ),
  },
  {
    args: [...['verify', '--scenario', 'calibrate', '--preemptions', '1'], '--reduce=yes'],
    says: ["Option '--reduce' does not take an argument"],
  },
  {
    args: [...['verify', '--scenario', 'calibrate', '--preemptions', '1'], '--corpus', '@'],
    says: ['verify.json is damaged: frontier.stacks[0][0] must be a prefix', 'got "?"'],
    setup: file(
      'verify.json',
      `${JSON.stringify({ format: 'ttm-sim-verify/1', scenario: 'calibrate', scenarioHash: '6235be96d0f325d268e41e627d00136f', modelVersion: '0.1.0', tokenVersion: 1, seed: '0', mutations: [], preemptions: 1, faults: 0, reduce: false, seconds: 0, result: null, frontier: { level: 0, roots: 1, rootsStarted: 0, pruned: 0, byLevel: [0, 0], stacks: [['?'], []] } })}\n`,
    ),
  },
  {
    args: ['view', 'T', '--out', '@/v.html', '--tails', '3'],
    says: ['--tails counts the continuations of --inevitable'],
  },

  // scenario files (--scenario FILE.json): one problem, one line with its position
  { args: ['run', '--scenario', '@/none.json'], says: ['cannot read scenario file', 'no such file'] },
  {
    args: ['run', '--scenario', '@/d.json'],
    says: ['cannot read scenario file', 'directory'],
    setup: subdir('d.json'),
  },
  {
    args: ['run', '--scenario', '@/bad.json'],
    says: ['bad.json:2:1: invalid JSON'],
    setup: file('bad.json', '{"scenario": "vram-pressure",\n'),
  },
  {
    args: ['run', '--scenario', '@/a.json'],
    says: ['a.json:1:1: top level: expected a JSON object'],
    setup: file('a.json', '[]'),
  },
  {
    args: ['run', '--scenario', '@/n.json'],
    says: ['n.json:1:42: clients: -1 is out of range', 'use a value from 1 to 32'],
    setup: file('n.json', '{"scenario": "vram-pressure", "clients": -1}'),
  },
  {
    args: ['run', '--scenario', '@/p.json'],
    says: ['p.json:1:31: __proto__: unknown field'],
    setup: file('p.json', '{"scenario": "vram-pressure", "__proto__": 1}'),
  },
  {
    args: ['fuzz', '--scenario', '@/n.json', '--schedules', '2'],
    says: ['clients: -1 is out of range'],
    setup: file('n.json', '{"scenario": "vram-pressure", "clients": -1}'),
  },
  {
    args: ['run', '--scenario', '@/f.json'],
    says: ['it is a FIFO (named pipe)', 'give a regular .json file'],
    setup: fifo('f.json'),
  },
  {
    args: ['replay', 'T', '--scenario', '@/f.json'],
    says: ['it is a FIFO (named pipe)'],
    setup: fifo('f.json'),
  },
  { args: ['run', '--scenario', '/proc/x.json'], says: ['cannot read scenario file /proc/x.json'] },
  { args: ['run', '--scenario', '/dev/null.json'], says: ['cannot read scenario file'] },
  {
    args: ['run', '--scenario', 'examples/race-small.json', '--work-limit', 'abc'],
    says: ['--work-limit must be a positive integer', 'got "abc"'],
  },
  {
    args: ['run', '--scenario', 'examples/race-small.json', '--work-limit', '-5'],
    says: ['--work-limit must be a positive integer', 'got "-5"'],
  },
  { args: ['fuzz', '--work-limit', '0'], says: ['--work-limit must be a positive integer', 'got "0"'] },
  { args: ['replay', 'T', '--scenario', '@/none.json'], says: ['cannot read scenario file', 'no such file'] },
  { args: ['selfcheck', 'T', '--scenario', '@/none.json'], says: ['cannot read scenario file'] },
  {
    args: ['trace', 'T', '--perfetto', '@/t.json', '--scenario', '@/none.json'],
    says: ['cannot read scenario file'],
  },
  { args: ['shrink', 'P', '--scenario', '@/none.json'], says: ['cannot read scenario file'] },
  {
    args: ['compare', '--scenario', '@/none.json', '--designs', 'kernel'],
    says: ['cannot read scenario file'],
  },

  // fuzz: numbers and options
  { args: ['fuzz', '--schedules', '0'], says: ['--schedules must be a positive integer', 'got "0"'] },
  { args: ['fuzz', '--schedules', '-5'], says: ['--schedules must be a positive integer', 'got "-5"'] },
  { args: ['fuzz', '--schedules=-5'], says: ['--schedules must be a positive integer', 'got "-5"'] },
  { args: ['fuzz', '--schedules', 'abc'], says: ['--schedules must be a positive integer'] },
  { args: ['fuzz', '--schedules', '1e3'], says: ['--schedules must be a positive integer'] },
  { args: ['fuzz', '--schedules', '1.5'], says: ['--schedules must be a positive integer'] },
  { args: ['fuzz', '--schedules', '99999999999'], says: ['--schedules must be a positive integer'] },
  { args: ['fuzz', '--time-budget', '0'], says: ['--time-budget must be a duration'] },
  { args: ['fuzz', '--time-budget', '-1s'], says: ['--time-budget must be a duration', 'got "-1s"'] },
  { args: ['fuzz', '--time-budget', '10x'], says: ['--time-budget must be a duration'] },
  { args: ['fuzz', '--time-budget', 'abc'], says: ['--time-budget must be a duration'] },
  { args: ['fuzz', '--strategy', 'nope'], says: ['--strategy'] },
  { args: ['fuzz', '--strategy', 'pct:9'], says: ['--strategy'] },
  { args: ['fuzz', '--faults', 'nope'], says: ['--faults must be one of', 'got "nope"'] },
  { args: ['fuzz', '--seed', '-1'], says: ['--seed must be', 'got "-1"'] },
  { args: ['fuzz', '--seed', 'x'], says: ['--seed must be'] },
  { args: ['fuzz', '--max-steps', '0'], says: ['--max-steps must be a positive integer'] },
  { args: ['fuzz', '--max-steps', '-10'], says: ['--max-steps must be a positive integer', 'got "-10"'] },
  { args: ['fuzz', '--workers', '0'], says: ['--workers must be a positive integer'] },
  { args: ['fuzz', '--workers', '-1'], says: ['--workers must be a positive integer', 'got "-1"'] },
  { args: ['fuzz', '--workers', '9999'], says: ['--workers must be at most'] },
  { args: ['fuzz', '--shards', '0'], says: ['--shards must be a positive integer'] },
  { args: ['fuzz', '--shards', '999999'], says: ['--shards must be at most'] },
  { args: ['fuzz', '--shard', '3/2'], says: ['--shard'] },
  { args: ['fuzz', '--shard', '0/0'], says: ['--shard'] },
  { args: ['fuzz', '--shard', 'x'], says: ['--shard'] },
  { args: ['fuzz', '--shard', '-1/2'], says: ['--shard'] },
  { args: ['fuzz', '--shard', '0/2', '--workers', '2'], says: ['--shard K/N runs one slice'] },
  { args: ['fuzz', '--scenario', 'nope'], says: ['nope'] },
  { args: ['fuzz', '--scenario', 'vram-pressure', '--scenario', 'nope'], says: ['nope'] },
  { args: ['fuzz', '--mutation', 'nope'], says: ["unknown mutation 'nope'"] },
  {
    args: ['fuzz', '--scenario', 'vram-pressure', '--mutation', 'calibrator-lost-update'],
    says: ["'calibrator-lost-update' cannot act in vram-pressure", 'it acts in calibrate'],
  },
  {
    args: ['fuzz', '--scenario', 'small', '--scenario', 'abba-ww', '--mutation', 'stress-ww-no-backoff'],
    says: ['cannot act in any of small, abba-ww', 'stress-pte'],
  },
  { args: ['fuzz', '--design', 'nope'], says: ['--design'] },
  { args: ['fuzz', 'extra'], says: ['fuzz: unexpected argument "extra"'] },
  { args: ['fuzz', '--bogus'], says: ["Unknown option '--bogus'", "'ttm-sim fuzz --help'"] },
  { args: ['fuzz', '--code-coverage', '--workers', '2'], says: ['--code-coverage measures this thread'] },
  { args: ['fuzz', '--code-coverage', '/proc/cov'], says: ['--code-coverage /proc/cov', 'under /proc'] },
  { args: ['fuzz', '--code-coverage=/sys/cov'], says: ['under /sys'] },
  { args: ['fuzz', '--code-coverage', '@/f'], says: ['ENOTDIR'], setup: file('f') },
  { args: ['fuzz', '--code-coverage', '@/a/b'], says: ['does not exist (ENOENT)'] },

  // fuzz: corpus paths
  { args: [...FUZZ_SMALL, '--corpus', '/proc/x'], says: ['--corpus /proc/x', 'under /proc'] },
  { args: [...FUZZ_SMALL, '--corpus', '/proc/self'], says: ['under /proc'] },
  { args: [...FUZZ_SMALL, '--corpus', '/sys/x'], says: ['under /sys'] },
  { args: [...FUZZ_SMALL, '--corpus', '/dev/shm-not-here'], says: ['under /dev'] },
  { args: ['fuzz', '--schedules', '2', '--corpus', '/proc/x'], says: ['under /proc'] },
  { args: [...FUZZ_SMALL, '--workers', '2', '--corpus', '/proc/x'], says: ['under /proc'] },
  { args: [...FUZZ_SMALL, '--shard', '0/2', '--corpus', '/sys/x'], says: ['under /sys'] },
  {
    args: [...FUZZ_SMALL, '--corpus', '@/f'],
    says: ['is a file, not a directory (ENOTDIR)'],
    setup: file('f'),
  },
  { args: [...FUZZ_SMALL, '--corpus', '@/fifo'], says: ['FIFO'], setup: fifo('fifo') },
  { args: [...FUZZ_SMALL, '--corpus', '@/link'], says: ['symbolic link', 'ENOENT'], setup: dangling('link') },
  { args: [...FUZZ_SMALL, '--corpus', '@/a/b'], says: ['does not exist (ENOENT)'] },
  { args: [...FUZZ_SMALL, '--corpus', '@/f/c'], says: ['ENOTDIR'], setup: file('f') },
  { args: [...FUZZ_SMALL, '--corpus', ''], says: ['--corpus needs a directory'] },
  {
    args: [...FUZZ_SMALL, '--corpus', '@/p/x'],
    says: ['/proc/x is under /proc'],
    setup: (d) => symlinkSync('/proc', join(d, 'p')),
  },
  {
    args: ['run', '--trace', '@/to-fifo'],
    says: ['is a FIFO (named pipe)'],
    setup: (d) => {
      fifo('fifo')(d);
      symlinkSync(join(d, 'fifo'), join(d, 'to-fifo'));
    },
  },
  { args: ['fuzz', '--schedules', '2', '--corpus', '@/f'], says: ['ENOTDIR'], setup: file('f') },

  // fuzz: a corpus held by a live campaign
  {
    args: [...FUZZ_SMALL, '--corpus', '@/c'],
    says: ['campaign.lock is held by the campaign of pid', `${process.pid}`, 'another --corpus directory'],
    setup: locked('campaign.lock'),
  },
  {
    args: [...FUZZ_SMALL, '--shard', '1/2', '--corpus', '@/c'],
    says: ['shard-1-of-2.lock is held by the campaign of pid', `${process.pid}`],
    setup: locked('shard-1-of-2.lock'),
  },
  {
    args: [...FUZZ_SMALL, '--workers', '2', '--corpus', '@/c'],
    says: ['shard-1-of-2.lock is held', `${process.pid}`],
    setup: locked('shard-1-of-2.lock'),
  },
  {
    args: ['fuzz', '--schedules', '2', '--corpus', '@/c'],
    says: ['campaign.lock is held', `${process.pid}`],
    setup: locked('campaign.lock'),
  },

  // fuzz: a damaged campaign.json, named by its field
  {
    args: [...FUZZ_SMALL, '--corpus', '@'],
    says: ['campaign.json is not valid JSON'],
    setup: file('campaign.json', '{"format":'),
  },
  {
    args: [...FUZZ_SMALL, '--corpus', '@'],
    says: ['campaign.json is not valid JSON'],
    setup: file('campaign.json', ''),
  },
  {
    args: [...FUZZ_SMALL, '--corpus', '@'],
    says: ['campaign.json is damaged: the file must hold one JSON object'],
    setup: file('campaign.json', '[1,2]'),
  },
  {
    args: [...FUZZ_SMALL, '--corpus', '@'],
    says: ['campaign.json is damaged: the file must hold one JSON object, it holds null'],
    setup: file('campaign.json', 'null'),
  },
  {
    args: [...FUZZ_SMALL, '--corpus', '@'],
    says: ['has corpus format 7, this build reads 1'],
    setup: corrupt((c) => {
      c.format = 7;
    }),
  },
  {
    args: [...FUZZ_SMALL, '--corpus', '@'],
    says: ['damaged: next must be a whole number >= 0, got "x"'],
    setup: corrupt((c) => {
      c.next = 'x';
    }),
  },
  {
    args: [...FUZZ_SMALL, '--corpus', '@'],
    says: ['damaged: next must be a whole number >= 0, got -4'],
    setup: corrupt((c) => {
      c.next = -4;
    }),
  },
  {
    args: [...FUZZ_SMALL, '--corpus', '@'],
    says: ['damaged: coverage must be an object, got nothing (the field is missing)'],
    setup: corrupt((c) => {
      delete c.coverage;
    }),
  },
  {
    args: [...FUZZ_SMALL, '--corpus', '@'],
    says: ['damaged: coverage.pairs must be a list, got 3'],
    setup: corrupt((c) => {
      (c.coverage as Record<string, unknown>).pairs = 3;
    }),
  },
  {
    args: [...FUZZ_SMALL, '--corpus', '@'],
    says: ['damaged: failures[0].token must be a string, got 17'],
    setup: corrupt((c) => {
      (c.failures as Record<string, unknown>[])[0]!.token = 17;
    }),
  },
  {
    args: [...FUZZ_SMALL, '--corpus', '@'],
    says: ['damaged: calibration.k must be a whole number >= 0, got 1.5'],
    setup: corrupt((c) => {
      (c.calibration as Record<string, unknown>).k = 1.5;
    }),
  },
  {
    args: [...FUZZ_SMALL, '--corpus', '@'],
    says: ['damaged: armRuns.random must be a whole number >= 0, got "2"'],
    setup: corrupt((c) => {
      (c.armRuns as Record<string, unknown>).random = '2';
    }),
  },
  {
    args: [...FUZZ_SMALL, '--corpus', '@'],
    says: ['belongs to another campaign (mutations "none", this one [])'],
    setup: corrupt((c) => {
      c.mutations = 'none';
    }),
  },
  {
    args: [...FUZZ_SMALL, '--corpus', '@'],
    says: ['damaged: faultRuns must be a whole number >= 0, got null'],
    setup: corrupt((c) => {
      c.faultRuns = null;
    }),
  },
  {
    args: [...FUZZ_SMALL, '--corpus', '@'],
    says: ['damaged: corpus[0].tape[0] must be a whole number >= 0, got "a"'],
    setup: corrupt((c) => {
      c.corpus = [{ seed: '1', tape: ['a'], faults: [] }];
    }),
  },
  {
    args: [...FUZZ_SMALL, '--corpus', '@'],
    says: ['damaged: goals must be a list, got {}'],
    setup: corrupt((c) => {
      c.goals = {};
    }),
  },
  {
    args: [...FUZZ_SMALL, '--corpus', '@'],
    says: ['belongs to another campaign (baseSeed "9"'],
    setup: corrupt((c) => {
      c.baseSeed = '9';
    }),
  },
  {
    args: [...FUZZ_SMALL, '--corpus', '@'],
    says: ['belongs to another campaign (scenario "small"'],
    setup: corrupt((c) => {
      c.scenario = 'small';
    }),
  },
  {
    args: [...FUZZ_SMALL, '--corpus', '@'],
    says: ['campaign.json is a directory, not a corpus file'],
    setup: (d) => {
      mkdirSync(join(d, 'campaign.json'));
    },
  },
  {
    args: [...FUZZ_SMALL, '--corpus', '@'],
    says: ['campaign.json is a FIFO (named pipe), not a corpus file'],
    setup: fifo('campaign.json'),
  },
  {
    args: [...FUZZ_SMALL, '--shard', '0/2', '--corpus', '@'],
    says: ['shard-0-of-2.json is a FIFO (named pipe), not a corpus file'],
    setup: fifo('shard-0-of-2.json'),
  },
  {
    args: ['fuzz', '--schedules', '2', '--corpus', '@'],
    says: ['suite.json is a FIFO (named pipe), not a corpus file'],
    setup: fifo('suite.json'),
  },
  {
    args: ['fuzz', '--schedules', '2', '--corpus', '@'],
    says: ['suite.json is damaged: scenarios[1] must be a string, got 2'],
    setup: file('suite.json', '{"format":1,"kind":"suite","scenarios":["small",2]}'),
  },
  {
    args: ['fuzz', '--schedules', '2', '--corpus', '@'],
    says: ['suite.json is damaged: shards must be a whole number >= 0, got "two"'],
    setup: file(
      'suite.json',
      '{"format":1,"kind":"suite","scenarios":["small"],"schedules":4,"baseSeed":"0","strategy":"portfolio","mutations":[],"faults":"off","maxSteps":null,"shards":"two"}',
    ),
  },
  {
    args: ['corpus', 'merge', '@'],
    says: ['suite.json is damaged: baseSeed must be a string, got 0'],
    setup: file(
      'suite.json',
      '{"format":1,"kind":"suite","scenarios":["small"],"schedules":4,"baseSeed":0,"strategy":"portfolio","mutations":[],"faults":"off","maxSteps":null,"shards":2}',
    ),
  },
  {
    args: ['corpus', 'merge', '@'],
    says: ['shard-1-of-2.json is a FIFO (named pipe), not a corpus file'],
    setup: fifo('shard-1-of-2.json'),
  },
];

/** The row's arguments with `@`, `T` and `P` filled in. */
function argsOf(row: Row, dir: string): string[] {
  return row.args.map((a) =>
    a
      .replace(/^@/, dir)
      .replace(/^T(!?)$/, (_, bang: string) => (bang === '' ? token : `${token.slice(0, -2)}!!`))
      .replace(/^P$/, passingShrink),
  );
}

describe('bad input and misuse: exit 2, one line naming the problem, nothing lost', () => {
  beforeAll(async () => {
    const r = await cli(['run', '--scenario', 'abba-ww', '--seed', '1', '--json']);
    expect(r.code).toBe(0);
    token = String(JSON.parse(r.stdout).token);
    passingShrink = token;
    // A valid corpus to damage: a small campaign of abba-deadlock (it finds the deadlock).
    const dir = join(root, 'valid');
    const f = await cli([...FUZZ_SMALL, '--corpus', dir]);
    expect(f.code).toBe(EXIT_CODE.liveness);
    campaign = readFileSync(join(dir, 'campaign.json'), 'utf8');
    expect(readdirSync(dir)).toEqual(['campaign.json']);
  });
  afterAll(() => {
    spawnSync('rm', ['-rf', root]);
  });

  test('the table covers every command and has at least 150 rows', async () => {
    const help = await cli(['--help']);
    const commands = [...help.stdout.matchAll(/^ {2}([a-z]+) {2,}/gm)].map((m) => m[1]);
    const covered = new Set(ROWS.map((r) => r.args[0]));
    const missing = commands.filter((c) => !covered.has(c));
    expect(missing).toEqual([]);
    expect(ROWS.length).toBeGreaterThanOrEqual(150);
  });

  test.each(ROWS.map((row, i) => [i, row.args.join(' '), row] as const))(
    '%i: ttm-sim %s',
    async (i, _, row) => {
      const dir = join(root, `row-${i}`);
      mkdirSync(dir);
      row.setup?.(dir);
      const before = snapshot(dir);
      const r = await cli(argsOf(row, dir));
      expect({ code: r.code, stdout: r.stdout }).toEqual({ code: EXIT_CODE.badInput, stdout: '' });
      const lines = r.stderr.split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[1]).toBe('');
      expect(lines[0]).toMatch(/^ttm-sim: \S/);
      expect(lines[0]).not.toMatch(/internal error|\bat .*:\d+:\d+\)?$/);
      for (const s of row.says) expect(lines[0]).toContain(s.replace(/^@/, dir));
      expect(snapshot(dir)).toEqual(before);
    },
  );
});
