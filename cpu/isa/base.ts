// Data movement, the stack, control transfer and the system instructions a user program meets
// (SDM vol. 2: MOV, LEA, MOVZX/MOVSX/MOVSXD, PUSH/POP, XCHG, JMP/Jcc/CALL/RET, SETcc, CMOVcc, NOP,
// CBW..CQO, LEAVE, SYSCALL, RDTSC, HLT, UD2, INT3).

import type { Cpu } from '../cpu.js';
import type { Insn, ExecFn } from '../insn.js';
import { CONDITION_NAMES, DF } from '../flags.js';
import { GuestFault, Vector, generalProtection } from '../fault.js';
import type { IsaRow, Operand } from './types.js';
import { specialize } from '../specialize.js';
import {
  ea, readRM8, readRM16, readRM32, readRM64, writeRM8, writeRM16, writeRM32, writeRM64, setReg32, setReg64,
  push64, pop64, push16, pop16, rsp, setRsp,
} from '../operands.js';

const SIZES = [16, 32, 64] as const;
const osz = (s: number) => (s === 16 ? 'o16 ' : s === 32 ? 'o32 ' : 'o64 ');
const rows: IsaRow[] = [];
const row = (r: IsaRow) => rows.push(r);

/** Write general register d.reg with a value of operand size s (s = 32 zero-extends). */
function setReg(c: Cpu, d: Insn, s: number, lo: number, hi: number): void {
  if (s === 8) c.r8[d.reg8] = lo;
  else if (s === 16) c.r16[4 * d.reg] = lo;
  else if (s === 32) setReg32(c, d.reg, lo);
  else setReg64(c, d.reg, lo, hi);
}

/**
 * An exec made from a source template (see specialize.ts): the block compiler inlines it with the
 * instruction's fields as constants, and writes out the r/m helpers' register form where it applies.
 */
const OPS = { ea, readRM8, readRM16, readRM32, readRM64, writeRM8, writeRM16, writeRM32, writeRM64, setReg32, setReg64, push64, pop64 };
const tpl = (key: string, src: string, bind: Record<string, unknown> = OPS): ExecFn => specialize(`base:${key}`, src, bind);

const NOP = tpl('nop', '(c) => {}');

