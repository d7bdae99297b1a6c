// x87 rows (cpu/isa/x87.ts) checked bit for bit against the host CPU: registers, TOP, tags, the status
// word (flags, C0..C3, ES), EFLAGS for fcomi, memory written, and #MF.
//
// 1. Recorded vectors (tests/vectors/fp-x87.jsonl), replayed everywhere. FP_RECORD=1 rewrites them.
// 2. Recorded "ordinary" vectors (tests/vectors/fp-x87-ordinary.jsonl): the rows with fast paths
//    (fpu-x87.ts fast*) on what programs mostly compute, normal values with full significands, zeros,
//    cancellations and ties, at every precision and rounding control.
// 3. Live: on x86-64 Linux with gcc, fresh random cases of both kinds (seed FP_SEED, FP_LIVE_PER_ROW
//    per row; the ordinary ones for the fast-path rows).
// 4. Hand-written cases.
//
// States: a random TOP and stack depth (shallow stacks for underflow, full ones for overflow), values
// that break floating point (NaNs with payloads, denormals, pseudo-denormals, unnormals, extremes,
// ties), stale contents in empty registers, random precision and rounding control, some unmasked
// exceptions, and sticky flags and condition codes already set.

import t, { type Test } from 'tap';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { machine, DATA } from './helpers/machine.js';
import { X87_ROWS } from '../cpu/isa/x87.js';
import { parseEncoding, type IsaRow } from '../cpu/isa/types.js';
import { widen } from '../cpu/fpu-x87.js';
import { F32, F64 } from '../cpu/fpu.js';
import {
  buildOracle, runNative, runColonel, record, expected, compare, Rand, special, partner, memHex, memOperand, hex,
  L32, L64, L80, make, type FpCase, type FpVector,
} from './vectors/fp-oracle.js';

const VECTORS = 'tests/vectors/fp-x87.jsonl';
const ORDINARY_VECTORS = 'tests/vectors/fp-x87-ordinary.jsonl';
const RECORD_PER_ROW = 14;
const ORDINARY_PER_ROW = 40;
const LIVE_PER_ROW = Number(process.env.FP_LIVE_PER_ROW ?? 60);

/** Generate ordinary values (normals and zeros), not specials: see ordinary80. */
let ordinary = false;

/**
 * A normal extended value as programs compute them: a full random significand, or a widened double or
 * single (low bits zero), or a short one; the exponent near 1 or anywhere in range; sometimes zero.
 */
function ordinary80(r: Rand): bigint {
  const s = r.int(2);
  if (r.bool(0.06)) return make(L80, s, 0, 0n);
  const e = r.bool(0.85) ? 16383 + r.int(80) - 40 : 1 + r.int(0x7ffe);
  const f = r.bits(63);
  const k = r.int(4);
  const frac = k === 0 ? (f >> 11n) << 11n : k === 1 ? (f >> 40n) << 40n : k === 2 ? (f >> 56n) << 56n : f;
  return make(L80, s, e, frac);
}
/** An ordinary value close to a: equal, negated, a few ulps or a power of two away, or unrelated. */
function ordinaryPartner(r: Rand, a: bigint): bigint {
  const se = Number(a >> 64n), sig = a & 0xffffffffffffffffn;
  if (sig === 0n) return ordinary80(r);
  switch (r.int(6)) {
    case 0: return a;
    case 1: return a ^ (1n << 79n);
    case 2: { const t = sig + BigInt(r.int(5) - 2); return t >> 63n === 1n && t >> 64n === 0n ? (BigInt(se) << 64n) | t : a; }
    case 3: { // a tie or near-tie below a's last place (add/sub), or a scaled copy
      const e = (se & 0x7fff) - 64 + r.int(3) - 1 - (r.bool() ? 0 : 11 + r.int(45));
      return e >= 1 ? make(L80, r.int(2), e, r.pick([0n, 1n, (1n << 63n) - 1n])) : ordinary80(r);
    }
    default: return ordinary80(r);
  }
}
/** A normal single or double pattern (sometimes zero), exponent near 1 mostly. */
function ordinaryMem(r: Rand, l: typeof L32): bigint {
  const bias = (1 << (l.expBits - 1)) - 1;
  if (r.bool(0.06)) return make(l, r.int(2), 0, 0n);
  const e = r.bool(0.85) ? bias + r.int(40) - 20 : 1 + r.int(2 * bias);
  return make(l, r.int(2), e, r.bits(l.fracBits));
}

