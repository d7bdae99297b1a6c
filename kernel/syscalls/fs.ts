// File descriptor syscalls: read and write in all their forms, lseek, close, dup, fcntl, pipe,
// ftruncate, fsync and getdents64 (linux/fs/read_write.c, open.c, file.c, fcntl.c, pipe.c, readdir.c).
// Paths (open, stat, unlink...) are in namei.ts and stat.ts; ioctl and poll in misc.ts.

import * as fs from 'node:fs';
import { Errno } from '../errno.js';
import { copyFromUser, copyToUser, StructWriter } from '../uaccess.js';
import { HostFile, errnoOf, type OpenFile } from '../fs/file.js';
import { isDirectory } from '../fs/dir.js';
import { Pipe, PipeEnd } from '../fs/pipe.js';
import { flockFile } from '../fs/flock.js';
import { O, closeFd, installFd, lowestFreeFd, wouldBlockForever } from './common.js';
import { sendSignal } from './signal.js';
import type { Kernel } from '../kernel.js';
import { a, type SyscallRow } from './types.js';

const MAX_RW = 0x7ffff000; // MAX_RW_COUNT: Linux caps one read/write at this
const SIGPIPE = 13;

/** A file opened with O_PATH only names a file: no reads, writes or ioctls. */
const pathOnly = (f: OpenFile) => (f.flags & O.PATH) !== 0;

/** Map the pipe ends' special results: EDEADLK (a wait nobody can end) and EPIPE (raise SIGPIPE). */
function ioResult(k: Kernel, r: number, what: string): number {
  if (r === -Errno.EDEADLK) return wouldBlockForever(k, what);
  if (r === -Errno.EPIPE) sendSignal(k, SIGPIPE);
  return r;
}

export function sysRead(k: Kernel, fd: number, buf: number, count: number, pos?: number): number {
  const f = k.file(fd | 0);
  if (!f || pathOnly(f)) return -Errno.EBADF;
  if (count < 0) return -Errno.EINVAL;
  const data = f.read(Math.min(count, MAX_RW), pos);
  if (typeof data === 'number') return ioResult(k, data, 'read from an empty pipe');
  copyToUser(k, buf, data);
  return data.length;
}

export function sysWrite(k: Kernel, fd: number, buf: number, count: number, pos?: number): number {
  const f = k.file(fd | 0);
  if (!f || pathOnly(f)) return -Errno.EBADF;
  if (count < 0) return -Errno.EINVAL;
  return ioResult(k, f.write(copyFromUser(k, buf, Math.min(count, MAX_RW)), pos), 'write to a full pipe');
}

/** The iovec array of readv/writev: {base, len} pairs. */
export function readIovec(k: Kernel, iov: number, iovcnt: number): { base: number; len: number }[] | number {
  if (iovcnt < 0 || iovcnt > 1024) return -Errno.EINVAL;
  const raw = copyFromUser(k, iov, iovcnt * 16);
  const v = new DataView(raw.buffer);
  const out = [];
  let total = 0;
  for (let i = 0; i < iovcnt; i++) {
    const len = Number(v.getBigInt64(i * 16 + 8, true));
    if (len < 0 || (total += len) > 0x7fffffffffff) return -Errno.EINVAL;
    out.push({ base: Number(v.getBigInt64(i * 16, true)), len });
  }
  return out;
}

/** writev/pwritev: gather the buffers into one write, so a pipe or a terminal sees it whole. */
function sysWritev(k: Kernel, fd: number, iov: number, cnt: number, pos?: number): number {
  const f = k.file(fd | 0);
  if (!f || pathOnly(f)) return -Errno.EBADF;
  const vec = readIovec(k, iov, cnt);
  if (typeof vec === 'number') return vec;
  const parts = vec.map((e) => copyFromUser(k, e.base, Math.min(e.len, MAX_RW)));
  const all = new Uint8Array(Math.min(MAX_RW, parts.reduce((s, p) => s + p.length, 0)));
  let off = 0;
  for (const p of parts) { all.set(p.subarray(0, all.length - off), off); off += Math.min(p.length, all.length - off); }
  return ioResult(k, f.write(all, pos), 'write to a full pipe');
}

/** readv/preadv: one read of the total length, scattered into the buffers. */
function sysReadv(k: Kernel, fd: number, iov: number, cnt: number, pos?: number): number {
  const f = k.file(fd | 0);
  if (!f || pathOnly(f)) return -Errno.EBADF;
  const vec = readIovec(k, iov, cnt);
  if (typeof vec === 'number') return vec;
  const data = f.read(Math.min(MAX_RW, vec.reduce((s, e) => s + e.len, 0)), pos);
  if (typeof data === 'number') return ioResult(k, data, 'read from an empty pipe');
  let off = 0;
  for (const e of vec) {
    if (off >= data.length) break;
    const n = Math.min(e.len, data.length - off);
    copyToUser(k, e.base, data.subarray(off, off + n));
    off += n;
  }
  return data.length;
}

