// The integer ALU group (SDM vol. 2: ADD, OR, ADC, SBB, AND, SUB, XOR, CMP, TEST, INC, DEC, NEG, NOT)
// and the one function that computes them, `alu`, shared by every operand form.
//
// The eight classic operations are numbered as their /digit in opcodes 80/81/83 and as bits 5:3 of
// the one-byte opcodes 00..3F: 0 add, 1 or, 2 adc, 3 sbb, 4 and, 5 sub, 6 xor, 7 cmp.

import type { Cpu } from '../cpu.js';
import type { Insn, ExecFn } from '../insn.js';
import { Lazy, STATUS } from '../flags.js';
import { flagOp, specialize } from '../specialize.js';
import type { IsaRow, Operand } from './types.js';
import {
  readRM8, readRM16, readRM32, readRM64, writeBackRM8, writeBackRM16, writeBackRM32, writeBackRM64,
  setReg32, mask,
} from '../operands.js';

export const ALU_NAMES = ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'] as const;
const ADD = 0, OR = 1, ADC = 2, SBB = 3, AND = 4, SUB = 5, XOR = 6, CMP = 7;

/**
 * a OP b on `size`-bit values; 8/16-bit inputs must be masked, 32-bit ones int32, 64-bit ones halves.
 * Returns the (masked) result, for 64 bits its low half with the high half in c.thi. Records flags.
 */
export function alu(c: Cpu, op: number, size: number, a: number, ah: number, b: number, bh: number): number {
  let r: number, rh = 0;
  if (size === 64) {
    switch (op) {
      case ADD: {
        const s = (a >>> 0) + (b >>> 0);
        r = s | 0;
        rh = (ah + bh + (s > 0xffffffff ? 1 : 0)) | 0;
        c.setLazy(Lazy.ADD, 64, a, ah, b, bh, r, rh);
        break;
      }
      case ADC: {
        const cin = c.cf() ? 1 : 0;
        const s = (a >>> 0) + (b >>> 0) + cin;
        r = s | 0;
        rh = (ah + bh + (s > 0xffffffff ? 1 : 0)) | 0;
        c.lcf = cin;
        c.setLazy(Lazy.ADC, 64, a, ah, b, bh, r, rh);
        break;
      }
      case SBB: {
        const cin = c.cf() ? 1 : 0;
        const s = (a >>> 0) - (b >>> 0) - cin;
        r = s | 0;
        rh = (ah - bh - (s < 0 ? 1 : 0)) | 0;
        c.lcf = cin;
        c.setLazy(Lazy.SBB, 64, a, ah, b, bh, r, rh);
        break;
      }
      case SUB: case CMP: {
        r = (a - b) | 0;
        rh = (ah - bh - ((a >>> 0) < (b >>> 0) ? 1 : 0)) | 0;
        c.setLazy(Lazy.SUB, 64, a, ah, b, bh, r, rh);
        break;
      }
      case AND: r = a & b; rh = ah & bh; c.setLazy(Lazy.LOGIC, 64, 0, 0, 0, 0, r, rh); break;
      case OR: r = a | b; rh = ah | bh; c.setLazy(Lazy.LOGIC, 64, 0, 0, 0, 0, r, rh); break;
      default: r = a ^ b; rh = ah ^ bh; c.setLazy(Lazy.LOGIC, 64, 0, 0, 0, 0, r, rh); break;
    }
    c.thi = rh;
    return r;
  }
  switch (op) {
    case ADD: r = mask(size, a + b); c.setLazy(Lazy.ADD, size, a, 0, b, 0, r, 0); break;
    case ADC: {
      const cin = c.cf() ? 1 : 0;
      r = mask(size, a + b + cin);
      c.lcf = cin;
      c.setLazy(Lazy.ADC, size, a, 0, b, 0, r, 0);
      break;
    }
    case SBB: {
      const cin = c.cf() ? 1 : 0;
      r = mask(size, a - b - cin);
      c.lcf = cin;
      c.setLazy(Lazy.SBB, size, a, 0, b, 0, r, 0);
      break;
    }
    case SUB: case CMP: r = mask(size, a - b); c.setLazy(Lazy.SUB, size, a, 0, b, 0, r, 0); break;
    case AND: r = a & b; c.setLazy(Lazy.LOGIC, size, 0, 0, 0, 0, r, 0); break;
    case OR: r = a | b; c.setLazy(Lazy.LOGIC, size, 0, 0, 0, 0, r, 0); break;
    default: r = a ^ b; c.setLazy(Lazy.LOGIC, size, 0, 0, 0, 0, r, 0); break;
  }
  return r;
}

