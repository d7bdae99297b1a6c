// Guest memory: a sparse set of 4 KiB pages with read/write/execute permissions, as the MMU sees them.
//
// Addresses are JavaScript numbers holding the *signed* 64-bit value of a canonical address, so the
// lower half (0 .. 2^47) and the upper half (-2^47 .. 0, where the vsyscall page lives) are both exact.
// Anything outside [-2^47, 2^47) is non-canonical: the CPU raises #GP, which Linux turns into SIGSEGV.
//
// Speed: a 256-entry direct-mapped TLB for reads and one for writes caches the page object. Pages that
// hold decoded code are kept out of the write TLB so that a store to them takes the slow path, which
// tells the decoder cache to drop what it decoded from that page (self-modifying code stays exact).
//
// Write epochs (for snapshots, lib/step/): every page records the epoch of its last write that took
// the slow path, and beginEpoch() empties the write TLB, so the first store to each page after it is
// seen. A snapshot then copies only the pages written since the one before. The TLB-hit path does
// no extra work; plain runs never call beginEpoch().

import { GuestFault, Vector, PFErr, pageFault } from './fault.js';

export const PAGE_SIZE = 4096;
export const PAGE_SHIFT = 12;
export const PROT_NONE = 0;
export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const PROT_EXEC = 4;

const CANONICAL_LIMIT = 2 ** 47;
const TLB_SIZE = 256;
const INV_PAGE = 1 / PAGE_SIZE;

export class Page {
  readonly data: Uint8Array;
  readonly view: DataView;
  /** Set once the decoder has cached instructions from this page. */
  hasCode = false;
  /** GuestMemory.epoch when this page was created or last written after a beginEpoch(). */
  epoch = 0;
  constructor(
    public prot: number,
    data?: Uint8Array,
  ) {
    this.data = data ?? new Uint8Array(PAGE_SIZE);
    this.view = new DataView(this.data.buffer, this.data.byteOffset, PAGE_SIZE);
  }
}

/** Page number of a (signed) address. */
export function pageOf(addr: number): number {
  return Math.floor(addr * INV_PAGE);
}

export class GuestMemory {
  private readonly pages = new Map<number, Page>();
  private readonly rTag = new Float64Array(TLB_SIZE).fill(NaN);
  private readonly rPage: (Page | null)[] = new Array(TLB_SIZE).fill(null);
  private readonly wTag = new Float64Array(TLB_SIZE).fill(NaN);
  private readonly wPage: (Page | null)[] = new Array(TLB_SIZE).fill(null);
  /** Called when a page holding decoded code is written or unmapped (the decoder cache listens). */
  onCodeWrite: (pageNumber: number) => void = () => {};
  /** High half of the last read64(). Avoids allocating a pair per 64-bit load. */
  hi = 0;
  /** The current write epoch (see the file comment). */
  epoch = 0;

  /** Start a new write epoch: the next store to each page takes the slow path and marks the page. */
  beginEpoch(): number {
    this.wTag.fill(NaN);
    return ++this.epoch;
  }

  // ---- mapping (the kernel's side: mmap, mprotect, munmap) ----

  /** Map zero-filled pages over [addr, addr+len), replacing what was there. */
  map(addr: number, len: number, prot: number): void {
    for (let p = pageOf(addr), end = pageOf(addr + len - 1); p <= end; p++) {
      this.dropPage(p);
      const page = new Page(prot);
      page.epoch = this.epoch;
      this.pages.set(p, page);
    }
    this.flushTlb();
  }

  /** Map one page whose bytes are shared with the caller (the kernel keeps vvar this way). */
  mapShared(addr: number, data: Uint8Array, prot: number): void {
    const p = pageOf(addr);
    this.dropPage(p);
    const page = new Page(prot, data);
    page.epoch = this.epoch;
    this.pages.set(p, page);
    this.flushTlb();
  }

  unmap(addr: number, len: number): void {
    for (let p = pageOf(addr), end = pageOf(addr + len - 1); p <= end; p++) this.dropPage(p);
    this.flushTlb();
  }

