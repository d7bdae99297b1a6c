// x87 floating-point semantics on 80-bit patterns (SDM vol. 1 ch. 8 "Programming with the x87 FPU",
// 4.8.3.5, table 4-7; vol. 2 FADD..FYL2X), exact via fpu.ts. Operations return a result pattern and OR
// their exception flags into fpFlags (fpu.ts); `roundedUp` becomes C1. The rows (isa/x87.ts) decide
// what is stored, popped and signalled.
//
// Differences from SSE worth knowing:
// - arithmetic rounds to the control word's precision (PC: 24, 53 or 64 bits) inside the 15-bit
//   exponent range, by its rounding control (RC); loads and stores ignore PC;
// - of two NaN operands the one with the larger significand wins (a QNaN over an SNaN); SSE takes the
//   first operand's;
// - patterns the x87 rejects (unnormals, pseudo-NaNs, pseudo-infinities) raise IE;
// - a memory operand in single or double format that is denormal there raises DE, though it is
//   normal once widened to extended precision.

import {
  type Format, type Num, F80, IE, DE, ZE, PE, ZERO, DENORMAL, NORMAL, INF, QNAN, SNAN, UNSUPPORTED,
  classify, signOf, fracOf, unpack, zeroOf, infOf, defaultNaN, quiet, convertNaN, addExact, mulExact,
  divExact, sqrtExact, roundPack, roundToInteger, lastInexact, compareNum, bitLength, raise, setRoundedUp, RD,
  UNMASKED_UE, UNMASKED_OE,
} from './fpu.js';

/** Significand precision by PC (00 single, 01 reserved: the host gives extended, 10 double, 11 extended). */
const PREC = [24, 64, 53, 64];
export const precOf = (cw: number) => PREC[(cw >> 8) & 3];
export const rcOf = (cw: number) => (cw >> 10) & 3;
/** roundPack options: an unmasked underflow or overflow delivers the wrapped result. */
export const optsOf = (cw: number) => (cw & 0x10 ? 0 : UNMASKED_UE) | (cw & 0x08 ? 0 : UNMASKED_OE);

/** The QNaN floating-point indefinite in extended format. */
export const INDEFINITE = defaultNaN(F80);
export const SF = 0x40;

const isNaNK = (k: number) => k === QNAN || k === SNAN;

/** A finite nonzero value in normalized extended format (exact: sig must fit in 64 bits). */
function pack80(n: Num): bigint {
  if (n.sig === 0n) return zeroOf(F80, n.sign);
  const l = bitLength(n.sig);
  return (BigInt(n.sign) << 79n) | (BigInt(n.exp + l - 1 + F80.bias) << 64n) | (n.sig << BigInt(64 - l));
}

/** Set by widen(): the operand was a denormal in its own format. */
export let srcDenormal = false;

/** A single or double pattern in extended format, exactly; SNaNs stay signalling. */
export function widen(f: Format, v: bigint): bigint {
  srcDenormal = false;
  const s = signOf(f, v);
  switch (classify(f, v)) {
    case ZERO: return zeroOf(F80, s);
    case INF: return infOf(F80, s);
    case QNAN: case SNAN: return infOf(F80, s) | (fracOf(f, v) << BigInt(63 - f.fracBits));
    case DENORMAL: srcDenormal = true;
  }
  return pack80(unpack(f, v));
}

/** A signed integer in extended format (exact for 64-bit integers). */
export function fromInt(v: bigint): bigint {
  if (v === 0n) return 0n;
  return v < 0n ? pack80({ sign: 1, sig: -v, exp: 0 }) : pack80({ sign: 0, sig: v, exp: 0 });
}

