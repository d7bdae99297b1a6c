// Exact binary floating point for the SSE and x87 rows (SDM vol. 1 ch. 4 "Data types", 4.8 "Real
// numbers and floating-point formats", 4.9 "Floating-point exception conditions").
//
// JavaScript arithmetic is binary64 with round-to-nearest and no flags. The CPU also rounds down, up
// and toward zero, rounds x87 results to 24, 53 or 64 significand bits, reports six exception flags
// and has a 80-bit format. So this module does IEEE arithmetic exactly, on BigInt significands: an
// operation first computes the exact result (add, multiply) or enough bits of it plus a sticky bit
// (divide, square root), then `roundPack` rounds that once to the destination format, the way the
// hardware does. The SSE rows use it only off their fast path (see isa/sse-fp.ts), the x87 rows off theirs
// (fpu-x87.ts fast*, on plain numbers).
//
// Values travel as bit patterns in a bigint (32, 64 or 80 bits: sign, biased exponent, fraction; the
// 80-bit format keeps its integer bit J explicit at bit 63). Finite values are unpacked to
// (sign, sig, exp) with value = (-1)^sign * sig * 2^exp, sig a non-negative bigint.
//
// Measured on the host (AMD Zen) and followed here:
// - tininess is detected after rounding (as if the exponent range were unbounded), for SSE and x87;
// - a masked underflow sets UE only when the result is also inexact; unmasked, whenever it is tiny;
// - FTZ (SSE) flushes a tiny result to a signed zero and sets UE and PE;
// - overflow sets OE and PE and gives infinity or the largest finite value as the rounding mode says.

/** Exception flags, at the same bits in MXCSR and in the x87 status word. */
export const IE = 0x01, DE = 0x02, ZE = 0x04, OE = 0x08, UE = 0x10, PE = 0x20;
/** Rounding control, as MXCSR.RC and the x87 control word's RC encode it. */
export const RN = 0, RD = 1, RU = 2, RZ = 3;

export interface Format {
  readonly name: string;
  readonly bits: number;
  readonly expBits: number;
  /** Fraction bits below the (hidden or explicit) integer bit. */
  readonly fracBits: number;
  readonly bias: number;
  /** The integer bit is stored (80-bit extended format). */
  readonly explicit: boolean;
  /** Significand precision including the integer bit. */
  readonly prec: number;
  // Derived bigint constants (BigInt(...) in the hot path allocates): shift of the sign+exponent
  // field, the fraction mask, the quiet bit, and the all-ones exponent as a number.
  readonly seShift: bigint;
  readonly fracMask: bigint;
  readonly quietBit: bigint;
  readonly expMax: number;
}
function format(name: string, bits: number, expBits: number, fracBits: number, explicit: boolean): Format {
  return {
    name, bits, expBits, fracBits, bias: (1 << (expBits - 1)) - 1, explicit, prec: fracBits + 1,
    seShift: BigInt(bits - 1 - expBits), fracMask: (1n << BigInt(fracBits)) - 1n, quietBit: 1n << BigInt(fracBits - 1),
    expMax: (1 << expBits) - 1,
  };
}
export const F32 = format('single', 32, 8, 23, false);
export const F64 = format('double', 64, 11, 52, false);
export const F80 = format('extended', 80, 15, 63, true);

/** Classes of a bit pattern. UNSUPPORTED: an 80-bit pattern the x87 rejects (unnormal, pseudo-NaN). */
export const ZERO = 0, DENORMAL = 1, NORMAL = 2, INF = 3, QNAN = 4, SNAN = 5, UNSUPPORTED = 6;

const J_BIT = 1n << 63n;

export function signOf(f: Format, v: bigint): number {
  return Number(v >> f.seShift) >> f.expBits;
}
export function expOf(f: Format, v: bigint): number {
  return Number(v >> f.seShift) & f.expMax;
}
/** The fraction field (for the 80-bit format: bits 62..0, without J). */
export function fracOf(f: Format, v: bigint): bigint {
  return v & f.fracMask;
}

export function classify(f: Format, v: bigint): number {
  const e = Number(v >> f.seShift) & f.expMax;
  const frac = v & f.fracMask;
  if (f.explicit) {
    const j = (v & J_BIT) !== 0n;
    if (e === 0) return !j && frac === 0n ? ZERO : DENORMAL; // J=1: pseudo-denormal
    if (!j) return UNSUPPORTED; // unnormal, pseudo-infinity, pseudo-NaN
    if (e === 0x7fff) return frac === 0n ? INF : frac & f.quietBit ? QNAN : SNAN;
    return NORMAL;
  }
  if (e === 0) return frac === 0n ? ZERO : DENORMAL;
  if (e === f.expMax) return frac === 0n ? INF : frac & f.quietBit ? QNAN : SNAN;
  return NORMAL;
}

