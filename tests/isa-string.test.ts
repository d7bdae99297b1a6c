// The string instructions (cpu/isa/string.ts): movs, stos, lods, cmps, scas with rep/repe/repne, DF,
// the 67 prefix, faults in the middle of a rep, and the page-chunk fast paths (large counts,
// overlapping moves). Most cases are differential: each runs on colonel (single steps and the block
// engine) and is compared with the expectations recorded in tests/vectors/string-cases.json, and,
// where gcc and an x86-64 Linux host are available, with the host CPU itself (string-oracle.c).
import t from 'tap';
import { type Case, runColonel, runHost, recorded, hostUnavailable, pattern } from './vectors/string-oracle.js';
import { machine, DATA } from './helpers/machine.js';
import { CF, PF, AF, ZF, SF } from '../cpu/flags.js';
import { PROT_READ, PROT_WRITE, PROT_EXEC } from '../cpu/memory.js';
import { STRING_ROWS } from '../cpu/isa/string.js';

const RW = PROT_READ | PROT_WRITE;
const A = 0x600000; // 4 pages, pattern 1
const B = 0x610000; // 4 pages, pattern 2
const C = 0x620000; // 4 pages, pattern 1 (equal to A)
const RO = 0x630000; // 1 page, read-only
const Z = 0x640000; // 2 pages of zeros
const REGIONS = [
  { addr: A, len: 0x4000, prot: RW, seed: 1 },
  { addr: B, len: 0x4000, prot: RW, seed: 2 },
  { addr: C, len: 0x4000, prot: RW, seed: 1 },
  { addr: RO, len: 0x1000, prot: PROT_READ, seed: 3 },
  { addr: Z, len: 0x2000, prot: RW, seed: 0 },
];
const DF_ON = 0x602;
const n = (v: number) => BigInt(v);

type Regs = Case['regs'];
const cases: Case[] = [];
const add = (name: string, code: number[], regs: Regs, extra: Partial<Case> = {}) =>
  cases.push({ name, code, regs, regions: REGIONS, ...extra });

