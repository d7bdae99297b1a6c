// The string instructions (SDM vol. 2: MOVS, STOS, LODS, CMPS, SCAS) in their b/w/d/q forms, with the
// REP prefix (F3, or F2, which the CPU treats alike for movs/stos/lods) and REPE/REPNE (F3/F2) for
// cmps/scas.
//
// Registers: the source is ds:[rsi] (a segment override applies; in 64-bit mode only fs/gs have a
// base), the destination es:[rdi] (no override). With an address-size prefix (67) the instruction
// uses esi/edi/ecx, wraps them at 4 GiB and writes them as 32-bit registers (zero-extending, as the
// host CPU does: see tests/isa-string.test.ts). DF picks the direction.
//
// A rep instruction runs all its iterations in one exec and counts as one instruction. Its registers
// are kept in locals and written back in a `finally` with the number of iterations completed, so a
// fault in iteration k leaves rcx/rsi/rdi (and, for lods/cmps/scas, rax and the flags) exactly as
// after iteration k-1, as the CPU does; the engine leaves rip on the instruction, so the fault is
// restartable. With a count of 0 nothing changes.
//
// Speed: rep movs and rep stos (musl's memcpy/memset are `rep movsq`, memmove backward is `std; rep
// movsb`) copy whole page-sized chunks with typed-array operations once the first element of the
// chunk has passed the MMU's checks (see movsChunk). The chunk keeps the exact element-by-element
// semantics, including overlapping moves: when the destination lies ahead of the source in the
// direction of travel, each element reads bytes an earlier element wrote, and the result is the
// source's first |distance| bytes repeated; that is what the chunk produces (by doubling copies).
// The remaining forms (lods, cmps, scas) and short counts go element by element through the MMU.

import type { Cpu } from '../cpu.js';
import { SEG_FS } from '../cpu.js';
import type { Insn } from '../insn.js';
import { Lazy } from '../flags.js';
import { PAGE_SIZE, pageOf } from '../memory.js';
import type { IsaRow, Operand } from './types.js';

const TWO32 = 4294967296;
const RAX = 0, RCX = 1, RSI = 6, RDI = 7;
/** A chunk shorter than this many bytes goes element by element (the page lookups cost more). */
const FAST_MIN = 64;
/** A cross-page chunk at least this long is copied with TypedArray.set (one small view per chunk). */
const SET_MIN = 256;

// ---- registers ----

/** Linear base of the source segment (ds, or the fs/gs override). */
function srcBase(c: Cpu, d: Insn): number {
  return d.seg === 0 ? 0 : d.seg === SEG_FS ? c.fsBase : c.gsBase;
}

/** rsi/rdi as an address register: esi zero-extended with 67, else the signed 64-bit value. */
function addrReg(c: Cpu, d: Insn, r: number): number {
  return d.asize === 32 ? c.r32[2 * r] >>> 0 : c.r32[2 * r + 1] * TWO32 + (c.r32[2 * r] >>> 0);
}

/** The count in rcx (ecx with 67), unsigned. Above 2^53 it is approximate, which only matters for
 *  a loop that would run that long; the write-back below is exact. */
function repCount(c: Cpu, d: Insn): number {
  return d.asize === 32 ? c.r32[2] >>> 0 : (c.r32[3] >>> 0) * TWO32 + (c.r32[2] >>> 0);
}

/** Advance an address register value by delta (wrapping at 4 GiB with 67; at 64 bits the signed
 *  representation wraps by itself). */
function adv(a32: boolean, v: number, delta: number): number {
  return a32 ? (v + delta) >>> 0 : v + delta;
}

function addReg(c: Cpu, d: Insn, r: number, delta: number): void {
  const r32 = c.r32;
  if (d.asize === 32) {
    r32[2 * r] = (r32[2 * r] >>> 0) + delta; // Int32Array stores reduce modulo 2^32
    r32[2 * r + 1] = 0;
  } else {
    const v = r32[2 * r + 1] * TWO32 + (r32[2 * r] >>> 0) + delta;
    r32[2 * r] = v;
    r32[2 * r + 1] = Math.floor(v / TWO32);
  }
}

/**
 * Write back the registers after `done` completed iterations of `step` bytes each: rsi if `src`,
 * rdi if `dst`, rcx if `rep`. Nothing changes when no iteration completed. (When one did, every
 * address register it used held a canonical address, so the arithmetic here is exact.)
 */
