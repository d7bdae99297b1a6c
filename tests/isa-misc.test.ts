// cpu/isa/misc.ts and cpu/isa/cpuid.ts: pushf/popf, lahf/sahf, xlat, enter, movabs moffs, cpuid,
// int n/int1/into, the privileged in/out/cli/sti, fences and clflush. The differential cases run on
// colonel and are compared with tests/vectors/misc-cases.json and, where gcc and an x86-64 Linux
// host are available, with the host CPU (tests/vectors/string-oracle.c).
import t from 'tap';
import { type Case, runColonel, runHost, recorded, hostUnavailable } from './vectors/string-oracle.js';
import { machine, DATA } from './helpers/machine.js';
import { CF, PF, AF, ZF, SF, OF, DF } from '../cpu/flags.js';
import { PROT_READ, PROT_WRITE } from '../cpu/memory.js';
import { ISA } from '../cpu/isa/index.js';
import { MISC_ROWS } from '../cpu/isa/misc.js';
import {
  CpuidTable, cpuidTable, FEATURE_BITS, ALWAYS, VENDOR, BRAND, MAX_BASIC_LEAF, MAX_EXTENDED_LEAF,
  canonicalFeature, unknownFeatures, incompleteFeatures,
} from '../cpu/isa/cpuid.js';

const RW = PROT_READ | PROT_WRITE;
const A = 0x600000; // 4 pages, pattern 1
const S = 0x7f0000; // stack, 16 pages, pattern 5
const REGIONS = [
  { addr: A, len: 0x4000, prot: RW, seed: 1 },
  { addr: S, len: 0x10000, prot: RW, seed: 5 },
];
const SP = S + 0x8000;
const n = (v: number) => BigInt(v);
const le = (v: number | bigint, bytes: number) => Array.from({ length: bytes }, (_, i) => Number((BigInt(v) >> BigInt(8 * i)) & 0xffn));

const cases: Case[] = [];
const add = (name: string, code: number[], regs: Case['regs'], extra: Partial<Case> = {}) =>
  cases.push({ name, code, regs: { rsp: n(SP), ...regs }, regions: REGIONS, ...extra });

