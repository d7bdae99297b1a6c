// Case generators for every general-purpose row of the ISA table (cpu/isa/alu, base, shift, muldiv,
// bits, string, misc), for the native runner (native-exec.c through native.ts). suite.ts's genCase
// covers a row whose operands are all explicit; this file adds what the rest need: implicit registers
// (rax:rdx, cl, rsi/rdi/rcx), a stack inside the compared window (push, pop, call, ret, enter, leave,
// pushf/popf), branch targets that fall inside the code, absolute addresses (moffs), and values shaped
// as the per-group tests shape them (shift counts around the operand size, divisions that mostly do
// not overflow, bit offsets reaching outside the operand). The fidelity harness (tests/fidelity/)
// draws its millions of cases from here; tests/isa-{shift,muldiv,bits}.test.ts keep their own streams
// so their recorded vectors stay valid.
//
// Beyond the per-group tests, cases here vary the addressing (index registers, no base, rip-relative,
// mod 00; suite.ts varyAddress), add null-segment and redundant prefixes, and sometimes a lock prefix
// where the CPU refuses one (#UD).

import type { IsaRow } from '../../cpu/isa/types.js';
import { parseEncoding } from '../../cpu/isa/types.js';
import { genCase, randValue, bytesOf, operandSize, type Draft, type GenOptions, type Rng } from './suite.js';
import { assemble } from './asm.js';
import { defaultRegs, windowPattern, FLAG_BITS, WINDOW, WINDOW_LEN, type Case } from './native.js';
import { CODE } from '../helpers/machine.js';

/** GPR rows the native runner cannot compare, and why (FIDELITY.md lists them). */
export const NOT_COMPARED: Readonly<Record<string, string>> = {
  syscall: 'enters the kernel: natively it would make a real system call (tests/syscalls.test.ts and the fixtures cover it)',
  rdtsc: 'reads the time-stamp counter: colonel models a virtual TSC (kernel/time)',
  rdtscp: 'reads the TSC and IA32_TSC_AUX: virtual TSC, and the host CPU number differs from colonel\'s cpu 0',
  rdpid_r64: 'reads IA32_TSC_AUX: the host\'s CPU number, colonel\'s cpu 0',
  cpuid: 'colonel presents its own CPU model and features (cpu/isa/cpuid.ts; tests/isa-misc.test.ts)',
  int1: 'the host\'s hypervisor reports int1 differently from bare metal (tests/isa-misc.test.ts)',
};

/** 48 8d 40 01    lea rax,[rax+0x1]: placed after a branch, it shows whether the branch was taken. */
const LEA_RAX = [0x48, 0x8d, 0x40, 0x01];
const RSP = 4, RBP = 5;
const TF = 0x100, AC = 0x40000;

const sizeOf = (id: string): number => {
  const m = /_(?:rm|r|m)(8|16|32|64)\b|_(al|ax|eax|rax)_/.exec(id);
  if (!m) return 64;
  if (m[1]) return +m[1];
  return { al: 8, ax: 16, eax: 32, rax: 64 }[m[2] as 'al']!;
};

function setLow(d: Draft, r: number, size: number, v: bigint): void {
  const m = (1n << BigInt(size)) - 1n;
  d.regs[r] = (d.regs[r] & ~m) | (BigInt.asUintN(size, v) & m);
}

function setBits(d: Draft, r: number, shift: number, size: number, v: bigint): void {
  const m = ((1n << BigInt(size)) - 1n) << BigInt(shift);
  d.regs[r] = (d.regs[r] & ~m) | ((BigInt.asUintN(size, v) << BigInt(shift)) & m);
}

/** The r/m operand's value (register or memory), low `size` bits. */
function operandValue(d: Draft, size: number): bigint {
  if (d.rm >= 0) return BigInt.asUintN(size, d.regs[d.rm]);
  let v = 0n;
  for (let i = size / 8 - 1; i >= 0; i--) v = (v << 8n) | BigInt(d.mem![d.memOffset + i]);
  return v;
}

/** rsp somewhere in the window with room above and below (sometimes misaligned). */
function stackInWindow(rng: Rng, below = 16): bigint {
  const at = below + 8 * rng.int((WINDOW_LEN - below - 8) / 8 + 1) - (rng.bool(0.1) ? rng.int(8) : 0);
  return BigInt(WINDOW + Math.max(0, at));
}

