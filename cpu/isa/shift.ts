// Shifts and rotates (SDM vol. 2: SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR, SHLD, SHRD).
//
// The operation is the ModRM /digit of opcodes C0/C1 (by imm8), D0/D1 (by 1), D2/D3 (by CL):
// 0 rol, 1 ror, 2 rcl, 3 rcr, 4 shl (= sal), 5 shr, 7 sar. (/6 is an undocumented alias of shl and is
// not decoded.) The count is masked to 5 bits, or 6 with a 64-bit operand; a masked count of 0 changes
// no flag and no operand, except that a 32-bit register destination is still zero-extended (the
// instruction writes its destination; checked on the host CPU).
//
// Flags. The SDM defines OF only for a count of 1 and leaves AF undefined; for other counts, and for
// shl/shr counts not below the operand size, it leaves OF (and CF) undefined. colonel computes them as
// AMD Zen does, which is the count-1 rule applied to any count (verified against the host CPU by
// tests/isa-shift.test.ts, so these flags are not listed in `undef`):
//   shl, shld, rol, rcl: OF = MSB(result) XOR CF          shr, shrd, ror, rcr: OF = MSB(result) XOR
//   sar: OF = 0                                                                MSB-1(result)
//   shifts (not rotates) with a non-zero count set AF = 1; rotates leave SF ZF AF PF alone.
//   CF is the last bit shifted out, computed as if the operand were extended with zeros (shl, shr)
//   or sign bits (sar), so it is 0 once the count passes the operand size.
// rcl/rcr rotate the size+1-bit value CF:operand, so 8- and 16-bit counts act mod 9 and 17. A 16-bit
// shld/shrd with a count of 17..31 (result undefined in the SDM) gives on Zen the source rotated by
// count-16 (left for shld, right for shrd) and CF = 0. Zen's shld OF is CF XOR bit 15 of the
// destination shifted alone, which differs from MSB(result) XOR CF only for 16-bit counts of 16 and up.

import type { Cpu } from '../cpu.js';
import type { Insn, ExecFn } from '../insn.js';
import { CF, AF, ZF, SF, OF, STATUS, PARITY, Lazy } from '../flags.js';
import { flagOp, specialize } from '../specialize.js';
import type { IsaRow, Operand } from './types.js';
import {
  readRM8, readRM16, readRM32, readRM64, writeBackRM8, writeBackRM16, writeBackRM32, writeBackRM64,
} from '../operands.js';

export const SHIFT_NAMES = ['rol', 'ror', 'rcl', 'rcr', 'shl', 'shr', 'sal', 'sar'] as const;
const ROL = 0, ROR = 1, RCL = 2, RCR = 3, SHL = 4, SHR = 5, SAR = 7;

// ---- 64-bit helpers on (lo, hi) int32 halves; the high half of a result is left in HI ----
let HI = 0;

function shl64(lo: number, hi: number, n: number): number {
  if (n === 0) { HI = hi; return lo; }
  if (n < 32) { HI = (hi << n) | (lo >>> (32 - n)); return lo << n; }
  if (n < 64) { HI = lo << (n - 32); return 0; }
  HI = 0;
  return 0;
}

function shr64(lo: number, hi: number, n: number): number {
  if (n === 0) { HI = hi; return lo; }
  if (n < 32) { HI = hi >>> n | 0; return (lo >>> n) | (hi << (32 - n)); }
  if (n < 64) { HI = 0; return hi >>> (n - 32) | 0; }
  HI = 0;
  return 0;
}

function sar64(lo: number, hi: number, n: number): number {
  if (n === 0) { HI = hi; return lo; }
  if (n < 32) { HI = hi >> n; return (lo >>> n) | (hi << (32 - n)); }
  HI = hi >> 31;
  return hi >> (n - 32);
}

function bit64(lo: number, hi: number, k: number): number {
  if (k < 0 || k > 63) return 0;
  return k < 32 ? (lo >>> k) & 1 : (hi >>> (k - 32)) & 1;
}

/** x << n and x >>> n for n in 0..63 (0 once n reaches 32, unlike JavaScript's shifts). */
const shl32 = (x: number, n: number) => (n >= 32 ? 0 : x << n);
const shr32 = (x: number, n: number) => (n >= 32 ? 0 : x >>> n);

const sizeMask = (size: number) => (size === 8 ? 0xff : size === 16 ? 0xffff : -1);

