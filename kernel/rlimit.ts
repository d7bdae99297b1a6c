// Resource limits (include/uapi/asm-generic/resource.h, kernel/sys.c do_prlimit): the values a process
// starts with and what colonel enforces. colonel enforces RLIMIT_NOFILE (the descriptor cap, EMFILE),
// RLIMIT_STACK (how far the stack may grow) and RLIMIT_AS (the mapping cap, ENOMEM); the others are
// recorded and reported back, as a kernel without the matching subsystem would.

export const RLIMIT = {
  CPU: 0, FSIZE: 1, DATA: 2, STACK: 3, CORE: 4, RSS: 5, NPROC: 6, NOFILE: 7, MEMLOCK: 8, AS: 9,
  LOCKS: 10, SIGPENDING: 11, MSGQUEUE: 12, NICE: 13, RTPRIO: 14, RTTIME: 15,
} as const;
export const RLIM_NLIMITS = 16;
/** RLIM_INFINITY: ~0UL, kept as an unsigned 64-bit bigint. */
export const RLIM_INFINITY = 0xffff_ffff_ffff_ffffn;

/** The descriptor cap: colonel's fs.nr_open. RLIMIT_NOFILE cannot be raised past it (EPERM). */
export const NR_OPEN = 1024;

export interface Rlimit {
  cur: bigint;
  max: bigint;
}

/** What a process starts with: 8 MiB of stack, 1024 descriptors, everything else unlimited. */
export function defaultRlimits(): Rlimit[] {
  const out: Rlimit[] = [];
  for (let i = 0; i < RLIM_NLIMITS; i++) out.push({ cur: RLIM_INFINITY, max: RLIM_INFINITY });
  out[RLIMIT.STACK].cur = 8n * 1024n * 1024n;
  out[RLIMIT.NOFILE] = { cur: BigInt(NR_OPEN), max: BigInt(NR_OPEN) };
  return out;
}
