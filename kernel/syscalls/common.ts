// Helpers the syscall area files share: open(2) flag values, descriptor bookkeeping, and the one-time
// diagnostics colonel prints where its single process differs from Linux (a wait nobody can end).

import { Errno } from '../errno.js';
import type { OpenFile } from '../fs/file.js';
import type { Kernel } from '../kernel.js';
import { waitForSignal } from '../signals/wait.js';
import { ERESTARTSYS } from '../signals/restart.js';

/** open(2) flags of x86-64 Linux (include/uapi/asm-generic/fcntl.h), octal as the header writes them. */
export const O = {
  ACCMODE: 0o3, RDONLY: 0o0, WRONLY: 0o1, RDWR: 0o2, CREAT: 0o100, EXCL: 0o200, NOCTTY: 0o400, TRUNC: 0o1000,
  APPEND: 0o2000, NONBLOCK: 0o4000, DSYNC: 0o10000, ASYNC: 0o20000, DIRECT: 0o40000, LARGEFILE: 0o100000,
  DIRECTORY: 0o200000, NOFOLLOW: 0o400000, NOATIME: 0o1000000, CLOEXEC: 0o2000000, SYNC: 0o4010000,
  PATH: 0o10000000, TMPFILE: 0o20200000,
} as const;

const warned = new WeakMap<Kernel, Set<string>>();

/** Print a diagnostic once per kernel and key. */
export function warnOnce(k: Kernel, key: string, line: string): void {
  let set = warned.get(k);
  if (!set) warned.set(k, (set = new Set()));
  if (set.has(key)) return;
  set.add(key);
  k.options.diag(`colonel: ${line}`);
}

/**
 * A wait that only a signal can end: colonel's process is alone and single-threaded, so an empty pipe
 * stays empty and a futex stays unwoken. If the process's own timer is armed, the wait lasts until it
 * raises a signal the process acts on, and the call asks to be restarted (-ERESTARTSYS: it returns
 * EINTR to a handler without SA_RESTART, else runs again; kernel/signals/deliver.ts). Otherwise Linux
 * would sleep forever: see deadlock().
 */
export function wouldBlockForever(k: Kernel, what: string): number {
  return waitForSignal(k) ? -ERESTARTSYS : deadlock(k, what);
}

/** A wait nothing can end: colonel says so once and fails the call with EDEADLK ("Resource deadlock avoided"). */
export function deadlock(k: Kernel, what: string): number {
  warnOnce(k, `block:${what}`, `${what} would block forever (one single-threaded process); returning -EDEADLK`);
  return -Errno.EDEADLK;
}

/** The lowest free descriptor at or above `min`, or -EMFILE (checked before opening has side effects). */
export function lowestFreeFd(k: Kernel, min = 0): number {
  let fd = min;
  while (k.fds.has(fd)) fd++;
  return fd >= k.fdLimit() ? -Errno.EMFILE : fd;
}

/** Install `f` at the lowest free descriptor; on failure the open file is released. */
export function installFd(k: Kernel, f: OpenFile, cloexec: boolean, min = 0): number {
  const fd = k.allocFd(f, min);
  if (fd < 0) {
    if (--f.refs === 0) f.close();
    return fd;
  }
  if (cloexec) k.cloexec.add(fd);
  else k.cloexec.delete(fd);
  return fd;
}

/** Drop descriptor `fd` (close(2), and dup2 over an open descriptor). */
export function closeFd(k: Kernel, fd: number): number {
  const f = k.file(fd);
  if (!f) return -Errno.EBADF;
  k.fds.delete(fd);
  k.cloexec.delete(fd);
  if (--f.refs === 0) f.close();
  return 0;
}