// ---- mov ----
row({ id: 'mov_rm8_r8', mnemonic: 'mov', opcode: '88 /r', operands: ['r/m8', 'r8'], exec: (c, d) => writeRM8(c, d, c.r8[d.reg8]) });
row({ id: 'mov_r8_rm8', mnemonic: 'mov', opcode: '8A /r', operands: ['r8', 'r/m8'], exec: (c, d) => { c.r8[d.reg8] = readRM8(c, d); } });
row({ id: 'mov_rm8_imm8', mnemonic: 'mov', opcode: 'C6 /0 ib', operands: ['r/m8', 'imm8'], exec: (c, d) => writeRM8(c, d, d.imm) });
row({ id: 'mov_r8_imm8', mnemonic: 'mov', opcode: 'B0 +r ib', operands: ['r8', 'imm8'], exec: (c, d) => { c.r8[d.reg8] = d.imm; } });
row({ id: 'mov_rm16_r16', mnemonic: 'mov', opcode: 'o16 89 /r', operands: ['r/m16', 'r16'], exec: (c, d) => writeRM16(c, d, c.r16[4 * d.reg]) });
row({ id: 'mov_rm32_r32', mnemonic: 'mov', opcode: 'o32 89 /r', operands: ['r/m32', 'r32'], exec: tpl('mov_rm32_r32', '(c, d) => writeRM32(c, d, c.r32[2 * d.reg])') });
row({ id: 'mov_rm64_r64', mnemonic: 'mov', opcode: 'o64 89 /r', operands: ['r/m64', 'r64'], exec: tpl('mov_rm64_r64', '(c, d) => writeRM64(c, d, c.r32[2 * d.reg], c.r32[2 * d.reg + 1])') });
row({ id: 'mov_r16_rm16', mnemonic: 'mov', opcode: 'o16 8B /r', operands: ['r16', 'r/m16'], exec: (c, d) => { c.r16[4 * d.reg] = readRM16(c, d); } });
row({ id: 'mov_r32_rm32', mnemonic: 'mov', opcode: 'o32 8B /r', operands: ['r32', 'r/m32'], exec: tpl('mov_r32_rm32', '(c, d) => setReg32(c, d.reg, readRM32(c, d))') });
row({ id: 'mov_r64_rm64', mnemonic: 'mov', opcode: 'o64 8B /r', operands: ['r64', 'r/m64'], exec: tpl('mov_r64_rm64', '(c, d) => { const lo = readRM64(c, d); setReg64(c, d.reg, lo, c.thi); }') });
row({ id: 'mov_rm16_imm16', mnemonic: 'mov', opcode: 'o16 C7 /0 iw', operands: ['r/m16', 'imm16'], exec: (c, d) => writeRM16(c, d, d.imm) });
row({ id: 'mov_rm32_imm32', mnemonic: 'mov', opcode: 'o32 C7 /0 id', operands: ['r/m32', 'imm32'], exec: tpl('mov_rm32_imm32', '(c, d) => writeRM32(c, d, d.imm)') });
row({ id: 'mov_rm64_imm32', mnemonic: 'mov', opcode: 'o64 C7 /0 id', operands: ['r/m64', 'imm32'], exec: tpl('mov_rm64_imm32', '(c, d) => writeRM64(c, d, d.imm, d.immHi)') });
row({ id: 'mov_r16_imm16', mnemonic: 'mov', opcode: 'o16 B8 +r iw', operands: ['r16', 'imm16'], exec: (c, d) => { c.r16[4 * d.reg] = d.imm; } });
row({ id: 'mov_r32_imm32', mnemonic: 'mov', opcode: 'o32 B8 +r id', operands: ['r32', 'imm32'], exec: tpl('mov_r32_imm32', '(c, d) => setReg32(c, d.reg, d.imm)') });
row({ id: 'mov_r64_imm64', mnemonic: 'movabs', opcode: 'o64 B8 +r io', operands: ['r64', 'imm64'], exec: tpl('mov_r64_imm64', '(c, d) => setReg64(c, d.reg, d.imm, d.immHi)') });

