// Shared plumbing for the SSE rows (sse-move.ts, sse-int.ts, sse-state.ts).
//
// The XMM file is Cpu.xbuf: register n at byte 16*n, seen as x8 (bytes), x16 (words), x32 (dwords,
// int32) and, for later float work, xf32/xf64. Lanes are little-endian: byte i of xmm n is x8[16n+i],
// dword i is x32[4n+i], the low half of qword i is x32[4n+2i].
//
// xbuf has 32 bytes after xmm15, used here as two pseudo-registers: M (16) receives a 128-bit memory
// operand, so every operation is written once over register numbers and never allocates; T (17) holds
// a result being built from lanes of both operands (unpack, pack, shuffle) before it is copied out.
//
// Alignment: a legacy-SSE instruction with a 128-bit memory operand needs a 16-byte-aligned address
// unless the SDM lists it as unaligned (movdqu, movups, movupd); otherwise #GP(0) (SIGSEGV), which the
// CPU checks before any page fault. AMD's misaligned-SSE mode (MXCSR.MM, bit 17) is not modelled: our
// MXCSR_MASK is 0xFFFF, as on Intel, so setting bit 17 is #GP.

import type { Cpu } from '../cpu.js';
import type { Insn } from '../insn.js';
import { GuestFault, Vector } from '../fault.js';
import { ea } from '../operands.js';

/** Pseudo-register holding a 128-bit memory operand (xbuf bytes 256..271). */
export const M = 16;
/** Scratch pseudo-register for results assembled from both operands (xbuf bytes 272..287). */
export const T = 17;

/** MXCSR bits that ldmxcsr/fxrstor accept (the MXCSR_MASK fxsave stores); others are #GP. */
export const MXCSR_MASK = 0xffff;

export function misaligned(what: string, addr: number): GuestFault {
  return new GuestFault(Vector.GP, 0, 0, `${what}: misaligned memory operand 0x${addr.toString(16)}`);
}

/** Load 16 bytes at `a` into pseudo-register M; returns M. Faults leave every register untouched. */
export function loadM(c: Cpu, a: number): number {
  const x = c.x32, m = c.mem;
  x[64] = m.read64(a); x[65] = m.hi;
  x[66] = m.read64(a + 8); x[67] = m.hi;
  return M;
}

/** The register number of a 128-bit source that must be 16-byte aligned in memory (xmm/m128). */
export function srcA(c: Cpu, d: Insn): number {
  if (d.mod3) return d.rm;
  const a = ea(c, d);
  if ((a & 15) !== 0) throw misaligned(d.row.mnemonic, a);
  return loadM(c, a);
}

/** The register number of a 128-bit source that may be unaligned (movdqu, movups, movupd). */
export function srcU(c: Cpu, d: Insn): number {
  if (d.mod3) return d.rm;
  return loadM(c, ea(c, d));
}

/** Store register r's 16 bytes at `a`; a page-crossing store faults before writing any byte. */
export function store128(c: Cpu, a: number, r: number): void {
  const x = c.x32, m = c.mem, i = 4 * r;
  if ((a & 0xfff) > 0xff0) m.checkWritable(a, 16);
  m.write64(a, x[i], x[i + 1]);
  m.write64(a + 8, x[i + 2], x[i + 3]);
}

/** Copy register s to register d (128 bits). */
export function copy128(c: Cpu, d: number, s: number): void {
  const x = c.x32, i = 4 * d, j = 4 * s;
  x[i] = x[j]; x[i + 1] = x[j + 1]; x[i + 2] = x[j + 2]; x[i + 3] = x[j + 3];
}

/** Store a 128-bit register to xmm/m128 (register form: a copy). Aligned unless `unaligned`. */
export function storeXmm(c: Cpu, d: Insn, aligned: boolean): void {
  if (d.mod3) { copy128(c, d.rm, d.reg); return; }
  const a = ea(c, d);
  if (aligned && (a & 15) !== 0) throw misaligned(d.row.mnemonic, a);
  store128(c, a, d.reg);
}