// ---- movs ----
add('movsb-single', [0xa4], { rsi: n(A + 5), rdi: n(B + 7) });
add('movs-chain-bwdq', [0xa4, 0x66, 0xa5, 0xa5, 0x48, 0xa5], { rsi: n(A + 1), rdi: n(B + 0x11) }, { steps: 4 });
add('movs-chain-bwdq-df', [0xa4, 0x66, 0xa5, 0xa5, 0x48, 0xa5], { rsi: n(A + 0x100), rdi: n(B + 0x200) }, { steps: 4, rflags: DF_ON });
add('rep-movsb-count0', [0xf3, 0xa4], { rcx: 0n, rsi: n(A), rdi: n(B) });
add('rep-movsb-count1', [0xf3, 0xa4], { rcx: 1n, rsi: n(A), rdi: n(B) });
add('rep-movsb-odd', [0xf3, 0xa4], { rcx: 13n, rsi: n(A + 3), rdi: n(B + 0x7ff) });
add('rep-movsb-large', [0xf3, 0xa4], { rcx: 0x2a37n, rsi: n(A + 5), rdi: n(B + 0x123) });
add('rep-movsw-large', [0x66, 0xf3, 0xa5], { rcx: 0x1001n, rsi: n(A + 1), rdi: n(B + 2) });
add('rep-movsd-large', [0xf3, 0xa5], { rcx: 0xa55n, rsi: n(A + 0x10), rdi: n(B + 0xffe) });
add('rep-movsq-large', [0xf3, 0x48, 0xa5], { rcx: 0x605n, rsi: n(A + 3), rdi: n(B + 0x7fd) });
add('rep-movsq-4-pages', [0xf3, 0x48, 0xa5], { rcx: 0x800n, rsi: n(A), rdi: n(B) });
add('repnz-movsb-is-rep', [0xf2, 0xa4], { rcx: 0x100n, rsi: n(A), rdi: n(B) });
add('cs-override-rep-movsb', [0x2e, 0xf3, 0xa4], { rcx: 0x80n, rsi: n(A), rdi: n(B) });
// overlapping, forward (DF=0)
add('overlap-fwd-movsb-1', [0xf3, 0xa4], { rcx: 0x2000n, rsi: n(A + 0x100), rdi: n(A + 0x101) });
add('overlap-fwd-movsb-3', [0xf3, 0xa4], { rcx: 0x1800n, rsi: n(A + 0x10), rdi: n(A + 0x13) });
add('overlap-fwd-movsb-777', [0xf3, 0xa4], { rcx: 0x3000n, rsi: n(A + 0x40), rdi: n(A + 0x7b7) });
add('overlap-fwd-movsq-3', [0xf3, 0x48, 0xa5], { rcx: 0x300n, rsi: n(A + 0x20), rdi: n(A + 0x23) });
add('overlap-fwd-movsq-24', [0xf3, 0x48, 0xa5], { rcx: 0x500n, rsi: n(A + 0x20), rdi: n(A + 0x38) });
add('overlap-fwd-movsd-4', [0xf3, 0xa5], { rcx: 0x600n, rsi: n(A), rdi: n(A + 4) });
add('overlap-fwd-memmove-down', [0xf3, 0xa4], { rcx: 0x3000n, rsi: n(A + 0x200), rdi: n(A + 0x100) });
// DF=1
add('df-rep-movsb-large', [0xf3, 0xa4], { rcx: 0x2100n, rsi: n(A + 0x3000), rdi: n(B + 0x2fff) }, { rflags: DF_ON });
add('df-overlap-memmove-up', [0xf3, 0xa4], { rcx: 0x2f00n, rsi: n(A + 0x2fff), rdi: n(A + 0x3004) }, { rflags: DF_ON });
add('df-overlap-periodic-5', [0xf3, 0xa4], { rcx: 0x2000n, rsi: n(A + 0x3000), rdi: n(A + 0x2ffb) }, { rflags: DF_ON });
add('df-rep-movsq-large', [0xf3, 0x48, 0xa5], { rcx: 0x7f0n, rsi: n(A + 0x3ff8), rdi: n(B + 0x3ff3) }, { rflags: DF_ON });
add('df-overlap-movsq-24', [0xf3, 0x48, 0xa5], { rcx: 0x400n, rsi: n(A + 0x3000), rdi: n(A + 0x2fe8) }, { rflags: DF_ON });
add('df-overlap-movsq-3', [0xf3, 0x48, 0xa5], { rcx: 0x200n, rsi: n(A + 0x3000), rdi: n(A + 0x2ffd) }, { rflags: DF_ON });
// faults
add('fault-movsb-readonly-dst', [0xf3, 0xa4], { rcx: 0x10n, rsi: n(A), rdi: n(RO + 0x10) });
add('fault-rep-movsb-dst-midway', [0xf3, 0xa4], { rcx: 0x400n, rsi: n(B + 0x10), rdi: n(A + 0x3f00) });
add('fault-rep-movsq-src-midway', [0xf3, 0x48, 0xa5], { rcx: 0x100n, rsi: n(A + 0x3e04), rdi: n(B) });
add('fault-rep-movsb-df-midway', [0xf3, 0xa4], { rcx: 0x200n, rsi: n(B + 0x100), rdi: n(A + 0x80) }, { rflags: DF_ON });
add('fault-rep-stosq-straddle', [0xf3, 0x48, 0xab], { rcx: 4n, rdi: n(A + 0x3ffc), rax: 0x1122334455667788n });

// ---- stos ----
const RAXV = 0xdeadbeef12345678n;
add('stos-chain-bwdq', [0xaa, 0x66, 0xab, 0xab, 0x48, 0xab], { rdi: n(B + 3), rax: RAXV }, { steps: 4 });
add('rep-stosb-count0', [0xf3, 0xaa], { rcx: 0n, rdi: n(A), rax: RAXV });
add('rep-stosb-count1', [0xf3, 0xaa], { rcx: 1n, rdi: n(A), rax: RAXV });
add('rep-stosb-large', [0xf3, 0xaa], { rcx: 0x2345n, rdi: n(A + 0x11), rax: RAXV });
add('rep-stosw-odd', [0x66, 0xf3, 0xab], { rcx: 0x1235n, rdi: n(A + 1), rax: RAXV });
add('rep-stosd-large', [0xf3, 0xab], { rcx: 0xc01n, rdi: n(A + 2), rax: RAXV });
add('rep-stosq-large', [0xf3, 0x48, 0xab], { rcx: 0x777n, rdi: n(A + 5), rax: 0x1122334455667788n });
add('rep-stosq-zero', [0xf3, 0x48, 0xab], { rcx: 0x800n, rdi: n(A), rax: 0n });
add('rep-stosd-bytes-equal-df', [0xf3, 0xab], { rcx: 0x900n, rdi: n(A + 0x3ffc), rax: 0x01010101n }, { rflags: DF_ON });
add('rep-stosw-df', [0x66, 0xf3, 0xab], { rcx: 0x1001n, rdi: n(A + 0x3ffd), rax: 0xbeefn }, { rflags: DF_ON });
add('repnz-stosb-is-rep', [0xf2, 0xaa], { rcx: 0x99n, rdi: n(A), rax: 0x5an });
add('fault-rep-stosb-midway', [0xf3, 0xaa], { rcx: 0x20n, rdi: n(A + 0x3ff0), rax: 0x77n });