/** inc/dec: like add/sub of 1 but CF is left as it was. */
export function incdec(c: Cpu, dec: boolean, size: number, a: number, ah: number): number {
  const cf = c.cf();
  let r: number, rh = 0;
  if (size === 64) {
    if (dec) { r = (a - 1) | 0; rh = (ah - (a === 0 ? 1 : 0)) | 0; }
    else { r = (a + 1) | 0; rh = (ah + (r === 0 ? 1 : 0)) | 0; }
  } else r = mask(size, dec ? a - 1 : a + 1);
  c.lcf = cf;
  c.setLazy(dec ? Lazy.DEC : Lazy.INC, size, a, ah, 1, 0, r, rh);
  c.thi = rh;
  return r;
}

// ---- the operations as small functions, one per (operation, size class) ----
// Each exec function calls exactly one of these, so V8 inlines it.

// add and sub without flags are the block compiler's twins (flagOp, below); with flags, they record them.
function add64nf(c: Cpu, a: number, ah: number, b: number, bh: number): number {
  const s = (a >>> 0) + (b >>> 0);
  c.thi = (ah + bh + (s > 0xffffffff ? 1 : 0)) | 0;
  return s | 0;
}
function sub64nf(c: Cpu, a: number, ah: number, b: number, bh: number): number {
  c.thi = (ah - bh - ((a >>> 0) < (b >>> 0) ? 1 : 0)) | 0;
  return (a - b) | 0;
}
function add64(c: Cpu, a: number, ah: number, b: number, bh: number): number {
  const r = add64nf(c, a, ah, b, bh);
  c.setLazy(Lazy.ADD, 64, a, ah, b, bh, r, c.thi);
  return r;
}
function sub64(c: Cpu, a: number, ah: number, b: number, bh: number): number {
  const r = sub64nf(c, a, ah, b, bh);
  c.setLazy(Lazy.SUB, 64, a, ah, b, bh, r, c.thi);
  return r;
}
function logic64(c: Cpu, r: number, rh: number): number {
  c.setLazy(Lazy.LOGIC, 64, 0, 0, 0, 0, r, rh);
  c.thi = rh;
  return r;
}
const and64 = (c: Cpu, a: number, ah: number, b: number, bh: number) => logic64(c, a & b, ah & bh);
const or64 = (c: Cpu, a: number, ah: number, b: number, bh: number) => logic64(c, a | b, ah | bh);
const xor64 = (c: Cpu, a: number, ah: number, b: number, bh: number) => logic64(c, a ^ b, ah ^ bh);
const adc64 = (c: Cpu, a: number, ah: number, b: number, bh: number) => alu(c, ADC, 64, a, ah, b, bh);
const sbb64 = (c: Cpu, a: number, ah: number, b: number, bh: number) => alu(c, SBB, 64, a, ah, b, bh);

const addNnf = (c: Cpu, size: number, a: number, b: number) => mask(size, a + b);
const subNnf = (c: Cpu, size: number, a: number, b: number) => mask(size, a - b);
function addN(c: Cpu, size: number, a: number, b: number): number {
  const r = addNnf(c, size, a, b);
  c.setLazy(Lazy.ADD, size, a, 0, b, 0, r, 0);
  return r;
}
function subN(c: Cpu, size: number, a: number, b: number): number {
  const r = subNnf(c, size, a, b);
  c.setLazy(Lazy.SUB, size, a, 0, b, 0, r, 0);
  return r;
}
function logicN(c: Cpu, size: number, r: number): number {
  c.setLazy(Lazy.LOGIC, size, 0, 0, 0, 0, r, 0);
  return r;
}
const andN = (c: Cpu, size: number, a: number, b: number) => logicN(c, size, a & b);
const orN = (c: Cpu, size: number, a: number, b: number) => logicN(c, size, a | b);
const xorN = (c: Cpu, size: number, a: number, b: number) => logicN(c, size, a ^ b);
const adcN = (c: Cpu, size: number, a: number, b: number) => alu(c, ADC, size, a, 0, b, 0);
const sbbN = (c: Cpu, size: number, a: number, b: number) => alu(c, SBB, size, a, 0, b, 0);

// Their flag-free twins, which the block compiler binds where nothing reads the flags (flagOp).
flagOp(add64, STATUS, add64nf);
flagOp(sub64, STATUS, sub64nf);
flagOp(and64, STATUS, (c, a, ah, b, bh) => { c.thi = ah & bh; return a & b; });
flagOp(or64, STATUS, (c, a, ah, b, bh) => { c.thi = ah | bh; return a | b; });
flagOp(xor64, STATUS, (c, a, ah, b, bh) => { c.thi = ah ^ bh; return a ^ b; });
flagOp(addN, STATUS, addNnf);
flagOp(subN, STATUS, subNnf);
flagOp(andN, STATUS, (c, size, a, b) => a & b);
flagOp(orN, STATUS, (c, size, a, b) => a | b);
flagOp(xorN, STATUS, (c, size, a, b) => a ^ b);

