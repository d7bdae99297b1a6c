// The x87 fast paths (cpu/fpu-x87.ts fast*: plain numbers) against the exact bigint paths they stand in
// for, which tests/isa-x87.test.ts checks against the host CPU: on many random operands, whenever a fast
// path takes a case, its result, flags and C1 must be the exact path's, bit for bit.

import t from 'tap';
import {
  fastArith, fastCompare, fastNarrow, fastToInt, fastRoundInt, fOut, fIn, fFl, fUp, x87Arith, x87Compare, narrow, toInt,
  roundInt80,
  X_ADD, X_SUB, X_MUL, X_DIV,
} from '../cpu/fpu-x87.js';
import { F32, F64, fpFlags, roundedUp, clearFlags } from '../cpu/fpu.js';

const N = Number(process.env.X87_FAST_CASES ?? 200_000); // X87_FAST_SEED picks another sequence

let seed = Number(process.env.X87_FAST_SEED ?? 0x9e3779b9) | 0 || 1;
function rnd32(): number {
  seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
  return seed >>> 0;
}
const rint = (n: number) => rnd32() % n;

/** A significand with its J bit: random bits, few bits, runs of ones or zeros. */
function sig(): [number, number] {
  switch (rint(6)) {
    case 0: return [(0x80000000 | rnd32()) >>> 0, rnd32()];
    case 1: return [(0x80000000 | (rnd32() & ~((1 << rint(31)) - 1))) >>> 0, 0]; // a single or double widened
    case 2: return [0xffffffff, (0xffffffff << rint(32)) >>> 0];
    case 3: return [0x80000000, rint(4)];
    case 4: return [(0x80000000 | rnd32()) >>> 0, (rnd32() & 0xfffff800) >>> 0];
    default: return [(0x80000000 | (rnd32() & 0xffffff00)) >>> 0, 0];
  }
}
function exp(): number {
  switch (rint(5)) {
    case 0: return 1 + rint(0x7ffe);
    case 1: return 16383 - 70 + rint(140);
    case 2: return 1 + rint(80);
    case 3: return 0x7ffe - rint(80);
    default: return 16383 + rint(8) - 4;
  }
}
type V = [number, number, number]; // se, hi, lo
function value(): V {
  const [h, l] = sig();
  return [(rint(2) << 15) | exp(), h, l];
}
/** Often close to a: same exponent or a few apart, a nearby significand (cancellation, ties). */
function near(a: V): V {
  if (rint(3) === 0) return value();
  const e = Math.min(0x7ffe, Math.max(1, (a[0] & 0x7fff) + rint(140) - 70 + (rint(2) ? 0 : 70 - rint(3))));
  let lo = (a[2] + rint(5) - 2) >>> 0;
  if (rint(2)) lo = a[2];
  return [(rint(2) << 15) | (rint(3) ? (a[0] & 0x7fff) : e), rint(4) ? a[1] : (0x80000000 | rnd32()) >>> 0, lo];
}
const big = (v: V) => (BigInt(v[0]) << 64n) | (BigInt(v[1]) << 32n) | BigInt(v[2]);
const fastBig = () => (BigInt(fOut[0]) << 64n) | (BigInt(fOut[1]) << 32n) | BigInt(fOut[2]);
const out64 = () => (BigInt(fOut[1]) << 32n) | BigInt(fOut[2]);
function cw(): number {
  return 0x40 | (rint(4) === 0 ? 0x3f & ~(rint(2) ? 0x10 : 0x08) : 0x3f) | ([0, 2, 3, 3][rint(4)] << 8) | (rint(4) << 10);
}
const hex = (v: bigint) => v.toString(16);
const load = (a: V, b?: V) => { fIn.set(a, 0); if (b) fIn.set(b, 3); };

t.test('arithmetic: fastArith agrees with x87Arith', async (t) => {
  const bad: string[] = [];
  let taken = 0;
  for (let n = 0; n < N && bad.length < 10; n++) {
    let a = value(), b = near(a);
    const op = rint(4), w = cw();
    if (rint(10) === 0) a = [rint(2) << 15, 0, 0];
    if (rint(10) === 0) b = [rint(2) << 15, 0, 0];
    if (rint(10) === 0) b = [a[0] ^ (rint(2) << 15), a[1], a[2]]; // x - x, x + -x
    load(a, b);
    if (!fastArith(op, w)) continue;
    taken++;
    const got = `${hex(fastBig())} fl=${fFl} up=${fUp}`;
    clearFlags();
    const r = x87Arith(op, big(a), big(b), w, false);
    const want = `${hex(r)} fl=${fpFlags} up=${roundedUp}`;
    if (got !== want) bad.push(`op ${op} cw ${w.toString(16)} ${hex(big(a))} ${hex(big(b))}: got ${got}, want ${want}`);
  }
  t.same(bad, []);
  t.ok(taken > N * 0.5, `fast path taken ${taken} of ${N}`);
});

