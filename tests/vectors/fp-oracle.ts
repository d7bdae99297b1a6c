// Differential testing of the floating-point rows (SSE in tests/isa-fp.test.ts, x87 in
// tests/isa-x87.test.ts) against the host CPU.
//
// A case is one instruction and the state it starts from: general registers, the status flags, MXCSR
// and the xmm registers, the x87 control/status/tag words and stack, and a memory window at DATA. The
// whole float state travels as an FXSAVE image: fp-oracle.c loads it with FXRSTOR64 before running
// the instruction natively and stores it with FXSAVE64 after; colonel's side loads and stores the same
// image through cpu/x87.ts (x87Restore/x87Save), MXCSR and the xmm registers, so the comparison
// also checks that colonel's FXSAVE image of its x87 state is the host's.
//
// Recorded vectors (tests/vectors/fp-*.jsonl) are the case plus what changed (`out`), so the tests
// assert on hosts without gcc or x86-64. Compared: everything in the image but FOP/FIP/FDP (bytes 6..23,
// not modelled: see cpu/x87.ts) and MXCSR_MASK (bytes 28..31, which FXRSTOR ignores).

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Machine, CODE, DATA } from '../helpers/machine.js';
import { REG_NAMES } from '../../cpu/cpu.js';
import { x87Restore, x87Save } from '../../cpu/x87.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const FX_LEN = 416;

export interface FpCase {
  id: string;
  code: string;
  /** rflags status bits (default 0). */
  rf?: number;
  /** General registers by name, hex (absent: 0). */
  g?: Record<string, string>;
  /** MXCSR (default 0x1F80). */
  mx?: number;
  /** xmm registers by number: 32 hex digits in memory order (absent: 0). */
  x?: Record<string, string>;
  /** x87 control word (default 0x37F), status word with TOP (0), abridged tag byte (0: all empty). */
  cw?: number;
  sw?: number;
  tw?: number;
  /** ST(0), ST(1), ...: 80-bit values as 20 hex digits, most significant first (absent: 0). */
  st?: string[];
  /** Memory at DATA + offset: [offset, hex bytes]. */
  m?: [number, string];
}

export interface FpOut {
  fault?: string;
  rf?: number;
  g?: Record<string, string>;
  mx?: number;
  x?: Record<string, string>;
  cw?: number;
  sw?: number;
  tw?: number;
  /** ST(i) after = ST(i + rot) before, then the entries of `st` (a push is rot -1, a pop rot 1). */
  rot?: number;
  st?: Record<string, string>;
  m?: string;
}
export interface FpVector extends FpCase {
  out: FpOut;
}

/** A machine state in the oracle's terms. */
export interface FpState {
  fault: string | null;
  rf: number;
  g: bigint[];
  fx: Uint8Array;
  m: string;
}

// ---- the FXSAVE image ----

const hexOf = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const fromHex = (h: string) => Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));
const u16 = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8);
const u32 = (b: Uint8Array, o: number) => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
function put(b: Uint8Array, o: number, v: number, n: number): void {
  for (let i = 0; i < n; i++) b[o + i] = (v >>> (8 * i)) & 0xff;
}
/** An 80-bit value (20 hex digits, big-endian) into 10 little-endian bytes. */
function putST(b: Uint8Array, o: number, hex: string): void {
  const v = fromHex(hex.padStart(20, '0'));
  for (let i = 0; i < 10; i++) b[o + i] = v[9 - i];
}
function getST(b: Uint8Array, o: number): string {
  let s = '';
  for (let i = 9; i >= 0; i--) s += b[o + i].toString(16).padStart(2, '0');
  return s;
}

export function imageOf(k: FpCase): Uint8Array {
  const b = new Uint8Array(FX_LEN);
  put(b, 0, k.cw ?? 0x37f, 2);
  put(b, 2, k.sw ?? 0, 2);
  b[4] = k.tw ?? 0;
  put(b, 24, k.mx ?? 0x1f80, 4);
  (k.st ?? []).forEach((h, i) => putST(b, 32 + 16 * i, h));
  for (const [n, h] of Object.entries(k.x ?? {})) b.set(fromHex(h), 160 + 16 * +n);
  return b;
}

export function initialState(k: FpCase): FpState {
  return {
    fault: null,
    rf: k.rf ?? 0,
    g: REG_NAMES.map((n) => BigInt('0x' + (k.g?.[n] ?? '0'))),
    fx: imageOf(k),
    m: k.m?.[1] ?? '',
  };
}

