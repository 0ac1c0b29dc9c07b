// A campaign locks what it keeps in its corpus directory, so that two campaigns never write the same
// corpus file and lose each other's work: an unsliced campaign (or suite) holds DIR/campaign.lock,
// a slice K of N holds DIR/shard-K-of-N.lock (the slices of one campaign may share a directory, as
// the Kubernetes recipe's pods do). A second campaign on a held lock is refused at once, naming the
// holder's pid and host.
//
// A lock file holds {pid, host, start}: `start` is the holder's start time in clock ticks since boot
// (field 22 of /proc/PID/stat, see proc(5)), so a pid reused by another process is not mistaken for
// the holder. A lock is stale, and is taken over, when its holder is gone: on this host, no process
// has that pid with that start time; on another host (a shared volume), the holder has not refreshed
// the lock's modification time for STALE_MS (a holder refreshes it every REFRESH_MS).
//
// Taking a lock is link(2) of a complete temporary file to the lock's name: link fails with EEXIST
// when the name exists, so exactly one of two racing campaigns gets it, and a reader never sees a
// half-written lock. Taking over renames the stale lock aside first (only one taker can), checks that
// what it moved is the stale lock it read (and puts back a fresh one it moved by mistake), then links.
// The temporary files a killed holder of this host left (a write cut short) are removed then.

import { linkSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { writeDurably } from '../explore/durable_write.ts';

/** A holder refreshes its lock's time this often. */
export const REFRESH_MS = 10_000;
/** A lock from another host whose time is older than this is stale. */
export const STALE_MS = 60_000;

interface Holder {
  readonly pid: number;
  readonly host: string;
  readonly start: string | null;
}

/** The start time of process `pid` (clock ticks since boot), or null where /proc does not say. */
function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19] ?? null;
  } catch {
    return null;
  }
}

function readHolder(path: string): Holder | null {
  try {
    // A lock is a regular file; anything else (a FIFO would block the read) is not a holder's.
    if (!statSync(path).isFile()) return null;
    const h = JSON.parse(readFileSync(path, 'utf8')) as Partial<Holder>;
    if (typeof h.pid !== 'number' || typeof h.host !== 'string') return null;
    return { pid: h.pid, host: h.host, start: typeof h.start === 'string' ? h.start : null };
  } catch {
    return null;
  }
}

/** Whether the holder a lock names is still running (see the header). */
function alive(path: string, h: Holder, now: number): boolean {
  if (h.host !== hostname()) {
    try {
      return now - statSync(path).mtimeMs < STALE_MS;
    } catch {
      return false;
    }
  }
  try {
    process.kill(h.pid, 0);
  } catch (err) {
    // EPERM: the process exists but belongs to another user; ESRCH: there is none.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return h.start === null || startTime(h.pid) === null || startTime(h.pid) === h.start;
}

export interface CorpusLocks {
  /** Give the locks back (idempotent); the process's exit does it too. */
  release(): void;
}

export type LockResult =
  | { readonly ok: true; readonly locks: CorpusLocks }
  | { readonly ok: false; readonly reason: string };

/** The lock file names a campaign takes: campaign.lock, or one per slice it runs. */
export function lockNames(slices: { readonly count: number; readonly run: readonly number[] } | undefined) {
  return slices === undefined
    ? ['campaign.lock']
    : slices.run.map((k) => `shard-${k}-of-${slices.count}.lock`);
}

/**
 * The temporary files a killed campaign of this host left in `dir` (a write cut short by SIGKILL:
 * `.NAME.tmp-PID-N` of src/explore/durable_write.ts, a lock's `NAME.new-PID` or `NAME.stale-PID`),
 * removed when no process has that pid any more (a pid in use may be another campaign's, writing).
 */
function removeLeftovers(dir: string, pid: number): void {
  try {
    process.kill(pid, 0);
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') return;
  }
  const mine = new RegExp(`(^\\..+\\.tmp-${pid}-[0-9]+$)|(\\.(new|stale)-${pid}$)`);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names.filter((n) => mine.test(n))) {
    try {
      unlinkSync(join(dir, name));
    } catch {
      // Gone already: nothing is left either way.
    }
  }
}

/** Try once to take `path`; the holder that keeps it when that fails. */
function take(path: string, me: Holder): Holder | 'taken' {
  const tmp = `${path}.new-${process.pid}`;
  const w = writeDurably(tmp, `${JSON.stringify(me)}\n`);
  if (!w.ok) throw Object.assign(new Error(`${w.code}: ${w.text}, ${w.syscall} '${w.path}'`), w);
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(tmp, path);
        return 'taken';
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = readHolder(path);
      if (holder !== null && alive(path, holder, Date.now())) return holder;
      // Stale (or unreadable: a lock is always written whole, so that is not a live holder's).
      const aside = `${path}.stale-${process.pid}`;
      try {
        renameSync(path, aside);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      const moved = readHolder(aside);
      const same = JSON.stringify(moved) === JSON.stringify(holder);
      if (!same && moved !== null && alive(aside, moved, Date.now())) {
        // Another campaign took the stale lock over between our read and our rename: give it back.
        try {
          linkSync(aside, path);
        } catch {
          // A third campaign holds the name now; the one we moved still runs, and it is refused below.
        }
        unlinkSync(aside);
        return moved;
      }
      unlinkSync(aside);
      if (holder !== null && holder.host === me.host) removeLeftovers(dirname(path), holder.pid);
    }
    const holder = readHolder(path);
    return holder ?? { pid: 0, host: '?', start: null };
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // Linked or not, the temporary name goes.
    }
  }
}

/**
 * Take the locks `names` in the existing directory `dir`, all or none. Refused (with a reason that
 * names the holder and what to do) when a live campaign holds one of them.
 */
export function lockCorpus(dir: string, names: readonly string[]): LockResult {
  const me: Holder = { pid: process.pid, host: hostname(), start: startTime(process.pid) };
  const held: string[] = [];
  const release = () => {
    for (const path of held.splice(0)) {
      const h = readHolder(path);
      if (h !== null && h.pid === me.pid && h.host === me.host && h.start === me.start) {
        try {
          unlinkSync(path);
        } catch {
          // Already removed: nothing to give back.
        }
      }
    }
  };
  for (const name of names) {
    const path = join(dir, name);
    let got: Holder | 'taken';
    try {
      got = take(path, me);
    } catch (err) {
      // A file-system error (a full disk, ...): the locks taken so far go back before it is reported.
      release();
      throw err;
    }
    if (got !== 'taken') {
      release();
      const where = got.host === me.host ? '' : ` on host ${got.host}`;
      return {
        ok: false,
        reason: `${path} is held by the campaign of pid ${got.pid}${where}; wait for it to finish (or stop it with Ctrl-C), or use another --corpus directory`,
      };
    }
    held.push(path);
  }
  const refresh = setInterval(() => {
    const now = new Date();
    for (const path of held) {
      try {
        utimesSync(path, now, now);
      } catch {
        // A lock removed by hand is not recreated; the campaign's own files are what matter.
      }
    }
  }, REFRESH_MS);
  refresh.unref();
  const onExit = () => release();
  process.on('exit', onExit);
  return {
    ok: true,
    locks: {
      release() {
        clearInterval(refresh);
        process.off('exit', onExit);
        release();
      },
    },
  };
}
