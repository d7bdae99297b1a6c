// The syscall table: every row from the area files, indexed by number (as arch/x86/entry/syscalls/
// syscall_64.tbl indexes sys_call_table). Building it throws if two rows share a number or a name.
// tests/syscalls.test.ts checks every row's number and name against tests/data/syscall_64.tbl.
//
//   fs.ts       read/write family, close, lseek, dup, fcntl, pipe, ftruncate, fsync, getdents
//   namei.ts    open, access, readlink, unlink, mkdir, rename, truncate, getcwd, chdir
//   stat.ts     stat, fstat, lstat, newfstatat, statx
//   memory.ts   brk, mmap, munmap, mprotect, mremap, madvise, msync
//   process.ts  exit, ids, arch_prctl, uname, rlimits, process groups, affinity, fork/exec/wait stubs
//   signal.ts   rt_sigaction, rt_sigprocmask, sigaltstack, kill/tkill/tgkill
//   ../signals/syscalls.ts  rt_sigreturn, pause, sigsuspend, sigtimedwait, sigqueueinfo, alarm, itimers,
//               process_vm_readv/writev (signal delivery lives in kernel/signals/)
//   time.ts     clock_gettime and friends, nanosleep, times, getrusage
//   misc.ts     ioctl, poll/select, getrandom, futex, sysinfo

import type { SyscallRow } from './types.js';
import { FS_SYSCALLS } from './fs.js';
import { NAMEI_SYSCALLS } from './namei.js';
import { STAT_SYSCALLS } from './stat.js';
import { MEMORY_SYSCALLS } from './memory.js';
import { PROCESS_SYSCALLS } from './process.js';
import { SIGNAL_SYSCALLS } from './signal.js';
import { SIGNAL_DELIVERY_SYSCALLS } from '../signals/syscalls.js';
import { TIME_SYSCALLS } from './time.js';
import { MISC_SYSCALLS } from './misc.js';

export const SYSCALL_ROWS: readonly SyscallRow[] = [
  ...FS_SYSCALLS, ...NAMEI_SYSCALLS, ...STAT_SYSCALLS, ...MEMORY_SYSCALLS, ...PROCESS_SYSCALLS, ...SIGNAL_SYSCALLS, ...SIGNAL_DELIVERY_SYSCALLS, ...TIME_SYSCALLS, ...MISC_SYSCALLS,
];

export const SYSCALLS: (SyscallRow | undefined)[] = [];
export const SYSCALLS_BY_NAME = new Map<string, SyscallRow>();
for (const row of SYSCALL_ROWS) {
  if (SYSCALLS[row.nr]) throw new Error(`syscall ${row.nr} defined twice (${SYSCALLS[row.nr]!.name}, ${row.name})`);
  if (SYSCALLS_BY_NAME.has(row.name)) throw new Error(`syscall ${row.name} defined twice`);
  SYSCALLS[row.nr] = row;
  SYSCALLS_BY_NAME.set(row.name, row);
}
