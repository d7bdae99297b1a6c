// Generating and delivering signals (kernel/signal.c __send_signal_locked, force_sig_info_to_task,
// get_signal; arch/x86/kernel/signal.c handle_signal; kernel/entry/common.c exit_to_user_mode_loop).
//
// A signal is first queued: k.sigpending gets its bit and sigState(k).queue its siginfo (one instance
// below SIGRTMIN, every sending from SIGRTMIN up). Nothing happens to the process until it is about to
// return to user mode: after every syscall, after a fault was handled, and when the run loop stops for
// a timer. There exitToUserMode() takes pending signals the mask lets through, synchronous ones (those
// a fault raised) first, then the lowest number, and for each either discards it (ignored), ends the
// process (the default action terminate or core), or builds a frame and enters the handler. Several
// signals delivered at once nest: the last frame built runs first.
//
// A fault is forced (force_sig_fault): if its signal is blocked or ignored the disposition is reset to
// SIG_DFL and the signal unblocked, so a program cannot loop on a fault it refuses to see; it dies.

import { Reg } from '../../cpu/cpu.js';
import { GuestFault, Vector } from '../../cpu/fault.js';
import { defaultAction, signalName, Sig, type FaultSignal } from '../signal.js';
import type { Kernel } from '../kernel.js';
import { faultInfo, kernelInfo, SI, SIGRTMIN, SYNCHRONOUS, type SigInfo } from './siginfo.js';
import { getSigaction, resetHandler, SA, sigbit, sigState, SIG_DFL, SIG_IGN, NSIG } from './state.js';
import { setupRtFrame } from './frame.js';
import { sasSsReset, SS_AUTODISARM } from './altstack.js';
import { fireItimers } from './itimer.js';
import { faultSignal } from './faults.js';
import { ERESTARTNOINTR, ERESTARTSYS, isRestart } from './restart.js';
import { Errno } from '../errno.js';
import { RLIMIT } from '../rlimit.js';

/** Exceptions of the fault class (SDM vol. 3A 6.5): the CPU sets RF in the flags image it saves. */
const FAULT_CLASS = new Set<number>([Vector.DE, Vector.UD, Vector.GP, Vector.PF, Vector.MF, Vector.XM]);

/** SIGKILL and SIGSTOP can be neither blocked nor caught. */
export const UNBLOCKABLE = sigbit(Sig.SIGKILL) | sigbit(Sig.SIGSTOP);

const warned = new WeakMap<Kernel, Set<string>>();
function warnOnce(k: Kernel, key: string, line: string): void {
  let set = warned.get(k);
  if (!set) warned.set(k, (set = new Set()));
  if (!set.has(key)) {
    set.add(key);
    k.options.diag(`colonel: ${line}`);
  }
}

/** sig_task_ignored: SIG_IGN, or SIG_DFL with a default of ignore (SIGCHLD, SIGURG, SIGWINCH, SIGCONT). */
export function sigIgnored(k: Kernel, sig: number): boolean {
  if (sig === Sig.SIGKILL || sig === Sig.SIGSTOP) return false;
  const h = getSigaction(k, sig).handler;
  if (h === SIG_IGN) return true;
  if (h !== SIG_DFL) return false;
  const d = defaultAction(sig);
  return d === 'ign' || d === 'cont';
}

/**
 * Queue one instance (legacy signals already pending are not queued twice). A signal from the kernel
 * (a fault's, or SI_KERNEL) keeps a FaultSignal record, which a death by it reports (ExitInfo.fault).
 */
function enqueue(k: Kernel, sig: number, info: SigInfo, fault?: FaultSignal, line?: string): number {
  const st = sigState(k);
  if (!fault && (info.kind === 'fault' || info.code === SI.SI_KERNEL)) {
    fault = { signo: sig, code: info.code, addr: info.kind === 'fault' ? info.addr : 0, trapno: st.trapNr, err: st.errorCode };
  }
  const list = st.queue.get(sig) ?? [];
  if (sig < SIGRTMIN && (k.sigpending & sigbit(sig)) !== 0n) return 0;
  if (list.length > 0 && queuedCount(k) >= queueLimit(k)) {
    // __sigqueue_alloc failed (RLIMIT_SIGPENDING): sigqueue is refused; anything else stays pending
    // without another instance.
    return info.kind === 'raw' && info.code < 0 && info.code !== SI.SI_TKILL ? -Errno.EAGAIN : 0;
  }
  list.push({ info, fault, line });
  st.queue.set(sig, list);
  k.sigpending |= sigbit(sig);
  return 0;
}