// ---- pushf/popf ----
add('pushf', [0x9c], {}, { rflags: 0x202 | 0x8d5 | 0x400 });
add('pushfw', [0x66, 0x9c], {}, { rflags: 0x202 | 0x8d5 });
add('popf-set-writable', [0x68, ...le(0x3f7ed5, 4), 0x9d], {}, { steps: 2 }); // all but TF: NT, AC, ID stick; IOPL, VIF, VIP, VM, RF do not
add('popf-all-ones-but-tf', [0x68, ...le(-257 >>> 0, 4), 0x9d], {}, { steps: 2 });
add('popf-zero', [0x6a, 0x00, 0x9d], {}, { steps: 2, rflags: 0x202 | 0x8d5 | 0x400 });
// 48 83 ec 02 sub rsp,0x2 ; 66 c7 04 24 d5 4e mov WORD PTR [rsp],0x4ed5 ; 66 9d popfw
add('popfw', [0x48, 0x83, 0xec, 0x02, 0x66, 0xc7, 0x04, 0x24, 0xd5, 0x4e, 0x66, 0x9d], {}, { steps: 3 });
add('pushf-popf-roundtrip', [0x9c, 0x9d, 0x9c], {}, { steps: 3, rflags: 0x202 | 0x8d5 });
// ---- lahf/sahf ----
add('lahf-all-set', [0x9f], { rax: -1n }, { rflags: 0x202 | 0x8d5 });
add('lahf-none-set', [0x9f], { rax: 0n });
add('sahf-ff', [0x9e], { rax: 0xff00n }, { rflags: 0xa02 });
add('sahf-00', [0x9e], { rax: 0n }, { rflags: 0x202 | 0x8d5 | 0x400 });
// ---- xlat ----
add('xlat', [0xd7], { rbx: n(A + 0x100), rax: 0x1234ff80n });
add('xlat-a32', [0x67, 0xd7], { rbx: 0xffffffff00600100n, rax: 0x7fn });
// ---- enter ----
add('enter-0-0', [0xc8, 0x00, 0x00, 0x00], { rbp: 0x1234n });
add('enter-20-0', [0xc8, 0x20, 0x00, 0x00], { rbp: 0x1234n });
add('enter-10-1', [0xc8, 0x10, 0x00, 0x01], { rbp: n(S + 0x9000) });
add('enter-18-3', [0xc8, 0x18, 0x00, 0x03], { rbp: n(S + 0x9000) });
add('enter-level-mod-32', [0xc8, 0x08, 0x00, 0x22], { rbp: n(S + 0x9000) });
add('enter-fff0-0', [0xc8, 0xf0, 0xff, 0x00], { rsp: n(S + 0xfff8), rbp: 0n });
add('enter-probe-new-rsp-after-pushes', [0xc8, 0xf0, 0xff, 0x00], { rbp: 0x1234n });
add('enter-probe-new-rsp-nested', [0xc8, 0xf0, 0xff, 0x02], { rbp: n(S + 0x9000) });
add('enter-fault-in-nested-push', [0xc8, 0x10, 0x00, 0x04], { rsp: n(S + 0x18), rbp: n(S + 0x9000) });
add('enter-fault-reading-frame', [0xc8, 0x10, 0x00, 0x04], { rbp: n(A + 0x10) });
// ---- movabs moffs ----
const ADDR = le(A + 0x123, 8);
add('movabs-loads', [0x48, 0xa1, ...ADDR, 0xa0, ...le(A + 0x200, 8), 0x66, 0xa1, ...le(A + 0x301, 8)], { rax: -1n }, { steps: 3 });
add('movabs-load-eax-zero-extends', [0xa1, ...ADDR], { rax: -1n });
add('movabs-stores', [0xa2, ...le(A + 0x10, 8), 0x66, 0xa3, ...le(A + 0x21, 8), 0xa3, ...le(A + 0x33, 8), 0x48, 0xa3, ...le(A + 0xffd, 8)], { rax: 0x1122334455667788n }, { steps: 4 });
add('mov-moffs-a32', [0x67, 0xa1, ...le(A + 0x124, 4), 0x67, 0x48, 0xa3, ...le(A + 0x400, 4), 0x67, 0x66, 0xa2, ...le(A + 0x501, 4)], { rax: -1n }, { steps: 3 });
add('movabs-fault-unmapped', [0xa0, ...le(0x123456789, 8)], {});
add('movabs-fault-noncanonical', [0x48, 0xa3, ...le(0x8000000000000000n, 8)], {});
// ---- interrupts, privileged instructions ----
add('int-0x21', [0xcd, 0x21], {});
add('int-0xff', [0xcd, 0xff], {});
add('int-3-long-form', [0xcd, 0x03], {});
add('into', [0xce], {});
add('cli', [0xfa], {});
add('sti', [0xfb], {});
add('in-al-dx', [0xec], {});
add('in-eax-imm8', [0xe5, 0x80], {});
add('out-dx-al', [0xee], {});
add('in-ax-dx', [0x66, 0xed], {});
add('ins-word', [0x66, 0x6d], { rdi: n(A) });
add('outs', [0x6e], { rsi: n(A) });
add('rep-ins', [0xf3, 0x6c], { rdi: n(A), rcx: 5n });
// ---- fences, clflush ----
add('fences', [0x0f, 0xae, 0xe8, 0x0f, 0xae, 0xf0, 0x0f, 0xae, 0xf8, 0x0f, 0xae, 0xe9, 0x0f, 0xae, 0xff], {}, { steps: 5 });
add('clflush', [0x0f, 0xae, 0x38], { rax: n(A + 0x40) });
add('clflush-fault', [0x0f, 0xae, 0x38], { rax: 0x5000n });

const host = runHost(cases);
const expected = recorded('misc-cases.json', cases, host);

