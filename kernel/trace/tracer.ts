// The tracer: strace for colonel's three roads from user code to kernel data.
//
//  - syscall: the kernel's syscallEnter/syscallExit observers. Input arguments are printed on entry and
//    output arguments on exit, by the printers of the row's argument kinds (kinds.ts), so the row that
//    dispatches a syscall is the row that describes it.
//  - vDSO: a breakpoint on every function the mapped image exports (found through the image's own
//    symbol table at k.vdsoBase, never hard-coded). On entry the hook reads the arguments from rdi, rsi,
//    rdx, rcx, r8, r9 and the return address at [rsp], and puts a breakpoint there; when execution comes
//    back to it with rsp one word higher, the call is complete and rax is its result. A syscall made
//    while a vDSO call is open (the fallback for a clock the vDSO cannot serve) is shown inside it.
//    Signatures: a vDSO function has its syscall twin's row (clock_gettime...), else VDSO_ONLY below,
//    else every argument register in hex, so a function added to the image is traced unchanged.
//  - vsyscall: the kernel's vsyscall observer, called after emulate_vsyscall (kernel/vsyscall.ts).
//
// Tracing never changes what the guest sees: it reads memory and registers only, and its breakpoints
// leave the instruction count and the virtual clock alone.

import { Reg } from '../../cpu/cpu.js';
import type { Kernel, ExitInfo, KernelObserver } from '../kernel.js';
import { ERRNO_NAMES, ERRNO_MESSAGES } from '../errno.js';
import { SYSCALLS, SYSCALLS_BY_NAME } from '../syscalls/table.js';
import { a, type ArgSpec, type RetKind, type SyscallRow } from '../syscalls/types.js';
import { vdso } from '../vdso/vdso.js';
import { vdsoFunctions } from './vdsosyms.js';
import { CLOCK } from '../clock.js';
import { PRINTERS, resultOverride, hex, isoTime, octalMode, u64, quoteBytes, peek, peekCString, sigName, type CallContext } from './kinds.js';
import { quoteCString } from './quote.js';
import { TraceFilter, bareName, type Road } from './filter.js';
import { Summary } from './summary.js';
import { SYSCALL_NAMES } from './syscall_names.js';
import { breakpoints } from './breakpoints.js';
import { Symbolizer, unwind, unwindHere } from './stack.js';
import { syscallCycles, vdsoCycles, vsyscallCycles } from './costs.js';
import { siginfoText } from './siginfo.js';
import { encodeSiginfo, type SigInfo } from '../signals/siginfo.js';
import { isRestart, RESTART_NAMES } from '../signals/restart.js';
import { sigState } from '../signals/state.js';
import type { CallEvent, Stamp, SummaryRow, TraceArg, TraceEvent, TraceSink } from './events.js';

export interface TracerOptions {
  filter?: TraceFilter;
  /** -s: string and buffer limit (strace's default 32). */
  strSize?: number;
  /** -k */
  stacks?: boolean;
  /** Where events go; null to only count them (-c): arguments are then not even printed. */
  sink?: TraceSink | null;
  /** Called by finish() with the -c table. */
  summary?: (text: string, rows: SummaryRow[]) => void;
  /** The program path as the user gave it, for the execve line. */
  path?: string;
  /** The program file's bytes, for symbols (-k). */
  programBytes?: Uint8Array | null;
}

/** A function's C signature: what its arguments are and how its result prints. */
interface Signature {
  args: readonly ArgSpec[];
  ret: RetKind;
  /** The result is the whole of rax (time_t, long); otherwise eax, sign-extended (int). */
  wide: boolean;
}

/** vDSO functions that are not also syscalls. */
const VDSO_ONLY: Record<string, Signature> = {
  number_of_the_beast: { args: [], ret: 'int', wide: true },
};
const ARG_REGS = [Reg.RDI, Reg.RSI, Reg.RDX, Reg.RCX, Reg.R8, Reg.R9];
const GENERIC: Signature = { args: ['rdi', 'rsi', 'rdx', 'rcx', 'r8', 'r9'].map((r) => a(r, 'hex')), ret: 'hex', wide: true };

export function vdsoSignature(symbol: string): Signature {
  const bare = bareName(symbol);
  if (VDSO_ONLY[bare]) return VDSO_ONLY[bare];
  const row = SYSCALLS_BY_NAME.get(bare);
  if (row) return { args: row.args, ret: row.ret, wide: row.ret === 'time' || row.ret === 'hex' };
  return GENERIC;
}

