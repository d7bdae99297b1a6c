// update_vsyscall(): publish the timekeeper's state in the vvar page for the vDSO to read.
//
// Follows Linux kernel/time/vsyscall.c (6.12): vdso_write_begin() makes seq odd, the fields are
// written, vdso_write_end() makes it even again. A vDSO reader that saw an odd seq, or a seq that
// changed while it read, retries (kernel/vdso/src/vdso.h). colonel's guest cannot run while this
// runs (the kernel updates the page between instructions), but the reader may be part-way through
// its loop when the tick arrives, which is exactly the case the seqlock exists for.
//
// The layout comes from kernel/vdso/datapage.ts; nothing here knows an offset of its own.

import {
  CLOCK, VDSO_BASES, VVAR_CLOCK_MODE, VVAR_CYCLE_LAST, VVAR_HRTIMER_RES, VVAR_MASK, VVAR_MAX_CYCLES, VVAR_MULT,
  VVAR_SEQ, VVAR_SHIFT, VVAR_SIZE, VVAR_TZ_DSTTIME, VVAR_TZ_MINUTESWEST, VVAR_VNOTB, vvarBasetime,
} from '../vdso/datapage.js';
import type { Timekeeper, VdsoTimestamp } from './timekeeping.js';

/** Kernel parameters published through vvar (the kernel's `params`, e.g. --set vnotb=42). */
export interface VsyscallParams {
  /** The seed article's "number of the beast", returned by __vdso_number_of_the_beast(). */
  vnotb?: number | bigint;
}
export const DEFAULT_VNOTB = 666;

/** The clocks update_vsyscall() fills, in the order Linux's update_vdso_data() writes them. */
const PUBLISHED_CLOCKS = [
  CLOCK.REALTIME, CLOCK.MONOTONIC, CLOCK.REALTIME_COARSE, CLOCK.MONOTONIC_COARSE, CLOCK.BOOTTIME, CLOCK.TAI,
] as const;

const LE = true;

function writeTimestamp(vvar: DataView, clockid: number, ts: VdsoTimestamp): void {
  const off = vvarBasetime(clockid);
  vvar.setBigUint64(off, BigInt.asUintN(64, ts.sec), LE);
  vvar.setBigUint64(off + 8, BigInt.asUintN(64, ts.nsec), LE);
}

/** vdso_write_begin(): seq goes odd. The writer is the only one: seq must have been even. */
function vdso_write_begin(vvar: DataView): void {
  const seq = vvar.getUint32(VVAR_SEQ, LE);
  if (seq & 1) throw new Error(`update_vsyscall: vvar seq ${seq} is odd at write_begin (a previous update did not finish)`);
  vvar.setUint32(VVAR_SEQ, (seq + 1) >>> 0, LE);
}

/** vdso_write_end(): seq goes even again. */
function vdso_write_end(vvar: DataView): void {
  const seq = vvar.getUint32(VVAR_SEQ, LE);
  if (!(seq & 1)) throw new Error(`update_vsyscall: vvar seq ${seq} is even at write_end (out-of-order update)`);
  vvar.setUint32(VVAR_SEQ, (seq + 1) >>> 0, LE);
}

/**
 * Write the timekeeper's state into the vvar page. Call it after every tick that advanced time
 * (Timekeeper.tick() returned non-zero), after do_settimeofday64() or a timezone change, and once
 * at boot before the first process runs.
 *
 * Preconditions: `vvar` views the start of the [vvar] page (VVAR_SIZE bytes or more), and no other
 * update is in progress (seq even). Afterwards seq is even and exactly 2 larger.
 */
export function update_vsyscall(vvar: DataView, tk: Timekeeper, params: VsyscallParams = {}): void {
  if (vvar.byteLength < VVAR_SIZE) throw new Error(`update_vsyscall: the vvar view is ${vvar.byteLength} bytes, not ${VVAR_SIZE}`);
  vdso_write_begin(vvar);

  // The clocksource: what converts the TSC to nanoseconds.
  vvar.setInt32(VVAR_CLOCK_MODE, tk.clock_mode, LE);
  vvar.setBigUint64(VVAR_CYCLE_LAST, BigInt.asUintN(64, tk.cycle_last), LE);
  vvar.setBigUint64(VVAR_MAX_CYCLES, tk.max_cycles, LE);
  vvar.setBigUint64(VVAR_MASK, tk.mask, LE);
  vvar.setUint32(VVAR_MULT, tk.mult, LE);
  vvar.setUint32(VVAR_SHIFT, tk.shift, LE);

  // One basetime per clock. High-resolution: CLOCK_REALTIME (xtime), CLOCK_MONOTONIC
  // (+ wall_to_monotonic), CLOCK_BOOTTIME (+ monotonic_to_boot), CLOCK_TAI (+ tai_offset), each as
  // nanoseconds << shift. Coarse: CLOCK_REALTIME_COARSE and CLOCK_MONOTONIC_COARSE as plain
  // nanoseconds. The other slots stay zero; the vDSO sends those clocks to the syscall.
  for (const clk of PUBLISHED_CLOCKS) writeTimestamp(vvar, clk, tk.basetime(clk));
  for (let clk = 0; clk < VDSO_BASES; clk++) {
    if (!(PUBLISHED_CLOCKS as readonly number[]).includes(clk)) writeTimestamp(vvar, clk, { sec: 0n, nsec: 0n });
  }

  // update_vsyscall_tz() in Linux; folded in here since the page is written anyway.
  vvar.setInt32(VVAR_TZ_MINUTESWEST, tk.sys_tz.tz_minuteswest, LE);
  vvar.setInt32(VVAR_TZ_DSTTIME, tk.sys_tz.tz_dsttime, LE);
  vvar.setUint32(VVAR_HRTIMER_RES, Number(tk.hrtimer_res), LE);

  // colonel: the seed article's variable.
  vvar.setBigInt64(VVAR_VNOTB, BigInt(params.vnotb ?? DEFAULT_VNOTB), LE);

  vdso_write_end(vvar);
}

/** camelCase alias for callers outside the Linux-mirroring code. */
export const updateVsyscall = update_vsyscall;

/** A DataView over a vvar page held as bytes (e.g. the Uint8Array the kernel maps with mapShared). */
export function vvarView(page: Uint8Array): DataView {
  return new DataView(page.buffer, page.byteOffset, page.byteLength);
}
