// Multiplication and division (SDM vol. 2: MUL, IMUL, DIV, IDIV).
//
// One-operand forms F6/F7 /4 mul, /5 imul, /6 div, /7 idiv work on the accumulator: ax = al * r/m8,
// dx:ax, edx:eax, rdx:rax = rax * r/m; division divides ax, dx:ax, edx:eax, rdx:rax by r/m, giving the
// quotient in al/ax/eax/rax and the remainder in ah/dx/edx/rdx. A zero divisor, or a quotient that
// does not fit (unsigned, or signed as in INT_MIN / -1), raises #DE before anything is written.
// Two- and three-operand imul (0F AF, 69, 6B) keep the low half of the signed product.
//
// Wide products and quotients use 16- and 32-bit limbs in doubles, never BigInt (no allocation).
//
// Flags. mul and imul set CF = OF = 1 when the high half is significant (mul: not zero; imul: not the
// sign extension of the low half). The SDM leaves SF ZF AF PF undefined after mul/imul and all six
// after div/idiv; colonel does what AMD Zen does (verified against the host CPU by
// tests/isa-muldiv.test.ts, so no `undef` is listed): mul/imul leave SF ZF AF PF unchanged;
// div/idiv leave CF OF unchanged and set SF = ZF = PF = 0, AF = 1.

import type { Cpu } from '../cpu.js';
import type { ExecFn } from '../insn.js';
import { CF, PF, AF, ZF, SF, OF } from '../flags.js';
import { GuestFault, Vector } from '../fault.js';
import type { IsaRow, Operand } from './types.js';
import { readRM8, readRM16, readRM32, readRM64, setReg32 } from '../operands.js';
import { flagOp, specialize } from '../specialize.js';

const TWO32 = 4294967296;

// ---- wide arithmetic, results in module scratch (no allocation) ----
let HI = 0;
/** The four 32-bit limbs of a 128-bit product, P0 lowest. */
let P0 = 0, P1 = 0, P2 = 0, P3 = 0;
/** Quotient (Q0 low, Q1 high) and remainder (R0, R1) of divu128. */
let Q0 = 0, Q1 = 0, R0 = 0, R1 = 0;

/** Unsigned 32 x 32 -> 64: returns the low half (int32), the high half in HI. */
function mulu32(a: number, b: number): number {
  const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
  const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  HI = (a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) | 0;
  return (p00 & 0xffff) | (mid << 16);
}

/** Unsigned 64 x 64 -> 128 into P0..P3. */
function mulu64(a: number, ah: number, b: number, bh: number): void {
  P0 = mulu32(a, b);
  const h = HI;
  const x = mulu32(a, bh), xh = HI;
  const y = mulu32(ah, b), yh = HI;
  const z = mulu32(ah, bh), zh = HI;
  let t = (h >>> 0) + (x >>> 0) + (y >>> 0);
  P1 = t | 0;
  t = Math.floor(t / TWO32) + (xh >>> 0) + (yh >>> 0) + (z >>> 0);
  P2 = t | 0;
  P3 = (Math.floor(t / TWO32) + zh) | 0;
}

/** Signed 64 x 64 -> 128 into P0..P3: the unsigned product, high half corrected for negative inputs. */
function muls64(a: number, ah: number, b: number, bh: number): void {
  mulu64(a, ah, b, bh);
  if (ah < 0) { const borrow = (P2 >>> 0) < (b >>> 0) ? 1 : 0; P2 = (P2 - b) | 0; P3 = (P3 - bh - borrow) | 0; }
  if (bh < 0) { const borrow = (P2 >>> 0) < (a >>> 0) ? 1 : 0; P2 = (P2 - a) | 0; P3 = (P3 - ah - borrow) | 0; }
}

/**
 * Unsigned (n3:n2:n1:n0) / (dh:dl) for a dividend whose high 64 bits are below the divisor, so the
 * quotient fits in 64 bits: quotient in Q0/Q1, remainder in R0/R1.
 */
