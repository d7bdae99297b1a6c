// SSE/SSE2 floating-point rows (cpu/isa/sse-fp.ts) checked bit for bit against the host CPU.
//
// 1. Recorded vectors (tests/vectors/fp-sse.jsonl): inputs and the host's results, replayed on colonel
//    everywhere. FP_RECORD=1 rewrites the file (seed 1, RECORD_PER_ROW cases per row).
// 2. Live: on x86-64 Linux with gcc, tests/vectors/fp-oracle.c runs fresh random cases natively
//    (seed FP_SEED, FP_LIVE_PER_ROW cases per row, default 60) and colonel must agree.
// 3. Hand-written cases for the rules worth reading once.
//
// Inputs favour what breaks floating point (see fp-oracle.ts `special`/`partner`) under random MXCSR
// values: every rounding mode, DAZ, FTZ, sticky flags already set or not, and some unmasked exceptions.

import t, { type Test } from 'tap';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { runProgram } from '../lib/api.js';
import { machine } from './helpers/machine.js';
import { SSE_FP_ROWS } from '../cpu/isa/sse-fp.js';
import { parseEncoding, type IsaRow } from '../cpu/isa/types.js';
import { REG_NAMES } from '../cpu/cpu.js';
import {
  buildOracle, runNative, runColonel, record, expected, compare, Rand, special, partner, xmmHex, memHex, memOperand,
  L32, L64, type FpCase, type FpVector, type Layout,
} from './vectors/fp-oracle.js';

const VECTORS = 'tests/vectors/fp-sse.jsonl';
const RECORD_PER_ROW = 24;
const LIVE_PER_ROW = Number(process.env.FP_LIVE_PER_ROW ?? 60);

type Kind = 'f32' | 'f64' | 'i32' | 'int' | 'any';
const kindOf = (s: string): Kind => (s === 'ss' || s === 'ps' ? 'f32' : s === 'sd' || s === 'pd' ? 'f64' : s === 'dq' ? 'i32' : 'int');

/** What the destination and the source lanes hold, from the mnemonic. */
function kinds(mn: string): [Kind, Kind] {
  const cvt = /^cvtt?(\w\w)2(\w\w)$/.exec(mn);
  if (cvt) return [kindOf(cvt[2]), kindOf(cvt[1])];
  const k = mn.endsWith('ss') || mn.endsWith('ps') ? 'f32' : 'f64';
  return [k, k];
}

function edgeInt(r: Rand, bits: number): bigint {
  const pool = [0n, 1n, -1n, 2n, 3n, 7n, (1n << 24n) + 1n, (1n << 24n) - 1n, (1n << 53n) + 1n, (1n << 53n) - 1n,
    (1n << 31n) - 1n, -(1n << 31n), (1n << 63n) - 1n, -(1n << 63n), (1n << 62n) + 3n, (1n << 25n) + 3n, 0x7fffffbfn, 0x7fffffc0n];
  const v = r.bool(0.4) ? r.pick(pool) : r.bool() ? r.bits(bits) : r.bits(r.int(bits) + 1) * (r.bool() ? -1n : 1n);
  return BigInt.asIntN(bits, v);
}

function laneValues(r: Rand, k: Kind, n: number, like?: bigint[]): bigint[] {
  const out: bigint[] = [];
  const l: Layout | null = k === 'f32' ? L32 : k === 'f64' ? L64 : null;
  for (let i = 0; i < n; i++) {
    if (!l) out.push(BigInt.asUintN(32, edgeInt(r, 32)));
    else out.push(like && r.bool(0.6) ? partner(r, l, like[i]) : special(r, l));
  }
  return out;
}

/**
 * Two lanes whose product (or quotient) lies within a few units of the smallest normal or of the
 * overflow threshold: where tininess after rounding, FTZ and the overflow rounding are decided.
 */
function boundaryPair(r: Rand, single: boolean, div: boolean): [bigint, bigint] {
  const f = single ? Math.fround : (v: number) => v;
  const lim = r.bool(0.7) ? (single ? 1.1754943508222875e-38 : 2.2250738585072014e-308) : single ? 3.4028234663852886e38 : 1.7976931348623157e308;
  const half = single ? 2 ** (lim < 1 ? -63 : 64) : 2 ** (lim < 1 ? -511 : 512);
  const a = f(half * (1 + r.next()));
  let b = f(div ? a / lim : lim / a);
  const buf = Buffer.alloc(8);
  let bits: bigint;
  if (single) { buf.writeFloatLE(b); bits = BigInt(buf.readUInt32LE()); } else { buf.writeDoubleLE(b); bits = buf.readBigUInt64LE(); }
  bits += BigInt(r.int(7) - 3);
  const s = BigInt(r.int(2)) << BigInt(single ? 31 : 63), t = BigInt(r.int(2)) << BigInt(single ? 31 : 63);
  if (single) { buf.writeFloatLE(a); return [BigInt(buf.readUInt32LE()) | s, bits | t]; }
  buf.writeDoubleLE(a);
  return [buf.readBigUInt64LE() | s, bits | t];
}