t.test('differential cases: colonel vs recorded expectations vs the host CPU', async (t) => {
  if (!host) t.comment(`host oracle skipped: ${hostUnavailable()}`);
  for (const c of cases) {
    const got = runColonel(c, 'step');
    t.same(got, expected[c.name], `${c.name}: recorded expectation`);
    t.same(runColonel(c, 'run'), got, `${c.name}: the block engine agrees with single steps`);
    if (host) t.same(host.get(c.name), got, `${c.name}: host CPU`);
  }
});

// ---- explicit checks ----

t.test('pushf/popf round trip; popf leaves IF and IOPL alone', async (t) => {
  // 9c pushf ; 9d popf
  const m = machine([0x9c, 0x9d]).set({ rflags: BigInt(0x202 | CF | ZF | OF | DF) });
  const sp = m.reg('rsp');
  m.step();
  t.equal(m.reg('rsp'), sp - 8n);
  t.same([...m.peek(Number(sp) - 8, 8)], le(0x202 | CF | ZF | OF | DF, 8));
  m.poke(Number(sp) - 8, le(0x3000 | SF | PF | AF, 8)); // try to set IOPL=3 and clear IF
  m.step();
  t.equal(m.reg('rsp'), sp);
  t.equal(m.reg('rflags'), BigInt(0x202 | SF | PF | AF), 'status flags and DF from the stack; IF kept; IOPL stays 0');
});

t.test('lahf/sahf move SF ZF AF PF CF through AH', async (t) => {
  // 9f lahf ; 9e sahf
  const m = machine([0x9f, 0x9e]).set({ rax: 0n, rflags: BigInt(0x202 | SF | CF | OF) }).step();
  t.equal(m.reg('rax'), 0x8300n);
  m.set({ rax: BigInt(ZF | PF | AF) << 8n }).step();
  t.same(m.diff({}, { flags: ZF | PF | AF | OF }), [], 'OF is not in AH and is kept');
});

t.test('enter 0x20, 2 builds a nested frame', async (t) => {
  // c8 20 00 02    enter 0x20,0x2
  const m = machine([0xc8, 0x20, 0x00, 0x02]);
  const sp = Number(m.reg('rsp')), bp = DATA + 0x800;
  m.poke(bp - 8, le(0xabcdefn, 8)).set({ rbp: n(bp) }).step();
  const frame = sp - 8;
  t.same(m.diff({ rbp: n(frame), rsp: n(frame - 16 - 0x20) }), []);
  t.same([...m.peek(frame, 8)], le(bp, 8), 'old rbp');
  t.same([...m.peek(frame - 8, 8)], le(0xabcdef, 8), 'the enclosing frame pointer copied from [rbp-8]');
  t.same([...m.peek(frame - 16, 8)], le(frame, 8), 'this frame');
});

t.test('mov moffs with a 67 prefix has a 4-byte address', async (t) => {
  // 67 a0 10 00 60 00    addr32 mov al,ds:0x600010 ; 90 nop
  const m = machine([0x67, 0xa0, 0x10, 0x00, 0x60, 0x00, 0x90]).poke(DATA + 0x10, [0x5a]).step(2);
  t.same(m.diff({ rax: 0x5an, rip: 0x400007n }), []);
});

t.test('movabs honours an fs override', async (t) => {
  // 64 48 a1 08 00 00 00 00 00 00 00    movabs rax,fs:0x8
  const m = machine([0x64, 0x48, 0xa1, 8, 0, 0, 0, 0, 0, 0, 0]);
  m.cpu.fsBase = DATA;
  m.poke(DATA + 8, le(0x1122334455667788n, 8)).step();
  t.same(m.diff({ rax: 0x1122334455667788n }), []);
});

// Not a differential case: under its hypervisor the host reports int1 with rip on the instruction,
// while the SDM makes INT1 a trap like int3.
t.test('int1 is #DB', async (t) => {
  const m = machine([0xf1]).step();
  t.ok(m.last?.kind === 'fault' && m.last.fault.vector === 1);
  t.equal(m.reg('rip'), 0x400000n, 'rip on the instruction, as for every fault (the kernel adds the length)');
});

