// Signal numbers and names of x86-64 Linux (arch/x86/include/uapi/asm/signal.h), the exit status a
// shell shows for a death by signal (128 + signo), and how CPU exceptions become signals
// (arch/x86/kernel/traps.c, arch/x86/mm/fault.c).

import { Vector, type GuestFault, PFErr } from '../cpu/fault.js';

export const Sig = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8, SIGKILL: 9,
  SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15, SIGSTKFLT: 16, SIGCHLD: 17,
  SIGCONT: 18, SIGSTOP: 19, SIGTSTP: 20, SIGTTIN: 21, SIGTTOU: 22, SIGURG: 23, SIGXCPU: 24, SIGXFSZ: 25,
  SIGVTALRM: 26, SIGPROF: 27, SIGWINCH: 28, SIGIO: 29, SIGPWR: 30, SIGSYS: 31,
} as const;

export const SIGNAL_NAMES: Record<number, string> = Object.fromEntries(Object.entries(Sig).map(([k, v]) => [v, k]));

/** What a shell prints for a death by this signal (bash's strsignal). */
export const SIGNAL_MESSAGES: Record<number, string> = {
  1: 'Hangup', 2: 'Interrupt', 3: 'Quit', 4: 'Illegal instruction', 5: 'Trace/breakpoint trap', 6: 'Aborted', 7: 'Bus error',
  8: 'Floating point exception', 9: 'Killed', 10: 'User defined signal 1', 11: 'Segmentation fault', 12: 'User defined signal 2',
  13: 'Broken pipe', 14: 'Alarm clock', 15: 'Terminated', 16: 'Stack fault', 24: 'CPU time limit exceeded', 25: 'File size limit exceeded',
  26: 'Virtual timer expired', 27: 'Profiling timer expired', 29: 'I/O possible', 30: 'Power failure', 31: 'Bad system call',
};

export function signalName(n: number): string {
  return SIGNAL_NAMES[n] ?? (n >= 34 && n <= 64 ? `SIGRT_${n - 34}` : `signal ${n}`);
}

/** Default action of each signal: terminate, terminate with a core dump, ignore, stop, continue. */
export function defaultAction(sig: number): 'term' | 'core' | 'ign' | 'stop' | 'cont' {
  switch (sig) {
    case Sig.SIGQUIT: case Sig.SIGILL: case Sig.SIGTRAP: case Sig.SIGABRT: case Sig.SIGBUS: case Sig.SIGFPE:
    case Sig.SIGSEGV: case Sig.SIGXCPU: case Sig.SIGXFSZ: case Sig.SIGSYS:
      return 'core';
    case Sig.SIGCHLD: case Sig.SIGURG: case Sig.SIGWINCH:
      return 'ign';
    case Sig.SIGSTOP: case Sig.SIGTSTP: case Sig.SIGTTIN: case Sig.SIGTTOU:
      return 'stop';
    case Sig.SIGCONT:
      return 'cont';
    default:
      return 'term';
  }
}

/** siginfo codes the fault signals carry (include/uapi/asm-generic/siginfo.h). */
export const SiCode = {
  SI_USER: 0, SI_KERNEL: 0x80, SI_TKILL: -6,
  SEGV_MAPERR: 1, SEGV_ACCERR: 2,
  ILL_ILLOPN: 2, FPE_INTDIV: 1, FPE_INTOVF: 2, TRAP_BRKPT: 1, TRAP_TRACE: 2,
} as const;

export interface FaultSignal {
  signo: number;
  code: number;
  /** si_addr: the faulting address for SIGSEGV, the instruction for SIGILL/SIGFPE. */
  addr: number;
  trapno: number;
  err: number;
}

/** The signal a CPU exception becomes, as Linux's trap handlers decide it. */
export function faultToSignal(f: GuestFault): FaultSignal {
  switch (f.vector) {
    case Vector.PF:
      return { signo: Sig.SIGSEGV, code: f.errorCode & PFErr.PRESENT ? SiCode.SEGV_ACCERR : SiCode.SEGV_MAPERR, addr: f.addr, trapno: 14, err: f.errorCode };
    case Vector.GP:
      return { signo: Sig.SIGSEGV, code: SiCode.SI_KERNEL, addr: 0, trapno: 13, err: 0 };
    case Vector.UD:
      return { signo: Sig.SIGILL, code: SiCode.ILL_ILLOPN, addr: f.rip, trapno: 6, err: 0 };
    case Vector.DE:
      return { signo: Sig.SIGFPE, code: SiCode.FPE_INTDIV, addr: f.rip, trapno: 0, err: 0 };
    case Vector.BP:
      return { signo: Sig.SIGTRAP, code: SiCode.SI_KERNEL, addr: 0, trapno: 3, err: 0 };
    case Vector.DB:
      return { signo: Sig.SIGTRAP, code: SiCode.TRAP_TRACE, addr: f.rip, trapno: 1, err: 0 };
    default:
      return { signo: Sig.SIGSEGV, code: SiCode.SI_KERNEL, addr: 0, trapno: f.vector, err: f.errorCode };
  }
}
