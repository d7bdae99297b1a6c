// The timekeeper: colonel's wall and monotonic clocks, over a virtual TSC.
//
// Follows Linux kernel/time/timekeeping.c (struct timekeeper, struct tk_read_base) without NTP, leap
// seconds or suspend: a clocksource (the TSC, tscHz cycles per second) converted to nanoseconds by
// (cycles * mult) >> shift, with mult and shift chosen by clocks_calc_mult_shift() as Linux does
// when it registers a clocksource; a base time (xtime, in nanoseconds << shift) taken at cycle_last;
// and a periodic tick (HZ per second) that moves cycle_last forward by whole intervals.
//
// The TSC is supplied by the caller. colonel's CPU retires instructions at a fixed virtual rate, so
// the kernel passes tsc = retired instructions * cyclesPerInstruction (tscFromInstructions()); time
// is then a pure function of (epoch, tsc): deterministic, and independent of the host's speed.
//
// The one rule the design serves: for the same TSC value, the clock_gettime syscall and the vDSO
// must give the same answer. So every high-resolution read here goes through vdsoCalcNs(), the
// TypeScript twin of the vDSO's vdso_calc_ns() in kernel/vdso/src/vclock_gettime.c, applied to the
// very basetime values update_vsyscall() (kernel/time/vsyscall.ts) writes into the vvar page.
// Accumulating whole intervals keeps readings continuous: xtime_nsec gains n * cycle_interval * mult
// exactly, which is what (delta * mult) would have added, so no reading ever jumps at a tick.
//
// BigInt throughout: this runs once per tick (every cycle_interval cycles) or per time syscall,
// never per instruction.

import {
  CLOCK, HZ, HIGH_RES_NSEC, LOW_RES_NSEC, NSEC_PER_SEC as NSEC_PER_SEC_N, VDSO_BASES, VDSO_CLOCKMODE, VDSO_COARSE, VDSO_HRES,
} from '../vdso/datapage.js';

const NSEC_PER_SEC = BigInt(NSEC_PER_SEC_N);
const U64_MAX = (1n << 64n) - 1n;
const u64 = (v: bigint) => BigInt.asUintN(64, v);
const EINVAL = 22;

/** A time as struct timespec64: seconds (may be negative) and nanoseconds in [0, 1e9). */
export interface Timespec64 { sec: bigint; nsec: bigint }
/** One basetime slot of the vvar page: sec, and nsec (<< shift for high-resolution clocks). */
export interface VdsoTimestamp { sec: bigint; nsec: bigint }

/** 2024-01-01T00:00:00Z: the default realtime at boot, so that runs are reproducible. */
export const DEFAULT_EPOCH_NS = 1_704_067_200n * NSEC_PER_SEC;
/** The virtual TSC frequency colonel advertises by default: 3.0 GHz. */
export const DEFAULT_TSC_HZ = 3_000_000_000;
/** Virtual TSC cycles per retired instruction by default. */
export const DEFAULT_CYCLES_PER_INSTRUCTION = 1;
/**
 * TAI - UTC in seconds. Linux boots with 0 and keeps it until ntpd/chrony sets it through adjtimex
 * (37 since 2017); colonel follows the boot state, so CLOCK_TAI == CLOCK_REALTIME by default.
 */
export const DEFAULT_TAI_OFFSET = 0;
/** Linux: a clocksource whose mask is 64-bit is sized for 600 s between updates. */
const MAXSEC = 600;

/**
 * kernel/time/clocksource.c clocks_calc_mult_shift(): the largest shift (at most 32) for which
 * converting `maxsec` seconds of `from` Hz into `to` Hz cannot overflow 64 bits, and
 * mult = round((to << shift) / from). `from` and `to` are u32 as in Linux.
 */
export function clocks_calc_mult_shift(from: number, to: number, maxsec: number): { mult: number; shift: number } {
  if (!(from > 0 && from <= 0xffffffff && to > 0 && to <= 0xffffffff)) throw new Error('clocks_calc_mult_shift: from/to must be u32 and non-zero');
  const f = BigInt(from);
  // Bits of headroom the product maxsec * from leaves in 64.
  let tmp = (BigInt(maxsec) * f) >> 32n;
  let sftacc = 32;
  while (tmp) { tmp >>= 1n; sftacc--; }
  // The largest shift whose mult still fits in sftacc bits.
  let sft = 32;
  for (; sft > 0; sft--) {
    tmp = ((BigInt(to) << BigInt(sft)) + f / 2n) / f;
    if ((tmp >> BigInt(sftacc)) === 0n) break;
  }
  return { mult: Number(tmp & 0xffffffffn), shift: sft };
}

