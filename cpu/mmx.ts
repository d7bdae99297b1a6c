// The MMX register file (SDM vol. 1 ch. 9.5 "Compatibility with x87 FPU architecture"): mm0..mm7 are
// not registers of their own but the low 64 bits (the significand) of the x87 data registers, by
// physical number: mm i is R i of cpu/x87.ts (`X87.regs[i]`), whatever TOP is.
//
// The transitions, as the SDM describes them and the host CPU shows (tests/isa-mmx.test.ts):
// - every MMX instruction (and the SSE/SSE2 ones that name an mm register) first reports a pending
//   unmasked x87 exception as #MF, like a waiting x87 instruction; then it sets TOP to 0 and tags all
//   eight registers valid, whether or not it writes an mm register;
// - writing mm i sets bits 79..64 of R i (sign and exponent) to all ones, so that the value reads as a
//   NaN or infinity to x87 code;
// - emms sets TOP to 0 and tags all eight registers empty (the contents stay), as SDM vol. 1 table 9-3
//   says and the host shows;
// - the rest of the x87 state (control word, condition codes, exception flags) is left alone.
// A fault on the memory operand happens before any of this: the instruction then changes nothing.
// Except for maskmovq, whose store is checked after the transition: on the host it faults with TOP = 0
// and all registers tagged valid (and nothing stored), so it does here.
//
// The x87 registers are plain numbers (X87.se/hi/lo: sign and exponent, significand halves), so an mm
// register is X87.hi[i]:X87.lo[i] and writing one sets se to all ones: one source of truth for fxsave,
// signal frames and the x87 rows. Values travel as (lo, hi) int32 pairs, as elsewhere in cpu/.

import type { Cpu } from './cpu.js';
import { GuestFault, Vector } from './fault.js';


/** Start an MMX instruction: #MF if an unmasked x87 exception is pending. Changes nothing else. */
export function mmxCheck(c: Cpu): void {
  const x = c.x87;
  // Pending: an exception flag set whose mask bit is clear (X87.pending(), spelled out here).
  if ((x.sw & ~x.cw & 0x3f) !== 0) throw new GuestFault(Vector.MF, 0, 0, `x87 floating-point exception pending before an MMX instruction (status word 0x${x.status().toString(16)})`);
}

/** The x87-to-MMX transition of an executing MMX instruction: TOP = 0, all registers tagged valid. */
export function mmxEnter(c: Cpu): void {
  const x = c.x87;
  x.top = 0;
  x.used = 0xff;
}

/** emms: TOP = 0, every x87 register tagged empty. */
export function emms(c: Cpu): void {
  c.x87.top = 0;
  c.x87.used = 0;
}

/** The low 32 bits of mm i, as int32. */
export function mmLo(c: Cpu, i: number): number {
  return c.x87.lo[i] | 0;
}

/** Bits 63..32 of mm i, as int32. */
export function mmHi(c: Cpu, i: number): number {
  return c.x87.hi[i] | 0;
}

/** Copy mm i into out[at] (low half) and out[at + 1] (high half). */
export function mmRead(c: Cpu, i: number, out: Int32Array, at: number): void {
  const x = c.x87;
  out[at] = x.lo[i] | 0;
  out[at + 1] = x.hi[i] | 0;
}

/** Write mm i = (hi:lo); bits 79..64 of the x87 register become all ones. */
export function mmWrite(c: Cpu, i: number, lo: number, hi: number): void {
  const x = c.x87;
  x.se[i] = 0xffff;
  x.hi[i] = hi >>> 0;
  x.lo[i] = lo >>> 0;
}

/** mm i as an unsigned 64-bit bigint (tests, the step view). */
export function mmGet(c: Cpu, i: number): bigint {
  return (BigInt(c.x87.hi[i]) << 32n) | BigInt(c.x87.lo[i]);
}

/** Set mm i from a bigint as an MMX write does (tests). */
export function mmSet(c: Cpu, i: number, v: bigint): void {
  const u = BigInt.asUintN(64, v);
  mmWrite(c, i, Number(u & 0xffffffffn) | 0, Number(u >> 32n) | 0);
}