  protect(addr: number, len: number, prot: number): void {
    for (let p = pageOf(addr), end = pageOf(addr + len - 1); p <= end; p++) {
      const page = this.pages.get(p);
      if (page) {
        page.prot = prot;
        page.epoch = this.epoch;
      }
    }
    this.flushTlb();
  }

  /** The page at a page number, if mapped. */
  page(pageNumber: number): Page | undefined {
    return this.pages.get(pageNumber);
  }

  /** Is every page of [addr, addr+len) mapped? */
  isMapped(addr: number, len: number): boolean {
    for (let p = pageOf(addr), end = pageOf(addr + len - 1); p <= end; p++) if (!this.pages.has(p)) return false;
    return true;
  }

  /** All mapped page numbers, ascending. */
  pageNumbers(): number[] {
    return [...this.pages.keys()].sort((a, b) => a - b);
  }

  private dropPage(p: number): void {
    const old = this.pages.get(p);
    if (!old) return;
    if (old.hasCode) this.onCodeWrite(p);
    this.pages.delete(p);
  }

  flushTlb(): void {
    this.rTag.fill(NaN);
    this.wTag.fill(NaN);
  }

  // ---- the MMU's page walk, with faults ----

  private walk(addr: number, access: number): Page {
    if (addr >= CANONICAL_LIMIT || addr < -CANONICAL_LIMIT || addr !== addr) {
      throw new GuestFault(Vector.GP, addr, 0, 'non-canonical address');
    }
    const p = pageOf(addr);
    const page = this.pages.get(p);
    const err = PFErr.USER | (access === PROT_WRITE ? PFErr.WRITE : 0) | (access === PROT_EXEC ? PFErr.FETCH : 0);
    if (!page) throw pageFault(addr, err);
    if ((page.prot & access) === 0) throw pageFault(addr, err | PFErr.PRESENT);
    return page;
  }

  private readPage(addr: number): Page {
    const p = pageOf(addr);
    const slot = p & (TLB_SIZE - 1);
    if (this.rTag[slot] === p) return this.rPage[slot]!;
    const page = this.walk(addr, PROT_READ);
    this.rTag[slot] = p;
    this.rPage[slot] = page;
    return page;
  }

  private writePage(addr: number): Page {
    const p = pageOf(addr);
    const slot = p & (TLB_SIZE - 1);
    if (this.wTag[slot] === p) return this.wPage[slot]!;
    return this.writeMiss(addr, p, slot);
  }

  /** The write TLB missed: walk, mark the page's epoch, fill the TLB (kept apart so writePage stays small to inline). */
  private writeMiss(addr: number, p: number, slot: number): Page {
    const page = this.walk(addr, PROT_WRITE);
    page.epoch = this.epoch;
    if (page.hasCode) {
      // Self-modifying code: drop decoded instructions; the page stays out of the write TLB until
      // the decoder sets hasCode again.
      page.hasCode = false;
      this.onCodeWrite(p);
    }
    this.wTag[slot] = p;
    this.wPage[slot] = page;
    return page;
  }

  /** Page for an instruction fetch (checks PROT_EXEC). Marks it as holding code. */
  fetchPage(addr: number): Page {
    const page = this.walk(addr, PROT_EXEC);
    if (!page.hasCode) {
      page.hasCode = true;
      // Evict the page from the write TLB so the next store to it is seen.
      const p = pageOf(addr);
      const slot = p & (TLB_SIZE - 1);
      if (this.wTag[slot] === p) this.wTag[slot] = NaN;
    }
    return page;
  }

  // ---- loads and stores (the CPU's side) ----

  read8(addr: number): number {
    return this.readPage(addr).data[addr & 0xfff];
  }

  read16(addr: number): number {
    const off = addr & 0xfff;
    if (off <= PAGE_SIZE - 2) return this.readPage(addr).view.getUint16(off, true);
    return this.read8(addr) | (this.read8(addr + 1) << 8);
  }

