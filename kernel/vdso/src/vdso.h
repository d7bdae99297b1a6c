/*
 * Shared by the vDSO's C files: the vvar object, barriers and the raw syscall.
 *
 * colonel's counterpart of Linux's include/vdso/helpers.h, arch/x86/include/asm/vdso/gettimeofday.h
 * and arch/x86/include/asm/vvar.h.
 */
#ifndef COLONEL_VDSO_H
#define COLONEL_VDSO_H

#include "vvar.h"

/*
 * The vvar page, placed VVAR_PAGES pages below the image by vdso.lds.S. Hidden, so gcc reaches it
 * RIP-relatively and the link leaves no relocation. Deliberately not const: with a const object
 * gcc -O2 may hoist the time loads out of the seqlock loop and return a torn value.
 */
extern struct vdso_data vvar_vdso_data __attribute__((visibility("hidden")));

#define notrace __attribute__((no_instrument_function))
#define __always_inline inline __attribute__((always_inline))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* x86 is TSO: a read barrier only has to stop the compiler (smp_rmb() is barrier() on x86). */
#define barrier() __asm__ __volatile__("" ::: "memory")
#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))

static __always_inline void cpu_relax(void)
{
	__asm__ __volatile__("pause" ::: "memory");
}

static __always_inline const struct vdso_data *vdso_data(void)
{
	return &vvar_vdso_data;
}

/* Seqlock reader, include/vdso/helpers.h vdso_read_begin()/vdso_read_retry(). */
static __always_inline __u32 vdso_read_begin(const struct vdso_data *vd)
{
	__u32 seq;

	while (unlikely((seq = READ_ONCE(vd->seq)) & 1))
		cpu_relax();
	barrier();
	return seq;
}

static __always_inline int vdso_read_retry(const struct vdso_data *vd, __u32 start)
{
	barrier();
	return unlikely(READ_ONCE(vd->seq) != start);
}

/* The real system call: rax = number, args in rdi, rsi, rdx; the CPU clobbers rcx and r11. */
static __always_inline long vdso_syscall2(long nr, long a0, long a1)
{
	long ret;

	__asm__ __volatile__("syscall"
			     : "=a"(ret)
			     : "0"(nr), "D"(a0), "S"(a1)
			     : "rcx", "r11", "memory");
	return ret;
}

static __always_inline long vdso_syscall3(long nr, long a0, long a1, long a2)
{
	long ret;

	__asm__ __volatile__("syscall"
			     : "=a"(ret)
			     : "0"(nr), "D"(a0), "S"(a1), "d"(a2)
			     : "rcx", "r11", "memory");
	return ret;
}

/* arch/x86/entry/syscalls/syscall_64.tbl */
#define __NR_gettimeofday	96
#define __NR_time		201
#define __NR_clock_gettime	228
#define __NR_clock_getres	229
#define __NR_getcpu		309

/* The user ABI types these functions take (64-bit only). */
typedef int clockid_t;
typedef long time_t;
struct __kernel_timespec { long tv_sec; long tv_nsec; };
struct __kernel_old_timeval { long tv_sec; long tv_usec; };
struct timezone { int tz_minuteswest; int tz_dsttime; };
struct getcpu_cache;

#endif /* COLONEL_VDSO_H */