// ---- lea: the address arithmetic without the memory access, exact to 64 bits ----
function leaValue(c: Cpu, d: Insn): void {
  // Sum base + index*scale + disp in halves so that large values (lea used as arithmetic) stay exact.
  const r = c.r32;
  // A rip-relative disp already holds the absolute (signed) address; otherwise it is an int32.
  let lo = d.disp | 0;
  let hi = d.ripRel ? Math.floor(d.disp / 4294967296) | 0 : lo >> 31;
  if (d.base >= 0) {
    const s = (lo >>> 0) + (r[2 * d.base] >>> 0);
    hi = (hi + r[2 * d.base + 1] + (s > 0xffffffff ? 1 : 0)) | 0;
    lo = s | 0;
  }
  if (d.index >= 0) {
    let il = r[2 * d.index], ih = r[2 * d.index + 1];
    if (d.scale !== 1) {
      const sh = d.scale === 2 ? 1 : d.scale === 4 ? 2 : 3;
      ih = (ih << sh) | (il >>> (32 - sh));
      il <<= sh;
    }
    const s = (lo >>> 0) + (il >>> 0);
    hi = (hi + ih + (s > 0xffffffff ? 1 : 0)) | 0;
    lo = s | 0;
  }
  c.tlo = lo;
  c.thi = d.asize === 32 ? 0 : hi;
}
const LEA = { leaValue, setReg32, setReg64 };
const LEA64 = tpl('lea64', '(c, d) => { leaValue(c, d); setReg64(c, d.reg, c.tlo, c.thi); }', LEA);
// Faster lea forms chosen per instance. The 32-bit result is the low half of the sum, so int32
// arithmetic truncated with |0 is exact; 64-bit forms add in halves.
function lea32(d: Insn): ExecFn {
  if (d.ripRel || (d.base < 0 && d.index < 0)) return tpl('lea32d', '(c, d) => setReg32(c, d.reg, d.disp | 0)');
  if (d.index < 0) return tpl('lea32b', '(c, d) => setReg32(c, d.reg, (c.r32[2 * d.base] + d.disp) | 0)');
  const sh = Math.log2(d.scale);
  if (d.base < 0) return specialize(`lea32i:${sh}`, `(c, d) => setReg32(c, d.reg, ((c.r32[2 * d.index] << ${sh}) + d.disp) | 0)`, { setReg32 });
  return specialize(`lea32bi:${sh}`, `(c, d) => setReg32(c, d.reg, (c.r32[2 * d.base] + (c.r32[2 * d.index] << ${sh}) + d.disp) | 0)`, { setReg32 });
}
function lea64(d: Insn): ExecFn {
  if (d.asize === 32) return LEA64;
  if (d.ripRel) return tpl('lea64rip', '(c, d) => setReg64(c, d.reg, d.disp | 0, Math.floor(d.disp / 4294967296) | 0)');
  if (d.base < 0 && d.index < 0) return tpl('lea64d', '(c, d) => setReg64(c, d.reg, d.disp, d.disp >> 31)');
  if (d.index < 0) {
    return tpl('lea64b', `(c, d) => {
      const r = c.r32, b = 2 * d.base, disp = d.disp;
      const s = (r[b] >>> 0) + (disp >>> 0);
      setReg64(c, d.reg, s | 0, (r[b + 1] + (disp >> 31) + (s > 0xffffffff ? 1 : 0)) | 0);
    }`);
  }
  return LEA64;
}
row({ id: 'lea_r16_m', mnemonic: 'lea', opcode: 'o16 8D /r mod=mem', operands: ['r16', 'm'], exec: (c, d) => { leaValue(c, d); c.r16[4 * d.reg] = c.tlo; } });
row({ id: 'lea_r32_m', mnemonic: 'lea', opcode: 'o32 8D /r mod=mem', operands: ['r32', 'm'], exec: tpl('lea32', '(c, d) => { leaValue(c, d); setReg32(c, d.reg, c.tlo); }', LEA), select: lea32 });
row({ id: 'lea_r64_m', mnemonic: 'lea', opcode: 'o64 8D /r mod=mem', operands: ['r64', 'm'], exec: LEA64, select: lea64 });

// ---- movzx, movsx, movsxd ----
for (const s of SIZES) {
  const ext = (k: string, src: string) => tpl(`${k}${s}`, src, { ...OPS, setReg });
  row({ id: `movzx_r${s}_rm8`, mnemonic: 'movzx', opcode: `${osz(s)}0F B6 /r`, operands: [`r${s}` as Operand, 'r/m8'], exec: ext('movzx8_', `(c, d) => setReg(c, d, ${s}, readRM8(c, d), 0)`) });
  row({ id: `movsx_r${s}_rm8`, mnemonic: 'movsx', opcode: `${osz(s)}0F BE /r`, operands: [`r${s}` as Operand, 'r/m8'], exec: ext('movsx8_', `(c, d) => { const v = (readRM8(c, d) << 24) >> 24; setReg(c, d, ${s}, ${s === 16 ? 'v & 0xffff' : 'v'}, v >> 31); }`) });
  row({ id: `movzx_r${s}_rm16`, mnemonic: 'movzx', opcode: `${osz(s)}0F B7 /r`, operands: [`r${s}` as Operand, 'r/m16'], exec: ext('movzx16_', `(c, d) => setReg(c, d, ${s}, readRM16(c, d), 0)`) });
  row({ id: `movsx_r${s}_rm16`, mnemonic: 'movsx', opcode: `${osz(s)}0F BF /r`, operands: [`r${s}` as Operand, 'r/m16'], exec: ext('movsx16_', `(c, d) => { const v = (readRM16(c, d) << 16) >> 16; setReg(c, d, ${s}, ${s === 16 ? 'v & 0xffff' : 'v'}, v >> 31); }`) });
}
row({ id: 'movsxd_r64_rm32', mnemonic: 'movsxd', opcode: 'o64 63 /r', operands: ['r64', 'r/m32'], exec: tpl('movsxd_r64_rm32', '(c, d) => { const v = readRM32(c, d); setReg64(c, d.reg, v, v >> 31); }') });
row({ id: 'movsxd_r32_rm32', mnemonic: 'movsxd', opcode: 'o32 63 /r', operands: ['r32', 'r/m32'], exec: (c, d) => setReg32(c, d.reg, readRM32(c, d)) });