/**
 * clocks_calc_max_nsecs()'s cycle bound: the largest delta for which delta * (mult + maxadj) fits in
 * 64 bits, where maxadj (clocksource_max_adjustment) is 11% of mult; never more than the mask.
 */
export function clocks_calc_max_cycles(mult: number, mask: bigint): bigint {
  const maxadj = (BigInt(mult) * 11n) / 100n;
  const max = U64_MAX / (BigInt(mult) + maxadj);
  return max < mask ? max : mask;
}

/** The clocksource fields the vDSO reads (vdso_data.cycle_last, max_cycles, mask, mult, shift). */
export interface ClockReadBase { cycle_last: bigint; max_cycles: bigint; mask: bigint; mult: number; shift: number }

/**
 * The vDSO's vdso_calc_ns() in TypeScript, with C's u64 wrap-around: nanoseconds since `base`
 * (a shifted-nanosecond basetime) at TSC value `cycles`. Past max_cycles the C code multiplies in
 * 128 bits, which BigInt does anyway; a delta in the top half of the mask (TSC behind cycle_last)
 * counts as zero.
 */
export function vdsoCalcNs(rb: ClockReadBase, cycles: bigint, base: bigint): bigint {
  const delta = u64(cycles - rb.cycle_last) & rb.mask;
  const mult = BigInt(rb.mult), shift = BigInt(rb.shift);
  if (delta < rb.max_cycles) return u64(delta * mult + base) >> shift;
  if (delta & u64(~(rb.mask >> 1n))) return base >> shift;
  return u64((delta * mult + base) >> shift);
}

/** The vDSO's final step: seconds plus nanoseconds that may exceed a second, as a (long, long) timespec. */
export function vdsoTimespec(sec: bigint, ns: bigint): Timespec64 {
  const q = ns / NSEC_PER_SEC;
  return { sec: BigInt.asIntN(64, sec + q), nsec: ns - q * NSEC_PER_SEC };
}

export interface TimekeeperOptions {
  /** Virtual TSC frequency in Hz (a u32, as Linux's clocks_calc_mult_shift takes). Default 3.0 GHz. */
  tscHz?: number;
  /** TSC cycles per retired instruction (a positive integer). Default 1. */
  cyclesPerInstruction?: number;
  /** CLOCK_REALTIME at boot, in ns since the epoch. Default DEFAULT_EPOCH_NS. */
  epochNs?: bigint;
  /** TSC value at boot, where CLOCK_MONOTONIC reads 0. Default 0. */
  bootTsc?: bigint;
  /** TAI - UTC in seconds. Default 0, as Linux before NTP sets it (37 is the 2017+ value). */
  taiOffset?: number;
  /** sys_tz, as settimeofday(NULL, tz) would set it. Default UTC (0, 0). */
  tz?: { minuteswest: number; dsttime: number };
}

export class Timekeeper {
  // ---- the clocksource (struct clocksource + tk_read_base) ----
  readonly tscHz: number;
  readonly cyclesPerInstruction: number;
  readonly mult: number;
  readonly shift: number;
  readonly mask = U64_MAX;
  readonly max_cycles: bigint;
  /** Cycles per tick and the shifted nanoseconds they add (tk->cycle_interval, tk->xtime_interval). */
  readonly cycle_interval: bigint;
  readonly xtime_interval: bigint;
  /** VDSO_CLOCKMODE_TSC lets the vDSO serve high-resolution clocks; NONE sends it to the syscall. */
  clock_mode: number = VDSO_CLOCKMODE.TSC;
  readonly hrtimer_res = BigInt(HIGH_RES_NSEC);

  // ---- the time base (struct timekeeper) ----
  /** TSC value the base below was taken at. */
  cycle_last: bigint;
  /** CLOCK_REALTIME at cycle_last: seconds, and nanoseconds << shift. */
  xtime_sec: bigint;
  xtime_nsec: bigint;
  /** CLOCK_MONOTONIC - CLOCK_REALTIME (normalized: nsec in [0, 1e9)). */
  wall_to_monotonic: Timespec64;
  /** CLOCK_BOOTTIME - CLOCK_MONOTONIC: time spent suspended (colonel never suspends: 0). */
  monotonic_to_boot: Timespec64 = { sec: 0n, nsec: 0n };
  /** CLOCK_TAI - CLOCK_REALTIME, seconds. */
  tai_offset: bigint;
  /** Ticks since boot (Linux starts jiffies at INITIAL_JIFFIES to catch wrap bugs; colonel at 0). */
  jiffies_64 = 0n;
  /** struct timezone sys_tz. */
  sys_tz: { tz_minuteswest: number; tz_dsttime: number };