interface OpenCall {
  event: CallEvent;
  ctx: CallContext;
  specs: readonly ArgSpec[];
  ret: RetKind;
  shown: boolean;
}

interface VdsoFrame extends OpenCall {
  sig: Signature;
  /** rsp at entry: [rsp] holds the return address. */
  rsp: number;
  rdtscs: number;
  nestedCycles: number;
}

export class Tracer {
  readonly summary = new Summary();
  readonly filter: TraceFilter;
  private readonly strSize: number;
  private readonly sink: TraceSink | null;
  private readonly symbolizer: Symbolizer | null;
  private seq = 0;
  private syscall: (OpenCall & { row: SyscallRow | undefined }) | null = null;
  private readonly frames: VdsoFrame[] = [];
  /** Signal and exit events raised inside a syscall, printed after its line. */
  private deferred: TraceEvent[] = [];
  private ended = false;
  /** The syscall ABI of the last call (strace's personality). */
  private abi: 32 | 64 = 64;
  private rdtscs = 0;
  private readonly removers: (() => void)[] = [];
  private readonly observer: KernelObserver;
  private restoreRdtsc: (() => void) | null = null;
  private readonly returnHooks = new Set<number>();
  private readonly signatures = new Map<string, Signature>();

  constructor(readonly k: Kernel, private readonly opts: TracerOptions = {}) {
    this.filter = opts.filter ?? new TraceFilter();
    this.strSize = opts.strSize ?? 32;
    this.sink = opts.sink === undefined ? null : opts.sink;
    this.symbolizer = opts.stacks && this.sink ? new Symbolizer(k, opts.programBytes ?? null) : null;
    this.observer = {
      syscallEnter: (_k: Kernel, row: SyscallRow | undefined, nr: number, args: number[]) => this.syscallEnter(row, nr, args),
      syscallExit: (_k: Kernel, _row: SyscallRow | undefined, _nr: number, _args: number[], result: number) => this.syscallExit(result),
      signal: (_k: Kernel, info: ExitInfo) => this.signal(info),
      vsyscall: (_k: Kernel, name: string, nr: number, args: number[], result: number) => this.vsyscall(name, nr, args, result),
      // A signal delivered to a handler (kernel/signals/, when the kernel reports it).
      sigdequeue: (_k: Kernel, signo: number, info: SigInfo, action: string) => this.dequeued(signo, info, action === 'default'),
    };
  }

  /** Start tracing a process that execve() has loaded and that has not run yet. */
  attach(): void {
    const k = this.k;
    k.observers.push(this.observer);
    // As under ptrace: an ignored signal is queued, to be shown when it is taken off the queue.
    sigState(k).ptraced = true;
    const bps = breakpoints(k.engine);
    for (const f of vdsoFunctions(k)) this.removers.push(bps.add(f.addr, () => this.vdsoEnter(f.name)));
    // Count rdtsc instructions (the vDSO's one expensive instruction) for the cost model.
    const host = k as unknown as { rdtsc: (...x: unknown[]) => number };
    const orig = host.rdtsc;
    host.rdtsc = (...x: unknown[]) => {
      this.rdtscs++;
      return orig.apply(k, x);
    };
    this.restoreRdtsc = () => { host.rdtsc = orig; };
    this.execveLine();
  }

  detach(): void {
    const i = this.k.observers.indexOf(this.observer);
    if (i >= 0) this.k.observers.splice(i, 1);
    sigState(this.k).ptraced = false;
    for (const r of this.removers) r();
    this.removers.length = 0;
    this.restoreRdtsc?.();
  }

  /** After the run: close open calls, report how the process ended, print the -c table. */
  finish(exit: ExitInfo): void {
    this.flushDeferred();
    for (const f of this.frames.splice(0).reverse()) this.complete(f, null, 0);
    if (!this.ended) this.endEvent(exit);
    this.opts.summary?.(this.summary.table(), this.summary.sorted());
    this.detach();
  }

  // ---- stamps and arguments ----

  /** The clocks are read only when events are printed (counting alone, -c, needs no time). */
  private stamp(): Stamp {
    if (!this.sink) return { insns: this.k.cpu.icount, monoNs: 0n, realNs: 0n };
    return { insns: this.k.cpu.icount, monoNs: this.k.clockNs(CLOCK.MONOTONIC) ?? 0n, realNs: this.k.clockNs(CLOCK.REALTIME) ?? 0n };
  }

