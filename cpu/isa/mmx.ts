// MMX (SDM vol. 2: the NP-prefixed forms on mm registers) and the integer SSE/SSE2 instructions that
// work on mm registers: MOVD/MOVQ (0F 6E/7E/6F/7F), PADD*/PSUB* (with the SSE2 PADDQ/PSUBQ),
// saturating forms, PCMPEQ*/PCMPGT*, PAND/PANDN/POR/PXOR, PMULLW/PMULHW/PMADDWD, PUNPCK*, PACK*, the
// shifts by mm/m64 and by imm8, EMMS; SSE's PAVGB/PAVGW, PMINUB/PMAXUB/PMINSW/PMAXSW, PMULHUW, PSADBW,
// PMOVMSKB, PSHUFW, PEXTRW/PINSRW, MOVNTQ, MASKMOVQ; SSE2's PMULUDQ and MOVQ2DQ/MOVDQ2Q.
// Left out: the float conversions on mm (cvtpi2ps, cvtps2pi, cvttps2pi, cvtpi2pd, cvtpd2pi,
// cvttpd2pi) and SSSE3's mm forms (pshufb mm, palignr mm, ...): #UD.
//
// The register file and the x87 transitions (#MF, TOP = 0, tags valid, exponent all ones) are in
// cpu/mmx.ts. The lane arithmetic is sse-int.ts's, run on a private staging buffer laid out like the
// xmm file: the 64-bit operands go in the low qword of staging registers 0 (destination) and 1
// (source), the 128-bit operation runs, and the low qword of register 0 is the MMX result. That is
// exact for every element-wise operation and for punpckl*: the low half of a 128-bit interleave of
// the low halves is the 64-bit interleave of the low dwords. Two shapes need the operands placed
// differently:
// - punpckh*: the operands go in at byte 4, so that their high dwords are the bytes the 128-bit
//   punpckh* reads (8..11) and the interleave lands in the low qword;
// - pack*: the destination in the low qword and the source in the high qword of register 0, packed
//   with itself: the 128-bit pack of (dst, src) narrows dst then src into the low qword.
//
// Memory operands: m64 (m32 for punpckl*, which read only the low dword, and m16 for pinsrw), no
// alignment requirement. The source is read (and may fault) before the x87 state changes.

import type { Cpu } from '../cpu.js';
import type { Insn, ExecFn } from '../insn.js';
import type { IsaRow, Operand } from './types.js';
import { ea, setReg32, setReg64 } from '../operands.js';
import { SEG_FS } from '../cpu.js';
import { INT_OPS, SHIFTS, type VecOp, type Shift } from './sse-int.js';
import { mmxCheck, mmxEnter, emms, mmRead, mmLo, mmHi, mmWrite } from '../mmx.js';

const rows: IsaRow[] = [];
const row = (r: IsaRow) => rows.push(r);

// ---- staging: the views sse-int's lane operations use (x8/x16/x32), over 18 registers so that
// their scratch register T (17) exists ----
const stage = new ArrayBuffer(18 * 16);
const x32 = new Int32Array(stage);
const x16 = new Uint16Array(stage);
const x8 = new Uint8Array(stage);
/** The lane operations read only x8, x16 and x32 of their Cpu argument. */
const lanes = { x8, x16, x32 } as unknown as Cpu;

const mmReg = (d: Insn) => d.reg & 7; // ModRM.reg names mm0..mm7: REX.R is ignored
const mmRm = (d: Insn) => d.rm & 7; // and so is REX.B for a register r/m

/** Read the mm/m64 source into x32[at], x32[at + 1]. */
function source64(c: Cpu, d: Insn, at: number): void {
  if (d.mod3) mmRead(c, mmRm(d), x32, at);
  else { x32[at] = c.mem.read64(ea(c, d)); x32[at + 1] = c.mem.hi; }
}
/** Read the mm/m32 source of punpckl*: a register's low dword, or 32 bits of memory. */
function source32(c: Cpu, d: Insn, at: number): void {
  if (d.mod3) mmRead(c, mmRm(d), x32, at);
  else { x32[at] = c.mem.read32(ea(c, d)); x32[at + 1] = 0; }
}

