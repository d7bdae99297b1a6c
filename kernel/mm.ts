// A process's address space: the list of virtual memory areas (VMAs) the kernel keeps
// (linux/mm/mmap.c, fs/proc/task_mmu.c), backed by GuestMemory pages. mmap, munmap, mprotect and brk
// edit the VMAs and the pages together; /proc/self/maps is printed from the VMAs.

import { GuestMemory, PAGE_SIZE, PROT_READ, PROT_WRITE, PROT_EXEC } from '../cpu/memory.js';

export const MAP_SHARED = 0x01;
export const MAP_PRIVATE = 0x02;
export const MAP_FIXED = 0x10;
export const MAP_ANONYMOUS = 0x20;
export const MAP_GROWSDOWN = 0x100;
export const MAP_FIXED_NOREPLACE = 0x100000;

export interface Vma {
  start: number;
  end: number;
  prot: number;
  shared: boolean;
  /** What /proc/self/maps shows after the inode: a path, [heap], [stack], [vdso], ... or ''. */
  name: string;
  offset: number;
  dev: string;
  inode: number;
}

export const pageUp = (n: number) => Math.ceil(n / PAGE_SIZE) * PAGE_SIZE;
export const pageDown = (n: number) => Math.floor(n / PAGE_SIZE) * PAGE_SIZE;

export class AddressSpace {
  vmas: Vma[] = [];
  brkStart = 0;
  brk = 0;
  /** Top of the region where mmap places mappings without a hint (grows down). */
  mmapBase = 0;
  /** Lowest address the stack may grow down to (stack top minus RLIMIT_STACK). */
  stackLimit = 0;
  /** The vsyscall page: not a VMA of the process (a gate area), but listed last in maps. */
  gate: Vma | null = null;
  /** Bytes a guest may have mapped at once (mmap and brk fail with ENOMEM past it). */
  memoryCap = 4 * 1024 ** 3;

  constructor(readonly mem: GuestMemory) {}

  find(addr: number): Vma | undefined {
    return this.vmas.find((v) => addr >= v.start && addr < v.end);
  }

  mappedBytes(): number {
    let n = 0;
    for (const v of this.vmas) n += v.end - v.start;
    return n;
  }

  /** Remove [start, end) from the VMA list, splitting VMAs that straddle the edges. */
  private carve(start: number, end: number): void {
    const out: Vma[] = [];
    for (const v of this.vmas) {
      if (v.end <= start || v.start >= end) { out.push(v); continue; }
      if (v.start < start) out.push({ ...v, end: start });
      if (v.end > end) out.push({ ...v, start: end, offset: v.offset + (end - v.start) });
    }
    this.vmas = out;
  }

  private insert(v: Vma): void {
    this.vmas.push(v);
    this.vmas.sort((a, b) => a.start - b.start);
  }

  isFree(start: number, end: number): boolean {
    return !this.vmas.some((v) => v.start < end && v.end > start);
  }

  /** A free range of `len` bytes below mmapBase, top-down as Linux's default allocator. */
  findFree(len: number, below = this.mmapBase): number {
    let top = below;
    const sorted = [...this.vmas].sort((a, b) => b.start - a.start);
    for (const v of sorted) {
      if (v.start >= top) continue;
      if (v.end <= top - len) break;
      top = Math.min(top, v.start);
    }
    return top - len;
  }

  /** Map [start, start+len) with fresh zeroed pages and record the VMA (replacing anything there). */
  mapRegion(start: number, len: number, prot: number, name = '', extra: Partial<Vma> = {}): Vma {
    const end = start + pageUp(len);
    this.carve(start, end);
    this.mem.map(start, end - start, toPageProt(prot));
    const v: Vma = { start, end, prot, shared: false, name, offset: 0, dev: '00:00', inode: 0, ...extra };
    this.insert(v);
    return v;
  }

  unmapRegion(start: number, len: number): void {
    const end = start + pageUp(len);
    this.carve(start, end);
    this.mem.unmap(start, end - start);
  }