t.test('int n: #GP with the IDT error code; int 3: #BP', async (t) => {
  const m = machine([0xcd, 0x80]).step();
  t.ok(m.last?.kind === 'fault' && m.last.fault.vector === 13 && m.last.fault.errorCode === 0x402, 'int 0x80: #GP(0x402)');
  const m3 = machine([0xcd, 0x03]).step();
  t.ok(m3.last?.kind === 'fault' && m3.last.fault.vector === 3);
  t.equal(m3.reg('rip'), 0x400000n, 'rip on the instruction (the kernel adds its length for SIGTRAP)');
});

// ---- cpuid ----

function cpuidOf(leaf: number, sub = 0): [number, number, number, number] {
  // 0f a2    cpuid
  const m = machine([0x0f, 0xa2]).set({ rax: n(leaf) | 0xdead00000000n, rcx: n(sub), rbx: -1n, rdx: -1n }).step();
  const r = [m.reg('rax'), m.reg('rbx'), m.reg('rcx'), m.reg('rdx')];
  for (const v of r) if (v >> 32n) throw new Error('cpuid must zero-extend');
  return r.map(Number) as [number, number, number, number];
}
const str = (...regs: number[]) => Buffer.from(Uint32Array.from(regs).buffer).toString('latin1').replace(/\0+$/, '');

t.test('cpuid: vendor, max leaves, brand', async (t) => {
  const [max, b, c, d] = cpuidOf(0);
  t.equal(max, MAX_BASIC_LEAF);
  t.equal(str(b, d, c), VENDOR);
  t.equal(VENDOR, 'AuthenticAMD');
  const [emax] = cpuidOf(0x80000000);
  t.equal(emax >>> 0, MAX_EXTENDED_LEAF);
  const brand = [0x80000002, 0x80000003, 0x80000004].flatMap((l) => cpuidOf(l));
  t.equal(str(...brand), BRAND);
  t.equal(BRAND, 'colonel x86-64 interpreter');
  const [sig] = cpuidOf(1);
  t.equal(((sig >> 8) & 0xf) + ((sig >> 20) & 0xff), 0x17, 'family 0x17');
  t.same(cpuidOf(MAX_BASIC_LEAF + 1), [0, 0, 0, 0], 'above the highest basic leaf: zeros');
  t.same(cpuidOf(MAX_EXTENDED_LEAF + 1), [0, 0, 0, 0]);
  t.same(cpuidOf(0x40000000), [0, 0, 0, 0], 'no hypervisor leaves');
  t.same(cpuidOf(7, 1), [0, 0, 0, 0], 'leaf 7 has only subleaf 0');
  t.same(cpuidOf(0xb, 0), [0, 1, 0x100, 0], 'topology: one SMT thread');
  t.same(cpuidOf(0xb, 1), [0, 1, 0x201, 0], 'one core');
  t.same(cpuidOf(0xb, 2), [0, 0, 2, 0], 'no further levels');
  t.same(cpuidOf(4), [0, 0, 0, 0]);
});

