// SSE2 integer SIMD on xmm registers (SDM vol. 2: PADD*, PSUB*, saturating forms, PCMPEQ*/PCMPGT*,
// PAND/PANDN/POR/PXOR, PMIN/PMAX, PAVG, PMUL*, PMADDWD, PSADBW, shifts, PSHUF*, PUNPCK*, PACK*,
// PMOVMSKB, PEXTRW/PINSRW) and the bitwise/shuffle SSE forms on ps/pd data (ANDPS.., SHUFPS/SHUFPD,
// UNPCKLPS..), which are integer operations on bits. The MMX (NP) forms are in mmx.ts, which runs the
// lane operations exported here (INT_OPS, SHIFTS) on 64-bit operands staged in the low qword.
//
// Each operation is a function over register numbers (dst, src), so the same code serves the register
// and the memory form (the memory operand is first loaded into pseudo-register M, see sse-common.ts).
// Element-wise operations read each lane before writing it, so dst === src is safe; operations whose
// output lanes come from other lanes build the result in T first.

import type { Cpu } from '../cpu.js';
import type { Insn } from '../insn.js';
import type { IsaRow } from './types.js';
import { ea, setReg32 } from '../operands.js';
import { srcA, copy128, T } from './sse-common.js';
import { specialize } from '../specialize.js';

export type VecOp = (c: Cpu, d: number, s: number) => void;

const rows: IsaRow[] = [];
const row = (r: IsaRow) => rows.push(r);

const s8 = (v: number) => (v << 24) >> 24;
const s16 = (v: number) => (v << 16) >> 16;
const sat8 = (v: number) => (v > 127 ? 127 : v < -128 ? -128 : v);
const sat16 = (v: number) => (v > 32767 ? 32767 : v < -32768 ? -32768 : v);

// ---- bytes ----
const paddb: VecOp = (c, d, s) => { const b = c.x8; d *= 16; s *= 16; for (let i = 0; i < 16; i++) b[d + i] = b[d + i] + b[s + i]; };
const psubb: VecOp = (c, d, s) => { const b = c.x8; d *= 16; s *= 16; for (let i = 0; i < 16; i++) b[d + i] = b[d + i] - b[s + i]; };
const paddusb: VecOp = (c, d, s) => { const b = c.x8; d *= 16; s *= 16; for (let i = 0; i < 16; i++) { const r = b[d + i] + b[s + i]; b[d + i] = r > 255 ? 255 : r; } };
const psubusb: VecOp = (c, d, s) => { const b = c.x8; d *= 16; s *= 16; for (let i = 0; i < 16; i++) { const r = b[d + i] - b[s + i]; b[d + i] = r < 0 ? 0 : r; } };
const paddsb: VecOp = (c, d, s) => { const b = c.x8; d *= 16; s *= 16; for (let i = 0; i < 16; i++) b[d + i] = sat8(s8(b[d + i]) + s8(b[s + i])); };
const psubsb: VecOp = (c, d, s) => { const b = c.x8; d *= 16; s *= 16; for (let i = 0; i < 16; i++) b[d + i] = sat8(s8(b[d + i]) - s8(b[s + i])); };
const pcmpeqb: VecOp = (c, d, s) => { const b = c.x8; d *= 16; s *= 16; for (let i = 0; i < 16; i++) b[d + i] = b[d + i] === b[s + i] ? 0xff : 0; };
const pcmpgtb: VecOp = (c, d, s) => { const b = c.x8; d *= 16; s *= 16; for (let i = 0; i < 16; i++) b[d + i] = s8(b[d + i]) > s8(b[s + i]) ? 0xff : 0; };
const pminub: VecOp = (c, d, s) => { const b = c.x8; d *= 16; s *= 16; for (let i = 0; i < 16; i++) { const y = b[s + i]; if (y < b[d + i]) b[d + i] = y; } };
const pmaxub: VecOp = (c, d, s) => { const b = c.x8; d *= 16; s *= 16; for (let i = 0; i < 16; i++) { const y = b[s + i]; if (y > b[d + i]) b[d + i] = y; } };
const pavgb: VecOp = (c, d, s) => { const b = c.x8; d *= 16; s *= 16; for (let i = 0; i < 16; i++) b[d + i] = (b[d + i] + b[s + i] + 1) >> 1; };
const psadbw: VecOp = (c, d, s) => {
  const b = c.x8, w = c.x16, db = d * 16, sb = s * 16;
  let lo = 0, hi = 0;
  for (let i = 0; i < 8; i++) { lo += Math.abs(b[db + i] - b[sb + i]); hi += Math.abs(b[db + 8 + i] - b[sb + 8 + i]); }
  const x = c.x32, j = d * 4;
  x[j] = 0; x[j + 1] = 0; x[j + 2] = 0; x[j + 3] = 0;
  w[d * 8] = lo; w[d * 8 + 4] = hi;
};

