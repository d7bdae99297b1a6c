// Bit operations and the atomic exchange family (SDM vol. 2: BT, BTS, BTR, BTC, BSF, BSR, TZCNT,
// LZCNT, POPCNT, BSWAP, MOVBE, XADD, CMPXCHG, CMPXCHG8B/CMPXCHG16B).
//
// Bit tests. With a register bit offset and a memory operand, the offset is a signed integer of the
// operand size that may address bits outside the operand: the access is at
// EA + (size/8) * floor(offset / size), bit offset mod size. With a register operand, or an imm8
// offset, the offset is taken mod the operand size.
//
// Flags. Where the SDM leaves flags undefined, colonel does what AMD Zen does (verified against the
// host CPU by tests/isa-bits.test.ts, so no `undef` is listed):
//   bt/bts/btr/btc: CF = the bit; every other flag unchanged (the SDM: OF SF AF PF undefined).
//   bsf/bsr: ZF = (source == 0); every other flag unchanged (the SDM: CF OF SF AF PF undefined). A
//     zero source leaves the destination unchanged, even a 32-bit register's upper half (AMD
//     documents this; Intel calls the destination undefined).
//   tzcnt/lzcnt: CF = (source == 0), ZF = (result == 0), SF = AF = PF = 0, OF unchanged (the SDM:
//     OF SF AF PF undefined).
//   popcnt: ZF = (source == 0), the others cleared (defined by the SDM).
// xadd and cmpxchg set the flags as add and cmp do.
//
// cmpxchg compares the accumulator with the destination. Equal: ZF = 1 and the destination receives
// the source (so rax keeps its upper half in the 32-bit form). Not equal: ZF = 0 and the accumulator
// receives the destination (eax is written, so rax is zero-extended); a memory destination is written
// back with its own value (the SDM: the processor never produces a locked read without a write), a
// register destination is left alone (its upper half survives; checked on the host CPU).

import type { Cpu } from '../cpu.js';
import type { ExecFn } from '../insn.js';
import { CF, PF, AF, ZF, SF, STATUS, Lazy } from '../flags.js';
import { GuestFault, Vector } from '../fault.js';
import type { IsaRow, Operand } from './types.js';
import { alu } from './alu.js';
import {
  ea, readRM8, readRM16, readRM32, readRM64, writeBackRM8, writeBackRM16, writeBackRM32, writeBackRM64,
  setReg32, setReg64,
} from '../operands.js';

const ADD = 0, CMP = 7;
const BT = 0, BTS = 1, BTR = 2, BTC = 3;
const BT_NAMES = ['bt', 'bts', 'btr', 'btc'] as const;

/** The bit-test operation on one 32-bit (or narrower) word: returns the new word. */
function btOp(op: number, v: number, bit: number): number {
  const m = 1 << bit;
  return op === BTS ? v | m : op === BTR ? v & ~m : op === BTC ? v ^ m : v;
}

function btExec(op: number, size: number, imm: boolean): ExecFn {
  const bytes = size / 8;
  return (c, d) => {
    const r = c.r32;
    let bit: number;
    if (d.mod3) {
      bit = (imm ? d.imm : r[2 * d.reg]) & (size - 1);
      const i = 2 * d.rm;
      if (size === 16) {
        const v = c.r16[4 * d.rm];
        c.setStatus(CF, (v >>> bit) & 1);
        if (op !== BT) c.r16[4 * d.rm] = btOp(op, v, bit);
      } else if (size === 32) {
        const v = r[i];
        c.setStatus(CF, (v >>> bit) & 1);
        if (op !== BT) setReg32(c, d.rm, btOp(op, v, bit));
      } else {
        const h = bit >> 5, b = bit & 31;
        const v = r[i + h];
        c.setStatus(CF, (v >>> b) & 1);
        if (op !== BT) r[i + h] = btOp(op, v, b);
      }
      return;
    }
    let a = ea(c, d);
    if (imm) bit = d.imm & (size - 1);
    else {
      // A signed bit offset that can reach outside the operand.
      let off: number;
      if (size === 16) off = (c.r16[4 * d.reg] << 16) >> 16;
      else if (size === 32) off = r[2 * d.reg];
      else off = r[2 * d.reg + 1] * 4294967296 + (r[2 * d.reg] >>> 0);
      a += Math.floor(off / size) * bytes;
      bit = r[2 * d.reg] & (size - 1);
    }
    const mem = c.mem;
    if (size === 16) {
      const v = mem.read16(a);
      c.setStatus(CF, (v >>> bit) & 1);
      if (op !== BT) mem.write16(a, btOp(op, v, bit));
    } else if (size === 32) {
      const v = mem.read32(a);
      c.setStatus(CF, (v >>> bit) & 1);
      if (op !== BT) mem.write32(a, btOp(op, v, bit));
    } else {
      let lo = mem.read64(a), hi = mem.hi;
      if (bit < 32) { c.setStatus(CF, (lo >>> bit) & 1); lo = btOp(op, lo, bit); }
      else { c.setStatus(CF, (hi >>> (bit - 32)) & 1); hi = btOp(op, hi, bit - 32); }
      if (op !== BT) mem.write64(a, lo, hi);
    }
  };
}