/** pread/pwrite need a seekable file (host files decide for themselves). */
function positional(k: Kernel, fd: number, pos: number): number {
  const f = k.file(fd | 0);
  if (!f) return -Errno.EBADF;
  if (pos < 0) return -Errno.EINVAL;
  if (!(f instanceof HostFile) && f.seek(0, 1) === -Errno.ESPIPE) return -Errno.ESPIPE;
  return 0;
}

const SEEK_DATA = 3, SEEK_HOLE = 4;

function sysLseek(k: Kernel, fd: number, off: number, whence: number): number {
  const f = k.file(fd | 0);
  if (!f) return -Errno.EBADF;
  if (whence === SEEK_DATA || whence === SEEK_HOLE) {
    const st = f.stat();
    if ((st.mode & 0o170000) !== 0o100000) return f.seek(off, whence) === -Errno.ESPIPE ? -Errno.ESPIPE : -Errno.EINVAL;
    if (off < 0 || off >= st.size) return -Errno.ENXIO;
    return f.seek(whence === SEEK_DATA ? off : st.size, 0); // no holes: data runs to the end
  }
  if (whence < 0 || whence > 2) return -Errno.EINVAL;
  return f.seek(off, whence);
}

function dupTo(k: Kernel, oldfd: number, newfd: number, cloexec: boolean): number {
  const f = k.file(oldfd);
  if (!f) return -Errno.EBADF;
  if (newfd < 0 || newfd >= k.fdLimit()) return -Errno.EBADF;
  if (newfd !== oldfd) {
    if (k.fds.has(newfd)) closeFd(k, newfd);
    k.fds.set(newfd, f);
    f.refs++;
  }
  if (cloexec) k.cloexec.add(newfd);
  else k.cloexec.delete(newfd);
  return newfd;
}

function dupLowest(k: Kernel, oldfd: number, min: number, cloexec: boolean): number {
  const f = k.file(oldfd);
  if (!f) return -Errno.EBADF;
  f.refs++;
  return installFd(k, f, cloexec, min);
}

const F = {
  DUPFD: 0, GETFD: 1, SETFD: 2, GETFL: 3, SETFL: 4, GETLK: 5, SETLK: 6, SETLKW: 7, SETOWN: 8, GETOWN: 9, SETSIG: 10, GETSIG: 11,
  OFD_GETLK: 36, OFD_SETLK: 37, OFD_SETLKW: 38, DUPFD_CLOEXEC: 1030, SETPIPE_SZ: 1031, GETPIPE_SZ: 1032,
} as const;
const FD_CLOEXEC = 1;
const F_UNLCK = 2;
/** What F_SETFL may change (fs/fcntl.c SETFL_MASK). */
const SETFL_MASK = O.APPEND | O.NONBLOCK | O.ASYNC | O.DIRECT | O.NOATIME;

function sysFcntl(k: Kernel, fd: number, cmd: number, arg: number): number {
  fd |= 0;
  const f = k.file(fd);
  if (!f) return -Errno.EBADF;
  switch (cmd) {
    case F.DUPFD: case F.DUPFD_CLOEXEC:
      if (arg < 0 || arg >= k.fdLimit()) return -Errno.EINVAL;
      return dupLowest(k, fd, arg, cmd === F.DUPFD_CLOEXEC);
    case F.GETFD: return k.cloexec.has(fd) ? FD_CLOEXEC : 0;
    case F.SETFD:
      if (arg & FD_CLOEXEC) k.cloexec.add(fd);
      else k.cloexec.delete(fd);
      return 0;
    case F.GETFL: return f.flags & ~(O.CREAT | O.EXCL | O.NOCTTY | O.TRUNC | O.CLOEXEC);
    case F.SETFL:
      f.flags = (f.flags & ~SETFL_MASK) | (arg & SETFL_MASK);
      return 0;
    case F.GETLK: case F.OFD_GETLK:
      // One process holds every lock there is, so no lock ever conflicts: l_type = F_UNLCK.
      copyToUser(k, arg, new StructWriter(2).u16(0, F_UNLCK).bytes);
      return 0;
    case F.SETLK: case F.SETLKW: case F.OFD_SETLK: case F.OFD_SETLKW:
      copyFromUser(k, arg, 32);
      return 0;
    case F.SETOWN: case F.SETSIG: return 0;
    case F.GETOWN: case F.GETSIG: return 0;
    case F.GETPIPE_SZ:
      return f instanceof PipeEnd ? f.pipe.capacity : -Errno.EBADF;
    case F.SETPIPE_SZ: {
      if (!(f instanceof PipeEnd)) return -Errno.EBADF;
      if (arg < 0 || arg > 1024 * 1024) return arg < 0 ? -Errno.EINVAL : -Errno.EPERM;
      const size = Math.max(4096, 2 ** Math.ceil(Math.log2(Math.max(arg, 1))));
      if (size < f.pipe.size) return -Errno.EBUSY;
      return (f.pipe.capacity = size);
    }
    default:
      return -Errno.EINVAL;
  }
}

