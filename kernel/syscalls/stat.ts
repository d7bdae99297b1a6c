// stat, fstat, lstat, newfstatat and statx (linux/fs/stat.c): struct stat as x86-64 lays it out
// (arch/x86/include/uapi/asm/stat.h, 144 bytes) and struct statx (include/uapi/linux/stat.h, 256 bytes).

import { Errno } from '../errno.js';
import { copyToUser, strFromUser, StructWriter } from '../uaccess.js';
import * as fs from 'node:fs';
import { errnoOf, hostStat, type StatInfo } from '../fs/file.js';
import { AT_EMPTY_PATH, AT_FDCWD, AT_NO_AUTOMOUNT, AT_SYMLINK_NOFOLLOW, hostPath, isProcPath, resolveAt } from '../fs/path.js';
import { procStat } from '../proc.js';
import { procResolve, userPathAt } from './namei.js';
import type { Kernel } from '../kernel.js';
import { a, type SyscallRow } from './types.js';

const NS = 1_000_000_000n;

/** struct stat (x86-64): dev, ino, nlink, mode, uid, gid, rdev, size, blksize, blocks, a/m/ctime. */
export function encodeStat(st: StatInfo): Uint8Array {
  const w = new StructWriter(144);
  w.u64(0, st.dev).u64(8, st.ino).u64(16, st.nlink).u32(24, st.mode).u32(28, st.uid).u32(32, st.gid).u64(40, st.rdev)
    .u64(48, st.size).u64(56, st.blksize).u64(64, st.blocks);
  [st.atimeNs, st.mtimeNs, st.ctimeNs].forEach((t, i) => w.u64(72 + 16 * i, t / NS).u64(80 + 16 * i, t % NS));
  return w.bytes;
}

/** major/minor of a dev_t as glibc's makedev encodes it (and Node reports it). */
export const devMajor = (dev: number) => ((dev >>> 8) & 0xfff) | Math.floor(dev / 2 ** 32) & ~0xfff;
export const devMinor = (dev: number) => (dev & 0xff) | ((dev >>> 12) & ~0xff);

const STATX_BASIC_STATS = 0x7ff;

/** struct statx with the basic fields (STATX_BASIC_STATS); no birth time, attributes or mount id. */
export function encodeStatx(st: StatInfo): Uint8Array {
  const w = new StructWriter(256);
  w.u32(0, STATX_BASIC_STATS).u32(4, st.blksize).u32(16, st.nlink).u32(20, st.uid).u32(24, st.gid).u16(28, st.mode & 0xffff)
    .u64(32, st.ino).u64(40, st.size).u64(48, st.blocks);
  // stx_atime @64, stx_btime @80 (left zero), stx_ctime @96, stx_mtime @112: {s64 sec, u32 nsec, s32 pad}.
  const ts = (off: number, t: bigint) => w.u64(off, t / NS).u32(off + 8, Number(t % NS));
  ts(64, st.atimeNs);
  ts(96, st.ctimeNs);
  ts(112, st.mtimeNs);
  w.u32(128, devMajor(st.rdev)).u32(132, devMinor(st.rdev)).u32(136, devMajor(st.dev)).u32(140, devMinor(st.dev));
  return w.bytes;
}

/** stat an absolute guest path (following the last link unless nofollow): StatInfo or -errno. */
export function statPath(k: Kernel, abs: string, follow: boolean): StatInfo | number {
  if (abs.endsWith('/')) follow = true; // a trailing slash resolves the link to its directory
  if (isProcPath(abs)) {
    const r = procResolve(k, abs, follow);
    if (typeof r === 'number') return r;
    if ('host' in r) return hostStat(hostPath(k, r.host), true);
    if (r.node.kind === 'link' && follow && r.node.file) {
      const f = r.node.file();
      return f ? f.stat() : -Errno.ENOENT;
    }
    return procStat(r.node);
  }
  return hostStat(hostPath(k, abs), follow);
}

/** The common core of the fstatat family: the file named by (dirfd, path, flags). */
function statAt(k: Kernel, dirfd: number, pathAddr: number, flags: number): StatInfo | number {
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | 0x6000 /* AT_STATX_SYNC_TYPE */)) return -Errno.EINVAL;
  const p = strFromUser(k, pathAddr);
  if (p === null) return -Errno.ENAMETOOLONG;
  if (p === '' && flags & AT_EMPTY_PATH) {
    if ((dirfd | 0) === AT_FDCWD) return statPath(k, k.cwd, true);
    const f = k.file(dirfd | 0);
    return f ? f.stat() : -Errno.EBADF;
  }
  const abs = resolveAt(k, dirfd, p);
  if (typeof abs === 'number') return abs;
  return statPath(k, abs, !(flags & AT_SYMLINK_NOFOLLOW));
}

