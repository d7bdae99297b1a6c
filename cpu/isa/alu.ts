// The integer ALU group (SDM vol. 2: ADD, OR, ADC, SBB, AND, SUB, XOR, CMP, TEST, INC, DEC, NEG, NOT)
// and the one function that computes them, `alu`, shared by every operand form.
//
// The eight classic operations are numbered as their /digit in opcodes 80/81/83 and as bits 5:3 of
// the one-byte opcodes 00..3F: 0 add, 1 or, 2 adc, 3 sbb, 4 and, 5 sub, 6 xor, 7 cmp.

import type { Cpu } from '../cpu.js';
import type { Insn } from '../insn.js';
import { Lazy } from '../flags.js';
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

// ---- operand plumbing: one closure per (operation, size, form) ----

type Reader = (c: Cpu, d: Insn) => number;
type Writer = (c: Cpu, d: Insn, v: number) => void;
const READ_RM: Record<number, Reader> = { 8: readRM8, 16: readRM16, 32: readRM32 };
const WRITE_BACK_RM: Record<number, Writer> = { 8: writeBackRM8, 16: writeBackRM16, 32: writeBackRM32 };

function readReg(c: Cpu, size: number, d: Insn): number {
  return size === 8 ? c.r8[d.reg8] : size === 16 ? c.r16[4 * d.reg] : c.r32[2 * d.reg];
}
function writeReg(c: Cpu, size: number, d: Insn, v: number): void {
  if (size === 8) c.r8[d.reg8] = v;
  else if (size === 16) c.r16[4 * d.reg] = v;
  else setReg32(c, d.reg, v);
}

/** r/m OP= reg */
function rmReg(op: number, size: number) {
  if (size === 64) {
    return (c: Cpu, d: Insn) => {
      const a = readRM64(c, d), ah = c.thi;
      const r = alu(c, op, 64, a, ah, c.r32[2 * d.reg], c.r32[2 * d.reg + 1]);
      if (op !== CMP) writeBackRM64(c, d, r, c.thi);
    };
  }
  const rd = READ_RM[size], wb = WRITE_BACK_RM[size];
  return (c: Cpu, d: Insn) => {
    const r = alu(c, op, size, rd(c, d), 0, readReg(c, size, d), 0);
    if (op !== CMP) wb(c, d, r);
  };
}

/** reg OP= r/m */
function regRm(op: number, size: number) {
  if (size === 64) {
    return (c: Cpu, d: Insn) => {
      const b = readRM64(c, d), bh = c.thi;
      const r = alu(c, op, 64, c.r32[2 * d.reg], c.r32[2 * d.reg + 1], b, bh);
      if (op !== CMP) { c.r32[2 * d.reg] = r; c.r32[2 * d.reg + 1] = c.thi; }
    };
  }
  const rd = READ_RM[size];
  return (c: Cpu, d: Insn) => {
    const r = alu(c, op, size, readReg(c, size, d), 0, rd(c, d), 0);
    if (op !== CMP) writeReg(c, size, d, r);
  };
}

/** r/m OP= imm (the immediate is already sign-extended by the decoder) */
function rmImm(op: number, size: number) {
  if (size === 64) {
    return (c: Cpu, d: Insn) => {
      const a = readRM64(c, d), ah = c.thi;
      const r = alu(c, op, 64, a, ah, d.imm, d.immHi);
      if (op !== CMP) writeBackRM64(c, d, r, c.thi);
    };
  }
  const rd = READ_RM[size], wb = WRITE_BACK_RM[size];
  return (c: Cpu, d: Insn) => {
    const r = alu(c, op, size, rd(c, d), 0, mask(size, d.imm), 0);
    if (op !== CMP) wb(c, d, r);
  };
}