/** SF, ZF, PF of a result of `size` bits (64: lo, hi). */
function szp(size: number, r: number, rh: number): number {
  const sign = size === 64 ? rh >>> 31 : (r >>> (size - 1)) & 1;
  const zero = size === 64 ? (r | rh) === 0 : r === 0;
  return (sign ? SF : 0) | (zero ? ZF : 0) | PARITY[r & 0xff];
}

/** The most significant bit and the one below it of a result. */
function msb(size: number, r: number, rh: number): number {
  return size === 64 ? rh >>> 31 : (r >>> (size - 1)) & 1;
}
function msb2(size: number, r: number, rh: number): number {
  return size === 64 ? (rh >>> 30) & 1 : (r >>> (size - 2)) & 1;
}

/** Write all six status flags at once: no need to evaluate the previous (lazy) ones. */
function setAll(c: Cpu, bits: number): void {
  c.flags = (c.flags & ~STATUS) | bits;
  c.lazy = Lazy.NONE;
}

// ---- one small function per operation, for 8/16/32-bit values (size is a constant at each call
// site, so V8 folds it once the function is inlined into a specialized exec) and for 64-bit halves.
// n is the masked, non-zero count. 64-bit forms leave the high half of the result in c.thi. ----

function shlN(c: Cpu, size: number, a: number, n: number): number {
  const r = (a << n) & sizeMask(size);
  const cf = n <= size ? (a >>> (size - n)) & 1 : 0;
  setAll(c, cf | (msb(size, r, 0) ^ cf ? OF : 0) | AF | szp(size, r, 0));
  return r;
}
function shrN(c: Cpu, size: number, a: number, n: number): number {
  const r = (a >>> n) & sizeMask(size);
  const cf = (a >>> (n - 1)) & 1;
  setAll(c, cf | (msb(size, r, 0) ^ msb2(size, r, 0) ? OF : 0) | AF | szp(size, r, 0));
  return r;
}
/** A `size`-bit value sign-extended to int32. */
const signed = (size: number, a: number) => (size === 8 ? (a << 24) >> 24 : size === 16 ? (a << 16) >> 16 : a);
/** Rotations of a `size`-bit value by n (taken mod size). */
function rotl(size: number, a: number, n: number): number {
  const k = n & (size - 1);
  return k === 0 ? a : ((a << k) | (a >>> (size - k))) & sizeMask(size);
}
function rotr(size: number, a: number, n: number): number {
  const k = n & (size - 1);
  return k === 0 ? a : ((a >>> k) | (a << (size - k))) & sizeMask(size);
}
/** 64-bit rotations by n in 1..63: the low half, the high half in HI. */
function rotl64(a: number, ah: number, n: number): number {
  let r = shl64(a, ah, n), rh = HI;
  r |= shr64(a, ah, 64 - n); rh |= HI;
  HI = rh;
  return r;
}
function rotr64(a: number, ah: number, n: number): number {
  let r = shr64(a, ah, n), rh = HI;
  r |= shl64(a, ah, 64 - n); rh |= HI;
  HI = rh;
  return r;
}

function sarN(c: Cpu, size: number, a: number, n: number): number {
  const sa = signed(size, a);
  const r = (sa >> n) & sizeMask(size);
  setAll(c, ((sa >> (n - 1)) & 1) | AF | szp(size, r, 0));
  return r;
}
function rolN(c: Cpu, size: number, a: number, n: number): number {
  const r = rotl(size, a, n);
  const cf = r & 1;
  c.setStatus(CF | OF, cf | (msb(size, r, 0) ^ cf ? OF : 0));
  return r;
}
function rorN(c: Cpu, size: number, a: number, n: number): number {
  const r = rotr(size, a, n);
  const cf = msb(size, r, 0);
  c.setStatus(CF | OF, cf | (cf ^ msb2(size, r, 0) ? OF : 0));
  return r;
}
function rclN(c: Cpu, size: number, a: number, n: number): number {
  const cin = c.cf() ? 1 : 0;
  const k = size === 8 ? n % 9 : size === 16 ? n % 17 : n;
  let r = a, cf = cin;
  if (k !== 0) { r = (shl32(a, k) | (cin << (k - 1)) | shr32(a, size + 1 - k)) & sizeMask(size); cf = (a >>> (size - k)) & 1; }
  c.setStatus(CF | OF, cf | (msb(size, r, 0) ^ cf ? OF : 0));
  return r;
}
function rcrN(c: Cpu, size: number, a: number, n: number): number {
  const cin = c.cf() ? 1 : 0;
  const k = size === 8 ? n % 9 : size === 16 ? n % 17 : n;
  let r = a, cf = cin;
  if (k !== 0) { r = (shr32(a, k) | (cin << (size - k)) | shl32(a, size + 1 - k)) & sizeMask(size); cf = (a >>> (k - 1)) & 1; }
  c.setStatus(CF | OF, cf | (msb(size, r, 0) ^ msb2(size, r, 0) ? OF : 0));
  return r;
}