function putStat(k: Kernel, buf: number, st: StatInfo | number): number {
  if (typeof st === 'number') return st;
  copyToUser(k, buf, encodeStat(st));
  return 0;
}

const PROC_SUPER_MAGIC = 0x9fa0;

/** struct statfs (x86-64, 120 bytes) from the host's statfs; /proc answers as procfs. */
function encodeStatfs(k: Kernel, abs: string): Uint8Array | number {
  const w = new StructWriter(120);
  if (isProcPath(abs)) {
    w.u64(0, PROC_SUPER_MAGIC).u64(8, 4096).u64(56, 255).u64(64, 4096);
    return w.bytes;
  }
  let s: fs.StatsFs;
  try {
    s = fs.statfsSync(hostPath(k, abs));
  } catch (e) {
    return -errnoOf(e);
  }
  // f_type, f_bsize, f_blocks, f_bfree, f_bavail, f_files, f_ffree, f_fsid (left 0), f_namelen, f_frsize
  w.u64(0, s.type).u64(8, s.bsize).u64(16, s.blocks).u64(24, s.bfree).u64(32, s.bavail).u64(40, s.files).u64(48, s.ffree)
    .u64(64, 255).u64(72, s.bsize);
  return w.bytes;
}

function putStatfs(k: Kernel, buf: number, r: Uint8Array | number): number {
  if (typeof r === 'number') return r;
  copyToUser(k, buf, r);
  return 0;
}

export const STAT_SYSCALLS: SyscallRow[] = [
  { nr: 4, name: 'stat', args: [a('pathname', 'path'), a('statbuf', 'stat_out')], ret: 'int', status: 'full', classes: ['file', 'stat'], handler: (k, p, buf) => putStat(k, buf, statAt(k, AT_FDCWD, p, 0)) },
  {
    nr: 5, name: 'fstat', args: [a('fd', 'fd'), a('statbuf', 'stat_out')], ret: 'int', status: 'full', classes: ['desc', 'fstat'],
    handler: (k, fd, buf) => {
      const f = k.file(fd | 0);
      return f ? putStat(k, buf, f.stat()) : -Errno.EBADF;
    },
  },
  { nr: 6, name: 'lstat', args: [a('pathname', 'path'), a('statbuf', 'stat_out')], ret: 'int', status: 'full', classes: ['file', 'lstat'], handler: (k, p, buf) => putStat(k, buf, statAt(k, AT_FDCWD, p, AT_SYMLINK_NOFOLLOW)) },
  {
    nr: 262, name: 'newfstatat', args: [a('dirfd', 'dirfd'), a('pathname', 'path'), a('statbuf', 'stat_out'), a('flags', 'atflags')], ret: 'int', status: 'full', classes: ['file', 'desc', 'stat'],
    handler: (k, d, p, buf, flags) => putStat(k, buf, statAt(k, d, p, flags)),
  },
  {
    nr: 137, name: 'statfs', args: [a('path', 'path'), a('buf', 'ptr')], ret: 'int', status: 'partial', classes: ['file', 'statfs'], note: 'from the host; f_fsid and f_flags are zero',
    handler: (k, p, buf) => {
      const abs = userPathAt(k, AT_FDCWD, p);
      return typeof abs === 'number' ? abs : putStatfs(k, buf, encodeStatfs(k, abs));
    },
  },
  {
    nr: 138, name: 'fstatfs', args: [a('fd', 'fd'), a('buf', 'ptr')], ret: 'int', status: 'partial', classes: ['desc', 'statfs'], note: 'from the host; f_fsid and f_flags are zero; pipes and streams answer as the root',
    handler: (k, fd, buf) => {
      const f = k.file(fd | 0);
      if (!f) return -Errno.EBADF;
      return putStatfs(k, buf, encodeStatfs(k, f.path.startsWith('/') ? f.path : '/'));
    },
  },
  {
    nr: 332, name: 'statx', args: [a('dirfd', 'dirfd'), a('pathname', 'path'), a('flags', 'statx_flags'), a('mask', 'statx_mask'), a('statxbuf', 'statx_out')], ret: 'int', status: 'partial', classes: ['file', 'desc', 'stat'],
    note: 'STATX_BASIC_STATS only (no btime, attributes or mount id)',
    handler: (k, d, p, flags, mask, buf) => {
      if (mask & 0x80000000) return -Errno.EINVAL; // STATX__RESERVED
      const st = statAt(k, d, p, flags);
      if (typeof st === 'number') return st;
      copyToUser(k, buf, encodeStatx(st));
      return 0;
    },
  },
];