// ---- lods ----
add('lods-chain-qdwb', [0x48, 0xad, 0xad, 0x66, 0xad, 0xac], { rsi: n(A + 7), rax: -1n }, { steps: 4 });
add('rep-lodsb', [0xf3, 0xac], { rcx: 0x1003n, rsi: n(A + 0x10), rax: -1n });
add('rep-lodsq-df', [0xf3, 0x48, 0xad], { rcx: 5n, rsi: n(A + 0x100) }, { rflags: DF_ON });
add('rep-lodsd-count0', [0xf3, 0xad], { rcx: 0n, rsi: n(A), rax: -1n });
add('fault-rep-lodsw-midway', [0xf3, 0x66, 0xad], { rcx: 0x100n, rsi: n(A + 0x3f81), rax: -1n });

// ---- cmps ----
const diffAt = (addr: number, seed: number, base: number): [number, number[]] => [addr, [pattern(seed, addr - base) ^ 0x80]];
add('cmpsb-single', [0xa6], { rsi: n(A + 0x10), rdi: n(B + 0x10) });
add('cmpsq-borrow-lo', [0x48, 0xa7], { rsi: n(Z), rdi: n(Z + 8) }, { pokes: [[Z, [0, 0, 0, 0, 1, 0, 0, 0]], [Z + 8, [0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]]] });
add('cmpsq-borrow-hi', [0x48, 0xa7], { rsi: n(Z + 8), rdi: n(Z) }, { pokes: [[Z, [0, 0, 0, 0, 1, 0, 0, 0]], [Z + 8, [0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]]] });
add('cmpsq-overflow', [0x48, 0xa7], { rsi: n(Z), rdi: n(Z + 8) }, { pokes: [[Z, [0, 0, 0, 0, 0, 0, 0, 0x80]], [Z + 8, [1, 0, 0, 0, 0, 0, 0, 0]]] });
add('cmps-chain-wd', [0x66, 0xa7, 0xa7], { rsi: n(A + 0x10), rdi: n(B + 0x10) }, { steps: 2 });
add('repe-cmpsb-stops-at-diff', [0xf3, 0xa6], { rcx: 0x2000n, rsi: n(A + 0x10), rdi: n(C + 0x10) }, { pokes: [diffAt(C + 0x10 + 0x1234, 1, C)] });
add('repe-cmpsb-all-equal', [0xf3, 0xa6], { rcx: 0x3000n, rsi: n(A), rdi: n(C) });
add('repe-cmpsq-diff-in-high-half', [0xf3, 0x48, 0xa7], { rcx: 0x500n, rsi: n(A + 8), rdi: n(C + 8) }, { pokes: [diffAt(C + 8 + 8 * 0x123 + 5, 1, C)] });
add('repne-cmpsb-stops-at-equal', [0xf2, 0xa6], { rcx: 0x1000n, rsi: n(A), rdi: n(B) });
add('repe-cmpsb-count0-keeps-flags', [0xf3, 0xa6], { rcx: 0n, rsi: n(A), rdi: n(B) }, { rflags: 0x202 | 0x8d5 });
add('df-repe-cmpsw', [0x66, 0xf3, 0xa7], { rcx: 0x800n, rsi: n(A + 0x3000), rdi: n(C + 0x3000) }, { rflags: DF_ON, pokes: [diffAt(C + 0x3000 - 2 * 0x300, 1, C)] });
add('fault-cmpsb-both-operands', [0xa6], { rsi: n(A + 0x4000), rdi: n(C + 0x4000) });
add('fault-cmpsq-both-operands', [0x48, 0xa7], { rsi: n(A + 0x4000), rdi: n(C + 0x4000) });
add('fault-movsb-both-operands', [0xa4], { rsi: n(A + 0x4000), rdi: n(C + 0x4000) });
add('fault-movsb-src-before-readonly-dst', [0xa4], { rsi: n(A + 0x4000), rdi: n(RO) });
add('fault-repe-cmpsb-midway', [0xf3, 0xa6], { rcx: 0x200n, rsi: n(A + 0x3f00), rdi: n(C + 0x3f00) });

