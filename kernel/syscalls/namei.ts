// Syscalls that take a path: open, access, readlink, unlink, mkdir, rename, truncate, getcwd and chdir
// (linux/fs/open.c, namei.c, stat.c, d_path.c). Lookup is kernel/fs/path.ts: /proc goes to
// kernel/proc.ts, everything else to the host file system (through the hostPath() seam).

import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import { Errno } from '../errno.js';
import { copyFromUser, copyToUser, strFromUser } from '../uaccess.js';
import { HostFile, errnoOf, type OpenFile } from '../fs/file.js';
import { HostDir } from '../fs/dir.js';
import { AT_EACCESS, AT_EMPTY_PATH, AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_NOFOLLOW, hostPath, isProcPath, lexicalPath, resolveAt } from '../fs/path.js';
import { procLookup, procOpen, type ProcNode } from '../proc.js';
import { O, installFd, lowestFreeFd } from './common.js';
import type { Kernel } from '../kernel.js';
import { a, type SyscallRow } from './types.js';

/** Read a path argument and resolve it against dirfd: the absolute guest path, or -errno. */
export function userPathAt(k: Kernel, dirfd: number, addr: number): string | number {
  const p = strFromUser(k, addr);
  if (p === null) return -Errno.ENAMETOOLONG;
  return resolveAt(k, dirfd, p);
}

/** Follow /proc links (self, exe, cwd, fd/N) to the node or host path they name. */
export function procResolve(k: Kernel, abs: string, follow: boolean): { node: ProcNode } | { host: string } | number {
  if (/\/\.?$/.test(abs)) follow = true; // "/proc/self/" and "/proc/self/." name the directory the link leads to
  for (let depth = 0; depth < 8; depth++) {
    const node = procLookup(k, abs);
    if (typeof node === 'number') return node;
    if (node.kind !== 'link' || !follow) return { node };
    const target = node.target();
    if (node.file) return { node }; // fd links: the caller reopens what the descriptor refers to
    abs = target.startsWith('/') ? target : nodePath.posix.join(nodePath.posix.dirname(lexicalPath(abs)), target);
    if (!isProcPath(abs)) return { host: abs };
  }
  return -Errno.ELOOP;
}

/** Guest open(2) flags → the host's (Node's fs.constants; numerically the same on x86-64 Linux). */
function hostOpenFlags(flags: number): number {
  const c = fs.constants;
  const acc = flags & O.ACCMODE;
  let h = flags & O.PATH ? c.O_RDONLY : acc === O.WRONLY ? c.O_WRONLY : acc === O.RDWR ? c.O_RDWR : c.O_RDONLY;
  const pairs: [number, number | undefined][] = [
    [O.CREAT, c.O_CREAT], [O.EXCL, c.O_EXCL], [O.NOCTTY, c.O_NOCTTY], [O.TRUNC, c.O_TRUNC], [O.APPEND, c.O_APPEND],
    [O.NONBLOCK, c.O_NONBLOCK], [O.DIRECTORY, c.O_DIRECTORY], [O.NOFOLLOW, c.O_NOFOLLOW], [O.NOATIME, c.O_NOATIME],
    [O.DSYNC, c.O_DSYNC],
  ];
  for (const [g, hv] of pairs) if ((flags & g) === g && hv !== undefined) h |= hv;
  if ((flags & O.SYNC) === O.SYNC) h |= c.O_SYNC;
  return h;
}

