// SSE state instructions (SDM vol. 2: LDMXCSR, STMXCSR, FXSAVE, FXRSTOR), which libc (setjmp-free
// code paths, fenv) and signal frames use.
//
// FXSAVE area, 64-bit layout (SDM vol. 1 table 10-2), 512 bytes, 16-byte aligned:
//   0 FCW  2 FSW  4 abridged FTW  6 FOP  8 FIP(64)  16 FDP(64)  24 MXCSR  28 MXCSR_MASK
//   32 + 16*i  ST(i)/MMi (80 bits, 6 reserved)     160 + 16*i  XMMi     416..511 not written.
// The x87 part (bytes 0..23 and ST(i)) comes from and goes to the x87 unit (cpu/x87.ts fxsaveX87 and
// fxrstorX87). colonel keeps FOP/FIP/FDP zero, as the host stores them with no exception pending, so
// the non-REX.W layout (32-bit FIP/FDP + selector) is byte-identical and fxsave and fxsave64 share code.
//
// Faults, as measured on the host (AMD Zen): a misaligned operand is #GP before any page fault; the
// whole 512 bytes are checked, and a fault in the second page reports the operand's last byte.
// MXCSR_MASK is 0xFFFF (no misaligned-SSE mode; the host's is 0x2FFFF); ldmxcsr or fxrstor of a value
// with other bits set is #GP.

import type { Cpu } from '../cpu.js';
import type { Insn } from '../insn.js';
import type { IsaRow } from './types.js';
import { ea } from '../operands.js';
import { GuestFault, Vector } from '../fault.js';
import { MXCSR_MASK, misaligned } from './sse-common.js';
import { fxsaveX87, fxrstorX87 } from '../x87.js';

const rows: IsaRow[] = [];
const row = (r: IsaRow) => rows.push(r);

function badMxcsr(v: number): GuestFault {
  return new GuestFault(Vector.GP, 0, 0, `reserved MXCSR bits set: 0x${(v >>> 0).toString(16)}`);
}

row({
  id: 'ldmxcsr_m32', mnemonic: 'ldmxcsr', opcode: 'NP 0F AE /2 mod=mem', operands: ['m32'], feature: 'sse',
  exec: (c, d) => {
    const v = c.mem.read32(ea(c, d));
    if ((v & ~MXCSR_MASK) !== 0) throw badMxcsr(v);
    c.mxcsr = v;
  },
});
row({
  id: 'stmxcsr_m32', mnemonic: 'stmxcsr', opcode: 'NP 0F AE /3 mod=mem', operands: ['m32'], feature: 'sse',
  exec: (c, d) => c.mem.write32(ea(c, d), c.mxcsr),
});

function fxArea(c: Cpu, d: Insn): number {
  const a = ea(c, d);
  if ((a & 15) !== 0) throw misaligned(d.row.mnemonic, a);
  return a;
}

function fxsave(c: Cpu, d: Insn): void {
  const a = fxArea(c, d), m = c.mem;
  m.checkWritable(a, 1);
  m.checkWritable(a + 511, 1);
  m.write32(a, 0x037f); // FCW 0x037F, FSW 0
  m.write32(a + 4, 0); // abridged FTW 0 (all empty), FOP 0
  for (let o = 8; o < 24; o += 4) m.write32(a + o, 0); // FIP, FDP
  m.write32(a + 24, c.mxcsr);
  m.write32(a + 28, MXCSR_MASK);
  for (let o = 32; o < 160; o += 4) m.write32(a + o, 0); // ST0..ST7
  const x = c.x32;
  for (let i = 0; i < 64; i++) m.write32(a + 160 + 4 * i, x[i]);
  fxsaveX87(c, a);
}

function fxrstor(c: Cpu, d: Insn): void {
  const a = fxArea(c, d), m = c.mem;
  m.read8(a);
  m.read8(a + 511);
  const v = m.read32(a + 24);
  if ((v & ~MXCSR_MASK) !== 0) throw badMxcsr(v);
  c.mxcsr = v;
  const x = c.x32;
  for (let i = 0; i < 64; i++) x[i] = m.read32(a + 160 + 4 * i);
  fxrstorX87(c, a);
}

row({ id: 'fxsave_m512', mnemonic: 'fxsave', opcode: 'NP o32 0F AE /0 mod=mem', operands: ['m512'], feature: 'fxsr', exec: fxsave });
row({ id: 'fxsave64_m512', mnemonic: 'fxsave64', opcode: 'NP o64 0F AE /0 mod=mem', operands: ['m512'], feature: 'fxsr', exec: fxsave });
row({ id: 'fxrstor_m512', mnemonic: 'fxrstor', opcode: 'NP o32 0F AE /1 mod=mem', operands: ['m512'], feature: 'fxsr', exec: fxrstor });
row({ id: 'fxrstor64_m512', mnemonic: 'fxrstor64', opcode: 'NP o64 0F AE /1 mod=mem', operands: ['m512'], feature: 'fxsr', exec: fxrstor });

export const SSE_STATE_ROWS: readonly IsaRow[] = rows;
