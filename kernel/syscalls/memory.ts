// Memory syscalls: brk, mmap, munmap, mprotect, mremap, madvise, msync (linux/mm/mmap.c, mprotect.c,
// mremap.c, madvise.c). The VMAs and the pages live in kernel/mm.ts; every call that grows the
// mappings checks k.mm.memoryCap (ENOMEM), colonel's stand-in for the machine's memory and RLIMIT_AS.

import * as fs from 'node:fs';
import { Errno } from '../errno.js';
import { MAP_ANONYMOUS, MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_PRIVATE, MAP_SHARED, pageUp, type Vma } from '../mm.js';
import { PAGE_SIZE, PROT_READ, PROT_WRITE, PROT_EXEC } from '../../cpu/memory.js';
import { O } from './common.js';
import { devMajor, devMinor } from './stat.js';
import type { Kernel } from '../kernel.js';
import { a, type SyscallRow } from './types.js';

const TASK_SIZE = 0x7ffffffff000;
const MAP_SHARED_VALIDATE = 3;
const PROT_GROWSDOWN = 0x01000000, PROT_GROWSUP = 0x02000000;

const hex2 = (n: number) => n.toString(16).padStart(2, '0');

export function sysMmap(k: Kernel, addr: number, len: number, prot: number, flags: number, fd: number, off: number): number {
  if (len <= 0) return -Errno.EINVAL;
  if (len > TASK_SIZE) return -Errno.ENOMEM; // get_unmapped_area: no room that large
  if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_GROWSDOWN | PROT_GROWSUP)) return -Errno.EINVAL;
  if (addr % PAGE_SIZE !== 0 && flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) return -Errno.EINVAL;
  if (off % PAGE_SIZE !== 0 || off < 0) return -Errno.EINVAL;
  const type = flags & 3;
  if (type !== MAP_PRIVATE && type !== MAP_SHARED && type !== MAP_SHARED_VALIDATE) return -Errno.EINVAL;
  const size = pageUp(len);
  if (k.mm.mappedBytes() + size > k.mm.memoryCap) return -Errno.ENOMEM;
  let file = null;
  if (!(flags & MAP_ANONYMOUS)) {
    file = k.file(fd | 0);
    if (!file) return -Errno.EBADF;
    // Only regular files (and /proc snapshots) can be mapped; the mode must allow what prot asks.
    if (file.flags & O.PATH) return -Errno.EBADF;
    const fmt = file.stat().mode & 0o170000;
    if (fmt !== 0o100000 && fmt !== 0o020000) return -Errno.ENODEV; // directories, pipes, sockets
    const acc = file.flags & O.ACCMODE;
    if (acc === O.WRONLY) return -Errno.EACCES;
    if (type !== MAP_PRIVATE && prot & PROT_WRITE && acc !== O.RDWR) return -Errno.EACCES;
  }
  let start: number;
  if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
    if (addr + size > TASK_SIZE) return -Errno.ENOMEM;
    if (flags & MAP_FIXED_NOREPLACE && !k.mm.isFree(addr, addr + size)) return -Errno.EEXIST;
    start = addr;
  } else {
    // A hint is used if the range is free (rounded up to a page, as get_unmapped_area does).
    const hint = pageUp(addr);
    if (hint >= 0x10000 && hint + size <= TASK_SIZE && k.mm.isFree(hint, hint + size)) start = hint;
    else {
      start = k.mm.findFree(size);
      if (start < 0x10000) return -Errno.ENOMEM;
    }
  }
  let name = '', inode = 0, dev = '00:00';
  if (file) {
    const st = file.stat();
    name = file.path;
    inode = st.ino;
    dev = `${hex2(devMajor(st.dev))}:${hex2(devMinor(st.dev))}`;
  }
  k.mm.mapRegion(start, size, prot, name, { shared: type !== MAP_PRIVATE, offset: off, inode, dev });
  if (file) {
    // A file mapping is a copy of the file's pages (the rest of the last page is zero).
    const hfd = file.hostFd();
    const data = new Uint8Array(Math.min(len, size));
    let n = 0;
    if (hfd !== null) n = fs.readSync(hfd, data, 0, data.length, off);
    else { const r = file.read(data.length, off); if (typeof r !== 'number') { data.set(r); n = r.length; } }
    k.mem.poke(start, data.subarray(0, n));
  }
  return start;
}

const MREMAP_MAYMOVE = 1, MREMAP_FIXED = 2, MREMAP_DONTUNMAP = 4;