  constructor(opts: TimekeeperOptions = {}) {
    this.tscHz = opts.tscHz ?? DEFAULT_TSC_HZ;
    this.cyclesPerInstruction = opts.cyclesPerInstruction ?? DEFAULT_CYCLES_PER_INSTRUCTION;
    if (!Number.isInteger(this.cyclesPerInstruction) || this.cyclesPerInstruction < 1) throw new Error('cyclesPerInstruction must be a positive integer');
    ({ mult: this.mult, shift: this.shift } = clocks_calc_mult_shift(this.tscHz, NSEC_PER_SEC_N, MAXSEC));
    this.max_cycles = clocks_calc_max_cycles(this.mult, this.mask);
    // tk_setup_internals(): a tick's worth of cycles, rounded, and its exact shifted length.
    const ntpInterval = (NSEC_PER_SEC / BigInt(HZ)) << BigInt(this.shift);
    const interval = (ntpInterval + BigInt(this.mult >>> 1)) / BigInt(this.mult);
    this.cycle_interval = interval > 0n ? interval : 1n;
    this.xtime_interval = this.cycle_interval * BigInt(this.mult);

    // timekeeping_init(): realtime from the "persistent clock" (the epoch), monotonic 0 at boot.
    const epoch = opts.epochNs ?? DEFAULT_EPOCH_NS;
    this.cycle_last = opts.bootTsc ?? 0n;
    const boot = splitNs(epoch);
    this.xtime_sec = boot.sec;
    this.xtime_nsec = boot.nsec << BigInt(this.shift);
    this.wall_to_monotonic = splitNs(-epoch);
    this.tai_offset = BigInt(opts.taiOffset ?? DEFAULT_TAI_OFFSET);
    this.sys_tz = { tz_minuteswest: opts.tz?.minuteswest ?? 0, tz_dsttime: opts.tz?.dsttime ?? 0 };
  }

  /** The virtual TSC after `icount` retired instructions. */
  tscFromInstructions(icount: number | bigint): bigint {
    return BigInt(icount) * BigInt(this.cyclesPerInstruction);
  }

  /** How far the virtual clock moves per instruction, in ns (informational: mult/2^shift per cycle). */
  get nsPerInstruction(): number {
    return (this.cyclesPerInstruction * this.mult) / 2 ** this.shift;
  }

  /** The tick period in ns (TICK_NSEC) and the TSC value at which the next tick is due. */
  get tickNs(): number { return LOW_RES_NSEC; }
  get nextTickTsc(): bigint { return this.cycle_last + this.cycle_interval; }

  /** The clocksource fields, as the vDSO reads them. */
  get readBase(): ClockReadBase {
    return { cycle_last: this.cycle_last, max_cycles: this.max_cycles, mask: this.mask, mult: this.mult, shift: this.shift };
  }

  // ---- moving time forward ----

  /**
   * timekeeping_advance() / update_wall_time(), called from the timer tick: fold every whole tick
   * interval elapsed since cycle_last into the base. Returns the number of ticks (0: not due yet, and
   * nothing changed). The caller then runs update_vsyscall() if this returned non-zero.
   */
  tick(tsc: bigint): number {
    if (tsc < this.cycle_last) throw new Error(`timekeeping: TSC went backwards (${tsc} < cycle_last ${this.cycle_last})`);
    const n = (tsc - this.cycle_last) / this.cycle_interval;
    if (n === 0n) return 0;
    this.cycle_last += n * this.cycle_interval;
    this.xtime_nsec += n * this.xtime_interval;
    this.accumulate_nsecs_to_secs();
    this.jiffies_64 += n;
    return Number(n);
  }

  /** timekeeping_forward_now(): fold everything up to `tsc` exactly (before changing the base). */
  timekeeping_forward_now(tsc: bigint): void {
    if (tsc < this.cycle_last) throw new Error(`timekeeping: TSC went backwards (${tsc} < cycle_last ${this.cycle_last})`);
    this.xtime_nsec += (tsc - this.cycle_last) * BigInt(this.mult);
    this.cycle_last = tsc;
    this.accumulate_nsecs_to_secs();
  }

  private accumulate_nsecs_to_secs(): void {
    const unit = NSEC_PER_SEC << BigInt(this.shift);
    const q = this.xtime_nsec / unit;
    this.xtime_nsec -= q * unit;
    this.xtime_sec += q;
  }