export const isNaNClass = (k: number) => k === QNAN || k === SNAN;

/** A finite value: (-1)^sign * sig * 2^exp. */
export interface Num {
  sign: number;
  sig: bigint;
  exp: number;
}

/** Unpack a zero, denormal or normal pattern (80-bit pseudo-denormals weigh as exponent 1). */
export function unpack(f: Format, v: bigint): Num {
  const sign = signOf(f, v);
  const e = expOf(f, v);
  if (f.explicit) return { sign, sig: v & 0xffffffffffffffffn, exp: (e === 0 ? 1 : e) - f.bias - 63 };
  const frac = v & f.fracMask;
  if (e === 0) return { sign, sig: frac, exp: 1 - f.bias - f.fracBits };
  return { sign, sig: frac | (1n << BigInt(f.fracBits)), exp: e - f.bias - f.fracBits };
}

export function zeroOf(f: Format, sign: number): bigint {
  return sign ? 1n << BigInt(f.bits - 1) : 0n;
}
export function infOf(f: Format, sign: number): bigint {
  return (BigInt((sign << f.expBits) | f.expMax) << f.seShift) | (f.explicit ? J_BIT : 0n);
}
/** The default NaN ("QNaN floating-point indefinite"): negative, quiet bit only. */
export function defaultNaN(f: Format): bigint {
  return infOf(f, 1) | f.quietBit;
}
export function quiet(f: Format, v: bigint): bigint {
  return v | f.quietBit;
}
export function negate(f: Format, v: bigint): bigint {
  return v ^ (1n << BigInt(f.bits - 1));
}

/** A NaN carried to another format: sign kept, fraction aligned at the top, quiet bit set. */
export function convertNaN(from: Format, to: Format, v: bigint): bigint {
  const d = to.fracBits - from.fracBits;
  const frac = fracOf(from, v);
  const nf = d >= 0 ? frac << BigInt(d) : frac >> BigInt(-d);
  return quiet(to, infOf(to, signOf(from, v)) | nf);
}

// ---- bit lengths and integer square roots of bigints ----

export function bitLength(x: bigint): number {
  if (x < 0x20000000000000n) return smallBitLength(Number(x)); // below 2^53: exact as a number
  let n = 0;
  while (x >= 0x10000000000000000n) { x >>= 64n; n += 64; }
  const hi = Number(x >> 32n);
  return hi !== 0 ? n + 64 - Math.clz32(hi) : n + 32 - Math.clz32(Number(x));
}
function smallBitLength(n: number): number {
  return n < 4294967296 ? 32 - Math.clz32(n) : 32 + (32 - Math.clz32(Math.floor(n / 4294967296)));
}

export function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt((bitLength(n) + 1) >> 1);
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

// ---- exact results ----

/** An exact or nearly exact result: (-1)^sign * (sig + (sticky ? a fraction of one unit : 0)) * 2^exp. */
export interface Exact extends Num {
  sticky: boolean;
}

/** a + b (b's sign already flipped for a subtraction). An exact zero has sig 0; its sign is the caller's. */
export function addExact(a: Num, b: Num): Exact {
  if (b.sig === 0n) return { sign: a.sign, sig: a.sig, exp: a.exp, sticky: false };
  if (a.sig === 0n) return { sign: b.sign, sig: b.sig, exp: b.exp, sticky: false };
  let asig = a.sig, aexp = a.exp, bsig = b.sig, bexp = b.exp;
  // An operand far below the other only decides a sticky bit: replace it by one unit far below every
  // rounding boundary (a result near the larger operand rounds at most 66 bits below its top bit).
  const ta = aexp + bitLength(asig) - 1, tb = bexp + bitLength(bsig) - 1;
  if (tb < ta - 67 && bexp < ta - 100) { bsig = 1n; bexp = ta - 100; }
  else if (ta < tb - 67 && aexp < tb - 100) { asig = 1n; aexp = tb - 100; }
  const e = Math.min(aexp, bexp);
  const x = (asig << BigInt(aexp - e)) * (a.sign ? -1n : 1n) + (bsig << BigInt(bexp - e)) * (b.sign ? -1n : 1n);
  return x < 0n ? { sign: 1, sig: -x, exp: e, sticky: false } : { sign: 0, sig: x, exp: e, sticky: false };
}