function retire(c: Cpu, d: Insn, done: number, step: number, src: boolean, dst: boolean, rep: boolean): void {
  if (done === 0) return;
  const delta = done * step;
  if (src) addReg(c, d, RSI, delta);
  if (dst) addReg(c, d, RDI, delta);
  if (!rep) return;
  const r32 = c.r32;
  if (d.asize === 32) {
    r32[2] = (r32[2] >>> 0) - done;
    r32[3] = 0;
  } else {
    const lo = (r32[2] >>> 0) - (done % TWO32);
    r32[2] = lo;
    r32[3] = r32[3] - Math.floor(done / TWO32) - (lo < 0 ? 1 : 0);
  }
}

// ---- elements: sizes in bytes; 64-bit values as (lo, c.thi) ----

function load(c: Cpu, size: number, a: number): number {
  switch (size) {
    case 1: return c.mem.read8(a);
    case 2: return c.mem.read16(a);
    case 4: return c.mem.read32(a);
    default: {
      const lo = c.mem.read64(a);
      c.thi = c.mem.hi;
      return lo;
    }
  }
}

function store(c: Cpu, size: number, a: number, lo: number, hi: number): void {
  switch (size) {
    case 1: c.mem.write8(a, lo); break;
    case 2: c.mem.write16(a, lo); break;
    case 4: c.mem.write32(a, lo); break;
    default: c.mem.write64(a, lo, hi);
  }
}

function readAcc(c: Cpu, size: number): number {
  return size === 1 ? c.r8[0] : size === 2 ? c.r16[0] : c.r32[0];
}

function writeAcc(c: Cpu, size: number, lo: number, hi: number): void {
  switch (size) {
    case 1: c.r8[0] = lo; break;
    case 2: c.r16[0] = lo; break;
    case 4: c.r32[0] = lo; c.r32[1] = 0; break;
    default: c.r32[0] = lo; c.r32[1] = hi;
  }
}

/** Flags of cmp a, b (a - b) for an element of `size` bytes. */
function compare(c: Cpu, size: number, a: number, ah: number, b: number, bh: number): void {
  switch (size) {
    case 1: c.setLazy(Lazy.SUB, 8, a, 0, b, 0, (a - b) & 0xff, 0); break;
    case 2: c.setLazy(Lazy.SUB, 16, a, 0, b, 0, (a - b) & 0xffff, 0); break;
    case 4: c.setLazy(Lazy.SUB, 32, a, 0, b, 0, (a - b) | 0, 0); break;
    default: c.setLazy(Lazy.SUB, 64, a, ah, b, bh, (a - b) | 0, (ah - bh - ((a >>> 0) < (b >>> 0) ? 1 : 0)) | 0);
  }
}

// ---- the page-chunk fast paths ----

/**
 * How many whole elements, starting with the one at linear address `a` and moving by `step`, lie in
 * a's page (0 when that element straddles the page end).
 */
function elementsInPage(a: number, size: number, step: number): number {
  const off = a & 0xfff;
  if (step > 0) return ((PAGE_SIZE - off) / size) | 0;
  return off + size <= PAGE_SIZE ? ((off / size) | 0) + 1 : 0;
}

/**
 * Copy up to `left` elements from linear `sl` to `dl` inside one source and one destination page.
 * Returns the number of elements copied, 0 if the chunk is too short or aliased in a way the typed
 * array operations cannot express (the caller then does one element the slow way). Faults, if any,
 * are raised by the first element's checks, before anything is written, so they are the faults the
 * element loop would raise at this iteration.
 */
