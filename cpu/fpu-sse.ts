// SSE/SSE2 floating-point semantics on bit patterns (SDM vol. 1 ch. 11.5 "SSE, SSE2 and SSE3
// exceptions", 4.8.3.5 "QNaN floating-point indefinite", table 4-7 "Rules for handling NaNs"; vol. 2
// MINPS/MAXPS, CMPPS, UCOMISS/COMISS, CVT*). One lane at a time, exactly, via fpu.ts; flags are ORed
// into fpFlags and the caller (isa/sse-fp.ts) decides between setting them in MXCSR and #XM.
//
// The rules, as the host CPU applies them:
// - DAZ turns denormal sources into zeros of the same sign (no DE); FTZ turns tiny results into zeros;
// - a NaN source gives the first source's NaN if it is one, else the second's, made quiet; an SNaN
//   source raises IE; an invalid operation (inf - inf, 0 * inf, 0/0, inf/inf, sqrt of a negative)
//   gives the default NaN and IE; a NaN source hides the other checks (no DE, no ZE);
// - min/max return the second source when either is a NaN (IE, even for a QNaN) or both are zeros;
// - conversions to an integer give the "integer indefinite" (the most negative value) and IE for a
//   NaN, an infinity or a value out of range.

import {
  type Format, type Exact, F32, F64, IE, DE, ZE, PE, ZERO, DENORMAL, INF, QNAN, SNAN,
  classify, signOf, unpack, zeroOf, infOf, defaultNaN, quiet, convertNaN, addExact, mulExact, divExact,
  sqrtExact, roundPack, roundToInteger, lastInexact, fromInteger, compareNum, raise, FTZ, UNMASKED_UE, UNMASKED_OE, RD,
} from './fpu.js';

export const MXCSR_DAZ = 0x40;
export const MXCSR_FTZ = 0x8000;
export const rcOf = (mx: number) => (mx >> 13) & 3;

export const OP_ADD = 0, OP_SUB = 1, OP_MUL = 2, OP_DIV = 3, OP_MIN = 4, OP_MAX = 5, OP_SQRT = 6;

/** roundPack options from MXCSR: FTZ only with underflow masked; unmasked UE/OE change the flags. */
export function roundOpts(mx: number): number {
  let o = 0;
  if (!(mx & 0x800)) o |= UNMASKED_UE;
  else if (mx & MXCSR_FTZ) o |= FTZ;
  if (!(mx & 0x400)) o |= UNMASKED_OE;
  return o;
}

const isNaNK = (k: number) => k === QNAN || k === SNAN;

// Sources after DAZ: the pattern and its class, kept in module scratch (no allocation per lane).
let va = 0n, ka = 0, vb = 0n, kb = 0;
function load(f: Format, a: bigint, b: bigint, mx: number): void {
  va = a; ka = classify(f, a);
  vb = b; kb = classify(f, b);
  if (mx & MXCSR_DAZ) {
    if (ka === DENORMAL) { va = zeroOf(f, signOf(f, a)); ka = ZERO; }
    if (kb === DENORMAL) { vb = zeroOf(f, signOf(f, b)); kb = ZERO; }
  }
}

/** dst op src for add/sub/mul/div/min/max; sqrt(src) for OP_SQRT (a unused). */
export function sseArith(f: Format, op: number, a: bigint, b: bigint, mx: number): bigint {
  load(f, a, b, mx);
  if (op === OP_SQRT) return sqrt1(f, mx);
  if (op === OP_MIN || op === OP_MAX) {
    if (isNaNK(ka) || isNaNK(kb)) { raise(IE); return vb; }
    if (ka === DENORMAL || kb === DENORMAL) raise(DE);
    const c = cmpFinite(f);
    return (op === OP_MAX ? c > 0 : c < 0) ? va : vb;
  }
  if (isNaNK(ka) || isNaNK(kb)) {
    if (ka === SNAN || kb === SNAN) raise(IE);
    return isNaNK(ka) ? quiet(f, va) : quiet(f, vb);
  }
  // A denormal source raises DE, unless a division by zero (ZE) takes precedence.
  if ((ka === DENORMAL || kb === DENORMAL) && !(op === OP_DIV && kb === ZERO)) raise(DE);
  const sa = signOf(f, va), sb = signOf(f, vb), rc = rcOf(mx);
  let x: Exact;
  switch (op) {
    case OP_ADD: case OP_SUB: {
      const sb2 = op === OP_SUB ? sb ^ 1 : sb;
      if (ka === INF || kb === INF) {
        if (ka === INF && kb === INF && sa !== sb2) { raise(IE); return defaultNaN(f); }
        return ka === INF ? va : infOf(f, sb2);
      }
      const bn = unpack(f, vb);
      bn.sign = sb2;
      x = addExact(unpack(f, va), bn);
      if (x.sig === 0n) x.sign = sa === sb2 ? sa : rc === RD ? 1 : 0;
      break;
    }
    case OP_MUL:
      if (ka === INF || kb === INF) {
        if (ka === ZERO || kb === ZERO) { raise(IE); return defaultNaN(f); }
        return infOf(f, sa ^ sb);
      }
      x = mulExact(unpack(f, va), unpack(f, vb));
      break;
    default: // OP_DIV
      if (ka === INF) {
        if (kb === INF) { raise(IE); return defaultNaN(f); }
        return infOf(f, sa ^ sb);
      }
      if (kb === INF) return zeroOf(f, sa ^ sb);
      if (kb === ZERO) {
        if (ka === ZERO) { raise(IE); return defaultNaN(f); }
        raise(ZE);
        return infOf(f, sa ^ sb);
      }
      x = divExact(unpack(f, va), unpack(f, vb), f.prec);
  }
  return roundPack(f, x, f.prec, rc, roundOpts(mx));
}

