// The cost model behind `colonel trace -c` and `-T`: what each road from user code to kernel data
// would cost on a real x86-64 machine, in cycles of colonel's 3 GHz virtual CPU (1 ns = 3 cycles).
// The model is a report only: it never changes the virtual clock, which advances one cycle per
// retired instruction whether or not the program is traced, so tracing cannot change what a program
// sees.
//
// Where the numbers come from. colonel runs the kernel side of a syscall in TypeScript, so its own
// timing says nothing about hardware. The fixed costs are measured natively with fixtures/trace/costs.c
// (the minimum over 60 rounds of the mean of 200,000 calls, pinned to one CPU; three runs agreed within
// 3%) on the machine colonel was developed on: an AMD EPYC (Zen) guest of a Firecracker VM, Linux 6.18,
// mitigations=auto, TSC 2.445 GHz, vsyscall=xonly, load average about 5 on its 2 vCPUs.
//
//   road                                                   measured   cycles at 3 GHz
//   syscall(1000): entry + exit, no table entry (ENOSYS)    124 ns          372
//   syscall(SYS_time): + table dispatch, trivial handler    134 ns          401
//   syscall(SYS_getppid)                                    205 ns          615
//   syscall(SYS_clock_gettime, CLOCK_MONOTONIC)             298 ns          893
//   clock_gettime(CLOCK_MONOTONIC) through the vDSO          29 ns           87
//   time() through the vsyscall page (xonly: #PF, emulate)  412 ns         1237
//   rdtsc                                                    12 ns           35
//
// They agree in order of magnitude with shared/REFERENCE.md (a vDSO gettimeofday in 24 ns; a real
// syscall through qemu-user in 170-200 ns) and with the usual reading that since the 2018
// Spectre/Meltdown mitigations a syscall costs hundreds of cycles and a vDSO call tens. Those
// published figures were not used directly: they mix in an emulator's own cost (qemu) or a different
// call; the measurement above isolates each road on one machine.
//
// The model:
//  - a syscall: SYSCALL_ENTRY_EXIT (the syscall instruction, entry_SYSCALL_64, the mitigations, sysret)
//    plus SYSCALL_DISPATCH (do_syscall_64's bounds check and sys_call_table call, with a trivial
//    handler); an unknown number skips the dispatch, as Linux's does. The handler's own work is not
//    modeled (clock_gettime's 893 cycles are 401 + its reading of the clocksource): colonel's handlers
//    are TypeScript, and a per-syscall table of kernel work would be a guess.
//  - a vDSO call: its instructions, which colonel executes for real (one cycle each, the virtual
//    TSC's rate), plus RDTSC for every rdtsc it executes (the one slow instruction on the path), plus
//    the cost of any syscall it falls back to. colonel's __vdso_clock_gettime retires about 50
//    instructions with one rdtsc: 84 cycles, against 87 measured natively.
//  - an emulated vsyscall: VSYSCALL_EMULATION, the measured total of the page-fault path
//    (exception entry, emulate_vsyscall, the handler, the emulated ret, iret).

/** Cycles per nanosecond of colonel's virtual CPU (kernel/time/timekeeping.ts DEFAULT_TSC_HZ). */
export const CYCLES_PER_NS = 3;

/** The syscall instruction, kernel entry and exit with mitigations, sysret: the ENOSYS round trip. */
export const SYSCALL_ENTRY_EXIT = 372;
/** Table dispatch and a trivial handler: syscall(SYS_time) minus the ENOSYS round trip. */
export const SYSCALL_DISPATCH = 29;
/** An rdtsc instruction. */
export const RDTSC = 35;
/** A call through the vsyscall page in xonly mode, fault to emulated return. */
export const VSYSCALL_EMULATION = 1237;

/** Modeled cycles of a syscall; `known` is false for a number with no table entry (no dispatch). */
export function syscallCycles(known: boolean): number {
  return SYSCALL_ENTRY_EXIT + (known ? SYSCALL_DISPATCH : 0);
}

/** Modeled cycles of a vDSO call that retired `insns` instructions, `rdtscs` of them rdtsc. */
export function vdsoCycles(insns: number, rdtscs: number, nestedCycles: number): number {
  return insns - rdtscs + rdtscs * RDTSC + nestedCycles;
}

export function vsyscallCycles(): number {
  return VSYSCALL_EMULATION;
}