function shl64f(c: Cpu, a: number, ah: number, n: number): number {
  const r = shl64(a, ah, n), rh = HI;
  const cf = bit64(a, ah, 64 - n);
  setAll(c, cf | ((rh >>> 31) ^ cf ? OF : 0) | AF | szp(64, r, rh));
  c.thi = rh;
  return r;
}
function shr64f(c: Cpu, a: number, ah: number, n: number): number {
  const r = shr64(a, ah, n), rh = HI;
  setAll(c, bit64(a, ah, n - 1) | ((rh >>> 31) ^ ((rh >>> 30) & 1) ? OF : 0) | AF | szp(64, r, rh));
  c.thi = rh;
  return r;
}
function sar64f(c: Cpu, a: number, ah: number, n: number): number {
  const r = sar64(a, ah, n), rh = HI;
  setAll(c, (n > 32 ? (ah >> (n - 33)) & 1 : bit64(a, ah, n - 1)) | AF | szp(64, r, rh));
  c.thi = rh;
  return r;
}
function rol64f(c: Cpu, a: number, ah: number, n: number): number {
  const r = rotl64(a, ah, n), rh = HI;
  const cf = r & 1;
  c.setStatus(CF | OF, cf | ((rh >>> 31) ^ cf ? OF : 0));
  c.thi = rh;
  return r;
}
function ror64f(c: Cpu, a: number, ah: number, n: number): number {
  const r = rotr64(a, ah, n), rh = HI;
  const cf = rh >>> 31;
  c.setStatus(CF | OF, cf | (cf ^ ((rh >>> 30) & 1) ? OF : 0));
  c.thi = rh;
  return r;
}
function rcl64f(c: Cpu, a: number, ah: number, n: number): number {
  const cin = c.cf() ? 1 : 0;
  let r = shl64(a, ah, n), rh = HI;
  r |= shr64(a, ah, 65 - n); rh |= HI;
  if (n <= 32) r |= cin << (n - 1); else rh |= cin << (n - 33);
  const cf = bit64(a, ah, 64 - n);
  c.setStatus(CF | OF, cf | ((rh >>> 31) ^ cf ? OF : 0));
  c.thi = rh;
  return r;
}
function rcr64f(c: Cpu, a: number, ah: number, n: number): number {
  const cin = c.cf() ? 1 : 0;
  let r = shr64(a, ah, n), rh = HI;
  r |= shl64(a, ah, 65 - n); rh |= HI;
  if (n <= 32) rh |= cin << (32 - n); else r |= cin << (64 - n);
  c.setStatus(CF | OF, bit64(a, ah, n - 1) | ((rh >>> 31) ^ ((rh >>> 30) & 1) ? OF : 0));
  c.thi = rh;
  return r;
}

// Flag-free twins of the shifts, for the block compiler (flagOp). Rotates write only CF and OF.
flagOp(shlN, STATUS, (c, size, a, n) => (a << n) & sizeMask(size));
flagOp(shrN, STATUS, (c, size, a, n) => (a >>> n) & sizeMask(size));
flagOp(sarN, STATUS, (c, size, a, n) => (signed(size, a) >> n) & sizeMask(size));
flagOp(shl64f, STATUS, (c, a, ah, n) => { const r = shl64(a, ah, n); c.thi = HI; return r; });
flagOp(shr64f, STATUS, (c, a, ah, n) => { const r = shr64(a, ah, n); c.thi = HI; return r; });
flagOp(sar64f, STATUS, (c, a, ah, n) => { const r = sar64(a, ah, n); c.thi = HI; return r; });
flagOp(rolN, CF | OF, (c, size, a, n) => rotl(size, a, n));
flagOp(rorN, CF | OF, (c, size, a, n) => rotr(size, a, n));
flagOp(rol64f, CF | OF, (c, a, ah, n) => { const r = rotl64(a, ah, n); c.thi = HI; return r; });
flagOp(ror64f, CF | OF, (c, a, ah, n) => { const r = rotr64(a, ah, n); c.thi = HI; return r; });

