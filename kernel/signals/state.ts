// Per-process signal state beyond what the Kernel keeps for the signal syscalls (k.sigactions,
// k.sigmask, k.sigpending, k.altstack): the queued siginfo of each pending signal, the fault record
// sigcontext reports (current->thread.trap_nr, error_code, cr2), the mask sigsuspend replaced, and
// the interval timers. Kept beside the Kernel, one per process, so the kernel's own fields stay few.

import type { Kernel } from '../kernel.js';
import type { FaultSignal } from '../signal.js';
import type { SigInfo } from './siginfo.js';

/** sa_flags bits (arch/x86/include/uapi/asm/signal.h). */
export const SA = {
  NOCLDSTOP: 0x1, NOCLDWAIT: 0x2, SIGINFO: 0x4, UNSUPPORTED: 0x400, EXPOSE_TAGBITS: 0x800,
  RESTORER: 0x04000000, ONSTACK: 0x08000000, RESTART: 0x10000000, NODEFER: 0x40000000, RESETHAND: 0x80000000,
} as const;

export const SIG_DFL = 0n;
export const SIG_IGN = 1n;
export const NSIG = 64;

export const sigbit = (sig: number): bigint => 1n << BigInt(sig - 1);

/** struct kernel_sigaction as rt_sigaction stores it: handler @0, flags @8, restorer @16, mask @24. */
export interface Sigaction {
  handler: bigint;
  flags: number;
  restorer: number;
  mask: bigint;
}

export function getSigaction(k: Kernel, sig: number): Sigaction {
  const raw = k.sigactions.get(sig);
  if (!raw) return { handler: SIG_DFL, flags: 0, restorer: 0, mask: 0n };
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return { handler: v.getBigUint64(0, true), flags: Number(v.getBigUint64(8, true) & 0xffffffffn), restorer: Number(v.getBigInt64(16, true)), mask: v.getBigUint64(24, true) };
}

/** Reset a disposition's handler to SIG_DFL (SA_RESETHAND, force_sig on a blocked or ignored fault). */
export function resetHandler(k: Kernel, sig: number): void {
  const raw = k.sigactions.get(sig);
  if (raw) new DataView(raw.buffer, raw.byteOffset, raw.byteLength).setBigUint64(0, SIG_DFL, true);
}

/** A signal waiting for delivery, with what the kernel will say if it kills. */
export interface Queued {
  info: SigInfo;
  /** For a fault: the ExitInfo detail and the kernel's log line (printed only when it kills). */
  fault?: FaultSignal;
  line?: string;
}

/** An interval timer: the next expiry on its clock (ns) and the reload interval (0: one-shot). */
export interface Itimer {
  deadline: bigint;
  interval: bigint;
}

export class SignalState {
  /** Queued instances of each pending signal (one at most below SIGRTMIN). k.sigpending mirrors it. */
  readonly queue = new Map<number, Queued[]>();
  /** current->thread.trap_nr, error_code, cr2: set by the last fault that raised a signal, reported
   *  in every later frame (a kill() handler sees the last fault's values, as on Linux). */
  trapNr = 0;
  errorCode = 0;
  cr2 = 0;
  /** set_restore_sigmask(): the mask sigsuspend replaced; the frame saves it, else it is restored. */
  savedMask: bigint | null = null;
  /** The interrupted context is a fault-class exception's: its saved flags have RF (bit 16). */
  resumeFlag = false;
  /** rt_sigreturn's exact 64-bit rax (the syscall door stores the handler's result as a number). */
  sigreturnRax: { lo: number; hi: number } | null = null;
  /** ITIMER_REAL (CLOCK_MONOTONIC ns), ITIMER_VIRTUAL and ITIMER_PROF (process CPU ns). null: disarmed. */
  readonly itimers: (Itimer | null)[] = [null, null, null];
  /**
   * A tracer is attached (t->ptrace): sig_ignored() then queues an ignored signal instead of dropping
   * it, so that get_signal takes it off the queue, shows it to the tracer, and only then discards it.
   */
  ptraced = false;
}

const states = new WeakMap<Kernel, SignalState>();

export function sigState(k: Kernel): SignalState {
  let s = states.get(k);
  if (!s) states.set(k, (s = new SignalState()));
  return s;
}