const OP64 = [add64, or64, adc64, sbb64, and64, sub64, xor64, sub64];
const OPN = [addN, orN, adcN, sbbN, andN, subN, xorN, subN];

// ---- operand plumbing: one specialized exec per (operation, size, form) ----

const READ_RM: Record<number, string> = { 8: 'readRM8', 16: 'readRM16', 32: 'readRM32', 64: 'readRM64' };
const WRITE_BACK_RM: Record<number, string> = { 8: 'writeBackRM8', 16: 'writeBackRM16', 32: 'writeBackRM32', 64: 'writeBackRM64' };
const REG: Record<number, string> = { 8: 'c.r8[d.reg8]', 16: 'c.r16[4 * d.reg]', 32: 'c.r32[2 * d.reg]' };
const ACC: Record<number, string> = { 8: 'c.r8[0]', 16: 'c.r16[0]', 32: 'c.r32[0]' };
const BIND = { readRM8, readRM16, readRM32, readRM64, writeBackRM8, writeBackRM16, writeBackRM32, writeBackRM64, setReg32, mask };

type Form = 'rm_reg' | 'reg_rm' | 'rm_imm' | 'acc_imm' | 'test_rm_reg' | 'test_rm_imm' | 'test_acc';

/**
 * The exec function of an ALU form. `op` is the /digit operation; test forms use AND without
 * writing; CMP never writes.
 */
function aluExec(op: number, size: number, form: Form) {
  const write = op !== CMP && !form.startsWith('test');
  const key = `alu:${op}:${size}:${form}`;
  if (size === 64) {
    const fn = OP64[op];
    const src: Record<Form, string> = {
      rm_reg: `(c, d) => { const a = readRM64(c, d), ah = c.thi; const r = OP(c, a, ah, c.r32[2 * d.reg], c.r32[2 * d.reg + 1]); ${write ? 'writeBackRM64(c, d, r, c.thi);' : ''} }`,
      reg_rm: `(c, d) => { const b = readRM64(c, d), bh = c.thi; const r = OP(c, c.r32[2 * d.reg], c.r32[2 * d.reg + 1], b, bh); ${write ? 'c.r32[2 * d.reg] = r; c.r32[2 * d.reg + 1] = c.thi;' : ''} }`,
      rm_imm: `(c, d) => { const a = readRM64(c, d), ah = c.thi; const r = OP(c, a, ah, d.imm, d.immHi); ${write ? 'writeBackRM64(c, d, r, c.thi);' : ''} }`,
      acc_imm: `(c, d) => { const r = OP(c, c.r32[0], c.r32[1], d.imm, d.immHi); ${write ? 'c.r32[0] = r; c.r32[1] = c.thi;' : ''} }`,
      test_rm_reg: `(c, d) => { const a = readRM64(c, d), ah = c.thi; OP(c, a, ah, c.r32[2 * d.reg], c.r32[2 * d.reg + 1]); }`,
      test_rm_imm: `(c, d) => { const a = readRM64(c, d), ah = c.thi; OP(c, a, ah, d.imm, d.immHi); }`,
      test_acc: `(c, d) => { OP(c, c.r32[0], c.r32[1], d.imm, d.immHi); }`,
    };
    return specialize(key, src[form], { ...BIND, OP: fn });
  }
  const fn = OPN[op];
  const rd = READ_RM[size], wb = WRITE_BACK_RM[size], reg = REG[size], acc = ACC[size];
  const setReg = size === 32 ? 'setReg32(c, d.reg, r);' : `${reg} = r;`;
  const setAcc = size === 32 ? 'setReg32(c, 0, r);' : `${acc} = r;`;
  const imm = `mask(${size}, d.imm)`;
  const src: Record<Form, string> = {
    rm_reg: `(c, d) => { const r = OP(c, ${size}, ${rd}(c, d), ${reg}); ${write ? `${wb}(c, d, r);` : ''} }`,
    reg_rm: `(c, d) => { const r = OP(c, ${size}, ${reg}, ${rd}(c, d)); ${write ? setReg : ''} }`,
    rm_imm: `(c, d) => { const r = OP(c, ${size}, ${rd}(c, d), ${imm}); ${write ? `${wb}(c, d, r);` : ''} }`,
    acc_imm: `(c, d) => { const r = OP(c, ${size}, ${acc}, ${imm}); ${write ? setAcc : ''} }`,
    test_rm_reg: `(c, d) => { OP(c, ${size}, ${rd}(c, d), ${reg}); }`,
    test_rm_imm: `(c, d) => { OP(c, ${size}, ${rd}(c, d), ${imm}); }`,
    test_acc: `(c, d) => { OP(c, ${size}, ${acc}, ${imm}); }`,
  };
  return specialize(key, src[form], { ...BIND, OP: fn });
}

