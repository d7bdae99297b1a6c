// SSE/SSE2 data movement (SDM vol. 2: MOVD/MOVQ, MOVDQA/MOVDQU, MOVAPS/MOVUPS/MOVAPD/MOVUPD,
// MOVSS/MOVSD (the moves, not the string instruction), MOVLPS/MOVHPS/MOVLPD/MOVHPD/MOVHLPS/MOVLHPS,
// MOVNTDQ/MOVNTPS/MOVNTPD/MOVNTI, MOVMSKPS/MOVMSKPD).
//
// Merge rules worth remembering: a load of 32 or 64 bits into an xmm register (movd, movq, movss and
// movsd from memory) zeroes the rest of the register; movss/movsd between registers replace only the
// low lane; movq xmm, xmm (F3 0F 7E and 66 0F D6) zeroes the upper qword; movlps/movhps/movhlps/movlhps
// replace one qword and keep the other. Non-temporal stores are plain stores (the cache hint has no
// meaning here), with the alignment check of their m128 forms.

import type { Cpu } from '../cpu.js';
import type { Insn } from '../insn.js';
import type { IsaRow } from './types.js';
import { ea, setReg32, setReg64 } from '../operands.js';
import { srcA, srcU, storeXmm, copy128, misaligned, store128 } from './sse-common.js';
import { specialize } from '../specialize.js';

const rows: IsaRow[] = [];
const row = (r: IsaRow) => rows.push(r);

// ---- movd / movq between general registers (or memory) and xmm ----
row({
  id: 'movd_xmm_rm32', mnemonic: 'movd', opcode: '66 o32 0F 6E /r', operands: ['xmm', 'r/m32'], feature: 'sse2',
  exec: (c, d) => {
    const v = d.mod3 ? c.r32[2 * d.rm] : c.mem.read32(ea(c, d));
    const x = c.x32, i = 4 * d.reg;
    x[i] = v; x[i + 1] = 0; x[i + 2] = 0; x[i + 3] = 0;
  },
});
row({
  id: 'movq_xmm_rm64', mnemonic: 'movq', opcode: '66 o64 0F 6E /r', operands: ['xmm', 'r/m64'], feature: 'sse2',
  exec: (c, d) => {
    let lo: number, hi: number;
    if (d.mod3) { lo = c.r32[2 * d.rm]; hi = c.r32[2 * d.rm + 1]; } else { lo = c.mem.read64(ea(c, d)); hi = c.mem.hi; }
    const x = c.x32, i = 4 * d.reg;
    x[i] = lo; x[i + 1] = hi; x[i + 2] = 0; x[i + 3] = 0;
  },
});
row({
  id: 'movd_rm32_xmm', mnemonic: 'movd', opcode: '66 o32 0F 7E /r', operands: ['r/m32', 'xmm'], feature: 'sse2',
  exec: (c, d) => {
    const v = c.x32[4 * d.reg];
    if (d.mod3) setReg32(c, d.rm, v); else c.mem.write32(ea(c, d), v);
  },
});
row({
  id: 'movq_rm64_xmm', mnemonic: 'movq', opcode: '66 o64 0F 7E /r', operands: ['r/m64', 'xmm'], feature: 'sse2',
  exec: (c, d) => {
    const x = c.x32, i = 4 * d.reg;
    if (d.mod3) setReg64(c, d.rm, x[i], x[i + 1]); else c.mem.write64(ea(c, d), x[i], x[i + 1]);
  },
});

// ---- movq between xmm registers and m64: the upper qword of an xmm destination is zeroed ----
function movqLoad(c: Cpu, d: Insn): void {
  const x = c.x32, i = 4 * d.reg;
  let lo: number, hi: number;
  if (d.mod3) { lo = x[4 * d.rm]; hi = x[4 * d.rm + 1]; } else { lo = c.mem.read64(ea(c, d)); hi = c.mem.hi; }
  x[i] = lo; x[i + 1] = hi; x[i + 2] = 0; x[i + 3] = 0;
}
row({ id: 'movq_xmm_xmmm64', mnemonic: 'movq', opcode: 'F3 0F 7E /r', operands: ['xmm', 'xmm/m64'], feature: 'sse2', exec: movqLoad });
row({
  id: 'movq_xmmm64_xmm', mnemonic: 'movq', opcode: '66 0F D6 /r', operands: ['xmm/m64', 'xmm'], feature: 'sse2',
  exec: (c, d) => {
    const x = c.x32, i = 4 * d.reg;
    if (!d.mod3) { c.mem.write64(ea(c, d), x[i], x[i + 1]); return; }
    const j = 4 * d.rm;
    x[j] = x[i]; x[j + 1] = x[i + 1]; x[j + 2] = 0; x[j + 3] = 0;
  },
});