/** Queued instances in all: at most RLIMIT_SIGPENDING, and never more than MAX_QUEUED. */
const MAX_QUEUED = 8192;
function queuedCount(k: Kernel): number {
  let n = 0;
  for (const l of sigState(k).queue.values()) n += l.length;
  return n;
}
function queueLimit(k: Kernel): number {
  const cur = k.rlimits[RLIMIT.SIGPENDING].cur;
  return cur < BigInt(MAX_QUEUED) ? Number(cur) : MAX_QUEUED;
}

/**
 * Send `sig` to this process (kill, tgkill, sigqueue, SIGPIPE, a timer). A signal that would be
 * ignored is dropped at once unless it is blocked (the handler may change before it is unblocked) or
 * a tracer is attached (it sees the signal taken off the queue, then discarded).
 * Returns 0, or -EAGAIN for a sigqueue over the queue limit.
 */
export function sendSig(k: Kernel, sig: number, info: SigInfo): number {
  if (sig <= 0 || sig > NSIG) return 0;
  const blocked = (k.sigmask & sigbit(sig)) !== 0n;
  // sig_ignored(): "Tracers may want to know about even ignored signal": queued when traced.
  if (!blocked && sigIgnored(k, sig) && !sigState(k).ptraced) return 0;
  const d = defaultAction(sig);
  if (d === 'stop' && getSigaction(k, sig).handler === SIG_DFL) {
    warnOnce(k, 'stop', `${signalName(sig)} ignored: colonel has no job control`);
    return 0;
  }
  return enqueue(k, sig, info);
}

/**
 * force_sig_info (HANDLER_CURRENT): a signal the process cannot refuse. Blocked or ignored, it is
 * unblocked and its handler reset to SIG_DFL first.
 */
export function forceSig(k: Kernel, sig: number, info: SigInfo = kernelInfo(sig), fault?: FaultSignal, line?: string): void {
  const act = getSigaction(k, sig);
  const blocked = (k.sigmask & sigbit(sig)) !== 0n;
  if (blocked || act.handler === SIG_IGN) {
    resetHandler(k, sig);
    k.sigmask &= ~sigbit(sig);
  }
  enqueue(k, sig, info, fault, line);
}

/** force_fatal_sig: the default action, whatever the disposition (a frame for SIGSEGV could not be built). */
function forceFatal(k: Kernel, sig: number): void {
  resetHandler(k, sig);
  k.sigmask &= ~sigbit(sig);
  // A pending SIGSEGV with its old information would otherwise be delivered in its place.
  sigState(k).queue.delete(sig);
  k.sigpending &= ~sigbit(sig);
  enqueue(k, sig, kernelInfo(sig));
}

/** The fault record a signal frame reports (current->thread), as the trap handlers set it. */
export function setFaultRecord(k: Kernel, trapNr: number, errorCode: number, cr2?: number): void {
  const st = sigState(k);
  st.trapNr = trapNr;
  st.errorCode = errorCode;
  if (cr2 !== undefined) st.cr2 = cr2;
}

/**
 * A CPU exception the kernel could not fix up: raise its signal (force_sig_fault). `line` is the
 * kernel's log line, printed only if the signal ends the process.
 */
export function forceSigFault(k: Kernel, f: GuestFault, line: (sig: FaultSignal) => string): void {
  const sig = faultSignal(k, f);
  if (!sig) return;
  setFaultRecord(k, sig.trapno, sig.err, sig.trapno === 14 ? sig.addr : undefined);
  const info = sig.code === 0x80 ? kernelInfo(sig.signo) : faultInfo(sig.signo, sig.code, sig.addr);
  forceSig(k, sig.signo, info, sig, line(sig));
}

/** The next signal get_signal would take from `set`: synchronous first, then the lowest number. */
export function nextSignal(k: Kernel, set: bigint): number {
  if (set === 0n) return 0;
  for (const s of SYNCHRONOUS) if (set & sigbit(s)) return s;
  for (let s = 1; s <= NSIG; s++) if (set & sigbit(s)) return s;
  return 0;
}

/** Take one instance of a pending signal off the queue. */
export function dequeue(k: Kernel, sig: number): { info: SigInfo; fault?: FaultSignal; line?: string } {
  const st = sigState(k);
  const list = st.queue.get(sig);
  const q = list?.shift() ?? { info: kernelInfo(sig) };
  if (!list || list.length === 0) {
    st.queue.delete(sig);
    k.sigpending &= ~sigbit(sig);
  }
  return q;
}

/** Discard every queued instance of `sig` (SIG_IGN set on a pending signal). */
export function flushSig(k: Kernel, sig: number): void {
  sigState(k).queue.delete(sig);
  k.sigpending &= ~sigbit(sig);
}