function divu128(n3: number, n2: number, n1: number, n0: number, dl: number, dh: number): void {
  if (dh === 0) {
    // Divisor below 2^32: schoolbook division by 16-bit digits; every partial dividend is < 2^48,
    // so the double division is exact.
    const d = dl >>> 0;
    let r = n2 >>> 0;
    let t = r * 65536 + (n1 >>> 16);
    let q3 = Math.floor(t / d); r = t - q3 * d;
    t = r * 65536 + (n1 & 0xffff);
    const q2 = Math.floor(t / d); r = t - q2 * d;
    t = r * 65536 + (n0 >>> 16);
    const q1 = Math.floor(t / d); r = t - q1 * d;
    t = r * 65536 + (n0 & 0xffff);
    const q0 = Math.floor(t / d); r = t - q0 * d;
    q3 = (q3 << 16) | q2;
    Q1 = q3; Q0 = (q1 << 16) | q0; R0 = r | 0; R1 = 0;
    return;
  }
  // A 64-bit divisor: restoring division, one bit at a time.
  let rl = n2, rh = n3, ql = 0, qh = 0;
  for (let i = 63; i >= 0; i--) {
    const bit = i >= 32 ? (n1 >>> (i - 32)) & 1 : (n0 >>> i) & 1;
    const top = rh >>> 31;
    rh = (rh << 1) | (rl >>> 31);
    rl = (rl << 1) | bit;
    qh = (qh << 1) | (ql >>> 31);
    ql <<= 1;
    if (top || (rh >>> 0) > (dh >>> 0) || (rh === dh && (rl >>> 0) >= (dl >>> 0))) {
      const borrow = (rl >>> 0) < (dl >>> 0) ? 1 : 0;
      rl = (rl - dl) | 0;
      rh = (rh - dh - borrow) | 0;
      ql |= 1;
    }
  }
  Q0 = ql; Q1 = qh; R0 = rl; R1 = rh;
}

function divideError(what: string): never {
  throw new GuestFault(Vector.DE, 0, 0, what);
}

/** mul/imul flags: CF = OF = overflow; SF ZF AF PF unchanged (AMD Zen). */
function mulFlags(c: Cpu, overflow: boolean): void {
  c.setStatus(CF | OF, overflow ? CF | OF : 0);
}

/** div/idiv flags on AMD Zen: SF ZF PF cleared, AF set, CF OF unchanged. */
function divFlags(c: Cpu): void {
  c.setStatus(SF | ZF | AF | PF, AF);
}

// ---- one-operand mul / imul ----

function mulExec(signed: boolean, size: number): ExecFn {
  switch (size) {
    case 8:
      return signed
        ? (c, d) => {
          const p = ((c.r8[0] << 24) >> 24) * ((readRM8(c, d) << 24) >> 24);
          c.r16[0] = p & 0xffff;
          mulFlags(c, p !== (p << 24) >> 24);
        }
        : (c, d) => {
          const p = c.r8[0] * readRM8(c, d);
          c.r16[0] = p;
          mulFlags(c, p > 0xff);
        };
    case 16:
      return signed
        ? (c, d) => {
          const p = ((c.r16[0] << 16) >> 16) * ((readRM16(c, d) << 16) >> 16);
          c.r16[0] = p & 0xffff;
          c.r16[8] = (p >> 16) & 0xffff;
          mulFlags(c, p !== (p << 16) >> 16);
        }
        : (c, d) => {
          const p = c.r16[0] * readRM16(c, d);
          c.r16[0] = p & 0xffff;
          c.r16[8] = p >>> 16;
          mulFlags(c, p > 0xffff);
        };
    case 32:
      return signed
        ? (c, d) => {
          const b = readRM32(c, d), a = c.r32[0];
          let lo = mulu32(a, b), hi = HI;
          if (a < 0) hi = (hi - b) | 0;
          if (b < 0) hi = (hi - a) | 0;
          setReg32(c, 0, lo);
          setReg32(c, 2, hi);
          mulFlags(c, hi !== lo >> 31);
        }
        : (c, d) => {
          const lo = mulu32(c.r32[0], readRM32(c, d)), hi = HI;
          setReg32(c, 0, lo);
          setReg32(c, 2, hi);
          mulFlags(c, hi !== 0);
        };
    default:
      return (c, d) => {
        const b = readRM64(c, d), bh = c.thi;
        if (signed) muls64(c.r32[0], c.r32[1], b, bh);
        else mulu64(c.r32[0], c.r32[1], b, bh);
        const r = c.r32;
        r[0] = P0; r[1] = P1; r[4] = P2; r[5] = P3;
        mulFlags(c, signed ? P2 !== P1 >> 31 || P3 !== P1 >> 31 : (P2 | P3) !== 0);
      };
  }
}

// ---- two- and three-operand imul: reg = src * (reg or imm), the low half ----

