// Memory syscalls: brk, mmap, munmap, mprotect (linux/mm/mmap.c, mprotect.c).

import * as fs from 'node:fs';
import { Errno } from '../errno.js';
import { MAP_ANONYMOUS, MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_PRIVATE, MAP_SHARED, pageUp } from '../mm.js';
import { PAGE_SIZE } from '../../cpu/memory.js';
import type { Kernel } from '../kernel.js';
import { a, type SyscallRow } from './types.js';

const TASK_SIZE = 0x7ffffffff000;

export function sysMmap(k: Kernel, addr: number, len: number, prot: number, flags: number, fd: number, off: number): number {
  if (len <= 0 || len > TASK_SIZE) return -Errno.EINVAL;
  if (addr % PAGE_SIZE !== 0 && flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) return -Errno.EINVAL;
  if (off % PAGE_SIZE !== 0 || off < 0) return -Errno.EINVAL;
  const type = flags & 3;
  if (type !== MAP_PRIVATE && type !== MAP_SHARED && type !== 3) return -Errno.EINVAL;
  const size = pageUp(len);
  if (k.mm.mappedBytes() + size > k.mm.memoryCap) return -Errno.ENOMEM;
  let file = null;
  if (!(flags & MAP_ANONYMOUS)) {
    file = k.file(fd | 0);
    if (!file) return -Errno.EBADF;
  }
  let start: number;
  if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
    if (addr + size > TASK_SIZE) return -Errno.ENOMEM;
    if (flags & MAP_FIXED_NOREPLACE && !k.mm.isFree(addr, addr + size)) return -Errno.EEXIST;
    start = addr;
  } else if (addr && addr % PAGE_SIZE === 0 && addr + size <= TASK_SIZE && k.mm.isFree(addr, addr + size)) {
    start = addr;
  } else {
    start = k.mm.findFree(size);
    if (start < 0x10000) return -Errno.ENOMEM;
  }
  let name = '', inode = 0, dev = '00:00';
  if (file) {
    const st = file.stat();
    name = file.path;
    inode = st.ino;
    dev = `${((st.dev >> 8) & 0xfff).toString(16).padStart(2, '0')}:${(st.dev & 0xff).toString(16).padStart(2, '0')}`;
  }
  k.mm.mapRegion(start, size, prot, name, { shared: type === MAP_SHARED, offset: off, inode, dev });
  if (file) {
    // A private file mapping is a copy of the file's pages (reads past EOF within the page are zero).
    const hfd = file.hostFd();
    const data = new Uint8Array(Math.min(len, size));
    let n = 0;
    if (hfd !== null) n = fs.readSync(hfd, data, 0, data.length, off);
    else { const r = file.read(data.length, off); if (typeof r !== 'number') { data.set(r); n = r.length; } }
    k.mem.poke(start, data.subarray(0, n));
  }
  return start;
}

export const MEMORY_SYSCALLS: SyscallRow[] = [
  { nr: 12, name: 'brk', args: [a('addr', 'hex')], ret: 'hex', status: 'full', classes: ['memory'], handler: (k, addr) => (addr === 0 ? k.mm.brk : k.mm.setBrk(addr)) },
  {
    nr: 9, name: 'mmap', args: [a('addr', 'hex'), a('length', 'size'), a('prot', 'prot'), a('flags', 'mapflags'), a('fd', 'fd'), a('offset', 'off')],
    ret: 'hex', status: 'partial', classes: ['memory'], note: 'MAP_SHARED file mappings are private copies',
    handler: sysMmap,
  },
  {
    nr: 11, name: 'munmap', args: [a('addr', 'hex'), a('length', 'size')], ret: 'int', status: 'full', classes: ['memory'],
    handler: (k, addr, len) => {
      if (addr % PAGE_SIZE !== 0 || len <= 0) return -Errno.EINVAL;
      k.mm.unmapRegion(addr, len);
      return 0;
    },
  },
  {
    nr: 10, name: 'mprotect', args: [a('addr', 'hex'), a('length', 'size'), a('prot', 'prot')], ret: 'int', status: 'full', classes: ['memory'],
    handler: (k, addr, len, prot) => {
      if (addr % PAGE_SIZE !== 0) return -Errno.EINVAL;
      if (len === 0) return 0;
      return k.mm.protectRegion(addr, len, prot) ? 0 : -Errno.ENOMEM;
    },
  },
];