t.test('compare: fastCompare agrees with x87Compare', async (t) => {
  const bad: string[] = [];
  for (let n = 0; n < N / 4 && bad.length < 10; n++) {
    const a: V = rint(8) ? value() : [rint(2) << 15, 0, 0];
    const b: V = rint(8) ? (a[1] ? near(a) : value()) : [rint(2) << 15, 0, 0];
    load(a, b);
    const r = fastCompare();
    if (r === 3) { bad.push(`not taken ${hex(big(a))} ${hex(big(b))}`); continue; }
    clearFlags();
    const want = x87Compare(big(a), big(b), true, false);
    if (r !== want || fpFlags !== 0) bad.push(`${hex(big(a))} ${hex(big(b))}: got ${r}, want ${want} fl=${fpFlags}`);
  }
  t.same(bad, []);
});

t.test('stores: fastNarrow and fastToInt agree with narrow and toInt', async (t) => {
  const bad: string[] = [];
  let narrowTaken = 0, intTaken = 0;
  for (let n = 0; n < N / 2 && bad.length < 10; n++) {
    let a = value();
    if (rint(2)) a = [(a[0] & 0x8000) | (16383 - 3 + rint(70)), a[1], a[2]];
    if (rint(3) === 0) a = [(a[0] & 0x8000) | (16383 - 1023 - 60 + rint(120) + (rint(2) ? 0 : 2046)), a[1], a[2]];
    if (rint(20) === 0) a = [rint(2) << 15, 0, 0];
    const w = cw(), rc = (w >> 10) & 3;
    const single = rint(2) === 0;
    load(a);
    if (fastNarrow(single, rc)) {
      narrowTaken++;
      const got = `${single ? hex(BigInt(fOut[2])) : hex(out64())} fl=${fFl} up=${fUp}`;
      clearFlags();
      const r = narrow(single ? F32 : F64, big(a), w);
      const want = `${hex(r)} fl=${fpFlags} up=${roundedUp}`;
      if (got !== want) bad.push(`narrow ${single ? 32 : 64} cw ${w.toString(16)} ${hex(big(a))}: got ${got}, want ${want}`);
    }
    const bits = [16, 32, 64][rint(3)];
    const trc = rint(5) === 0 ? 3 : rc;
    load(a);
    if (fastToInt(bits, trc)) {
      intTaken++;
      const got = `${BigInt.asIntN(bits, out64())} fl=${fFl} up=${fUp}`;
      clearFlags();
      const r = toInt(big(a), bits, trc);
      const want = `${r} fl=${fpFlags} up=${roundedUp}`;
      if (got !== want) bad.push(`toInt ${bits} rc ${trc} ${hex(big(a))}: got ${got}, want ${want}`);
    }
  }
  t.same(bad, []);
  t.ok(narrowTaken > 0 && intTaken > 0, `narrow taken ${narrowTaken}, toInt taken ${intTaken}`);
});

t.test('frndint: fastRoundInt agrees with roundInt80', async (t) => {
  const bad: string[] = [];
  let taken = 0;
  for (let n = 0; n < N / 4 && bad.length < 10; n++) {
    let a = value();
    if (rint(4)) a = [(a[0] & 0x8000) | (16383 - 3 + rint(70)), a[1], a[2]];
    if (rint(20) === 0) a = [rint(2) << 15, 0, 0];
    const w = cw();
    load(a);
    if (!fastRoundInt((w >> 10) & 3)) continue;
    taken++;
    const got = `${hex(fastBig())} fl=${fFl} up=${fUp}`;
    clearFlags();
    const r = roundInt80(big(a), w);
    const want = `${hex(r)} fl=${fpFlags} up=${roundedUp}`;
    if (got !== want) bad.push(`frndint cw ${w.toString(16)} ${hex(big(a))}: got ${got}, want ${want}`);
  }
  t.same(bad, []);
  t.ok(taken > N / 8, `fast path taken ${taken}`);
});
