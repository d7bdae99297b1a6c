// The clocks behind clock_gettime and friends: Kernel.clockNs() delegates here, and the syscalls in
// kernel/syscalls/time.ts only ever call k.clockNs(id). Wall and monotonic clocks come from the
// timekeeper (kernel/time/timekeeping.ts) at the kernel's TSC (Kernel.tsc): with the virtual clock a
// 3 GHz TSC that ticks once per retired instruction plus the time the process spent "asleep"
// (nanosleep adds to k.sleptNs instead of sleeping the host, so runs repeat exactly and sleep(10)
// takes no wall time); with '--clock host' the host's monotonic time.

import type { Kernel } from './kernel.js';

const NS = 1_000_000_000n;

/** Clock ids (include/uapi/linux/time.h). */
export const CLOCK = {
  REALTIME: 0, MONOTONIC: 1, PROCESS_CPUTIME_ID: 2, THREAD_CPUTIME_ID: 3, MONOTONIC_RAW: 4,
  REALTIME_COARSE: 5, MONOTONIC_COARSE: 6, BOOTTIME: 7, REALTIME_ALARM: 8, BOOTTIME_ALARM: 9, TAI: 11,
} as const;

/**
 * A negative clock id names a process or thread CPU clock (kernel/time/posix-cpu-timers.c): bits 0-1
 * the kind (0 prof, 1 virt, 2 sched), bit 2 per-thread, the rest ~pid. Only this process's are valid.
 */
function cpuClockOf(k: Kernel, id: number): boolean {
  if ((id & 7) === 7) return false;
  const pid = ~(id >> 3);
  return pid === 0 || pid === k.pid;
}

export function clockNs(k: Kernel, id: number): bigint | null {
  if (id < 0) return cpuClockOf(k, id) ? cpuNs(k) : null;
  if (id === CLOCK.PROCESS_CPUTIME_ID || id === CLOCK.THREAD_CPUTIME_ID) return cpuNs(k);
  // Every wall and monotonic clock reads the timekeeper with the TSC, by the very formula the vDSO
  // uses on vvar, so a syscall and a vDSO call at the same TSC give the same answer.
  const alias = id === CLOCK.REALTIME_ALARM ? CLOCK.REALTIME : id === CLOCK.BOOTTIME_ALARM ? CLOCK.BOOTTIME : id;
  const ts = k.tk.readClock(alias, k.tsc());
  return ts === null ? null : ts.sec * NS + ts.nsec;
}

/** CPU time used by the process: its retired instructions at the TSC rate (or the host's CPU time). */
function cpuNs(k: Kernel): bigint {
  if (k.options.clock === 'host') {
    const u = process.cpuUsage();
    return BigInt(u.user + u.system) * 1000n;
  }
  return (k.tk.tscFromInstructions(k.cpu.icount) * NS) / BigInt(k.tk.tscHz);
}

/** The resolution clock_getres reports: hrtimer_res for high-resolution clocks, a tick for coarse ones. */
export function clockResNs(k: Kernel, id: number): bigint | null {
  if (clockNs(k, id) === null) return null;
  const alias = id === CLOCK.REALTIME_ALARM ? CLOCK.REALTIME : id === CLOCK.BOOTTIME_ALARM ? CLOCK.BOOTTIME : id;
  return k.tk.clock_getres(alias) ?? 1n;
}