function sysPipe2(k: Kernel, fdsAddr: number, flags: number): number {
  if (flags & ~(O.CLOEXEC | O.NONBLOCK | O.DIRECT)) return -Errno.EINVAL;
  const first = lowestFreeFd(k);
  if (first < 0) return first;
  const pipe = new Pipe();
  const r = new PipeEnd(pipe, 'read'), w = new PipeEnd(pipe, 'write');
  r.flags |= flags & O.NONBLOCK;
  w.flags |= flags & O.NONBLOCK;
  const rfd = installFd(k, r, (flags & O.CLOEXEC) !== 0);
  if (rfd < 0) { w.close(); return rfd; }
  const wfd = installFd(k, w, (flags & O.CLOEXEC) !== 0);
  if (wfd < 0) { closeFd(k, rfd); return wfd; }
  try {
    copyToUser(k, fdsAddr, new StructWriter(8).i32(0, rfd).i32(4, wfd).bytes);
  } catch (e) {
    closeFd(k, rfd);
    closeFd(k, wfd);
    throw e;
  }
  return 0;
}

function sysFtruncate(k: Kernel, fd: number, len: number): number {
  const f = k.file(fd | 0);
  if (!f) return -Errno.EBADF;
  if (len < 0) return -Errno.EINVAL;
  const h = f.hostFd();
  if (h === null || (f.flags & O.ACCMODE) === O.RDONLY || (f.stat().mode & 0o170000) !== 0o100000) return -Errno.EINVAL;
  try { fs.ftruncateSync(h, len); return 0; } catch (e) { return -errnoOf(e); }
}

function sysFsync(k: Kernel, fd: number, dataOnly: boolean): number {
  const f = k.file(fd | 0);
  if (!f) return -Errno.EBADF;
  if (f instanceof PipeEnd) return -Errno.EINVAL;
  const h = f.hostFd();
  if (h === null) return 0;
  try { (dataOnly ? fs.fdatasyncSync : fs.fsyncSync)(h); return 0; } catch (e) {
    const r = errnoOf(e);
    return r === Errno.EINVAL ? 0 : -r; // a terminal or /dev/null cannot sync: nothing to do
  }
}

/** getdents64 (and the old getdents): as many whole records as fit, each 8-byte aligned. */
function sysGetdents(k: Kernel, fd: number, dirp: number, count: number, is64: boolean): number {
  const f = k.file(fd | 0);
  if (!f) return -Errno.EBADF;
  if (!isDirectory(f)) return -Errno.ENOTDIR;
  const list = f.entries();
  const out = new Uint8Array(Math.max(0, Math.min(count, 1 << 20)));
  const view = new DataView(out.buffer);
  let used = 0;
  while (f.dirPos < list.length) {
    const e = list[f.dirPos];
    const name = Buffer.from(e.name, 'utf8');
    // linux_dirent64: ino u64, off s64, reclen u16, type u8, name; linux_dirent: ino, off, reclen, name, pad, type.
    const reclen = Math.ceil((is64 ? 19 + name.length + 1 : 18 + name.length + 2) / 8) * 8;
    if (used + reclen > out.length) {
      if (used === 0) return -Errno.EINVAL;
      break;
    }
    view.setBigUint64(used, BigInt(e.ino), true);
    view.setBigInt64(used + 8, BigInt(f.dirPos + 1), true);
    view.setUint16(used + 16, reclen, true);
    if (is64) { out[used + 18] = e.type; out.set(name, used + 19); }
    else { out.set(name, used + 18); out[used + reclen - 1] = e.type; }
    used += reclen;
    f.dirPos++;
  }
  copyToUser(k, dirp, out.subarray(0, used));
  return used;
}

