// What the tracer reports: one event per call on any road, per fatal signal, and for the end of the
// process. The text printer (format.ts) and the JSON printer both render these, so the two outputs
// carry the same events. The JSON form is documented in README.md ("colonel trace --json").

import type { Road } from './filter.js';
import type { Frame } from './stack.js';

export interface TraceArg {
  name: string;
  /** As strace prints it; null when strace leaves the argument out (open's mode without O_CREAT). */
  text: string | null;
  /** The register's value, as a 64-bit unsigned hex string. */
  raw: string;
}

/** When an event happened: instructions retired, and the virtual clocks. */
export interface Stamp {
  insns: number;
  monoNs: bigint;
  realNs: bigint;
}

export interface CallEvent extends Stamp {
  type: 'call';
  /** Order in which calls started (1, 2, ...). */
  seq: number;
  road: Road;
  /** Syscall name, vDSO symbol (__vdso_clock_gettime) or vsyscall slot name. */
  name: string;
  /** The syscall number (syscalls and vsyscall slots), null for a vDSO function. */
  nr: number | null;
  args: TraceArg[];
  /** The value returned in rax (signed); null when the call never returned. */
  result: number | null;
  /** The result as strace prints it: `3`, `0x7f...`, `-1 ENOENT (No such file or directory)`, `?`. */
  resultText: string;
  errno: string | null;
  /** Where the call returns to: after the syscall instruction, or the vDSO/vsyscall caller. */
  rip: number;
  /** Instructions the call retired (1 for syscall, the vDSO function's own, 1 for an emulated vsyscall). */
  callInsns: number;
  /** Modeled cycles (kernel/trace/costs.ts). */
  cycles: number;
  /** 1 for a syscall made inside a vDSO call (its fallback), else 0. */
  depth: number;
  /** seq of the vDSO call this syscall was made from. */
  parent: number | null;
  /** With -k: the return addresses on the stack, innermost first. */
  stack: Frame[] | null;
  /** True for the execve line, which colonel's loader did rather than a syscall instruction. */
  synthetic: boolean;
  /** How many leading arguments are inputs (printed on an unfinished line); the rest print on return. */
  entryArgs: number;
  /** True when an unfinished line was printed for this call (a syscall was made inside it). */
  resumed: boolean;
}

export interface SignalEvent extends Stamp {
  type: 'signal';
  signo: number;
  signal: string;
  /** The siginfo fields strace prints, in its order: si_signo, si_code, then si_addr or si_pid/si_uid. */
  siginfo: string;
  code: string;
}

export interface ExitEvent extends Stamp {
  type: 'exit';
  how: 'exited' | 'killed' | 'limit';
  /** What a shell would show ($?): the exit code, 128 + signal, or 124 at the instruction limit. */
  status: number;
  code: number | null;
  signal: string | null;
}

/** One retired instruction (--insns). */
export interface InsnEvent {
  type: 'insn';
  addr: number;
  /** `main+0x1e`, or null. */
  symbol: string | null;
  bytes: Uint8Array;
  /** Intel syntax as objdump -d -M intel prints it. */
  text: string;
  /** Registers the instruction changed, with their new values (rax, ..., r15, rflags, xmm0.., fs_base). */
  changes: [string, string][];
  /** Instructions retired before it. */
  insns: number;
}

/** strace's `[ Process PID=N runs in 32 bit mode. ]`: the syscall ABI changed (int $0x80, kernel/ia32.ts). */
export interface PersonalityEvent extends Stamp {
  type: 'personality';
  bits: 32 | 64;
  pid: number;
}

export type TraceEvent = CallEvent | SignalEvent | ExitEvent | InsnEvent | PersonalityEvent;

/** Receives events as the tracer makes them. `begin` marks a vDSO call left open by a nested syscall. */
export interface TraceSink {
  begin?(call: CallEvent): void;
  event(e: TraceEvent): void;
  /** The -c table, when asked for. */
  summary?(text: string, rows: SummaryRow[]): void;
}

export interface SummaryRow {
  road: Road;
  name: string;
  calls: number;
  errors: number;
  insns: number;
  cycles: number;
}
