// Blocking that a signal can end (TASK_INTERRUPTIBLE sleeps): nanosleep, pause, sigsuspend,
// rt_sigtimedwait. colonel's process is alone, so the only thing that can happen while it waits is its
// own ITIMER_REAL expiring: a wait advances the clock to that expiry (or to its own timeout), fires
// the timer, and looks at what is pending. A signal the process would act on (a handler, or a default
// action that kills) ends the wait with -EINTR; the handler then runs on the way out of the syscall.
// A wait nothing can end would last forever on Linux; colonel says so and fails it (EDEADLK), as the
// other impossible waits do (kernel/syscalls/common.ts, whose wouldBlockForever also waits here first
// for the process's own timer, and then asks for a restart: -ERESTARTSYS, see deliver.ts).

import { Errno } from '../errno.js';
import { CLOCK } from '../clock.js';
import type { Kernel } from '../kernel.js';
import { sleepNs } from '../syscalls/time.js';
import { deadlock } from '../syscalls/common.js';
import { ERESTARTNOHAND } from './restart.js';
import { fireItimers, realDeadline } from './itimer.js';
import { signalWaiting } from './deliver.js';

const monotonic = (k: Kernel) => k.clockNs(CLOCK.MONOTONIC)!;

/** Let the clock reach `target` (CLOCK_MONOTONIC ns). */
function sleepUntil(k: Kernel, target: bigint): void {
  // A sleep of n ns moves the clock by at least n, give or take the TSC's rounding: top it up.
  for (let left = target - monotonic(k); left > 0n; left = target - monotonic(k)) sleepNs(k, left);
}

/**
 * Sleep `ns` unless a signal interrupts: returns the time left (0n when the sleep completed), as
 * nanosleep needs for its remaining-time argument.
 */
export function sleepInterruptible(k: Kernel, ns: bigint): bigint {
  const end = monotonic(k) + ns;
  for (;;) {
    if (signalWaiting(k)) return end - monotonic(k);
    const alarm = realDeadline(k);
    if (alarm === null || alarm >= end) {
      sleepUntil(k, end);
      return 0n;
    }
    sleepUntil(k, alarm);
    fireItimers(k);
  }
}

/**
 * Wait until a signal the process acts on is pending: true, or false when nothing could ever arrive
 * (no timer is armed).
 */
export function waitForSignal(k: Kernel): boolean {
  for (;;) {
    if (signalWaiting(k)) return true;
    const alarm = realDeadline(k);
    if (alarm === null) return false;
    sleepUntil(k, alarm);
    fireItimers(k);
  }
}

/**
 * pause, sigsuspend: once a signal is acted on, -ERESTARTNOHAND, which its handler turns into EINTR
 * as the call returns (restart.ts; strace shows the code as Linux returns it).
 */
export function pauseUntilSignal(k: Kernel, what: string): number {
  return waitForSignal(k) ? -ERESTARTNOHAND : deadlock(k, what);
}

/**
 * rt_sigtimedwait's wait: until `ready()` finds a signal, a signal outside the set interrupts, or
 * `timeout` ns pass (null: no limit). Returns 0 when ready() may succeed, -EINTR or -EAGAIN.
 */
export function waitTimed(k: Kernel, ready: () => boolean, timeout: bigint | null, what: string): number {
  const end = timeout === null ? null : monotonic(k) + timeout;
  for (;;) {
    if (ready()) return 0;
    if (signalWaiting(k)) return -Errno.EINTR;
    const alarm = realDeadline(k);
    if (end !== null && (alarm === null || alarm >= end)) {
      sleepUntil(k, end);
      return ready() ? 0 : -Errno.EAGAIN;
    }
    if (alarm === null) return deadlock(k, what);
    sleepUntil(k, alarm);
    fireItimers(k);
  }
}