  /**
   * do_settimeofday64(): set CLOCK_REALTIME at `tsc` to `ts`, leaving MONOTONIC and BOOTTIME
   * untouched (wall_to_monotonic absorbs the step). Returns 0 or -EINVAL. Run update_vsyscall() after.
   */
  do_settimeofday64(tsc: bigint, ts: Timespec64): number {
    if (ts.sec < 0n || ts.nsec < 0n || ts.nsec >= NSEC_PER_SEC) return -EINVAL;
    this.timekeeping_forward_now(tsc);
    const shift = BigInt(this.shift);
    const old = this.xtime_sec * NSEC_PER_SEC + (this.xtime_nsec >> shift);
    const frac = this.xtime_nsec & ((1n << shift) - 1n); // keep the sub-nanosecond remainder
    const now = ts.sec * NSEC_PER_SEC + ts.nsec;
    const wtm = this.wall_to_monotonic;
    this.wall_to_monotonic = splitNs(wtm.sec * NSEC_PER_SEC + wtm.nsec - (now - old));
    this.xtime_sec = ts.sec;
    this.xtime_nsec = (ts.nsec << shift) | frac;
    return 0;
  }

  // ---- when will a clock read a given time (sleeps and timers) ----

  /** TSC cycles after which every clock has advanced by at least `ns` nanoseconds. */
  cyclesForNs(ns: bigint): bigint {
    if (ns <= 0n) return 0n;
    const m = BigInt(this.mult);
    return ((ns << BigInt(this.shift)) + m - 1n) / m;
  }

  /**
   * The first TSC value (not before cycle_last) at which clock `clockid` reads `target` or later:
   * where an absolute sleep or timer on that clock expires. Exact for the high-resolution clocks
   * (their reading is a step function of the TSC, and ticks do not change it). Coarse clocks only
   * move at ticks, so for them it is the first tick at or after that point. It stays valid until
   * do_settimeofday64() moves the realtime-based clocks. Null for clocks the timekeeper does not keep.
   */
  tscWhen(clockid: number, target: Timespec64): bigint | null {
    const alias: Record<number, number> = {
      [CLOCK.MONOTONIC_RAW]: CLOCK.MONOTONIC, [CLOCK.REALTIME_ALARM]: CLOCK.REALTIME, [CLOCK.BOOTTIME_ALARM]: CLOCK.BOOTTIME,
      [CLOCK.REALTIME_COARSE]: CLOCK.REALTIME, [CLOCK.MONOTONIC_COARSE]: CLOCK.MONOTONIC,
    };
    const hres = alias[clockid] ?? clockid;
    if (!(VDSO_HRES as readonly number[]).includes(hres)) return null;
    // The reading at delta cycles is b.sec + floor((delta * mult + b.nsec) >> shift) ns, which reaches
    // target exactly when delta * mult + b.nsec >= (target - b.sec) << shift.
    const b = this.basetime(hres);
    const need = (((target.sec - b.sec) * NSEC_PER_SEC + target.nsec) << BigInt(this.shift)) - b.nsec;
    const m = BigInt(this.mult);
    const at = need <= 0n ? this.cycle_last : this.cycle_last + (need + m - 1n) / m;
    if (hres === clockid || !(VDSO_COARSE as readonly number[]).includes(clockid)) return at;
    // A coarse clock shows the hres time of the last tick: wait for the first tick at or after `at`.
    const ticks = (at - this.cycle_last + this.cycle_interval - 1n) / this.cycle_interval;
    return this.cycle_last + ticks * this.cycle_interval;
  }

  // ---- what update_vsyscall() publishes ----

  /**
   * The basetime slot of a clock, exactly as update_vsyscall() stores it: high-resolution clocks
   * as (sec, nsec << shift), coarse clocks as plain (sec, nsec). Other ids have no slot content (0, 0).
   */
  basetime(clockid: number): VdsoTimestamp {
    const shift = BigInt(this.shift);
    const unit = NSEC_PER_SEC << shift;
    const wtm = this.wall_to_monotonic;
    const norm = (sec: bigint, nsec: bigint, u: bigint): VdsoTimestamp => ({ sec: sec + nsec / u, nsec: nsec % u });
    switch (clockid) {
      case CLOCK.REALTIME:
        return { sec: this.xtime_sec, nsec: this.xtime_nsec };
      case CLOCK.MONOTONIC:
        return norm(this.xtime_sec + wtm.sec, this.xtime_nsec + (wtm.nsec << shift), unit);
      case CLOCK.BOOTTIME: {
        const m2b = this.monotonic_to_boot;
        return norm(this.xtime_sec + wtm.sec + m2b.sec, this.xtime_nsec + ((wtm.nsec + m2b.nsec) << shift), unit);
      }
      case CLOCK.TAI:
        return { sec: this.xtime_sec + this.tai_offset, nsec: this.xtime_nsec };
      case CLOCK.REALTIME_COARSE:
        return { sec: this.xtime_sec, nsec: this.xtime_nsec >> shift };
      case CLOCK.MONOTONIC_COARSE:
        return norm(this.xtime_sec + wtm.sec, (this.xtime_nsec >> shift) + wtm.nsec, NSEC_PER_SEC);
      default:
        if (!Number.isInteger(clockid) || clockid < 0 || clockid >= VDSO_BASES) throw new Error(`basetime: no slot for clock ${clockid}`);
        return { sec: 0n, nsec: 0n };
    }
  }