// ---- words ----
const paddw: VecOp = (c, d, s) => { const w = c.x16; d *= 8; s *= 8; for (let i = 0; i < 8; i++) w[d + i] = w[d + i] + w[s + i]; };
const psubw: VecOp = (c, d, s) => { const w = c.x16; d *= 8; s *= 8; for (let i = 0; i < 8; i++) w[d + i] = w[d + i] - w[s + i]; };
const paddusw: VecOp = (c, d, s) => { const w = c.x16; d *= 8; s *= 8; for (let i = 0; i < 8; i++) { const r = w[d + i] + w[s + i]; w[d + i] = r > 0xffff ? 0xffff : r; } };
const psubusw: VecOp = (c, d, s) => { const w = c.x16; d *= 8; s *= 8; for (let i = 0; i < 8; i++) { const r = w[d + i] - w[s + i]; w[d + i] = r < 0 ? 0 : r; } };
const paddsw: VecOp = (c, d, s) => { const w = c.x16; d *= 8; s *= 8; for (let i = 0; i < 8; i++) w[d + i] = sat16(s16(w[d + i]) + s16(w[s + i])); };
const psubsw: VecOp = (c, d, s) => { const w = c.x16; d *= 8; s *= 8; for (let i = 0; i < 8; i++) w[d + i] = sat16(s16(w[d + i]) - s16(w[s + i])); };
const pcmpeqw: VecOp = (c, d, s) => { const w = c.x16; d *= 8; s *= 8; for (let i = 0; i < 8; i++) w[d + i] = w[d + i] === w[s + i] ? 0xffff : 0; };
const pcmpgtw: VecOp = (c, d, s) => { const w = c.x16; d *= 8; s *= 8; for (let i = 0; i < 8; i++) w[d + i] = s16(w[d + i]) > s16(w[s + i]) ? 0xffff : 0; };
const pminsw: VecOp = (c, d, s) => { const w = c.x16; d *= 8; s *= 8; for (let i = 0; i < 8; i++) { const y = w[s + i]; if (s16(y) < s16(w[d + i])) w[d + i] = y; } };
const pmaxsw: VecOp = (c, d, s) => { const w = c.x16; d *= 8; s *= 8; for (let i = 0; i < 8; i++) { const y = w[s + i]; if (s16(y) > s16(w[d + i])) w[d + i] = y; } };
const pavgw: VecOp = (c, d, s) => { const w = c.x16; d *= 8; s *= 8; for (let i = 0; i < 8; i++) w[d + i] = (w[d + i] + w[s + i] + 1) >> 1; };
const pmullw: VecOp = (c, d, s) => { const w = c.x16; d *= 8; s *= 8; for (let i = 0; i < 8; i++) w[d + i] = Math.imul(w[d + i], w[s + i]); };
const pmulhw: VecOp = (c, d, s) => { const w = c.x16; d *= 8; s *= 8; for (let i = 0; i < 8; i++) w[d + i] = Math.imul(s16(w[d + i]), s16(w[s + i])) >> 16; };
const pmulhuw: VecOp = (c, d, s) => { const w = c.x16; d *= 8; s *= 8; for (let i = 0; i < 8; i++) w[d + i] = (w[d + i] * w[s + i]) >>> 16; };
const pmaddwd: VecOp = (c, d, s) => {
  const w = c.x16, x = c.x32, dw = d * 8, sw = s * 8;
  for (let i = 0; i < 4; i++) {
    const k = 2 * i;
    // Each product fits in 31 bits; the sum wraps only for 0x8000 * 0x8000 twice, as the CPU's does.
    x[d * 4 + i] = s16(w[dw + k]) * s16(w[sw + k]) + s16(w[dw + k + 1]) * s16(w[sw + k + 1]);
  }
};