// ---- push and pop (64-bit operand size by default in long mode) ----
row({ id: 'push_r64', mnemonic: 'push', opcode: 'd64 50 +r', operands: ['r64'], exec: tpl('push_r64', '(c, d) => push64(c, c.r32[2 * d.reg], c.r32[2 * d.reg + 1])') });
row({ id: 'push_r16', mnemonic: 'push', opcode: 'o16 d64 50 +r', operands: ['r16'], exec: (c, d) => push16(c, c.r16[4 * d.reg]) });
row({ id: 'pop_r64', mnemonic: 'pop', opcode: 'd64 58 +r', operands: ['r64'], exec: tpl('pop_r64', '(c, d) => { const lo = pop64(c); setReg64(c, d.reg, lo, c.thi); }') });
row({ id: 'pop_r16', mnemonic: 'pop', opcode: 'o16 d64 58 +r', operands: ['r16'], exec: (c, d) => { c.r16[4 * d.reg] = pop16(c); } });
row({ id: 'push_imm8', mnemonic: 'push', opcode: 'o64 d64 6A ib', operands: ['imm8'], exec: (c, d) => push64(c, d.imm, d.immHi) });
row({ id: 'push_imm32', mnemonic: 'push', opcode: 'o64 d64 68 id', operands: ['imm32'], exec: (c, d) => push64(c, d.imm, d.immHi) });
// With 66 the pushed value is 16 bits (and 68 takes an imm16).
row({ id: 'push_imm8_16', mnemonic: 'push', opcode: 'o16 d64 6A ib', operands: ['imm8'], intel: { mnemonic: 'pushw' }, exec: (c, d) => push16(c, d.imm & 0xffff) });
row({ id: 'push_imm16', mnemonic: 'push', opcode: 'o16 d64 68 iw', operands: ['imm16'], intel: { mnemonic: 'pushw' }, exec: (c, d) => push16(c, d.imm & 0xffff) });
row({ id: 'push_rm64', mnemonic: 'push', opcode: 'd64 FF /6', operands: ['r/m64'], exec: tpl('push_rm64', '(c, d) => { const lo = readRM64(c, d); push64(c, lo, c.thi); }') });
row({ id: 'push_rm16', mnemonic: 'push', opcode: 'o16 d64 FF /6', operands: ['r/m16'], exec: (c, d) => push16(c, readRM16(c, d)) });
row({
  id: 'pop_rm16', mnemonic: 'pop', opcode: 'o16 d64 8F /0', operands: ['r/m16'],
  exec: (c, d) => {
    const sp = rsp(c);
    const v = c.mem.read16(sp);
    setRsp(c, sp + 2);
    writeRM16(c, d, v);
  },
});
row({
  id: 'pop_rm64', mnemonic: 'pop', opcode: 'd64 8F /0', operands: ['r/m64'],
  exec: (c, d) => {
    // The address is computed after rsp is incremented (SDM: POP).
    const sp = rsp(c);
    const lo = c.mem.read64(sp), hi = c.mem.hi;
    setRsp(c, sp + 8);
    writeRM64(c, d, lo, hi);
  },
});

