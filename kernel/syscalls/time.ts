// Time syscalls: clock_gettime, clock_getres, gettimeofday, time, nanosleep, clock_nanosleep, times,
// getrusage (linux/kernel/time/posix-timers.c, time.c, hrtimer.c, kernel/sys.c).
//
// Every reading comes from k.clockNs(clockid) and every sleep goes through sleepNs(), so the clock
// behind them can change (kernel/clock.ts today, kernel/time/'s Timekeeper later) without touching
// this file. With the virtual clock a sleep advances time instead of waiting: sleep(10) returns at
// once, and the program sees ten seconds pass. With --clock host the host really sleeps. A sleep ends
// early, with EINTR and the time left, when the process's own timer raises a signal it acts on
// (kernel/signals/wait.ts).

import { Errno } from '../errno.js';
import { copyFromUser, copyToUser, StructWriter } from '../uaccess.js';
import { CLOCK, clockResNs } from '../clock.js';
import { wouldBlockForever } from './common.js';
import { sleepInterruptible } from '../signals/wait.js';
import { ERESTART_RESTARTBLOCK } from '../signals/restart.js';
import type { Kernel } from '../kernel.js';
import { a, type SyscallRow } from './types.js';

const NS = 1_000_000_000n;
const USER_HZ = 100n;

/** struct timespec {s64 tv_sec; long tv_nsec}: ns, or -EINVAL when out of range (negative or nsec ≥ 1e9). */
export function getTimespec(k: Kernel, addr: number): bigint | number {
  const v = new DataView(copyFromUser(k, addr, 16).buffer);
  const sec = v.getBigInt64(0, true), nsec = v.getBigInt64(8, true);
  if (sec < 0n || nsec < 0n || nsec >= NS) return -Errno.EINVAL;
  return sec * NS + nsec;
}

export function putTimespec(k: Kernel, addr: number, ns: bigint): void {
  copyToUser(k, addr, new StructWriter(16).u64(0, ns / NS).u64(8, ns % NS).bytes);
}

/** struct timeval {s64 tv_sec; s64 tv_usec}. */
export function putTimeval(k: Kernel, addr: number, ns: bigint): void {
  copyToUser(k, addr, new StructWriter(16).u64(0, ns / NS).u64(8, (ns % NS) / 1000n).bytes);
}

/** Let `ns` pass: advance the virtual clock, or block the host thread under --clock host. */
export function sleepNs(k: Kernel, ns: bigint): void {
  if (ns <= 0n) return;
  if (k.options.clock === 'host') {
    // Atomics.wait takes whole milliseconds and may wake a little early: wait until the deadline.
    const deadline = process.hrtime.bigint() + ns;
    const cell = new Int32Array(new SharedArrayBuffer(4));
    for (let left = ns; left > 0n; left = deadline - process.hrtime.bigint()) Atomics.wait(cell, 0, 0, Math.ceil(Number(left) / 1e6));
    return;
  }
  k.sleptNs += ns;
}

function sysClockGettime(k: Kernel, id: number, tp: number): number {
  const ns = k.clockNs(id);
  if (ns === null) return -Errno.EINVAL;
  putTimespec(k, tp, ns);
  return 0;
}

const TIMER_ABSTIME = 1;
/** The clocks clock_nanosleep accepts (posix-timers.c: those with an nsleep method). */
const SLEEPABLE = new Set<number>([CLOCK.REALTIME, CLOCK.MONOTONIC, CLOCK.BOOTTIME, CLOCK.TAI, CLOCK.PROCESS_CPUTIME_ID]);

function sysClockNanosleep(k: Kernel, id: number, flags: number, req: number, rem: number): number {
  if (!SLEEPABLE.has(id)) return k.clockNs(id) === null ? -Errno.EINVAL : -Errno.EOPNOTSUPP; // a clock without nsleep
  const t = getTimespec(k, req);
  if (typeof t === 'number') return t;
  const now = k.clockNs(id)!;
  const ns = flags & TIMER_ABSTIME ? t - now : t;
  if (ns <= 0n) return 0;
  // The process's CPU time does not advance while it sleeps: nothing else could run to advance it.
  if (id === CLOCK.PROCESS_CPUTIME_ID) return wouldBlockForever(k, 'clock_nanosleep on CLOCK_PROCESS_CPUTIME_ID');
  const left = sleepInterruptible(k, ns);
  if (left <= 0n) return 0;
  // Interrupted by a signal: a relative sleep reports the time left (an absolute one need not); the
  // handler turns the restart code into EINTR (kernel/signals/restart.ts).
  if (rem && !(flags & TIMER_ABSTIME)) putTimespec(k, rem, left);
  return -ERESTART_RESTARTBLOCK;
}

