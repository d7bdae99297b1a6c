// A syscall as strace (and `colonel trace`) prints it: `write(1, "His number is 666\n", 18) = 18`.
// The argument printers are the tracer's (kernel/trace/kinds.ts, one per argument kind of the
// syscall table's rows): input arguments are printed when the call starts, output arguments and the
// result when it returns, exactly as the tracer does, so the two views never disagree.

import type { Kernel } from '../../kernel/kernel.js';
import type { SyscallRow } from '../../kernel/syscalls/types.js';
import { ERRNO_NAMES, ERRNO_MESSAGES } from '../../kernel/errno.js';
import { PRINTERS, resultOverride, hex, isoTime, octalMode, sigName, type CallContext } from '../../kernel/trace/kinds.js';
import { isRestart, RESTART_NAMES } from '../../kernel/signals/restart.js';

const STR_SIZE = 32;

/** A call being formatted: its context and the texts of the arguments printed so far. */
export interface CallText {
  row: SyscallRow | undefined;
  nr: number;
  ctx: CallContext | null;
  args: (string | null)[];
}

/** At entry: the input arguments. */
export function beginCall(k: Kernel, row: SyscallRow | undefined, nr: number, args: readonly number[]): CallText {
  if (!row) return { row, nr, ctx: null, args: args.slice(0, 6).map(hex) };
  const ctx: CallContext = { k, specs: row.args, args: args.slice(), result: null, strSize: STR_SIZE };
  return { row, nr, ctx, args: row.args.map((s, i) => (PRINTERS[s.kind].out ? null : PRINTERS[s.kind].print(ctx, i))) };
}

/** At exit: the output arguments, then `name(args)` and the result text. */
export function endCall(c: CallText, result: number): { call: string; resultText: string } {
  const isErr = result < 0 && result >= -4095;
  const name = c.row?.name ?? `syscall_${c.nr}`;
  if (c.ctx && c.row) {
    c.ctx.result = result;
    c.row.args.forEach((s, i) => {
      const p = PRINTERS[s.kind];
      if (p.out) c.args[i] = isErr && !p.onError ? (c.ctx!.args[i] === 0 ? 'NULL' : hex(c.ctx!.args[i])) : p.print(c.ctx!, i);
    });
  }
  const call = `${name}(${c.args.filter((a) => a !== null).join(', ')})`;
  let resultText: string;
  // A restart code (a signal interrupted the call) as strace shows it: `? ERESTARTSYS (...)`.
  if (isRestart(result)) resultText = `? ${RESTART_NAMES[-result].name} (${RESTART_NAMES[-result].message})`;
  else if (isErr) resultText = `-1 ${ERRNO_NAMES[-result] ?? `ERRNO_${-result}`} (${ERRNO_MESSAGES[-result] ?? `Unknown error ${-result}`})`;
  else if (!c.ctx || !c.row) resultText = String(result);
  else {
    const ret = c.row.ret as string;
    resultText = resultOverride(c.ctx) ?? (ret === 'hex' ? (result === 0 ? '0' : hex(result)) : ret === 'signo' && result > 0 ? `${result} (${sigName(result)})` : ret === 'time' ? `${result} (${isoTime(result)})` : ret === 'mode' ? octalMode(result) : String(result));
  }
  return { call, resultText };
}

/** `name(input args)` before the call runs (the step view's "next:" line). */
export function formatCall(k: Kernel, row: SyscallRow | undefined, nr: number, args: readonly number[]): string {
  const c = beginCall(k, row, nr, args);
  return `${row?.name ?? `syscall_${nr}`}(${c.args.map((a, i) => a ?? (row && PRINTERS[row.args[i].kind].out ? hex(args[i]) : '')).filter((a) => a !== '').join(', ')})`;
}