/** Open an absolute guest path: an OpenFile, or -errno. */
export function openPath(k: Kernel, abs: string, flags: number, mode: number): OpenFile | number {
  if ((flags & O.TMPFILE) === O.TMPFILE) return -Errno.EOPNOTSUPP;
  if (isProcPath(abs)) {
    const r = procResolve(k, abs, !(flags & O.NOFOLLOW));
    if (typeof r === 'number') return flags & O.CREAT && r === -Errno.ENOENT ? -Errno.EACCES : r;
    if ('host' in r) return openPath(k, r.host, flags, mode);
    const node = r.node;
    if (node.kind === 'link') {
      if (!node.file) return -Errno.ELOOP; // O_NOFOLLOW on a link
      const f = node.file();
      if (!f) return -Errno.ENOENT;
      if (f instanceof HostFile && f.path.startsWith('/')) return openPath(k, f.path, flags, mode);
      f.refs++; // a pipe or captured stream: share it
      return f;
    }
    if ((flags & O.ACCMODE) !== O.RDONLY) return node.kind === 'dir' ? -Errno.EISDIR : -Errno.EACCES;
    if (flags & O.DIRECTORY && node.kind !== 'dir') return -Errno.ENOTDIR;
    return procOpen(node);
  }
  const host = hostPath(k, abs);
  let fd: number;
  try {
    fd = fs.openSync(host, hostOpenFlags(flags), mode & ~k.umask & 0o7777);
  } catch (e) {
    return -errnoOf(e);
  }
  // The open file remembers the status flags (F_GETFL); 64-bit Linux always adds O_LARGEFILE.
  const kept = (flags & ~(O.CREAT | O.EXCL | O.NOCTTY | O.TRUNC | O.CLOEXEC)) | O.LARGEFILE;
  let real = abs;
  try { real = fs.realpathSync(host); } catch { /* keep the name it was opened by */ }
  return fs.fstatSync(fd).isDirectory() ? new HostDir(fd, real, kept, host) : new HostFile(fd, real, kept);
}

export function sysOpenat(k: Kernel, dirfd: number, pathAddr: number, flags: number, mode: number): number {
  const abs = userPathAt(k, dirfd, pathAddr);
  if (typeof abs === 'number') return abs;
  const free = lowestFreeFd(k);
  if (free < 0) return free;
  const f = openPath(k, abs, flags, mode);
  if (typeof f === 'number') return f;
  return installFd(k, f, (flags & O.CLOEXEC) !== 0);
}

/** access/faccessat: F_OK 0, X_OK 1, W_OK 2, R_OK 4, checked as the host user (who runs colonel). */
function sysFaccessat(k: Kernel, dirfd: number, pathAddr: number, mode: number, flags: number): number {
  if (mode & ~7) return -Errno.EINVAL;
  if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -Errno.EINVAL;
  const p = strFromUser(k, pathAddr);
  if (p === null) return -Errno.ENAMETOOLONG;
  let abs: string | number;
  if (p === '' && flags & AT_EMPTY_PATH) {
    const f = k.file(dirfd | 0);
    if ((dirfd | 0) === AT_FDCWD) abs = k.cwd;
    else if (!f) return -Errno.EBADF;
    else abs = f.path;
  } else abs = resolveAt(k, dirfd, p);
  if (typeof abs === 'number') return abs;
  if (isProcPath(abs)) {
    const r = procResolve(k, abs, !(flags & AT_SYMLINK_NOFOLLOW));
    if (typeof r === 'number') return r;
    if ('host' in r) abs = r.host;
    else return mode & 2 && r.node.kind === 'file' ? -Errno.EACCES : 0;
  }
  try {
    fs.accessSync(hostPath(k, abs), mode);
    return 0;
  } catch (e) {
    return -errnoOf(e);
  }
}

function sysReadlinkat(k: Kernel, dirfd: number, pathAddr: number, buf: number, size: number): number {
  if (size <= 0) return -Errno.EINVAL;
  const abs = userPathAt(k, dirfd, pathAddr);
  if (typeof abs === 'number') return abs;
  let target: string;
  if (isProcPath(abs)) {
    const node = procLookup(k, abs);
    if (typeof node === 'number') return node;
    if (node.kind !== 'link') return -Errno.EINVAL;
    target = node.target();
  } else {
    try {
      target = fs.readlinkSync(hostPath(k, abs), 'utf8');
    } catch (e) {
      return -errnoOf(e);
    }
  }
  const bytes = Buffer.from(target, 'utf8').subarray(0, size); // truncated, never NUL-terminated
  copyToUser(k, buf, bytes);
  return bytes.length;
}

/** Run a host file-system operation on a path argument; /proc refuses changes. */
function hostOp(k: Kernel, dirfd: number, pathAddr: number, op: (host: string) => void): number {
  const abs = userPathAt(k, dirfd, pathAddr);
  if (typeof abs === 'number') return abs;
  if (isProcPath(abs)) return typeof procLookup(k, abs) === 'number' ? -Errno.ENOENT : -Errno.EACCES;
  try {
    op(hostPath(k, abs));
    return 0;
  } catch (e) {
    return -errnoOf(e);
  }
}

function sysUnlinkat(k: Kernel, dirfd: number, pathAddr: number, flags: number): number {
  if (flags & ~AT_REMOVEDIR) return -Errno.EINVAL;
  return hostOp(k, dirfd, pathAddr, (h) => (flags & AT_REMOVEDIR ? fs.rmdirSync(h) : fs.unlinkSync(h)));
}

