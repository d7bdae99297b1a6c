// Operand access for the executor: effective addresses (SDM vol. 1 3.7.5) and register-or-memory reads
// and writes by size. A read-modify-write instruction reads its r/m operand with readRMn, which leaves
// the effective address in `c.ea`, and stores with writeBackRMn, so the address is computed once.
//
// 64-bit values travel as (lo, hi) int32 pairs; 64-bit reads return lo and leave hi in `c.thi`.

import type { Cpu } from './cpu.js';
import type { Insn } from './insn.js';
import { SEG_FS } from './cpu.js';
import { wrapAddress } from './decoder.js';

/** The effective (linear) address of d's memory operand. */
export function ea(c: Cpu, d: Insn): number {
  const r = c.r32;
  let a = d.disp;
  if (d.base >= 0) a += r[2 * d.base + 1] * 4294967296 + (r[2 * d.base] >>> 0);
  if (d.index >= 0) a += (r[2 * d.index + 1] * 4294967296 + (r[2 * d.index] >>> 0)) * d.scale;
  if (d.asize === 32) a = ((a % 4294967296) + 4294967296) % 4294967296;
  if (d.seg !== 0) a += d.seg === SEG_FS ? c.fsBase : c.gsBase;
  if (a >= 140737488355328 || a < -140737488355328) a = wrapAddress(a);
  c.ea = a;
  return a;
}

// ---- 8-bit ----
export function readRM8(c: Cpu, d: Insn): number {
  return d.mod3 ? c.r8[d.rm8] : c.mem.read8(ea(c, d));
}
export function writeRM8(c: Cpu, d: Insn, v: number): void {
  if (d.mod3) c.r8[d.rm8] = v;
  else c.mem.write8(ea(c, d), v);
}
export function writeBackRM8(c: Cpu, d: Insn, v: number): void {
  if (d.mod3) c.r8[d.rm8] = v;
  else c.mem.write8(c.ea, v);
}

// ---- 16-bit ----
export function readRM16(c: Cpu, d: Insn): number {
  return d.mod3 ? c.r16[4 * d.rm] : c.mem.read16(ea(c, d));
}
export function writeRM16(c: Cpu, d: Insn, v: number): void {
  if (d.mod3) c.r16[4 * d.rm] = v;
  else c.mem.write16(ea(c, d), v);
}
export function writeBackRM16(c: Cpu, d: Insn, v: number): void {
  if (d.mod3) c.r16[4 * d.rm] = v;
  else c.mem.write16(c.ea, v);
}

// ---- 32-bit: a register write zero-extends into the upper half (SDM vol. 1 3.4.1.1) ----
export function readRM32(c: Cpu, d: Insn): number {
  return d.mod3 ? c.r32[2 * d.rm] : c.mem.read32(ea(c, d));
}
export function writeRM32(c: Cpu, d: Insn, v: number): void {
  if (d.mod3) {
    c.r32[2 * d.rm] = v;
    c.r32[2 * d.rm + 1] = 0;
  } else c.mem.write32(ea(c, d), v);
}
export function writeBackRM32(c: Cpu, d: Insn, v: number): void {
  if (d.mod3) {
    c.r32[2 * d.rm] = v;
    c.r32[2 * d.rm + 1] = 0;
  } else c.mem.write32(c.ea, v);
}

// ---- 64-bit ----
export function readRM64(c: Cpu, d: Insn): number {
  if (d.mod3) {
    c.thi = c.r32[2 * d.rm + 1];
    return c.r32[2 * d.rm];
  }
  const lo = c.mem.read64(ea(c, d));
  c.thi = c.mem.hi;
  return lo;
}
export function writeRM64(c: Cpu, d: Insn, lo: number, hi: number): void {
  if (d.mod3) {
    c.r32[2 * d.rm] = lo;
    c.r32[2 * d.rm + 1] = hi;
  } else c.mem.write64(ea(c, d), lo, hi);
}
export function writeBackRM64(c: Cpu, d: Insn, lo: number, hi: number): void {
  if (d.mod3) {
    c.r32[2 * d.rm] = lo;
    c.r32[2 * d.rm + 1] = hi;
  } else c.mem.write64(c.ea, lo, hi);
}

/** A 64-bit load from `a`: returns lo, leaves hi in c.thi (the block compiler's readRM64 on memory). */
export function load64(c: Cpu, a: number): number {
  const lo = c.mem.read64(a);
  c.thi = c.mem.hi;
  return lo;
}

// ---- general registers by number ----
export function setReg32(c: Cpu, reg: number, v: number): void {
  c.r32[2 * reg] = v;
  c.r32[2 * reg + 1] = 0;
}
export function setReg64(c: Cpu, reg: number, lo: number, hi: number): void {
  c.r32[2 * reg] = lo;
  c.r32[2 * reg + 1] = hi;
}

/** Write a register of operand size `size` (8 uses the reg8 offset), with the zero-extension rule. */
export function setRegSized(c: Cpu, d: Insn, size: number, lo: number, hi: number): void {
  switch (size) {
    case 8: c.r8[d.reg8] = lo; break;
    case 16: c.r16[4 * d.reg] = lo; break;
    case 32: setReg32(c, d.reg, lo); break;
    default: setReg64(c, d.reg, lo, hi);
  }
}

// ---- stack (rsp-relative, 64-bit) ----
export function push64(c: Cpu, lo: number, hi: number): void {
  const sp = c.r32[9] * 4294967296 + (c.r32[8] >>> 0) - 8;
  c.mem.write64(sp, lo, hi);
  c.r32[8] = sp | 0;
  c.r32[9] = Math.floor(sp / 4294967296);
}
/** Pop 64 bits: returns lo, leaves hi in c.thi. */
export function pop64(c: Cpu): number {
  const sp = c.r32[9] * 4294967296 + (c.r32[8] >>> 0);
  const lo = c.mem.read64(sp);
  c.thi = c.mem.hi;
  const nsp = sp + 8;
  c.r32[8] = nsp | 0;
  c.r32[9] = Math.floor(nsp / 4294967296);
  return lo;
}
export function push16(c: Cpu, v: number): void {
  const sp = rsp(c) - 2;
  c.mem.write16(sp, v);
  setRsp(c, sp);
}
export function pop16(c: Cpu): number {
  const sp = rsp(c);
  const v = c.mem.read16(sp);
  setRsp(c, sp + 2);
  return v;
}
export function rsp(c: Cpu): number {
  return c.r32[9] * 4294967296 + (c.r32[8] >>> 0);
}
export function setRsp(c: Cpu, sp: number): void {
  c.r32[8] = sp | 0;
  c.r32[9] = Math.floor(sp / 4294967296);
}

/** Masks by operand size, for sizes 8/16/32. */
export function mask(size: number, v: number): number {
  return size === 8 ? v & 0xff : size === 16 ? v & 0xffff : v | 0;
}