// ---- xchg; 90 without REX.B is nop (it does not zero the upper half of rax) ----
row({ id: 'xchg_rm8_r8', mnemonic: 'xchg', opcode: '86 /r', operands: ['r/m8', 'r8'], lockable: true, exec: (c, d) => { const a = readRM8(c, d); const b = c.r8[d.reg8]; if (d.mod3) c.r8[d.rm8] = b; else c.mem.write8(c.ea, b); c.r8[d.reg8] = a; } });
row({ id: 'xchg_rm16_r16', mnemonic: 'xchg', opcode: 'o16 87 /r', operands: ['r/m16', 'r16'], lockable: true, exec: (c, d) => { const a = readRM16(c, d); const b = c.r16[4 * d.reg]; if (d.mod3) c.r16[4 * d.rm] = b; else c.mem.write16(c.ea, b); c.r16[4 * d.reg] = a; } });
row({ id: 'xchg_rm32_r32', mnemonic: 'xchg', opcode: 'o32 87 /r', operands: ['r/m32', 'r32'], lockable: true, exec: (c, d) => { const a = readRM32(c, d); const b = c.r32[2 * d.reg]; if (d.mod3) setReg32(c, d.rm, b); else c.mem.write32(c.ea, b); setReg32(c, d.reg, a); } });
row({ id: 'xchg_rm64_r64', mnemonic: 'xchg', opcode: 'o64 87 /r', operands: ['r/m64', 'r64'], lockable: true, exec: (c, d) => { const a = readRM64(c, d), ah = c.thi; const b = c.r32[2 * d.reg], bh = c.r32[2 * d.reg + 1]; if (d.mod3) setReg64(c, d.rm, b, bh); else c.mem.write64(c.ea, b, bh); setReg64(c, d.reg, a, ah); } });
row({ id: 'xchg_r16_ax', mnemonic: 'xchg', opcode: 'o16 90 +r', operands: ['r16', 'AX'], exec: (c, d) => { const t = c.r16[0]; c.r16[0] = c.r16[4 * d.reg]; c.r16[4 * d.reg] = t; } });
row({ id: 'xchg_r32_eax', mnemonic: 'xchg', opcode: 'o32 90 +r', operands: ['r32', 'EAX'], exec: (c, d) => { if (d.reg === 0) return; const t = c.r32[0]; setReg32(c, 0, c.r32[2 * d.reg]); setReg32(c, d.reg, t); } });
row({ id: 'xchg_r64_rax', mnemonic: 'xchg', opcode: 'o64 90 +r', operands: ['r64', 'RAX'], exec: (c, d) => { const t = c.r32[0], th = c.r32[1]; setReg64(c, 0, c.r32[2 * d.reg], c.r32[2 * d.reg + 1]); setReg64(c, d.reg, t, th); } });
row({ id: 'pause', mnemonic: 'pause', opcode: 'F3 90', operands: [], exec: NOP });

