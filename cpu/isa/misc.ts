// Flags to and from the stack and AH, table lookup, stack frames, moffs moves, cpuid, fences, and the
// instructions a user program may meet but not execute (SDM vol. 2: PUSHF/POPF, LAHF/SAHF, XLAT,
// ENTER, MOV moffs, CPUID, INT n/INT1, IN/OUT/INS/OUTS, CLI/STI, LFENCE/MFENCE/SFENCE, CLFLUSH).
//
// Not here: fxsave/fxrstor/ldmxcsr/stmxcsr (0F AE /0../3, with the SSE rows); rdrand/rdseed (not
// implemented, and so not advertised by cpuid).

import type { Cpu } from '../cpu.js';
import { SEG_FS } from '../cpu.js';
import type { Insn } from '../insn.js';
import { CF, PF, AF, ZF, SF, USER_WRITABLE } from '../flags.js';
import { GuestFault, Vector, generalProtection } from '../fault.js';
import { wrapAddress } from '../decoder.js';
import type { IsaRow, Operand } from './types.js';
import { ea, push64, pop64, push16, pop16, rsp, setRsp, setReg32, setReg64 } from '../operands.js';
import { cpuid } from './cpuid.js';

const TWO32 = 4294967296;
const RBX = 3, RBP = 5;
/** NT (bit 14). At CPL 3 popf may change every flag but IOPL, IF, VIP, VIF, VM and RF (SDM: POPF),
 *  so NT too, which flags.ts' USER_WRITABLE (also used for sigreturn) leaves out; the host agrees. */
const NT = 1 << 14;
const POPF_WRITABLE = USER_WRITABLE | NT;

const rows: IsaRow[] = [];
const row = (r: IsaRow) => rows.push(r);

// ---- pushf/popf: 64-bit by default, 16-bit with 66 ----
// RF and VM, which pushf clears in the image, are never set in user mode.
row({ id: 'pushf', mnemonic: 'pushf', opcode: 'd64 9C', operands: [], flags: { read: 'oszapcd' }, exec: (c) => push64(c, c.getFlags(), 0) });
row({ id: 'pushfw', mnemonic: 'pushfw', opcode: 'o16 d64 9C', operands: [], flags: { read: 'oszapcd' }, exec: (c) => push16(c, c.getFlags() & 0xffff) });
row({ id: 'popf', mnemonic: 'popf', opcode: 'd64 9D', operands: [], flags: { write: 'oszapcd' }, exec: (c) => c.setFlags(pop64(c), POPF_WRITABLE) });
row({ id: 'popfw', mnemonic: 'popfw', opcode: 'o16 d64 9D', operands: [], flags: { write: 'oszapcd' }, exec: (c) => c.setFlags(pop16(c), POPF_WRITABLE & 0xffff) });

// ---- lahf/sahf: AH = SF:ZF:0:AF:0:PF:1:CF (in 64-bit mode they need CPUID.80000001h:ECX.LAHF-SAHF) ----
const AH_FLAGS = SF | ZF | AF | PF | CF;
row({ id: 'lahf', mnemonic: 'lahf', opcode: '9F', operands: [], flags: { read: 'szapc' }, feature: 'lahf_lm', exec: (c) => { c.r8[1] = (c.getFlags() & AH_FLAGS) | 2; } });
row({ id: 'sahf', mnemonic: 'sahf', opcode: '9E', operands: [], flags: { write: 'szapc' }, feature: 'lahf_lm', exec: (c) => c.setStatus(AH_FLAGS, c.r8[1]) });

// ---- xlat: al = ds:[rbx + zero-extended al] (ebx with 67) ----
row({
  id: 'xlat', mnemonic: 'xlat', opcode: 'D7', operands: ['XLAT'],
  exec: (c, d) => {
    let a = d.asize === 32 ? ((c.r32[2 * RBX] >>> 0) + c.r8[0]) >>> 0 : c.r32[2 * RBX + 1] * TWO32 + (c.r32[2 * RBX] >>> 0) + c.r8[0];
    if (d.seg !== 0) a += d.seg === SEG_FS ? c.fsBase : c.gsBase;
    c.r8[0] = c.mem.read8(wrapAddress(a));
  },
});