/** AL/AX/EAX/RAX OP= imm */
function accImm(op: number, size: number) {
  if (size === 64) {
    return (c: Cpu, d: Insn) => {
      const r = alu(c, op, 64, c.r32[0], c.r32[1], d.imm, d.immHi);
      if (op !== CMP) { c.r32[0] = r; c.r32[1] = c.thi; }
    };
  }
  return (c: Cpu, d: Insn) => {
    const a = size === 8 ? c.r8[0] : size === 16 ? c.r16[0] : c.r32[0];
    const r = alu(c, op, size, a, 0, mask(size, d.imm), 0);
    if (op === CMP) return;
    if (size === 8) c.r8[0] = r;
    else if (size === 16) c.r16[0] = r;
    else setReg32(c, 0, r);
  };
}

/** test r/m, reg|imm: and without writing. */
function testForm(size: number, imm: boolean) {
  if (size === 64) {
    return (c: Cpu, d: Insn) => {
      const a = readRM64(c, d), ah = c.thi;
      if (imm) alu(c, AND, 64, a, ah, d.imm, d.immHi);
      else alu(c, AND, 64, a, ah, c.r32[2 * d.reg], c.r32[2 * d.reg + 1]);
    };
  }
  const rd = READ_RM[size];
  return (c: Cpu, d: Insn) => alu(c, AND, size, rd(c, d), 0, imm ? mask(size, d.imm) : readReg(c, size, d), 0);
}

function testAcc(size: number) {
  return (c: Cpu, d: Insn) => {
    if (size === 64) alu(c, AND, 64, c.r32[0], c.r32[1], d.imm, d.immHi);
    else alu(c, AND, size, size === 8 ? c.r8[0] : size === 16 ? c.r16[0] : c.r32[0], 0, mask(size, d.imm), 0);
  };
}

/** inc/dec/neg/not r/m */
function unary(kind: 'inc' | 'dec' | 'neg' | 'not', size: number) {
  return (c: Cpu, d: Insn) => {
    let a: number, ah = 0;
    if (size === 64) { a = readRM64(c, d); ah = c.thi; } else a = READ_RM[size](c, d);
    let r: number, rh = 0;
    if (kind === 'inc' || kind === 'dec') { r = incdec(c, kind === 'dec', size, a, ah); rh = c.thi; }
    else if (kind === 'neg') { r = alu(c, SUB, size, 0, 0, a, ah); rh = c.thi; }
    else { r = size === 64 ? ~a : mask(size, ~a); rh = ~ah; }
    if (size === 64) writeBackRM64(c, d, r, rh);
    else WRITE_BACK_RM[size](c, d, r);
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
    rows.push({ id: `${m}_rm${sfx(s)}_r${sfx(s)}`, mnemonic: m, opcode: `${osz(s)}${hex2(base)} /r`, operands: [rmOf(s), rOf(s)], flags, lockable, exec: rmReg(op, s) });
    rows.push({ id: `${m}_r${sfx(s)}_rm${sfx(s)}`, mnemonic: m, opcode: `${osz(s)}${hex2(base + 2)} /r`, operands: [rOf(s), rmOf(s)], flags, exec: regRm(op, s) });
    rows.push({ id: `${m}_${accOf(s).toLowerCase()}_imm${s === 64 ? 32 : s}`, mnemonic: m, opcode: `${osz(s)}${hex2(base + 4)} ${immCode(s === 64 ? 32 : s)}`, operands: [accOf(s), immOf(s === 64 ? 32 : s)], flags, exec: accImm(op, s) });
    rows.push({ id: `${m}_rm${sfx(s)}_imm${s === 64 ? 32 : s}`, mnemonic: m, opcode: `${osz(s)}${s === 8 ? '80' : '81'} /${op} ${immCode(s === 64 ? 32 : s)}`, operands: [rmOf(s), immOf(s === 64 ? 32 : s)], flags, lockable, exec: rmImm(op, s) });
    if (s !== 8) rows.push({ id: `${m}_rm${sfx(s)}_imm8`, mnemonic: m, opcode: `${osz(s)}83 /${op} ib`, operands: [rmOf(s), 'imm8'], flags, lockable, exec: rmImm(op, s) });
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