/** By /digit: rol ror rcl rcr shl shr (sal) sar. */
const OPN = [rolN, rorN, rclN, rcrN, shlN, shrN, shlN, sarN];
const OP64 = [rol64f, ror64f, rcl64f, rcr64f, shl64f, shr64f, shl64f, sar64f];

/**
 * Shift or rotate a `size`-bit value (64: a, ah) by the masked, non-zero count n and set the flags.
 * Returns the result (64: its low half, the high half in c.thi).
 */
export function shiftValue(c: Cpu, op: number, size: number, a: number, ah: number, n: number): number {
  if (size === 64) return OP64[op](c, a, ah, n);
  c.thi = 0;
  return OPN[op](c, size, a, n);
}

/**
 * shld (left) / shrd: shift dst (a, ah) by the masked non-zero count n, filling from src (b, bh).
 * Returns the result (64: low half, high half in c.thi) and sets the flags.
 */
export function doubleShift(c: Cpu, left: boolean, size: number, a: number, ah: number, b: number, bh: number, n: number): number {
  let r = 0, rh = 0, cf = 0, of = 0;
  if (size === 64) {
    if (left) {
      r = shl64(a, ah, n); rh = HI;
      r |= shr64(b, bh, 64 - n); rh |= HI;
      cf = bit64(a, ah, 64 - n);
    } else {
      r = shr64(a, ah, n); rh = HI;
      r |= shl64(b, bh, 64 - n); rh |= HI;
      cf = bit64(a, ah, n - 1);
    }
  } else if (size === 32) {
    if (left) { r = (a << n) | shr32(b, 32 - n); cf = (a >>> (32 - n)) & 1; }
    else { r = (a >>> n) | shl32(b, 32 - n); cf = (a >>> (n - 1)) & 1; }
  } else if (n <= 16) {
    if (left) { r = ((a << n) | (b >>> (16 - n))) & 0xffff; cf = (a >>> (16 - n)) & 1; }
    else { r = ((a >>> n) | (b << (16 - n))) & 0xffff; cf = (a >>> (n - 1)) & 1; }
  } else {
    // 16-bit count of 17..31: what AMD Zen does (see the file comment).
    const k = n - 16;
    r = left ? ((b << k) | (b >>> (16 - k))) & 0xffff : ((b >>> k) | (b << (16 - k))) & 0xffff;
    cf = 0;
  }
  if (left) of = size === 16 && n >= 16 ? cf : msb(size, r, rh) ^ cf;
  else of = msb(size, r, rh) ^ msb2(size, r, rh);
  setAll(c, cf | (of ? OF : 0) | AF | szp(size, r, rh));
  c.thi = rh;
  return r;
}

// ---- operand plumbing ----

type CountKind = '1' | 'cl' | 'imm';

function count(c: Cpu, d: Insn, kind: CountKind): number {
  return kind === '1' ? 1 : kind === 'cl' ? c.r8[8] : d.imm;
}

const BIND = { readRM8, readRM16, readRM32, readRM64, writeBackRM8, writeBackRM16, writeBackRM32, writeBackRM64 };

/** The exec function of a shift or rotate form, specialized per (operation, size, count source). */
function shiftExec(op: number, size: number, kind: CountKind): ExecFn {
  const cmask = size === 64 ? 63 : 31;
  const n = kind === '1' ? '1' : kind === 'cl' ? `c.r8[8] & ${cmask}` : `d.imm & ${cmask}`;
  const key = `shift:${op}:${size}:${kind}`;
  // A masked count of 0 writes no flag: only a constant non-zero count surely overwrites them.
  const flagsWritten = kind === 'cl' ? () => false : (d: Insn) => (kind === '1' || (d.imm & cmask) !== 0);
  if (size === 64) {
    return specialize(key, `(c, d) => {
      const a = readRM64(c, d), ah = c.thi, n = ${n};
      if (n !== 0) { const r = OP(c, a, ah, n); writeBackRM64(c, d, r, c.thi); }
    }`, { ...BIND, OP: OP64[op] }, { flagsWritten });
  }
  const zext = size === 32 ? 'else if (d.mod3) c.r32[2 * d.rm + 1] = 0;' : '';
  return specialize(key, `(c, d) => {
    const a = readRM${size}(c, d), n = ${n};
    if (n !== 0) writeBackRM${size}(c, d, OP(c, ${size}, a, n)); ${zext}
  }`, { ...BIND, OP: OPN[op] }, { flagsWritten });
}