/** An extended value: raw 80-bit specials, or a widened single/double (the common case in programs). */
function value80(r: Rand): bigint {
  if (ordinary) return ordinary80(r);
  const k = r.next();
  if (k < 0.4) return special(r, L80);
  if (k < 0.8) return widen(F64, special(r, L64));
  return widen(F32, special(r, L32));
}
function related80(r: Rand, a: bigint): bigint {
  if (ordinary) return ordinaryPartner(r, a);
  return r.bool(0.5) ? partner(r, L80, a) : value80(r);
}

function intValue(r: Rand, bits: number): bigint {
  if (ordinary && r.bool(0.5)) return BigInt.asIntN(bits, BigInt(r.int(2000001) - 1000000));
  const pool = [0n, 1n, -1n, 2n, 10n, -(1n << BigInt(bits - 1)), (1n << BigInt(bits - 1)) - 1n, 1000n, -3n];
  return BigInt.asIntN(bits, r.bool(0.4) ? r.pick(pool) : r.bits(r.int(bits) + 1) * (r.bool() ? -1n : 1n));
}

function chooseCw(r: Rand): number {
  if (ordinary) {
    let cw = 0x7f | (r.pick([0, 2, 3, 3]) << 8) | (r.int(4) << 10);
    if (r.bool(0.1)) cw &= ~0x20; // PE unmasked: the result is stored, the exception pending
    if (r.bool(0.05)) cw &= ~0x01;
    return cw;
  }
  if (r.bool(0.45)) return 0x37f;
  let cw = 0x40 | 0x3f;
  cw |= (r.bool(0.08) ? 1 : r.pick([0, 2, 3, 3])) << 8; // PC
  cw |= r.int(4) << 10; // RC
  if (r.bool(0.15)) cw &= ~(r.int(64)); // unmask some
  return cw;
}

const MEM_SIZE: Record<string, number> = { m32fp: 4, m64fp: 8, m80fp: 10, m16int: 2, m32int: 4, m64int: 8, m2byte: 2 };

/** Memory operand size and kind of a row (null: register form). */
function memKind(row: IsaRow): string | null {
  return row.operands.find((o) => /^m/.test(o)) ?? null;
}

function memValue(r: Rand, kind: string, st0: bigint | null): string {
  switch (kind) {
    case 'm32fp': return memHex(ordinary ? ordinaryMem(r, L32) : st0 !== null && r.bool(0.3) ? partner(r, L32, special(r, L32)) : special(r, L32), 4);
    case 'm64fp': return memHex(ordinary ? ordinaryMem(r, L64) : special(r, L64), 8);
    case 'm80fp': return memHex(value80(r), 10);
    case 'm16int': return memHex(BigInt.asUintN(16, intValue(r, 16)), 2);
    case 'm32int': return memHex(BigInt.asUintN(32, intValue(r, 32)), 4);
    case 'm64int': return memHex(BigInt.asUintN(64, intValue(r, 64)), 8);
    case 'm2byte': return memHex(BigInt(r.bool(0.5) ? chooseCw(r) : r.int(0x10000)), 2);
    default: return memHex(r.bits(64), 8) + memHex(r.bits(64), 8);
  }
}

/** An FNSTENV/FNSAVE image for fldenv/frstor: a plausible environment (and registers). */
function envImage(r: Rand, save: boolean): string {
  const cw = chooseCw(r);
  const top = r.int(8);
  let flags = r.bool(0.5) ? r.int(128) : 0;
  if (flags & ~cw & 0x3f) flags |= 0x8080;
  const sw = flags | (top << 11) | (r.int(2) * 0x100) | (r.int(2) * 0x4000);
  let tw = 0;
  for (let i = 0; i < 8; i++) tw |= (r.bool(0.5) ? 3 : r.int(3)) << (2 * i);
  let s = memHex(BigInt(cw) | 0xffff0000n, 4) + memHex(BigInt(sw) | 0xffff0000n, 4) + memHex(BigInt(tw) | 0xffff0000n, 4) + '00'.repeat(16);
  if (save) for (let i = 0; i < 8; i++) s += memHex(value80(r), 10);
  return s;
}