// ---- dwords and qwords ----
const paddd: VecOp = (c, d, s) => { const x = c.x32; d *= 4; s *= 4; for (let i = 0; i < 4; i++) x[d + i] = x[d + i] + x[s + i]; };
const psubd: VecOp = (c, d, s) => { const x = c.x32; d *= 4; s *= 4; for (let i = 0; i < 4; i++) x[d + i] = x[d + i] - x[s + i]; };
const pcmpeqd: VecOp = (c, d, s) => { const x = c.x32; d *= 4; s *= 4; for (let i = 0; i < 4; i++) x[d + i] = x[d + i] === x[s + i] ? -1 : 0; };
const pcmpgtd: VecOp = (c, d, s) => { const x = c.x32; d *= 4; s *= 4; for (let i = 0; i < 4; i++) x[d + i] = x[d + i] > x[s + i] ? -1 : 0; };
const paddq: VecOp = (c, d, s) => {
  const x = c.x32; d *= 4; s *= 4;
  for (let i = 0; i < 4; i += 2) {
    const a = x[d + i], b = x[s + i], lo = (a >>> 0) + (b >>> 0);
    x[d + i] = lo;
    x[d + i + 1] = x[d + i + 1] + x[s + i + 1] + (lo > 0xffffffff ? 1 : 0);
  }
};
const psubq: VecOp = (c, d, s) => {
  const x = c.x32; d *= 4; s *= 4;
  for (let i = 0; i < 4; i += 2) {
    const a = x[d + i], b = x[s + i];
    x[d + i] = a - b;
    x[d + i + 1] = x[d + i + 1] - x[s + i + 1] - ((a >>> 0) < (b >>> 0) ? 1 : 0);
  }
};
/** Unsigned 32x32 -> 64-bit product of a and b (int32 bit patterns), into x32[i], x32[i+1]. */
function mulU32(x: Int32Array, i: number, a: number, b: number): void {
  const al = a & 0xffff, ah = a >>> 16, bl = b & 0xffff, bh = b >>> 16;
  const ll = al * bl, lh = al * bh, hl = ah * bl;
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  x[i] = ((mid & 0xffff) << 16) | (ll & 0xffff);
  x[i + 1] = ah * bh + (lh >>> 16) + (hl >>> 16) + (mid >>> 16);
}
const pmuludq: VecOp = (c, d, s) => {
  const x = c.x32; d *= 4; s *= 4;
  mulU32(x, d, x[d], x[s]);
  mulU32(x, d + 2, x[d + 2], x[s + 2]);
};

// ---- bitwise (also the ps/pd forms: the same bits) ----
const pand: VecOp = (c, d, s) => { const x = c.x32; d *= 4; s *= 4; for (let i = 0; i < 4; i++) x[d + i] &= x[s + i]; };
const pandn: VecOp = (c, d, s) => { const x = c.x32; d *= 4; s *= 4; for (let i = 0; i < 4; i++) x[d + i] = ~x[d + i] & x[s + i]; };
const por: VecOp = (c, d, s) => { const x = c.x32; d *= 4; s *= 4; for (let i = 0; i < 4; i++) x[d + i] |= x[s + i]; };
const pxor: VecOp = (c, d, s) => { const x = c.x32; d *= 4; s *= 4; for (let i = 0; i < 4; i++) x[d + i] ^= x[s + i]; };