/** A double within a few float ulps (at 26 bits) of the smallest normal float or of the overflow threshold. */
function nearFloatLimit(r: Rand): bigint {
  const lim = r.bool(0.7) ? 2 ** -126 : 2 ** 128;
  const v = lim * (1 + (r.int(9) - 4) * 2 ** -26 + (r.next() - 0.5) * 2 ** -40);
  const buf = Buffer.alloc(8);
  buf.writeDoubleLE(r.bool() ? -v : v);
  return buf.readBigUInt64LE();
}

function chooseMxcsr(r: Rand): number {
  const k = r.next();
  if (k < 0.3) return 0x1fa0; // the fast path's mode
  if (k < 0.42) return 0x1f80;
  let mx = 0x1f80 | (r.int(4) << 13);
  if (r.bool(0.25)) mx |= 0x40; // DAZ
  if (r.bool(0.25)) mx |= 0x8000; // FTZ
  if (r.bool(0.5)) mx |= r.int(64);
  if (r.bool(0.15)) mx &= ~(r.int(64) << 7);
  return mx;
}

function generate(rows: readonly IsaRow[], seed: number, perRow: number): FpCase[] {
  const r = new Rand(seed);
  const cases: FpCase[] = [];
  for (const row of rows) {
    const e = parseEncoding(row);
    const [dk, sk] = kinds(row.mnemonic);
    const [regOp, rmOp] = row.operands;
    const packed = rmOp === 'xmm/m128' || row.mnemonic.startsWith('cvtdq2pd') || row.mnemonic.startsWith('cvtps2pd');
    for (let n = 0; n < perRow; n++) {
      const g: Record<string, string> = {};
      const x: Record<string, string> = {};
      const reg = r.int(16);
      let rm = r.bool(0.15) ? reg : r.int(16);
      // destination
      let dst: bigint[] = [];
      if (regOp === 'xmm') {
        const lanes = dk === 'f64' ? 2 : 4;
        dst = laneValues(r, dk === 'int' ? 'f32' : dk, lanes);
        x[reg] = xmmHex(dst, dk === 'f64' ? 64 : 32);
      } else {
        g[REG_NAMES[reg === 4 ? 5 : reg]] = r.bits(64).toString(16);
      }
      const regN = regOp === 'xmm' ? reg : reg === 4 ? 5 : reg;
      // source
      const useMem = r.bool(0.25);
      const srcBytes = rmOp === 'xmm/m128' ? 16 : rmOp === 'xmm/m64' || rmOp === 'r/m64' ? 8 : 4;
      let srcHex: string;
      if (rmOp.startsWith('r/m')) {
        const v = edgeInt(r, rmOp === 'r/m64' ? 64 : 32);
        srcHex = memHex(BigInt.asUintN(64, v), 8);
        if (!useMem) { if (rm === 4) rm = 6; g[REG_NAMES[rm]] = BigInt.asUintN(64, v).toString(16); }
      } else {
        const lanes = sk === 'f64' ? 2 : 4;
        const like = dk === sk && dst.length ? dst : undefined;
        const src = laneValues(r, sk === 'int' ? 'i32' : sk, lanes, like);
        if (/^(mul|div)/.test(row.mnemonic) && r.bool(0.3)) {
          for (let i = 0; i < lanes; i++) [dst[i], src[i]] = boundaryPair(r, sk === 'f32', row.mnemonic.startsWith('div'));
          x[reg] = xmmHex(dst, sk === 'f64' ? 64 : 32);
        }
        if (/^cvt(sd2ss|pd2ps)/.test(row.mnemonic) && r.bool(0.3)) {
          for (let i = 0; i < lanes; i++) src[i] = nearFloatLimit(r);
        }
        srcHex = xmmHex(src, sk === 'f64' ? 64 : 32);
        if (!useMem && rm !== reg) x[rm] = srcHex;
        if (!useMem && rm === reg && regOp !== 'xmm') x[rm] = srcHex;
      }
      let code: number[];
      let m: [number, string] | undefined;
      // Prefixes that must not change the meaning: 66 or the other of F2/F3 before the mandatory one (the
      // last F2/F3 counts), a redundant REX.W where the row has no operand size.
      const pre = e.prefix > 0 ? [e.prefix as number] : [];
      if (e.prefix === 0xf2 || e.prefix === 0xf3) {
        if (r.bool(0.05)) pre.unshift(0x66);
        if (r.bool(0.05)) pre.unshift(e.prefix ^ 1);
      }
      const tailOp = [0x0f, e.op];
      let rex = e.osize === 64 || (e.osize === 0 && regOp === 'xmm' && !rmOp.startsWith('r/m') && r.bool(0.08)) ? 8 : 0;
      if (useMem) {
        const aligned = !packed || r.bool(0.93);
        let off = 0x100 + 16 * r.int(8) + (aligned ? 0 : 1 + r.int(15));
        // Sometimes across the end of the mapped data (#PF) or past it.
        if (r.bool(0.06)) off = packed && aligned ? 0x2000 : 0x2000 - 1 - r.int(srcBytes);
        const mo = memOperand(r, regN, off, g, regOp === 'xmm' ? [] : [regN]);
        rex |= mo.rex;
        m = [off, srcHex.slice(0, 2 * Math.max(0, Math.min(srcBytes, 0x2000 - off)))];
        code = [...pre, ...(rex ? [0x40 | rex] : []), ...tailOp, ...mo.tail];
      } else {
        rex |= (regN & 8 ? 4 : 0) | (rm & 8 ? 1 : 0);
        code = [...pre, ...(rex ? [0x40 | rex] : []), ...tailOp, 0xc0 | ((regN & 7) << 3) | (rm & 7)];
      }
      if (e.imm.length) code.push(r.bool(0.85) ? r.int(8) : r.int(256));
      const k: FpCase = { id: row.id, code: code.map((b) => b.toString(16).padStart(2, '0')).join(''), mx: chooseMxcsr(r) };
      if (Object.keys(g).length) k.g = g;
      if (Object.keys(x).length) k.x = x;
      if (m) k.m = m;
      cases.push(k);
    }
  }
  return cases;
}