/** Finish an instruction that writes mm r from x32[at], x32[at + 1]. */
function finish(c: Cpu, r: number, at: number): void {
  mmxEnter(c);
  mmWrite(c, r, x32[at], x32[at + 1]);
}

// ---- op mm, mm/m64: element-wise, unpack, pack ----
type Shape = 'lane' | 'low' | 'high' | 'pack';
function laneExec(op: VecOp, shape: Shape): ExecFn {
  switch (shape) {
    case 'lane': return (c, d) => { mmxCheck(c); source64(c, d, 4); mmRead(c, mmReg(d), x32, 0); op(lanes, 0, 1); finish(c, mmReg(d), 0); };
    case 'low': return (c, d) => { mmxCheck(c); source32(c, d, 4); mmRead(c, mmReg(d), x32, 0); op(lanes, 0, 1); finish(c, mmReg(d), 0); };
    case 'high': return (c, d) => { mmxCheck(c); source64(c, d, 5); mmRead(c, mmReg(d), x32, 1); op(lanes, 0, 1); finish(c, mmReg(d), 0); };
    case 'pack': return (c, d) => { mmxCheck(c); source64(c, d, 2); mmRead(c, mmReg(d), x32, 0); op(lanes, 0, 0); finish(c, mmReg(d), 0); };
  }
}

/** The CPUID feature of each mm form (the mm forms SSE and SSE2 added; the rest are MMX). */
const FEATURE: Record<string, string> = {
  paddq: 'sse2', psubq: 'sse2', pmuludq: 'sse2',
  pavgb: 'sse', pavgw: 'sse', pminub: 'sse', pmaxub: 'sse', pminsw: 'sse', pmaxsw: 'sse', pmulhuw: 'sse', psadbw: 'sse',
};
for (const [mn, op, fn] of INT_OPS) {
  if (mn === 'punpcklqdq' || mn === 'punpckhqdq') continue; // xmm only
  const shape: Shape = mn.startsWith('punpckl') ? 'low' : mn.startsWith('punpckh') ? 'high' : mn.startsWith('pack') ? 'pack' : 'lane';
  const src: Operand = shape === 'low' ? 'mm/m32' : 'mm/m64';
  row({
    id: `${mn}_mm_${shape === 'low' ? 'mmm32' : 'mmm64'}`, mnemonic: mn, opcode: `NP 0F ${op} /r`, operands: ['mm', src],
    feature: FEATURE[mn] ?? 'mmx', exec: laneExec(fn, shape),
  });
}

// ---- shifts: by mm/m64 (the whole qword is the count) and by imm8 ----
function shiftBy(fn: Shift): ExecFn {
  return (c, d) => {
    mmxCheck(c);
    source64(c, d, 4);
    const lo = x32[4], hi = x32[5];
    mmRead(c, mmReg(d), x32, 0);
    fn(lanes, 0, hi !== 0 || lo >>> 0 > 255 ? 255 : lo);
    finish(c, mmReg(d), 0);
  };
}
function shiftImm(fn: Shift): ExecFn {
  return (c, d) => {
    mmxCheck(c);
    const r = mmRm(d);
    mmRead(c, r, x32, 0);
    fn(lanes, 0, d.imm & 0xff);
    finish(c, r, 0);
  };
}
for (const [mn, byMm, grp, digit, fn] of SHIFTS) {
  row({ id: `${mn}_mm_mmm64`, mnemonic: mn, opcode: `NP 0F ${byMm} /r`, operands: ['mm', 'mm/m64'], feature: 'mmx', exec: shiftBy(fn) });
  row({ id: `${mn}_mm_imm8`, mnemonic: mn, opcode: `NP 0F ${grp} /${digit} ib mod=reg`, operands: ['mm/m64', 'imm8'], feature: 'mmx', exec: shiftImm(fn) });
}

