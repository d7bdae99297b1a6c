/*
 * getcpu() without a syscall. Follows Linux arch/x86/entry/vdso/vgetcpu.c and
 * arch/x86/include/asm/segment.h vdso_read_cpunode(): the kernel keeps (node << 12) | cpu in
 * IA32_TSC_AUX and the vDSO reads it back. Linux picks RDPID where the CPU has it and otherwise LSL
 * on a per-CPU GDT segment; colonel has no GDT, so it always uses RDPID (F3 0F C7 /7), which
 * colonel's CPU implements.
 */
#include "vdso.h"

notrace long __vdso_getcpu(unsigned *cpu, unsigned *node, struct getcpu_cache *unused)
{
	unsigned long p;

	(void)unused;
	__asm__ __volatile__("rdpid %0" : "=r"(p));
	if (cpu)
		*cpu = p & VDSO_CPUNODE_MASK;
	if (node)
		*node = p >> VDSO_CPUNODE_BITS;
	return 0;
}
long getcpu(unsigned *cpu, unsigned *node, struct getcpu_cache *tcache)
	__attribute__((weak, alias("__vdso_getcpu")));