function generate(rows: readonly IsaRow[], seed: number, perRow: number): FpCase[] {
  const r = new Rand(seed);
  const cases: FpCase[] = [];
  for (const row of rows) {
    const e = parseEncoding(row);
    const mk = memKind(row);
    for (let n = 0; n < perRow; n++) {
      const top = r.int(8);
      const dk = r.next();
      const depth = ordinary ? 2 + r.int(5) : dk < 0.08 ? 0 : dk < 0.16 ? 1 : dk < 0.26 ? 8 : 2 + r.int(5);
      const st: bigint[] = [];
      let tw = 0;
      for (let i = 0; i < 8; i++) {
        const valid = i < depth;
        if (valid) tw |= 1 << ((top + i) & 7);
        st.push(!valid ? (r.bool(0.75) ? 0n : r.bits(80)) : i > 0 && r.bool(0.5) ? related80(r, st[0]) : value80(r));
      }
      while (st.length && st[st.length - 1] === 0n) st.pop();
      const cw = chooseCw(r);
      let sw = top << 11;
      if (r.bool(0.5)) sw |= r.int(0x80) & (ordinary ? cw & 0x3f : 0x7f);
      if (r.bool(0.5)) sw |= r.pick([0x100, 0x200, 0x400, 0x4000, 0x4700, 0]);
      if (sw & ~cw & 0x3f) sw |= 0x8080;
      else if (r.bool(0.03)) sw |= 0x8080 | (~cw & 0x3f & -(~cw & 0x3f)); // a pending exception
      const g: Record<string, string> = {};
      let code: number[];
      let m: [number, string] | undefined;
      const rexW = r.bool(0.08) ? 0x48 : 0;
      if (mk) {
        let off = 0x100 + 16 * r.int(8) + (r.bool(0.2) ? r.int(16) : 0);
        const size = MEM_SIZE[mk] ?? (row.id.includes('save') || row.id.includes('rstor') ? 108 : 28);
        // Sometimes across the end of the mapped data (#PF at the second page) or past it.
        if (!ordinary && r.bool(0.06)) off = 0x2000 - 1 - r.int(size);
        const mo = memOperand(r, e.digit, off, g);
        const rex = (mo.rex ? 0x40 | mo.rex : 0) | rexW;
        code = [...(rex ? [rex] : []), e.op, ...mo.tail];
        const val = mk === 'm' ? envImage(r, row.id.includes('rstor')) : memValue(r, mk, depth ? st[0] : null);
        const bytes = row.id.startsWith('fnst') || row.id.startsWith('fnsave') || /^f(i?st|isttp)/.test(row.id) ? memHex(r.bits(64), 8).repeat(mk === 'm' ? 14 : 2) : val;
        m = [off, bytes.slice(0, 2 * Math.max(0, 0x2000 - off))];
      } else {
        const modrm = e.fixedModrm >= 0 ? e.fixedModrm : 0xc0 | (e.digit << 3) | r.int(8);
        code = [...(rexW ? [rexW | (r.bool(0.3) ? 1 : 0)] : []), e.op, ...(e.modrm ? [modrm] : [])];
      }
      if (row.id === 'fnstsw_ax') g.rax = r.bits(64).toString(16);
      const k: FpCase = {
        id: row.id,
        code: code.map((b) => b.toString(16).padStart(2, '0')).join(''),
        rf: r.int(0x1000) & 0x8d5,
        cw, sw, tw,
        st: st.map((v) => v.toString(16)),
      };
      if (Object.keys(g).length) k.g = g;
      if (m) k.m = m;
      cases.push(k);
    }
    if (row.id === 'fxtract' && !ordinary) cases.push(...fxtractCases());
  }
  return cases;
}

/**
 * fxtract on every class of ST(0) (zeros, denormals, pseudo-denormals, normals at the range's ends,
 * infinities, QNaNs, SNaNs, unnormals, pseudo-infinities and pseudo-NaNs) in every stack state (room to
 * push; ST(7) full: overflow; ST(0) empty: underflow, with and without ST(7) full), with IE, DE or ZE
 * unmasked, and at single precision rounding down (neither applies). Appended to the random cases.
 */
