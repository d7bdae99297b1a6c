// Interval timers (kernel/time/itimer.c, posix-cpu-timers.c): alarm and setitimer's three timers.
//
//   ITIMER_REAL     SIGALRM   CLOCK_MONOTONIC: runs while the process computes and while it sleeps
//   ITIMER_VIRTUAL  SIGVTALRM the process's user CPU time
//   ITIMER_PROF     SIGPROF   its user + system CPU time (colonel's kernel work costs no time: the same)
//
// With the virtual clock, time is a function of retired instructions (and of sleeps), so an expiry is
// an exact instruction count: the run loop stops there (timerLimit), and the signal arrives between
// the same two instructions on every run. Linux checks CPU timers only at ticks; colonel fires them
// exactly. Each expiry sends one signal (SI_KERNEL, as the kernel's timers send); an expiry while the
// last one is still pending is lost, as for any legacy signal. An interval reloads the timer from its
// last expiry, skipping expiries that lie in the past (hrtimer_forward).

import { Sig } from '../signal.js';
import { CLOCK } from '../clock.js';
import type { Kernel } from '../kernel.js';
import { kernelInfo } from './siginfo.js';
import { sigState, type Itimer } from './state.js';
import { sendSig } from './deliver.js';

export const ITIMER_REAL = 0;
export const ITIMER_VIRTUAL = 1;
export const ITIMER_PROF = 2;
const SIGNALS = [Sig.SIGALRM, Sig.SIGVTALRM, Sig.SIGPROF];
const NS = 1_000_000_000n;
const NSEC_PER_USEC = 1000n;
/** TICK_NSEC at HZ=250: what getitimer reports for a CPU timer about to fire. */
const TICK_NSEC = 4_000_000n;

/** The clock a timer runs on, in ns. */
export function itimerClock(k: Kernel, which: number): bigint {
  return which === ITIMER_REAL ? k.clockNs(CLOCK.MONOTONIC)! : k.clockNs(CLOCK.PROCESS_CPUTIME_ID)!;
}

export interface ItimerValue {
  value: bigint;
  interval: bigint;
}

/** What getitimer reports: the time left (at least 1 us while armed) and the interval. */
export function getItimer(k: Kernel, which: number): ItimerValue {
  const t = sigState(k).itimers[which];
  if (!t) return { value: 0n, interval: 0n };
  let left = t.deadline - itimerClock(k, which);
  if (left <= 0n) left = which === ITIMER_REAL ? NSEC_PER_USEC : TICK_NSEC;
  return { value: left, interval: t.interval };
}

/** do_setitimer: arm (value > 0) or disarm the timer; returns the old setting. */
export function setItimer(k: Kernel, which: number, v: ItimerValue): ItimerValue {
  const old = getItimer(k, which);
  const timers = sigState(k).itimers;
  timers[which] = v.value > 0n ? { deadline: itimerClock(k, which) + v.value, interval: v.interval } : null;
  // The run loop computed its instruction budget without this timer: have it look again.
  k.engine.stopRequested = true;
  return old;
}

/** alarm_setitimer: seconds left on the old alarm, rounded to the nearest (never 0 while armed). */
export function alarm(k: Kernel, seconds: number): number {
  const old = setItimer(k, ITIMER_REAL, { value: BigInt(seconds >>> 0) * NS, interval: 0n });
  let sec = old.value / NS;
  const nsec = old.value % NS;
  if ((sec === 0n && nsec !== 0n) || nsec >= NS / 2n) sec++;
  return Number(sec);
}

function fire(k: Kernel, which: number, t: Itimer, now: bigint): void {
  sendSig(k, SIGNALS[which], kernelInfo(SIGNALS[which]));
  const timers = sigState(k).itimers;
  if (t.interval > 0n) {
    const behind = (now - t.deadline) / t.interval + 1n;
    t.deadline += behind * t.interval;
  } else timers[which] = null;
}

/** Send the signal of every timer that has expired (the run loop and the sleeps call this). */
export function fireItimers(k: Kernel): void {
  const timers = sigState(k).itimers;
  for (let which = 0; which < 3; which++) {
    const t = timers[which];
    if (!t) continue;
    const now = itimerClock(k, which);
    if (now >= t.deadline) fire(k, which, t, now);
  }
}

/**
 * A timer has expired and not fired yet: a loop that runs instructions one at a time (colonel step,
 * trace --insns) returns to user mode when this is true, which is at exactly the count Kernel.run
 * stops at (timerLimit), so the signal arrives between the same two instructions in every mode.
 */
export function itimerDue(k: Kernel): boolean {
  const timers = sigState(k).itimers;
  for (let which = 0; which < 3; which++) {
    const t = timers[which];
    if (t && itimerClock(k, which) >= t.deadline) return true;
  }
  return false;
}

/** When ITIMER_REAL next expires on CLOCK_MONOTONIC (what a sleep must stop for), or null. */
export function realDeadline(k: Kernel): bigint | null {
  return sigState(k).itimers[ITIMER_REAL]?.deadline ?? null;
}

/**
 * The instruction count at which the next timer expires (Infinity if none is armed): the run loop
 * stops there. Under --clock host time does not follow instructions; the run loop polls instead.
 */
export function timerLimit(k: Kernel): number {
  const timers = sigState(k).itimers;
  if (k.options.clock === 'host' || (!timers[0] && !timers[1] && !timers[2])) return Infinity;
  const tk = k.tk;
  const cpi = BigInt(tk.cyclesPerInstruction);
  const icount = BigInt(k.cpu.icount);
  let best = Infinity;
  for (let which = 0; which < 3; which++) {
    const t = timers[which];
    if (!t) continue;
    let at: bigint;
    if (which === ITIMER_REAL) {
      const tsc = tk.tscWhen(CLOCK.MONOTONIC, { sec: t.deadline / NS, nsec: t.deadline % NS });
      const left = tsc === null ? 1n : tsc - k.tsc();
      at = icount + (left <= 0n ? 0n : (left + cpi - 1n) / cpi);
    } else {
      // CPU time = instructions * cpi / tscHz: the first count at which it reaches the deadline.
      const hz = BigInt(tk.tscHz);
      at = (t.deadline * hz + NS * cpi - 1n) / (NS * cpi);
    }
    best = Math.min(best, Number(at <= icount ? icount + 1n : at));
  }
  return best;
}