// ---- unpack (interleave) and pack (narrow with saturation), built in T ----
/** Interleave `size`-byte lanes of the low (hi = 0) or high (hi = 8) halves of d and s. */
function unpack(c: Cpu, d: number, s: number, size: number, hi: number): void {
  const b = c.x8, t = T * 16, db = d * 16 + hi, sb = s * 16 + hi;
  for (let i = 0, o = 0; i < 8; i += size, o += 2 * size) {
    for (let k = 0; k < size; k++) { b[t + o + k] = b[db + i + k]; b[t + o + size + k] = b[sb + i + k]; }
  }
  copy128(c, d, T);
}
const punpcklbw: VecOp = (c, d, s) => unpack(c, d, s, 1, 0);
const punpcklwd: VecOp = (c, d, s) => unpack(c, d, s, 2, 0);
const punpckldq: VecOp = (c, d, s) => unpack(c, d, s, 4, 0);
const punpcklqdq: VecOp = (c, d, s) => unpack(c, d, s, 8, 0);
const punpckhbw: VecOp = (c, d, s) => unpack(c, d, s, 1, 8);
const punpckhwd: VecOp = (c, d, s) => unpack(c, d, s, 2, 8);
const punpckhdq: VecOp = (c, d, s) => unpack(c, d, s, 4, 8);
const punpckhqdq: VecOp = (c, d, s) => unpack(c, d, s, 8, 8);

const packsswb: VecOp = (c, d, s) => {
  const b = c.x8, w = c.x16, t = T * 16;
  for (let i = 0; i < 8; i++) { b[t + i] = sat8(s16(w[d * 8 + i])); b[t + 8 + i] = sat8(s16(w[s * 8 + i])); }
  copy128(c, d, T);
};
const packuswb: VecOp = (c, d, s) => {
  const b = c.x8, w = c.x16, t = T * 16;
  for (let i = 0; i < 8; i++) {
    const p = s16(w[d * 8 + i]), q = s16(w[s * 8 + i]);
    b[t + i] = p < 0 ? 0 : p > 255 ? 255 : p;
    b[t + 8 + i] = q < 0 ? 0 : q > 255 ? 255 : q;
  }
  copy128(c, d, T);
};
const packssdw: VecOp = (c, d, s) => {
  const w = c.x16, x = c.x32, t = T * 8;
  for (let i = 0; i < 4; i++) { w[t + i] = sat16(x[d * 4 + i]); w[t + 4 + i] = sat16(x[s * 4 + i]); }
  copy128(c, d, T);
};

// ---- ps/pd interleaves ----
const unpcklps: VecOp = (c, d, s) => { const x = c.x32, i = d * 4, j = s * 4; const d1 = x[i + 1]; x[i + 2] = d1; x[i + 3] = x[j + 1]; x[i + 1] = x[j]; };
const unpckhps: VecOp = (c, d, s) => { const x = c.x32, i = d * 4, j = s * 4; const d2 = x[i + 2], d3 = x[i + 3], s2 = x[j + 2], s3 = x[j + 3]; x[i] = d2; x[i + 1] = s2; x[i + 2] = d3; x[i + 3] = s3; };
const unpcklpd: VecOp = (c, d, s) => { const x = c.x32, i = d * 4, j = s * 4; x[i + 2] = x[j]; x[i + 3] = x[j + 1]; };
const unpckhpd: VecOp = (c, d, s) => { const x = c.x32, i = d * 4, j = s * 4; const s2 = x[j + 2], s3 = x[j + 3]; x[i] = x[i + 2]; x[i + 1] = x[i + 3]; x[i + 2] = s2; x[i + 3] = s3; };