export function mulExact(a: Num, b: Num): Exact {
  return { sign: a.sign ^ b.sign, sig: a.sig * b.sig, exp: a.exp + b.exp, sticky: false };
}

/** a / b with at least prec+2 quotient bits and a sticky remainder; b nonzero. */
export function divExact(a: Num, b: Num, prec: number): Exact {
  const k = Math.max(0, prec + 3 + bitLength(b.sig) - bitLength(a.sig));
  const n = a.sig << BigInt(k);
  const q = n / b.sig;
  return { sign: a.sign ^ b.sign, sig: q, exp: a.exp - b.exp - k, sticky: q * b.sig !== n };
}

/** sqrt(a) for a >= 0 with at least prec+2 bits and a sticky bit. */
export function sqrtExact(a: Num, prec: number): Exact {
  let k = Math.max(0, 2 * (prec + 2) - bitLength(a.sig));
  if (((a.exp - k) & 1) !== 0) k++;
  const n = a.sig << BigInt(k);
  const r = isqrt(n);
  return { sign: a.sign, sig: r, exp: (a.exp - k) / 2, sticky: r * r !== n };
}

// ---- rounding ----

/** Flags raised by the last roundPack (and set by callers); `roundedUp`: the magnitude was increased. */
export let fpFlags = 0;
export let roundedUp = false;
export function clearFlags(): void {
  fpFlags = 0;
  roundedUp = false;
}
export function raise(flags: number): void {
  fpFlags |= flags;
}
export function setRoundedUp(v: boolean): void {
  roundedUp = v;
}

/** roundPack options. */
export const FTZ = 1, UNMASKED_UE = 2, UNMASKED_OE = 4;

/**
 * An unmasked overflow or underflow delivers (x87) or computes (SSE) the result with its exponent
 * wrapped by 3 * 2^(exponent bits - 2): 192, 1536, 24576, as IEEE 754-1985 prescribes for trap handlers.
 */
const wrap = (f: Format) => 3 << (f.expBits - 2);

let rbInexact = false;
let rbUp = false;
/** Drop `drop` low bits of sig (plus the sticky fraction) by rounding control rc; sets rbInexact/rbUp. */
function roundBits(sig: bigint, drop: number, sticky: boolean, rc: number, sign: number): bigint {
  let m: bigint, above: number; // above: the dropped part vs one half unit: -1 below, 0 exactly, 1 above
  if (drop <= 0) {
    m = sig << BigInt(-drop);
    above = sticky ? -1 : -2; // -2: nothing dropped
  } else if (drop > bitLength(sig) + 1) {
    m = 0n;
    above = -1; // 0 < dropped < half (sig is nonzero whenever we get here with drop > 0)
    if (sig === 0n && !sticky) above = -2;
  } else {
    const db = BigInt(drop);
    m = sig >> db;
    const rem = sig & ((1n << db) - 1n);
    const half = 1n << (db - 1n);
    if (rem === 0n && !sticky) above = -2;
    else if (rem > half || (rem === half && sticky)) above = 1;
    else if (rem === half) above = 0;
    else above = -1;
  }
  rbInexact = above !== -2;
  let up = false;
  if (rbInexact) {
    switch (rc) {
      case RN: up = above === 1 || (above === 0 && (m & 1n) === 1n); break;
      case RD: up = sign === 1; break;
      case RU: up = sign === 0; break;
      default: up = false;
    }
  }
  rbUp = up;
  return up ? m + 1n : m;
}

/**
 * Round x to `prec` significand bits in format f (whose exponent range applies: the x87 rounds to 24
 * or 53 bits inside the 15-bit exponent range), by rounding control rc. Returns the bit pattern and
 * ORs the flags (OE, UE, PE) into fpFlags; sets roundedUp. For an x87 precision below 64 the
 * significand's low bits are zero.
 */