const FXTRACT_VALUES = [
  '0', '8000' + '0'.repeat(16), '00000000000000000001', '00007fffffffffffffff', '800000000000abcdef12',
  '00008000000000000000', '8000c000000000000001', '00018000000000000000', '8001ffffffffffffffff',
  '3fff8000000000000000', 'bfffc000000000000000', '3ffe8000000000000001', '403ed000000000000000',
  '7ffeffffffffffffffff', 'fffe8000000000000000', '7fff8000000000000000', 'ffff8000000000000000',
  '7fffc000000000000001', 'ffffc000000000000000', '7fff8000000000000001', 'ffffbfffffffffffffff',
  '3fff4000000000000000', '7fff0000000000000000', 'ffff4000000000000001',
  '3f818000000000000000', // a single-precision denormal, widened: normal here
];
function fxtractCases(): FpCase[] {
  const r = new Rand(4);
  const cases: FpCase[] = [];
  // [depth, ST(0) empty]
  const stacks: [number, boolean][] = [[1, false], [3, false], [8, false], [3, true], [8, true]];
  const cws = [0x37f, 0x37e, 0x37d, 0x37b, 0x47f]; // masked; IE, DE, ZE unmasked; PC single, RC down
  FXTRACT_VALUES.forEach((v0, vi) => {
    stacks.forEach(([depth, empty0], si) => {
      if (empty0 && vi % 8 !== 0) return; // the value does not matter there: a few suffice
      cws.forEach((cw, ci) => {
        const top = r.int(8);
        let tw = 0;
        const st: string[] = [];
        for (let i = 0; i < 8; i++) {
          const valid = i < depth && !(empty0 && i === 0);
          if (valid) tw |= 1 << ((top + i) & 7);
          st.push(i === 0 ? v0 : valid ? special(r, L80).toString(16) : (r.bool(0.5) ? 0n : r.bits(80)).toString(16));
        }
        const sw = (top << 11) | ((vi + si + ci) % 2 ? 0x4700 : 0);
        cases.push({ id: 'fxtract', code: 'd9f4', rf: 0, cw, sw, tw, st });
      });
    });
  });
  return cases;
}

function check(t: Test, vectors: FpVector[], label: string, rows: readonly IsaRow[] = X87_ROWS): void {
  const byId = new Map<string, FpVector[]>();
  for (const v of vectors) byId.set(v.id, [...(byId.get(v.id) ?? []), v]);
  for (const row of rows) {
    const list = byId.get(row.id) ?? [];
    const bad: string[] = [];
    for (const v of list) {
      const d = compare(expected(v), runColonel(v));
      if (d.length && process.env.FP_DUMP) console.log(JSON.stringify(v));
      if (d.length) bad.push(`${v.code} cw=${v.cw?.toString(16)} sw=${v.sw?.toString(16)} tw=${v.tw?.toString(16)} st=${v.st?.slice(0, 3).join(',')} m=${v.m?.[1] ?? ''}\n    ${d.join('\n    ')}`);
    }
    t.ok(list.length > 0, `${label}: ${row.id} has cases`);
    t.same(bad.slice(0, 4), [], `${label}: ${row.id} (${list.length} cases, ${bad.length} wrong)`);
  }
}

t.test('recorded vectors from the host CPU', async (t) => {
  if (process.env.FP_RECORD) {
    const exe = buildOracle();
    if (!exe) { t.fail('FP_RECORD needs x86-64 Linux with gcc'); return; }
    const cases = generate(X87_ROWS, 1, RECORD_PER_ROW);
    const states = runNative(exe, cases);
    writeFileSync(VECTORS, cases.map((k, i) => JSON.stringify(record(k, states[i]))).join('\n') + '\n');
  }
  if (!existsSync(VECTORS)) { t.fail(`missing ${VECTORS}`); return; }
  const vectors = readFileSync(VECTORS, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as FpVector);
  check(t, vectors, 'recorded');
});

/** The rows with fast paths (cpu/isa/x87.ts), for the ordinary vectors. */
const FAST_ROWS = X87_ROWS.filter((row) => /^(f(i?(add|sub|subr|mul|div|divr)p?|i?u?comp?|u?comi|u?comip|ucompp|compp|ld|ild|stp?|istp?|isttp|xch|chs|abs|tst|cmov[a-z]+)_|fld1$|fldz$|fldpi$|fchs$|fabs$|ftst$|fcompp$|fucompp$|frndint$|fxtract$)/.test(row.id) && !row.id.includes('cw') && !row.id.includes('env'));
function generateOrdinary(seed: number, perRow: number): FpCase[] {
  ordinary = true;
  try { return generate(FAST_ROWS, seed, perRow); } finally { ordinary = false; }
}

