// Signal state: rt_sigaction, rt_sigprocmask, rt_sigpending, sigaltstack, and kill/tkill/tgkill to
// oneself (linux/kernel/signal.c). The dispositions, mask, pending set and alternate stack are kept in
// the Kernel (k.sigactions, k.sigmask, k.sigpending, k.altstack) so that signal delivery can build on them.
//
// What happens to a signal today: ignored ones are discarded; a blocked one stays pending until the
// mask lets it through (musl's and glibc's raise() block signals around tkill, so abort() depends on
// this); a default action of terminate or core ends the process as Linux would (abort() → SIGABRT,
// status 134). Running a handler the program installed is not implemented yet: such a signal is
// dropped with a one-time diagnostic. Stop signals are ignored (there is no job control).

import { Errno } from '../errno.js';
import { copyFromUser, copyToUser, StructWriter } from '../uaccess.js';
import { defaultAction, signalName, Sig } from '../signal.js';
import { warnOnce } from './common.js';
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

/** Send `sig` to this process (kill, tgkill, a broken pipe): discard, leave pending, or act on it now. */
export function sendSignal(k: Kernel, sig: number): void {
  if (sig === 0) return;
  if (ignored(k, sig)) {
    if (defaultAction(sig) === 'stop' && handlerOf(k, sig) === SIG_DFL) warnOnce(k, 'stop', `${signalName(sig)} ignored: colonel has no job control`);
    return;
  }
  k.sigpending |= bit(sig);
  deliverPending(k);
}

/** Act on pending signals the mask no longer blocks (called after kill and after mask changes). */
export function deliverPending(k: Kernel): void {
  let ready = k.sigpending & ~k.sigmask;
  for (let sig = 1; ready && sig <= NSIG && !k.exit; sig++) {
    if (!(ready & bit(sig))) continue;
    ready &= ~bit(sig);
    k.sigpending &= ~bit(sig);
    if (ignored(k, sig)) continue;
    if (handlerOf(k, sig) === SIG_DFL) {
      k.killBySignal(sig);
      return;
    }
    warnOnce(k, `handler:${sig}`, `${signalName(sig)} has a handler, but running signal handlers is not implemented yet; the signal is dropped`);
  }
}

function sysRtSigaction(k: Kernel, sig: number, act: number, oact: number, size: number): number {
  if (size !== SIGSET_SIZE || sig < 1 || sig > NSIG) return -Errno.EINVAL;
  if (act && (sig === Sig.SIGKILL || sig === Sig.SIGSTOP)) return -Errno.EINVAL;
  const old = k.sigactions.get(sig) ?? new Uint8Array(SIGACTION_SIZE);
  if (act) {
    const next = copyFromUser(k, act, SIGACTION_SIZE);
    const v = new DataView(next.buffer);
    v.setBigUint64(24, v.getBigUint64(24, true) & ~UNBLOCKABLE, true); // sa_mask cannot hold SIGKILL/SIGSTOP
    k.sigactions.set(sig, next);
    if (ignored(k, sig)) k.sigpending &= ~bit(sig); // POSIX: setting SIG_IGN discards a pending signal
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
  deliverPending(k);
  return 0;
}

const SS_ONSTACK = 1, SS_DISABLE = 2, SS_AUTODISARM = 1 << 31;
const MINSIGSTKSZ = 2048;

/** sigaltstack: stack_t is {void *ss_sp; int ss_flags; size_t ss_size} (24 bytes). */
function sysSigaltstack(k: Kernel, ss: number, oss: number): number {
  const old = { ...k.altstack };
  if (ss) {
    const v = new DataView(copyFromUser(k, ss, 24).buffer);
    const sp = Number(v.getBigInt64(0, true)), flags = v.getInt32(8, true), size = Number(v.getBigUint64(16, true));
    const mode = flags & ~SS_AUTODISARM;
    if (mode !== 0 && mode !== SS_ONSTACK && mode !== SS_DISABLE) return -Errno.EINVAL;
    if (mode === SS_DISABLE) k.altstack = { sp: 0, size: 0, flags: SS_DISABLE };
    else {
      if (size < MINSIGSTKSZ) return -Errno.ENOMEM;
      k.altstack = { sp, size, flags: flags & SS_AUTODISARM };
    }
  }
  if (oss) copyToUser(k, oss, new StructWriter(24).u64(0, old.sp).i32(8, old.flags).u64(16, old.size).bytes);
  return 0;
}

/** kill(2)'s pid: this process (pid, 0 = our group, -pgid), else ESRCH. kill(-1) skips the caller. */
function sysKill(k: Kernel, pid: number, sig: number): number {
  if (sig < 0 || sig > NSIG) return -Errno.EINVAL;
  const self = pid === k.pid || pid === 0 || (pid < -1 && -pid === k.pgid);
  if (!self) return -Errno.ESRCH;
  sendSignal(k, sig);
  return 0;
}

function sysTgkill(k: Kernel, tgid: number, tid: number, sig: number): number {
  if (tgid <= 0 || tid <= 0 || sig < 0 || sig > NSIG) return -Errno.EINVAL;
  if (tgid !== k.pid || tid !== k.pid) return -Errno.ESRCH;
  sendSignal(k, sig);
  return 0;
}

export const SIGNAL_SYSCALLS: SyscallRow[] = [
  {
    nr: 13, name: 'rt_sigaction', args: [a('signum', 'signo'), a('act', 'sigaction_in'), a('oldact', 'sigaction_out'), a('sigsetsize', 'size')], ret: 'int', status: 'partial', classes: ['signal'],
    note: 'dispositions are recorded; handlers do not run yet', handler: (k, sig, act, oact, size) => sysRtSigaction(k, sig, act, oact, size),
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
    nr: 131, name: 'sigaltstack', args: [a('ss', 'sigaltstack_in'), a('old_ss', 'sigaltstack_out')], ret: 'int', status: 'partial', classes: ['signal'],
    note: 'recorded for signal delivery; never reports SS_ONSTACK yet', handler: (k, ss, oss) => sysSigaltstack(k, ss, oss),
  },
  {
    nr: 62, name: 'kill', args: [a('pid', 'int'), a('sig', 'signo')], ret: 'int', status: 'partial', classes: ['signal', 'process'],
    note: 'only this process exists; default actions and masks apply, handlers do not run yet', handler: (k, pid, sig) => sysKill(k, pid | 0, sig | 0),
  },
  {
    nr: 200, name: 'tkill', args: [a('tid', 'int'), a('sig', 'signo')], ret: 'int', status: 'partial', classes: ['signal', 'process'],
    note: 'only this thread exists; handlers do not run yet', handler: (k, tid, sig) => sysTgkill(k, k.pid, tid | 0, sig | 0),
  },
  {
    nr: 234, name: 'tgkill', args: [a('tgid', 'int'), a('tid', 'int'), a('sig', 'signo')], ret: 'int', status: 'partial', classes: ['signal', 'process'],
    note: 'only this thread exists; handlers do not run yet', handler: (k, tgid, tid, sig) => sysTgkill(k, tgid | 0, tid | 0, sig | 0),
  },
];