// ---- rows: op xmm, xmm/m128 (66 prefix unless given) ----
// One exec per row, compiled from a template (specialize.ts): each calls its own operation, and the
// block compiler inlines it with the registers as constants.
function rr(id: string, mnemonic: string, opcode: string, op: VecOp, feature = 'sse2'): void {
  const exec = specialize(`sse:${id}`, '(c, d) => OP(c, d.reg, d.mod3 ? d.rm : srcA(c, d))', { OP: op, srcA });
  row({ id: `${id}_xmm_xmmm128`, mnemonic, opcode: `${opcode} /r`, operands: ['xmm', 'xmm/m128'], feature, exec });
}
export const INT_OPS: [string, string, VecOp][] = [
  ['paddb', 'FC', paddb], ['paddw', 'FD', paddw], ['paddd', 'FE', paddd], ['paddq', 'D4', paddq],
  ['psubb', 'F8', psubb], ['psubw', 'F9', psubw], ['psubd', 'FA', psubd], ['psubq', 'FB', psubq],
  ['paddusb', 'DC', paddusb], ['paddusw', 'DD', paddusw], ['paddsb', 'EC', paddsb], ['paddsw', 'ED', paddsw],
  ['psubusb', 'D8', psubusb], ['psubusw', 'D9', psubusw], ['psubsb', 'E8', psubsb], ['psubsw', 'E9', psubsw],
  ['pcmpeqb', '74', pcmpeqb], ['pcmpeqw', '75', pcmpeqw], ['pcmpeqd', '76', pcmpeqd],
  ['pcmpgtb', '64', pcmpgtb], ['pcmpgtw', '65', pcmpgtw], ['pcmpgtd', '66', pcmpgtd],
  ['pand', 'DB', pand], ['pandn', 'DF', pandn], ['por', 'EB', por], ['pxor', 'EF', pxor],
  ['pminub', 'DA', pminub], ['pmaxub', 'DE', pmaxub], ['pminsw', 'EA', pminsw], ['pmaxsw', 'EE', pmaxsw],
  ['pavgb', 'E0', pavgb], ['pavgw', 'E3', pavgw],
  ['pmullw', 'D5', pmullw], ['pmulhw', 'E5', pmulhw], ['pmulhuw', 'E4', pmulhuw], ['pmuludq', 'F4', pmuludq],
  ['pmaddwd', 'F5', pmaddwd], ['psadbw', 'F6', psadbw],
  ['punpcklbw', '60', punpcklbw], ['punpcklwd', '61', punpcklwd], ['punpckldq', '62', punpckldq], ['punpcklqdq', '6C', punpcklqdq],
  ['punpckhbw', '68', punpckhbw], ['punpckhwd', '69', punpckhwd], ['punpckhdq', '6A', punpckhdq], ['punpckhqdq', '6D', punpckhqdq],
  ['packsswb', '63', packsswb], ['packuswb', '67', packuswb], ['packssdw', '6B', packssdw],
];
for (const [mn, op, fn] of INT_OPS) rr(mn, mn, `66 0F ${op}`, fn);

const PS_OPS: [string, string, VecOp][] = [
  ['and', '54', pand], ['andn', '55', pandn], ['or', '56', por], ['xor', '57', pxor],
  ['unpckl', '14', unpcklps], ['unpckh', '15', unpckhps],
];
for (const [mn, op, fn] of PS_OPS) {
  rr(`${mn}ps`, `${mn}ps`, `NP 0F ${op}`, fn, 'sse');
  const pd = mn === 'unpckl' ? unpcklpd : mn === 'unpckh' ? unpckhpd : fn;
  rr(`${mn}pd`, `${mn}pd`, `66 0F ${op}`, pd);
}