t.test('recorded ordinary vectors from the host CPU (the fast paths)', async (t) => {
  if (process.env.FP_RECORD) {
    const exe = buildOracle();
    if (!exe) { t.fail('FP_RECORD needs x86-64 Linux with gcc'); return; }
    const cases = generateOrdinary(2, ORDINARY_PER_ROW);
    const states = runNative(exe, cases);
    writeFileSync(ORDINARY_VECTORS, cases.map((k, i) => JSON.stringify(record(k, states[i]))).join('\n') + '\n');
  }
  if (!existsSync(ORDINARY_VECTORS)) { t.fail(`missing ${ORDINARY_VECTORS}`); return; }
  const vectors = readFileSync(ORDINARY_VECTORS, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as FpVector);
  check(t, vectors, 'ordinary', FAST_ROWS);
});

const oracle = buildOracle();
t.test('live comparison with the host CPU', { skip: oracle ? false : 'not x86-64 Linux with gcc' }, async (t) => {
  const seed = Number(process.env.FP_SEED ?? 20250302);
  t.comment(`seed ${seed}`);
  const cases = generate(X87_ROWS, seed, LIVE_PER_ROW);
  const states = runNative(oracle!, cases);
  check(t, cases.map((k, i) => record(k, states[i])), `live seed ${seed}`);
  const ord = generateOrdinary(seed + 1, LIVE_PER_ROW);
  const ordStates = runNative(oracle!, ord);
  check(t, ord.map((k, i) => record(k, ordStates[i])), `live ordinary seed ${seed + 1}`, FAST_ROWS);
});

// ---- hand-written cases ----

const ld = (hexValue: string) => Buffer.from(hexValue.padStart(20, '0'), 'hex').reverse();

t.test('long double arithmetic through memory: 1/3 + 2/3 rounds to 1 at 64 bits', async (t) => {
  // db 2f  fld TBYTE PTR [rdi] ; db 6f 10  fld TBYTE PTR [rdi+0x10] ; de c1  faddp st(1),st ;
  // db 7f 20  fstp TBYTE PTR [rdi+0x20]
  const m = machine([0xdb, 0x2f, 0xdb, 0x6f, 0x10, 0xde, 0xc1, 0xdb, 0x7f, 0x20]).set({ rdi: BigInt(DATA) })
    .poke(DATA, ld('3ffdaaaaaaaaaaaaaaab')).poke(DATA + 16, ld('3ffeaaaaaaaaaaaaaaab'));
  m.step(4);
  t.same(m.diff({}), []);
  t.equal(Buffer.from(m.peek(DATA + 32, 10)).reverse().toString('hex'), '3fff8000000000000000');
  t.equal(m.cpu.x87.status(), 0x20, 'PE only, TOP back to 0');
  t.equal(m.cpu.x87.used, 0, 'stack empty again');
});

t.test('fcom + fnstsw ax: C3 C2 C0 for less, equal, greater, unordered', async (t) => {
  // d8 d1  fcom st(1) ; df e0  fnstsw ax
  const cases: [string, string, number][] = [
    ['3fff8000000000000000', '40008000000000000000', 0x0100], // 1 < 2: C0
    ['40008000000000000000', '40008000000000000000', 0x4000], // equal: C3
    ['40008000000000000000', '3fff8000000000000000', 0],
    ['7fffc000000000000000', '3fff8000000000000000', 0x4500], // QNaN: unordered, and IE
  ];
  for (const [a, b, cc] of cases) {
    const m = machine([0xd8, 0xd1, 0xdf, 0xe0]);
    const x = m.cpu.x87;
    x.top = 6; x.used = 0xc0; x.regs[6] = BigInt('0x' + a); x.regs[7] = BigInt('0x' + b);
    m.step(2);
    t.equal(Number(m.reg('rax') & 0x4700n), cc, `${a} vs ${b}`);
  }
});