// ---- scas ----
const hello = [...Buffer.from('hello, world')];
add('repne-scasb-strlen', [0xf2, 0xae], { rcx: -1n, rdi: n(Z + 0x10), rax: 0n }, { pokes: [[Z + 0x10, hello]] });
add('repe-scasb-zero-run', [0xf3, 0xae], { rcx: 0x1800n, rdi: n(Z), rax: 0n }, { pokes: [[Z + 0x1700, [1]]] });
add('scasq-overflow', [0x48, 0xaf], { rdi: n(Z), rax: 0x8000000000000000n }, { pokes: [[Z, [1]]] });
add('repne-scasd-find', [0xf2, 0xaf], { rcx: 0x400n, rdi: n(Z), rax: 0xcafebaben }, { pokes: [[Z + 4 * 0x123, [0xbe, 0xba, 0xfe, 0xca]]] });
add('df-repne-scasw', [0x66, 0xf2, 0xaf], { rcx: 0x400n, rdi: n(Z + 0x1000), rax: 0x1234n }, { rflags: DF_ON, pokes: [[Z + 0x1000 - 2 * 0x77, [0x34, 0x12]]] });
add('scas-chain-bwd', [0xae, 0x66, 0xaf, 0xaf], { rdi: n(A + 0x20), rax: 0x7fn }, { steps: 3 });

// ---- address size 67: esi/edi/ecx, written as 32-bit registers ----
add('a32-rep-movsb', [0x67, 0xf3, 0xa4], { rcx: 0xdead000000000010n, rsi: 0xbeef000000600000n, rdi: 0xcafe000000610000n });
add('a32-rep-movsb-count0', [0x67, 0xf3, 0xa4], { rcx: 0xdead000000000000n, rsi: 0xbeef000000600000n, rdi: 0xcafe000000610000n });
add('a32-movsb-single', [0x67, 0xa4], { rcx: 0xdead000000000002n, rsi: 0xbeef000000600000n, rdi: 0xcafe000000610000n });
add('a32-rep-stosq-large', [0x67, 0xf3, 0x48, 0xab], { rcx: 0x100000300n, rdi: 0xff00000000600008n, rax: RAXV });
add('a32-repe-cmpsb', [0x67, 0xf3, 0xa6], { rcx: 0x7700000800n, rsi: 0x100600000n, rdi: 0x200620000n }, { pokes: [diffAt(C + 0x456, 1, C)] });
add('a32-lodsw', [0x67, 0x66, 0xad], { rsi: 0x1234567800600010n, rax: -1n });
add('a32-repne-scasb', [0x67, 0xf2, 0xae], { rcx: 0x5500000100n, rdi: 0x9900640010n, rax: 0x6fn }, { pokes: [[Z + 0x10, hello]] });
add('a32-fault-rep-movsq-midway', [0x67, 0xf3, 0x48, 0xa5], { rcx: 0x300000100n, rsi: 0x100610000n, rdi: 0x100603f00n });
add('a32-fault-rep-movsq-first', [0x67, 0xf3, 0x48, 0xa5], { rcx: 0x300000100n, rsi: 0x100610000n, rdi: 0x100604000n });

const host = runHost(cases);
const expected = recorded('string-cases.json', cases, host);

t.test('differential cases: colonel vs recorded expectations vs the host CPU', async (t) => {
  if (!host) t.comment(`host oracle skipped: ${hostUnavailable()}`);
  for (const c of cases) {
    const got = runColonel(c, 'step');
    t.same(got, expected[c.name], `${c.name}: recorded expectation`);
    t.same(runColonel(c, 'run'), got, `${c.name}: the block engine agrees with single steps`);
    if (host) t.same(host.get(c.name), got, `${c.name}: host CPU`);
  }
});