  private open(road: Road, name: string, nr: number | null, specs: readonly ArgSpec[], ret: RetKind, args: number[], rip: number): OpenCall {
    const ctx: CallContext = { k: this.k, specs, args, result: null, strSize: this.strSize };
    const targs: TraceArg[] = specs.map((s, i) => ({ name: s.name, text: null, raw: this.sink ? '0x' + u64(args[i] ?? 0).toString(16) : '' }));
    let entryArgs = specs.length;
    specs.forEach((s, i) => {
      const p = PRINTERS[s.kind];
      if (p.out) entryArgs = Math.min(entryArgs, i);
      else if (this.sink) targs[i].text = p.print(ctx, i);
    });
    const event: CallEvent = {
      type: 'call', seq: ++this.seq, road, name, nr, args: targs, result: null, resultText: '?', errno: null, rip,
      ...this.stamp(), callInsns: 0, cycles: 0, depth: 0, parent: null, stack: null, synthetic: false, entryArgs, resumed: false,
    };
    return { event, ctx, specs, ret, shown: this.shown(road, name) };
  }

  private readonly shownCache = new Map<string, boolean>();
  private shown(road: Road, name: string): boolean {
    const key = road + name;
    let v = this.shownCache.get(key);
    if (v === undefined) this.shownCache.set(key, (v = this.filter.matches(road, name)));
    return v;
  }

  /** Fill in the result and the output arguments. `result` null: the call never returned. */
  private close(c: OpenCall, result: number | null): void {
    const e = c.event;
    e.result = result;
    if (result === null) {
      e.resultText = '?';
      return;
    }
    c.ctx.result = result;
    if (this.sink) c.specs.forEach((s, i) => {
      const p = PRINTERS[s.kind];
      if (p.out) e.args[i].text = result < 0 && result >= -4095 && !p.onError ? (c.ctx.args[i] === 0 ? 'NULL' : hex(c.ctx.args[i])) : p.print(c.ctx, i);
    });
    if (c.ret === 'none') e.resultText = '?';
    else if (isRestart(result)) {
      // A call a signal interrupted: the kernel's internal restart code, which the program never sees
      // (the signal turns it into EINTR or a restart); strace prints it as `= ? ERESTARTSYS (...)`.
      const r = RESTART_NAMES[-result];
      e.errno = r.name;
      e.resultText = `? ${r.name} (${r.message})`;
    } else if (result < 0 && result >= -4095) {
      const n = -result;
      e.errno = ERRNO_NAMES[n] ?? `ERRNO_${n}`;
      e.resultText = `-1 ${e.errno} (${ERRNO_MESSAGES[n] ?? `Unknown error ${n}`})`;
    } else {
      e.resultText = resultOverride(c.ctx) ?? (c.ret === 'hex' ? (result === 0 ? '0' : hex(result)) : c.ret === 'signo' && result > 0 ? `${result} (${sigName(result)})` : c.ret === 'time' ? `${result} (${isoTime(result)})` : c.ret === 'mode' ? octalMode(result) : String(result));
    }
  }

  private emit(e: TraceEvent, shown: boolean): void {
    if (shown) this.sink?.event(e);
  }

  // ---- the syscall road ----

  private syscallEnter(row: SyscallRow | undefined, nr: number, args: number[]): void {
    const c = this.k.cpu;
    const abi = this.k.syscallAbi;
    if (abi !== this.abi) {
      // strace notes each change of the syscall ABI (int $0x80 from 64-bit code: the i386 table).
      this.abi = abi;
      this.emit({ type: 'personality', bits: abi, pid: this.k.pid, ...this.stamp() }, true);
    }
    const name = row?.name ?? (abi === 32 ? `syscall_0x${(nr >>> 0).toString(16)}` : SYSCALL_NAMES.get(nr)) ?? `syscall_${nr >= 0 ? '0x' + nr.toString(16) : hex(Number(c.get(Reg.RAX)))}`;
    const specs = row?.args ?? GENERIC.args;
    const call = this.open('syscall', name, nr >= 0 ? nr : null, specs, row?.ret ?? 'int', args, c.rip);
    const parent = this.frames[this.frames.length - 1];
    if (parent) {
      call.event.depth = 1;
      call.event.parent = parent.event.seq;
    }
    this.syscall = { ...call, row };
    const s = this.syscall;
    s.event.callInsns = 1;
    s.event.cycles = syscallCycles(row !== undefined);
    if (this.symbolizer) s.event.stack = unwindHere(this.k, this.symbolizer);
  }