// ---- bit scans and counts ----

/** Index of the lowest set bit of a non-zero int32. */
const ctz = (v: number) => 31 - Math.clz32(v & -v);

function popcount(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}

type ScanKind = 'bsf' | 'bsr' | 'tzcnt' | 'lzcnt' | 'popcnt';

/** The result of a scan or count of a 64-bit (lo, hi) or narrower (hi = 0) value; -1: no bit (bsf/bsr). */
function scan(kind: ScanKind, size: number, lo: number, hi: number): number {
  switch (kind) {
    case 'popcnt': return popcount(lo) + popcount(hi);
    case 'bsf': case 'tzcnt':
      if (lo !== 0) return ctz(lo);
      if (hi !== 0) return 32 + ctz(hi);
      return kind === 'bsf' ? -1 : size;
    default: {
      let top: number;
      if (hi !== 0) top = 63 - Math.clz32(hi);
      else if (lo !== 0) top = 31 - Math.clz32(lo);
      else return kind === 'bsr' ? -1 : size;
      return kind === 'bsr' ? top : size - 1 - top;
    }
  }
}

function scanExec(kind: ScanKind, size: number): ExecFn {
  return (c, d) => {
    let lo: number, hi = 0;
    if (size === 16) lo = readRM16(c, d);
    else if (size === 32) lo = readRM32(c, d);
    else { lo = readRM64(c, d); hi = c.thi; }
    const zero = (lo | hi) === 0;
    const n = scan(kind, size, lo, hi);
    if (kind === 'bsf' || kind === 'bsr') {
      c.setStatus(ZF, zero ? ZF : 0);
      if (zero) return; // destination unchanged (AMD)
    } else if (kind === 'popcnt') {
      // All six status flags are written: no need to evaluate the previous ones.
      c.flags = (c.flags & ~STATUS) | (zero ? ZF : 0);
      c.lazy = Lazy.NONE;
    } else c.setStatus(CF | ZF | SF | AF | PF, (zero ? CF : 0) | (n === 0 ? ZF : 0));
    if (size === 16) c.r16[4 * d.reg] = n;
    else if (size === 32) setReg32(c, d.reg, n);
    else setReg64(c, d.reg, n, 0);
  };
}

// ---- byte swaps ----

const bswap32 = (v: number) => (v << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);

function movbeLoad(size: number): ExecFn {
  return (c, d) => {
    const a = ea(c, d);
    if (size === 16) { const v = c.mem.read16(a); c.r16[4 * d.reg] = ((v & 0xff) << 8) | (v >>> 8); }
    else if (size === 32) setReg32(c, d.reg, bswap32(c.mem.read32(a)));
    else { const lo = c.mem.read64(a); setReg64(c, d.reg, bswap32(c.mem.hi), bswap32(lo)); }
  };
}

function movbeStore(size: number): ExecFn {
  return (c, d) => {
    const a = ea(c, d), r = c.r32;
    if (size === 16) { const v = c.r16[4 * d.reg]; c.mem.write16(a, ((v & 0xff) << 8) | (v >>> 8)); }
    else if (size === 32) c.mem.write32(a, bswap32(r[2 * d.reg]));
    else c.mem.write64(a, bswap32(r[2 * d.reg + 1]), bswap32(r[2 * d.reg]));
  };
}

// ---- xadd, cmpxchg ----

