// The syscalls of signal delivery and timers: rt_sigreturn, pause, rt_sigsuspend, rt_sigtimedwait,
// rt_sigqueueinfo, rt_tgsigqueueinfo, alarm, getitimer, setitimer, and process_vm_readv/writev on
// oneself (kernel/signal.c, arch/x86/kernel/signal_64.c, kernel/time/itimer.c, mm/process_vm_access.c).
// The dispositions, mask and alternate stack are set by kernel/syscalls/signal.ts.

import { Reg } from '../../cpu/cpu.js';
import { GuestFault } from '../../cpu/fault.js';
import { PAGE_SIZE } from '../../cpu/memory.js';
import { Errno } from '../errno.js';
import { Sig } from '../signal.js';
import { copyFromUser, copyToUser, getUser64, StructWriter } from '../uaccess.js';
import { getTimespec } from '../syscalls/time.js';
import { readIovec } from '../syscalls/fs.js';
import type { Kernel } from '../kernel.js';
import { a, type SyscallRow } from '../syscalls/types.js';
import { restoreRtFrame } from './frame.js';
import { dequeue, forceSig, nextSignal, sendSig, UNBLOCKABLE } from './deliver.js';
import { encodeSiginfo, SI, SIGINFO_SIZE } from './siginfo.js';
import { NSIG, sigState } from './state.js';
import { pauseUntilSignal, waitTimed } from './wait.js';
import { alarm, getItimer, setItimer, ITIMER_PROF, type ItimerValue } from './itimer.js';

const SIGSET_SIZE = 8;
const NS = 1_000_000_000n;

/** rt_sigreturn: back from a handler to where the signal interrupted, or SIGSEGV for a bad frame. */
function sysRtSigreturn(k: Kernel): number {
  const r = restoreRtFrame(k, (m) => { k.sigmask = m & ~UNBLOCKABLE; });
  if (!r) {
    // signal_fault(): the frame was corrupt.
    k.options.diag(`colonel: ${k.exePath.split('/').pop() || 'guest'}[${k.pid}] bad frame in rt_sigreturn frame:${(k.cpu.getS(Reg.RSP) - 8).toString(16)} ip:${k.cpu.rip.toString(16)}`);
    forceSig(k, Sig.SIGSEGV);
    return 0;
  }
  // The syscall door stores this result as a number; exitToUserMode then puts back all 64 bits.
  sigState(k).sigreturnRax = r.rax;
  return k.cpu.getS(Reg.RAX);
}

function sysRtSigsuspend(k: Kernel, umask: number, size: number): number {
  if (size !== SIGSET_SIZE) return -Errno.EINVAL;
  const mask = getUser64(k, umask) & ~UNBLOCKABLE;
  // set_restore_sigmask: the frame of the handler that ends the wait saves the old mask.
  sigState(k).savedMask = k.sigmask;
  k.sigmask = mask;
  return pauseUntilSignal(k, 'rt_sigsuspend');
}

function sysRtSigtimedwait(k: Kernel, uthese: number, uinfo: number, uts: number, size: number): number {
  if (size !== SIGSET_SIZE) return -Errno.EINVAL;
  const these = getUser64(k, uthese) & ~UNBLOCKABLE;
  let timeout: bigint | null = null;
  if (uts) {
    const t = getTimespec(k, uts);
    if (typeof t === 'number') return t;
    timeout = t;
  }
  const r = waitTimed(k, () => (k.sigpending & these) !== 0n, timeout, 'rt_sigtimedwait');
  if (r !== 0) return r;
  const sig = nextSignal(k, k.sigpending & these);
  const q = dequeue(k, sig);
  if (uinfo) copyToUser(k, uinfo, encodeSiginfo(q.info));
  return sig;
}

