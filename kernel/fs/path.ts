// Path lookup for the *at() family (linux/fs/namei.c, much simplified): a guest path is resolved
// against a directory descriptor or the working directory to an absolute guest path; /proc paths are
// answered by kernel/proc.ts, and every other path goes to the host's file system through hostPath().
//
// hostPath() is the seam for a guest root directory: today the guest sees the host's tree as it is;
// a `root` option would prefix it here (and refuse `..` above the root), and nowhere else.

import * as path from 'node:path';
import { Errno } from '../errno.js';
import { S_IFDIR } from './file.js';
import type { Kernel } from '../kernel.js';

export const AT_FDCWD = -100;
export const AT_SYMLINK_NOFOLLOW = 0x100;
export const AT_REMOVEDIR = 0x200;
export const AT_EACCESS = 0x200;
export const AT_SYMLINK_FOLLOW = 0x400;
export const AT_NO_AUTOMOUNT = 0x800;
export const AT_EMPTY_PATH = 0x1000;
export const PATH_MAX = 4096;

/** The absolute guest path `p` names, relative to `dirfd` (AT_FDCWD: the working directory), or -errno. */
export function resolveAt(k: Kernel, dirfd: number, p: string): string | number {
  if (p === '') return -Errno.ENOENT;
  if (p.length >= PATH_MAX) return -Errno.ENAMETOOLONG;
  if (p.startsWith('/')) return p;
  let base: string;
  if ((dirfd | 0) === AT_FDCWD) base = k.cwd;
  else {
    const f = k.file(dirfd | 0);
    if (!f) return -Errno.EBADF;
    if ((f.stat().mode & 0o170000) !== S_IFDIR) return -Errno.ENOTDIR;
    base = f.path;
  }
  return base.endsWith('/') ? base + p : base + '/' + p;
}

/** The path with `.`, `..` and repeated slashes folded lexically (used to recognize /proc paths). */
export function lexicalPath(abs: string): string {
  return path.posix.normalize(abs);
}

/**
 * The few /sys files that describe the CPUs: colonel has one, whatever the host has, so they are
 * answered by kernel/proc.ts with the rest of the synthetic files (glibc's get_nprocs reads them).
 */
export const SYS_CPU_FILES = ['/sys/devices/system/cpu/online', '/sys/devices/system/cpu/possible', '/sys/devices/system/cpu/present'];

/** Is this absolute guest path one kernel/proc.ts answers (/proc, and the /sys CPU files)? */
export function isProcPath(abs: string): boolean {
  const n = lexicalPath(abs);
  return n === '/proc' || n === '/proc/' || n.startsWith('/proc/') || SYS_CPU_FILES.includes(n);
}

/** The host path for an absolute guest path (the guest-root seam; identity for now). */
export function hostPath(_k: Kernel, guestPath: string): string {
  return guestPath;
}