  // ---- reading the clocks (what the syscalls answer) ----

  /**
   * clock_gettime(clockid) at TSC value `tsc`, computed the way the vDSO computes it. Returns null
   * for clocks the timekeeper does not keep (the per-process and per-thread CPU clocks, bad ids).
   * MONOTONIC_RAW equals MONOTONIC here (no NTP slews the clock); the ALARM clocks read their base clock.
   */
  readClock(clockid: number, tsc: bigint): Timespec64 | null {
    switch (clockid) {
      case CLOCK.MONOTONIC_RAW: return this.readClock(CLOCK.MONOTONIC, tsc);
      case CLOCK.REALTIME_ALARM: return this.readClock(CLOCK.REALTIME, tsc);
      case CLOCK.BOOTTIME_ALARM: return this.readClock(CLOCK.BOOTTIME, tsc);
    }
    if ((VDSO_HRES as readonly number[]).includes(clockid)) {
      const b = this.basetime(clockid);
      return vdsoTimespec(b.sec, vdsoCalcNs(this.readBase, tsc, b.nsec));
    }
    if ((VDSO_COARSE as readonly number[]).includes(clockid)) {
      const b = this.basetime(clockid);
      return { sec: BigInt.asIntN(64, b.sec), nsec: b.nsec };
    }
    return null;
  }

  ktime_get_real_ts64(tsc: bigint): Timespec64 { return this.readClock(CLOCK.REALTIME, tsc)!; }
  ktime_get_ts64(tsc: bigint): Timespec64 { return this.readClock(CLOCK.MONOTONIC, tsc)!; }
  ktime_get_raw_ts64(tsc: bigint): Timespec64 { return this.readClock(CLOCK.MONOTONIC_RAW, tsc)!; }
  ktime_get_boottime_ts64(tsc: bigint): Timespec64 { return this.readClock(CLOCK.BOOTTIME, tsc)!; }
  ktime_get_clocktai_ts64(tsc: bigint): Timespec64 { return this.readClock(CLOCK.TAI, tsc)!; }
  ktime_get_coarse_real_ts64(): Timespec64 { return this.readClock(CLOCK.REALTIME_COARSE, 0n)!; }
  ktime_get_coarse_ts64(): Timespec64 { return this.readClock(CLOCK.MONOTONIC_COARSE, 0n)!; }
  /** time(2): the seconds of the last tick (tk->xtime_sec), as the vDSO's time() reads them. */
  ktime_get_real_seconds(): bigint { return this.xtime_sec; }

  /** gettimeofday(2)'s timeval at `tsc`. */
  gettimeofday(tsc: bigint): { sec: bigint; usec: bigint } {
    const ts = this.ktime_get_real_ts64(tsc);
    return { sec: ts.sec, usec: ts.nsec / 1000n };
  }

  /** clock_getres(2) in ns, as the vDSO answers it; null for clocks the timekeeper does not keep. */
  clock_getres(clockid: number): bigint | null {
    switch (clockid) {
      case CLOCK.REALTIME: case CLOCK.MONOTONIC: case CLOCK.BOOTTIME: case CLOCK.TAI:
      case CLOCK.MONOTONIC_RAW: case CLOCK.REALTIME_ALARM: case CLOCK.BOOTTIME_ALARM:
        return this.hrtimer_res;
      case CLOCK.REALTIME_COARSE: case CLOCK.MONOTONIC_COARSE:
        return BigInt(LOW_RES_NSEC);
      default:
        return null;
    }
  }
}

/** ns since the epoch (any sign) as a normalized timespec: nsec in [0, 1e9). */
function splitNs(ns: bigint): Timespec64 {
  let sec = ns / NSEC_PER_SEC;
  let nsec = ns - sec * NSEC_PER_SEC;
  if (nsec < 0n) { nsec += NSEC_PER_SEC; sec -= 1n; }
  return { sec, nsec };
}