  private syscallExit(result: number): void {
    const s = this.syscall;
    if (!s) return;
    this.syscall = null;
    this.close(s, result);
    const parent = this.frames[this.frames.length - 1];
    if (parent) {
      parent.nestedCycles += s.event.cycles;
      if (parent.shown && s.shown && !parent.event.resumed) {
        parent.event.resumed = true;
        this.sink?.begin?.(parent.event);
      }
    }
    if (s.shown) this.summary.add('syscall', s.event.name, s.event.errno !== null, s.event.callInsns, s.event.cycles);
    this.emit(s.event, s.shown);
    this.flushDeferred();
    if (this.k.exit?.kind === 'exited' && !this.ended) this.endEvent(this.k.exit);
  }

  // ---- the vDSO road ----

  private vdsoEnter(name: string): void {
    const k = this.k, c = k.cpu;
    const rsp = c.getS(Reg.RSP);
    let ret: number;
    try {
      const lo = k.mem.read64(rsp);
      ret = k.mem.hi * 4294967296 + (lo >>> 0);
    } catch {
      return;
    }
    // A call from inside the image (one exported function using another), or a tail call within a call
    // already open, is part of that call.
    const base = k.vdsoBase;
    if (ret >= base && ret < base + vdso.mapSize) return;
    for (const f of this.frames) if (f.rsp === rsp) return;
    let sig = this.signatures.get(name);
    if (!sig) this.signatures.set(name, (sig = vdsoSignature(name)));
    const args: number[] = [];
    for (let i = 0; i < sig.args.length; i++) args.push(c.getS(ARG_REGS[i]));
    const call = this.open('vdso', name, null, sig.args, sig.ret, args, ret);
    const frame: VdsoFrame = { event: call.event, ctx: call.ctx, specs: call.specs, ret: call.ret, shown: call.shown, sig, rsp, rdtscs: this.rdtscs, nestedCycles: 0 };
    if (this.symbolizer) frame.event.stack = unwind(k, this.symbolizer, ret, rsp + 8);
    this.frames.push(frame);
    if (!this.returnHooks.has(ret)) {
      // Return sites stay hooked: a program calls the vDSO from a handful of places, and clearing the
      // hook would drop the decoded blocks of the caller's page on every call.
      this.returnHooks.add(ret);
      this.removers.push(breakpoints(k.engine).add(ret, () => this.vdsoReturn(ret)));
    }
  }

  private vdsoReturn(at: number): void {
    const rsp = this.k.cpu.getS(Reg.RSP);
    // Frames the program left without returning (a longjmp out of a signal handler) are below rsp.
    while (this.frames.length) {
      const top = this.frames[this.frames.length - 1];
      if (top.rsp + 8 === rsp && top.event.rip === at) {
        this.frames.pop();
        const rax = top.sig.wide ? this.k.cpu.getS(Reg.RAX) : this.k.cpu.r32[0];
        this.complete(top, rax, this.k.cpu.icount - top.event.insns);
        return;
      }
      if (top.rsp + 8 > rsp) return; // not this call's return: a deeper pass through the same address
      this.frames.pop();
      this.complete(top, null, 0);
    }
  }

  private complete(f: VdsoFrame, result: number | null, insns: number): void {
    this.close(f, result);
    const rd = this.rdtscs - f.rdtscs;
    f.event.callInsns = insns;
    f.event.cycles = vdsoCycles(insns, rd, f.nestedCycles);
    if (result !== null && f.shown) this.summary.add('vdso', f.event.name, f.event.errno !== null, insns, f.event.cycles);
    const parent = this.frames[this.frames.length - 1];
    if (parent) parent.nestedCycles += f.event.cycles;
    this.emit(f.event, f.shown);
  }

  // ---- the vsyscall road ----

  private vsyscall(name: string, nr: number, args: number[], result: number): void {
    const row = SYSCALLS[nr];
    const c = this.k.cpu;
    const call = this.open('vsyscall', name, nr, row?.args ?? [], row?.ret ?? 'int', args, c.rip);
    this.close(call, result);
    const e = call.event;
    e.insns = c.icount - 1;
    e.callInsns = 1;
    e.cycles = vsyscallCycles();
    if (this.symbolizer) e.stack = unwind(this.k, this.symbolizer, c.rip, c.getS(Reg.RSP));
    if (call.shown) this.summary.add('vsyscall', name, e.errno !== null, 1, e.cycles);
    this.emit(e, call.shown);
  }