/** rt_sigqueueinfo / rt_tgsigqueueinfo to this process: the sender's own siginfo. */
function sysSigqueueinfo(k: Kernel, pid: number, tid: number, sig: number, uinfo: number): number {
  const bytes = copyFromUser(k, uinfo, SIGINFO_SIZE);
  const code = new DataView(bytes.buffer).getInt32(8, true);
  // Not even root may pretend to be the kernel or kill()/tgkill() when signalling another process.
  if ((code >= 0 || code === SI.SI_TKILL) && pid !== k.pid) return -Errno.EPERM;
  if (sig < 0 || sig > NSIG) return -Errno.EINVAL;
  if (pid !== k.pid || tid !== k.pid) return -Errno.ESRCH;
  return sig === 0 ? 0 : sendSig(k, sig, { signo: sig, errno: 0, code, kind: 'raw', bytes });
}

// ---- interval timers: struct itimerval is {it_interval, it_value}, each a timeval {sec, usec} ----

function getItimerval(k: Kernel, addr: number): ItimerValue | number {
  const v = new DataView(copyFromUser(k, addr, 32).buffer);
  const tv = (o: number): bigint | null => {
    const sec = v.getBigInt64(o, true), usec = v.getBigInt64(o + 8, true);
    return sec < 0n || usec < 0n || usec >= 1_000_000n ? null : sec * NS + usec * 1000n;
  };
  const interval = tv(0), value = tv(16);
  if (interval === null || value === null) return -Errno.EINVAL;
  return { interval, value };
}

function putItimerval(k: Kernel, addr: number, t: ItimerValue): void {
  const w = new StructWriter(32);
  w.u64(0, t.interval / NS).u64(8, (t.interval % NS) / 1000n).u64(16, t.value / NS).u64(24, (t.value % NS) / 1000n);
  copyToUser(k, addr, w.bytes);
}

function sysSetitimer(k: Kernel, which: number, unew: number, uold: number): number {
  const v = unew ? getItimerval(k, unew) : { value: 0n, interval: 0n };
  if (typeof v === 'number') return v;
  if (which < 0 || which > ITIMER_PROF) return -Errno.EINVAL;
  const old = setItimer(k, which, v);
  if (uold) putItimerval(k, uold, old);
  return 0;
}

// ---- process_vm_readv / process_vm_writev ----

/**
 * Copy between this process's local iovecs and its "remote" ones (itself), page by page on the
 * remote side as get_user_pages pins them: the count of bytes copied before the first failure, or
 * -EFAULT if nothing could be copied.
 */
function sysProcessVmRw(k: Kernel, pid: number, lvec: number, lcnt: number, rvec: number, rcnt: number, flags: number, write: boolean): number {
  if (flags !== 0) return -Errno.EINVAL;
  const local = readIovec(k, lvec, lcnt);
  if (typeof local === 'number') return local;
  const remote = readIovec(k, rvec, rcnt);
  if (typeof remote === 'number') return remote;
  if (pid !== k.pid) return -Errno.ESRCH;
  let li = 0, loff = 0, copied = 0;
  const localLeft = () => {
    while (li < local.length && loff >= local[li].len) { li++; loff = 0; }
    return li < local.length;
  };
  try {
    for (const r of remote) {
      let off = 0;
      while (off < r.len && localLeft()) {
        const addr = r.base + off;
        const n = Math.min(r.len - off, PAGE_SIZE - (addr & (PAGE_SIZE - 1)), local[li].len - loff);
        const l = local[li].base + loff;
        if (write) k.mem.writeBytes(addr, k.mem.readBytes(l, n));
        else k.mem.writeBytes(l, k.mem.readBytes(addr, n));
        off += n;
        loff += n;
        copied += n;
      }
    }
  } catch (e) {
    if (!(e instanceof GuestFault)) throw e;
    return copied > 0 ? copied : -Errno.EFAULT;
  }
  return copied;
}