/** sendfile: copy between descriptors inside the kernel, from *offset (then advanced) or the file position. */
function sysSendfile(k: Kernel, outFd: number, inFd: number, offAddr: number, count: number): number {
  const out = k.file(outFd | 0), inp = k.file(inFd | 0);
  if (!out || !inp || pathOnly(out) || pathOnly(inp)) return -Errno.EBADF;
  if (count < 0) return -Errno.EINVAL;
  let pos: number | undefined;
  if (offAddr) {
    pos = Number(new DataView(copyFromUser(k, offAddr, 8).buffer).getBigInt64(0, true));
    if (pos < 0) return -Errno.EINVAL;
  }
  const data = inp.read(Math.min(count, MAX_RW, 1 << 24), pos);
  if (typeof data === 'number') return ioResult(k, data, 'sendfile from an empty pipe');
  if (data.length === 0) return 0;
  const n = ioResult(k, out.write(data), 'sendfile to a full pipe');
  if (n < 0) return n;
  // What was read but not written goes back: to *offset, or by moving the input's position back.
  if (offAddr) copyToUser(k, offAddr, new StructWriter(8).u64(0, pos! + n).bytes);
  else if (n < data.length) inp.seek(n - data.length, 1);
  return n;
}

export const FS_SYSCALLS: SyscallRow[] = [
  { nr: 0, name: 'read', args: [a('fd', 'fd'), a('buf', 'outbuf', 2), a('count', 'size')], ret: 'int', status: 'full', classes: ['desc'], handler: (k, fd, buf, n) => sysRead(k, fd, buf, n) },
  { nr: 1, name: 'write', args: [a('fd', 'fd'), a('buf', 'inbuf', 2), a('count', 'size')], ret: 'int', status: 'full', classes: ['desc'], handler: (k, fd, buf, n) => sysWrite(k, fd, buf, n) },
  { nr: 3, name: 'close', args: [a('fd', 'fd')], ret: 'int', status: 'full', classes: ['desc'], handler: (k, fd) => closeFd(k, fd | 0) },
  { nr: 8, name: 'lseek', args: [a('fd', 'fd'), a('offset', 'off'), a('whence', 'whence')], ret: 'int', status: 'full', classes: ['desc'], note: 'SEEK_DATA/SEEK_HOLE see no holes', handler: (k, fd, off, wh) => sysLseek(k, fd, off, wh | 0) },
  {
    nr: 17, name: 'pread64', args: [a('fd', 'fd'), a('buf', 'outbuf', 2), a('count', 'size'), a('pos', 'off')], ret: 'int', status: 'full', classes: ['desc'],
    handler: (k, fd, buf, n, pos) => positional(k, fd, pos) || sysRead(k, fd, buf, n, pos),
  },
  {
    nr: 18, name: 'pwrite64', args: [a('fd', 'fd'), a('buf', 'inbuf', 2), a('count', 'size'), a('pos', 'off')], ret: 'int', status: 'full', classes: ['desc'],
    handler: (k, fd, buf, n, pos) => positional(k, fd, pos) || sysWrite(k, fd, buf, n, pos),
  },
  { nr: 19, name: 'readv', args: [a('fd', 'fd'), a('iov', 'iovec_out', 2), a('iovcnt', 'int')], ret: 'int', status: 'full', classes: ['desc'], handler: (k, fd, iov, cnt) => sysReadv(k, fd, iov, cnt) },
  { nr: 20, name: 'writev', args: [a('fd', 'fd'), a('iov', 'iovec_in', 2), a('iovcnt', 'int')], ret: 'int', status: 'full', classes: ['desc'], handler: (k, fd, iov, cnt) => sysWritev(k, fd, iov, cnt) },
  {
    nr: 295, name: 'preadv', args: [a('fd', 'fd'), a('iov', 'iovec_out', 2), a('iovcnt', 'int'), a('pos', 'off')], ret: 'int', status: 'full', classes: ['desc'],
    handler: (k, fd, iov, cnt, pos) => positional(k, fd, pos) || sysReadv(k, fd, iov, cnt, pos),
  },
  {
    nr: 296, name: 'pwritev', args: [a('fd', 'fd'), a('iov', 'iovec_in', 2), a('iovcnt', 'int'), a('pos', 'off')], ret: 'int', status: 'full', classes: ['desc'],
    handler: (k, fd, iov, cnt, pos) => positional(k, fd, pos) || sysWritev(k, fd, iov, cnt, pos),
  },
  { nr: 32, name: 'dup', args: [a('oldfd', 'fd')], ret: 'fd', status: 'full', classes: ['desc'], handler: (k, fd) => dupLowest(k, fd | 0, 0, false) },
  { nr: 33, name: 'dup2', args: [a('oldfd', 'fd'), a('newfd', 'fd')], ret: 'fd', status: 'full', classes: ['desc'], handler: (k, o, n) => dupTo(k, o | 0, n | 0, false) },
  {
    nr: 292, name: 'dup3', args: [a('oldfd', 'fd'), a('newfd', 'fd'), a('flags', 'openflags')], ret: 'fd', status: 'full', classes: ['desc'],
    handler: (k, o, n, flags) => ((flags & ~O.CLOEXEC) || (o | 0) === (n | 0) ? -Errno.EINVAL : dupTo(k, o | 0, n | 0, (flags & O.CLOEXEC) !== 0)),
  },
  {
    nr: 72, name: 'fcntl', args: [a('fd', 'fd'), a('cmd', 'fcntlcmd'), a('arg', 'fcntlarg')], ret: 'int', status: 'partial', classes: ['desc'],
    note: 'record locks always succeed (one process); F_SETOWN/F_SETSIG are accepted and ignored; no leases, notify or seals',
    handler: (k, fd, cmd, arg) => sysFcntl(k, fd, cmd | 0, arg),
  },
  {
    nr: 73, name: 'flock', args: [a('fd', 'fd'), a('operation', 'flockop')], ret: 'int', status: 'partial', classes: ['desc'],
    note: 'a wait for a lock this process itself holds through another open file returns EDEADLK; operation prints as a number',
    handler: (k, fd, op) => flockFile(k, k.file(fd | 0), op >>> 0, () => wouldBlockForever(k, 'flock')),
  },
  { nr: 22, name: 'pipe', args: [a('pipefd', 'fds_out')], ret: 'int', status: 'partial', classes: ['desc'], note: 'a wait on a pipe that can never end returns EDEADLK', handler: (k, p) => sysPipe2(k, p, 0) },
  { nr: 293, name: 'pipe2', args: [a('pipefd', 'fds_out'), a('flags', 'openflags')], ret: 'int', status: 'partial', classes: ['desc'], note: 'a wait on a pipe that can never end returns EDEADLK; O_DIRECT is accepted as a plain pipe', handler: (k, p, flags) => sysPipe2(k, p, flags | 0) },
  { nr: 77, name: 'ftruncate', args: [a('fd', 'fd'), a('length', 'ulong')], ret: 'int', status: 'full', classes: ['desc'], handler: (k, fd, len) => sysFtruncate(k, fd, len) },
  { nr: 74, name: 'fsync', args: [a('fd', 'fd')], ret: 'int', status: 'full', classes: ['desc'], handler: (k, fd) => sysFsync(k, fd, false) },
  { nr: 75, name: 'fdatasync', args: [a('fd', 'fd')], ret: 'int', status: 'full', classes: ['desc'], handler: (k, fd) => sysFsync(k, fd, true) },
  { nr: 217, name: 'getdents64', args: [a('fd', 'fd'), a('dirp', 'dirents_out'), a('count', 'size')], ret: 'int', status: 'full', classes: ['desc'], handler: (k, fd, d, n) => sysGetdents(k, fd, d, n, true) },
  { nr: 78, name: 'getdents', args: [a('fd', 'fd'), a('dirp', 'dirents_out'), a('count', 'size')], ret: 'int', status: 'full', classes: ['desc'], handler: (k, fd, d, n) => sysGetdents(k, fd, d, n, false) },
  {
    nr: 40, name: 'sendfile', args: [a('out_fd', 'fd'), a('in_fd', 'fd'), a('offset', 'ptr'), a('count', 'size')], ret: 'int', status: 'full', classes: ['desc'],
    handler: (k, o, i, off, n) => sysSendfile(k, o, i, off, n),
  },
  {
    nr: 436, name: 'close_range', args: [a('first', 'fd'), a('last', 'fd'), a('flags', 'hex')], ret: 'int', status: 'full', classes: ['desc'],
    handler: (k, first, last, flags) => {
      const CLOSE_RANGE_UNSHARE = 2, CLOSE_RANGE_CLOEXEC = 4;
      if (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)) return -Errno.EINVAL;
      const lo = first >>> 0, hi = last >>> 0;
      if (lo > hi) return -Errno.EINVAL;
      for (const fd of [...k.fds.keys()]) {
        if (fd < lo || fd > hi) continue;
        if (flags & CLOSE_RANGE_CLOEXEC) k.cloexec.add(fd);
        else closeFd(k, fd);
      }
      return 0;
    },
  },
];