// ---- explicit checks (readable without the vectors) ----

t.test('rep movsb copies, advances rsi/rdi, clears rcx, counts one instruction', async (t) => {
  // f3 a4    rep movs BYTE PTR es:[rdi],BYTE PTR ds:[rsi]
  const m = machine([0xf3, 0xa4]).set({ rcx: 5n, rsi: n(DATA), rdi: n(DATA + 0x100) }).poke(DATA, [1, 2, 3, 4, 5, 6]);
  m.step();
  t.same(m.diff({ rcx: 0n, rsi: n(DATA + 5), rdi: n(DATA + 0x105), rip: 0x400002n }), []);
  t.same([...m.peek(DATA + 0x100, 6)], [1, 2, 3, 4, 5, 0]);
  t.equal(m.cpu.icount, 1);
});

t.test('a fault in the middle of rep movs leaves rcx/rsi/rdi at the faulting iteration', async (t) => {
  // f3 48 a5    rep movs QWORD PTR es:[rdi],QWORD PTR ds:[rsi]   (DATA has 2 pages; DATA+0x2000 is unmapped)
  const m = machine([0xf3, 0x48, 0xa5]).set({ rcx: 0x1000n, rsi: n(DATA), rdi: n(DATA + 0x1f00) }).run(10);
  t.equal(m.last?.kind, 'fault');
  if (m.last?.kind === 'fault') {
    t.equal(m.last.fault.vector, 14);
    t.equal(m.last.fault.addr, DATA + 0x2000);
    t.equal(m.last.fault.errorCode, 6);
  }
  t.same(m.diff({ rcx: 0x1000n - 0x20n, rsi: n(DATA + 0x100), rdi: n(DATA + 0x2000), rip: 0x400000n }), ['faulted: vector 14 ']);
  t.equal(m.cpu.icount, 0, 'the faulting instruction does not retire');
  // The first 0x20 quadwords were copied.
  t.same(m.peek(DATA + 0x1f00, 0x100), m.peek(DATA, 0x100));
  // Map the page and restart: the instruction resumes where it stopped.
  m.mem.map(DATA + 0x2000, 0x1000, PROT_READ | PROT_WRITE);
  m.last = null;
  m.step();
  t.same(m.diff({ rcx: 0xde0n, rsi: n(DATA + 0x1100), rdi: n(DATA + 0x3000) }), ['faulted: vector 14 '], 'runs on until the next unmapped page');
});

t.test('rep movsb in a hot loop (compiled block): results, a precise mid-rep fault, icount', async (t) => {
  // 400000: b9 10 00 00 00    mov ecx,0x10
  // 400005: f3 a4             rep movs BYTE PTR es:[rdi],BYTE PTR ds:[rsi]
  // 400007: ff ca             dec edx
  // 400009: 75 f5             jne 400000
  const code = [0xb9, 0x10, 0, 0, 0, 0xf3, 0xa4, 0xff, 0xca, 0x75, 0xf5];
  const src = Uint8Array.from({ length: 0x1000 }, (_, i) => (i * 13 + 5) & 0xff);
  const m = machine(code).poke(DATA, src).set({ rsi: n(DATA), rdi: n(DATA + 0x1000), rdx: 200n }).run(800);
  t.same(m.diff({ rdx: 0n, rcx: 0n, rsi: n(DATA + 3200), rdi: n(DATA + 0x1000 + 3200), rip: 0x40000bn }), []);
  t.same(m.peek(DATA + 0x1000, 3200), src.subarray(0, 3200));
  t.equal(m.cpu.icount, 800);
  // 300 rounds: the 257th rep movsb starts at DATA+0x2000, which is unmapped
  const m2 = machine(code).set({ rsi: n(DATA), rdi: n(DATA + 0x1000), rdx: 300n }).run(100000);
  t.same(m2.diff({ rdx: 44n, rcx: 16n, rsi: n(DATA + 0x1000), rdi: n(DATA + 0x2000), rip: 0x400005n }), ['faulted: vector 14 ']);
  t.equal(m2.cpu.icount, 256 * 4 + 1, 'the instructions before the faulting rep retired, the rep did not');
});