export const SIGNAL_DELIVERY_SYSCALLS: SyscallRow[] = [
  {
    nr: 15, name: 'rt_sigreturn', args: [a('frame', 'rt_sigframe')], ret: 'int', status: 'full', classes: ['signal'],
    note: 'restores registers, flags, FPU state (fxsave), mask and sigaltstack from the frame', handler: (k) => sysRtSigreturn(k),
  },
  {
    nr: 34, name: 'pause', args: [], ret: 'int', status: 'full', classes: ['signal'],
    note: 'only this process\'s own timers can wake it (else EDEADLK)', handler: (k) => pauseUntilSignal(k, 'pause'),
  },
  {
    nr: 130, name: 'rt_sigsuspend', args: [a('mask', 'sigset_in'), a('sigsetsize', 'size')], ret: 'int', status: 'full', classes: ['signal'],
    note: 'only this process\'s own timers can wake it (else EDEADLK)', handler: (k, m, size) => sysRtSigsuspend(k, m, size),
  },
  {
    nr: 128, name: 'rt_sigtimedwait', args: [a('set', 'sigset_in'), a('info', 'siginfo_out'), a('timeout', 'timespec_in'), a('sigsetsize', 'size')], ret: 'signo', status: 'full', classes: ['signal'],
    handler: (k, set, info, ts, size) => sysRtSigtimedwait(k, set, info, ts, size),
  },
  {
    nr: 129, name: 'rt_sigqueueinfo', args: [a('tgid', 'int'), a('sig', 'signo'), a('info', 'siginfo_in')], ret: 'int', status: 'full', classes: ['signal', 'process'],
    handler: (k, pid, sig, info) => sysSigqueueinfo(k, pid | 0, pid | 0, sig | 0, info),
  },
  {
    nr: 297, name: 'rt_tgsigqueueinfo', args: [a('tgid', 'int'), a('tid', 'int'), a('sig', 'signo'), a('info', 'siginfo_in')], ret: 'int', status: 'full', classes: ['signal', 'process'],
    handler: (k, tgid, tid, sig, info) => sysSigqueueinfo(k, tgid | 0, tid | 0, sig | 0, info),
  },
  {
    nr: 37, name: 'alarm', args: [a('seconds', 'uint')], ret: 'int', status: 'full', classes: ['signal'],
    note: 'on CLOCK_MONOTONIC: virtual time by default', handler: (k, s) => alarm(k, s >>> 0),
  },
  {
    nr: 36, name: 'getitimer', args: [a('which', 'itimer_which'), a('curr_value', 'itimerval_out')], ret: 'int', status: 'full', classes: ['signal'],
    handler: (k, which, addr) => {
      if ((which | 0) < 0 || (which | 0) > ITIMER_PROF) return -Errno.EINVAL;
      putItimerval(k, addr, getItimer(k, which | 0));
      return 0;
    },
  },
  {
    nr: 38, name: 'setitimer', args: [a('which', 'itimer_which'), a('new_value', 'itimerval_in'), a('old_value', 'itimerval_out')], ret: 'int', status: 'full', classes: ['signal'],
    note: 'CPU-time timers fire at the exact instruction, not at the next tick', handler: (k, which, n, o) => sysSetitimer(k, which | 0, n, o),
  },
  {
    nr: 310, name: 'process_vm_readv', args: [a('pid', 'int'), a('local_iov', 'iovec_out', 2), a('liovcnt', 'ulong'), a('remote_iov', 'iovec_addr', 4), a('riovcnt', 'ulong'), a('flags', 'ulong')], ret: 'int', status: 'partial', classes: ['process'],
    note: 'only this process exists', handler: (k, pid, lv, lc, rv, rc, fl) => sysProcessVmRw(k, pid | 0, lv, lc, rv, rc, fl, false),
  },
  {
    nr: 311, name: 'process_vm_writev', args: [a('pid', 'int'), a('local_iov', 'iovec_in', 2), a('liovcnt', 'ulong'), a('remote_iov', 'iovec_addr', 4), a('riovcnt', 'ulong'), a('flags', 'ulong')], ret: 'int', status: 'partial', classes: ['process'],
    note: 'only this process exists', handler: (k, pid, lv, lc, rv, rc, fl) => sysProcessVmRw(k, pid | 0, lv, lc, rv, rc, fl, true),
  },
];
