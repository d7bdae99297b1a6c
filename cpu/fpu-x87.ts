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

/** FXTRACT's significand (ST(0) after it); extract80 leaves it here, and returns the exponent (ST(1)). */
export let extractSig = 0n;

/**
 * FXTRACT of v: the exponent as a real (returned: the new ST(1)) and the significand with v's sign and
 * exponent 0 (extractSig: the new ST(0)), both exact, whatever PC and RC say. A zero gives -inf and
 * the zero (ZE), an infinity +inf and itself, a NaN itself twice (quieted; IE for an SNaN), a rejected
 * pattern the indefinite twice (IE); a denormal (or pseudo-denormal) is normalized first (DE).
 */
export function extract80(v: bigint): bigint {
  const k = unary(v);
  if (k === UNSUPPORTED) { extractSig = INDEFINITE; return INDEFINITE; }
  if (isNaNK(k)) { extractSig = quiet(F80, v); return extractSig; }
  const s = signOf(F80, v);
  if (k === ZERO) { raise(ZE); extractSig = v; return infOf(F80, 1); }
  if (k === INF) { extractSig = v; return infOf(F80, 0); }
  const n = unpack(F80, v), l = bitLength(n.sig);
  extractSig = (BigInt(s) << 79n) | (BigInt(F80.bias) << 64n) | (n.sig << BigInt(64 - l));
  return fromInt(BigInt(n.exp + l - 1));
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

// ---- fast paths on plain numbers ----
//
// The common cases (normal operands, results that stay normal) computed without a bigint: a register
// is (se, hi, lo): sign and biased exponent in 16 bits, the significand as two uint32 halves (J at bit
// 31 of hi). Each function either computes the result exactly as the paths above would, leaving it in
// fSe/fHi/fLo with the flags in fFl (PE or 0) and C1 in fUp, or returns false (nothing changed) so the
// caller takes the exact path: operands that are not normal, results that are zero, tiny or overflow.
// The result goes to fOut (fOut[0] sign/exponent, fOut[1] and fOut[2] the significand halves, or the
// pattern or integer stored to memory: fOut[2] its low 32 bits, fOut[1] the high ones). The operands
// come in fIn.

/** The fast paths' result: sign/exponent, significand bits 63..32 and 31..0 (a typed array: no boxing). */
export const fOut = new Uint32Array(3);
/**
 * The fast paths' operands: a at 0..2 and b at 3..5 (se, hi, lo each). Values of 32 bits passed as
 * arguments or kept in module variables would be boxed (allocated); typed arrays hold them as they are.
 */
export const fIn = new Uint32Array(6);
/** An unrounded significand: h:l:g (h >= 2^31 when normalized). */
const acc = new Uint32Array(3);
export let fFl = 0, fUp = false;
let fE = 0;

const TWO32 = 4294967296;
const isNormal = (se: number, hi: number) => ((se + 1) & 0x7fff) > 1 && hi >= 0x80000000;

/**
 * Round (-1)^s * (h:l:g + a sticky fraction) * 2^(E - 16383 - 95), h:l:g in acc with h >= 2^31, to prec
 * bits (24, 53, 64) by rc: the significand to fOut[1..2], the exponent (E, or E + 1 after a carry) to
 * fE, PE to fFl, C1 to fUp.
 */
function round96(s: number, E: number, st: boolean, prec: number, rc: number): void {
  let h = acc[0], l = acc[1];
  const g = acc[2];
  let round: number, rest: boolean, odd: number;
  if (prec === 64) {
    round = g >>> 31; rest = (g & 0x7fffffff) !== 0 || st; odd = l & 1;
  } else if (prec === 53) {
    round = (l >>> 10) & 1; rest = (l & 0x3ff) !== 0 || g !== 0 || st; odd = (l >>> 11) & 1;
    l = (l & 0xfffff800) >>> 0;
  } else {
    round = (h >>> 7) & 1; rest = (h & 0x7f) !== 0 || l !== 0 || g !== 0 || st; odd = (h >>> 8) & 1;
    h = (h & 0xffffff00) >>> 0; l = 0;
  }
  const inexact = round !== 0 || rest;
  let up = false;
  if (inexact) {
    if (rc === 0) up = round !== 0 && (rest || odd !== 0);
    else if (rc === 1) up = s === 1;
    else if (rc === 2) up = s === 0;
  }
  if (up) {
    if (prec === 24) h += 0x100;
    else {
      l += prec === 64 ? 1 : 0x800;
      if (l >= TWO32) { l -= TWO32; h += 1; }
    }
    if (h >= TWO32) { h = 0x80000000; E++; }
  }
  fOut[1] = h; fOut[2] = l; fE = E; fFl = inexact ? PE : 0; fUp = up;
}

/** Finish an arithmetic result: false if it left the normal range (the exact path handles that). */
function packResult(s: number, E: number, h: number, l: number, g: number, st: boolean, cw: number): boolean {
  if (E < 1) return false;
  acc[0] = h; acc[1] = l; acc[2] = g;
  round96(s, E, st, PREC[(cw >> 8) & 3], (cw >> 10) & 3);
  if (fE > 0x7ffe) return false;
  fOut[0] = (s << 15) | fE;
  return true;
}

/** a op b (X_ADD, X_SUB, X_MUL, X_DIV) for normal a and b, rounded by PC and RC; false: not handled. */
export function fastArith(op: number, cw: number): boolean {
  const aSe = fIn[0], ah = fIn[1], al = fIn[2], bSe = fIn[3], bh = fIn[4], bl = fIn[5];
  if (!isNormal(aSe, ah) || !isNormal(bSe, bh)) return zeroArith(op, cw);
  const sa = aSe >>> 15, ea = aSe & 0x7fff;
  let sb = bSe >>> 15;
  const eb = bSe & 0x7fff;
  if (op === X_MUL) {
    const a0 = al & 0xffff, a1 = al >>> 16, a2 = ah & 0xffff, a3 = ah >>> 16;
    const b0 = bl & 0xffff, b1 = bl >>> 16, b2 = bh & 0xffff, b3 = bh >>> 16;
    let t = a0 * b0;
    const p0 = t & 0xffff;
    t = (t - p0) / 65536 + a1 * b0 + a0 * b1;
    const p1 = t & 0xffff;
    t = (t - p1) / 65536 + a2 * b0 + a1 * b1 + a0 * b2;
    const p2 = t & 0xffff;
    t = (t - p2) / 65536 + a3 * b0 + a2 * b1 + a1 * b2 + a0 * b3;
    const p3 = t & 0xffff;
    t = (t - p3) / 65536 + a3 * b1 + a2 * b2 + a1 * b3;
    const p4 = t & 0xffff;
    t = (t - p4) / 65536 + a3 * b2 + a2 * b3;
    const p5 = t & 0xffff;
    t = (t - p5) / 65536 + a3 * b3;
    const p6 = t & 0xffff;
    const p7 = (t - p6) / 65536;
    let h = p7 * 65536 + p6, l = p5 * 65536 + p4, g = p3 * 65536 + p2;
    if (h >= 0x80000000) return packResult(sa ^ sb, ea + eb - 16383 + 1, h, l, g, (p1 | p0) !== 0, cw);
    h = ((h << 1) | (l >>> 31)) >>> 0; l = ((l << 1) | (g >>> 31)) >>> 0; g = ((g << 1) | (p1 >>> 15)) >>> 0;
    return packResult(sa ^ sb, ea + eb - 16383, h, l, g, (p1 & 0x7fff) !== 0 || p0 !== 0, cw);
  }
  if (op === X_DIV) return fastDiv(sa ^ sb, ea - eb + 16383, cw);
  if (op === X_SUB) sb ^= 1;
  // Order by magnitude: A the larger.
  let Ah = ah, Al = al, Bh = bh, Bl = bl, s = sa, E = ea, d = ea - eb;
  if (d < 0 || (d === 0 && (bh > ah || (bh === ah && bl > al)))) { Ah = bh; Al = bl; Bh = ah; Bl = al; s = sb; E = eb; d = -d; }
  // B >> d as h:l:g and a sticky bit.
  let h: number, l: number, g: number, st = false;
  if (d === 0) { h = Bh; l = Bl; g = 0; }
  else if (d < 32) { h = Bh >>> d; l = ((Bh << (32 - d)) | (Bl >>> d)) >>> 0; g = (Bl << (32 - d)) >>> 0; }
  else if (d === 32) { h = 0; l = Bh; g = Bl; }
  else if (d < 64) { const k = d - 32; h = 0; l = Bh >>> k; g = ((Bh << (32 - k)) | (Bl >>> k)) >>> 0; st = (Bl << (32 - k)) !== 0; }
  else if (d === 64) { h = 0; l = 0; g = Bh; st = Bl !== 0; }
  else if (d < 96) { const k = d - 64; h = 0; l = 0; g = Bh >>> k; st = (Bh << (32 - k)) !== 0 || Bl !== 0; }
  else { h = 0; l = 0; g = 0; st = true; }
  if (sa === sb) {
    l += Al;
    if (l >= TWO32) { l -= TWO32; h += 1; }
    h += Ah;
    if (h >= TWO32) {
      st = st || (g & 1) !== 0;
      g = ((g >>> 1) | (l << 31)) >>> 0; l = ((l >>> 1) | (h << 31)) >>> 0; h = (h >>> 1) | 0x80000000;
      h >>>= 0;
      E++;
    }
    return packResult(s, E, h, l, g, st, cw);
  }
  // A - B: a sticky remainder of B is borrowed as one unit of g (the rest stays sticky).
  g = -g - (st ? 1 : 0);
  let borrow = 0;
  if (g < 0) { g += TWO32; borrow = 1; }
  l = Al - l - borrow; borrow = 0;
  if (l < 0) { l += TWO32; borrow = 1; }
  h = Ah - h - borrow;
  if (h === 0 && l === 0 && g === 0) return zeroResult(((cw >> 10) & 3) === 1 ? 1 : 0); // exact cancellation: +0, -0 rounding down
  // Normalize (with a sticky bit there is at most one leading zero: B was shifted by more than 32).
  while (h === 0) { h = l; l = g; g = 0; E -= 32; }
  const n = Math.clz32(h);
  if (n) {
    h = ((h << n) | (l >>> (32 - n))) >>> 0; l = ((l << n) | (g >>> (32 - n))) >>> 0; g = (g << n) >>> 0;
    E -= n;
  }
  return packResult(s, E, h, l, g, st, cw);
}

const L22 = 4194304, L44 = 17592186044416;

/**
 * The significands' quotient A / B (both in [2^63, 2^64)): the integer bit, then three 22-bit digits
 * from a partial remainder kept exactly in 22-bit limbs (r3 only transiently outside 0), each digit
 * estimated in double precision (within one) and corrected.
 */
function fastDiv(s: number, E: number, cw: number): boolean {
  const ah = fIn[1], al = fIn[2], bh = fIn[4], bl = fIn[5];
  const b0 = bl & 0x3fffff, b1 = (bl >>> 22) | ((bh & 0xfff) << 10), b2 = bh >>> 12;
  let r0 = al & 0x3fffff, r1 = (al >>> 22) | ((ah & 0xfff) << 10), r2 = ah >>> 12, r3 = 0, k = 0;
  const ge = ah > bh || (ah === bh && al >= bl);
  if (ge) {
    r0 -= b0; r1 -= b1; r2 -= b2;
    k = Math.floor(r0 / L22); r0 -= k * L22; r1 += k;
    k = Math.floor(r1 / L22); r1 -= k * L22; r2 += k;
  }
  const bd = b2 * L44 + b1 * L22 + b0;
  let d1 = 0, d2 = 0, q = 0;
  for (let i = 0; i < 3; i++) {
    q = Math.floor(((r2 * L44 + r1 * L22 + r0) * L22) / bd);
    r3 = r2; r2 = r1 - q * b2; r1 = r0 - q * b1; r0 = -q * b0;
    for (;;) {
      k = Math.floor(r0 / L22); r0 -= k * L22; r1 += k;
      k = Math.floor(r1 / L22); r1 -= k * L22; r2 += k;
      k = Math.floor(r2 / L22); r2 -= k * L22; r3 += k;
      if (r3 < 0) { r0 += b0; r1 += b1; r2 += b2; q--; }
      else if (r3 > 0 || r2 > b2 || (r2 === b2 && (r1 > b1 || (r1 === b1 && r0 >= b0)))) { r0 -= b0; r1 -= b1; r2 -= b2; q++; }
      else break;
    }
    if (i === 0) d1 = q; else if (i === 1) d2 = q;
  }
  const d3 = q, st = (r0 | r1 | r2) !== 0;
  // Q = [1] d1 d2 d3: 67 bits (A >= B) or 66 (A < B, the quotient's top bit then in d1).
  if (ge) {
    return packResult(s, E, (0x80000000 | (d1 << 9) | (d2 >>> 13)) >>> 0, (((d2 & 0x1fff) << 19) | (d3 >>> 3)) >>> 0, ((d3 & 7) << 29) >>> 0, st, cw);
  }
  return packResult(s, E - 1, ((d1 << 10) | (d2 >>> 12)) >>> 0, (((d2 & 0xfff) << 20) | (d3 >>> 2)) >>> 0, ((d3 & 3) << 30) >>> 0, st, cw);
}

const isZero = (se: number, hi: number, lo: number) => (se & 0x7fff) === 0 && hi === 0 && lo === 0;

/** A zero result, exact: no flag, C1 clear. */
function zeroResult(s: number): boolean {
  fOut[0] = s << 15; fOut[1] = 0; fOut[2] = 0; fFl = 0; fUp = false;
  return true;
}

/** fastArith with a zero operand, the other zero or normal (not a zero divisor); false otherwise. */
function zeroArith(op: number, cw: number): boolean {
  const aSe = fIn[0], ah = fIn[1], al = fIn[2], bSe = fIn[3], bh = fIn[4], bl = fIn[5];
  const za = isZero(aSe, ah, al), zb = isZero(bSe, bh, bl);
  if ((!za && !isNormal(aSe, ah)) || (!zb && !isNormal(bSe, bh)) || (!za && !zb)) return false;
  const sa = aSe >>> 15;
  let sb = bSe >>> 15;
  if (op === X_MUL) return zeroResult(sa ^ sb);
  if (op === X_DIV) return zb ? false : zeroResult(sa ^ sb);
  if (op === X_SUB) sb ^= 1;
  if (za && zb) return zeroResult(sa === sb ? sa : ((cw >> 10) & 3) === 1 ? 1 : 0);
  // x + 0: x rounded to PC.
  if (za) return packResult(sb, bSe & 0x7fff, bh, bl, 0, false, cw);
  return packResult(sa, aSe & 0x7fff, ah, al, 0, false, cw);
}

/** ST(0) vs b for normal or zero operands: -1, 0, 1; 3: not handled (the exact path decides). */
export function fastCompare(): number {
  const aSe = fIn[0], ah = fIn[1], al = fIn[2], bSe = fIn[3], bh = fIn[4], bl = fIn[5];
  const az = (aSe & 0x7fff) === 0 && ah === 0 && al === 0, bz = (bSe & 0x7fff) === 0 && bh === 0 && bl === 0;
  if (!az && !isNormal(aSe, ah)) return 3;
  if (!bz && !isNormal(bSe, bh)) return 3;
  if (az && bz) return 0;
  const sa = az ? bSe >>> 15 ^ 1 : aSe >>> 15, sb = bz ? aSe >>> 15 ^ 1 : bSe >>> 15;
  if (sa !== sb) return sa ? -1 : 1;
  const ea = aSe & 0x7fff, eb = bSe & 0x7fff;
  const m = ea !== eb ? (ea < eb ? -1 : 1) : ah !== bh ? (ah < bh ? -1 : 1) : al !== bl ? (al < bl ? -1 : 1) : 0;
  return sa ? -m : m;
}

/**
 * FST m32fp/m64fp of a normal ST(0) whose rounded value is normal in the destination format: the
 * pattern in fLo (single) or fHi:fLo (double); false: not handled.
 */
export function fastNarrow(single: boolean, rc: number): boolean {
  const se = fIn[0], h = fIn[1], l = fIn[2];
  if (!isNormal(se, h)) {
    if (!isZero(se, h, l)) return false;
    fOut[1] = single ? 0 : se << 16; fOut[2] = single ? se << 16 : 0; fFl = 0; fUp = false; // a signed zero
    return true;
  }
  const s = se >>> 15;
  const e = (se & 0x7fff) - 16383 + (single ? 127 : 1023);
  if (e < 1) return false;
  acc[0] = h; acc[1] = l; acc[2] = 0;
  round96(s, e, false, single ? 24 : 53, rc);
  if (fE > (single ? 254 : 2046)) return false;
  const hi = fOut[1];
  if (single) fOut[2] = (s << 31) | (fE << 23) | ((hi >>> 8) & 0x7fffff);
  else {
    fOut[1] = (s << 31) | (fE << 20) | ((hi >>> 11) & 0xfffff);
    fOut[2] = ((hi & 0x7ff) << 21) | (fOut[2] >>> 11);
  }
  return true;
}

/**
 * FIST/FISTP/FISTTP of a zero or normal ST(0) below 2^62 in magnitude whose rounded value fits `bits`
 * bits: the integer as (fLo, fHi) int32 halves; false: not handled.
 */
export function fastToInt(bits: number, rc: number): boolean {
  const se = fIn[0], h = fIn[1], l = fIn[2];
  const e = se & 0x7fff, s = se >>> 15;
  if (e === 0 && h === 0 && l === 0) { fOut[2] = 0; fOut[1] = 0; fFl = 0; fUp = false; return true; }
  if (!isNormal(se, h)) return false;
  const u = e - 16383; // value = sig * 2^(u - 63)
  if (u >= 62) return false;
  // sig >> (63 - u): integer part (ih:il), round bit and the rest below it.
  const sh = 63 - u;
  let ih: number, il: number, round: number, rest: boolean;
  if (sh >= 65) { ih = 0; il = 0; round = 0; rest = true; }
  else if (sh === 64) { ih = 0; il = 0; round = 1; rest = (h & 0x7fffffff) !== 0 || l !== 0; }
  else if (sh > 32) {
    const k = sh - 32; ih = 0; il = h >>> k; round = (h >>> (k - 1)) & 1;
    rest = (k > 1 && (h << (33 - k)) !== 0) || l !== 0;
  } else if (sh === 32) { ih = 0; il = h; round = l >>> 31; rest = (l & 0x7fffffff) !== 0; }
  else {
    ih = h >>> sh; il = ((h << (32 - sh)) | (l >>> sh)) >>> 0; round = (l >>> (sh - 1)) & 1;
    rest = sh > 1 && (l << (33 - sh)) !== 0;
  }
  const inexact = round !== 0 || rest;
  let up = false;
  if (inexact) {
    if (rc === 0) up = round !== 0 && (rest || (il & 1) !== 0);
    else if (rc === 1) up = s === 1;
    else if (rc === 2) up = s === 0;
  }
  if (up) { il += 1; if (il >= TWO32) { il = 0; ih += 1; } }
  // Range: the magnitude at most 2^(bits-1) - 1, or 2^(bits-1) when negative.
  if (bits < 64) {
    if (ih !== 0 || il > (s ? 2 ** (bits - 1) : 2 ** (bits - 1) - 1)) return false;
  }
  if (s) { il = -il; ih = ~ih + (il === 0 ? 1 : 0); if (il < 0) il += TWO32; }
  fOut[2] = il; fOut[1] = ih; fFl = inexact ? PE : 0; fUp = up;
  return true;
}

/** FRNDINT of a zero or normal ST(0) (fIn) by rc: the integral value to fOut, PE and C1; false: not handled. */
export function fastRoundInt(rc: number): boolean {
  const se = fIn[0], e = se & 0x7fff;
  if (e >= 16383 + 63 && isNormal(se, fIn[1])) { // already an integer
    fOut[0] = se; fOut[1] = fIn[1]; fOut[2] = fIn[2]; fFl = 0; fUp = false;
    return true;
  }
  if (!fastToInt(64, rc)) return false;
  // fOut[1]:fOut[2] is the signed integer (below 2^62 in magnitude): back to extended, sign kept.
  const s = se >>> 15;
  let h = fOut[1], l = fOut[2];
  if (s) { l = -l >>> 0; h = (~h + (l === 0 ? 1 : 0)) >>> 0; }
  if (h === 0 && l === 0) { fOut[0] = s << 15; fOut[1] = 0; fOut[2] = 0; return true; }
  let E = 16383 + 63;
  if (h === 0) { h = l; l = 0; E -= 32; }
  const n = Math.clz32(h);
  if (n) { h = ((h << n) | (l >>> (32 - n))) >>> 0; l = (l << n) >>> 0; }
  fOut[0] = (s << 15) | (E - n); fOut[1] = h; fOut[2] = l;
  return true;
}