// ---- native side ----

/** Compile fp-oracle.c (cached by content hash); null when this host cannot run it. */
export function buildOracle(): string | null {
  if (process.platform !== 'linux' || process.arch !== 'x64') return null;
  const src = join(HERE, 'fp-oracle.c');
  const hash = createHash('sha256').update(readFileSync(src)).digest('hex').slice(0, 12);
  const dir = join(tmpdir(), 'colonel-fp-oracle');
  const exe = join(dir, `oracle-${hash}`);
  if (existsSync(exe)) return exe;
  try {
    mkdirSync(dir, { recursive: true });
    execFileSync('gcc', ['-O1', '-o', exe, src], { stdio: 'pipe' });
  } catch {
    return null;
  }
  return exe;
}

export function runNative(exe: string, cases: FpCase[]): FpState[] {
  const lines = cases.map((k) => {
    const s = initialState(k);
    return [k.code, s.rf.toString(16), ...s.g.map((v) => v.toString(16)), hexOf(s.fx), (k.m?.[0] ?? 0).toString(16), k.m?.[1] || '-'].join(' ');
  });
  const r = spawnSync(exe, [], { input: lines.join('\n') + '\n', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`fp oracle failed: ${r.status} ${r.stderr}`);
  const out = r.stdout.toString().trim().split('\n');
  if (out.length !== cases.length) throw new Error(`fp oracle: ${out.length} results for ${cases.length} cases`);
  return out.map((line) => {
    const f = line.split(' ');
    let fault: string | null = null;
    if (f[0] !== 'ok') {
      const [, vec, addr] = f[0].split(':');
      fault = vec === '14' ? `PF@${addr}` : faultName(+vec);
    }
    return { fault, rf: parseInt(f[1], 16), g: f.slice(2, 18).map((h) => BigInt('0x' + h)), fx: fromHex(f[18]), m: f[19] === '-' ? '' : f[19] };
  });
}

function faultName(vector: number): string {
  return ({ 13: 'GP', 6: 'UD', 16: 'MF', 19: 'XM', 0: 'DE' } as Record<number, string>)[vector] ?? `trap${vector}`;
}

// ---- colonel side ----

export function runColonel(k: FpCase): FpState {
  const m = new Machine(fromHex(k.code));
  const s = initialState(k);
  const regs: Record<string, bigint> = {};
  REG_NAMES.forEach((n, i) => { if (n !== 'rsp') regs[n] = s.g[i]; });
  m.set(regs);
  m.cpu.setFlags(s.rf | 2, 0xffffffff);
  m.cpu.mxcsr = u32(s.fx, 24);
  m.cpu.x8.set(s.fx.subarray(160, FX_LEN));
  x87Restore(m.cpu, s.fx);
  if (k.m?.[1]) m.poke(DATA + k.m[0], fromHex(k.m[1]));
  m.step(1);
  let fault: string | null = null;
  if (m.last?.kind === 'fault') {
    const f = m.last.fault;
    fault = f.vector === 14 ? `PF@${f.addr.toString(16)}` : faultName(f.vector);
  } else if (m.last) fault = `stop:${m.last.kind}`;
  else if (m.reg('rip') !== BigInt(CODE + k.code.length / 2)) fault = `rip 0x${m.reg('rip').toString(16)}`;
  const fx = new Uint8Array(FX_LEN);
  x87Save(m.cpu, fx);
  put(fx, 24, m.cpu.mxcsr, 4);
  fx.set(m.cpu.x8.subarray(0, 256), 160);
  const len = (k.m?.[1].length ?? 0) / 2;
  return {
    fault,
    rf: m.flags(),
    g: REG_NAMES.map((n) => m.reg(n)),
    fx,
    m: len ? hexOf(m.mem.readBytes(DATA + k.m![0], len)) : '',
  };
}

// ---- records ----

/** The case plus what the instruction changed. */
export function record(k: FpCase, st: FpState): FpVector {
  const init = initialState(k);
  const out: FpOut = {};
  if (st.fault) out.fault = st.fault;
  if (st.rf !== init.rf) out.rf = st.rf;
  REG_NAMES.forEach((n, i) => { if (n !== 'rsp' && st.g[i] !== init.g[i]) (out.g ??= {})[n] = st.g[i].toString(16); });
  const a = init.fx, b = st.fx;
  if (u32(b, 24) !== u32(a, 24)) out.mx = u32(b, 24);
  for (let i = 0; i < 16; i++) {
    const o = 160 + 16 * i;
    const h = hexOf(b.subarray(o, o + 16));
    if (h !== hexOf(a.subarray(o, o + 16))) (out.x ??= {})[i] = h;
  }
  if (u16(b, 0) !== u16(a, 0)) out.cw = u16(b, 0);
  if (u16(b, 2) !== u16(a, 2)) out.sw = u16(b, 2);
  if (b[4] !== a[4]) out.tw = b[4];
  // The register file as a rotation of the old stack plus the entries that differ.
  const before = Array.from({ length: 8 }, (_, i) => getST(a, 32 + 16 * i));
  const after = Array.from({ length: 8 }, (_, i) => getST(b, 32 + 16 * i));
  let best = 0, bestDiff = 9;
  for (const rot of [0, 1, -1, 2, -2]) {
    const n = after.filter((v, i) => v !== before[(i + rot + 8) & 7]).length;
    if (n < bestDiff) { best = rot; bestDiff = n; }
  }
  if (best) out.rot = best;
  after.forEach((v, i) => { if (v !== before[(i + best + 8) & 7]) (out.st ??= {})[i] = v; });
  if (st.m !== init.m) out.m = st.m;
  return { ...k, out };
}

/** The full state a record expects. */
export function expected(v: FpVector): FpState {
  const s = initialState(v);
  const o = v.out;
  s.fault = o.fault ?? null;
  if (o.rf !== undefined) s.rf = o.rf;
  for (const [n, h] of Object.entries(o.g ?? {})) s.g[REG_NAMES.indexOf(n as never)] = BigInt('0x' + h);
  if (o.mx !== undefined) put(s.fx, 24, o.mx, 4);
  for (const [n, h] of Object.entries(o.x ?? {})) s.fx.set(fromHex(h), 160 + 16 * +n);
  if (o.cw !== undefined) put(s.fx, 0, o.cw, 2);
  if (o.sw !== undefined) put(s.fx, 2, o.sw, 2);
  if (o.tw !== undefined) s.fx[4] = o.tw;
  if (o.rot) {
    const before = Array.from({ length: 8 }, (_, i) => getST(s.fx, 32 + 16 * i));
    before.forEach((_, i) => putST(s.fx, 32 + 16 * i, before[(i + o.rot! + 8) & 7]));
  }
  for (const [n, h] of Object.entries(o.st ?? {})) putST(s.fx, 32 + 16 * +n, h);
  if (o.m !== undefined) s.m = o.m;
  return s;
}

/** Differences between an expected and an actual state, one line per field. */
export function compare(want: FpState, got: FpState): string[] {
  const d: string[] = [];
  if (want.fault !== got.fault) d.push(`fault: got ${got.fault}, want ${want.fault}`);
  if (want.rf !== got.rf) d.push(`rflags: got ${got.rf.toString(16)}, want ${want.rf.toString(16)}`);
  REG_NAMES.forEach((n, i) => {
    if (n !== 'rsp' && want.g[i] !== got.g[i]) d.push(`${n}: got ${got.g[i].toString(16)}, want ${want.g[i].toString(16)}`);
  });
  const a = want.fx, b = got.fx;
  const f16 = (name: string, o: number) => { if (u16(a, o) !== u16(b, o)) d.push(`${name}: got ${u16(b, o).toString(16)}, want ${u16(a, o).toString(16)}`); };
  f16('fcw', 0);
  f16('fsw', 2);
  if (a[4] !== b[4]) d.push(`ftw: got ${b[4].toString(16)}, want ${a[4].toString(16)}`);
  if (u32(a, 24) !== u32(b, 24)) d.push(`mxcsr: got ${u32(b, 24).toString(16)}, want ${u32(a, 24).toString(16)}`);
  for (let i = 0; i < 8; i++) {
    const o = 32 + 16 * i;
    if (getST(a, o) !== getST(b, o)) d.push(`st${i}: got ${getST(b, o)}, want ${getST(a, o)}`);
  }
  for (let i = 0; i < 16; i++) {
    const o = 160 + 16 * i;
    const x = hexOf(a.subarray(o, o + 16)), y = hexOf(b.subarray(o, o + 16));
    if (x !== y) d.push(`xmm${i}: got ${y}, want ${x}`);
  }
  if (want.m !== got.m) d.push(`mem: got ${got.m}, want ${want.m}`);
  return d;
}

// ---- random inputs ----

import { rng } from '../helpers/rng.js';
export { rng };

export class Rand {
  readonly next: () => number;
  constructor(seed: number) { this.next = rng(seed); }
  int(n: number): number { return Math.floor(this.next() * n); }
  bool(p = 0.5): boolean { return this.next() < p; }
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]; }
  bits(n: number): bigint {
    let v = 0n;
    for (let i = 0; i < n; i += 16) v = (v << 16n) | BigInt(this.int(0x10000));
    return BigInt.asUintN(n, v);
  }
}