function imulExec(size: number, imm: boolean): ExecFn {
  switch (size) {
    case 16:
      return (c, d) => {
        const a = (readRM16(c, d) << 16) >> 16;
        const b = imm ? d.imm : (c.r16[4 * d.reg] << 16) >> 16;
        const p = a * b;
        c.r16[4 * d.reg] = p & 0xffff;
        mulFlags(c, p !== (p << 16) >> 16);
      };
    // Templates (specialize.ts): the block compiler inlines them with the registers as constants.
    case 32:
      // The double product is exact whenever it lies in the int32 range.
      return specialize(`imul32:${imm}`, `(c, d) => {
        const a = readRM32(c, d), b = ${imm ? 'd.imm' : 'c.r32[2 * d.reg]'}, p = a * b;
        setReg32(c, d.reg, Math.imul(a, b));
        mulFlags(c, p < -2147483648 || p > 2147483647);
      }`, { readRM32, setReg32, mulFlags });
    default:
      return specialize(`imul64:${imm}`, `(c, d) => {
        const lo = imul64(c, readRM64(c, d), c.thi, ${imm ? 'd.imm, d.immHi' : 'c.r32[2 * d.reg], c.r32[2 * d.reg + 1]'});
        c.r32[2 * d.reg] = lo; c.r32[2 * d.reg + 1] = c.thi;
      }`, { readRM64, imul64 });
  }
}

/** The low half of the signed 64 x 64 product (the high half of it in c.thi), with imul's flags. */
function imul64(c: Cpu, a: number, ah: number, b: number, bh: number): number {
  muls64(a, ah, b, bh);
  mulFlags(c, P2 !== P1 >> 31 || P3 !== P1 >> 31);
  c.thi = P1;
  return P0;
}
// Flag-free twins for the block compiler (flagOp).
flagOp(imul64, CF | OF, (c, a, ah, b, bh) => { muls64(a, ah, b, bh); c.thi = P1; return P0; });
flagOp(mulFlags, CF | OF, () => {});

// ---- div / idiv ----

function divExec(signed: boolean, size: number): ExecFn {
  switch (size) {
    case 8:
      return signed
        ? (c, d) => {
          const b = (readRM8(c, d) << 24) >> 24;
          if (b === 0) divideError('idiv by zero');
          const n = (c.r16[0] << 16) >> 16;
          const q = Math.trunc(n / b);
          if (q > 127 || q < -128) divideError('idiv quotient overflow');
          c.r16[0] = ((n - q * b) & 0xff) << 8 | (q & 0xff);
          divFlags(c);
        }
        : (c, d) => {
          const b = readRM8(c, d);
          if (b === 0) divideError('div by zero');
          const n = c.r16[0];
          const q = Math.floor(n / b);
          if (q > 0xff) divideError('div quotient overflow');
          c.r16[0] = (n - q * b) << 8 | q;
          divFlags(c);
        };
    case 16:
      return signed
        ? (c, d) => {
          const b = (readRM16(c, d) << 16) >> 16;
          if (b === 0) divideError('idiv by zero');
          const n = (c.r16[8] << 16) | c.r16[0];
          const q = Math.trunc(n / b);
          if (q > 32767 || q < -32768) divideError('idiv quotient overflow');
          c.r16[0] = q & 0xffff;
          c.r16[8] = (n - q * b) & 0xffff;
          divFlags(c);
        }
        : (c, d) => {
          const b = readRM16(c, d);
          if (b === 0) divideError('div by zero');
          const n = c.r16[8] * 65536 + c.r16[0];
          const q = Math.floor(n / b);
          if (q > 0xffff) divideError('div quotient overflow');
          c.r16[0] = q;
          c.r16[8] = n - q * b;
          divFlags(c);
        };
    case 32:
      return signed
        ? (c, d) => {
          const b = readRM32(c, d);
          if (b === 0) divideError('idiv by zero');
          let lo = c.r32[0], hi = c.r32[4];
          const nneg = hi < 0;
          if (nneg) { lo = -lo | 0; hi = (~hi + (lo === 0 ? 1 : 0)) | 0; }
          const bu = b < 0 ? -b >>> 0 : b;
          if ((hi >>> 0) >= bu) divideError('idiv quotient overflow');
          divu128(0, 0, hi, lo, bu, 0);
          const qneg = nneg !== b < 0;
          if ((Q0 >>> 0) > (qneg ? 0x80000000 : 0x7fffffff)) divideError('idiv quotient overflow');
          setReg32(c, 0, qneg ? -Q0 | 0 : Q0);
          setReg32(c, 2, nneg ? -R0 | 0 : R0);
          divFlags(c);
        }
        : (c, d) => {
          const b = readRM32(c, d);
          if (b === 0) divideError('div by zero');
          if ((c.r32[4] >>> 0) >= (b >>> 0)) divideError('div quotient overflow');
          divu128(0, 0, c.r32[4], c.r32[0], b, 0);
          setReg32(c, 0, Q0);
          setReg32(c, 2, R0);
          divFlags(c);
        };
    default:
      return signed
        ? (c, d) => {
          let b = readRM64(c, d), bh = c.thi;
          if ((b | bh) === 0) divideError('idiv by zero');
          const r = c.r32;
          let n0 = r[0], n1 = r[1], n2 = r[4], n3 = r[5];
          const nneg = n3 < 0, bneg = bh < 0;
          if (nneg) {
            // 128-bit two's complement negation, limb by limb.
            n0 = ~n0; n1 = ~n1; n2 = ~n2; n3 = ~n3;
            n0 = (n0 + 1) | 0;
            if (n0 === 0) { n1 = (n1 + 1) | 0; if (n1 === 0) { n2 = (n2 + 1) | 0; if (n2 === 0) n3 = (n3 + 1) | 0; } }
          }
          if (bneg) { b = -b | 0; bh = (~bh + (b === 0 ? 1 : 0)) | 0; }
          if ((n3 >>> 0) > (bh >>> 0) || (n3 === bh && (n2 >>> 0) >= (b >>> 0))) divideError('idiv quotient overflow');
          divu128(n3, n2, n1, n0, b, bh);
          const qneg = nneg !== bneg;
          if ((Q1 >>> 0) > 0x80000000 || (Q1 === -0x80000000 && (Q0 !== 0 || !qneg))) divideError('idiv quotient overflow');
          if (qneg) { Q0 = -Q0 | 0; Q1 = (~Q1 + (Q0 === 0 ? 1 : 0)) | 0; }
          if (nneg) { R0 = -R0 | 0; R1 = (~R1 + (R0 === 0 ? 1 : 0)) | 0; }
          r[0] = Q0; r[1] = Q1; r[4] = R0; r[5] = R1;
          divFlags(c);
        }
        : (c, d) => {
          const b = readRM64(c, d), bh = c.thi;
          if ((b | bh) === 0) divideError('div by zero');
          const r = c.r32;
          const hl = r[4], hh = r[5];
          if ((hh >>> 0) > (bh >>> 0) || (hh === bh && (hl >>> 0) >= (b >>> 0))) divideError('div quotient overflow');
          divu128(hh, hl, r[1], r[0], b, bh);
          r[0] = Q0; r[1] = Q1; r[4] = R0; r[5] = R1;
          divFlags(c);
        };
  }
}