// ---- enter imm16, imm8 (64-bit operand size; the 16-bit form, 66 C8, is left out) ----
row({
  id: 'enter_imm16_imm8', mnemonic: 'enter', opcode: 'o64 d64 C8 iw ib', operands: ['imm16', 'imm8'],
  exec: (c, d) => {
    const size = d.imm & 0xffff, level = d.imm2 & 31;
    const mem = c.mem, r = c.r32;
    // Registers change only at the end, so a fault leaves them as they were (as on the host).
    let sp = rsp(c) - 8;
    mem.write64(sp, r[2 * RBP], r[2 * RBP + 1]);
    const frame = sp, frameLo = frame | 0, frameHi = Math.floor(frame / TWO32);
    if (level > 0) {
      let bp = r[2 * RBP + 1] * TWO32 + (r[2 * RBP] >>> 0);
      for (let i = 1; i < level; i++) {
        bp -= 8;
        const lo = mem.read64(bp), hi = mem.hi;
        sp -= 8;
        mem.write64(sp, lo, hi);
      }
      sp -= 8;
      mem.write64(sp, frameLo, frameHi);
    }
    // The host (AMD Zen) then checks that the new stack top is writable: a #PF there comes after the
    // pushes are in memory, with the registers unchanged.
    mem.checkWritable(sp - size, 1);
    setReg64(c, RBP, frameLo, frameHi);
    setRsp(c, sp - size);
  },
});

// ---- mov between the accumulator and an absolute address (A0..A3, "movabs") ----
// The moffs is an 8-byte immediate (io); with a 67 prefix the decoder reads 4 bytes, zero-extended.
function moffs(c: Cpu, d: Insn): number {
  let a = d.immHi * TWO32 + (d.imm >>> 0);
  if (d.seg !== 0) a += d.seg === SEG_FS ? c.fsBase : c.gsBase;
  return wrapAddress(a);
}
row({ id: 'movabs_al_moffs8', mnemonic: 'movabs', opcode: 'A0 io', operands: ['AL', 'moffs8'], exec: (c, d) => { c.r8[0] = c.mem.read8(moffs(c, d)); } });
row({ id: 'movabs_ax_moffs16', mnemonic: 'movabs', opcode: 'o16 A1 io', operands: ['AX', 'moffs16'], exec: (c, d) => { c.r16[0] = c.mem.read16(moffs(c, d)); } });
row({ id: 'movabs_eax_moffs32', mnemonic: 'movabs', opcode: 'o32 A1 io', operands: ['EAX', 'moffs32'], exec: (c, d) => setReg32(c, 0, c.mem.read32(moffs(c, d))) });
row({ id: 'movabs_rax_moffs64', mnemonic: 'movabs', opcode: 'o64 A1 io', operands: ['RAX', 'moffs64'], exec: (c, d) => { const lo = c.mem.read64(moffs(c, d)); setReg64(c, 0, lo, c.mem.hi); } });
row({ id: 'movabs_moffs8_al', mnemonic: 'movabs', opcode: 'A2 io', operands: ['moffs8', 'AL'], exec: (c, d) => c.mem.write8(moffs(c, d), c.r8[0]) });
row({ id: 'movabs_moffs16_ax', mnemonic: 'movabs', opcode: 'o16 A3 io', operands: ['moffs16', 'AX'], exec: (c, d) => c.mem.write16(moffs(c, d), c.r16[0]) });
row({ id: 'movabs_moffs32_eax', mnemonic: 'movabs', opcode: 'o32 A3 io', operands: ['moffs32', 'EAX'], exec: (c, d) => c.mem.write32(moffs(c, d), c.r32[0]) });
row({ id: 'movabs_moffs64_rax', mnemonic: 'movabs', opcode: 'o64 A3 io', operands: ['moffs64', 'RAX'], exec: (c, d) => c.mem.write64(moffs(c, d), c.r32[0], c.r32[1]) });

// ---- cpuid (the table is in cpuid.ts) ----
row({ id: 'cpuid', mnemonic: 'cpuid', opcode: '0F A2', operands: [], exec: (c) => cpuid(c) });

