// The syscall table: every row from the area files, indexed by number (as arch/x86/entry/syscalls/
// syscall_64.tbl indexes sys_call_table). Building it throws if two rows share a number or a name.

import type { SyscallRow } from './types.js';
import { FS_SYSCALLS } from './fs.js';
import { MEMORY_SYSCALLS } from './memory.js';
import { PROCESS_SYSCALLS } from './process.js';

export const SYSCALL_ROWS: readonly SyscallRow[] = [...FS_SYSCALLS, ...MEMORY_SYSCALLS, ...PROCESS_SYSCALLS];

export const SYSCALLS: (SyscallRow | undefined)[] = [];
export const SYSCALLS_BY_NAME = new Map<string, SyscallRow>();
for (const row of SYSCALL_ROWS) {
  if (SYSCALLS[row.nr]) throw new Error(`syscall ${row.nr} defined twice (${SYSCALLS[row.nr]!.name}, ${row.name})`);
  if (SYSCALLS_BY_NAME.has(row.name)) throw new Error(`syscall ${row.name} defined twice`);
  SYSCALLS[row.nr] = row;
  SYSCALLS_BY_NAME.set(row.name, row);
}