// ---- rows ----

const osz = (s: number) => (s === 16 ? 'o16 ' : s === 32 ? 'o32 ' : s === 64 ? 'o64 ' : '');
const rows: IsaRow[] = [];
const MUL_FLAGS = { write: 'oc' };
const DIV_FLAGS = { write: 'szap' };

for (const s of [8, 16, 32, 64]) {
  const op = s === 8 ? 'F6' : 'F7';
  const rm = `r/m${s}` as Operand;
  rows.push({ id: `mul_rm${s}`, mnemonic: 'mul', opcode: `${osz(s)}${op} /4`, operands: [rm], flags: MUL_FLAGS, exec: mulExec(false, s) });
  rows.push({ id: `imul_rm${s}`, mnemonic: 'imul', opcode: `${osz(s)}${op} /5`, operands: [rm], flags: MUL_FLAGS, exec: mulExec(true, s) });
  rows.push({ id: `div_rm${s}`, mnemonic: 'div', opcode: `${osz(s)}${op} /6`, operands: [rm], flags: DIV_FLAGS, exec: divExec(false, s) });
  rows.push({ id: `idiv_rm${s}`, mnemonic: 'idiv', opcode: `${osz(s)}${op} /7`, operands: [rm], flags: DIV_FLAGS, exec: divExec(true, s) });
}

for (const s of [16, 32, 64]) {
  const rm = `r/m${s}` as Operand, r = `r${s}` as Operand;
  const immOp = (s === 16 ? 'imm16' : 'imm32') as Operand;
  rows.push({ id: `imul_r${s}_rm${s}`, mnemonic: 'imul', opcode: `${osz(s)}0F AF /r`, operands: [r, rm], flags: MUL_FLAGS, exec: imulExec(s, false) });
  rows.push({ id: `imul_r${s}_rm${s}_${immOp}`, mnemonic: 'imul', opcode: `${osz(s)}69 /r ${s === 16 ? 'iw' : 'id'}`, operands: [r, rm, immOp], flags: MUL_FLAGS, exec: imulExec(s, true) });
  rows.push({ id: `imul_r${s}_rm${s}_imm8`, mnemonic: 'imul', opcode: `${osz(s)}6B /r ib`, operands: [r, rm, 'imm8'], flags: MUL_FLAGS, exec: imulExec(s, true) });
}

export const MULDIV_ROWS: readonly IsaRow[] = rows;
