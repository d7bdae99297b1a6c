// SSE/SSE2 rows (cpu/isa/sse*.ts) checked against the real CPU.
//
// 1. Recorded vectors (tests/vectors/sse.jsonl): inputs and the host CPU's results, replayed on colonel;
//    these run everywhere.
// 2. Live differential run: when this host is x86-64 Linux with gcc, tests/oracle-sse/runner.c is
//    compiled and fresh random cases (seed SSE_SEED, default below) run natively and on colonel.
//    SSE_LIVE_PER_ROW sets how many (default 40). SSE_RECORD=1 rewrites the vector file (seed 1).
// 3. A few hand-written cases for the rules that are easy to get wrong and for #UD on what is left out.

import t, { type Test } from 'tap';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { machine, DATA } from './helpers/machine.js';
import { SSE_ROWS } from '../cpu/isa/sse.js';
import {
  buildRunner, runNative, runColonel, generateCases, record, expected, compare, VECTORS, type Vector,
} from './oracle-sse/oracle.js';

const RECORD_PER_ROW = 10;
const LIVE_PER_ROW = Number(process.env.SSE_LIVE_PER_ROW ?? 40);

function checkVectors(t: Test, vectors: Vector[], label: string): void {
  const byId = new Map<string, Vector[]>();
  for (const v of vectors) {
    const list = byId.get(v.id) ?? [];
    list.push(v);
    byId.set(v.id, list);
  }
  for (const row of SSE_ROWS) {
    const list = byId.get(row.id) ?? [];
    const bad: string[] = [];
    for (const v of list) {
      const d = compare(expected(v), runColonel(v));
      if (d.length && bad.length < 3) bad.push(`${v.code} ${JSON.stringify({ gpr: v.gpr, xmm: v.xmm, mem: v.mem, mxcsr: v.mxcsr })}\n    ${d.join('\n    ')}`);
      else if (d.length) bad.push('');
    }
    t.ok(list.length > 0, `${label}: ${row.id} has cases`);
    t.same(bad.filter(Boolean), [], `${label}: ${row.id} (${list.length} cases${bad.length ? `, ${bad.length} wrong` : ''})`);
  }
}

t.test('recorded vectors from the host CPU', async (t) => {
  if (process.env.SSE_RECORD) {
    const exe = buildRunner();
    if (!exe) { t.fail('SSE_RECORD needs x86-64 Linux with gcc'); return; }
    const cases = generateCases(SSE_ROWS, 1, RECORD_PER_ROW);
    const states = runNative(exe, cases);
    writeFileSync(VECTORS, cases.map((k, i) => JSON.stringify(record(k, states[i]))).join('\n') + '\n');
  }
  if (!existsSync(VECTORS)) { t.fail(`missing ${VECTORS}`); return; }
  const vectors = readFileSync(VECTORS, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Vector);
  checkVectors(t, vectors, 'recorded');
});

const runner = buildRunner();
t.test('live comparison with the host CPU', { skip: runner ? false : 'not x86-64 Linux with gcc' }, async (t) => {
  const seed = Number(process.env.SSE_SEED ?? 20250101);
  t.comment(`seed ${seed}`);
  const cases = generateCases(SSE_ROWS, seed, LIVE_PER_ROW);
  const states = runNative(runner!, cases);
  checkVectors(t, cases.map((k, i) => record(k, states[i])), `live seed ${seed}`);
});

// ---- hand-written cases ----

t.test('movss/movsd: register moves merge, loads zero the rest, stores write only the lane', async (t) => {
  // f3 0f 10 c1  movss xmm0,xmm1 ; f2 0f 10 d3  movsd xmm2,xmm3 ; f3 0f 10 27  movss xmm4,[rdi] ;
  // f2 0f 10 2f  movsd xmm5,[rdi] ; f3 0f 11 77 10  movss [rdi+0x10],xmm6
  const m = machine([0xf3, 0x0f, 0x10, 0xc1, 0xf2, 0x0f, 0x10, 0xd3, 0xf3, 0x0f, 0x10, 0x27, 0xf2, 0x0f, 0x10, 0x2f, 0xf3, 0x0f, 0x11, 0x77, 0x10])
    .set({ rdi: BigInt(DATA) })
    .setXmm(0, 0xaaaaaaaa_aaaaaaaa_aaaaaaaa_aaaaaaaan).setXmm(1, 0x11111111_22222222_33333333_44444444n)
    .setXmm(2, 0xaaaaaaaa_aaaaaaaa_aaaaaaaa_aaaaaaaan).setXmm(3, 0x11111111_22222222_33333333_44444444n)
    .setXmm(4, -1n).setXmm(5, -1n).setXmm(6, 0x99999999_88888888_77777777_66666666n)
    .poke(DATA, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 0xee, 0xee, 0xee, 0xee, 0xee])
    .step(5);
  t.same(m.diff({}), []);
  t.equal(m.xmm(0), 0xaaaaaaaa_aaaaaaaa_aaaaaaaa_44444444n);
  t.equal(m.xmm(2), 0xaaaaaaaa_aaaaaaaa_33333333_44444444n);
  t.equal(m.xmm(4), 0x04030201n);
  t.equal(m.xmm(5), 0x0807060504030201n);
  t.same([...m.peek(DATA + 16, 5)], [0x66, 0x66, 0x66, 0x66, 0xee]);
});