function movsChunk(c: Cpu, size: number, step: number, sl: number, dl: number, left: number): number {
  const n = Math.min(left, elementsInPage(sl, size, step), elementsInPage(dl, size, step));
  const len = n * size;
  if (len < FAST_MIN) return 0;
  const mem = c.mem;
  mem.read8(sl); // the first element's load: #PF/#GP here, as in the element loop
  mem.checkWritable(dl, 1); // its store (this also drops code decoded from the destination page)
  const S = mem.page(pageOf(sl))!.data;
  const D = mem.page(pageOf(dl))!.data;
  // Lowest byte offsets of the chunk in each page.
  const s0 = step > 0 ? sl & 0xfff : (sl & 0xfff) - len + size;
  const d0 = step > 0 ? dl & 0xfff : (dl & 0xfff) - len + size;
  if (S !== D) {
    if (S.buffer === D.buffer) {
      // Two pages over one buffer (a shared mapping): only disjoint byte ranges are easy.
      const as = S.byteOffset + s0, ad = D.byteOffset + d0;
      if (as < ad + len && ad < as + len) return 0;
    }
    if (len >= SET_MIN) D.set(S.subarray(s0, s0 + len), d0);
    else for (let i = 0; i < len; i++) D[d0 + i] = S[s0 + i];
    return n;
  }
  const dist = d0 - s0;
  if (dist === 0) return n;
  // No hazard: disjoint, or the destination trails the source (each byte is read before the store
  // that overwrites it): a memmove.
  if (step > 0 ? dist < 0 || dist >= len : dist > 0 || -dist >= len) {
    D.copyWithin(d0, s0, s0 + len);
    return n;
  }
  // The destination leads by p bytes: the result is the first p source bytes (in the order of
  // travel) repeated. With p < size an element overlaps itself: leave that to the element loop.
  const p = dist > 0 ? dist : -dist;
  if (p < size) return 0;
  if (step > 0) {
    D.copyWithin(d0, s0, s0 + p);
    for (let have = p; have < len;) {
      const m = Math.min(have, len - have);
      D.copyWithin(d0 + have, d0, d0 + m); // offset `have` is a multiple of p
      have += m;
    }
  } else {
    const top = d0 + len;
    D.copyWithin(top - p, s0 + len - p, s0 + len);
    for (let have = p; have < len;) {
      const m = Math.min(have, len - have);
      D.copyWithin(top - have - m, top - m, top);
      have += m;
    }
  }
  return n;
}

/** Store up to `left` copies of the element (lo, hi) from linear `dl` inside its page. */
function stosChunk(c: Cpu, size: number, step: number, dl: number, left: number, lo: number, hi: number): number {
  const n = Math.min(left, elementsInPage(dl, size, step));
  const len = n * size;
  if (len < FAST_MIN) return 0;
  const mem = c.mem;
  mem.checkWritable(dl, 1);
  const page = mem.page(pageOf(dl))!;
  const D = page.data;
  const d0 = step > 0 ? dl & 0xfff : (dl & 0xfff) - len + size;
  const b = lo & 0xff;
  // All bytes equal (zeroing, memset of a byte pattern): one fill.
  if (size === 1 || (size === 2 ? lo === b * 0x101 : lo === ((b * 0x1010101) | 0) && (size === 4 || hi === lo))) {
    D.fill(b, d0, d0 + len);
    return n;
  }
  const v = page.view;
  if (size === 2) v.setUint16(d0, lo, true);
  else {
    v.setInt32(d0, lo, true);
    if (size === 8) v.setInt32(d0 + 4, hi, true);
  }
  for (let have = size; have < len;) {
    const m = Math.min(have, len - have);
    D.copyWithin(d0 + have, d0, d0 + m);
    have += m;
  }
  return n;
}

// ---- the instructions ----

function movs(size: number) {
  return (c: Cpu, d: Insn): void => {
    const a32 = d.asize === 32;
    const sb = srcBase(c, d);
    let si = addrReg(c, d, RSI), di = addrReg(c, d, RDI);
    const step = c.df() ? -size : size;
    if (d.rep === 0) {
      const lo = load(c, size, sb + si);
      store(c, size, di, lo, c.thi);
      retire(c, d, 1, step, true, true, false);
      return;
    }
    const cnt = repCount(c, d);
    // Chunks must not wrap a 32-bit register inside a page: with 67 only without a segment base.
    const fast = !a32 || sb === 0;
    let done = 0;
    try {
      while (done < cnt) {
        if (fast && (cnt - done) * size >= FAST_MIN) {
          const n = movsChunk(c, size, step, sb + si, di, cnt - done);
          if (n !== 0) {
            done += n;
            si = adv(a32, si, n * step);
            di = adv(a32, di, n * step);
            continue;
          }
        }
        const lo = load(c, size, sb + si);
        store(c, size, di, lo, c.thi);
        done++;
        si = adv(a32, si, step);
        di = adv(a32, di, step);
      }
    } finally {
      retire(c, d, done, step, true, true, true);
    }
  };
}

function stos(size: number) {
  return (c: Cpu, d: Insn): void => {
    const a32 = d.asize === 32;
    let di = addrReg(c, d, RDI);
    const step = c.df() ? -size : size;
    const lo = readAcc(c, size), hi = c.r32[2 * RAX + 1];
    if (d.rep === 0) {
      store(c, size, di, lo, hi);
      retire(c, d, 1, step, false, true, false);
      return;
    }
    const cnt = repCount(c, d);
    let done = 0;
    try {
      while (done < cnt) {
        if ((cnt - done) * size >= FAST_MIN) {
          const n = stosChunk(c, size, step, di, cnt - done, lo, hi);
          if (n !== 0) {
            done += n;
            di = adv(a32, di, n * step);
            continue;
          }
        }
        store(c, size, di, lo, hi);
        done++;
        di = adv(a32, di, step);
      }
    } finally {
      retire(c, d, done, step, false, true, true);
    }
  };
}