  protectRegion(start: number, len: number, prot: number): boolean {
    const end = start + pageUp(len);
    // Linux fails with ENOMEM if any page of the range is unmapped.
    for (let a = start; a < end; a += PAGE_SIZE) if (!this.find(a)) return false;
    const touched = this.vmas.filter((v) => v.start < end && v.end > start);
    this.carve(start, end);
    for (const v of touched) this.insert({ ...v, start: Math.max(v.start, start), end: Math.min(v.end, end), offset: v.offset + Math.max(0, start - v.start), prot });
    this.mem.protect(start, end - start, toPageProt(prot));
    this.merge();
    return true;
  }

  /** Join neighbouring anonymous VMAs with equal attributes, as the kernel's vma_merge does. */
  merge(): void {
    const out: Vma[] = [];
    for (const v of this.vmas) {
      const last = out[out.length - 1];
      if (last && last.end === v.start && last.prot === v.prot && last.name === v.name && last.inode === v.inode && last.shared === v.shared &&
        (last.inode === 0 || last.offset + (last.end - last.start) === v.offset)) {
        last.end = v.end;
      } else out.push({ ...v });
    }
    this.vmas = out;
  }

  /** brk(2): move the program break; returns the new break (the old one on failure). */
  setBrk(addr: number): number {
    if (addr < this.brkStart) return this.brk;
    const oldTop = pageUp(this.brk), newTop = pageUp(addr);
    if (newTop > oldTop) {
      if (!this.isFree(oldTop, newTop) || this.mappedBytes() + (newTop - oldTop) > this.memoryCap) return this.brk;
      this.mem.map(oldTop, newTop - oldTop, PROT_READ | PROT_WRITE);
      const heap = this.vmas.find((v) => v.name === '[heap]');
      if (heap) heap.end = newTop;
      else this.insert({ start: pageUp(this.brkStart), end: newTop, prot: PROT_READ | PROT_WRITE, shared: false, name: '[heap]', offset: 0, dev: '00:00', inode: 0 });
    } else if (newTop < oldTop) {
      this.mem.unmap(newTop, oldTop - newTop);
      const heap = this.vmas.find((v) => v.name === '[heap]');
      if (heap) {
        heap.end = newTop;
        if (heap.end <= heap.start) this.vmas = this.vmas.filter((v) => v !== heap);
      }
    }
    this.brk = addr;
    return addr;
  }

  /** Grow the stack VMA down to cover `addr`, if that is a legal stack access. */
  growStack(addr: number): boolean {
    const stack = this.vmas.find((v) => v.name === '[stack]');
    if (!stack || addr >= stack.start || addr < this.stackLimit) return false;
    const newStart = pageDown(addr);
    if (!this.isFree(newStart, stack.start)) return false;
    this.mem.map(newStart, stack.start - newStart, PROT_READ | PROT_WRITE);
    stack.start = newStart;
    return true;
  }

  /** /proc/self/maps, in the kernel's format (fs/proc/task_mmu.c show_map_vma). */
  procMaps(): string {
    let out = '';
    for (const v of this.vmas) {
      if (v === this.gate) continue;
      const perms = (v.prot & PROT_READ ? 'r' : '-') + (v.prot & PROT_WRITE ? 'w' : '-') + (v.prot & PROT_EXEC ? 'x' : '-') + (v.shared ? 's' : 'p');
      let line = `${hex8(v.start)}-${hex8(v.end)} ${perms} ${v.offset.toString(16).padStart(8, '0')} ${v.dev} ${v.inode} `;
      if (v.name) line = line.padEnd(73, ' ') + v.name;
      out += line + '\n';
    }
    if (this.gate) out += `${hex8(this.gate.start)}-${hex8(this.gate.end)} ${this.gate.prot & PROT_READ ? 'r' : '-'}-${this.gate.prot & PROT_EXEC ? 'x' : '-'}p 00000000 00:00 0`.padEnd(73, ' ') + this.gate.name + '\n';
    return out;
  }
}

function hex8(a: number): string {
  const s = a < 0 ? (BigInt(a) + (1n << 64n)).toString(16) : a.toString(16);
  return s.padStart(8, '0');
}

/**
 * PROT_* as the x86-64 page tables hold them: there is no write-only or execute-only page, so write
 * or exec imply read (the VMA keeps the requested bits, which /proc/self/maps shows).
 */
export function toPageProt(prot: number): number {
  const p = prot & (PROT_READ | PROT_WRITE | PROT_EXEC);
  return p & (PROT_WRITE | PROT_EXEC) ? p | PROT_READ : p;
}