// ---- software interrupts. Linux's IDT lets user mode reach only vectors 3 (int3), 4 (into, which
// 64-bit mode does not have) and 0x80 (the 32-bit syscall gate); any other `int n` is a #GP whose
// error code names the IDT entry, (n << 3) | 2. We raise #GP for 0x80 too: a kernel that emulates
// the 32-bit syscall ABI recognizes it by that error code (0x402). `int 3` (CD 03) is #BP like int3.
// Traps (#BP, #DB) are reported with rip on the instruction, as base.ts' int3 is: the kernel adds
// the length (insn.len) where Linux reports the address after it. ----
row({
  id: 'int_imm8', mnemonic: 'int', opcode: 'CD ib', operands: ['imm8'], flow: 'stop',
  exec: (c, d) => {
    const n = d.imm & 0xff;
    if (n === 3) throw new GuestFault(Vector.BP, 0, 0, 'int 3');
    throw new GuestFault(Vector.GP, 0, (n << 3) | 2, `int 0x${n.toString(16)}: not a user-mode gate`);
  },
});
row({ id: 'int1', mnemonic: 'int1', opcode: 'F1', operands: [], flow: 'stop', exec: () => { throw new GuestFault(Vector.DB, 0, 0, 'int1'); } });
// into (CE) is invalid in 64-bit mode: no row, so the decoder raises #UD (and objdump prints (bad)).

// ---- privileged at CPL 3 with IOPL 0 (and no I/O permission bitmap): #GP(0) ----
const privileged = (id: string, mnemonic: string, opcode: string, operands: Operand[]): IsaRow => ({
  id, mnemonic, opcode, operands, flow: 'stop',
  exec: () => { throw generalProtection(`${mnemonic}: privileged instruction`); },
});
// The word/dword forms are 16-bit with 66 and 32-bit otherwise (REX.W does not widen them).
row(privileged('in_al_imm8', 'in', 'E4 ib', ['AL', 'imm8']));
row(privileged('in_ax_imm8', 'in', 'o16 E5 ib', ['AX', 'imm8']));
row(privileged('in_eax_imm8', 'in', 'E5 ib', ['EAX', 'imm8']));
row(privileged('out_imm8_al', 'out', 'E6 ib', ['imm8', 'AL']));
row(privileged('out_imm8_ax', 'out', 'o16 E7 ib', ['imm8', 'AX']));
row(privileged('out_imm8_eax', 'out', 'E7 ib', ['imm8', 'EAX']));
row(privileged('in_al_dx', 'in', 'EC', ['AL', 'DX']));
row(privileged('in_ax_dx', 'in', 'o16 ED', ['AX', 'DX']));
row(privileged('in_eax_dx', 'in', 'ED', ['EAX', 'DX']));
row(privileged('out_dx_al', 'out', 'EE', ['DX', 'AL']));
row(privileged('out_dx_ax', 'out', 'o16 EF', ['DX', 'AX']));
row(privileged('out_dx_eax', 'out', 'EF', ['DX', 'EAX']));
row(privileged('ins_yb_dx', 'ins', '6C', ['Yb', 'DX']));
row(privileged('ins_yw_dx', 'ins', 'o16 6D', ['Yw', 'DX']));
row(privileged('ins_yd_dx', 'ins', '6D', ['Yd', 'DX']));
row(privileged('outs_dx_xb', 'outs', '6E', ['DX', 'Xb']));
row(privileged('outs_dx_xw', 'outs', 'o16 6F', ['DX', 'Xw']));
row(privileged('outs_dx_xd', 'outs', '6F', ['DX', 'Xd']));
row(privileged('cli', 'cli', 'FA', []));
row(privileged('sti', 'sti', 'FB', []));

// ---- fences: one thread, executed in order, no write-combining: nothing to do. The CPU ignores the
// ModRM rm bits (0F AE E8..EF are all lfence). ----
row({ id: 'lfence', mnemonic: 'lfence', opcode: 'NP 0F AE /5 mod=reg', operands: [], exec: () => {} });
row({ id: 'mfence', mnemonic: 'mfence', opcode: 'NP 0F AE /6 mod=reg', operands: [], exec: () => {} });
row({ id: 'sfence', mnemonic: 'sfence', opcode: 'NP 0F AE /7 mod=reg', operands: [], exec: () => {} });
// clflush: no cache to flush, but it is checked like a byte load (SDM: CLFLUSH), so it can fault.
row({ id: 'clflush_m8', mnemonic: 'clflush', opcode: 'NP 0F AE /7 mod=mem', operands: ['m8'], feature: 'clflush', exec: (c, d) => { c.mem.read8(ea(c, d)); } });

export const MISC_ROWS: readonly IsaRow[] = rows;