/** Register-register and register-immediate forms of the 32- and 64-bit operations, without the r/m test. */
function aluRegExec(op: number, size: 32 | 64, form: 'rm_reg' | 'reg_rm' | 'rm_imm'): ExecFn {
  const write = op !== CMP;
  const key = `alureg:${op}:${size}:${form}`;
  const dst = form === 'reg_rm' ? 'd.reg' : 'd.rm';
  const src = form === 'rm_reg' ? 'd.reg' : 'd.rm';
  if (size === 64) {
    const b = form === 'rm_imm' ? 'd.imm, d.immHi' : `r[2 * ${src}], r[2 * ${src} + 1]`;
    return specialize(key, `(c, d) => { const r = c.r32; const x = OP(c, r[2 * ${dst}], r[2 * ${dst} + 1], ${b}); ${write ? `r[2 * ${dst}] = x; r[2 * ${dst} + 1] = c.thi;` : ''} }`, { OP: OP64[op] });
  }
  const b = form === 'rm_imm' ? 'd.imm' : `r[2 * ${src}]`;
  return specialize(key, `(c, d) => { const r = c.r32; const x = OP(c, 32, r[2 * ${dst}], ${b}); ${write ? `r[2 * ${dst}] = x; r[2 * ${dst} + 1] = 0;` : ''} }`, { OP: OPN[op] });
}

/** The row's exec, with a register-only variant chosen at decode time for 32/64-bit forms. */
function withRegForm(op: number, size: number, form: 'rm_reg' | 'reg_rm' | 'rm_imm') {
  const exec = aluExec(op, size, form);
  if (size !== 32 && size !== 64) return { exec };
  const reg = aluRegExec(op, size, form);
  return { exec, select: (d: Insn) => (d.mod3 ? reg : exec) };
}
const rmReg = (op: number, size: number) => withRegForm(op, size, 'rm_reg');
const regRm = (op: number, size: number) => withRegForm(op, size, 'reg_rm');
const rmImm = (op: number, size: number) => withRegForm(op, size, 'rm_imm');
const accImm = (op: number, size: number) => aluExec(op, size, 'acc_imm');
const testForm = (size: number, imm: boolean) => aluExec(AND, size, imm ? 'test_rm_imm' : 'test_rm_reg');
const testAcc = (size: number) => aluExec(AND, size, 'test_acc');

type Reader = (c: Cpu, d: Insn) => number;
type Writer = (c: Cpu, d: Insn, v: number) => void;
const READ_RM_FN: Record<number, Reader> = { 8: readRM8, 16: readRM16, 32: readRM32 };
const WRITE_BACK_RM_FN: Record<number, Writer> = { 8: writeBackRM8, 16: writeBackRM16, 32: writeBackRM32 };

/** inc/dec/neg/not r/m */
function unary(kind: 'inc' | 'dec' | 'neg' | 'not', size: number) {
  return (c: Cpu, d: Insn) => {
    let a: number, ah = 0;
    if (size === 64) { a = readRM64(c, d); ah = c.thi; } else a = READ_RM_FN[size](c, d);
    let r: number, rh = 0;
    if (kind === 'inc' || kind === 'dec') { r = incdec(c, kind === 'dec', size, a, ah); rh = c.thi; }
    else if (kind === 'neg') { r = alu(c, SUB, size, 0, 0, a, ah); rh = c.thi; }
    else { r = size === 64 ? ~a : mask(size, ~a); rh = ~ah; }
    if (size === 64) writeBackRM64(c, d, r, rh);
    else WRITE_BACK_RM_FN[size](c, d, r);
  };
}

const SIZES = [8, 16, 32, 64] as const;
const osz = (s: number) => (s === 16 ? 'o16 ' : s === 32 ? 'o32 ' : s === 64 ? 'o64 ' : '');
const hex2 = (n: number) => n.toString(16).toUpperCase().padStart(2, '0');
const rmOf = (s: number) => `r/m${s}` as Operand;
const rOf = (s: number) => `r${s}` as Operand;
const accOf = (s: number) => (['AL', 'AX', 'EAX', 'RAX'] as const)[SIZES.indexOf(s as 8)];
const immOf = (s: number) => (s === 8 ? 'imm8' : s === 16 ? 'imm16' : 'imm32') as Operand;
const immCode = (s: number) => (s === 8 ? 'ib' : s === 16 ? 'iw' : 'id');
const sfx = (s: number) => `${s}`;