function xaddExec(size: number): ExecFn {
  switch (size) {
    case 8:
      return (c, d) => {
        const a = readRM8(c, d), b = c.r8[d.reg8];
        const s = alu(c, ADD, 8, a, 0, b, 0);
        c.r8[d.reg8] = a;
        writeBackRM8(c, d, s);
      };
    case 16:
      return (c, d) => {
        const a = readRM16(c, d), b = c.r16[4 * d.reg];
        const s = alu(c, ADD, 16, a, 0, b, 0);
        c.r16[4 * d.reg] = a;
        writeBackRM16(c, d, s);
      };
    case 32:
      return (c, d) => {
        const a = readRM32(c, d), b = c.r32[2 * d.reg];
        const s = alu(c, ADD, 32, a, 0, b, 0);
        setReg32(c, d.reg, a);
        writeBackRM32(c, d, s);
      };
    default:
      return (c, d) => {
        const a = readRM64(c, d), ah = c.thi, i = 2 * d.reg;
        const s = alu(c, ADD, 64, a, ah, c.r32[i], c.r32[i + 1]), sh = c.thi;
        setReg64(c, d.reg, a, ah);
        writeBackRM64(c, d, s, sh);
      };
  }
}

function cmpxchgExec(size: number): ExecFn {
  switch (size) {
    case 8:
      return (c, d) => {
        const v = readRM8(c, d), acc = c.r8[0];
        alu(c, CMP, 8, acc, 0, v, 0);
        if (acc === v) writeBackRM8(c, d, c.r8[d.reg8]);
        else { c.r8[0] = v; if (!d.mod3) writeBackRM8(c, d, v); }
      };
    case 16:
      return (c, d) => {
        const v = readRM16(c, d), acc = c.r16[0];
        alu(c, CMP, 16, acc, 0, v, 0);
        if (acc === v) writeBackRM16(c, d, c.r16[4 * d.reg]);
        else { c.r16[0] = v; if (!d.mod3) writeBackRM16(c, d, v); }
      };
    case 32:
      return (c, d) => {
        const v = readRM32(c, d), acc = c.r32[0];
        alu(c, CMP, 32, acc, 0, v, 0);
        if (acc === v) writeBackRM32(c, d, c.r32[2 * d.reg]);
        else { setReg32(c, 0, v); if (!d.mod3) writeBackRM32(c, d, v); }
      };
    default:
      return (c, d) => {
        const v = readRM64(c, d), vh = c.thi, r = c.r32;
        const acc = r[0], acch = r[1];
        alu(c, CMP, 64, acc, acch, v, vh);
        if (acc === v && acch === vh) writeBackRM64(c, d, r[2 * d.reg], r[2 * d.reg + 1]);
        else { r[0] = v; r[1] = vh; if (!d.mod3) writeBackRM64(c, d, v, vh); }
      };
  }
}

/** cmpxchg8b m64: edx:eax vs m64; equal: ZF = 1, m64 = ecx:ebx; else ZF = 0, edx:eax = m64. */
const cmpxchg8b: ExecFn = (c, d) => {
  const a = ea(c, d), r = c.r32;
  const lo = c.mem.read64(a), hi = c.mem.hi;
  if (lo === r[0] && hi === r[4]) {
    c.mem.write64(a, r[6], r[2]);
    c.setStatus(ZF, ZF);
  } else {
    c.mem.write64(a, lo, hi);
    setReg32(c, 0, lo);
    setReg32(c, 2, hi);
    c.setStatus(ZF, 0);
  }
};

/** cmpxchg16b m128 (16-byte aligned, else #GP): rdx:rax vs m128; equal: m128 = rcx:rbx. */
const cmpxchg16b: ExecFn = (c, d) => {
  const a = ea(c, d), r = c.r32;
  if (a % 16 !== 0) throw new GuestFault(Vector.GP, 0, 0, 'cmpxchg16b: unaligned operand');
  const l0 = c.mem.read64(a), l1 = c.mem.hi;
  const h0 = c.mem.read64(a + 8), h1 = c.mem.hi;
  if (l0 === r[0] && l1 === r[1] && h0 === r[4] && h1 === r[5]) {
    c.mem.checkWritable(a, 16);
    c.mem.write64(a, r[6], r[7]);
    c.mem.write64(a + 8, r[2], r[3]);
    c.setStatus(ZF, ZF);
  } else {
    c.mem.checkWritable(a, 16);
    c.mem.write64(a, l0, l1);
    c.mem.write64(a + 8, h0, h1);
    r[0] = l0; r[1] = l1; r[4] = h0; r[5] = h1;
    c.setStatus(ZF, 0);
  }
};

// ---- rows ----

const osz = (s: number) => (s === 16 ? 'o16 ' : s === 32 ? 'o32 ' : s === 64 ? 'o64 ' : '');
const rows: IsaRow[] = [];
const W = [16, 32, 64] as const;