function check(t: Test, vectors: FpVector[], label: string): void {
  const byId = new Map<string, FpVector[]>();
  for (const v of vectors) byId.set(v.id, [...(byId.get(v.id) ?? []), v]);
  for (const row of SSE_FP_ROWS) {
    const list = byId.get(row.id) ?? [];
    const bad: string[] = [];
    for (const v of list) {
      const d = compare(expected(v), runColonel(v));
      if (d.length) bad.push(`${v.code} mx=${(v.mx ?? 0x1f80).toString(16)} x=${JSON.stringify(v.x ?? {})} g=${JSON.stringify(v.g ?? {})} m=${v.m?.[1] ?? ''}\n    ${d.join('\n    ')}`);
    }
    t.ok(list.length > 0, `${label}: ${row.id} has cases`);
    t.same(bad.slice(0, 4), [], `${label}: ${row.id} (${list.length} cases, ${bad.length} wrong)`);
  }
}

t.test('recorded vectors from the host CPU', async (t) => {
  if (process.env.FP_RECORD) {
    const exe = buildOracle();
    if (!exe) { t.fail('FP_RECORD needs x86-64 Linux with gcc'); return; }
    const cases = generate(SSE_FP_ROWS, 1, RECORD_PER_ROW);
    const states = runNative(exe, cases);
    writeFileSync(VECTORS, cases.map((k, i) => JSON.stringify(record(k, states[i]))).join('\n') + '\n');
  }
  if (!existsSync(VECTORS)) { t.fail(`missing ${VECTORS}`); return; }
  const vectors = readFileSync(VECTORS, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as FpVector);
  check(t, vectors, 'recorded');
});

const oracle = buildOracle();
t.test('live comparison with the host CPU', { skip: oracle ? false : 'not x86-64 Linux with gcc' }, async (t) => {
  const seed = Number(process.env.FP_SEED ?? 20250301);
  t.comment(`seed ${seed}`);
  const cases = generate(SSE_FP_ROWS, seed, LIVE_PER_ROW);
  const states = runNative(oracle!, cases);
  check(t, cases.map((k, i) => record(k, states[i])), `live seed ${seed}`);
});

// ---- a real program: fixtures/fp (musl, -O2, static) ----

t.test('fixtures/fp: printf of doubles, libm, long double, conversions, fenv, as natively', async (t) => {
  const r = runProgram('fixtures/fp/fp', { argv: ['fp'], env: {} });
  t.equal(r.status, 0, 'exit status');
  t.same(r.diagnostics, [], 'no fault');
  t.equal(r.stdout, readFileSync('fixtures/fp/fp.stdout', 'utf8'), 'stdout as recorded natively');
  if (process.platform === 'linux' && process.arch === 'x64') {
    const n = spawnSync('fixtures/fp/fp', [], { encoding: 'utf8', env: {} });
    t.equal(r.stdout, n.stdout, 'agrees with the native run now');
  }
});

// ---- hand-written cases ----

const D = (v: number) => { const b = Buffer.alloc(8); b.writeDoubleLE(v); return b.readBigUInt64LE(); };

