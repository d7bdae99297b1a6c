// `int $0x80` from 64-bit code: the 32-bit syscall gate (arch/x86/entry/entry_64_compat.S
// entry_INT80_compat, arch/x86/entry/common.c do_int80_syscall_32), which a kernel built with
// CONFIG_IA32_EMULATION (this host's, and most distributions') leaves open to 64-bit processes too.
// The call is looked up in the i386 table (eax: 1 exit, 3 read, 4 write, 20 getpid...), its arguments
// are ebx, ecx, edx, esi, edi, ebp truncated to 32 bits, and the result comes back sign-extended in
// rax; every other register is preserved (r8-r11 included, since Linux 4.8).
//
// The CPU knows nothing of this: an `int n` it cannot deliver to a user-mode gate is a #GP whose error
// code names the IDT entry ((0x80 << 3) | 2 = 0x402, cpu/isa/misc.ts), and the kernel's fault door
// recognizes it here and moves rip past the instruction, as the CPU does for a trap gate.
//
// Implemented: the calls whose 32-bit form is the 64-bit one with zero-extended arguments (below);
// any other number, implemented in i386 Linux or not, returns -ENOSYS (once reported on the diag
// line). The rest of the compat layer (32-bit structures: stat64, time32, sigaction with the old
// sigset, mmap2's page offsets, socketcall) is not modeled.

import { Reg } from '../cpu/cpu.js';
import { GuestFault, Vector } from '../cpu/fault.js';
import type { Kernel } from './kernel.js';
import { SYSCALLS } from './syscalls/table.js';
import type { SyscallRow } from './syscalls/types.js';

/** The #GP error code of `int $0x80` (IDT entry 0x80, the IDT bit set). */
export const INT80_ERROR_CODE = (0x80 << 3) | 2;

/** i386 syscall number -> [i386 name, x86-64 number of the same call]. */
const I386: ReadonlyMap<number, readonly [string, number]> = new Map([
  [1, ['exit', 60]], [3, ['read', 0]], [4, ['write', 1]], [6, ['close', 3]], [20, ['getpid', 39]],
  [27, ['alarm', 37]], [29, ['pause', 34]], [37, ['kill', 62]], [64, ['getppid', 110]], [65, ['getpgrp', 111]],
  [158, ['sched_yield', 24]], [199, ['getuid32', 102]], [200, ['getgid32', 104]], [201, ['geteuid32', 107]],
  [202, ['getegid32', 108]], [224, ['gettid', 186]], [252, ['exit_group', 231]],
] as const);

/** The i386 name of syscall `nr` if colonel implements it (the tracer's names for 32-bit calls). */
export function i386Name(nr: number): string | undefined {
  return I386.get(nr)?.[0];
}

const rowCache = new Map<number, SyscallRow>();
/** The x86-64 row under its i386 name and number, so the tracer prints the call as strace does. */
function i386Row(nr: number): SyscallRow | undefined {
  let row = rowCache.get(nr);
  if (row) return row;
  const e = I386.get(nr);
  const base = e ? SYSCALLS[e[1]] : undefined;
  if (!e || !base) return undefined;
  row = { ...base, nr, name: e[0] };
  rowCache.set(nr, row);
  return row;
}

/**
 * The fault door's check: a #GP from `int $0x80` is a 32-bit syscall. Returns false for any other
 * fault (or with ia32 emulation off), which then raises its signal as before.
 */
export function ia32Syscall(k: Kernel, f: GuestFault): boolean {
  if (f.vector !== Vector.GP || f.errorCode !== INT80_ERROR_CODE || !k.options.ia32) return false;
  const cpu = k.cpu;
  // A trap gate: the instruction completes (it retires, as `syscall` does: the engine stopped short
  // of counting it) and the saved rip is the next one.
  cpu.rip = k.engine.insnAt(f.rip).next;
  cpu.icount++;
  const nr = cpu.r32[2 * Reg.RAX];
  const u32 = (r: number) => cpu.r32[2 * r] >>> 0;
  const args = [u32(Reg.RBX), u32(Reg.RCX), u32(Reg.RDX), u32(Reg.RSI), u32(Reg.RDI), u32(Reg.RBP)];
  // A restart runs `int $0x80` again (2 bytes, as `syscall`) with the i386 number in eax.
  k.doSyscall(32, i386Row(nr), nr, args, `i386 syscall ${nr >>> 0} (int $0x80)`);
  return true;
}