function sysMkdirat(k: Kernel, dirfd: number, pathAddr: number, mode: number): number {
  return hostOp(k, dirfd, pathAddr, (h) => fs.mkdirSync(h, { mode: mode & ~k.umask & 0o7777 }));
}

const RENAME_NOREPLACE = 1;

function sysRenameat2(k: Kernel, olddirfd: number, oldAddr: number, newdirfd: number, newAddr: number, flags: number): number {
  if (flags & ~RENAME_NOREPLACE) return -Errno.EINVAL;
  const to = userPathAt(k, newdirfd, newAddr);
  if (typeof to === 'number') return to;
  if (isProcPath(to)) return -Errno.EACCES;
  return hostOp(k, olddirfd, oldAddr, (from) => {
    const dest = hostPath(k, to);
    if (flags & RENAME_NOREPLACE && fs.existsSync(dest)) throw Object.assign(new Error('EEXIST'), { code: 'EEXIST' });
    fs.renameSync(from, dest);
  });
}

function sysGetcwd(k: Kernel, buf: number, size: number): number {
  const bytes = Buffer.from(k.cwd + '\0', 'utf8');
  if (size < bytes.length) return -Errno.ERANGE;
  copyToUser(k, buf, bytes);
  return bytes.length; // the syscall returns the length including the NUL
}

/** Make `abs` the working directory if it is a searchable directory. */
function changeDir(k: Kernel, abs: string): number {
  if (isProcPath(abs)) {
    const r = procResolve(k, abs, true);
    if (typeof r === 'number') return r;
    if ('host' in r) abs = r.host;
    else if (r.node.kind !== 'dir') return -Errno.ENOTDIR;
    else { k.cwd = r.node.path; return 0; }
  }
  const host = hostPath(k, abs);
  try {
    if (!fs.statSync(host).isDirectory()) return -Errno.ENOTDIR;
    fs.accessSync(host, fs.constants.X_OK);
    k.cwd = fs.realpathSync(host);
    return 0;
  } catch (e) {
    return -errnoOf(e);
  }
}

/** symlink/symlinkat: the target is stored as given (not resolved). */
function sysSymlinkat(k: Kernel, targetAddr: number, dirfd: number, linkAddr: number): number {
  const target = strFromUser(k, targetAddr);
  if (target === null) return -Errno.ENAMETOOLONG;
  if (target === '') return -Errno.ENOENT;
  return hostOp(k, dirfd, linkAddr, (h) => fs.symlinkSync(target, h));
}

const AT_SYMLINK_FOLLOW = 0x400;

function sysLinkat(k: Kernel, olddirfd: number, oldAddr: number, newdirfd: number, newAddr: number, flags: number): number {
  if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) return -Errno.EINVAL;
  const to = userPathAt(k, newdirfd, newAddr);
  if (typeof to === 'number') return to;
  if (isProcPath(to)) return -Errno.EACCES;
  return hostOp(k, olddirfd, oldAddr, (from) => {
    // link(2) does not follow a final symlink unless AT_SYMLINK_FOLLOW: it links the link itself.
    const src = flags & AT_SYMLINK_FOLLOW ? fs.realpathSync(from) : from;
    fs.linkSync(src, hostPath(k, to));
  });
}

function sysFchmodat(k: Kernel, dirfd: number, pathAddr: number, mode: number): number {
  return hostOp(k, dirfd, pathAddr, (h) => fs.chmodSync(h, mode & 0o7777));
}

const UTIME_NOW = 0x3fffffff, UTIME_OMIT = 0x3ffffffe;
const NS = 1_000_000_000n;

/**
 * Set a file's access and modification times (utimensat and the older forms). `times` holds
 * [atime, mtime] in ns, or 'now' / 'omit'; "now" is the guest's realtime clock, as Linux uses its own.
 * Node takes seconds as a double and libuv keeps whole microseconds, so the host file gets the time
 * rounded to a microsecond.
 */