t.test('a pending unmasked exception is reported by the next waiting instruction as #MF', async (t) => {
  // d9 6f 02  fldcw WORD PTR [rdi+2] (0x037b: ZE unmasked) ; d9 ee  fldz ; d9 e8  fld1 ; de f1  fdivrp ;
  // 9b  fwait
  const m = machine([0xd9, 0x6f, 0x02, 0xd9, 0xee, 0xd9, 0xe8, 0xde, 0xf1, 0x9b]).set({ rdi: BigInt(DATA) }).poke(DATA + 2, [0x7b, 0x03]);
  m.step(5);
  t.equal(m.last?.kind === 'fault' && m.last.fault.vector, 16, '#MF');
  t.equal(m.reg('rip'), 0x400009n, 'at the fwait');
  t.equal(m.cpu.x87.status() & 0x80ff, 0x8084, 'ZE, ES and B');
  t.equal(m.cpu.x87.top, 6, 'the unmasked ZE stopped the pop');
});

t.test('the transcendentals are left out: #UD naming the bytes', async (t) => {
  for (const bytes of [[0xd9, 0xfe], [0xd9, 0xff], [0xd9, 0xf2], [0xd9, 0xf3], [0xd9, 0xf0], [0xd9, 0xf1], [0xd9, 0xf9], [0xd9, 0xfb]]) {
    const m = machine(bytes).step();
    const f = m.last?.kind === 'fault' ? m.last.fault : null;
    t.equal(f?.vector, 6, bytes.map((b) => b.toString(16)).join(' '));
    t.match(f?.detail ?? '', bytes.map((b) => b.toString(16).padStart(2, '0')).join(' '));
  }
});

t.test('fxtract: exponent in ST(1), significand in ST(0)', async (t) => {
  // db 2f  fld TBYTE PTR [rdi] ; d9 f4  fxtract: 3.0 = 1.5 * 2^1
  const m = machine([0xdb, 0x2f, 0xd9, 0xf4]).set({ rdi: BigInt(DATA) }).poke(DATA, ld('4000c000000000000000'));
  m.step(2);
  t.same(m.diff({}), []);
  t.equal(m.cpu.x87.top, 6);
  t.equal(m.cpu.x87.regs[6], 0x3fffc000000000000000n, 'ST(0) = 1.5');
  t.equal(m.cpu.x87.regs[7], 0x3fff8000000000000000n, 'ST(1) = 1');
  t.equal(m.cpu.x87.status() & 0x3f, 0, 'exact');
  // -0: ST(1) = -inf, ST(0) = -0, ZE
  const z = machine([0xdb, 0x2f, 0xd9, 0xf4]).set({ rdi: BigInt(DATA) }).poke(DATA, ld('80000000000000000000'));
  z.step(2);
  t.equal(z.cpu.x87.regs[6], 0x8000_0000000000000000n, 'ST(0) = -0');
  t.equal(z.cpu.x87.regs[7], 0xffff8000000000000000n, 'ST(1) = -inf');
  t.equal(z.cpu.x87.status() & 0x3f, 0x04, 'ZE');
});

t.test('fxsave64/fxrstor64 carry the x87 state', async (t) => {
  // d9 eb  fldpi ; d9 e8  fld1 ; 48 0f ae 07  fxsave64 [rdi] ; db e3  fninit ; 48 0f ae 0f  fxrstor64 [rdi]
  const m = machine([0xd9, 0xeb, 0xd9, 0xe8, 0x48, 0x0f, 0xae, 0x07, 0xdb, 0xe3, 0x48, 0x0f, 0xae, 0x0f]).set({ rdi: BigInt(DATA) });
  m.step(3);
  const area = m.peek(DATA, 160);
  t.same([...area.subarray(0, 5)], [0x7f, 0x03, 0x00, 0x30, 0xc0], 'FCW, FSW (TOP 6), abridged tags');
  t.equal(Buffer.from(area.subarray(32, 42)).reverse().toString('hex'), '3fff8000000000000000', 'ST(0) = 1');
  t.equal(Buffer.from(area.subarray(48, 58)).reverse().toString('hex'), '4000c90fdaa22168c235', 'ST(1) = pi');
  m.step(2);
  t.same(m.diff({}), []);
  t.equal(m.cpu.x87.top, 6);
  t.equal(m.cpu.x87.used, 0xc0);
  t.equal(m.cpu.x87.regs[7], 0x4000c90fdaa22168c235n);
});