/** Field layout of the three formats, for building values. */
export interface Layout { bits: number; expBits: number; fracBits: number; explicit: boolean }
export const L32: Layout = { bits: 32, expBits: 8, fracBits: 23, explicit: false };
export const L64: Layout = { bits: 64, expBits: 11, fracBits: 52, explicit: false };
export const L80: Layout = { bits: 80, expBits: 15, fracBits: 63, explicit: true };

export function make(l: Layout, sign: number, exp: number, frac: bigint): bigint {
  const j = l.explicit && exp !== 0 ? 1n << 63n : 0n;
  return (BigInt(sign) << BigInt(l.bits - 1)) | (BigInt(exp) << BigInt(l.bits - 1 - l.expBits)) | j | BigInt.asUintN(l.fracBits, frac);
}

/**
 * A value of the format, biased toward what breaks floating point: zeros, infinities, quiet and
 * signalling NaNs with payloads, denormals, the extremes of the normal range, small integers, halves,
 * values near integer and rounding boundaries, and random bits.
 */
export function special(r: Rand, l: Layout): bigint {
  const emax = (1 << l.expBits) - 1, bias = emax >> 1, fb = l.fracBits;
  const s = r.int(2);
  const frac = () => r.bits(fb);
  const k = r.int(22);
  switch (k) {
    case 0: return make(l, s, 0, 0n);
    case 1: return make(l, s, emax, 0n);
    case 2: return make(l, s, emax, (1n << BigInt(fb - 1)) | (r.bool() ? 0n : frac())); // QNaN
    case 3: { const f = frac() & ((1n << BigInt(fb - 1)) - 1n); return make(l, s, emax, f === 0n ? 1n : f); } // SNaN
    case 4: { const f = r.bool(0.3) ? BigInt(1 + r.int(4)) : frac(); return make(l, s, 0, f === 0n ? 1n : f); } // denormal
    case 5: return make(l, s, 0, (1n << BigInt(fb)) - 1n - BigInt(r.int(3))); // largest denormals
    case 6: return make(l, s, 1, BigInt(r.int(3))); // smallest normals
    case 7: return make(l, s, emax - 1, (1n << BigInt(fb)) - 1n - BigInt(r.int(3))); // largest finite
    case 8: return make(l, s, bias + r.int(8), r.bool() ? 0n : BigInt(r.int(16)) << BigInt(fb - 4)); // small integers/halves
    case 9: return make(l, s, bias - 1 + r.int(3), BigInt(r.int(8)) << BigInt(fb - 3)); // 0.5 .. 3.5 steps
    case 10: { const e = [31, 32, 63, 64, 15, 16, 23, 24, 52, 53][r.int(10)]; return make(l, s, bias + e - r.int(2), r.bool() ? 0n : (1n << BigInt(fb)) - 1n - BigInt(r.int(2))); } // near 2^n
    case 11: return make(l, s, bias + r.int(64), frac()); // integer range, any fraction
    case 12: return make(l, s, r.int(emax), frac()); // anywhere finite
    case 13: return make(l, s, 1 + r.int(l.fracBits + 2), frac()); // just above the denormals
    case 14: return make(l, s, emax - 1 - r.int(l.fracBits + 2), frac()); // near overflow
    case 15: return make(l, s, bias, BigInt(r.int(4)) + ((1n << BigInt(fb - 1)) * BigInt(r.int(2)))); // 1 + a few ulps
    case 16: return make(l, s, bias + r.int(4) - 2, (r.bits(fb) >> BigInt(fb - 8)) << BigInt(fb - 8)); // short significands
    case 17: if (l.explicit) return unsupported80(r, s); return make(l, s, bias + r.int(16) - 8, frac());
    default: return make(l, s, bias + r.int(40) - 20, frac()); // ordinary values
  }
}

