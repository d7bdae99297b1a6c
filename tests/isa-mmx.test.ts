// MMX rows (cpu/isa/mmx.ts, register file cpu/mmx.ts) checked against the real CPU, x87 state included.
//
// 1. Recorded vectors (tests/vectors/mmx.jsonl): inputs and the host CPU's results, replayed on colonel;
//    these run everywhere.
// 2. Live differential run: when this host is x86-64 Linux with gcc, tests/oracle-mmx/runner.c is
//    compiled and fresh random cases (seed MMX_SEED, default below) run natively and on colonel.
//    MMX_LIVE_PER_ROW sets how many (default 60). MMX_RECORD=1 rewrites the vector file (seed 1).
// 3. Hand-written cases: aliasing with the x87 registers (as fxsave images), emms, #MF, the block engine,
//    CPUID, and #UD for what is left out.

import t, { type Test } from 'tap';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { machine, DATA } from './helpers/machine.js';
import { MMX_ROWS } from '../cpu/isa/mmx.js';
import { ISA } from '../cpu/isa/index.js';
import { CpuidTable, incompleteFeatures } from '../cpu/isa/cpuid.js';
import { mmGet, mmSet } from '../cpu/mmx.js';
import { x87Save } from '../cpu/x87.js';
import {
  buildRunner, runNative, runColonel, generateCases, record, expected, compare, VECTORS, type Vector,
} from './oracle-mmx/oracle.js';

const RECORD_PER_ROW = 11;
const LIVE_PER_ROW = Number(process.env.MMX_LIVE_PER_ROW ?? 60);

function checkVectors(t: Test, vectors: Vector[], label: string): void {
  const byId = new Map<string, Vector[]>();
  for (const v of vectors) {
    const list = byId.get(v.id) ?? [];
    list.push(v);
    byId.set(v.id, list);
  }
  for (const row of MMX_ROWS) {
    const list = byId.get(row.id) ?? [];
    const bad: string[] = [];
    for (const v of list) {
      const d = compare(expected(v), runColonel(v));
      if (d.length && bad.length < 3) bad.push(`${v.code} ${JSON.stringify({ fpu: v.fpu, gpr: v.gpr, xmm: v.xmm, mem: v.mem })}\n    ${d.join('\n    ')}`);
      else if (d.length) bad.push('');
    }
    t.ok(list.length > 0, `${label}: ${row.id} has cases`);
    t.same(bad.filter(Boolean), [], `${label}: ${row.id} (${list.length} cases${bad.length ? `, ${bad.length} wrong` : ''})`);
  }
}

t.test('recorded vectors from the host CPU', async (t) => {
  if (process.env.MMX_RECORD) {
    const exe = buildRunner();
    if (!exe) { t.fail('MMX_RECORD needs x86-64 Linux with gcc'); return; }
    const cases = generateCases(MMX_ROWS, 1, RECORD_PER_ROW);
    const states = runNative(exe, cases);
    writeFileSync(VECTORS, cases.map((k, i) => JSON.stringify(record(k, states[i]))).join('\n') + '\n');
  }
  if (!existsSync(VECTORS)) { t.fail(`missing ${VECTORS}`); return; }
  const vectors = readFileSync(VECTORS, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Vector);
  checkVectors(t, vectors, 'recorded');
  // The recording covers the transitions, not only the arithmetic.
  t.ok(vectors.some((v) => v.out.fault === 'MF'), 'some cases raise #MF');
  t.ok(vectors.some((v) => v.out.fault?.startsWith('PF@')), 'some cases fault on memory');
  t.ok(vectors.some((v) => (v.fpu.sw & 0x3800) !== 0 && !v.out.fault), 'some cases start with TOP != 0');
});

const runner = buildRunner();
t.test('live comparison with the host CPU', { skip: runner ? false : 'not x86-64 Linux with gcc' }, async (t) => {
  const seed = Number(process.env.MMX_SEED ?? 20250202);
  t.comment(`seed ${seed}`);
  const cases = generateCases(MMX_ROWS, seed, LIVE_PER_ROW);
  const states = runNative(runner!, cases);
  checkVectors(t, cases.map((k, i) => record(k, states[i])), `live seed ${seed}`);
});

// ---- hand-written cases ----

/**
 * The x87 part of the FXSAVE image (x87Save: what fxsave and signal frames store) after running `code`
 * for n instructions.
 */
function fxsaveAfter(code: number[], n: number, setup: (m: ReturnType<typeof machine>) => void = () => {}) {
  const m = machine(code);
  setup(m);
  m.step(n);
  const a = x87Save(m.cpu, new Uint8Array(160));
  const u16 = (o: number) => a[o] | (a[o + 1] << 8);
  const st = (i: number) => {
    let v = 0n;
    for (let k = 9; k >= 0; k--) v = (v << 8n) | BigInt(a[32 + 16 * i + k]);
    return v;
  };
  return { m, fcw: u16(0), fsw: u16(2), ftw: a[4], st };
}