const rows: IsaRow[] = [];
const ARITH = { write: 'oszapc' };

for (let op = 0; op < 8; op++) {
  const m = ALU_NAMES[op];
  const flags = op === ADC || op === SBB ? { read: 'c', write: 'oszapc' } : op === AND || op === OR || op === XOR ? { write: 'oszpc', undef: 'a' } : ARITH;
  const lockable = op !== CMP;
  for (const s of SIZES) {
    const base = op * 8 + (s === 8 ? 0 : 1);
    rows.push({ id: `${m}_rm${sfx(s)}_r${sfx(s)}`, mnemonic: m, opcode: `${osz(s)}${hex2(base)} /r`, operands: [rmOf(s), rOf(s)], flags, lockable, ...rmReg(op, s) });
    rows.push({ id: `${m}_r${sfx(s)}_rm${sfx(s)}`, mnemonic: m, opcode: `${osz(s)}${hex2(base + 2)} /r`, operands: [rOf(s), rmOf(s)], flags, ...regRm(op, s) });
    rows.push({ id: `${m}_${accOf(s).toLowerCase()}_imm${s === 64 ? 32 : s}`, mnemonic: m, opcode: `${osz(s)}${hex2(base + 4)} ${immCode(s === 64 ? 32 : s)}`, operands: [accOf(s), immOf(s === 64 ? 32 : s)], flags, exec: accImm(op, s) });
    rows.push({ id: `${m}_rm${sfx(s)}_imm${s === 64 ? 32 : s}`, mnemonic: m, opcode: `${osz(s)}${s === 8 ? '80' : '81'} /${op} ${immCode(s === 64 ? 32 : s)}`, operands: [rmOf(s), immOf(s === 64 ? 32 : s)], flags, lockable, ...rmImm(op, s) });
    if (s !== 8) rows.push({ id: `${m}_rm${sfx(s)}_imm8`, mnemonic: m, opcode: `${osz(s)}83 /${op} ib`, operands: [rmOf(s), 'imm8'], flags, lockable, ...rmImm(op, s) });
  }
}

for (const s of SIZES) {
  const w = s === 8 ? 0 : 1;
  rows.push({ id: `test_rm${s}_r${s}`, mnemonic: 'test', opcode: `${osz(s)}${hex2(0x84 + w)} /r`, operands: [rmOf(s), rOf(s)], flags: { write: 'oszpc', undef: 'a' }, exec: testForm(s, false) });
  rows.push({ id: `test_${accOf(s).toLowerCase()}_imm${s === 64 ? 32 : s}`, mnemonic: 'test', opcode: `${osz(s)}${hex2(0xa8 + w)} ${immCode(s === 64 ? 32 : s)}`, operands: [accOf(s), immOf(s === 64 ? 32 : s)], flags: { write: 'oszpc', undef: 'a' }, exec: testAcc(s) });
  rows.push({ id: `test_rm${s}_imm${s === 64 ? 32 : s}`, mnemonic: 'test', opcode: `${osz(s)}${hex2(0xf6 + w)} /0 ${immCode(s === 64 ? 32 : s)}`, operands: [rmOf(s), immOf(s === 64 ? 32 : s)], flags: { write: 'oszpc', undef: 'a' }, exec: testForm(s, true) });
  rows.push({ id: `not_rm${s}`, mnemonic: 'not', opcode: `${osz(s)}${hex2(0xf6 + w)} /2`, operands: [rmOf(s)], lockable: true, exec: unary('not', s) });
  rows.push({ id: `neg_rm${s}`, mnemonic: 'neg', opcode: `${osz(s)}${hex2(0xf6 + w)} /3`, operands: [rmOf(s)], flags: ARITH, lockable: true, exec: unary('neg', s) });
  rows.push({ id: `inc_rm${s}`, mnemonic: 'inc', opcode: `${osz(s)}${hex2(0xfe + w)} /0`, operands: [rmOf(s)], flags: { write: 'oszap' }, lockable: true, exec: unary('inc', s) });
  rows.push({ id: `dec_rm${s}`, mnemonic: 'dec', opcode: `${osz(s)}${hex2(0xfe + w)} /1`, operands: [rmOf(s)], flags: { write: 'oszap' }, lockable: true, exec: unary('dec', s) });
}

export const ALU_ROWS: readonly IsaRow[] = rows;
