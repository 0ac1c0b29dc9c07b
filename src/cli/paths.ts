// The paths a user gives for files the tool writes (--trace, --perfetto, view --out) and directories
// it keeps (--corpus, charts --out, corpus merge --out), checked before any work starts, so that a bad
// path costs one line on stderr and exit 2 instead of a hang or an error after a long campaign:
// - nothing under /proc, /sys or /dev: kernel interfaces, not places for files (recursive mkdir under
//   /proc loops forever in Node 20; a write to /dev/full fails only at the end);
// - a file to write must be a regular file or not exist yet; a FIFO would block the write until some
//   reader opens it, a directory or a device cannot be replaced;
// - a symbolic link must point at something, its directory must exist and be writable;
// - a directory to keep is created when missing (as mkdir(1) without -p: its parent must exist).
// Every refusal names the path, the errno the system gave (ENOENT, ENOTDIR, EISDIR, EACCES, EROFS...)
// and what to do.

import { accessSync, constants, lstatSync, mkdirSync, realpathSync, type Stats, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fsFailure } from '../explore/durable_write.ts';
import { kernelTreeOf } from '../sim/kernel_paths.ts';
import { fail } from './errors.ts';

function errnoOf(err: unknown): string {
  return fsFailure(err, '', '').code;
}

/** stat (or lstat), null when nothing is there; `who` ('--trace out.jsonl') starts a refusal. */
function statOrNull(who: string, path: string, follow: boolean): Stats | null {
  try {
    return follow ? statSync(path) : lstatSync(path);
  } catch (err) {
    const code = errnoOf(err);
    if (code === 'ENOENT') return null;
    if (code === 'ENOTDIR') {
      fail(`${who}: a part of ${path} is a file, not a directory (ENOTDIR); give a path through directories`);
    }
    if (code === 'ELOOP') fail(`${who}: ${path}: too many levels of symbolic links (ELOOP); fix the links`);
    fail(`${who}: ${path}: cannot look at it: ${code}; check the path and its permissions`);
  }
}

/** The path with symbolic links resolved as far as it exists (the rest appended as given). */
function realPrefix(path: string): string {
  let head = path;
  const tail: string[] = [];
  for (;;) {
    try {
      return tail.length === 0 ? realpathSync(head) : join(realpathSync(head), ...tail.reverse());
    } catch {
      const up = dirname(head);
      if (up === head) return path;
      tail.push(head.slice(up.length).replace(/^\//, ''));
      head = up;
    }
  }
}

function refuseKernelTree(option: string, given: string, path: string): void {
  const real = realPrefix(path);
  const tree = kernelTreeOf(real);
  if (tree !== null) {
    fail(
      `${option} ${given}: ${real} is under ${tree}, a kernel interface, not a place for the tool's files; give a path in an ordinary directory`,
    );
  }
}

function refuseUnwritableDir(option: string, given: string, dir: string): void {
  try {
    accessSync(dir, constants.W_OK);
  } catch (err) {
    const code = errnoOf(err);
    fail(
      `${option} ${given}: cannot write in ${dir} (${code}${code === 'EROFS' ? ': a read-only file system' : code === 'EACCES' ? ': permission denied' : ''}); give a path in a directory you can write to`,
    );
  }
}

/** What kind of thing a stat describes, for messages. */
function kindOf(s: Stats): string {
  if (s.isFIFO()) return 'a FIFO (named pipe): a write would wait for a reader';
  if (s.isSocket()) return 'a socket';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isDirectory()) return 'a directory (EISDIR)';
  return 'not a regular file';
}

/** A symbolic link whose target does not exist: refused, naming both. */
function refuseDangling(option: string, given: string, path: string): void {
  const link = statOrNull(`${option} ${given}`, path, false);
  if (link?.isSymbolicLink() && statOrNull(`${option} ${given}`, path, true) === null) {
    fail(
      `${option} ${given}: ${path} is a symbolic link to a path that does not exist (ENOENT); remove the link or give another path`,
    );
  }
}

/**
 * Check a file the command will write (replacing it if it exists): returns its absolute path, or fails
 * with exit 2 naming the problem.
 */
export function checkOutputFile(option: string, given: string): string {
  if (given === '') fail(`${option} needs a file name, got ""`);
  const path = resolve(given);
  refuseKernelTree(option, given, path);
  refuseDangling(option, given, path);
  const s = statOrNull(`${option} ${given}`, path, true);
  if (s !== null && !s.isFile()) {
    fail(`${option} ${given}: ${path} is ${kindOf(s)}; give the name of a regular file`);
  }
  const dir = dirname(path);
  const d = statOrNull(`${option} ${given}`, dir, true);
  if (d === null) {
    fail(`${option} ${given}: the directory ${dir} does not exist (ENOENT); create it first`);
  }
  if (!d.isDirectory()) {
    fail(`${option} ${given}: ${dir} is not a directory (ENOTDIR); give a path through directories`);
  }
  refuseUnwritableDir(option, given, dir);
  return path;
}

/**
 * Check a directory the command keeps files in, creating it when it does not exist (its parent must):
 * returns its absolute path, or fails with exit 2 naming the problem.
 */
export function checkOutputDir(option: string, given: string): string {
  if (given === '') fail(`${option} needs a directory, got ""`);
  const path = resolve(given);
  refuseKernelTree(option, given, path);
  refuseDangling(option, given, path);
  const s = statOrNull(`${option} ${given}`, path, true);
  if (s !== null && !s.isDirectory()) {
    fail(
      `${option} ${given}: ${path} is ${s.isFile() ? 'a file' : kindOf(s)}, not a directory (ENOTDIR); give a directory`,
    );
  }
  if (s === null) {
    const parent = dirname(path);
    const p = statOrNull(`${option} ${given}`, parent, true);
    if (p === null) {
      fail(`${option} ${given}: the directory ${parent} does not exist (ENOENT); create it first (mkdir -p)`);
    }
    if (!p.isDirectory()) {
      fail(`${option} ${given}: ${parent} is not a directory (ENOTDIR); give a path through directories`);
    }
    refuseUnwritableDir(option, given, parent);
    try {
      mkdirSync(path);
    } catch (err) {
      if (errnoOf(err) !== 'EEXIST') fail(`${option} ${given}: cannot create ${path}: ${errnoOf(err)}`);
    }
  }
  refuseUnwritableDir(option, given, path);
  return path;
}

/** checkOutputDir for `path` and each missing directory above it (a layout the command makes itself). */
export function checkOutputDirs(option: string, path: string): string {
  const parent = dirname(path);
  if (parent !== path && statOrNull(`${option} ${path}`, parent, true) === null)
    checkOutputDirs(option, parent);
  return checkOutputDir(option, path);
}

/** Check a directory the command only reads (corpus merge's inputs). */
export function checkInputDir(option: string, given: string): string {
  const path = resolve(given);
  refuseKernelTree(option, given, path);
  refuseDangling(option, given, path);
  return path;
}
