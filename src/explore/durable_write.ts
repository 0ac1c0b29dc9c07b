// Writing a file so that it survives a crash whole or not at all: the text goes to a temporary file
// in the same directory (created exclusively, so two writers never share one), which is flushed to
// the disk (fsync), renamed over the target, and then the directory itself is flushed so that the
// rename is on the disk too (rename(2) and fsync(2): a rename is atomic, but durable only once its
// directory is synced). Whatever fails, the temporary file is removed: a failed write leaves the old
// file as it was and nothing beside it.
//
// Failures are returned as data (the errno code, the system call and the path it concerned), never
// thrown: the caller turns them into a message for the user.

import * as nodeFs from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The file-system calls a durable write makes (node:fs by default; a test may put faults in). */
export interface WriteFs {
  openSync(path: string, flags: string, mode?: number): number;
  writeSync(fd: number, data: Uint8Array, offset: number, length: number): number;
  fsyncSync(fd: number): void;
  closeSync(fd: number): void;
  renameSync(from: string, to: string): void;
  unlinkSync(path: string): void;
}

/** An operating-system error, as data: `ENOSPC` from `write` on `/data/campaign.json.tmp-12-0`. */
export interface FsFailure {
  readonly code: string;
  readonly syscall: string;
  readonly path: string;
  /** The system's text for the code, e.g. "no space left on device". */
  readonly text: string;
}

export type WriteResult = { readonly ok: true } | ({ readonly ok: false } & FsFailure);

let serial = 0;

/** The errno fields of a thrown Node error; a non-errno throw is re-thrown (a simulator bug). */
export function fsFailure(err: unknown, fallbackPath: string, fallbackSyscall: string): FsFailure {
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.code !== 'string') throw err;
  // Node's message is "CODE: text, syscall 'path'"; keep the text alone.
  const m = /^[A-Z0-9_]+: ([^,]+)/.exec(e.message ?? '');
  return {
    code: e.code,
    syscall: e.syscall ?? fallbackSyscall,
    path: e.path ?? fallbackPath,
    text: m?.[1] ?? e.code,
  };
}

/** Write `text` to `path` atomically and durably (see the header). The directory must exist. */
export function writeDurably(path: string, text: string, fs: WriteFs = nodeFs): WriteResult {
  const dir = dirname(path);
  serial += 1;
  const tmp = join(dir, `.${basename(path)}.tmp-${process.pid}-${serial}`);
  let fd: number | undefined;
  let created = false;
  // A failure names the file the caller asked for (the temporary name is this module's business),
  // and the directory when its sync fails.
  let step = 'open';
  let at = path;
  try {
    fd = fs.openSync(tmp, 'wx', 0o644);
    created = true;
    step = 'write';
    const bytes = Buffer.from(text, 'utf8');
    let off = 0;
    while (off < bytes.length) off += fs.writeSync(fd, bytes, off, bytes.length - off);
    step = 'fsync';
    fs.fsyncSync(fd);
    step = 'close';
    const closing = fd;
    fd = undefined;
    fs.closeSync(closing);
    step = 'rename';
    fs.renameSync(tmp, path);
    created = false;
    step = 'fsync';
    at = dir;
    syncDirectory(dir, fs);
    return { ok: true };
  } catch (err) {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        // Closing a descriptor whose write failed may fail again; the file is removed below.
      }
    }
    if (created) {
      try {
        fs.unlinkSync(tmp);
      } catch {
        // Already gone: nothing is left behind either way.
      }
    }
    return { ok: false, ...fsFailure(err, at, step), path: at };
  }
}

/** fsync a directory so that the entries just created or renamed in it are on the disk. */
export function syncDirectory(dir: string, fs: WriteFs = nodeFs): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } catch (err) {
    // Some file systems cannot sync a directory (EINVAL): the rename is done, the file is whole.
    if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
  } finally {
    fs.closeSync(fd);
  }
}