/** x87 patterns the CPU rejects: unnormals, pseudo-infinities and pseudo-NaNs, and pseudo-denormals. */
function unsupported80(r: Rand, s: number): bigint {
  const f = r.bits(63);
  switch (r.int(4)) {
    case 0: return (BigInt(s) << 79n) | (BigInt(1 + r.int(0x7ffe)) << 64n) | f; // unnormal (J = 0)
    case 1: return (BigInt(s) << 79n) | (0x7fffn << 64n) | f; // pseudo-NaN/pseudo-infinity
    case 2: return (BigInt(s) << 79n) | (1n << 63n) | f; // pseudo-denormal (exponent 0, J = 1)
    default: return (BigInt(s) << 79n) | (0x3fffn << 64n) | (BigInt(r.int(2)) << 63n) | f;
  }
}

/**
 * A second operand related to the first: equal, negated, a rounding-boundary partner (a tie or just
 * off one when added), a scaled copy, or an independent special value.
 */
export function partner(r: Rand, l: Layout, a: bigint): bigint {
  const sh = BigInt(l.bits - 1 - l.expBits);
  const ea = Number((a >> sh) & BigInt((1 << l.expBits) - 1));
  const emax = (1 << l.expBits) - 1;
  const s = r.int(2);
  switch (r.int(8)) {
    case 0: return a;
    case 1: return a ^ (1n << BigInt(l.bits - 1));
    case 2: { // half an ulp of a, or slightly more/less: ties in add/sub
      const e = ea - (l.fracBits + 1) + (l.explicit ? 0 : 0);
      if (e <= 0 || ea === emax) return special(r, l);
      const f = [0n, 1n, (1n << BigInt(l.fracBits)) - 1n][r.int(3)];
      return make(l, s, e, f);
    }
    case 3: { // a scaled by a power of two, different fraction tail
      const e = ea - r.int(l.fracBits + 8);
      if (e <= 0 || ea === emax) return special(r, l);
      return make(l, s, e, r.bits(l.fracBits));
    }
    case 4: { // product/quotient near the smallest normal or the overflow threshold
      const bias = emax >> 1;
      const target = r.bool() ? 1 : emax - 1;
      const e = target - ea + bias + (r.int(3) - 1);
      if (e <= 0 || e >= emax || ea === 0 || ea === emax) return special(r, l);
      return make(l, s, e, r.bits(l.fracBits));
    }
    default: return special(r, l);
  }
}