// ---- shuffles with an immediate ----
row({
  id: 'pshufd_xmm_xmmm128_imm8', mnemonic: 'pshufd', opcode: '66 0F 70 /r ib', operands: ['xmm', 'xmm/m128', 'imm8'], feature: 'sse2',
  exec: (c, d) => {
    const s = srcA(c, d), x = c.x32, i = d.reg * 4, t = T * 4, n = d.imm;
    copy128(c, T, s);
    x[i] = x[t + (n & 3)]; x[i + 1] = x[t + ((n >> 2) & 3)]; x[i + 2] = x[t + ((n >> 4) & 3)]; x[i + 3] = x[t + ((n >> 6) & 3)];
  },
});
/** pshuflw (half 0) / pshufhw (half 4): shuffle four words of one half, copy the other half. */
function pshufw(half: number) {
  return (c: Cpu, d: Insn) => {
    const s = srcA(c, d), w = c.x16, i = d.reg * 8, t = T * 8, n = d.imm;
    copy128(c, T, s);
    copy128(c, d.reg, T);
    for (let k = 0; k < 4; k++) w[i + half + k] = w[t + half + ((n >> (2 * k)) & 3)];
  };
}
row({ id: 'pshuflw_xmm_xmmm128_imm8', mnemonic: 'pshuflw', opcode: 'F2 0F 70 /r ib', operands: ['xmm', 'xmm/m128', 'imm8'], feature: 'sse2', exec: pshufw(0) });
row({ id: 'pshufhw_xmm_xmmm128_imm8', mnemonic: 'pshufhw', opcode: 'F3 0F 70 /r ib', operands: ['xmm', 'xmm/m128', 'imm8'], feature: 'sse2', exec: pshufw(4) });
row({
  id: 'shufps_xmm_xmmm128_imm8', mnemonic: 'shufps', opcode: 'NP 0F C6 /r ib', operands: ['xmm', 'xmm/m128', 'imm8'], feature: 'sse',
  exec: (c, d) => {
    const s = srcA(c, d), x = c.x32, i = d.reg * 4, j = s * 4, n = d.imm;
    const r0 = x[i + (n & 3)], r1 = x[i + ((n >> 2) & 3)], r2 = x[j + ((n >> 4) & 3)], r3 = x[j + ((n >> 6) & 3)];
    x[i] = r0; x[i + 1] = r1; x[i + 2] = r2; x[i + 3] = r3;
  },
});
row({
  id: 'shufpd_xmm_xmmm128_imm8', mnemonic: 'shufpd', opcode: '66 0F C6 /r ib', operands: ['xmm', 'xmm/m128', 'imm8'], feature: 'sse2',
  exec: (c, d) => {
    const s = srcA(c, d), x = c.x32, i = d.reg * 4, j = s * 4 + 2 * ((d.imm >> 1) & 1), k = i + 2 * (d.imm & 1);
    const r0 = x[k], r1 = x[k + 1], r2 = x[j], r3 = x[j + 1];
    x[i] = r0; x[i + 1] = r1; x[i + 2] = r2; x[i + 3] = r3;
  },
});

// ---- shifts: by xmm/m128 (the count is the whole low qword) and by imm8 ----
/** The shift count of the low qword of register s, clamped to 255 (anything above 63 acts alike). */
function countOf(c: Cpu, s: number): number {
  const lo = c.x32[s * 4], hi = c.x32[s * 4 + 1];
  return hi !== 0 || lo >>> 0 > 255 ? 255 : lo;
}
export type Shift = (c: Cpu, r: number, n: number) => void;
const psllw: Shift = (c, r, n) => { const w = c.x16; r *= 8; for (let i = 0; i < 8; i++) w[r + i] = n > 15 ? 0 : w[r + i] << n; };
const psrlw: Shift = (c, r, n) => { const w = c.x16; r *= 8; for (let i = 0; i < 8; i++) w[r + i] = n > 15 ? 0 : w[r + i] >>> n; };
const psraw: Shift = (c, r, n) => { const w = c.x16; r *= 8; if (n > 15) n = 15; for (let i = 0; i < 8; i++) w[r + i] = s16(w[r + i]) >> n; };
const pslld: Shift = (c, r, n) => { const x = c.x32; r *= 4; for (let i = 0; i < 4; i++) x[r + i] = n > 31 ? 0 : x[r + i] << n; };
const psrld: Shift = (c, r, n) => { const x = c.x32; r *= 4; for (let i = 0; i < 4; i++) x[r + i] = n > 31 ? 0 : x[r + i] >>> n; };
const psrad: Shift = (c, r, n) => { const x = c.x32; r *= 4; if (n > 31) n = 31; for (let i = 0; i < 4; i++) x[r + i] = x[r + i] >> n; };
const psllq: Shift = (c, r, n) => {
  const x = c.x32; r *= 4;
  for (let i = r; i < r + 4; i += 2) {
    const lo = x[i], hi = x[i + 1];
    if (n > 63) { x[i] = 0; x[i + 1] = 0; }
    else if (n >= 32) { x[i] = 0; x[i + 1] = lo << (n - 32); }
    else if (n > 0) { x[i] = lo << n; x[i + 1] = (hi << n) | (lo >>> (32 - n)); }
  }
};
const psrlq: Shift = (c, r, n) => {
  const x = c.x32; r *= 4;
  for (let i = r; i < r + 4; i += 2) {
    const lo = x[i], hi = x[i + 1];
    if (n > 63) { x[i] = 0; x[i + 1] = 0; }
    else if (n >= 32) { x[i] = hi >>> (n - 32); x[i + 1] = 0; }
    else if (n > 0) { x[i] = (lo >>> n) | (hi << (32 - n)); x[i + 1] = hi >>> n; }
  }
};
/** Byte shifts of the whole register (pslldq moves bytes up, psrldq down); n > 15 clears it. */
const pslldq: Shift = (c, r, n) => { const b = c.x8; r *= 16; for (let i = 15; i >= 0; i--) b[r + i] = i >= n ? b[r + i - n] : 0; };
const psrldq: Shift = (c, r, n) => { const b = c.x8; r *= 16; for (let i = 0; i < 16; i++) b[r + i] = i + n < 16 ? b[r + i + n] : 0; };