t.test('mm registers alias the x87 registers: TOP 0, tags valid, exponent all ones on write', async (t) => {
  // 0f 6f c1  movq mm0,mm1 ; 0f fe d3  paddd mm2,mm3
  const r = fxsaveAfter([0x0f, 0x6f, 0xc1, 0x0f, 0xfe, 0xd3], 2, (m) => {
    m.cpu.x87.top = 5;
    m.cpu.x87.regs[1] = 0x4000_1234_5678_9abc_def0n; // R1: 80 bits, sign/exponent 0x4000
    m.cpu.x87.regs[2] = 0x0000_0000_0001_0000_0002n;
    m.cpu.x87.regs[3] = 0x7fff_0000_0003_0000_0004n;
  });
  t.same(r.m.diff({}), []);
  t.equal(r.fsw & 0x3800, 0, 'TOP = 0');
  t.equal(r.ftw, 0xff, 'all registers tagged valid');
  t.equal(r.st(0), 0xffff_1234_5678_9abc_def0n, 'mm0 = mm1, exponent all ones');
  t.equal(r.st(1), 0x4000_1234_5678_9abc_def0n, 'a register only read keeps its exponent');
  t.equal(r.st(2), 0xffff_0000_0004_0000_0006n, 'paddd');
  t.equal(r.st(3), 0x7fff_0000_0003_0000_0004n);
  t.equal(mmGet(r.m.cpu, 2), 0x0000_0004_0000_0006n);
});

t.test('emms sets TOP to 0, tags every register empty and keeps the contents', async (t) => {
  // 0f 77  emms
  const r = fxsaveAfter([0x0f, 0x77], 1, (m) => {
    m.cpu.x87.top = 3;
    m.cpu.x87.used = 0xff;
    mmSet(m.cpu, 4, 0x1122334455667788n);
  });
  t.same(r.m.diff({}), []);
  t.equal(r.ftw, 0, 'all empty');
  t.equal((r.fsw >> 11) & 7, 0, 'TOP = 0 (SDM vol. 1 table 9-3; the host agrees)');
  t.equal(r.st(4), 0xffff_1122334455667788n, 'R4 kept');
});

t.test('a pending unmasked x87 exception is #MF before an MMX instruction, which then changes nothing', async (t) => {
  // 0f fe c1  paddd mm0,mm1
  const m = machine([0x0f, 0xfe, 0xc1]);
  m.cpu.x87.cw = 0x37e; // IM clear
  m.cpu.x87.sw = 0x1; // IE set
  m.cpu.x87.top = 2;
  mmSet(m.cpu, 1, 5n);
  m.step();
  t.equal(m.last?.kind === 'fault' && m.last.fault.vector, 16, '#MF');
  t.equal(m.reg('rip'), 0x400000n);
  t.equal(m.cpu.x87.top, 2, 'TOP unchanged');
  t.equal(m.cpu.x87.used, 0, 'tags unchanged');
  t.equal(m.cpu.x87.regs[0], 0n, 'mm0 unchanged');
});

t.test('a faulting memory operand leaves the x87 state alone', async (t) => {
  // 0f fe 07  paddd mm0,[rdi] with rdi past the data page
  const m = machine([0x0f, 0xfe, 0x07]).set({ rdi: BigInt(DATA + 0x2000 - 4) });
  m.cpu.x87.top = 6;
  m.step();
  t.equal(m.last?.kind === 'fault' && m.last.fault.vector, 14, '#PF');
  t.equal(m.cpu.x87.top, 6);
  t.equal(m.cpu.x87.used, 0);
});

t.test('an MMX loop through the block engine: sum of absolute differences of two buffers', async (t) => {
  // 0f ef c0        pxor mm0,mm0
  // 0f 6f 0f        movq mm1,[rdi]        <- loop
  // 0f f6 0e        psadbw mm1,[rsi]
  // 0f d4 c1        paddq mm0,mm1
  // 48 83 c7 08     add rdi,8
  // 48 83 c6 08     add rsi,8
  // ff c9           dec ecx
  // 75 eb           jne loop
  // 48 0f 7e c0     movq rax,mm0
  // 0f 77           emms
  const code = [0x0f, 0xef, 0xc0, 0x0f, 0x6f, 0x0f, 0x0f, 0xf6, 0x0e, 0x0f, 0xd4, 0xc1, 0x48, 0x83, 0xc7, 0x08,
    0x48, 0x83, 0xc6, 0x08, 0xff, 0xc9, 0x75, 0xeb, 0x48, 0x0f, 0x7e, 0xc0, 0x0f, 0x77];
  const a = Array.from({ length: 64 }, (_, i) => (i * 37) & 0xff);
  const b = Array.from({ length: 64 }, (_, i) => (i * 91 + 7) & 0xff);
  const want = a.reduce((s, x, i) => s + Math.abs(x - b[i]), 0);
  const m = machine(code).set({ rdi: BigInt(DATA), rsi: BigInt(DATA + 0x100), rcx: 8n }).poke(DATA, a).poke(DATA + 0x100, b).run(1 + 8 * 7 + 2);
  t.same(m.diff({ rax: BigInt(want), rcx: 0n, rip: BigInt(0x400000 + code.length) }), []);
  t.equal(m.cpu.x87.used, 0, 'emms at the end');
});