export function roundPack(f: Format, x: Exact, prec: number, rc: number, opts = 0): bigint {
  let { sign, sig, exp } = x;
  const sticky = x.sticky;
  roundedUp = false;
  if (sig === 0n && !sticky) return zeroOf(f, sign);
  const emin = 1 - f.bias;
  const emax = f.bias; // unbiased exponent of the largest finite value
  const n = bitLength(sig);
  let top = exp + n - 1;
  let tiny = false;
  if (top < emin - 1) tiny = true;
  else if (top === emin - 1) {
    const m = roundBits(sig, n - prec, sticky, rc, sign);
    tiny = bitLength(m) <= prec;
  }
  let wrapUp = 0;
  if (tiny && opts & UNMASKED_UE && f.explicit && top + wrap(f) < emin) {
    // x87: too small even for the wrapped exponent (FSCALE can do that): a zero, whatever the rounding.
    // (SSE delivers nothing then, and its flags are those of the unbounded rounding, below.)
    fpFlags |= UE | PE;
    return zeroOf(f, sign);
  }
  if (tiny && opts & UNMASKED_UE) {
    // Unmasked underflow: the result is delivered (x87) or computed (SSE, then #XM) at full precision
    // with its exponent wrapped, so its precision exception is that of the unbounded rounding.
    wrapUp = wrap(f); tiny = false;
    fpFlags |= UE;
  }
  if (tiny && opts & FTZ && !(opts & UNMASKED_UE)) {
    fpFlags |= UE | PE;
    return zeroOf(f, sign);
  }
  let drop = n - prec;
  if (top < emin && !wrapUp) drop += emin - top;
  let m = roundBits(sig, drop, sticky, rc, sign);
  const inexact = rbInexact;
  let lsb = exp + drop;
  if (bitLength(m) > prec) { m >>= 1n; lsb++; }
  let e = m === 0n ? 0 : bitLength(m) === prec ? lsb + prec - 1 + f.bias + wrapUp : 0; // biased
  if (lsb + prec - 1 > emax && bitLength(m) === prec) {
    if (opts & UNMASKED_OE && f.explicit && e - wrap(f) > 2 * f.bias) {
      // x87: too large even for the wrapped exponent: an infinity, whatever the rounding.
      fpFlags |= OE | PE;
      roundedUp = true;
      return infOf(f, sign);
    }
    if (opts & UNMASKED_OE) {
      fpFlags |= OE;
      e -= wrap(f);
    } else {
      fpFlags |= OE | PE;
      const toInf = rc === RN || (rc === RU && sign === 0) || (rc === RD && sign === 1);
      roundedUp = toInf;
      if (toInf) return infOf(f, sign);
      return pack(f, sign, 2 * f.bias, (1n << BigInt(prec)) - 1n, prec);
    }
  }
  if (tiny && inexact) fpFlags |= UE;
  if (inexact) fpFlags |= PE;
  roundedUp = rbUp;
  return pack(f, sign, e, m, prec);
}

/** Assemble a pattern from a biased exponent and a significand of `prec` bits (integer bit on top). */
function pack(f: Format, sign: number, e: number, m: bigint, prec: number): bigint {
  const head = BigInt(sign * (f.expMax + 1) + e) << f.seShift;
  if (f.explicit) return head | (prec === 64 ? m : m << BigInt(64 - prec));
  return head | (m & f.fracMask);
}

/**
 * Round a finite value to an integer by rc. Returns the integer (signed bigint) and sets rbInexact
 * (read through lastInexact()) and roundedUp.
 */
export function roundToInteger(x: Num, rc: number): bigint {
  let m: bigint;
  if (x.exp >= 0) { m = x.sig << BigInt(x.exp); rbInexact = false; rbUp = false; }
  else m = roundBits(x.sig, -x.exp, false, rc, x.sign);
  roundedUp = rbUp;
  return x.sign ? -m : m;
}
export function lastInexact(): boolean {
  return rbInexact;
}

/** An integer (bigint, any size) as a value of format f rounded to prec bits by rc. */
export function fromInteger(f: Format, v: bigint, prec: number, rc: number): bigint {
  const sign = v < 0n ? 1 : 0;
  return roundPack(f, { sign, sig: sign ? -v : v, exp: 0, sticky: false }, prec, rc);
}

/** Compare two finite values: -1, 0, 1 (zeros of either sign are equal). */
export function compareNum(a: Num, b: Num): number {
  const az = a.sig === 0n, bz = b.sig === 0n;
  if (az && bz) return 0;
  if (az) return b.sign ? 1 : -1;
  if (bz) return a.sign ? -1 : 1;
  if (a.sign !== b.sign) return a.sign ? -1 : 1;
  const e = Math.min(a.exp, b.exp);
  const x = a.sig << BigInt(a.exp - e), y = b.sig << BigInt(b.exp - e);
  const r = x < y ? -1 : x > y ? 1 : 0;
  return a.sign ? -r : r;
}

// ---- bigint <-> register halves ----

export function bits64(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}
export function lo32(v: bigint): number {
  return Number(v & 0xffffffffn) | 0;
}
export function hi32(v: bigint): number {
  return Number((v >> 32n) & 0xffffffffn) | 0;
}