t.test('0/0 gives the default NaN and IE; a NaN source is propagated quiet, the first source winning', async (t) => {
  // f2 0f 5e c1  divsd xmm0,xmm1 ; f2 0f 58 d3  addsd xmm2,xmm3
  const m = machine([0xf2, 0x0f, 0x5e, 0xc1, 0xf2, 0x0f, 0x58, 0xd3])
    .setXmm(0, 0n).setXmm(1, 0n)
    .setXmm(2, 0x7ff0_0000_0000_0001n).setXmm(3, 0x7ff8_0000_0000_0002n);
  m.step(2);
  t.same(m.diff({}), []);
  t.equal(m.xmm(0), 0xfff8_0000_0000_0000n, 'default NaN');
  t.equal(m.xmm(2), 0x7ff8_0000_0000_0001n, "the first source's SNaN, quieted");
  t.equal(m.cpu.mxcsr, 0x1f81, 'IE');
});

t.test('maxsd returns the second source for a NaN or two zeros', async (t) => {
  // f2 0f 5f c1  maxsd xmm0,xmm1 ; f2 0f 5f d3  maxsd xmm2,xmm3
  const m = machine([0xf2, 0x0f, 0x5f, 0xc1, 0xf2, 0x0f, 0x5f, 0xd3])
    .setXmm(0, 0x7ff8_0000_0000_0000n).setXmm(1, D(1))
    .setXmm(2, D(0)).setXmm(3, D(-0));
  m.step(2);
  t.equal(m.xmm(0), D(1));
  t.equal(m.xmm(2), D(-0));
  t.equal(m.cpu.mxcsr & 0x3f, 1, 'IE from the QNaN');
});

t.test('rounding modes: 1 + 2^-60 in each RC', async (t) => {
  const want = [D(1), D(1), D(1) + 1n, D(1)];
  for (let rc = 0; rc < 4; rc++) {
    const m = machine([0xf2, 0x0f, 0x58, 0xc1]).setXmm(0, D(1)).setXmm(1, D(2 ** -60)); // addsd xmm0,xmm1
    m.cpu.mxcsr = 0x1f80 | (rc << 13);
    m.step();
    t.equal(m.xmm(0), want[rc], `RC=${rc}`);
    t.equal(m.cpu.mxcsr & 0x3f, 0x20, 'PE');
  }
});

t.test('ucomisd: unordered, less, equal, greater; OF SF AF cleared', async (t) => {
  const cases: [number | bigint, number | bigint, number][] = [[0x7ff8_0000_0000_0000n, 1, 0x45], [1, 2, 0x01], [2, 2, 0x40], [3, 2, 0]];
  for (const [a, b, f] of cases) {
    const m = machine([0x66, 0x0f, 0x2e, 0xc1]) // ucomisd xmm0,xmm1
      .set({ rflags: 0x8d5n }).setXmm(0, typeof a === 'bigint' ? a : D(a)).setXmm(1, typeof b === 'bigint' ? b : D(b)).step();
    t.same(m.diff({}, { flags: f }), [], `${a} vs ${b}`);
  }
});

t.test('an unmasked exception raises #XM and leaves the destination alone', async (t) => {
  const m = machine([0xf2, 0x0f, 0x5e, 0xc1]).setXmm(0, D(1)).setXmm(1, D(0)); // divsd xmm0,xmm1
  m.cpu.mxcsr = 0x1f80 & ~0x200; // ZM clear
  m.step();
  t.equal(m.last?.kind === 'fault' && m.last.fault.vector, 19, '#XM');
  t.equal(m.xmm(0), D(1));
  t.equal(m.cpu.mxcsr, 0x1d84, 'ZE recorded');
});

t.test('cvttsd2si: the integer indefinite for NaN and out of range', async (t) => {
  // f2 48 0f 2c c0  cvttsd2si rax,xmm0 ; f2 0f 2c d9  cvttsd2si ebx,xmm1
  const m = machine([0xf2, 0x48, 0x0f, 0x2c, 0xc0, 0xf2, 0x0f, 0x2c, 0xd9]).setXmm(0, D(2 ** 63)).setXmm(1, D(-2147483648.9));
  m.step(2);
  t.same(m.diff({ rax: 0x8000_0000_0000_0000n, rbx: 0x8000_0000n }), []);
  t.equal(m.cpu.mxcsr & 0x3f, 0x21, 'IE (and PE from the second)');
});

t.test('rcpps and rsqrtps are left out: #UD', async (t) => {
  for (const bytes of [[0x0f, 0x53, 0xc1], [0x0f, 0x52, 0xc1], [0xf3, 0x0f, 0x53, 0xc1], [0xf3, 0x0f, 0x52, 0xc1]]) {
    const m = machine(bytes).step();
    t.equal(m.last?.kind === 'fault' && m.last.fault.vector, 6, bytes.map((b) => b.toString(16)).join(' '));
  }
});
