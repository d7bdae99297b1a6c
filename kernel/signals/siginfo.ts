// siginfo_t as x86-64 Linux hands it to a handler (include/uapi/asm-generic/siginfo.h, kernel/signal.c
// copy_siginfo_to_user): 128 bytes, si_signo @0, si_errno @4, si_code @8, then a union @16 whose
// layout the sender decides:
//   kill, tkill, sigqueue, a signal the kernel sends (SI_KERNEL): si_pid @16, si_uid @20, si_value @24
//   a fault (SIGSEGV, SIGILL, SIGFPE, SIGBUS, SIGTRAP from a trap): si_addr @16
//   rt_sigqueueinfo: whatever 128 bytes the sender passed (the kernel only checks si_code)
// The kernel clears the whole structure first, so every byte not named is zero.

import { Sig, SiCode } from '../signal.js';

export const SIGINFO_SIZE = 128;

export const SI = {
  ...SiCode,
  SI_QUEUE: -1, SI_TIMER: -2, SI_MESGQ: -3, SI_ASYNCIO: -4, SI_SIGIO: -5,
  FPE_FLTDIV: 3, FPE_FLTOVF: 4, FPE_FLTUND: 5, FPE_FLTRES: 6, FPE_FLTINV: 7,
  ILL_ILLOPC: 1, ILL_PRVOPC: 5, TRAP_HWBKPT: 4,
} as const;

/** A queued signal's information. */
export type SigInfo =
  | { signo: number; errno: number; code: number; kind: 'kill'; pid: number; uid: number; value: bigint }
  | { signo: number; errno: number; code: number; kind: 'fault'; addr: number }
  | { signo: number; errno: number; code: number; kind: 'raw'; bytes: Uint8Array };

/** A signal sent by a process (kill: SI_USER, tkill/tgkill: SI_TKILL), with its pid and uid. */
export function userInfo(signo: number, code: number, pid: number, uid: number, value = 0n): SigInfo {
  return { signo, errno: 0, code, kind: 'kill', pid, uid, value };
}

/** A signal the kernel sends on its own behalf (SEND_SIG_PRIV: SI_KERNEL, pid and uid 0). */
export function kernelInfo(signo: number): SigInfo {
  return { signo, errno: 0, code: SI.SI_KERNEL, kind: 'kill', pid: 0, uid: 0, value: 0n };
}

/** force_sig_fault: a fault's signal with si_addr. */
export function faultInfo(signo: number, code: number, addr: number): SigInfo {
  return { signo, errno: 0, code, kind: 'fault', addr };
}

/** The 128 bytes copy_siginfo_to_user writes. */
export function encodeSiginfo(info: SigInfo): Uint8Array {
  if (info.kind === 'raw') {
    const b = info.bytes.slice(0, SIGINFO_SIZE);
    new DataView(b.buffer).setInt32(0, info.signo, true); // the kernel sets si_signo itself
    return b;
  }
  const b = new Uint8Array(SIGINFO_SIZE);
  const v = new DataView(b.buffer);
  v.setInt32(0, info.signo, true);
  v.setInt32(4, info.errno, true);
  v.setInt32(8, info.code, true);
  if (info.kind === 'kill') {
    v.setInt32(16, info.pid, true);
    v.setUint32(20, info.uid >>> 0, true);
    v.setBigUint64(24, BigInt.asUintN(64, info.value), true);
  } else {
    v.setBigUint64(16, BigInt.asUintN(64, BigInt(info.addr)), true);
  }
  return b;
}

/** Signals the kernel delivers before any other pending one: those a fault raises (SYNCHRONOUS_MASK). */
export const SYNCHRONOUS = new Set<number>([Sig.SIGSEGV, Sig.SIGBUS, Sig.SIGILL, Sig.SIGTRAP, Sig.SIGFPE, Sig.SIGSYS]);

/** SIGRTMIN: signals from here on are queued once per sending, the ones below once at most. */
export const SIGRTMIN = 32;