  // ---- signals and the end ----

  /** The process ends by a signal: `+++ killed by SIG +++` (its `---` line came from dequeued()). */
  private signal(info: ExitInfo): void {
    if (info.kind !== 'signaled') return;
    const end: TraceEvent = { type: 'exit', how: 'killed', status: info.status, code: null, signal: sigName(info.signo), ...this.stamp() };
    const line = this.fatal;
    this.fatal = null;
    if (this.syscall) {
      if (line) this.deferred.push(line);
      this.deferred.push(end);
      return;
    }
    if (line) {
      // A fault inside a vDSO call: show the call as unfinished before the signal.
      for (const fr of this.frames) {
        if (fr.shown && !fr.event.resumed) {
          fr.event.resumed = true;
          this.sink?.begin?.(fr.event);
        }
      }
      this.emit(line, true);
    }
    this.pendingEnd = end;
  }

  /** The `---` line of a signal whose default action is running: printed with the end (after the kernel's log line). */
  private fatal: TraceEvent | null = null;

  /**
   * `--- SIGUSR1 {...} ---`: a signal taken off the queue, whatever then happens to it (ptrace's
   * signal-delivery-stop, in get_signal before the handler's frame is built or the default action
   * runs), so a signal whose frame cannot be written shows, then the SIGSEGV that replaces it.
   */
  private dequeued(signo: number, info: SigInfo, fatal: boolean): void {
    const si = siginfoText(encodeSiginfo(info));
    const e: TraceEvent = { type: 'signal', signo, signal: sigName(signo), code: si.code, siginfo: si.text, ...this.stamp() };
    if (fatal) this.fatal = e;
    else if (this.syscall) this.deferred.push(e);
    else this.emit(e, true);
  }

  /** The killed line, printed when the run is over (after any unfinished vDSO call is closed). */
  private pendingEnd: TraceEvent | null = null;

  private flushDeferred(): void {
    const d = this.deferred;
    this.deferred = [];
    for (const e of d) {
      if (e.type === 'exit') this.pendingEnd = e;
      else this.emit(e, true);
    }
  }

  private endEvent(exit: ExitInfo): void {
    this.ended = true;
    if (this.pendingEnd) {
      this.emit(this.pendingEnd, true);
      return;
    }
    const e: TraceEvent = exit.kind === 'exited'
      ? { type: 'exit', how: 'exited', status: exit.status, code: exit.code, signal: null, ...this.stamp() }
      : exit.kind === 'signaled'
        ? { type: 'exit', how: 'killed', status: exit.status, code: null, signal: sigName(exit.signo), ...this.stamp() }
        : { type: 'exit', how: 'limit', status: exit.status, code: null, signal: null, ...this.stamp() };
    this.emit(e, true);
  }

  // ---- the execve line ----

  /** strace's first line: the execve that started the program (done by colonel's loader, not traced). */
  private execveLine(): void {
    const k = this.k;
    const sp = k.cpu.getS(Reg.RSP);
    const word = (addr: number) => {
      const b = peek(k, addr, 8);
      return b ? Number(new DataView(b.buffer).getBigInt64(0, true)) : 0;
    };
    const argc = word(sp);
    const argv: string[] = [];
    for (let i = 0; i < argc; i++) {
      const raw = peekCString(k, word(sp + 8 * (1 + i)), this.strSize);
      argv.push(raw ? quoteCString(raw, this.strSize) : '?');
    }
    const envp = sp + 8 * (argc + 2);
    let envc = 0;
    while (envc < 100000 && word(envp + 8 * envc) !== 0) envc++;
    const path = this.opts.path ?? k.exePath;
    const e: CallEvent = {
      type: 'call', seq: ++this.seq, road: 'syscall', name: 'execve', nr: 59,
      args: [
        { name: 'pathname', text: quoteBytes(new TextEncoder().encode(path)), raw: '0x0' },
        { name: 'argv', text: `[${argv.join(', ')}]`, raw: hex(sp + 8) },
        { name: 'envp', text: `${hex(envp)} /* ${envc} ${envc === 1 ? 'var' : 'vars'} */`, raw: hex(envp) },
      ],
      result: 0, resultText: '0', errno: null, rip: k.cpu.rip, ...this.stamp(), callInsns: 0, cycles: 0, depth: 0, parent: null,
      stack: null, synthetic: true, entryArgs: 3, resumed: false,
    };
    this.emit(e, this.filter.matches('syscall', 'execve'));
  }
}