// ---- movd / movq ----
row({
  id: 'movd_mm_rm32', mnemonic: 'movd', opcode: 'NP o32 0F 6E /r', operands: ['mm', 'r/m32'], feature: 'mmx',
  exec: (c, d) => {
    mmxCheck(c);
    const v = d.mod3 ? c.r32[2 * d.rm] : c.mem.read32(ea(c, d));
    mmxEnter(c);
    mmWrite(c, mmReg(d), v, 0);
  },
});
row({
  id: 'movq_mm_rm64', mnemonic: 'movq', opcode: 'NP o64 0F 6E /r', operands: ['mm', 'r/m64'], feature: 'mmx',
  exec: (c, d) => {
    mmxCheck(c);
    if (d.mod3) { x32[0] = c.r32[2 * d.rm]; x32[1] = c.r32[2 * d.rm + 1]; } else { x32[0] = c.mem.read64(ea(c, d)); x32[1] = c.mem.hi; }
    finish(c, mmReg(d), 0);
  },
});
row({
  id: 'movd_rm32_mm', mnemonic: 'movd', opcode: 'NP o32 0F 7E /r', operands: ['r/m32', 'mm'], feature: 'mmx',
  exec: (c, d) => {
    mmxCheck(c);
    const v = mmLo(c, mmReg(d));
    if (d.mod3) setReg32(c, d.rm, v); else c.mem.write32(ea(c, d), v);
    mmxEnter(c);
  },
});
row({
  id: 'movq_rm64_mm', mnemonic: 'movq', opcode: 'NP o64 0F 7E /r', operands: ['r/m64', 'mm'], feature: 'mmx',
  exec: (c, d) => {
    mmxCheck(c);
    const r = mmReg(d), lo = mmLo(c, r), hi = mmHi(c, r);
    if (d.mod3) setReg64(c, d.rm, lo, hi); else c.mem.write64(ea(c, d), lo, hi);
    mmxEnter(c);
  },
});
row({
  id: 'movq_mm_mmm64', mnemonic: 'movq', opcode: 'NP 0F 6F /r', operands: ['mm', 'mm/m64'], feature: 'mmx',
  exec: (c, d) => { mmxCheck(c); source64(c, d, 0); finish(c, mmReg(d), 0); },
});
/** Store mm (ModRM.reg) to m64 or to the mm register in ModRM.rm. */
const storeMm: ExecFn = (c, d) => {
  mmxCheck(c);
  const r = mmReg(d), lo = mmLo(c, r), hi = mmHi(c, r);
  if (d.mod3) { mmxEnter(c); mmWrite(c, mmRm(d), lo, hi); return; }
  c.mem.write64(ea(c, d), lo, hi);
  mmxEnter(c);
};
row({ id: 'movq_mmm64_mm', mnemonic: 'movq', opcode: 'NP 0F 7F /r', operands: ['mm/m64', 'mm'], feature: 'mmx', exec: storeMm });
// A non-temporal store is a plain store here (as movntdq in sse-move.ts).
row({ id: 'movntq_m64_mm', mnemonic: 'movntq', opcode: 'NP 0F E7 /r mod=mem', operands: ['m64', 'mm'], feature: 'sse', exec: storeMm });

// ---- between mm and xmm (SSE2) ----
row({
  id: 'movq2dq_xmm_mm', mnemonic: 'movq2dq', opcode: 'F3 0F D6 /r mod=reg', operands: ['xmm', 'mm/m64'], feature: 'sse2',
  exec: (c, d) => {
    mmxCheck(c);
    const x = c.x32, i = 4 * d.reg;
    mmRead(c, mmRm(d), x, i);
    x[i + 2] = 0; x[i + 3] = 0;
    mmxEnter(c);
  },
});
row({
  id: 'movdq2q_mm_xmm', mnemonic: 'movdq2q', opcode: 'F2 0F D6 /r mod=reg', operands: ['mm', 'xmm2'], feature: 'sse2',
  exec: (c, d) => { mmxCheck(c); const j = 4 * d.rm; mmxEnter(c); mmWrite(c, mmReg(d), c.x32[j], c.x32[j + 1]); },
});