// ---- control transfer ----
row({ id: 'jmp_rel8', mnemonic: 'jmp', opcode: 'EB cb', operands: ['rel8'], flow: 'jump', exec: tpl('jmp_rel', '(c, d) => { c.rip = d.target; }') });
row({ id: 'jmp_rel32', mnemonic: 'jmp', opcode: 'E9 cd', operands: ['rel32'], flow: 'jump', exec: tpl('jmp_rel', '(c, d) => { c.rip = d.target; }') });
row({ id: 'jmp_rm64', mnemonic: 'jmp', opcode: 'd64 FF /4', operands: ['r/m64'], flow: 'jump', exec: tpl('jmp_rm64', '(c, d) => { const lo = readRM64(c, d); c.rip = c.thi * 4294967296 + (lo >>> 0); }') });
row({ id: 'call_rel32', mnemonic: 'call', opcode: 'E8 cd', operands: ['rel32'], flow: 'call', exec: tpl('call_rel32', '(c, d) => { push64(c, d.next | 0, Math.floor(d.next / 4294967296)); c.rip = d.target; }') });
row({ id: 'call_rm64', mnemonic: 'call', opcode: 'd64 FF /2', operands: ['r/m64'], flow: 'call', exec: tpl('call_rm64', '(c, d) => { const lo = readRM64(c, d); const target = c.thi * 4294967296 + (lo >>> 0); push64(c, d.next | 0, Math.floor(d.next / 4294967296)); c.rip = target; }') });
row({ id: 'ret', mnemonic: 'ret', opcode: 'C3', operands: [], flow: 'ret', exec: tpl('ret', '(c) => { const lo = pop64(c); c.rip = c.thi * 4294967296 + (lo >>> 0); }') });
row({ id: 'ret_imm16', mnemonic: 'ret', opcode: 'C2 iw', operands: ['imm16'], flow: 'ret', exec: (c, d) => { const lo = pop64(c); c.rip = c.thi * 4294967296 + (lo >>> 0); setRsp(c, rsp(c) + (d.imm & 0xffff)); } });
/** Each condition code as an expression over the lazy flags (SDM vol. 1 B.1). */
export const CONDITION_EXPR = [
  'c.of() !== 0', 'c.of() === 0', 'c.cf() !== 0', 'c.cf() === 0', 'c.zf() !== 0', 'c.zf() === 0',
  '(c.cf() | c.zf()) !== 0', '(c.cf() | c.zf()) === 0', 'c.sf() !== 0', 'c.sf() === 0', 'c.pf() !== 0', 'c.pf() === 0',
  '(c.sf() !== 0) !== (c.of() !== 0)', '(c.sf() !== 0) === (c.of() !== 0)',
  '(c.zf() !== 0 || (c.sf() !== 0) !== (c.of() !== 0))', '!(c.zf() !== 0 || (c.sf() !== 0) !== (c.of() !== 0))',
];
const CC_BIND = { readRM16, readRM32, readRM64, writeRM8, setReg32, setReg64 };
for (let cc = 0; cc < 16; cc++) {
  const name = CONDITION_NAMES[cc];
  const h = (0x70 + cc).toString(16).toUpperCase();
  const h2 = (0x80 + cc).toString(16).toUpperCase();
  const cond = CONDITION_EXPR[cc];
  const jcc = specialize(`jcc:${cc}`, `(c, d) => { if (${cond}) c.rip = d.target; }`, {});
  row({ id: `j${name}_rel8`, mnemonic: `j${name}`, opcode: `${h} cb`, operands: ['rel8'], flow: 'branch', flags: { read: 'oszapc' }, exec: jcc });
  row({ id: `j${name}_rel32`, mnemonic: `j${name}`, opcode: `0F ${h2} cd`, operands: ['rel32'], flow: 'branch', flags: { read: 'oszapc' }, exec: jcc });
  const hs = (0x90 + cc).toString(16).toUpperCase();
  row({ id: `set${name}_rm8`, mnemonic: `set${name}`, opcode: `0F ${hs} /r`, operands: ['r/m8'], exec: specialize(`setcc:${cc}`, `(c, d) => writeRM8(c, d, ${cond} ? 1 : 0)`, CC_BIND) });
  const hc = (0x40 + cc).toString(16).toUpperCase();
  row({ id: `cmov${name}_r16_rm16`, mnemonic: `cmov${name}`, opcode: `o16 0F ${hc} /r`, operands: ['r16', 'r/m16'], exec: specialize(`cmov16:${cc}`, `(c, d) => { const v = readRM16(c, d); if (${cond}) c.r16[4 * d.reg] = v; }`, CC_BIND) });
  // The 32-bit form zero-extends the destination even when the condition is false.
  row({ id: `cmov${name}_r32_rm32`, mnemonic: `cmov${name}`, opcode: `o32 0F ${hc} /r`, operands: ['r32', 'r/m32'], exec: specialize(`cmov32:${cc}`, `(c, d) => { const v = readRM32(c, d); setReg32(c, d.reg, ${cond} ? v : c.r32[2 * d.reg]); }`, CC_BIND) });
  row({ id: `cmov${name}_r64_rm64`, mnemonic: `cmov${name}`, opcode: `o64 0F ${hc} /r`, operands: ['r64', 'r/m64'], exec: specialize(`cmov64:${cc}`, `(c, d) => { const v = readRM64(c, d); if (${cond}) setReg64(c, d.reg, v, c.thi); }`, CC_BIND) });
}
function rcxCount(c: Cpu, d: Insn): number {
  // loop and jrcxz count in rcx (or ecx with a 67 prefix); returns the new count's zero-ness.
  if (d.asize === 32) { const v = (c.r32[2] - 1) | 0; setReg32(c, 1, v); return v; }
  const lo = (c.r32[2] - 1) | 0;
  const hi = (c.r32[3] - (c.r32[2] === 0 ? 1 : 0)) | 0;
  c.r32[2] = lo; c.r32[3] = hi;
  return lo | hi;
}
row({ id: 'loop_rel8', mnemonic: 'loop', opcode: 'E2 cb', operands: ['rel8'], flow: 'branch', exec: (c, d) => { if (rcxCount(c, d) !== 0) c.rip = d.target; } });
row({ id: 'loope_rel8', mnemonic: 'loope', opcode: 'E1 cb', operands: ['rel8'], flow: 'branch', exec: (c, d) => { if (rcxCount(c, d) !== 0 && c.zf()) c.rip = d.target; } });
row({ id: 'loopne_rel8', mnemonic: 'loopne', opcode: 'E0 cb', operands: ['rel8'], flow: 'branch', exec: (c, d) => { if (rcxCount(c, d) !== 0 && !c.zf()) c.rip = d.target; } });
row({ id: 'jrcxz_rel8', mnemonic: 'jrcxz', opcode: 'E3 cb', operands: ['rel8'], flow: 'branch', exec: (c, d) => { if ((d.asize === 32 ? c.r32[2] : c.r32[2] | c.r32[3]) === 0) c.rip = d.target; } });