/** The NaN an operation on a (and b) gives; raises IE for an SNaN. */
function nanResult(a: bigint, ka: number, b: bigint, kb: number): bigint {
  if (ka === SNAN || kb === SNAN) raise(IE);
  if (isNaNK(ka) && isNaNK(kb)) {
    if (ka !== kb) return quiet(F80, ka === QNAN ? a : b);
    // The larger significand; of two equal ones, the positive NaN.
    const ma = a & 0xffffffffffffffffn, mb = b & 0xffffffffffffffffn;
    if (ma === mb) return quiet(F80, signOf(F80, a) ? b : a);
    return quiet(F80, mb > ma ? b : a);
  }
  return quiet(F80, isNaNK(ka) ? a : b);
}

export const X_ADD = 0, X_SUB = 1, X_MUL = 2, X_DIV = 3;

/** a op b, rounded by PC and RC. `memDen`: an operand came from a denormal memory operand. */
export function x87Arith(op: number, a: bigint, b: bigint, cw: number, memDen: boolean): bigint {
  const ka = classify(F80, a), kb = classify(F80, b);
  if (ka === UNSUPPORTED || kb === UNSUPPORTED) { raise(IE); return INDEFINITE; }
  if (isNaNK(ka) || isNaNK(kb)) return nanResult(a, ka, b, kb);
  const f = F80;
  if ((ka === DENORMAL || kb === DENORMAL || memDen) && !(op === X_DIV && kb === ZERO)) raise(DE);
  const sa = signOf(f, a), sb = signOf(f, b), rc = rcOf(cw);
  switch (op) {
    case X_ADD: case X_SUB: {
      const sb2 = op === X_SUB ? sb ^ 1 : sb;
      if (ka === INF || kb === INF) {
        if (ka === INF && kb === INF && sa !== sb2) { raise(IE); return INDEFINITE; }
        return ka === INF ? a : infOf(f, sb2);
      }
      const bn = unpack(f, b);
      bn.sign = sb2;
      const x = addExact(unpack(f, a), bn);
      if (x.sig === 0n) x.sign = sa === sb2 ? sa : rc === RD ? 1 : 0;
      return roundPack(f, x, precOf(cw), rc, optsOf(cw));
    }
    case X_MUL:
      if (ka === INF || kb === INF) {
        if (ka === ZERO || kb === ZERO) { raise(IE); return INDEFINITE; }
        return infOf(f, sa ^ sb);
      }
      return roundPack(f, mulExact(unpack(f, a), unpack(f, b)), precOf(cw), rc, optsOf(cw));
    default:
      if (ka === INF) {
        if (kb === INF) { raise(IE); return INDEFINITE; }
        return infOf(f, sa ^ sb);
      }
      if (kb === INF) return zeroOf(f, sa ^ sb);
      if (kb === ZERO) {
        if (ka === ZERO) { raise(IE); return INDEFINITE; }
        raise(ZE);
        return infOf(f, sa ^ sb);
      }
      return roundPack(f, divExact(unpack(f, a), unpack(f, b), 64), precOf(cw), rc, optsOf(cw));
  }
}

/** Compare non-NaN supported patterns: -1, 0, 1. */
function order(a: bigint, ka: number, b: bigint, kb: number): number {
  const sa = signOf(F80, a), sb = signOf(F80, b);
  if (ka === INF || kb === INF) {
    const x = ka === INF ? (sa ? -1 : 1) : 0, y = kb === INF ? (sb ? -1 : 1) : 0;
    if (x !== y) return x < y ? -1 : 1;
    if (x !== 0) return 0;
  }
  return compareNum(unpack(F80, a), unpack(F80, b));
}

/** a vs b: -1, 0, 1, or 2 unordered. `signalQuiet`: a QNaN raises IE too (fcom, not fucom). */
export function x87Compare(a: bigint, b: bigint, signalQuiet: boolean, memDen: boolean): number {
  const ka = classify(F80, a), kb = classify(F80, b);
  if (ka === UNSUPPORTED || kb === UNSUPPORTED) { raise(IE); return 2; }
  if (isNaNK(ka) || isNaNK(kb)) {
    if (signalQuiet || ka === SNAN || kb === SNAN) raise(IE);
    return 2;
  }
  if (ka === DENORMAL || kb === DENORMAL || memDen) raise(DE);
  return order(a, ka, b, kb);
}