function lods(size: number) {
  return (c: Cpu, d: Insn): void => {
    const a32 = d.asize === 32;
    const sb = srcBase(c, d);
    let si = addrReg(c, d, RSI);
    const step = c.df() ? -size : size;
    const cnt = d.rep === 0 ? 1 : repCount(c, d);
    let done = 0;
    try {
      while (done < cnt) {
        const lo = load(c, size, sb + si);
        writeAcc(c, size, lo, c.thi);
        done++;
        si = adv(a32, si, step);
      }
    } finally {
      retire(c, d, done, step, true, false, d.rep !== 0);
    }
  };
}

function cmps(size: number) {
  return (c: Cpu, d: Insn): void => {
    const a32 = d.asize === 32;
    const sb = srcBase(c, d);
    let si = addrReg(c, d, RSI), di = addrReg(c, d, RDI);
    const step = c.df() ? -size : size;
    const cnt = d.rep === 0 ? 1 : repCount(c, d);
    const whileEqual = d.rep !== 0xf2; // repe/repz (F3) continues while equal, repne/repnz (F2) while not
    let done = 0;
    try {
      while (done < cnt) {
        // es:[rdi] is read first: when both reads fault, the host (AMD Zen) reports rdi's address.
        const b = load(c, size, di), bh = size === 8 ? c.thi : 0;
        const a = load(c, size, sb + si), ah = size === 8 ? c.thi : 0;
        compare(c, size, a, ah, b, bh);
        done++;
        si = adv(a32, si, step);
        di = adv(a32, di, step);
        if ((a === b && ah === bh) !== whileEqual) break;
      }
    } finally {
      retire(c, d, done, step, true, true, d.rep !== 0);
    }
  };
}

function scas(size: number) {
  return (c: Cpu, d: Insn): void => {
    const a32 = d.asize === 32;
    let di = addrReg(c, d, RDI);
    const step = c.df() ? -size : size;
    const a = readAcc(c, size), ah = size === 8 ? c.r32[2 * RAX + 1] : 0;
    const cnt = d.rep === 0 ? 1 : repCount(c, d);
    const whileEqual = d.rep !== 0xf2;
    let done = 0;
    try {
      while (done < cnt) {
        const b = load(c, size, di), bh = size === 8 ? c.thi : 0;
        compare(c, size, a, ah, b, bh);
        done++;
        di = adv(a32, di, step);
        if ((a === b && ah === bh) !== whileEqual) break;
      }
    } finally {
      retire(c, d, done, step, false, true, d.rep !== 0);
    }
  };
}

// ---- rows ----

const rows: IsaRow[] = [];
const FORMS = [
  { size: 1, s: 'b', os: '', acc: 'AL' },
  { size: 2, s: 'w', os: 'o16 ', acc: 'AX' },
  { size: 4, s: 'd', os: 'o32 ', acc: 'EAX' },
  { size: 8, s: 'q', os: 'o64 ', acc: 'RAX' },
] as const;

for (const { size, s, os, acc } of FORMS) {
  const X = `X${s}` as Operand, Y = `Y${s}` as Operand;
  const w = size === 1 ? 0 : 1;
  const op = (base: number) => `${os}${(base + w).toString(16).toUpperCase()}`;
  const a = acc.toLowerCase();
  rows.push({ id: `movs_y${s}_x${s}`, mnemonic: 'movs', opcode: op(0xa4), operands: [Y, X], flags: { read: 'd' }, exec: movs(size) });
  rows.push({ id: `cmps_x${s}_y${s}`, mnemonic: 'cmps', opcode: op(0xa6), operands: [X, Y], flags: { read: 'd', write: 'oszapc' }, exec: cmps(size) });
  rows.push({ id: `stos_y${s}_${a}`, mnemonic: 'stos', opcode: op(0xaa), operands: [Y, acc], flags: { read: 'd' }, exec: stos(size) });
  rows.push({ id: `lods_${a}_x${s}`, mnemonic: 'lods', opcode: op(0xac), operands: [acc, X], flags: { read: 'd' }, exec: lods(size) });
  rows.push({ id: `scas_${a}_y${s}`, mnemonic: 'scas', opcode: op(0xae), operands: [acc, Y], flags: { read: 'd', write: 'oszapc' }, exec: scas(size) });
}

export const STRING_ROWS: readonly IsaRow[] = rows;