// ---- full 128-bit moves ----
// Templates (specialize.ts), so that the block compiler inlines them with the registers as constants.
const MOVES = { srcA, srcU, storeXmm, copy128 };
const loadAligned = specialize('sse:load128a', '(c, d) => { const s = d.mod3 ? d.rm : srcA(c, d); if (s !== d.reg) copy128(c, d.reg, s); }', MOVES);
const loadUnaligned = specialize('sse:load128u', '(c, d) => { const s = d.mod3 ? d.rm : srcU(c, d); if (s !== d.reg) copy128(c, d.reg, s); }', MOVES);
const storeAligned = specialize('sse:store128a', '(c, d) => { if (d.mod3) copy128(c, d.rm, d.reg); else storeXmm(c, d, true); }', MOVES);
const storeUnaligned = specialize('sse:store128u', '(c, d) => { if (d.mod3) copy128(c, d.rm, d.reg); else storeXmm(c, d, false); }', MOVES);

const FULL: [string, string, boolean, string, string][] = [
  // mnemonic, prefix, aligned, load opcode, store opcode
  ['movdqa', '66', true, '6F', '7F'],
  ['movdqu', 'F3', false, '6F', '7F'],
  ['movaps', 'NP', true, '28', '29'],
  ['movapd', '66', true, '28', '29'],
  ['movups', 'NP', false, '10', '11'],
  ['movupd', '66', false, '10', '11'],
];
for (const [mn, pfx, aligned, ld, st] of FULL) {
  const feature = mn.endsWith('ps') ? 'sse' : 'sse2';
  row({ id: `${mn}_xmm_xmmm128`, mnemonic: mn, opcode: `${pfx} 0F ${ld} /r`, operands: ['xmm', 'xmm/m128'], feature, exec: aligned ? loadAligned : loadUnaligned });
  row({ id: `${mn}_xmmm128_xmm`, mnemonic: mn, opcode: `${pfx} 0F ${st} /r`, operands: ['xmm/m128', 'xmm'], feature, exec: aligned ? storeAligned : storeUnaligned });
}

// ---- movss / movsd: register to register merges the low lane; a load zeroes the rest ----
row({
  id: 'movss_xmm_xmmm32', mnemonic: 'movss', opcode: 'F3 0F 10 /r', operands: ['xmm', 'xmm/m32'], feature: 'sse',
  exec: (c, d) => {
    const x = c.x32, i = 4 * d.reg;
    if (d.mod3) { x[i] = x[4 * d.rm]; return; }
    x[i] = c.mem.read32(ea(c, d)); x[i + 1] = 0; x[i + 2] = 0; x[i + 3] = 0;
  },
});
row({
  id: 'movss_xmmm32_xmm', mnemonic: 'movss', opcode: 'F3 0F 11 /r', operands: ['xmm/m32', 'xmm'], feature: 'sse',
  exec: (c, d) => {
    const x = c.x32, v = x[4 * d.reg];
    if (d.mod3) x[4 * d.rm] = v; else c.mem.write32(ea(c, d), v);
  },
});
row({
  id: 'movsd_xmm_xmmm64', mnemonic: 'movsd', opcode: 'F2 0F 10 /r', operands: ['xmm', 'xmm/m64'], feature: 'sse2',
  exec: (c, d) => {
    const x = c.x32, i = 4 * d.reg;
    if (d.mod3) { x[i] = x[4 * d.rm]; x[i + 1] = x[4 * d.rm + 1]; return; }
    x[i] = c.mem.read64(ea(c, d)); x[i + 1] = c.mem.hi; x[i + 2] = 0; x[i + 3] = 0;
  },
});
row({
  id: 'movsd_xmmm64_xmm', mnemonic: 'movsd', opcode: 'F2 0F 11 /r', operands: ['xmm/m64', 'xmm'], feature: 'sse2',
  exec: (c, d) => {
    const x = c.x32, i = 4 * d.reg;
    if (d.mod3) { x[4 * d.rm] = x[i]; x[4 * d.rm + 1] = x[i + 1]; } else c.mem.write64(ea(c, d), x[i], x[i + 1]);
  },
});