function setTimes(k: Kernel, dirfd: number, pathAddr: number, times: ('now' | 'omit' | bigint)[], nofollow: boolean): number {
  if (times.every((x) => x === 'omit')) return 0;
  const now = k.clockNs(0)!;
  const apply = (cur: { atimeNs: bigint; mtimeNs: bigint }, set: (a: number, m: number) => void) => {
    // libuv truncates the double to whole microseconds: add half of one so the truncation rounds.
    const secs = (ns: bigint) => Number(ns / NS) + Number((ns % NS) + 500n) / 1e9;
    const pick = (x: 'now' | 'omit' | bigint, old: bigint) => secs(x === 'now' ? now : x === 'omit' ? old : x);
    set(pick(times[0], cur.atimeNs), pick(times[1], cur.mtimeNs));
  };
  if (!pathAddr) {
    // utimensat(fd, NULL, ...): the open file itself (futimens).
    const f = k.file(dirfd | 0);
    if (!f) return -Errno.EBADF;
    const h = f.hostFd();
    if (h === null) return -Errno.EPERM;
    try { apply(f.stat(), (a, m) => fs.futimesSync(h, a, m)); return 0; } catch (e) { return -errnoOf(e); }
  }
  return hostOp(k, dirfd, pathAddr, (host) => {
    const st = nofollow ? fs.lstatSync(host, { bigint: true }) : fs.statSync(host, { bigint: true });
    apply(st, (a, m) => (nofollow ? fs.lutimesSync : fs.utimesSync)(host, a, m));
  });
}

/** Read the times array of utimensat (timespec) or utimes (timeval): -EINVAL on a bad field. */
function userTimes(k: Kernel, addr: number, unit: 'ns' | 'us'): ('now' | 'omit' | bigint)[] | number {
  if (!addr) return ['now', 'now'];
  const v = new DataView(copyFromUser(k, addr, 32).buffer);
  const out: ('now' | 'omit' | bigint)[] = [];
  for (let i = 0; i < 2; i++) {
    const sec = v.getBigInt64(16 * i, true), frac = v.getBigInt64(16 * i + 8, true);
    if (unit === 'ns' && frac === BigInt(UTIME_NOW)) { out.push('now'); continue; }
    if (unit === 'ns' && frac === BigInt(UTIME_OMIT)) { out.push('omit'); continue; }
    if (frac < 0n || frac >= (unit === 'ns' ? NS : 1_000_000n)) return -Errno.EINVAL;
    out.push(sec * NS + (unit === 'ns' ? frac : frac * 1000n));
  }
  return out;
}