export const SHIFTS: [string, string, string, number, Shift][] = [
  // mnemonic, opcode by xmm, opcode by imm8 group, /digit
  ['psrlw', 'D1', '71', 2, psrlw], ['psraw', 'E1', '71', 4, psraw], ['psllw', 'F1', '71', 6, psllw],
  ['psrld', 'D2', '72', 2, psrld], ['psrad', 'E2', '72', 4, psrad], ['pslld', 'F2', '72', 6, pslld],
  ['psrlq', 'D3', '73', 2, psrlq], ['psllq', 'F3', '73', 6, psllq],
];
for (const [mn, byX, grp, digit, fn] of SHIFTS) {
  row({ id: `${mn}_xmm_xmmm128`, mnemonic: mn, opcode: `66 0F ${byX} /r`, operands: ['xmm', 'xmm/m128'], feature: 'sse2', exec: (c, d) => fn(c, d.reg, countOf(c, srcA(c, d))) });
  row({ id: `${mn}_xmm_imm8`, mnemonic: mn, opcode: `66 0F ${grp} /${digit} ib mod=reg`, operands: ['xmm2', 'imm8'], feature: 'sse2', exec: (c, d) => fn(c, d.rm, d.imm & 0xff) });
}
row({ id: 'psrldq_xmm_imm8', mnemonic: 'psrldq', opcode: '66 0F 73 /3 ib mod=reg', operands: ['xmm2', 'imm8'], feature: 'sse2', exec: (c, d) => psrldq(c, d.rm, d.imm & 0xff) });
row({ id: 'pslldq_xmm_imm8', mnemonic: 'pslldq', opcode: '66 0F 73 /7 ib mod=reg', operands: ['xmm2', 'imm8'], feature: 'sse2', exec: (c, d) => pslldq(c, d.rm, d.imm & 0xff) });

// ---- to and from general registers ----
row({
  id: 'pmovmskb_r32_xmm', mnemonic: 'pmovmskb', opcode: '66 0F D7 /r mod=reg', operands: ['r32', 'xmm2'], feature: 'sse2',
  exec: (c, d) => {
    const b = c.x8, s = d.rm * 16;
    let m = 0;
    for (let i = 15; i >= 0; i--) m = (m << 1) | (b[s + i] >> 7);
    setReg32(c, d.reg, m);
  },
});
row({
  id: 'pextrw_r32_xmm_imm8', mnemonic: 'pextrw', opcode: '66 0F C5 /r ib mod=reg', operands: ['r32', 'xmm2', 'imm8'], feature: 'sse2',
  exec: (c, d) => setReg32(c, d.reg, c.x16[d.rm * 8 + (d.imm & 7)]),
});
row({
  id: 'pinsrw_xmm_r32m16_imm8', mnemonic: 'pinsrw', opcode: '66 0F C4 /r ib', operands: ['xmm', 'r32/m16', 'imm8'], feature: 'sse2',
  exec: (c, d) => { c.x16[d.reg * 8 + (d.imm & 7)] = d.mod3 ? c.r16[4 * d.rm] : c.mem.read16(ea(c, d)); },
});

export const SSE_INT_ROWS: readonly IsaRow[] = rows;
