/*
 * The vDSO's clocks: clock_gettime, gettimeofday, time and clock_getres, answered from the vvar page
 * and the TSC without entering the kernel.
 *
 * Follows Linux lib/vdso/gettimeofday.c (6.12) with its x86 hooks folded in, for one arch and one
 * mode: no time namespaces, no CS_RAW vdso_data (CLOCK_MONOTONIC_RAW takes the syscall), and plain
 * RDTSC where x86 uses rdtsc_ordered(), because colonel's CPU retires instructions in order.
 *
 * Arch hooks, as gettimeofday.c lists them at its top:
 *   rdtsc()            the hardware counter (colonel's virtual TSC)
 *   vdso_calc_ns()     ((tsc - cycle_last) & mask) * mult + base, >> shift, 128-bit past max_cycles
 *   vdso_syscall*()    the fallback: the real system call, result returned as is (-errno)
 */
#include "vdso.h"

#define NSEC_PER_USEC 1000U

static __always_inline __u64 rdtsc(void)
{
	__u32 lo, hi;

	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return ((__u64)hi << 32) | lo;
}

/*
 * Nanoseconds (still shifted) since cycle_last, plus base, shifted down. Up to max_cycles the product
 * fits in 64 bits; past it (a long gap between ticks) multiply in 128 bits, as Linux does with
 * CONFIG_GENERIC_VDSO_OVERFLOW_PROTECT. A delta in the top half of the mask means the TSC reads
 * behind cycle_last; count it as zero rather than as a huge forward jump.
 * kernel/time/timekeeping.ts (vdsoCalcNs) computes exactly the same function.
 */
static __always_inline __u64 vdso_calc_ns(const struct vdso_data *vd, __u64 cycles, __u64 base)
{
	__u64 delta = (cycles - vd->cycle_last) & vd->mask;

	if (likely(delta < vd->max_cycles))
		return (delta * vd->mult + base) >> vd->shift;
	if (delta & ~(vd->mask >> 1))
		return base >> vd->shift;
	return (__u64)(((unsigned __int128)delta * vd->mult + base) >> vd->shift);
}

/* include/vdso/math.h: divide by repeated subtraction; the quotient is almost always 0 or 1. */
static __always_inline __u32 __iter_div_u64_rem(__u64 dividend, __u32 divisor, __u64 *remainder)
{
	__u32 ret = 0;

	while (dividend >= divisor) {
		/* Keep gcc from turning the loop back into a division. */
		__asm__("" : "+rm"(dividend));
		dividend -= divisor;
		ret++;
	}
	*remainder = dividend;
	return ret;
}

/* High-resolution clocks: basetime at cycle_last plus the TSC cycles since. -1: use the syscall. */
static __always_inline int do_hres(const struct vdso_data *vd, clockid_t clk,
				   struct __kernel_timespec *ts)
{
	const struct vdso_timestamp *vdso_ts = &vd->basetime[clk];
	__u64 cycles, sec, ns;
	__u32 seq;

	do {
		seq = vdso_read_begin(vd);
		if (unlikely(vd->clock_mode != VDSO_CLOCKMODE_TSC))
			return -1;
		cycles = rdtsc();
		ns = vdso_calc_ns(vd, cycles, vdso_ts->nsec);
		sec = vdso_ts->sec;
	} while (unlikely(vdso_read_retry(vd, seq)));

	/* ns may exceed a second: carry it into tv_sec. */
	ts->tv_sec = sec + __iter_div_u64_rem(ns, NSEC_PER_SEC, &ns);
	ts->tv_nsec = ns;
	return 0;
}

/* Coarse clocks: the time of the last tick, stored as plain seconds and nanoseconds. */
static __always_inline void do_coarse(const struct vdso_data *vd, clockid_t clk,
				      struct __kernel_timespec *ts)
{
	const struct vdso_timestamp *vdso_ts = &vd->basetime[clk];
	__u32 seq;

	do {
		seq = vdso_read_begin(vd);
		ts->tv_sec = vdso_ts->sec;
		ts->tv_nsec = vdso_ts->nsec;
	} while (unlikely(vdso_read_retry(vd, seq)));
}

notrace int __vdso_clock_gettime(clockid_t clock, struct __kernel_timespec *ts)
{
	const struct vdso_data *vd = vdso_data();
	__u32 msk;

	/* Negative ids (per-process CPU clocks, fds) and ids past TAI are the kernel's business. */
	if (unlikely((__u32)clock >= VDSO_BASES))
		goto fallback;

	msk = 1U << clock;
	if (likely(msk & VDSO_HRES)) {
		if (do_hres(vd, clock, ts) == 0)
			return 0;
	} else if (msk & VDSO_COARSE) {
		do_coarse(vd, clock, ts);
		return 0;
	}
fallback:
	return vdso_syscall2(__NR_clock_gettime, clock, (long)ts);
}
int clock_gettime(clockid_t, struct __kernel_timespec *)
	__attribute__((weak, alias("__vdso_clock_gettime")));

notrace int __vdso_gettimeofday(struct __kernel_old_timeval *tv, struct timezone *tz)
{
	const struct vdso_data *vd = vdso_data();

	if (likely(tv != 0)) {
		struct __kernel_timespec ts;

		if (do_hres(vd, CLOCK_REALTIME, &ts))
			return vdso_syscall2(__NR_gettimeofday, (long)tv, (long)tz);
		tv->tv_sec = ts.tv_sec;
		tv->tv_usec = (__u32)ts.tv_nsec / NSEC_PER_USEC;
	}
	/* Not under the seqlock, as in Linux: the timezone changes only by settimeofday(). */
	if (unlikely(tz != 0)) {
		tz->tz_minuteswest = READ_ONCE(vd->tz_minuteswest);
		tz->tz_dsttime = READ_ONCE(vd->tz_dsttime);
	}
	return 0;
}
int gettimeofday(struct __kernel_old_timeval *, struct timezone *)
	__attribute__((weak, alias("__vdso_gettimeofday")));

/* Seconds of the last tick: the same value the time() syscall gives (Linux reads xtime_sec too). */
notrace time_t __vdso_time(time_t *t)
{
	time_t secs = READ_ONCE(vdso_data()->basetime[CLOCK_REALTIME_COARSE].sec);

	if (t)
		*t = secs;
	return secs;
}
time_t time(time_t *) __attribute__((weak, alias("__vdso_time")));

notrace int __vdso_clock_getres(clockid_t clock, struct __kernel_timespec *res)
{
	const struct vdso_data *vd = vdso_data();
	__u32 msk;
	__u64 ns;

	if (unlikely((__u32)clock >= VDSO_BASES))
		goto fallback;

	msk = 1U << clock;
	if (msk & VDSO_HRES)
		ns = READ_ONCE(vd->hrtimer_res);
	else if (msk & VDSO_COARSE)
		ns = LOW_RES_NSEC;
	else
		goto fallback;

	if (likely(res)) {
		res->tv_sec = 0;
		res->tv_nsec = ns;
	}
	return 0;
fallback:
	return vdso_syscall2(__NR_clock_getres, clock, (long)res);
}
int clock_getres(clockid_t, struct __kernel_timespec *)
	__attribute__((weak, alias("__vdso_clock_getres")));