/** mremap: shrink in place, grow in place when the pages above are free, else move (MREMAP_MAYMOVE). */
export function sysMremap(k: Kernel, old: number, oldSize: number, newSize: number, flags: number, newAddr: number): number {
  if (old % PAGE_SIZE !== 0) return -Errno.EINVAL;
  if (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP)) return -Errno.EINVAL;
  if (flags & MREMAP_FIXED && !(flags & MREMAP_MAYMOVE)) return -Errno.EINVAL;
  if (flags & MREMAP_DONTUNMAP) return -Errno.EINVAL; // not supported: needs the old range kept mapped empty
  oldSize = pageUp(oldSize);
  newSize = pageUp(newSize);
  if (newSize <= 0 || oldSize <= 0) return -Errno.EINVAL; // oldSize 0 duplicates a shared mapping: not supported
  const vma = k.mm.find(old);
  if (!vma || old + oldSize > vma.end) return -Errno.EFAULT;
  if (flags & MREMAP_FIXED) {
    if (newAddr % PAGE_SIZE !== 0 || newAddr + newSize > TASK_SIZE) return -Errno.EINVAL;
    if (newAddr < old + oldSize && old < newAddr + newSize) return -Errno.EINVAL;
    if (k.mm.mappedBytes() + newSize > k.mm.memoryCap) return -Errno.ENOMEM;
    return moveMapping(k, vma, old, oldSize, newSize, newAddr);
  }
  if (newSize <= oldSize) {
    if (newSize < oldSize) k.mm.unmapRegion(old + newSize, oldSize - newSize);
    return old;
  }
  if (k.mm.mappedBytes() + (newSize - oldSize) > k.mm.memoryCap) return -Errno.ENOMEM;
  const tail = old + oldSize;
  if (tail === vma.end && tail + (newSize - oldSize) <= TASK_SIZE && k.mm.isFree(tail, old + newSize)) {
    k.mm.mapRegion(tail, newSize - oldSize, vma.prot, vma.name, { shared: vma.shared, offset: vma.offset + (tail - vma.start), inode: vma.inode, dev: vma.dev });
    k.mm.merge();
    return old;
  }
  if (!(flags & MREMAP_MAYMOVE)) return -Errno.ENOMEM;
  const to = k.mm.findFree(newSize);
  if (to < 0x10000) return -Errno.ENOMEM;
  return moveMapping(k, vma, old, oldSize, newSize, to);
}

/** Move [old, old+oldSize) to `to` (newSize bytes, the growth zero-filled), keeping the VMA's attributes. */
function moveMapping(k: Kernel, vma: Vma, old: number, oldSize: number, newSize: number, to: number): number {
  const keep = Math.min(oldSize, newSize);
  const saved: Uint8Array[] = [];
  for (let p = 0; p < keep; p += PAGE_SIZE) saved.push(Uint8Array.from(k.mem.page(Math.floor((old + p) / PAGE_SIZE))?.data ?? new Uint8Array(PAGE_SIZE)));
  k.mm.unmapRegion(old, oldSize);
  k.mm.mapRegion(to, newSize, vma.prot, vma.name, { shared: vma.shared, offset: vma.offset + (old - vma.start), inode: vma.inode, dev: vma.dev });
  saved.forEach((data, i) => k.mem.poke(to + i * PAGE_SIZE, data));
  k.mm.merge();
  return to;
}

const MADV = { NORMAL: 0, RANDOM: 1, SEQUENTIAL: 2, WILLNEED: 3, DONTNEED: 4, FREE: 8, REMOVE: 9, DONTFORK: 10, DOFORK: 11, MERGEABLE: 12, UNMERGEABLE: 13, HUGEPAGE: 14, NOHUGEPAGE: 15, DONTDUMP: 16, DODUMP: 17, WIPEONFORK: 18, KEEPONFORK: 19, COLD: 20, PAGEOUT: 21 } as const;
const KNOWN_ADVICE = new Set<number>(Object.values(MADV));

/** madvise: advice is accepted; MADV_DONTNEED/FREE drop private anonymous pages (they read back as zero). */
function sysMadvise(k: Kernel, addr: number, len: number, advice: number): number {
  if (addr % PAGE_SIZE !== 0 || len < 0) return -Errno.EINVAL;
  if (!KNOWN_ADVICE.has(advice)) return -Errno.EINVAL;
  const end = addr + pageUp(len);
  for (let p = addr; p < end; p += PAGE_SIZE) if (!k.mm.find(p)) return -Errno.ENOMEM;
  if (advice === MADV.DONTNEED || advice === MADV.FREE) {
    for (const v of k.mm.vmas) {
      if (v.end <= addr || v.start >= end || v.shared || v.inode !== 0) continue;
      const from = Math.max(v.start, addr), to = Math.min(v.end, end);
      k.mem.poke(from, new Uint8Array(to - from));
    }
  }
  return 0;
}

/**
 * mlock/munlock/mlock2 (mm/mlock.c): the range, widened to whole pages, must be mapped without holes
 * (ENOMEM); colonel's pages never leave memory, so locking changes nothing else. uid 0 has
 * CAP_IPC_LOCK, so RLIMIT_MEMLOCK does not apply.
 */
function sysMlock(k: Kernel, addr: number, len: number): number {
  // As do_mlock computes it, in unsigned 64-bit arithmetic: a length that wraps is EINVAL, or 0 pages.
  const a64 = BigInt.asUintN(64, BigInt(addr)), start = a64 & ~0xfffn;
  const size = BigInt.asUintN(64, BigInt.asUintN(64, BigInt(len)) + (a64 & 0xfffn) + 0xfffn) & ~0xfffn;
  const end = BigInt.asUintN(64, start + size);
  if (end < start) return -Errno.EINVAL;
  if (end === start) return 0;
  if (end > BigInt(TASK_SIZE)) return -Errno.ENOMEM;
  for (let at = Number(start); at < Number(end); ) {
    const v = k.mm.find(at);
    if (!v) return -Errno.ENOMEM;
    at = v.end;
  }
  return 0;
}
const MCL_CURRENT = 1, MCL_FUTURE = 2, MCL_ONFAULT = 4, MLOCK_ONFAULT = 1;