export const NAMEI_SYSCALLS: SyscallRow[] = [
  {
    nr: 2, name: 'open', args: [a('pathname', 'path'), a('flags', 'openflags'), a('mode', 'mode')], ret: 'fd', status: 'partial', classes: ['file', 'desc'],
    note: 'O_TMPFILE unsupported; O_PATH opens for reading underneath', handler: (k, p, flags, mode) => sysOpenat(k, AT_FDCWD, p, flags | 0, mode),
  },
  {
    nr: 257, name: 'openat', args: [a('dirfd', 'dirfd'), a('pathname', 'path'), a('flags', 'openflags'), a('mode', 'mode')], ret: 'fd', status: 'partial', classes: ['file', 'desc'],
    note: 'O_TMPFILE unsupported; O_PATH opens for reading underneath', handler: (k, d, p, flags, mode) => sysOpenat(k, d, p, flags | 0, mode),
  },
  { nr: 85, name: 'creat', args: [a('pathname', 'path'), a('mode', 'mode')], ret: 'fd', status: 'full', classes: ['file', 'desc'], handler: (k, p, mode) => sysOpenat(k, AT_FDCWD, p, O.CREAT | O.WRONLY | O.TRUNC, mode) },
  { nr: 21, name: 'access', args: [a('pathname', 'path'), a('mode', 'accessmode')], ret: 'int', status: 'full', classes: ['file'], note: 'checked with the host user\'s permissions', handler: (k, p, mode) => sysFaccessat(k, AT_FDCWD, p, mode, 0) },
  { nr: 269, name: 'faccessat', args: [a('dirfd', 'dirfd'), a('pathname', 'path'), a('mode', 'accessmode')], ret: 'int', status: 'full', classes: ['file'], note: 'checked with the host user\'s permissions', handler: (k, d, p, mode) => sysFaccessat(k, d, p, mode, 0) },
  {
    nr: 439, name: 'faccessat2', args: [a('dirfd', 'dirfd'), a('pathname', 'path'), a('mode', 'accessmode'), a('flags', 'atflags')], ret: 'int', status: 'full', classes: ['file'],
    note: 'checked with the host user\'s permissions', handler: (k, d, p, mode, flags) => sysFaccessat(k, d, p, mode, flags),
  },
  { nr: 89, name: 'readlink', args: [a('pathname', 'path'), a('buf', 'outbuf', 2), a('bufsiz', 'size')], ret: 'int', status: 'full', classes: ['file'], handler: (k, p, buf, n) => sysReadlinkat(k, AT_FDCWD, p, buf, n) },
  {
    nr: 267, name: 'readlinkat', args: [a('dirfd', 'dirfd'), a('pathname', 'path'), a('buf', 'outbuf', 3), a('bufsiz', 'size')], ret: 'int', status: 'full', classes: ['file'],
    handler: (k, d, p, buf, n) => sysReadlinkat(k, d, p, buf, n),
  },
  { nr: 87, name: 'unlink', args: [a('pathname', 'path')], ret: 'int', status: 'full', classes: ['file'], handler: (k, p) => sysUnlinkat(k, AT_FDCWD, p, 0) },
  { nr: 263, name: 'unlinkat', args: [a('dirfd', 'dirfd'), a('pathname', 'path'), a('flags', 'atflags')], ret: 'int', status: 'full', classes: ['file'], handler: (k, d, p, flags) => sysUnlinkat(k, d, p, flags) },
  { nr: 84, name: 'rmdir', args: [a('pathname', 'path')], ret: 'int', status: 'full', classes: ['file'], handler: (k, p) => sysUnlinkat(k, AT_FDCWD, p, AT_REMOVEDIR) },
  { nr: 83, name: 'mkdir', args: [a('pathname', 'path'), a('mode', 'mode')], ret: 'int', status: 'full', classes: ['file'], handler: (k, p, mode) => sysMkdirat(k, AT_FDCWD, p, mode) },
  { nr: 258, name: 'mkdirat', args: [a('dirfd', 'dirfd'), a('pathname', 'path'), a('mode', 'mode')], ret: 'int', status: 'full', classes: ['file'], handler: (k, d, p, mode) => sysMkdirat(k, d, p, mode) },
  { nr: 82, name: 'rename', args: [a('oldpath', 'path'), a('newpath', 'path')], ret: 'int', status: 'full', classes: ['file'], handler: (k, o, n) => sysRenameat2(k, AT_FDCWD, o, AT_FDCWD, n, 0) },
  {
    nr: 264, name: 'renameat', args: [a('olddirfd', 'dirfd'), a('oldpath', 'path'), a('newdirfd', 'dirfd'), a('newpath', 'path')], ret: 'int', status: 'full', classes: ['file'],
    handler: (k, od, o, nd, n) => sysRenameat2(k, od, o, nd, n, 0),
  },
  {
    nr: 316, name: 'renameat2', args: [a('olddirfd', 'dirfd'), a('oldpath', 'path'), a('newdirfd', 'dirfd'), a('newpath', 'path'), a('flags', 'hex')], ret: 'int', status: 'partial', classes: ['file'],
    note: 'RENAME_NOREPLACE only (checked, then renamed: not atomic); RENAME_EXCHANGE/WHITEOUT are EINVAL', handler: (k, od, o, nd, n, flags) => sysRenameat2(k, od, o, nd, n, flags),
  },
  {
    nr: 76, name: 'truncate', args: [a('path', 'path'), a('length', 'ulong')], ret: 'int', status: 'full', classes: ['file'],
    handler: (k, p, len) => (len < 0 ? -Errno.EINVAL : hostOp(k, AT_FDCWD, p, (h) => {
      if (fs.statSync(h).isDirectory()) throw Object.assign(new Error('EISDIR'), { code: 'EISDIR' });
      fs.truncateSync(h, len);
    })),
  },
  { nr: 88, name: 'symlink', args: [a('target', 'path'), a('linkpath', 'path')], ret: 'int', status: 'full', classes: ['file'], handler: (k, tgt, lp) => sysSymlinkat(k, tgt, AT_FDCWD, lp) },
  { nr: 266, name: 'symlinkat', args: [a('target', 'path'), a('newdirfd', 'dirfd'), a('linkpath', 'path')], ret: 'int', status: 'full', classes: ['file'], handler: (k, tgt, d, lp) => sysSymlinkat(k, tgt, d, lp) },
  { nr: 86, name: 'link', args: [a('oldpath', 'path'), a('newpath', 'path')], ret: 'int', status: 'full', classes: ['file'], handler: (k, o, n) => sysLinkat(k, AT_FDCWD, o, AT_FDCWD, n, 0) },
  {
    nr: 265, name: 'linkat', args: [a('olddirfd', 'dirfd'), a('oldpath', 'path'), a('newdirfd', 'dirfd'), a('newpath', 'path'), a('flags', 'atflags')], ret: 'int', status: 'partial', classes: ['file'],
    note: 'AT_EMPTY_PATH (linking an open file) is accepted but needs a path', handler: (k, od, o, nd, n, flags) => sysLinkat(k, od, o, nd, n, flags),
  },
  { nr: 90, name: 'chmod', args: [a('pathname', 'path'), a('mode', 'mode')], ret: 'int', status: 'full', classes: ['file'], handler: (k, p, mode) => sysFchmodat(k, AT_FDCWD, p, mode) },
  { nr: 268, name: 'fchmodat', args: [a('dirfd', 'dirfd'), a('pathname', 'path'), a('mode', 'mode')], ret: 'int', status: 'full', classes: ['file'], handler: (k, d, p, mode) => sysFchmodat(k, d, p, mode) },
  {
    nr: 91, name: 'fchmod', args: [a('fd', 'fd'), a('mode', 'mode')], ret: 'int', status: 'full', classes: ['desc'],
    handler: (k, fd, mode) => {
      const f = k.file(fd | 0);
      if (!f) return -Errno.EBADF;
      const h = f.hostFd();
      if (h === null) return -Errno.EPERM;
      try { fs.fchmodSync(h, mode & 0o7777); return 0; } catch (e) { return -errnoOf(e); }
    },
  },
  {
    nr: 280, name: 'utimensat', args: [a('dirfd', 'dirfd'), a('pathname', 'path'), a('times', 'ptr'), a('flags', 'atflags')], ret: 'int', status: 'partial', classes: ['file'],
    note: 'UTIME_NOW is the guest\'s clock; times are kept to the microsecond (Node\'s utimes)',
    handler: (k, d, p, times, flags) => {
      if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -Errno.EINVAL;
      const tv = userTimes(k, times, 'ns');
      return typeof tv === 'number' ? tv : setTimes(k, d, p, tv, (flags & AT_SYMLINK_NOFOLLOW) !== 0);
    },
  },
  {
    nr: 235, name: 'utimes', args: [a('filename', 'path'), a('times', 'ptr')], ret: 'int', status: 'full', classes: ['file'],
    handler: (k, p, times) => {
      const tv = userTimes(k, times, 'us');
      return typeof tv === 'number' ? tv : setTimes(k, AT_FDCWD, p, tv, false);
    },
  },
  {
    nr: 261, name: 'futimesat', args: [a('dirfd', 'dirfd'), a('pathname', 'path'), a('times', 'ptr')], ret: 'int', status: 'full', classes: ['file'],
    handler: (k, d, p, times) => {
      const tv = userTimes(k, times, 'us');
      return typeof tv === 'number' ? tv : setTimes(k, d, p, tv, false);
    },
  },
  {
    nr: 132, name: 'utime', args: [a('filename', 'path'), a('times', 'ptr')], ret: 'int', status: 'full', classes: ['file'],
    handler: (k, p, times) => {
      if (!times) return setTimes(k, AT_FDCWD, p, ['now', 'now'], false);
      const v = new DataView(copyFromUser(k, times, 16).buffer); // struct utimbuf {actime, modtime}
      return setTimes(k, AT_FDCWD, p, [v.getBigInt64(0, true) * NS, v.getBigInt64(8, true) * NS], false);
    },
  },
  { nr: 79, name: 'getcwd', args: [a('buf', 'cwd_out'), a('size', 'size')], ret: 'int', status: 'full', classes: ['file'], handler: (k, buf, size) => sysGetcwd(k, buf, size) },
  {
    nr: 80, name: 'chdir', args: [a('path', 'path')], ret: 'int', status: 'full', classes: ['file'],
    handler: (k, p) => {
      const abs = userPathAt(k, AT_FDCWD, p);
      return typeof abs === 'number' ? abs : changeDir(k, abs);
    },
  },
  {
    nr: 81, name: 'fchdir', args: [a('fd', 'fd')], ret: 'int', status: 'full', classes: ['desc'],
    handler: (k, fd) => {
      const f = k.file(fd | 0);
      if (!f) return -Errno.EBADF;
      return changeDir(k, f.path);
    },
  },
];