t.test('cpuid: the feature bits are exactly the baseline plus what the ISA rows declare', async (t) => {
  t.same(unknownFeatures(ISA), [], 'every row feature has a CPUID bit');
  const declared = new Set(ISA.filter((r) => r.feature).map((r) => canonicalFeature(r.feature!)));
  const incomplete = incompleteFeatures(ISA);
  if (Object.keys(incomplete).length) t.comment(`declared but incomplete, so not advertised: ${JSON.stringify(incomplete)}`);
  const table = cpuidTable();
  for (const name of Object.keys(FEATURE_BITS)) {
    const want = ALWAYS.includes(name) || (declared.has(name) && !incomplete[name]);
    const { leaf, reg, bit } = FEATURE_BITS[name];
    const regs = cpuidOf(leaf, 0);
    const got = (regs[['eax', 'ebx', 'ecx', 'edx'].indexOf(reg)] >>> bit) & 1;
    t.equal(got, want ? 1 : 0, `${name}: ${want ? 'advertised' : 'not advertised'}`);
    t.equal(table.has(name), want);
  }
  // What the brief and x86-64 require, and what must stay off.
  for (const f of ['fpu', 'tsc', 'cx8', 'cmov', 'fxsr', 'sse', 'sse2', 'syscall', 'nx', 'lm']) t.ok(table.has(f), f);
  t.ok(table.has('rdpid'), 'rdpid (base.ts declares it)');
  t.ok(table.has('rdtscp'), 'rdtscp (base.ts declares it)');
  t.ok(table.has('lahf_lm'), 'lahf_lm (misc.ts declares it)');
  t.ok(table.has('clflush'), 'clflush (misc.ts declares it)');
  t.notOk(table.has('rdrand'), 'rdrand is not implemented');
  t.notOk(table.has('rdseed'), 'rdseed is not implemented');
  t.notOk(table.has('avx') || table.has('xsave'), 'no AVX/XSAVE');
  // Bits outside the map are never set in the feature registers.
  let known1c = 0, known1d = 0;
  for (const b of Object.values(FEATURE_BITS)) {
    if (b.leaf === 1 && b.reg === 'ecx') known1c |= 1 << b.bit;
    if (b.leaf === 1 && b.reg === 'edx') known1d |= 1 << b.bit;
  }
  const [, , c1, d1] = cpuidOf(1);
  t.equal(c1 & ~known1c, 0);
  t.equal(d1 & ~known1d, 0);
  // AMD mirrors the baseline bits of leaf 1 EDX in 0x80000001 EDX.
  const [, , , e1d] = cpuidOf(0x80000001);
  t.equal(e1d & d1 & 0x0183f3ff, d1 & 0x0183f3ff);
});

t.test('cpuid: a row feature turns its bit on (table built from any rows)', async (t) => {
  const rows = [...ISA, { id: 'x', mnemonic: 'popcnt', opcode: '0F B8', operands: [], feature: 'popcnt', exec: () => {} }, { id: 'y', mnemonic: 'lzcnt', opcode: '0F BD', operands: [], feature: 'abm', exec: () => {} }] as const;
  const table = new CpuidTable(rows);
  t.ok(table.has('popcnt'));
  t.ok((table.lookup(1, 0)[2] >>> 23) & 1, 'CPUID.1:ECX[23]');
  t.ok(table.has('lzcnt') && (table.lookup(0x80000001, 0)[2] >>> 5) & 1, 'abm is the lzcnt bit');
  t.same(unknownFeatures([{ id: 'z', mnemonic: 'z', opcode: '90', operands: [], feature: 'warp-drive', exec: () => {} }]), ['warp-drive']);
  // A feature of several instructions needs them all.
  const bmi = (m: string) => ({ id: m, mnemonic: m, opcode: '90', operands: [], feature: 'bmi1', exec: () => {} });
  const partial = new CpuidTable([bmi('tzcnt'), bmi('andn')]);
  t.notOk(partial.has('bmi1'), 'bmi1 with tzcnt and andn only: not advertised');
  t.same(incompleteFeatures([bmi('tzcnt'), bmi('andn')]), { bmi1: ['bextr', 'blsi', 'blsmsk', 'blsr'] });
  t.ok(new CpuidTable(['andn', 'bextr', 'blsi', 'blsmsk', 'blsr', 'tzcnt'].map(bmi)).has('bmi1'), 'all six: advertised');
});

t.test('rows: mnemonics as objdump prints them', async (t) => {
  const byId = new Map(MISC_ROWS.map((r) => [r.id, r]));
  t.equal(byId.get('pushfw')?.mnemonic, 'pushfw');
  t.equal(byId.get('movabs_al_moffs8')?.mnemonic, 'movabs');
  t.same(byId.get('ins_yb_dx')?.operands, ['Yb', 'DX']);
  t.same(byId.get('enter_imm16_imm8')?.operands, ['imm16', 'imm8']);
  for (const r of MISC_ROWS) t.notOk(r.lockable, `${r.id} is not lockable`);
});