function randomFlags(rng: Rng, dfChance = 0.05): number {
  return (rng.u32() & FLAG_BITS & ~(1 << 10)) | (rng.bool(dfChance) ? 1 << 10 : 0);
}

/** Shift counts: 0..70 mostly (around every operand size), sometimes any byte. */
const countByte = (rng: Rng) => (rng.bool(0.85) ? rng.int(71) : rng.int(256));

/**
 * Occasional prefixes: null segments (no effect), a lock where none may be (#UD), 66 on a byte form
 * (ignored), REX.W or 66 on a default-64-bit form (REX.W wins over 66; 66 alone makes push/pop 16-bit),
 * F2/F3 on a 0F-map form (some become another instruction, bsf -> tzcnt: the case is then `loose`).
 */
function noise(row: IsaRow, rng: Rng, d: Draft): void {
  const pre: number[] = [];
  const e = parseEncoding(row);
  if (rng.bool(0.04)) pre.push(rng.pick([0x2e, 0x3e, 0x26, 0x36]));
  if (rng.bool(0.015) && !d.lock) pre.push(0xf0); // #UD unless the row is lockable with a memory operand
  if (rng.bool(0.02) && e.byteOp && e.prefix === 0 && e.map === 0) pre.push(0x66); // ignored by byte forms
  if (e.d64 && rng.bool(0.05)) { d.rexW = true; if (e.osize === 16) d.loose = true; } // REX.W makes a 16-bit form the 64-bit one
  if (e.d64 && e.osize === 0 && rng.bool(0.05)) { pre.push(0x66); d.loose = true; }
  if (e.map >= 1 && e.prefix === 0 && rng.bool(0.03)) { pre.push(rng.pick([0xf2, 0xf3])); d.loose = true; }
  if (rng.bool(0.005)) pre.push(0x40 | rng.int(16), rng.pick([0x2e, 0x3e, 0x26, 0x36])); // a REX the CPU ignores
  if (pre.length) d.prefixes = [...pre, ...(d.prefixes ?? [])];
}

function withNoise(row: IsaRow, opt: GenOptions): GenOptions {
  const fix = opt.fix;
  return { varyAddress: true, ...opt, fix: (d, rng) => { fix?.(d, rng); noise(row, rng, d); } };
}

// ---------- per-family options for genCase ----------

function aluOptions(row: IsaRow): GenOptions {
  const acc = /_(al|ax|eax|rax)_imm/.exec(row.id);
  if (acc) return { implicit: [0], size: sizeOf(row.id) };
  return {};
}

function shiftOptions(row: IsaRow): GenOptions {
  const byCl = row.operands.includes('CL');
  const byImm = row.operands.includes('imm8');
  return {
    implicit: byCl ? [1] : [],
    fix: (d, rng) => {
      if (byImm) d.imm = [countByte(rng)];
      if (byCl && d.reg !== 1 && d.rm !== 1 && rng.bool(0.85)) d.regs[1] = (d.regs[1] & ~0xffn) | BigInt(countByte(rng));
    },
  };
}

/** Divisions that mostly do not overflow: choose the divisor, then the dividend's high half. */
function divisionFix(signed: boolean, size: number) {
  return (d: Draft, rng: Rng) => {
    let div = randValue(rng, size) & ((1n << BigInt(size)) - 1n);
    if (rng.bool(0.04)) div = 0n;
    if (d.rm >= 0) { if (d.rm === 0 || d.rm === 2) return; setBits(d, d.rm, 0, size, div); }
    else d.mem!.set(bytesOf(div, size / 8), d.memOffset);
    const highReg = size === 8 ? 0 : 2, highShift = size === 8 ? 8 : 0;
    const low = BigInt.asUintN(size, d.regs[0]);
    let high: bigint;
    const k = rng.int(10);
    if (signed) {
      const sdiv = BigInt.asIntN(size, div);
      const sign = (low >> BigInt(size - 1)) & 1n ? -1n : 0n;
      if (k < 4) high = sign;
      else if (k < 7 && sdiv !== 0n) { const mag = sdiv < 0n ? -sdiv : sdiv; high = BigInt.asUintN(64, BigInt(rng.int(1 << 16)) % mag) * (rng.bool() ? 1n : -1n); }
      else high = randValue(rng, size);
    } else if (k < 8 && div !== 0n) high = rng.u64() % div;
    else high = randValue(rng, size);
    setBits(d, highReg, highShift, size, high);
  };
}

