// The alternate signal stack (kernel/signal.c do_sigaltstack, include/linux/sched/signal.h). k.altstack
// holds what Linux keeps in the task: sas_ss_sp, sas_ss_size (0: no stack) and sas_ss_flags, the flags
// exactly as the program passed them (0, SS_ONSTACK, SS_DISABLE, maybe | SS_AUTODISARM). Whether the
// process is on the stack is not state: it is computed from rsp whenever asked.

import { Errno } from '../errno.js';
import type { Kernel } from '../kernel.js';

export const SS_ONSTACK = 1;
export const SS_DISABLE = 2;
export const SS_AUTODISARM = 1 << 31;
const SS_FLAG_BITS = SS_AUTODISARM;
export const MINSIGSTKSZ = 2048;

/** __on_sig_stack: sp lies in the alternate stack (its top end counts, its bottom does not). */
export function onAltstack(k: Kernel, sp: number): boolean {
  const a = k.altstack;
  return sp > a.sp && sp - a.sp <= a.size;
}

/** on_sig_stack: with SS_AUTODISARM the kernel never believes it is already on the stack. */
export function onSigStack(k: Kernel, sp: number): boolean {
  return (k.altstack.flags & SS_AUTODISARM) === 0 && onAltstack(k, sp);
}

/** sas_ss_flags: SS_DISABLE without a stack, else SS_ONSTACK when sp is on it, else 0. */
export function sasSsFlags(k: Kernel, sp: number): number {
  if (k.altstack.size === 0) return SS_DISABLE;
  return onSigStack(k, sp) ? SS_ONSTACK : 0;
}

/** sas_ss_reset: forget the alternate stack (after a delivery on an SS_AUTODISARM stack). */
export function sasSsReset(k: Kernel): void {
  k.altstack = { sp: 0, size: 0, flags: SS_DISABLE };
}

export interface StackT {
  sp: number;
  flags: number;
  size: number;
}

/** What sigaltstack(NULL, &old) reports at stack pointer sp. */
export function currentAltstack(k: Kernel, sp: number): StackT {
  const a = k.altstack;
  return { sp: a.sp, size: a.size, flags: sasSsFlags(k, sp) | (a.flags & SS_FLAG_BITS) };
}

/** do_sigaltstack's change: 0, -EPERM while on the stack, -EINVAL for a bad mode, -ENOMEM if too small. */
export function doSigaltstack(k: Kernel, ss: StackT, sp: number): number {
  if (onSigStack(k, sp)) return -Errno.EPERM;
  const mode = ss.flags & ~SS_FLAG_BITS;
  if (mode !== SS_DISABLE && mode !== SS_ONSTACK && mode !== 0) return -Errno.EINVAL;
  const a = k.altstack;
  if (a.sp === ss.sp && a.size === ss.size && a.flags === ss.flags) return 0;
  if (mode === SS_DISABLE) {
    k.altstack = { sp: 0, size: 0, flags: ss.flags };
    return 0;
  }
  if (ss.size < MINSIGSTKSZ) return -Errno.ENOMEM;
  k.altstack = { sp: ss.sp, size: ss.size, flags: ss.flags };
  return 0;
}