export const hex = (v: bigint, digits: number) => v.toString(16).padStart(digits, '0');
/** Lanes (first = lowest) into 32 hex digits of an xmm register in memory order. */
export function xmmHex(lanes: bigint[], laneBits: number): string {
  let s = '';
  for (const v of lanes) for (let i = 0; i < laneBits / 8; i++) s += Number((v >> BigInt(8 * i)) & 0xffn).toString(16).padStart(2, '0');
  return s.padEnd(32, '0');
}
/** A value's bytes in memory order. */
export function memHex(v: bigint, bytes: number): string {
  let s = '';
  for (let i = 0; i < bytes; i++) s += Number((v >> BigInt(8 * i)) & 0xffn).toString(16).padStart(2, '0');
  return s;
}

/** A ModRM (and SIB/disp) addressing DATA + off through a random base register (not rsp, not `avoid`). */
export function memOperand(r: Rand, reg: number, off: number, g: Record<string, string>, avoid: number[] = []): { rex: number; tail: number[] } {
  let base: number;
  do base = r.int(16); while (base === 4 || avoid.includes(base));
  const disp = r.bool(0.5) ? 0 : r.int(256) - 128;
  const mod = disp === 0 && (base & 7) !== 5 ? 0 : 1;
  g[REG_NAMES[base]] = (DATA + off - disp).toString(16);
  const tail = [(mod << 6) | ((reg & 7) << 3) | ((base & 7) === 4 ? 4 : base & 7)];
  if ((base & 7) === 4) tail.push(0x24);
  if (mod === 1) tail.push(disp & 0xff);
  return { rex: (base & 8 ? 1 : 0) | (reg & 8 ? 4 : 0), tail };
}