function muldivOptions(row: IsaRow): GenOptions {
  const size = +/\d+$/.exec(row.operands[0])![0];
  const one = row.operands.length === 1;
  const division = /^i?div_/.test(row.id);
  return { implicit: one ? [0, 2] : [], size, fix: division ? divisionFix(row.id.startsWith('idiv'), size) : undefined };
}

function bitsOptions(row: IsaRow): GenOptions {
  const id = row.id;
  const size = +(/(\d+)$/.exec(row.operands[0])?.[1] ?? 64);
  if (/^bt[src]?_rm\d+_r\d+$/.test(id)) {
    // A register bit offset: signed, reaching around the operand in memory (and sometimes far away).
    return {
      fix: (d, rng) => {
        if (!d.mem) return;
        d.memOffset = rng.bool(0.8) ? 32 : 24 + rng.int(16);
        let off = BigInt(rng.int(512) - 256);
        if (rng.bool(0.03)) off = BigInt(rng.pick([1 << 20, -(1 << 20), 1 << 30]));
        const upper = size === 64 ? (off < 0n ? ~((1n << 64n) - 1n) : 0n) : rng.u64() & ~((1n << BigInt(size)) - 1n);
        d.regs[d.reg] = BigInt.asUintN(64, upper | BigInt.asUintN(size, off));
      },
    };
  }
  if (id.startsWith('cmpxchg_')) {
    return { implicit: [0], fix: (d, rng) => { if (rng.bool(0.5) && d.rm !== 0) setLow(d, 0, size, operandValue(d, size)); } };
  }
  if (id.startsWith('cmpxchg8b') || id.startsWith('cmpxchg16b')) {
    const wide = id.startsWith('cmpxchg16b');
    return {
      implicit: [0, 1, 2, 3],
      fix: (d, rng) => {
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

// ---------- base.ts rows that need more than genCase ----------

/** Jcc, jmp rel, loop*, jrcxz, call rel32: a forward branch over `lea rax,[rax+1]`. */
function relBranchCase(row: IsaRow, rng: Rng): Case {
  const e = parseEncoding(row);
  const regs = defaultRegs();
  const code: number[] = [];
  const rcxForm = /^(loop|jrcxz)/.test(row.id);
  const a32 = rcxForm && rng.bool(0.25);
  if (rng.bool(0.1)) code.push(rng.pick([0x2e, 0x3e])); // branch hints
  if (rng.bool(0.02)) code.push(0x66); // AMD: a 16-bit branch (see tests/fidelity/known.ts)
  if (a32) code.push(0x67);
  if (e.map === 1) code.push(0x0f);
  code.push(e.op);
  const rel = rng.bool(0.9) ? LEA_RAX.length : 0; // over the lea, or onto it
  code.push(...(e.rel === 8 ? [rel] : bytesOf(BigInt(rel), 4)));
  code.push(...LEA_RAX);
  if (rcxForm) {
    const v = rng.pick([0n, 1n, 2n, 0x100000000n, 0x100000001n, 0xffffffffn, (1n << 64n) - 1n, BigInt(rng.int(5))]);
    regs[1] = rng.bool(0.3) ? randValue(rng, 64) : v;
  }
  if (row.id === 'call_rel32') regs[RSP] = stackInWindow(rng);
  return { row: row.id, code: Uint8Array.from(code), regs, rflags: randomFlags(rng), mem: windowPattern() };
}

/** jmp/call r/m64: the target (in a register or in the window) is the lea after the branch or the end. */
function indirectCase(row: IsaRow, rng: Rng): Case {
  let draft: Draft | null = null;
  const c = genCase(row, rng, { varyAddress: true, avoid: [RSP], fix: (d) => { draft = d; } });
  const d = draft as unknown as Draft;
  const len = c.code.length;
  const code = Uint8Array.from([...c.code, ...LEA_RAX]);
  const target = BigInt(CODE + len + (rng.bool() ? 0 : LEA_RAX.length));
  if (d.rm >= 0) c.regs[d.rm] = target;
  else { c.mem = c.mem ?? windowPattern(); c.mem.set(bytesOf(target, 8), d.memOffset); }
  if (row.id === 'call_rm64') c.regs[RSP] = stackInWindow(rng);
  return { ...c, code };
}

function retCase(row: IsaRow, rng: Rng): Case {
  const regs = defaultRegs();
  const code = row.id === 'ret' ? [0xc3] : [0xc2, ...bytesOf(BigInt(rng.bool(0.5) ? 8 * rng.int(4) : rng.int(0x10000)), 2)];
  if (rng.bool(0.02)) code.unshift(0x66);
  const len = code.length;
  code.push(...LEA_RAX);
  const sp = stackInWindow(rng, 0);
  regs[RSP] = sp;
  const mem = windowPattern();
  mem.set(bytesOf(BigInt(CODE + len + (rng.bool() ? 0 : LEA_RAX.length)), 8), Number(sp) - WINDOW);
  return { row: row.id, code: Uint8Array.from(code), regs, rflags: randomFlags(rng), mem };
}

/** push/pop/pushf/popf/leave: rsp (and rbp) inside the window. */
function stackOptions(row: IsaRow): GenOptions {
  return {
    avoid: [RSP],
    fix: (d, rng) => {
      d.mem = d.mem ?? windowPattern();
      const sp = stackInWindow(rng);
      d.regs[RSP] = sp;
      const at = Math.min(Number(sp) - WINDOW, WINDOW_LEN - 8);
      if (/^popfw?$/.test(row.id)) d.mem.set(bytesOf(rng.u64() & ~BigInt(TF | AC), 8), at);
      else if (/^pop_/.test(row.id)) d.mem.set(bytesOf(randValue(rng, 64), 8), at);
      if (row.id === 'leave') {
        d.regs[RBP] = BigInt(WINDOW + 8 * rng.int(7) + (rng.bool(0.1) ? rng.int(8) : 0));
        d.regs[RSP] = rng.bool() ? randValue(rng, 64) : sp;
      }
      // pop/push through [rsp + disp]: pop computes the address after incrementing rsp (SDM: POP).
      if (/^p(ush|op)_rm64$/.test(row.id) && d.mem && d.base >= 0 && !d.rip && d.index === undefined && rng.bool(0.3)) {
        d.base = RSP;
        d.memOffset = Math.min(d.memOffset, WINDOW_LEN - 16);
        d.disp = rng.pick([0, 8, -8]);
        d.regs[RSP] = BigInt(WINDOW + d.memOffset - d.disp);
      }
    },
  };
}

function enterCase(row: IsaRow, rng: Rng): Case {
  const regs = defaultRegs();
  const size = rng.pick([0, 8, 16, 0x20, rng.int(0x40), rng.int(0x200), rng.int(0x10000)]);
  const level = rng.pick([0, 1, 2, 3, 4, rng.int(32), rng.int(256)]);
  const code = [...(rng.bool(0.03) ? [0x66] : []), 0xc8, ...bytesOf(BigInt(size), 2), level];
  regs[RSP] = BigInt(WINDOW + 40 + 8 * rng.int(3) - (rng.bool(0.1) ? rng.int(8) : 0));
  regs[RBP] = rng.bool(0.9) ? BigInt(WINDOW + 16 + 8 * rng.int(7)) : randValue(rng, 64);
  const mem = windowPattern();
  for (let i = 0; i < WINDOW_LEN; i += 8) if (rng.bool(0.3)) mem.set(bytesOf(randValue(rng, 64), 8), i);
  return { row: row.id, code: Uint8Array.from(code), regs, rflags: randomFlags(rng), mem };
}

/** lea: any base, index, scale and displacement (values anywhere), rip-relative, 67 (32-bit wrap). */
function leaCase(row: IsaRow, rng: Rng): Case {
  const regs = defaultRegs();
  const reg = rng.int(16);
  const k = rng.int(10);
  const mem = { base: rng.int(16), disp: Number(BigInt.asIntN(32, randValue(rng, 32))), index: undefined as number | undefined, scale: rng.pick([1, 2, 4, 8] as const), rip: k === 0, short: rng.bool(0.2) };
  if (rng.bool(0.3)) mem.disp = rng.int(256) - 128;
  if (k >= 4) { do mem.index = rng.int(16); while (mem.index === 4); }
  if (k === 1) mem.base = -1;
  for (let i = 0; i < 16; i++) if (i !== RSP && rng.bool(0.5)) regs[i] = randValue(rng, 64);
  const prefixes = rng.bool(0.2) ? [0x67] : [];
  const code = assemble(row, { reg, mem, prefixes, rex: rng.bool(0.2) });
  return { row: row.id, code, regs, rflags: randomFlags(rng), mem: null };
}

// ---------- misc.ts rows ----------

function xlatCase(row: IsaRow, rng: Rng): Case {
  const regs = defaultRegs();
  const a32 = rng.bool(0.2);
  regs[3] = BigInt(WINDOW + rng.int(WINDOW_LEN)) | (a32 && rng.bool() ? rng.u64() & ~0xffffffffn : 0n);
  regs[0] = randValue(rng, 64);
  if (rng.bool(0.6)) regs[0] = (regs[0] & ~0xffn) | BigInt(rng.int(WINDOW_LEN));
  const mem = windowPattern();
  for (let i = 0; i < WINDOW_LEN; i++) if (rng.bool(0.5)) mem[i] = rng.int(256);
  return { row: row.id, code: Uint8Array.from([...(a32 ? [0x67] : []), 0xd7]), regs, rflags: randomFlags(rng), mem };
}

function moffsCase(row: IsaRow, rng: Rng): Case {
  const regs = defaultRegs();
  const size = sizeOf(row.id);
  regs[0] = randValue(rng, 64);
  const e = parseEncoding(row);
  const bytes = size / 8;
  let addr = BigInt(WINDOW + (rng.bool(0.8) ? bytes * rng.int(WINDOW_LEN / bytes) : rng.int(WINDOW_LEN - bytes + 1)));
  const k = rng.int(40);
  if (k === 0) addr = 0x123456789n; // unmapped: #PF
  else if (k === 1) addr = 0x8000000000000000n; // non-canonical: #GP
  const a32 = k > 1 && rng.bool(0.15);
  const code: number[] = [];
  if (a32) code.push(0x67);
  if (e.osize === 16) code.push(0x66);
  if (e.osize === 64) code.push(0x48);
  code.push(e.op, ...bytesOf(addr, a32 ? 4 : 8));
  const mem = windowPattern();
  const at = addr - BigInt(WINDOW);
  if (at >= 0n && at < BigInt(WINDOW_LEN)) mem.set(bytesOf(randValue(rng, 64), bytes), Number(at));
  return { row: row.id, code: Uint8Array.from(code), regs, rflags: randomFlags(rng), mem };
}

// ---------- string.ts rows ----------

/** Window bytes with few distinct values, so that cmps/scas find equal elements often. */
function lowEntropy(rng: Rng): Uint8Array {
  const b = new Uint8Array(WINDOW_LEN);
  for (let i = 0; i < WINDOW_LEN; i++) b[i] = rng.pick([0, 0, 0, 1, 0xff, 0x80, rng.int(256)]);
  return b;
}

function stringCase(row: IsaRow, rng: Rng): Case {
  const regs = defaultRegs();
  const size = { b: 8, w: 16, d: 32, q: 64 }[/_[xy]([bwdq])/.exec(row.id)![1] as 'b'];
  const n = size / 8;
  const op = row.mnemonic;
  const rep = rng.pick([0, 0xf3, 0xf3, 0xf2]);
  const a32 = rng.bool(0.15);
  const df = rng.bool(0.4);
  const long = rep !== 0 && rng.bool(0.15);
  const count = long ? rng.int(700 / n) : rng.pick([0, 1, 2, 3, rng.int(9), rng.int(17)]);
  const mem = lowEntropy(rng);
  const start = () => (df ? WINDOW + 32 + rng.int(32 - n + 1) : WINDOW + rng.int(32));
  let si = start(), di = start();
  if (long && rng.bool(0.5)) di = si + (rng.int(33) - 16) * (rng.bool() ? 1 : n); // overlapping moves
  if (op === 'cmps' && rng.bool(0.6)) {
    // Make the destination equal to the source for a while, then differ.
    for (let i = 0; i < 24; i++) {
      const a = si - WINDOW + (df ? -i : i), b = di - WINDOW + (df ? -i : i);
      if (a >= 0 && a < WINDOW_LEN && b >= 0 && b < WINDOW_LEN && rng.bool(0.9)) mem[b] = mem[a];
    }
  }
  const hi = () => (a32 && rng.bool(0.5) ? rng.u64() & ~0xffffffffn : 0n);
  regs[6] = BigInt(si) | hi();
  regs[7] = BigInt(di) | hi();
  regs[1] = rep ? BigInt(count) | (a32 ? rng.u64() & ~0xffffffffn : 0n) : randValue(rng, 64);
  regs[0] = randValue(rng, 64);
  if (op === 'scas' && rng.bool(0.6)) {
    let v = 0n;
    const at = di - WINDOW;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(mem[Math.max(0, Math.min(WINDOW_LEN - 1, at + i))]);
    setLowReg(regs, 0, size, v);
  }
  const prefixes = [...(a32 ? [0x67] : []), ...(rep ? [rep] : [])];
  if (rng.bool(0.05)) prefixes.unshift(rng.pick([0x2e, 0x3e, 0x26]));
  const code = assemble(row, { prefixes, rex: rng.bool(0.1) });
  return { row: row.id, code, regs, rflags: randomFlags(rng, 0) | (df ? 1 << 10 : 0), mem };
}

function setLowReg(regs: bigint[], r: number, size: number, v: bigint): void {
  const m = (1n << BigInt(size)) - 1n;
  regs[r] = (regs[r] & ~m) | (v & m);
}

// ---------- dispatch ----------

const GROUP_OPTIONS: [RegExp, (row: IsaRow) => GenOptions][] = [
  [/^(add|or|adc|sbb|and|sub|xor|cmp|test)_/, aluOptions],
  [/^(rol|ror|rcl|rcr|shl|shr|sar|sal|shld|shrd)_/, shiftOptions],
  [/^(mul|imul|div|idiv)_/, muldivOptions],
  [/^(bt|bts|btr|btc|cmpxchg|cmpxchg8b|cmpxchg16b)_/, bitsOptions],
  [/^(cbw|cwde|cdqe|cwd|cdq|cqo)$/, () => ({ implicit: [0, 2] })],
  [/^(lahf|sahf)$/, () => ({ implicit: [0] })],
  [/^xchg_r\d+_(ax|eax|rax)$/, () => ({ implicit: [0] })],
  [/^(push|pop)(_|f|fw$)|^leave$/, stackOptions],
  [/^int_imm8$/, () => ({ fix: (d, rng) => { d.imm = [rng.bool(0.2) ? 3 : rng.int(256)]; if (d.imm[0] === 0x80) d.imm = [0x81]; } })],
];

/** One random case for a GPR row, or null for a row in NOT_COMPARED. */
export function gprCase(row: IsaRow, rng: Rng): Case | null {
  const id = row.id;
  if (NOT_COMPARED[id]) return null;
  if (row.operands.some((o) => o === 'rel8' || o === 'rel32')) return relBranchCase(row, rng);
  if (id === 'jmp_rm64' || id === 'call_rm64') return indirectCase(row, rng);
  if (id === 'ret' || id === 'ret_imm16') return retCase(row, rng);
  if (id === 'enter_imm16_imm8') return enterCase(row, rng);
  if (id.startsWith('lea_')) return leaCase(row, rng);
  if (id === 'xlat') return xlatCase(row, rng);
  if (id.startsWith('movabs_') && row.operands.some((o) => o.startsWith('moffs'))) return moffsCase(row, rng);
  if (row.operands.some((o) => /^[XY][bwdq]$/.test(o)) && /^(movs|cmps|stos|lods|scas)$/.test(row.mnemonic)) return stringCase(row, rng);
  let opt: GenOptions = {};
  for (const [re, f] of GROUP_OPTIONS) if (re.test(id)) { opt = f(row); break; }
  if (opt.size === undefined && /^(movzx|movsx)/.test(id)) opt.size = operandSize({ ...row, operands: row.operands.slice(1) });
  return genCase(row, rng, withNoise(row, opt));
}

/** Rows whose outcome depends on nothing a case varies much: a few dozen cases say it all. */
export function isConstantRow(row: IsaRow): boolean {
  return row.flow === 'stop' || /^(nop|hint_nop|endbr64|pause|[lms]fence|prefetch|rdssp|clc|stc|cmc|cld|std)/.test(row.id);
}