// ---- half moves: one qword of the register, the other kept ----
/** Load m64 into qword `q` (0 low, 1 high) of d.reg. */
function loadHalf(q: number) {
  return (c: Cpu, d: Insn) => {
    const lo = c.mem.read64(ea(c, d)), hi = c.mem.hi;
    const i = 4 * d.reg + 2 * q;
    c.x32[i] = lo; c.x32[i + 1] = hi;
  };
}
/** Store qword `q` of d.reg to m64. */
function storeHalf(q: number) {
  return (c: Cpu, d: Insn) => { const i = 4 * d.reg + 2 * q; c.mem.write64(ea(c, d), c.x32[i], c.x32[i + 1]); };
}
const loadLow = loadHalf(0), loadHigh = loadHalf(1), storeLow = storeHalf(0), storeHigh = storeHalf(1);
row({ id: 'movlps_xmm_m64', mnemonic: 'movlps', opcode: 'NP 0F 12 /r mod=mem', operands: ['xmm', 'm64'], feature: 'sse', exec: loadLow });
row({ id: 'movlpd_xmm_m64', mnemonic: 'movlpd', opcode: '66 0F 12 /r mod=mem', operands: ['xmm', 'm64'], feature: 'sse2', exec: loadLow });
row({ id: 'movhps_xmm_m64', mnemonic: 'movhps', opcode: 'NP 0F 16 /r mod=mem', operands: ['xmm', 'm64'], feature: 'sse', exec: loadHigh });
row({ id: 'movhpd_xmm_m64', mnemonic: 'movhpd', opcode: '66 0F 16 /r mod=mem', operands: ['xmm', 'm64'], feature: 'sse2', exec: loadHigh });
row({ id: 'movlps_m64_xmm', mnemonic: 'movlps', opcode: 'NP 0F 13 /r mod=mem', operands: ['m64', 'xmm'], feature: 'sse', exec: storeLow });
row({ id: 'movlpd_m64_xmm', mnemonic: 'movlpd', opcode: '66 0F 13 /r mod=mem', operands: ['m64', 'xmm'], feature: 'sse2', exec: storeLow });
row({ id: 'movhps_m64_xmm', mnemonic: 'movhps', opcode: 'NP 0F 17 /r mod=mem', operands: ['m64', 'xmm'], feature: 'sse', exec: storeHigh });
row({ id: 'movhpd_m64_xmm', mnemonic: 'movhpd', opcode: '66 0F 17 /r mod=mem', operands: ['m64', 'xmm'], feature: 'sse2', exec: storeHigh });
row({
  id: 'movhlps_xmm_xmm', mnemonic: 'movhlps', opcode: 'NP 0F 12 /r mod=reg', operands: ['xmm', 'xmm2'], feature: 'sse',
  exec: (c, d) => { const x = c.x32, i = 4 * d.reg, j = 4 * d.rm; x[i] = x[j + 2]; x[i + 1] = x[j + 3]; },
});
row({
  id: 'movlhps_xmm_xmm', mnemonic: 'movlhps', opcode: 'NP 0F 16 /r mod=reg', operands: ['xmm', 'xmm2'], feature: 'sse',
  exec: (c, d) => { const x = c.x32, i = 4 * d.reg, j = 4 * d.rm; x[i + 2] = x[j]; x[i + 3] = x[j + 1]; },
});

// ---- non-temporal stores: plain stores here ----
function storeNT(c: Cpu, d: Insn): void {
  const a = ea(c, d);
  if ((a & 15) !== 0) throw misaligned(d.row.mnemonic, a);
  store128(c, a, d.reg);
}
row({ id: 'movntdq_m128_xmm', mnemonic: 'movntdq', opcode: '66 0F E7 /r mod=mem', operands: ['m128', 'xmm'], feature: 'sse2', exec: storeNT });
row({ id: 'movntps_m128_xmm', mnemonic: 'movntps', opcode: 'NP 0F 2B /r mod=mem', operands: ['m128', 'xmm'], feature: 'sse', exec: storeNT });
row({ id: 'movntpd_m128_xmm', mnemonic: 'movntpd', opcode: '66 0F 2B /r mod=mem', operands: ['m128', 'xmm'], feature: 'sse2', exec: storeNT });
row({ id: 'movnti_m32_r32', mnemonic: 'movnti', opcode: 'NP o32 0F C3 /r mod=mem', operands: ['m32', 'r32'], feature: 'sse2', exec: (c, d) => c.mem.write32(ea(c, d), c.r32[2 * d.reg]) });
row({ id: 'movnti_m64_r64', mnemonic: 'movnti', opcode: 'NP o64 0F C3 /r mod=mem', operands: ['m64', 'r64'], feature: 'sse2', exec: (c, d) => c.mem.write64(ea(c, d), c.r32[2 * d.reg], c.r32[2 * d.reg + 1]) });

// ---- sign masks ----
row({
  id: 'movmskps_r32_xmm', mnemonic: 'movmskps', opcode: 'NP 0F 50 /r mod=reg', operands: ['r32', 'xmm2'], feature: 'sse',
  exec: (c, d) => {
    const x = c.x32, j = 4 * d.rm;
    setReg32(c, d.reg, (x[j] >>> 31) | ((x[j + 1] >>> 31) << 1) | ((x[j + 2] >>> 31) << 2) | ((x[j + 3] >>> 31) << 3));
  },
});
row({
  id: 'movmskpd_r32_xmm', mnemonic: 'movmskpd', opcode: '66 0F 50 /r mod=reg', operands: ['r32', 'xmm2'], feature: 'sse2',
  exec: (c, d) => { const x = c.x32, j = 4 * d.rm; setReg32(c, d.reg, (x[j + 1] >>> 31) | ((x[j + 3] >>> 31) << 1)); },
});

export const SSE_MOVE_ROWS: readonly IsaRow[] = rows;