function doubleExec(left: boolean, size: number, kind: CountKind): ExecFn {
  const cmask = size === 64 ? 63 : 31;
  switch (size) {
    case 16:
      return (c, d) => {
        const a = readRM16(c, d);
        const n = count(c, d, kind) & cmask;
        if (n !== 0) writeBackRM16(c, d, doubleShift(c, left, 16, a, 0, c.r16[4 * d.reg], 0, n));
      };
    case 32:
      return (c, d) => {
        const a = readRM32(c, d);
        const n = count(c, d, kind) & cmask;
        if (n !== 0) writeBackRM32(c, d, doubleShift(c, left, 32, a, 0, c.r32[2 * d.reg], 0, n));
        else if (d.mod3) c.r32[2 * d.rm + 1] = 0;
      };
    default:
      return (c, d) => {
        const a = readRM64(c, d), ah = c.thi;
        const n = count(c, d, kind) & cmask;
        if (n !== 0) {
          const r = doubleShift(c, left, 64, a, ah, c.r32[2 * d.reg], c.r32[2 * d.reg + 1], n);
          writeBackRM64(c, d, r, c.thi);
        }
      };
  }
}

// ---- rows ----

const osz = (s: number) => (s === 16 ? 'o16 ' : s === 32 ? 'o32 ' : s === 64 ? 'o64 ' : '');
const rows: IsaRow[] = [];

for (const op of [ROL, ROR, RCL, RCR, SHL, SHR, SAR]) {
  const m = SHIFT_NAMES[op];
  const rotate = op <= RCR;
  const flags = rotate
    ? { read: op === RCL || op === RCR ? 'c' : undefined, write: 'oc' }
    : { write: 'oszapc' };
  for (const s of [8, 16, 32, 64]) {
    const w = s === 8 ? 0 : 1;
    const rm = `r/m${s}` as Operand;
    rows.push({ id: `${m}_rm${s}_1`, mnemonic: m, opcode: `${osz(s)}${(0xd0 + w).toString(16).toUpperCase()} /${op}`, operands: [rm, '1'], flags, exec: shiftExec(op, s, '1') });
    rows.push({ id: `${m}_rm${s}_cl`, mnemonic: m, opcode: `${osz(s)}${(0xd2 + w).toString(16).toUpperCase()} /${op}`, operands: [rm, 'CL'], flags, exec: shiftExec(op, s, 'cl') });
    rows.push({ id: `${m}_rm${s}_imm8`, mnemonic: m, opcode: `${osz(s)}${(0xc0 + w).toString(16).toUpperCase()} /${op} ib`, operands: [rm, 'imm8'], flags, exec: shiftExec(op, s, 'imm') });
  }
}

for (const s of [16, 32, 64]) {
  const rm = `r/m${s}` as Operand, r = `r${s}` as Operand;
  const flags = { write: 'oszapc' };
  rows.push({ id: `shld_rm${s}_r${s}_imm8`, mnemonic: 'shld', opcode: `${osz(s)}0F A4 /r ib`, operands: [rm, r, 'imm8'], flags, exec: doubleExec(true, s, 'imm') });
  rows.push({ id: `shld_rm${s}_r${s}_cl`, mnemonic: 'shld', opcode: `${osz(s)}0F A5 /r`, operands: [rm, r, 'CL'], flags, exec: doubleExec(true, s, 'cl') });
  rows.push({ id: `shrd_rm${s}_r${s}_imm8`, mnemonic: 'shrd', opcode: `${osz(s)}0F AC /r ib`, operands: [rm, r, 'imm8'], flags, exec: doubleExec(false, s, 'imm') });
  rows.push({ id: `shrd_rm${s}_r${s}_cl`, mnemonic: 'shrd', opcode: `${osz(s)}0F AD /r`, operands: [rm, r, 'CL'], flags, exec: doubleExec(false, s, 'cl') });
}

export const SHIFT_ROWS: readonly IsaRow[] = rows;