/** FST m32/m64: ST(0) rounded to single or double by RC (PC does not apply; a denormal ST(0) is no DE). */
export function narrow(to: Format, v: bigint, cw: number): bigint {
  const k = classify(F80, v), s = signOf(F80, v);
  switch (k) {
    case UNSUPPORTED: raise(IE); return defaultNaN(to);
    case SNAN: raise(IE); return convertNaN(F80, to, v);
    case QNAN: return convertNaN(F80, to, v);
    case INF: return infOf(to, s);
    case ZERO: return zeroOf(to, s);
  }
  return roundPack(to, { ...unpack(F80, v), sticky: false }, to.prec, rcOf(cw), optsOf(cw));
}

/** FIST/FISTP (RC) and FISTTP (truncation) to a signed integer of `bits` bits; IE: the indefinite (C1 0). */
export function toInt(v: bigint, bits: number, rc: number): bigint {
  const k = classify(F80, v);
  const indefinite = -(1n << BigInt(bits - 1));
  if (k === UNSUPPORTED || isNaNK(k) || k === INF) { raise(IE); return indefinite; }
  if (k === ZERO) return 0n;
  const r = roundToInteger(unpack(F80, v), rc);
  if (r < indefinite || r > -indefinite - 1n) { raise(IE); setRoundedUp(false); return indefinite; }
  if (lastInexact()) raise(PE);
  return r;
}

/** Operations on one operand: NaNs, rejected patterns and denormals handled alike. */
function unary(v: bigint): number {
  const k = classify(F80, v);
  if (k === UNSUPPORTED) raise(IE);
  else if (k === SNAN) raise(IE);
  else if (k === DENORMAL) raise(DE);
  return k;
}

/** FRNDINT: ST(0) rounded to an integer by RC. */
export function roundInt80(v: bigint, cw: number): bigint {
  const k = unary(v);
  if (k === UNSUPPORTED) return INDEFINITE;
  if (isNaNK(k)) return quiet(F80, v);
  if (k === INF || k === ZERO) return v;
  const r = roundToInteger(unpack(F80, v), rcOf(cw));
  if (lastInexact()) raise(PE);
  return r === 0n ? zeroOf(F80, signOf(F80, v)) : fromInt(r);
}

/** FSQRT, rounded by PC and RC. A negative operand is IE alone (no DE for a negative denormal). */
export function sqrt80(v: bigint, cw: number): bigint {
  const k0 = classify(F80, v);
  if (signOf(F80, v) && (k0 === DENORMAL || k0 === NORMAL || k0 === INF)) { raise(IE); return INDEFINITE; }
  const k = unary(v);
  if (k === UNSUPPORTED) return INDEFINITE;
  if (isNaNK(k)) return quiet(F80, v);
  if (k === ZERO) return v;
  if (k === INF) return v;
  return roundPack(F80, sqrtExact(unpack(F80, v), 64), precOf(cw), rcOf(cw), optsOf(cw));
}

/** FSCALE: ST(0) * 2^trunc(ST(1)), rounded by RC at 64 bits. */
export function scale80(a: bigint, b: bigint, cw: number): bigint {
  const ka = classify(F80, a), kb = classify(F80, b);
  if (ka === UNSUPPORTED || kb === UNSUPPORTED) { raise(IE); return INDEFINITE; }
  if (isNaNK(ka) || isNaNK(kb)) return nanResult(a, ka, b, kb);
  if (ka === DENORMAL || kb === DENORMAL) raise(DE);
  const sa = signOf(F80, a), sb = signOf(F80, b);
  if (kb === INF) {
    if (sb === 0) {
      if (ka === ZERO) { raise(IE); return INDEFINITE; }
      return infOf(F80, sa);
    }
    if (ka === INF) { raise(IE); return INDEFINITE; }
    return zeroOf(F80, sa);
  }
  if (ka === INF || ka === ZERO) return a;
  const nb = unpack(F80, b);
  // trunc(ST(1)), clamped far beyond any exponent that can still round to a finite nonzero value.
  let n: number;
  if (nb.exp >= 0) n = 1 << 20;
  else if (nb.exp <= -64) n = 0;
  else { const t = nb.sig >> BigInt(-nb.exp); n = t > 1n << 20n ? 1 << 20 : Number(t); }
  if (nb.sign) n = -n;
  const na = unpack(F80, a);
  return roundPack(F80, { sign: na.sign, sig: na.sig, exp: na.exp + n, sticky: false }, 64, rcOf(cw), optsOf(cw));
}

