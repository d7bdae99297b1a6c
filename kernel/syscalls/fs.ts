// File descriptor syscalls: read, write, close and friends (linux/fs/read_write.c, open.c).

import { Errno } from '../errno.js';
import { copyFromUser, copyToUser } from '../uaccess.js';
import type { Kernel } from '../kernel.js';
import { a, type SyscallRow } from './types.js';

const MAX_RW = 0x7ffff000; // MAX_RW_COUNT: Linux caps one read/write at this

export function sysRead(k: Kernel, fd: number, buf: number, count: number, pos?: number): number {
  const f = k.file(fd | 0);
  if (!f) return -Errno.EBADF;
  if (count < 0) return -Errno.EINVAL;
  const data = f.read(Math.min(count, MAX_RW), pos);
  if (typeof data === 'number') return data;
  copyToUser(k, buf, data);
  return data.length;
}

export function sysWrite(k: Kernel, fd: number, buf: number, count: number, pos?: number): number {
  const f = k.file(fd | 0);
  if (!f) return -Errno.EBADF;
  if (count < 0) return -Errno.EINVAL;
  return f.write(copyFromUser(k, buf, Math.min(count, MAX_RW)), pos);
}

/** The iovec array of readv/writev: {base, len} pairs. */
export function readIovec(k: Kernel, iov: number, iovcnt: number): { base: number; len: number }[] | number {
  if (iovcnt < 0 || iovcnt > 1024) return -Errno.EINVAL;
  const raw = copyFromUser(k, iov, iovcnt * 16);
  const v = new DataView(raw.buffer);
  const out = [];
  for (let i = 0; i < iovcnt; i++) out.push({ base: Number(v.getBigInt64(i * 16, true)), len: Number(v.getBigUint64(i * 16 + 8, true)) });
  return out;
}

export const FS_SYSCALLS: SyscallRow[] = [
  { nr: 0, name: 'read', args: [a('fd', 'fd'), a('buf', 'outbuf', 2), a('count', 'size')], ret: 'int', status: 'full', classes: ['desc'], handler: (k, fd, buf, n) => sysRead(k, fd, buf, n) },
  { nr: 1, name: 'write', args: [a('fd', 'fd'), a('buf', 'inbuf', 2), a('count', 'size')], ret: 'int', status: 'full', classes: ['desc'], handler: (k, fd, buf, n) => sysWrite(k, fd, buf, n) },
  {
    nr: 20, name: 'writev', args: [a('fd', 'fd'), a('iov', 'iovec_in', 2), a('iovcnt', 'int')], ret: 'int', status: 'full', classes: ['desc'],
    handler: (k, fd, iov, cnt) => {
      const f = k.file(fd | 0);
      if (!f) return -Errno.EBADF;
      const vec = readIovec(k, iov, cnt);
      if (typeof vec === 'number') return vec;
      const parts = vec.map((e) => copyFromUser(k, e.base, e.len));
      const all = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
      let off = 0;
      for (const p of parts) { all.set(p, off); off += p.length; }
      return f.write(all);
    },
  },
  {
    nr: 3, name: 'close', args: [a('fd', 'fd')], ret: 'int', status: 'full', classes: ['desc'],
    handler: (k, fd) => {
      const f = k.file(fd | 0);
      if (!f) return -Errno.EBADF;
      k.fds.delete(fd | 0);
      if (--f.refs === 0) f.close();
      return 0;
    },
  },
];