function sqrt1(f: Format, mx: number): bigint {
  if (isNaNK(kb)) {
    if (kb === SNAN) raise(IE);
    return quiet(f, vb);
  }
  if (kb === ZERO) return vb;
  if (signOf(f, vb)) { raise(IE); return defaultNaN(f); }
  if (kb === INF) return vb;
  if (kb === DENORMAL) raise(DE);
  return roundPack(f, sqrtExact(unpack(f, vb), f.prec), f.prec, rcOf(mx), roundOpts(mx));
}

/** Compare non-NaN va and vb (after load): -1, 0, 1. */
function cmpFinite(f: Format): number {
  const sa = signOf(f, va), sb = signOf(f, vb);
  if (ka === INF || kb === INF) {
    const x = ka === INF ? (sa ? -1 : 1) : 0, y = kb === INF ? (sb ? -1 : 1) : 0;
    if (x !== y) return x < y ? -1 : 1;
    if (x !== 0) return 0;
  }
  return compareNum(unpack(f, va), unpack(f, vb));
}

/**
 * Ordered comparison with flags: -1 less, 0 equal, 1 greater, 2 unordered. `signalQuiet`: a QNaN raises
 * IE too (comiss, the LT/LE/NLT/NLE predicates); an SNaN always does.
 */
export function sseCompare(f: Format, a: bigint, b: bigint, mx: number, signalQuiet: boolean): number {
  load(f, a, b, mx);
  if (isNaNK(ka) || isNaNK(kb)) {
    if (signalQuiet || ka === SNAN || kb === SNAN) raise(IE);
    return 2;
  }
  if (ka === DENORMAL || kb === DENORMAL) raise(DE);
  return cmpFinite(f);
}

/** CMPPS/CMPPD/CMPSS/CMPSD predicate 0..7 (EQ LT LE UNORD NEQ NLT NLE ORD). */
export function ssePredicate(f: Format, pred: number, a: bigint, b: bigint, mx: number): boolean {
  const p = pred & 7;
  const r = sseCompare(f, a, b, mx, p === 1 || p === 2 || p === 5 || p === 6);
  switch (p) {
    case 0: return r === 0;
    case 1: return r === -1;
    case 2: return r === -1 || r === 0;
    case 3: return r === 2;
    case 4: return r !== 0;
    case 5: return r !== -1;
    case 6: return r !== -1 && r !== 0;
    default: return r !== 2;
  }
}

/** Float to float (cvtss2sd, cvtsd2ss and the packed forms). */
export function sseConvert(from: Format, to: Format, v: bigint, mx: number): bigint {
  load(from, v, 0n, mx);
  switch (ka) {
    case SNAN: raise(IE); return convertNaN(from, to, va);
    case QNAN: return convertNaN(from, to, va);
    case INF: return infOf(to, signOf(from, va));
    case ZERO: return zeroOf(to, signOf(from, va));
    case DENORMAL: raise(DE);
  }
  const n = unpack(from, va);
  return roundPack(to, { ...n, sticky: false }, to.prec, rcOf(mx), roundOpts(mx));
}

/** Integer (bigint) to float, rounded by MXCSR.RC (cvtsi2ss/sd, cvtdq2ps). */
export function sseFromInt(to: Format, v: bigint, mx: number): bigint {
  return fromInteger(to, v, to.prec, rcOf(mx));
}

/**
 * Float to a signed integer of `bits` bits (cvtss2si.., cvtps2dq..), rounded by MXCSR.RC or truncated.
 * Returns the integer as a bigint; out of range: the integer indefinite and IE.
 */
export function sseToInt(f: Format, v: bigint, bits: number, truncate: boolean, mx: number): bigint {
  load(f, v, 0n, mx);
  const indefinite = -(1n << BigInt(bits - 1));
  if (isNaNK(ka) || ka === INF) { raise(IE); return indefinite; }
  if (ka === ZERO) return 0n;
  const r = roundToInteger(unpack(f, va), truncate ? 3 : rcOf(mx));
  if (r < indefinite || r > -indefinite - 1n) { raise(IE); return indefinite; }
  if (lastInexact()) raise(PE);
  return r;
}

export { F32, F64 };