// ---- SSE additions on mm: shuffle, word insert/extract, byte mask, masked store ----
row({
  id: 'pshufw_mm_mmm64_imm8', mnemonic: 'pshufw', opcode: 'NP 0F 70 /r ib', operands: ['mm', 'mm/m64', 'imm8'], feature: 'sse',
  exec: (c, d) => {
    mmxCheck(c);
    source64(c, d, 4); // words 8..11
    const n = d.imm;
    for (let k = 0; k < 4; k++) x16[k] = x16[8 + ((n >> (2 * k)) & 3)];
    finish(c, mmReg(d), 0);
  },
});
row({
  id: 'pextrw_r32_mm_imm8', mnemonic: 'pextrw', opcode: 'NP 0F C5 /r ib mod=reg', operands: ['r32', 'mm/m64', 'imm8'], feature: 'sse',
  exec: (c, d) => {
    mmxCheck(c);
    mmRead(c, mmRm(d), x32, 0);
    setReg32(c, d.reg, x16[d.imm & 3]);
    mmxEnter(c);
  },
});
row({
  id: 'pinsrw_mm_r32m16_imm8', mnemonic: 'pinsrw', opcode: 'NP 0F C4 /r ib', operands: ['mm', 'r32/m16', 'imm8'], feature: 'sse',
  exec: (c, d) => {
    mmxCheck(c);
    const v = d.mod3 ? c.r16[4 * d.rm] : c.mem.read16(ea(c, d));
    const r = mmReg(d);
    mmRead(c, r, x32, 0);
    x16[d.imm & 3] = v;
    finish(c, r, 0);
  },
});
row({
  id: 'pmovmskb_r32_mm', mnemonic: 'pmovmskb', opcode: 'NP 0F D7 /r mod=reg', operands: ['r32', 'mm/m64'], feature: 'sse',
  exec: (c, d) => {
    mmxCheck(c);
    mmRead(c, mmRm(d), x32, 0);
    let m = 0;
    for (let i = 7; i >= 0; i--) m = (m << 1) | (x8[i] >> 7);
    setReg32(c, d.reg, m);
    mmxEnter(c);
  },
});
/**
 * maskmovq mm1, mm2: store the bytes of mm1 whose mask byte in mm2 has its top bit set, at ds:[rdi]
 * (edi with 67; an fs/gs override applies). As on the host: every byte of the 8-byte destination must
 * be writable, even with a zero mask, so a fault stores nothing; and the x87 transition (TOP = 0, tags
 * valid) has already happened when it faults.
 */
row({
  id: 'maskmovq_mm_mm', mnemonic: 'maskmovq', opcode: 'NP 0F F7 /r mod=reg', operands: ['mm', 'mm/m64'], feature: 'sse',
  exec: (c, d) => {
    mmxCheck(c);
    mmRead(c, mmReg(d), x32, 0);
    mmRead(c, mmRm(d), x32, 2);
    const r = c.r32;
    let a = d.asize === 32 ? r[14] >>> 0 : r[15] * 4294967296 + (r[14] >>> 0);
    if (d.seg !== 0) a += d.seg === SEG_FS ? c.fsBase : c.gsBase;
    mmxEnter(c);
    c.mem.checkWritable(a, 8);
    for (let i = 0; i < 8; i++) if (x8[8 + i] & 0x80) c.mem.write8(a + i, x8[i]);
  },
});

row({ id: 'emms', mnemonic: 'emms', opcode: 'NP 0F 77', operands: [], feature: 'mmx', exec: (c) => { mmxCheck(c); emms(c); } });

export const MMX_ROWS: readonly IsaRow[] = rows;