/** What FPREM/FPREM1 report in C0..C3: nothing (a NaN result), a partial remainder, or quotient bits. */
export const REM_NONE = 0, REM_PARTIAL = 1, REM_QUOTIENT = 2;
export let remCodes = REM_NONE;
/** The low three bits of the quotient (C0, C3, C1 = Q2, Q1, Q0) when remCodes is REM_QUOTIENT. */
export let remQuotient = 0;

/**
 * FPREM (quotient truncated) or FPREM1 (quotient rounded to nearest even): ST(0) - Q * ST(1), exact.
 * When the exponents differ by 64 or more only a partial reduction is done (C2 = 1): by a multiple
 * 2^(D - N) of ST(1), with N = 32 + (D mod 32) as the host CPU does.
 */
export function remainder80(a: bigint, b: bigint, ieee: boolean, cw: number): bigint {
  remQuotient = 0;
  remCodes = REM_NONE;
  const ka = classify(F80, a), kb = classify(F80, b);
  if (ka === UNSUPPORTED || kb === UNSUPPORTED) { raise(IE); return INDEFINITE; }
  if (isNaNK(ka) || isNaNK(kb)) return nanResult(a, ka, b, kb);
  if (ka === INF || kb === ZERO) { raise(IE); return INDEFINITE; }
  if (ka === DENORMAL || kb === DENORMAL) raise(DE);
  remCodes = REM_QUOTIENT;
  if (ka === ZERO) return a;
  // ST(0) as it is, a pseudo-denormal rewritten in the normal encoding of the same value.
  if (kb === INF) return ka === DENORMAL ? roundPack(F80, { ...unpack(F80, a), sticky: false }, 64, 0, 0) : a;
  const na = unpack(F80, a), nb = unpack(F80, b);
  const ta = na.exp + bitLength(na.sig) - 1, tb = nb.exp + bitLength(nb.sig) - 1;
  const dExp = ta - tb;
  let e = Math.min(na.exp, nb.exp);
  let A = na.sig << BigInt(na.exp - e);
  let B = nb.sig << BigInt(nb.exp - e);
  if (dExp >= 64) {
    remCodes = REM_PARTIAL;
    const n = 32 + (dExp % 32);
    B <<= BigInt(dExp - n);
    const q = A / B;
    A -= q * B;
    return roundPack(F80, { sign: na.sign, sig: A, exp: e, sticky: false }, 64, 0, optsOf(cw));
  }
  let q = A / B;
  let r = A - q * B;
  let sign = na.sign;
  if (ieee && (2n * r > B || (2n * r === B && (q & 1n) === 1n))) {
    q += 1n;
    r = B - r;
    sign ^= 1;
  }
  remQuotient = Number(q & 7n);
  if (r === 0n) return zeroOf(F80, na.sign);
  // Exact, but a remainder below the normal range is denormal (or wrapped, if UE is unmasked).
  return roundPack(F80, { sign, sig: r, exp: e, sticky: false }, 64, 0, optsOf(cw));
}

/** FXAM's class code C3 C2 C0 (as bits 14, 10, 8 of the status word). */
export function examine(v: bigint, empty: boolean): number {
  if (empty) return 0x4100;
  switch (classify(F80, v)) {
    case UNSUPPORTED: return 0;
    case QNAN: case SNAN: return 0x100;
    case NORMAL: return 0x400;
    case INF: return 0x500;
    case ZERO: return 0x4000;
    default: return 0x4400;
  }
}

export { F80 };
