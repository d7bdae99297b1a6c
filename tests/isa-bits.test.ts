// Bit tests, scans and counts, byte swaps, xadd and the cmpxchg family (cpu/isa/bits.ts) against the
// host CPU and the recorded vectors; see tests/oracle/suite.ts for how cases are generated, compared
// and recorded.

import t from 'tap';
import { machine, DATA } from './helpers/machine.js';
import { CF, ZF, PF, SF, OF } from '../cpu/flags.js';
import { BITS_ROWS } from '../cpu/isa/bits.js';
import { oracleSuite, genCase, randValue, bytesOf, type Draft, type Rng, type GenOptions } from './oracle/suite.js';

const CASES_PER_ROW = 300;

/** Low `size` bits of a register, or of the memory operand. */
function operandValue(d: Draft, size: number): bigint {
  if (d.rm >= 0) return BigInt.asUintN(size, d.regs[d.rm]);
  let v = 0n;
  for (let i = size / 8 - 1; i >= 0; i--) v = (v << 8n) | BigInt(d.mem![d.memOffset + i]);
  return v;
}

function setLow(d: Draft, r: number, size: number, v: bigint): void {
  const m = (1n << BigInt(size)) - 1n;
  d.regs[r] = (d.regs[r] & ~m) | (v & m);
}

function options(id: string, size: number): GenOptions {
  if (/^bt[src]?_rm\d+_r\d+$/.test(id)) {
    // A register bit offset: signed, reaching around the operand in memory (and sometimes far away).
    return {
      fix: (d: Draft, rng: Rng) => {
        if (d.base < 0) return;
        d.memOffset = rng.bool(0.8) ? 32 : 24 + rng.int(16);
        let off = BigInt(rng.int(512) - 256);
        if (rng.bool(0.03)) off = BigInt(rng.pick([1 << 20, -(1 << 20), 1 << 30]));
        const upper = size === 64 ? (off < 0n ? ~((1n << 64n) - 1n) : 0n) : rng.u64() & ~((1n << BigInt(size)) - 1n);
        d.regs[d.reg] = BigInt.asUintN(64, upper | BigInt.asUintN(size, off));
      },
    };
  }
  if (id.startsWith('cmpxchg_')) {
    return {
      implicit: [0],
      fix: (d: Draft, rng: Rng) => { if (rng.bool(0.5) && d.rm !== 0) setLow(d, 0, size, operandValue(d, size)); },
    };
  }
  if (id.startsWith('cmpxchg8b') || id.startsWith('cmpxchg16b')) {
    const wide = id.startsWith('cmpxchg16b');
    return {
      implicit: [0, 1, 2, 3],
      fix: (d: Draft, rng: Rng) => {
        d.memOffset = wide ? (rng.bool(0.9) ? 16 * rng.int(4) : 8 * rng.int(7)) : 8 * rng.int(8);
        const half = wide ? 64 : 32;
        const lo = randValue(rng, half), hi = randValue(rng, half);
        d.mem!.set(bytesOf(lo, half / 8), d.memOffset);
        d.mem!.set(bytesOf(hi, half / 8), d.memOffset + half / 8);
        if (rng.bool(0.5)) { setLow(d, 0, half, lo); setLow(d, 2, half, hi); }
      },
    };
  }
  return {};
}

oracleSuite(t, {
  vendor: 'AuthenticAMD',
  name: 'bits',
  rows: BITS_ROWS,
  cases(row, rng) {
    const size = +(/(\d+)$/.exec(row.operands[0])?.[1] ?? 64);
    const opt = options(row.id, size);
    const out = [];
    for (let i = 0; i < CASES_PER_ROW; i++) out.push(genCase(row, rng, opt));
    return out;
  },
});

// A few readable cases (values taken from the host CPU, an AMD Zen 3).
t.test('bts with a negative register offset sets a bit below the operand', async (t) => {
  // 0f ab 03    bts DWORD PTR [rbx],eax
  const m = machine([0x0f, 0xab, 0x03]).set({ rbx: BigInt(DATA + 0x100), rax: -1n }).step();
  t.same(m.diff({}, { flags: 0 }), []);
  t.same([...m.peek(DATA + 0xfc, 4)], [0, 0, 0, 0x80]);
});

t.test('bsf of 0 sets ZF and leaves the whole destination, other flags unchanged', async (t) => {
  // 0f bc c3    bsf eax,ebx
  const m = machine([0x0f, 0xbc, 0xc3]).set({ rax: 0xdeadbeef12345678n, rbx: 0n, rflags: BigInt(CF | SF) }).step();
  t.same(m.diff({ rax: 0xdeadbeef12345678n }, { flags: CF | SF | ZF }), []);
});

t.test('lzcnt of 0 is the operand size with CF set; tzcnt of 1 is 0 with ZF set', async (t) => {
  // f3 0f bd c3    lzcnt eax,ebx ; f3 48 0f bc cb    tzcnt rcx,rbx
  let m = machine([0xf3, 0x0f, 0xbd, 0xc3]).set({ rbx: 0n, rflags: BigInt(OF | PF) }).step();
  t.same(m.diff({ rax: 32n }, { flags: CF | OF }), []);
  m = machine([0xf3, 0x48, 0x0f, 0xbc, 0xcb]).set({ rbx: 1n }).step();
  t.same(m.diff({ rcx: 0n }, { flags: ZF }), []);
});

t.test('cmpxchg r32: failure loads eax (zero-extending rax) and leaves the destination', async (t) => {
  // 0f b1 cb    cmpxchg ebx,ecx
  const m = machine([0x0f, 0xb1, 0xcb]).set({ rax: 0xaaaaaaaa00000001n, rbx: 0xbbbbbbbb00000002n, rcx: 3n }).step();
  t.same(m.diff({ rax: 2n, rbx: 0xbbbbbbbb00000002n }, { flags: CF | SF | PF | 16 }), []);
});

t.test('cmpxchg16b needs a 16-byte aligned operand', async (t) => {
  // f0 48 0f c7 0e    lock cmpxchg16b OWORD PTR [rsi]
  const m = machine([0xf0, 0x48, 0x0f, 0xc7, 0x0e]).set({ rsi: BigInt(DATA + 8) }).step();
  t.equal(m.last?.kind === 'fault' && m.last.fault.vector, 13);
});