export const MEMORY_SYSCALLS: SyscallRow[] = [
  { nr: 12, name: 'brk', args: [a('addr', 'ptr')], ret: 'hex', status: 'full', classes: ['memory'], handler: (k, addr) => (addr === 0 ? k.mm.brk : k.mm.setBrk(addr)) },
  {
    nr: 9, name: 'mmap', args: [a('addr', 'ptr'), a('length', 'size'), a('prot', 'prot'), a('flags', 'mapflags'), a('fd', 'fd'), a('offset', 'off')],
    ret: 'hex', status: 'partial', classes: ['memory'], note: 'file mappings are copies: MAP_SHARED writes do not reach the file',
    handler: sysMmap,
  },
  {
    nr: 11, name: 'munmap', args: [a('addr', 'ptr'), a('length', 'size')], ret: 'int', status: 'full', classes: ['memory'],
    handler: (k, addr, len) => {
      if (addr % PAGE_SIZE !== 0 || len <= 0 || addr + len > TASK_SIZE) return -Errno.EINVAL;
      k.mm.unmapRegion(addr, len);
      return 0;
    },
  },
  {
    nr: 10, name: 'mprotect', args: [a('addr', 'ptr'), a('length', 'size'), a('prot', 'prot')], ret: 'int', status: 'full', classes: ['memory'],
    handler: (k, addr, len, prot) => {
      if (addr % PAGE_SIZE !== 0 || len < 0) return -Errno.EINVAL;
      if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_GROWSDOWN | PROT_GROWSUP)) return -Errno.EINVAL;
      if (len === 0) return 0;
      return k.mm.protectRegion(addr, len, prot & (PROT_READ | PROT_WRITE | PROT_EXEC)) ? 0 : -Errno.ENOMEM;
    },
  },
  {
    nr: 25, name: 'mremap', args: [a('old_address', 'ptr'), a('old_size', 'size'), a('new_size', 'size'), a('flags', 'mremapflags'), a('new_address', 'mremap_newaddr')],
    ret: 'hex', status: 'partial', classes: ['memory'], note: 'MREMAP_DONTUNMAP and old_size 0 are EINVAL', handler: sysMremap,
  },
  {
    nr: 28, name: 'madvise', args: [a('addr', 'ptr'), a('length', 'size'), a('advice', 'madvice')], ret: 'int', status: 'partial', classes: ['memory'],
    note: 'advice is accepted; MADV_DONTNEED/MADV_FREE zero private anonymous pages (file-backed private pages keep their contents)', handler: (k, addr, len, adv) => sysMadvise(k, addr, len, adv | 0),
  },
  { nr: 149, name: 'mlock', args: [a('addr', 'ptr'), a('len', 'size')], ret: 'int', status: 'full', classes: ['memory'], note: 'checks the range (pages never leave memory)', handler: (k, addr, len) => sysMlock(k, addr, len) },
  { nr: 150, name: 'munlock', args: [a('addr', 'ptr'), a('len', 'size')], ret: 'int', status: 'full', classes: ['memory'], note: 'checks the range', handler: (k, addr, len) => sysMlock(k, addr, len) },
  {
    nr: 325, name: 'mlock2', args: [a('addr', 'ptr'), a('len', 'size'), a('flags', 'hex')], ret: 'int', status: 'full', classes: ['memory'], note: 'checks the range (pages never leave memory)',
    handler: (k, addr, len, flags) => (flags & ~MLOCK_ONFAULT ? -Errno.EINVAL : sysMlock(k, addr, len)),
  },
  {
    nr: 151, name: 'mlockall', args: [a('flags', 'hex')], ret: 'int', status: 'full', classes: ['memory'], note: 'pages never leave memory: only the flags are checked',
    handler: (_k, flags) => (!flags || flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) || flags === MCL_ONFAULT ? -Errno.EINVAL : 0),
  },
  { nr: 152, name: 'munlockall', args: [], ret: 'int', status: 'full', classes: ['memory'], handler: () => 0 },
  {
    nr: 26, name: 'msync', args: [a('addr', 'ptr'), a('length', 'size'), a('flags', 'hex')], ret: 'int', status: 'partial', classes: ['memory'], note: 'checks the range; file mappings are copies, so there is nothing to write back',
    handler: (k, addr, len, flags) => {
      if (addr % PAGE_SIZE !== 0 || flags & ~7 || (flags & 5) === 5) return -Errno.EINVAL;
      for (let p = addr; p < addr + pageUp(len); p += PAGE_SIZE) if (!k.mm.find(p)) return -Errno.ENOMEM;
      return 0;
    },
  },
];
