// Signal state: rt_sigaction, rt_sigprocmask, rt_sigpending, sigaltstack, and kill/tkill/tgkill to
// oneself (linux/kernel/signal.c). The dispositions, mask, pending set and alternate stack are kept in
// the Kernel (k.sigactions, k.sigmask, k.sigpending, k.altstack); kernel/signals/ queues and delivers
// signals from them when the process returns to user mode (after this syscall): a handler runs on a
// signal frame, a default action ignores or ends the process, a blocked signal waits for its unblocking
// (musl's and glibc's raise() block signals around tkill, so abort() depends on it). Stop signals are
// ignored (there is no job control).

import { Errno } from '../errno.js';
import { copyFromUser, copyToUser, StructWriter } from '../uaccess.js';
import { defaultAction, Sig } from '../signal.js';
import { sendSig, flushSig } from '../signals/deliver.js';
import { userInfo } from '../signals/siginfo.js';
import { currentAltstack, doSigaltstack } from '../signals/altstack.js';
import { Reg } from '../../cpu/cpu.js';
import type { Kernel } from '../kernel.js';
import { a, type SyscallRow } from './types.js';

export const NSIG = 64;
const SIG_DFL = 0n, SIG_IGN = 1n;
const SIGSET_SIZE = 8;
/** struct kernel_sigaction (x86-64): handler, flags, restorer, mask. */
const SIGACTION_SIZE = 32;
const bit = (sig: number) => 1n << BigInt(sig - 1);
/** SIGKILL and SIGSTOP can be neither blocked nor caught. */
const UNBLOCKABLE = bit(Sig.SIGKILL) | bit(Sig.SIGSTOP);

/** The handler field of a signal's disposition: SIG_DFL (0), SIG_IGN (1) or an address. */
export function handlerOf(k: Kernel, sig: number): bigint {
  const act = k.sigactions.get(sig);
  return act ? new DataView(act.buffer, act.byteOffset).getBigUint64(0, true) : SIG_DFL;
}

/** Would this signal be discarded on arrival (ignored explicitly or by default)? */
function ignored(k: Kernel, sig: number): boolean {
  if (sig === Sig.SIGKILL) return false;
  const h = handlerOf(k, sig);
  if (h === SIG_IGN) return true;
  return h === SIG_DFL && ['ign', 'cont', 'stop'].includes(defaultAction(sig));
}

/**
 * Send `sig` to this process (kill, tgkill, a broken pipe): queued, or dropped if ignored; acted on
 * when the process returns to user mode. `code` is the si_code (SI_USER for kill and for the
 * kernel's own send_sig, SI_TKILL for tkill/tgkill).
 */
export function sendSignal(k: Kernel, sig: number, code = 0): void {
  if (sig === 0) return;
  sendSig(k, sig, userInfo(sig, code, k.pid, 0));
}

/** SA_NOCLDSTOP, SA_NOCLDWAIT, SA_SIGINFO, SA_EXPOSE_TAGBITS, SA_RESTORER, SA_ONSTACK, SA_RESTART, SA_NODEFER, SA_RESETHAND. */
const UAPI_SA_FLAGS = 0x1n | 0x2n | 0x4n | 0x800n | 0x04000000n | 0x08000000n | 0x10000000n | 0x40000000n | 0x80000000n;

function sysRtSigaction(k: Kernel, sig: number, act: number, oact: number, size: number): number {
  if (size !== SIGSET_SIZE || sig < 1 || sig > NSIG) return -Errno.EINVAL;
  if (act && (sig === Sig.SIGKILL || sig === Sig.SIGSTOP)) return -Errno.EINVAL;
  const old = k.sigactions.get(sig) ?? new Uint8Array(SIGACTION_SIZE);
  if (act) {
    const next = copyFromUser(k, act, SIGACTION_SIZE);
    const v = new DataView(next.buffer);
    v.setBigUint64(24, v.getBigUint64(24, true) & ~UNBLOCKABLE, true); // sa_mask cannot hold SIGKILL/SIGSTOP
    // do_sigaction clears the flag bits it does not know (UAPI_SA_FLAGS, Linux 5.11+), so that a program
    // can detect unsupported flags in the old action; musl's sign-extended int sets bits 32-63.
    v.setBigUint64(8, v.getBigUint64(8, true) & UAPI_SA_FLAGS, true);
    k.sigactions.set(sig, next);
    if (ignored(k, sig)) flushSig(k, sig); // POSIX: setting SIG_IGN discards a pending signal
  }
  if (oact) copyToUser(k, oact, old);
  return 0;
}

const SIG_BLOCK = 0, SIG_UNBLOCK = 1, SIG_SETMASK = 2;