// ---- sign extension of the accumulator ----
row({ id: 'cbw', mnemonic: 'cbw', opcode: 'o16 98', operands: [], exec: (c) => { c.r16[0] = ((c.r8[0] << 24) >> 24) & 0xffff; } });
row({ id: 'cwde', mnemonic: 'cwde', opcode: 'o32 98', operands: [], exec: (c) => setReg32(c, 0, (c.r16[0] << 16) >> 16) });
row({ id: 'cdqe', mnemonic: 'cdqe', opcode: 'o64 98', operands: [], exec: tpl('cdqe', '(c) => { c.r32[1] = c.r32[0] >> 31; }') });
row({ id: 'cwd', mnemonic: 'cwd', opcode: 'o16 99', operands: [], exec: (c) => { c.r16[8] = c.r16[0] & 0x8000 ? 0xffff : 0; } });
row({ id: 'cdq', mnemonic: 'cdq', opcode: 'o32 99', operands: [], exec: tpl('cdq', '(c) => setReg32(c, 2, c.r32[0] >> 31)') });
row({ id: 'cqo', mnemonic: 'cqo', opcode: 'o64 99', operands: [], exec: (c) => { const s = c.r32[1] >> 31; c.r32[4] = s; c.r32[5] = s; } });

// ---- frames ----
row({ id: 'leave', mnemonic: 'leave', opcode: 'd64 C9', operands: [], exec: (c) => { c.r32[8] = c.r32[10]; c.r32[9] = c.r32[11]; const lo = pop64(c); setReg64(c, 5, lo, c.thi); } });

// ---- flag bits ----
row({ id: 'clc', mnemonic: 'clc', opcode: 'F8', operands: [], flags: { write: 'c' }, exec: (c) => c.setStatus(1, 0) });
row({ id: 'stc', mnemonic: 'stc', opcode: 'F9', operands: [], flags: { write: 'c' }, exec: (c) => c.setStatus(1, 1) });
row({ id: 'cmc', mnemonic: 'cmc', opcode: 'F5', operands: [], flags: { read: 'c', write: 'c' }, exec: (c) => c.setStatus(1, c.cf() ^ 1) });
row({ id: 'cld', mnemonic: 'cld', opcode: 'FC', operands: [], flags: { write: 'd' }, exec: (c) => { c.flags &= ~DF; } });
row({ id: 'std', mnemonic: 'std', opcode: 'FD', operands: [], flags: { write: 'd' }, exec: (c) => { c.flags |= DF; } });