/** A pending signal would be acted on now: not blocked and not ignored (ignored ones are discarded). */
export function signalWaiting(k: Kernel): boolean {
  let ready = k.sigpending & ~k.sigmask;
  while (ready) {
    const sig = nextSignal(k, ready);
    ready &= ~sigbit(sig);
    if (!sigIgnored(k, sig)) return true;
    flushSig(k, sig);
  }
  return false;
}

/**
 * Return to user mode (after a syscall, a fault, a timer stop): fire due timers, then deliver every
 * pending signal the mask lets through. After syscall `syscallNr`, a restart code in rax (restart.ts)
 * is resolved: -EINTR or a restart for the first handler, a restart if none runs. Also finishes
 * rt_sigreturn's exact rax. After a fault, `fault` is the exception the CPU raised.
 */
export function exitToUserMode(k: Kernel, syscallNr = -1, fault?: GuestFault): void {
  const st = sigState(k);
  const c = k.cpu;
  // Returning from a fault-class exception: the flags image the CPU pushed has RF set.
  st.resumeFlag = fault !== undefined && FAULT_CLASS.has(fault.vector);
  if (st.sigreturnRax) {
    c.r32[2 * Reg.RAX] = st.sigreturnRax.lo;
    c.r32[2 * Reg.RAX + 1] = st.sigreturnRax.hi;
    st.sigreturnRax = null;
  }
  if (k.exit) return;
  fireItimers(k);
  let restart = syscallNr >= 0 && isRestart(c.getS(Reg.RAX)) ? -c.getS(Reg.RAX) : 0;
  let delivered = false;
  while (!k.exit) {
    const sig = nextSignal(k, k.sigpending & ~k.sigmask);
    if (sig === 0) break;
    const q = dequeue(k, sig);
    const act = getSigaction(k, sig);
    if (k.observers.length) {
      const d = act.handler === SIG_DFL ? defaultAction(sig) : null;
      const action = act.handler === SIG_IGN || d === 'ign' || d === 'cont' || d === 'stop' ? 'ignore' : d ? 'default' : 'handler';
      for (const o of k.observers) o.sigdequeue?.(k, sig, q.info, action);
    }
    if (act.handler === SIG_IGN) continue;
    if (act.handler === SIG_DFL) {
      const d = defaultAction(sig);
      if (d === 'ign' || d === 'cont') continue;
      if (d === 'stop') {
        warnOnce(k, 'stop', `${signalName(sig)} ignored: colonel has no job control`);
        continue;
      }
      k.killBySignal(sig, q.fault, q.line ?? '');
      return;
    }
    if (restart) {
      // handle_signal: the interrupted call fails with EINTR, or runs again for SA_RESTART.
      if (restart === ERESTARTNOINTR || (restart === ERESTARTSYS && act.flags & SA.RESTART)) restartSyscall(k, syscallNr);
      else c.setN(Reg.RAX, -Errno.EINTR);
      restart = 0;
    }
    if (handleSignal(k, sig, act, q.info)) delivered = true;
  }
  // No handler ran: the call starts over, as if never interrupted.
  if (restart && !k.exit) restartSyscall(k, syscallNr);
  st.resumeFlag = false;
  // restore_saved_sigmask: a sigsuspend that ran no handler gets its mask back.
  if (!delivered && st.savedMask !== null) {
    k.sigmask = st.savedMask;
    st.savedMask = null;
  }
}

/** Run syscall `nr` again: rax = nr, rip back over the 2-byte syscall instruction. */
function restartSyscall(k: Kernel, nr: number): void {
  k.cpu.setN(Reg.RAX, nr);
  k.cpu.rip -= 2;
}

/** handle_signal: enter the handler; on a frame that cannot be built, SIGSEGV (signal_setup_done). */
function handleSignal(k: Kernel, sig: number, act: ReturnType<typeof getSigaction>, info: SigInfo): boolean {
  const st = sigState(k);
  if (act.flags & SA.RESETHAND) resetHandler(k, sig);
  // sigmask_to_save: the mask sigsuspend replaced, else the current one.
  const oldmask = st.savedMask ?? k.sigmask;
  if (!setupRtFrame(k, sig, act, info, oldmask)) {
    if (sig === Sig.SIGSEGV) forceFatal(k, Sig.SIGSEGV);
    else forceSig(k, Sig.SIGSEGV);
    return false;
  }
  st.savedMask = null;
  // signal_delivered: block sa_mask and, unless SA_NODEFER, the signal itself.
  let blocked = k.sigmask | act.mask;
  if (!(act.flags & SA.NODEFER)) blocked |= sigbit(sig);
  k.sigmask = blocked & ~UNBLOCKABLE;
  if (k.altstack.flags & SS_AUTODISARM) sasSsReset(k);
  for (const o of k.observers) o.sigdeliver?.(k, sig, info, Number(BigInt.asIntN(64, act.handler)));
  return true;
}