const RUSAGE_SELF = 0, RUSAGE_CHILDREN = -1, RUSAGE_THREAD = 1;

/** struct rusage: utime and stime timevals, then 14 longs (ru_maxrss in KiB first). */
function sysGetrusage(k: Kernel, who: number, buf: number): number {
  if (who !== RUSAGE_SELF && who !== RUSAGE_CHILDREN && who !== RUSAGE_THREAD) return -Errno.EINVAL;
  const w = new StructWriter(144);
  if (who !== RUSAGE_CHILDREN) {
    const cpu = k.clockNs(CLOCK.PROCESS_CPUTIME_ID) ?? 0n;
    w.u64(0, cpu / NS).u64(8, (cpu % NS) / 1000n); // all user time: the kernel's own work is free
    w.u64(32, k.mem.pageNumbers().length * 4);
  }
  copyToUser(k, buf, w.bytes);
  return 0;
}

export const TIME_SYSCALLS: SyscallRow[] = [
  { nr: 228, name: 'clock_gettime', args: [a('clockid', 'clockid'), a('tp', 'timespec_out')], ret: 'int', status: 'full', classes: ['clock'], handler: (k, id, tp) => sysClockGettime(k, id | 0, tp) },
  {
    nr: 229, name: 'clock_getres', args: [a('clockid', 'clockid'), a('res', 'timespec_out')], ret: 'int', status: 'full', classes: ['clock'],
    handler: (k, id, res) => {
      const ns = clockResNs(k, id | 0);
      if (ns === null) return -Errno.EINVAL;
      if (res) putTimespec(k, res, ns);
      return 0;
    },
  },
  {
    nr: 96, name: 'gettimeofday', args: [a('tv', 'timeval_out'), a('tz', 'timezone_out')], ret: 'int', status: 'full', classes: ['clock'],
    handler: (k, tv, tz) => {
      if (tv) putTimeval(k, tv, k.clockNs(CLOCK.REALTIME)!);
      if (tz) copyToUser(k, tz, new Uint8Array(8)); // UTC: minuteswest 0, dsttime 0
      return 0;
    },
  },
  {
    nr: 201, name: 'time', args: [a('tloc', 'time_out')], ret: 'time', status: 'full', classes: ['clock'],
    handler: (k, tloc) => {
      const sec = k.clockNs(CLOCK.REALTIME)! / NS;
      if (tloc) copyToUser(k, tloc, new StructWriter(8).u64(0, sec).bytes);
      return Number(sec);
    },
  },
  {
    nr: 35, name: 'nanosleep', args: [a('req', 'timespec_in'), a('rem', 'timespec_rem')], ret: 'int', status: 'full', classes: ['clock'],
    note: 'virtual clock: advances time without waiting', handler: (k, req, rem) => {
      const t = getTimespec(k, req);
      if (typeof t === 'number') return t;
      const left = sleepInterruptible(k, t);
      if (left <= 0n) return 0;
      if (rem) putTimespec(k, rem, left); // interrupted by a signal: EINTR once its handler runs
      return -ERESTART_RESTARTBLOCK;
    },
  },
  {
    nr: 230, name: 'clock_nanosleep', args: [a('clockid', 'clockid'), a('flags', 'timerflags'), a('request', 'timespec_in'), a('remain', 'timespec_rem')], ret: 'int', status: 'full', classes: ['clock'],
    note: 'virtual clock: advances time without waiting', handler: (k, id, flags, req, rem) => sysClockNanosleep(k, id | 0, flags | 0, req, rem),
  },
  {
    nr: 100, name: 'times', args: [a('buf', 'tms_out')], ret: 'int', status: 'full', classes: ['clock', 'process'],
    handler: (k, buf) => {
      const ticks = (ns: bigint) => (ns * USER_HZ) / NS;
      if (buf) copyToUser(k, buf, new StructWriter(32).u64(0, ticks(k.clockNs(CLOCK.PROCESS_CPUTIME_ID) ?? 0n)).bytes);
      return Number(ticks(k.clockNs(CLOCK.MONOTONIC)!)); // clock ticks since boot
    },
  },
  { nr: 98, name: 'getrusage', args: [a('who', 'rusage_who'), a('usage', 'rusage_out')], ret: 'int', status: 'partial', classes: ['process'], note: 'times and ru_maxrss only; the counters are zero', handler: (k, who, buf) => sysGetrusage(k, who | 0, buf) },
];