t.test('repe cmpsb stops at the first difference with the flags of that comparison', async (t) => {
  // f3 a6    repz cmps BYTE PTR ds:[rsi],BYTE PTR es:[rdi]
  const m = machine([0xf3, 0xa6]).set({ rcx: 10n, rsi: n(DATA), rdi: n(DATA + 0x100) });
  m.poke(DATA, [1, 2, 3, 4, 5]).poke(DATA + 0x100, [1, 2, 3, 9, 5]).step();
  // 4 - 9 = 0xfb: CF (borrow), SF, AF (borrow from bit 4 ... 4 < 9 in the low nibble), PF (0xfb has 7 ones: odd) no
  t.same(m.diff({ rcx: 6n, rsi: n(DATA + 4), rdi: n(DATA + 0x104) }, { flags: CF | SF | AF }), []);
  // repne: stops at the first equal pair
  const m2 = machine([0xf2, 0xa6]).set({ rcx: 10n, rsi: n(DATA), rdi: n(DATA + 0x100) });
  m2.poke(DATA, [1, 2, 3, 4]).poke(DATA + 0x100, [5, 6, 3, 4]).step();
  t.same(m2.diff({ rcx: 7n, rsi: n(DATA + 3), rdi: n(DATA + 0x103) }, { flags: ZF | PF }), []);
});

t.test('count 0 changes nothing, not even the flags', async (t) => {
  for (const code of [[0xf3, 0xa4], [0xf3, 0x48, 0xab], [0xf3, 0xa6], [0xf2, 0xae], [0xf3, 0xac]]) {
    const m = machine(code).set({ rcx: 0n, rsi: n(DATA), rdi: n(DATA + 8), rax: 0x55n, rflags: 0x2d7n }).step();
    t.same(m.diff({ rcx: 0n, rsi: n(DATA), rdi: n(DATA + 8), rax: 0x55n }, { flags: 0xd5 }), [], code.map((b) => b.toString(16)).join(' '));
  }
});

t.test('overlapping forward rep movsb replicates the pattern as byte-by-byte does', async (t) => {
  const m = machine([0xf3, 0xa4]).set({ rcx: 0x1800n, rsi: n(DATA), rdi: n(DATA + 3) }).poke(DATA, [7, 8, 9]).step();
  const out = m.peek(DATA, 0x1803);
  let ok = true;
  for (let i = 0; i < out.length; i++) if (out[i] !== [7, 8, 9][i % 3]) ok = false;
  t.ok(ok, 'period-3 pattern over 0x1803 bytes, across the page boundary');
});

t.test('DF=1 rep stosd fills downwards', async (t) => {
  // fd std ; f3 ab rep stos DWORD PTR es:[rdi],eax
  const m = machine([0xfd, 0xf3, 0xab]).set({ rcx: 3n, rdi: n(DATA + 8), rax: 0x11223344n }).step(2);
  t.same(m.diff({ rcx: 0n, rdi: n(DATA - 4) }), []);
  t.same([...m.peek(DATA, 12)], [0x44, 0x33, 0x22, 0x11, 0x44, 0x33, 0x22, 0x11, 0x44, 0x33, 0x22, 0x11]);
});

t.test('67 prefix: ecx/esi/edi wrap at 4 GiB and are written as 32-bit registers', async (t) => {
  // 67 f3 a4    rep movs BYTE PTR es:[edi],BYTE PTR ds:[esi]   with esi crossing 0xffffffff -> 0
  const m = machine([0x67, 0xf3, 0xa4]).set({ rcx: 0xffff000000000004n, rsi: 0xaaaa0000fffffffen, rdi: n(DATA) });
  m.mem.map(0xfffff000, 0x1000, PROT_READ | PROT_WRITE);
  m.mem.map(0, 0x1000, PROT_READ | PROT_WRITE);
  m.poke(0xfffffffe, [1, 2]).poke(0, [3, 4]).step();
  t.same(m.diff({ rcx: 0n, rsi: 2n, rdi: n(DATA + 4) }), []);
  t.same([...m.peek(DATA, 4)], [1, 2, 3, 4]);
});