for (let op = BT; op <= BTC; op++) {
  const m = BT_NAMES[op];
  const lockable = op !== BT;
  const regOp = ['A3', 'AB', 'B3', 'BB'][op];
  for (const s of W) {
    const rm = `r/m${s}` as Operand, r = `r${s}` as Operand;
    rows.push({ id: `${m}_rm${s}_r${s}`, mnemonic: m, opcode: `${osz(s)}0F ${regOp} /r`, operands: [rm, r], flags: { write: 'c' }, lockable, exec: btExec(op, s, false) });
    rows.push({ id: `${m}_rm${s}_imm8`, mnemonic: m, opcode: `${osz(s)}0F BA /${4 + op} ib`, operands: [rm, 'imm8'], flags: { write: 'c' }, lockable, exec: btExec(op, s, true) });
  }
}

for (const s of W) {
  const rm = `r/m${s}` as Operand, r = `r${s}` as Operand;
  rows.push({ id: `bsf_r${s}_rm${s}`, mnemonic: 'bsf', opcode: `${osz(s)}0F BC /r`, operands: [r, rm], flags: { write: 'z' }, exec: scanExec('bsf', s) });
  rows.push({ id: `bsr_r${s}_rm${s}`, mnemonic: 'bsr', opcode: `${osz(s)}0F BD /r`, operands: [r, rm], flags: { write: 'z' }, exec: scanExec('bsr', s) });
  rows.push({ id: `tzcnt_r${s}_rm${s}`, mnemonic: 'tzcnt', opcode: `F3 ${osz(s)}0F BC /r`, operands: [r, rm], flags: { write: 'szapc' }, feature: 'bmi1', exec: scanExec('tzcnt', s) });
  rows.push({ id: `lzcnt_r${s}_rm${s}`, mnemonic: 'lzcnt', opcode: `F3 ${osz(s)}0F BD /r`, operands: [r, rm], flags: { write: 'szapc' }, feature: 'lzcnt', exec: scanExec('lzcnt', s) });
  rows.push({ id: `popcnt_r${s}_rm${s}`, mnemonic: 'popcnt', opcode: `F3 ${osz(s)}0F B8 /r`, operands: [r, rm], flags: { write: 'oszapc' }, feature: 'popcnt', exec: scanExec('popcnt', s) });
  const m = `m${s}` as Operand;
  rows.push({ id: `movbe_r${s}_m${s}`, mnemonic: 'movbe', opcode: `${osz(s)}0F 38 F0 /r mod=mem`, operands: [r, m], feature: 'movbe', exec: movbeLoad(s) });
  rows.push({ id: `movbe_m${s}_r${s}`, mnemonic: 'movbe', opcode: `${osz(s)}0F 38 F1 /r mod=mem`, operands: [m, r], feature: 'movbe', exec: movbeStore(s) });
}

rows.push({ id: 'bswap_r32', mnemonic: 'bswap', opcode: 'o32 0F C8 +r', operands: ['r32'], exec: (c, d) => setReg32(c, d.reg, bswap32(c.r32[2 * d.reg])) });
rows.push({ id: 'bswap_r64', mnemonic: 'bswap', opcode: 'o64 0F C8 +r', operands: ['r64'], exec: (c, d) => { const i = 2 * d.reg, lo = c.r32[i]; c.r32[i] = bswap32(c.r32[i + 1]); c.r32[i + 1] = bswap32(lo); } });

for (const s of [8, 16, 32, 64]) {
  const rm = `r/m${s}` as Operand, r = `r${s}` as Operand;
  const op = s === 8 ? 'C0' : 'C1', opx = s === 8 ? 'B0' : 'B1';
  rows.push({ id: `xadd_rm${s}_r${s}`, mnemonic: 'xadd', opcode: `${osz(s)}0F ${op} /r`, operands: [rm, r], flags: { write: 'oszapc' }, lockable: true, exec: xaddExec(s) });
  rows.push({ id: `cmpxchg_rm${s}_r${s}`, mnemonic: 'cmpxchg', opcode: `${osz(s)}0F ${opx} /r`, operands: [rm, r], flags: { write: 'oszapc' }, lockable: true, exec: cmpxchgExec(s) });
}

rows.push({ id: 'cmpxchg8b_m64', mnemonic: 'cmpxchg8b', opcode: '0F C7 /1 mod=mem', operands: ['m64'], flags: { write: 'z' }, feature: 'cx8', lockable: true, exec: cmpxchg8b });
rows.push({ id: 'cmpxchg16b_m128', mnemonic: 'cmpxchg16b', opcode: 'o64 0F C7 /1 mod=mem', operands: ['m128'], flags: { write: 'z' }, feature: 'cx16', lockable: true, exec: cmpxchg16b });

export const BITS_ROWS: readonly IsaRow[] = rows;
