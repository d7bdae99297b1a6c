// What happened while the program ran, as the step view explains it: each crossing between user and
// kernel mode (and the vDSO, which is a crossing that stays in user mode), plus the instruction-level
// observations made while single-stepping (loads from vvar, rdtsc, leaving the vDSO).
//
// `at` is cpu.icount when it happened: the number of instructions retired before it. Events are
// appended in execution order; a snapshot remembers how many there were, so going back truncates the
// log and re-executing regenerates the same events.

/** The crossings `until` can run to. */
export type Crossing = 'syscall' | 'vdso' | 'vsyscall' | 'tick' | 'fault';
export const CROSSINGS: readonly Crossing[] = ['syscall', 'vdso', 'vsyscall', 'tick', 'fault'];
/** `until kernel`: every way into the kernel (the vDSO is not one). */
export const KERNEL_CROSSINGS: readonly Crossing[] = ['syscall', 'vsyscall', 'tick', 'fault'];

export interface SyscallEvent {
  kind: 'syscall';
  at: number;
  nr: number;
  name: string;
  args: number[];
  /** Address of the syscall instruction, and what the CPU saved in rcx and r11. */
  insnAddr: number;
  rcx: bigint;
  r11: bigint;
  call: string;
  result: number;
  resultText: string;
  /** The read found no input yet: the kernel will restart the syscall. */
  restarted: boolean;
  note?: string;
  /** Made with `int $0x80`: the i386 table (kernel/ia32.ts); rcx and r11 are then not the CPU's. */
  int80?: boolean;
}

export interface VsyscallEvent {
  kind: 'vsyscall';
  at: number;
  name: string;
  nr: number;
  args: number[];
  result: number;
  /** The slot address the fetch faulted at, the #PF error code, and where the emulated ret went. */
  addr: number;
  errorCode: number;
  retAddr: number;
}

export interface TickEvent {
  kind: 'tick';
  at: number;
  seqBefore: number;
  seqAfter: number;
  jiffies: bigint;
  vnotb: bigint;
}

export interface FaultEvent {
  kind: 'fault';
  at: number;
  vector: number;
  addr: number;
  errorCode: number;
  rip: number;
  /** grown: the stack VMA grew and the instruction is retried; fatal: a signal ended the process. */
  outcome: 'grown' | 'fatal' | 'handled';
  text: string;
}

export interface VdsoEvent {
  kind: 'vdso';
  at: number;
  symbol: string;
  addr: number;
  /** The return address the call pushed (in the caller). */
  from: number;
}

export interface VdsoReturnEvent {
  kind: 'vdso-return';
  at: number;
  symbol: string;
  to: number;
  rax: bigint;
}

export interface VvarReadEvent {
  kind: 'vvar';
  at: number;
  addr: number;
  /** Field name as the datapage table spells it, with an index and member: basetime[1].sec. */
  field: string;
  value: bigint;
  doc: string;
}

export interface RdtscEvent {
  kind: 'rdtsc';
  at: number;
  value: bigint;
}

export interface ExitEvent {
  kind: 'exit';
  at: number;
  status: number;
  how: string;
}

export interface SetEvent {
  kind: 'set';
  at: number;
  name: string;
  value: number;
  seqBefore: number;
  seqAfter: number;
}

export type StepEvent =
  | SyscallEvent | VsyscallEvent | TickEvent | FaultEvent | VdsoEvent | VdsoReturnEvent | VvarReadEvent | RdtscEvent | ExitEvent | SetEvent;

/**
 * The part of an event a replay must reproduce exactly (kernel-side results). Instruction-level
 * events are not compared: a replay runs fast and records them only near its end.
 */
export function replayKey(e: StepEvent): string | null {
  switch (e.kind) {
    case 'syscall': return `syscall@${e.at}:${e.nr}=${e.result}${e.restarted ? 'R' : ''}`;
    case 'vsyscall': return `vsyscall@${e.at}:${e.nr}=${e.result}`;
    case 'tick': return `tick@${e.at}:${e.seqAfter}`;
    case 'fault': return `fault@${e.at}:${e.vector}:${e.outcome}`;
    case 'exit': return `exit@${e.at}:${e.status}`;
    case 'vdso': return `vdso@${e.at}:${e.symbol}`;
    default: return null;
  }
}