// ---- nops and hints ----
row({ id: 'nop_rm16', mnemonic: 'nop', opcode: 'o16 0F 1F /0', operands: ['r/m16'], exec: NOP });
row({ id: 'nop_rm32', mnemonic: 'nop', opcode: 'o32 0F 1F /0', operands: ['r/m32'], exec: NOP });
row({ id: 'nop_rm64', mnemonic: 'nop', opcode: 'o64 0F 1F /0', operands: ['r/m64'], exec: NOP });
row({ id: 'endbr64', mnemonic: 'endbr64', opcode: 'F3 0F 1E FA', operands: [], exec: NOP });
// 0F 1E is a reserved-NOP hint space (endbr64 lives in it); objdump prints one operand sized by 66/REX.W.
// rdssp reads the CET shadow-stack pointer. With shadow stacks off (always, here) it is a NOP that
// leaves its register alone: glibc zeroes the register first and reads 0 as "no shadow stack".
row({ id: 'rdsspd_r32', mnemonic: 'rdsspd', opcode: 'F3 o32 0F 1E /1 mod=reg', operands: ['r/m32'], exec: NOP });
row({ id: 'rdsspq_r64', mnemonic: 'rdsspq', opcode: 'F3 o64 0F 1E /1 mod=reg', operands: ['r/m64'], exec: NOP });
row({ id: 'hint_nop_rm16', mnemonic: 'nop', opcode: 'o16 0F 1E /r', operands: ['r/m16'], exec: NOP });
row({ id: 'hint_nop_rm32', mnemonic: 'nop', opcode: 'o32 0F 1E /r', operands: ['r/m32'], exec: NOP });
row({ id: 'hint_nop_rm64', mnemonic: 'nop', opcode: 'o64 0F 1E /r', operands: ['r/m64'], exec: NOP });
row({ id: 'prefetchnta_m8', mnemonic: 'prefetchnta', opcode: '0F 18 /0 mod=mem', operands: ['m8'], exec: NOP });
row({ id: 'prefetcht0_m8', mnemonic: 'prefetcht0', opcode: '0F 18 /1 mod=mem', operands: ['m8'], exec: NOP });
row({ id: 'prefetcht1_m8', mnemonic: 'prefetcht1', opcode: '0F 18 /2 mod=mem', operands: ['m8'], exec: NOP });
row({ id: 'prefetcht2_m8', mnemonic: 'prefetcht2', opcode: '0F 18 /3 mod=mem', operands: ['m8'], exec: NOP });
row({ id: 'prefetchw_m8', mnemonic: 'prefetchw', opcode: '0F 0D /1 mod=mem', operands: ['m8'], exec: NOP });

// ---- system ----
row({
  id: 'syscall', mnemonic: 'syscall', opcode: '0F 05', operands: [], flow: 'syscall',
  exec: (c, d) => {
    // SYSCALL saves the return rip in rcx and rflags in r11 (SDM vol. 2: SYSCALL), then the kernel runs.
    setReg64(c, 1, d.next | 0, Math.floor(d.next / 4294967296));
    setReg64(c, 11, c.getFlags(), 0);
    // The kernel sees the exact number of instructions retired before this one (see Insn.blockIndex).
    c.icount += d.blockIndex;
    c.host!.syscall(c);
    c.icount -= d.blockIndex;
  },
});
row({
  id: 'rdtsc', mnemonic: 'rdtsc', opcode: '0F 31', operands: [],
  exec: (c, d) => { c.icount += d.blockIndex; const lo = c.host!.rdtsc(c); c.icount -= d.blockIndex; setReg32(c, 2, c.thi); setReg32(c, 0, lo); },
});
row({
  id: 'rdtscp', mnemonic: 'rdtscp', opcode: '0F 01 F9', operands: [], feature: 'rdtscp',
  exec: (c, d) => { c.icount += d.blockIndex; const lo = c.host!.rdtsc(c); c.icount -= d.blockIndex; setReg32(c, 2, c.thi); setReg32(c, 0, lo); setReg32(c, 1, c.tscAux); },
});
row({ id: 'rdpid_r64', mnemonic: 'rdpid', opcode: 'F3 0F C7 /7 mod=reg', operands: ['r64'], feature: 'rdpid', exec: (c, d) => setReg64(c, d.rm, c.tscAux, 0) });
row({ id: 'hlt', mnemonic: 'hlt', opcode: 'F4', operands: [], flow: 'stop', exec: () => { throw generalProtection('hlt in user mode'); } });
row({ id: 'ud2', mnemonic: 'ud2', opcode: '0F 0B', operands: [], flow: 'stop', exec: (c, d) => { throw new GuestFault(Vector.UD, d.addr, 0, 'ud2'); } });
row({ id: 'int3', mnemonic: 'int3', opcode: 'CC', operands: [], flow: 'stop', exec: () => { throw new GuestFault(Vector.BP, 0, 0, 'int3'); } });

// Memory operand forms that need the effective address only (used by the string and SSE tables too).
export { ea };
export const BASE_ROWS: readonly IsaRow[] = rows;