t.test('CPUID advertises MMX (leaf 1 EDX bit 23, mirrored in 0x80000001) and the x86-64 baseline glibc checks', async (t) => {
  const c = new CpuidTable(ISA);
  t.same(incompleteFeatures(ISA).mmx, undefined, 'every MMX instruction has a row');
  t.ok(c.has('mmx'));
  const edx1 = c.lookup(1, 0)[3], edx81 = c.lookup(0x80000001, 0)[3];
  t.ok(edx1 & (1 << 23), 'CPUID.1:EDX.MMX');
  t.ok(edx81 & (1 << 23), 'CPUID.80000001h:EDX.MMX');
  // sysdeps/x86/get-isa-level.h: the baseline is CMOV, CX8, FPU, FXSR, MMX, SSE, SSE2 (and SYSCALL).
  for (const [name, bit] of [['fpu', 0], ['cx8', 8], ['cmov', 15], ['mmx', 23], ['fxsr', 24], ['sse', 25], ['sse2', 26]] as const) {
    t.ok(edx1 & (1 << bit), `CPUID.1:EDX.${name}`);
  }
  t.ok(edx81 & (1 << 11), 'CPUID.80000001h:EDX.SYSCALL');
});

t.test('what is not implemented raises #UD', async (t) => {
  const cases: [string, number[]][] = [
    ['cvtpi2ps xmm0,mm1', [0x0f, 0x2a, 0xc1]],
    ['cvtps2pi mm0,xmm1', [0x0f, 0x2d, 0xc1]],
    ['pshufb mm0,mm1 (SSSE3)', [0x0f, 0x38, 0x00, 0xc1]],
    ['palignr mm0,mm1,4 (SSSE3)', [0x0f, 0x3a, 0x0f, 0xc1, 0x04]],
    ['punpcklqdq has no mm form', [0x0f, 0x6c, 0xc1]],
    ['psrlq mm0 by imm8 has no memory form', [0x0f, 0x73, 0x17, 0x03]],
    ['psrldq is xmm only', [0x0f, 0x73, 0xd8, 0x03]],
    ['movntq is memory only', [0x0f, 0xe7, 0xc1]],
    ['pmovmskb eax,[rdi] (register only)', [0x0f, 0xd7, 0x07]],
    ['movq2dq xmm0,[rdi] (register only)', [0xf3, 0x0f, 0xd6, 0x07]],
  ];
  for (const [name, bytes] of cases) {
    const m = machine(bytes).set({ rdi: BigInt(DATA) }).step();
    t.equal(m.last?.kind === 'fault' && m.last.fault.vector, 6, name);
  }
});

t.test('maskmovq checks all eight destination bytes, after the x87 transition, as the host does', async (t) => {
  // 0f f7 c1  maskmovq mm0,mm1 with a zero mask, at [rdi] = the last 4 bytes of the data page
  const m = machine([0x0f, 0xf7, 0xc1]).set({ rdi: BigInt(DATA + 0x2000 - 4) });
  m.cpu.x87.top = 4;
  mmSet(m.cpu, 0, -1n);
  m.poke(DATA + 0x2000 - 4, [1, 2, 3, 4]).step();
  t.equal(m.last?.kind === 'fault' && m.last.fault.vector, 14, '#PF even with nothing to store');
  t.equal(m.last?.kind === 'fault' && m.last.fault.addr, DATA + 0x2000, 'at the first byte of the unmapped page');
  t.equal(m.cpu.x87.top, 0, 'TOP = 0');
  t.equal(m.cpu.x87.used, 0xff, 'tags valid');
  t.same([...m.peek(DATA + 0x2000 - 4, 4)], [1, 2, 3, 4], 'nothing stored');
  // 67 0f f7 c1  maskmovq mm0,mm1 at edi: the upper half of rdi is ignored; bytes 1 and 6 selected
  const m2 = machine([0x67, 0x0f, 0xf7, 0xc1]).set({ rdi: 0xdead_0000_0000_0000n + BigInt(DATA + 8) });
  mmSet(m2.cpu, 0, 0x8877665544332211n);
  mmSet(m2.cpu, 1, 0x0080_0000_0000_ff00n);
  m2.step();
  t.same(m2.diff({}), []);
  t.same([...m2.peek(DATA + 8, 8)], [0, 0x22, 0, 0, 0, 0, 0x77, 0]);
});