  /** 32-bit load, returned as a signed int32. */
  read32(addr: number): number {
    const off = addr & 0xfff;
    if (off <= PAGE_SIZE - 4) return this.readPage(addr).view.getInt32(off, true);
    return this.read16(addr) | (this.read16(addr + 2) << 16);
  }

  /** 64-bit load: returns the low half; the high half is left in `this.hi`. */
  read64(addr: number): number {
    const off = addr & 0xfff;
    if (off <= PAGE_SIZE - 8) {
      const v = this.readPage(addr).view;
      this.hi = v.getInt32(off + 4, true);
      return v.getInt32(off, true);
    }
    const lo = this.read32(addr);
    this.hi = this.read32(addr + 4);
    return lo;
  }

  write8(addr: number, v: number): void {
    this.writePage(addr).data[addr & 0xfff] = v;
  }

  write16(addr: number, v: number): void {
    const off = addr & 0xfff;
    if (off <= PAGE_SIZE - 2) return this.writePage(addr).view.setUint16(off, v, true);
    this.checkWritable(addr, 2);
    this.write8(addr, v);
    this.write8(addr + 1, v >> 8);
  }

  write32(addr: number, v: number): void {
    const off = addr & 0xfff;
    if (off <= PAGE_SIZE - 4) return this.writePage(addr).view.setInt32(off, v, true);
    this.checkWritable(addr, 4);
    this.write16(addr, v);
    this.write16(addr + 2, v >>> 16);
  }

  write64(addr: number, lo: number, hi: number): void {
    const off = addr & 0xfff;
    if (off <= PAGE_SIZE - 8) {
      const v = this.writePage(addr).view;
      v.setInt32(off, lo, true);
      v.setInt32(off + 4, hi, true);
      return;
    }
    this.checkWritable(addr, 8);
    this.write32(addr, lo);
    this.write32(addr + 4, hi);
  }

  /**
   * A store that crosses pages must fault before writing any byte, as the CPU does. A fault in the
   * second page reports that page's first byte (CR2), as measured on the host for 2..16-byte stores.
   */
  checkWritable(addr: number, len: number): void {
    this.writePage(addr);
    const last = addr + len - 1;
    this.writePage(Math.max(addr, last - (last & 0xfff)));
  }

  // ---- bulk access (the kernel's copy_from_user / copy_to_user) ----

  /** Copy guest bytes out. Throws GuestFault on an unmapped or unreadable byte. */
  readBytes(addr: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    let done = 0;
    while (done < len) {
      const a = addr + done;
      const off = a & 0xfff;
      const n = Math.min(len - done, PAGE_SIZE - off);
      out.set(this.readPage(a).data.subarray(off, off + n), done);
      done += n;
    }
    return out;
  }

  writeBytes(addr: number, bytes: Uint8Array): void {
    let done = 0;
    while (done < bytes.length) {
      const a = addr + done;
      const off = a & 0xfff;
      const n = Math.min(bytes.length - done, PAGE_SIZE - off);
      this.writePage(a).data.set(bytes.subarray(done, done + n), off);
      done += n;
    }
  }

  /** Write ignoring permissions (the kernel filling a freshly mapped segment). */
  poke(addr: number, bytes: Uint8Array): void {
    let done = 0;
    while (done < bytes.length) {
      const a = addr + done;
      const off = a & 0xfff;
      const n = Math.min(bytes.length - done, PAGE_SIZE - off);
      const page = this.pages.get(pageOf(a));
      if (!page) throw pageFault(a, PFErr.USER | PFErr.WRITE);
      page.data.set(bytes.subarray(done, done + n), off);
      page.epoch = this.epoch;
      if (page.hasCode) {
        page.hasCode = false;
        this.onCodeWrite(pageOf(a));
      }
      done += n;
    }
  }

  /** Read a NUL-terminated string of at most `max` bytes. */
  readCString(addr: number, max = 4096): Uint8Array | null {
    const bytes: number[] = [];
    for (let i = 0; i < max; i++) {
      const b = this.read8(addr + i);
      if (b === 0) return Uint8Array.from(bytes);
      bytes.push(b);
    }
    return null;
  }
}
