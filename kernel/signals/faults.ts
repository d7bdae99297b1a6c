// CPU exceptions as the signals Linux raises for them (arch/x86/kernel/traps.c, arch/x86/mm/fault.c,
// arch/x86/kernel/fpu/core.c fpu__exception_code). Each also leaves the thread's fault record
// (trap_nr, error_code, cr2) that sigcontext reports as REG_TRAPNO, REG_ERR and REG_CR2.
//
//   #PF  SIGSEGV  SEGV_ACCERR if a mapping covers the address (the access was not allowed), else
//                 SEGV_MAPERR; si_addr = CR2 = the address; REG_ERR = the x86 error code with the
//                 user bit. Addresses at or above TASK_SIZE_MAX (the vsyscall page, the kernel) have
//                 no mapping a user can see: MAPERR, with the protection bit forced on (the kernel
//                 does not reveal which of its pages exist). A PROT_NONE page is never present in the
//                 page tables, so its faults lack the present bit.
//   #GP  SIGSEGV  SI_KERNEL, si_addr 0, REG_ERR = the CPU's error code (0, or (n << 3) | 2 for int n)
//   #UD  SIGILL   ILL_ILLOPN, si_addr = rip of the instruction
//   #DE  SIGFPE   FPE_INTDIV, si_addr = rip
//   #BP  SIGTRAP  SI_KERNEL (int3 / int 3): rip after the instruction, as the CPU reports a trap
//   #DB  SIGTRAP  TRAP_TRACE after a single-stepped instruction (rip and si_addr after it); int1
//                 (icebp) is TRAP_BRKPT, also with rip after it
//   #MF / #XM SIGFPE with FPE_FLT* from the unmasked exception flags (x87 status word, MXCSR)

import { Vector, PFErr, type GuestFault } from '../../cpu/fault.js';
import { PROT_NONE } from '../../cpu/memory.js';
import { SINGLE_STEP } from '../../cpu/engine.js';
import { Sig, type FaultSignal } from '../signal.js';
import type { Kernel } from '../kernel.js';
import { SI } from './siginfo.js';

/** The end of user space (2^47 - one guard page). */
export const TASK_SIZE_MAX = 0x7ffffffff000;

/** fpu__exception_code: the si_code of an x87 (#MF) or SIMD (#XM) exception, 0 if spurious. */
export function fpuExceptionCode(k: Kernel, vector: number): number {
  let err: number;
  if (vector === Vector.MF) {
    const x = k.cpu.x87;
    err = x.status() & ~x.cw;
  } else {
    const mxcsr = k.cpu.mxcsr;
    err = ~(mxcsr >> 7) & mxcsr;
  }
  if (err & 0x001) return SI.FPE_FLTINV;
  if (err & 0x004) return SI.FPE_FLTDIV;
  if (err & 0x008) return SI.FPE_FLTOVF;
  if (err & 0x012) return SI.FPE_FLTUND;
  if (err & 0x020) return SI.FPE_FLTRES;
  return 0;
}

/**
 * The signal for fault `f`, or null when Linux sends none (a spurious FPU exception). For traps it
 * moves rip past the instruction (the engine reports int3/int1 at the instruction itself).
 */
export function faultSignal(k: Kernel, f: GuestFault): FaultSignal | null {
  const c = k.cpu;
  switch (f.vector) {
    case Vector.PF: {
      const addr = f.addr;
      let err = f.errorCode | PFErr.USER;
      let code: number = SI.SEGV_MAPERR;
      if (addr >= 0 && addr < TASK_SIZE_MAX) {
        const vma = k.mm.find(addr);
        if (vma) {
          code = SI.SEGV_ACCERR;
          if (vma.prot === PROT_NONE) err &= ~PFErr.PRESENT;
        }
      } else err |= PFErr.PRESENT;
      return { signo: Sig.SIGSEGV, code, addr, trapno: Vector.PF, err };
    }
    case Vector.GP:
      return { signo: Sig.SIGSEGV, code: SI.SI_KERNEL, addr: 0, trapno: Vector.GP, err: f.errorCode };
    case Vector.UD:
      return { signo: Sig.SIGILL, code: SI.ILL_ILLOPN, addr: f.rip, trapno: Vector.UD, err: 0 };
    case Vector.DE:
      return { signo: Sig.SIGFPE, code: SI.FPE_INTDIV, addr: f.rip, trapno: Vector.DE, err: 0 };
    case Vector.BP:
      // A trap: the instruction completes and retires (the engine stopped short of counting it).
      c.rip = k.engine.insnAt(f.rip).next;
      c.icount++;
      return { signo: Sig.SIGTRAP, code: SI.SI_KERNEL, addr: 0, trapno: Vector.BP, err: 0 };
    case Vector.DB:
      if (f.detail === SINGLE_STEP) return { signo: Sig.SIGTRAP, code: SI.TRAP_TRACE, addr: f.rip, trapno: Vector.DB, err: 0 };
      c.rip = k.engine.insnAt(f.rip).next;
      c.icount++;
      return { signo: Sig.SIGTRAP, code: SI.TRAP_BRKPT, addr: c.rip, trapno: Vector.DB, err: 0 };
    case Vector.MF:
    case Vector.XM: {
      const code = fpuExceptionCode(k, f.vector);
      return code === 0 ? null : { signo: Sig.SIGFPE, code, addr: f.rip, trapno: f.vector, err: 0 };
    }
    default:
      return { signo: Sig.SIGSEGV, code: SI.SI_KERNEL, addr: 0, trapno: f.vector, err: f.errorCode };
  }
}