t.test('fs override applies to the source only; registers count the offset', async (t) => {
  // 64 f3 a4    rep movs BYTE PTR es:[rdi],BYTE PTR fs:[rsi]
  const m = machine([0x64, 0xf3, 0xa4]).set({ rcx: 0x300n, rsi: 0x10n, rdi: n(DATA + 0x1000) });
  m.cpu.fsBase = DATA;
  const src = Uint8Array.from({ length: 0x310 }, (_, i) => (i * 7) & 0xff);
  m.poke(DATA, src).step();
  t.same(m.diff({ rcx: 0n, rsi: 0x310n, rdi: n(DATA + 0x1300) }), []);
  t.same(m.peek(DATA + 0x1000, 0x300), src.subarray(0x10));
  // 64 ac    lods al,BYTE PTR fs:[rsi]
  const m2 = machine([0x64, 0xac]).set({ rsi: 0x20n });
  m2.cpu.fsBase = DATA;
  m2.poke(DATA + 0x20, [0x99]).step();
  t.same(m2.diff({ rax: 0x99n, rsi: 0x21n }), []);
});

t.test('a non-canonical address is #GP, with no register change', async (t) => {
  const m = machine([0xf3, 0xa4]).set({ rcx: 4n, rsi: n(DATA), rdi: 0x0000800000000000n }).step();
  t.equal(m.last?.kind === 'fault' && m.last.fault.vector, 13);
  t.equal(m.reg('rcx'), 4n);
  // the destination runs off the top of the lower half after one page
  const m2 = machine([0xf3, 0x48, 0xab]).set({ rcx: 0x1000n, rdi: 0x7ffffffff000n });
  m2.mem.map(0x7ffffffff000, 0x1000, PROT_READ | PROT_WRITE);
  m2.step();
  t.equal(m2.last?.kind === 'fault' && m2.last.fault.vector, 13);
  t.same(m2.diff({ rcx: 0xe00n, rdi: 0x800000000000n }), ['faulted: vector 13 non-canonical address']);
});

t.test('rep stos into a page holding decoded code drops what was decoded from it', async (t) => {
  // 400000: f3 aa    rep stos BYTE PTR es:[rdi],al
  // 400002: 0f 0b    ud2          (overwritten with 90 nop by the rep stos)
  const m = machine([0xf3, 0xaa, 0x0f, 0x0b, 0x0f, 0x0b]);
  m.mem.protect(0x400000, 0x1000, PROT_READ | PROT_WRITE | PROT_EXEC);
  m.set({ rip: 0x400002n }).run(1); // caches a block at 0x400002 (which faults: ud2)
  t.equal(m.last?.kind === 'fault' && m.last.fault.vector, 6);
  m.last = null;
  m.set({ rip: 0x400000n, rcx: 4n, rdi: 0x400002n, rax: 0x90n }).step(3);
  t.same(m.diff({ rip: 0x400004n, rcx: 0n }), [], 'the nops run, not the cached ud2');
});

t.test('speed: large rep movsb/movsq/stosq run as page chunks', async (t) => {
  const size = 16 << 20;
  const m = machine([0xf3, 0xa4, 0xf3, 0x48, 0xa5, 0xf3, 0x48, 0xab]);
  m.mem.map(0x10000000, 2 * size, PROT_READ | PROT_WRITE);
  const t0 = performance.now();
  m.set({ rcx: n(size - 1), rsi: 0x10000000n, rdi: n(0x10000000 + size + 1) }).step();
  m.set({ rcx: n(size / 8), rsi: 0x10000000n, rdi: n(0x10000000 + size) }).step();
  m.set({ rcx: n(size / 8), rdi: 0x10000000n, rax: 0x0102030405060708n }).step();
  const ms = performance.now() - t0;
  t.same(m.diff({ rcx: 0n }), []);
  t.ok(ms < 2000, `48 MiB moved/stored in ${ms.toFixed(0)} ms`);
});

t.test('rows: objdump operand forms and one row per size', async (t) => {
  const byId = new Map(STRING_ROWS.map((r) => [r.id, r]));
  t.same(byId.get('movs_yb_xb')?.operands, ['Yb', 'Xb']);
  t.same(byId.get('stos_yq_rax')?.operands, ['Yq', 'RAX']);
  t.same(byId.get('cmps_xb_yb')?.operands, ['Xb', 'Yb']);
  t.same(byId.get('scas_al_yb')?.operands, ['AL', 'Yb']);
  t.same(byId.get('lods_al_xb')?.operands, ['AL', 'Xb']);
  t.equal(STRING_ROWS.length, 20);
  for (const r of STRING_ROWS) t.equal(r.flags?.read, 'd', `${r.id} reads DF`);
});