function sysRtSigprocmask(k: Kernel, how: number, set: number, oset: number, size: number): number {
  if (size !== SIGSET_SIZE) return -Errno.EINVAL;
  const old = k.sigmask;
  if (set) {
    const v = new DataView(copyFromUser(k, set, 8).buffer).getBigUint64(0, true);
    switch (how) {
      case SIG_BLOCK: k.sigmask = old | v; break;
      case SIG_UNBLOCK: k.sigmask = old & ~v; break;
      case SIG_SETMASK: k.sigmask = v; break;
      default: return -Errno.EINVAL;
    }
    k.sigmask &= ~UNBLOCKABLE;
  }
  if (oset) copyToUser(k, oset, new StructWriter(8).u64(0, old).bytes);
  return 0;
}

/** sigaltstack: stack_t is {void *ss_sp; int ss_flags; size_t ss_size} (24 bytes). */
function sysSigaltstack(k: Kernel, ss: number, oss: number): number {
  const sp = k.cpu.getS(Reg.RSP);
  const old = currentAltstack(k, sp);
  if (ss) {
    const v = new DataView(copyFromUser(k, ss, 24).buffer);
    const r = doSigaltstack(k, { sp: Number(v.getBigInt64(0, true)), flags: v.getInt32(8, true), size: Number(v.getBigUint64(16, true)) }, sp);
    if (r < 0) return r;
  }
  if (oss) copyToUser(k, oss, new StructWriter(24).u64(0, old.sp).i32(8, old.flags).u64(16, old.size).bytes);
  return 0;
}

/** kill(2)'s pid: this process (pid, 0 = our group, -pgid), else ESRCH. kill(-1) skips the caller. */
function sysKill(k: Kernel, pid: number, sig: number): number {
  if (sig < 0 || sig > NSIG) return -Errno.EINVAL;
  const self = pid === k.pid || pid === 0 || (pid < -1 && -pid === k.pgid);
  if (!self) return -Errno.ESRCH;
  sendSignal(k, sig, 0);
  return 0;
}

function sysTgkill(k: Kernel, tgid: number, tid: number, sig: number): number {
  if (tgid <= 0 || tid <= 0 || sig < 0 || sig > NSIG) return -Errno.EINVAL;
  if (tgid !== k.pid || tid !== k.pid) return -Errno.ESRCH;
  sendSignal(k, sig, -6); // SI_TKILL
  return 0;
}

export const SIGNAL_SYSCALLS: SyscallRow[] = [
  {
    nr: 13, name: 'rt_sigaction', args: [a('signum', 'signo'), a('act', 'sigaction_in'), a('oldact', 'sigaction_out'), a('sigsetsize', 'size')], ret: 'int', status: 'full', classes: ['signal'],
    handler: (k, sig, act, oact, size) => sysRtSigaction(k, sig, act, oact, size),
  },
  {
    nr: 14, name: 'rt_sigprocmask', args: [a('how', 'sighow'), a('set', 'sigset_in'), a('oldset', 'sigset_out'), a('sigsetsize', 'size')], ret: 'int', status: 'full', classes: ['signal'],
    handler: (k, how, set, oset, size) => sysRtSigprocmask(k, how | 0, set, oset, size),
  },
  {
    nr: 127, name: 'rt_sigpending', args: [a('set', 'sigset_out'), a('sigsetsize', 'size')], ret: 'int', status: 'full', classes: ['signal'],
    handler: (k, set, size) => {
      if (size > SIGSET_SIZE || size < 0) return -Errno.EINVAL;
      copyToUser(k, set, new StructWriter(8).u64(0, k.sigpending).bytes.subarray(0, size));
      return 0;
    },
  },
  {
    nr: 131, name: 'sigaltstack', args: [a('ss', 'sigaltstack_in'), a('old_ss', 'sigaltstack_out')], ret: 'int', status: 'full', classes: ['signal'],
    handler: (k, ss, oss) => sysSigaltstack(k, ss, oss),
  },
  {
    nr: 62, name: 'kill', args: [a('pid', 'int'), a('sig', 'signo')], ret: 'int', status: 'partial', classes: ['signal', 'process'],
    note: 'only this process exists', handler: (k, pid, sig) => sysKill(k, pid | 0, sig | 0),
  },
  {
    nr: 200, name: 'tkill', args: [a('tid', 'int'), a('sig', 'signo')], ret: 'int', status: 'partial', classes: ['signal', 'process'],
    note: 'only this thread exists', handler: (k, tid, sig) => sysTgkill(k, k.pid, tid | 0, sig | 0),
  },
  {
    nr: 234, name: 'tgkill', args: [a('tgid', 'int'), a('tid', 'int'), a('sig', 'signo')], ret: 'int', status: 'partial', classes: ['signal', 'process'],
    note: 'only this thread exists', handler: (k, tgid, tid, sig) => sysTgkill(k, tgid | 0, tid | 0, sig | 0),
  },
];