t.test('a strlen-style loop: pcmpeqb + pmovmskb through the block engine', async (t) => {
  // 66 0f ef c0     pxor xmm0,xmm0
  // 66 0f 6f 0f     movdqa xmm1,[rdi]
  // 66 0f 74 c8     pcmpeqb xmm1,xmm0
  // 66 0f d7 c1     pmovmskb eax,xmm1   (NULs at bytes 12 and 14)
  const m = machine([0x66, 0x0f, 0xef, 0xc0, 0x66, 0x0f, 0x6f, 0x0f, 0x66, 0x0f, 0x74, 0xc8, 0x66, 0x0f, 0xd7, 0xc1])
    .set({ rdi: BigInt(DATA + 0x40), rax: 0xffffffff_ffffffffn })
    .setXmm(0, 0x1234n)
    .poke(DATA + 0x40, [...Buffer.from('hello, world')].concat([0, 0x41, 0, 0x42]))
    .run(4);
  t.same(m.diff({ rax: 0b0101_0000_0000_0000n, rip: 0x400010n }), []);
  t.equal(m.xmm(0), 0n);
});

t.test('movdqa and paddd need 16-byte alignment, movdqu does not', async (t) => {
  // 66 0f 6f 07  movdqa xmm0,[rdi]
  let m = machine([0x66, 0x0f, 0x6f, 0x07]).set({ rdi: BigInt(DATA + 8) }).step();
  t.equal(m.last?.kind === 'fault' && m.last.fault.vector, 13, 'movdqa: #GP');
  t.equal(m.reg('rip'), 0x400000n, 'rip stays on the faulting instruction');
  // 66 0f fe 07  paddd xmm0,[rdi]
  m = machine([0x66, 0x0f, 0xfe, 0x07]).set({ rdi: BigInt(DATA + 4) }).step();
  t.equal(m.last?.kind === 'fault' && m.last.fault.vector, 13, 'paddd: #GP');
  // f3 0f 6f 07  movdqu xmm0,[rdi]
  m = machine([0xf3, 0x0f, 0x6f, 0x07]).set({ rdi: BigInt(DATA + 1) }).poke(DATA + 1, [0x5a]).step();
  t.same(m.diff({}), []);
  t.equal(m.xmm(0), 0x5an);
});

t.test('fxsave stores the reset x87 state, MXCSR, its mask and the xmm registers', async (t) => {
  // 48 0f ae 07  fxsave64 [rdi]
  const m = machine([0x48, 0x0f, 0xae, 0x07]).set({ rdi: BigInt(DATA) }).setXmm(15, 0x0f0e0d0c_0b0a0908_07060504_03020100n);
  m.poke(DATA, new Uint8Array(512).fill(0xcc)).step();
  t.same(m.diff({}), []);
  const area = m.peek(DATA, 512);
  const u32 = (o: number) => area[o] | (area[o + 1] << 8) | (area[o + 2] << 16) | (area[o + 3] * 2 ** 24);
  t.equal(u32(0), 0x037f, 'FCW 0x37f, FSW 0');
  t.equal(u32(24), 0x1f80, 'MXCSR');
  t.equal(u32(28), 0xffff, 'MXCSR_MASK');
  t.ok(area.subarray(4, 24).every((b) => b === 0) && area.subarray(32, 160).every((b) => b === 0), 'x87 registers empty');
  t.same([...area.subarray(400, 416)], [...Array(16).keys()], 'xmm15 at 400');
  t.ok(area.subarray(416).every((b) => b === 0xcc), 'bytes 416..511 untouched');
});

t.test('what is not implemented raises #UD', async (t) => {
  const cases: [string, number[]][] = [
    ['haddps xmm0,xmm1 (SSE3)', [0xf2, 0x0f, 0x7c, 0xc1]],
    ['pshufb xmm0,xmm1 (SSSE3)', [0x66, 0x0f, 0x38, 0x00, 0xc1]],
    ['palignr xmm0,xmm1,4 (SSSE3)', [0x66, 0x0f, 0x3a, 0x0f, 0xc1, 0x04]],
    ['pshufb mm0,mm1 (SSSE3 on mm)', [0x0f, 0x38, 0x00, 0xc1]],
    ['psrlw [rdi],3 (no memory form)', [0x66, 0x0f, 0x71, 0x17, 0x03]],
    ['F3 0F 28 (no such movaps form)', [0xf3, 0x0f, 0x28, 0xc1]],
    ['movlpd xmm0,xmm1 (memory only)', [0x66, 0x0f, 0x12, 0xc1]],
    ['pmovmskb eax,[rdi] (register only)', [0x66, 0x0f, 0xd7, 0x07]],
    ['vpxor xmm0,xmm0,xmm0 (AVX)', [0xc5, 0xf9, 0xef, 0xc0]],
    ['pcmpistri xmm0,xmm1,0 (SSE4.2)', [0x66, 0x0f, 0x3a, 0x63, 0xc1, 0x00]],
  ];
  for (const [name, bytes] of cases) {
    const m = machine(bytes).set({ rdi: BigInt(DATA) }).step();
    t.equal(m.last?.kind === 'fault' && m.last.fault.vector, 6, name);
  }
});
