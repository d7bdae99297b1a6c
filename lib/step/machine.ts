// The stepping machine: a loaded process driven one instruction, or one run to a stop, at a time,
// with every crossing between user and kernel recorded as an event (lib/step/events.ts) and a
// timeline of snapshots for going back (lib/step/history.ts).
//
// Runs go fast (the engine's block loop) except when single-stepping or observing. Three rules keep
// any two runs over the same stretch identical, however they were cut into steps, so a replay from a
// snapshot reproduces the original exactly:
//  - the engine is stopped after every syscall (the observer below), and after every syscall, fault
//    and chunk the timer tick is checked: a tick falls at the first instruction boundary where the
//    virtual TSC has reached it, wherever the runs were cut;
//  - stdin is a recorded tape and the output a log (lib/step/io.ts);
//  - kernel parameters set from the prompt are recorded with their instruction count and re-applied
//    there (`settings`).
// Stops *before* an instruction (breakpoints, `until syscall`, `until vdso`) use engine breakpoints
// (hooks at block starts); the first instruction of every run is single-stepped so that a run never
// stops where it starts.
//
// One more rule for exactness: the engine adds a block's instructions to cpu.icount when the block
// ends, so an instruction in the middle of a block that asks the kernel for the time (syscall, rdtsc)
// would see the count at the block's start, and the answer would depend on where blocks begin, which
// breakpoints and single-stepping change. Every syscall, rdtsc and rdtscp therefore carries a (no-op)
// hook, which makes it start a block: the kernel then always sees the exact count.

import type { Kernel } from '../../kernel/kernel.js';
import { Reg } from '../../cpu/cpu.js';
import { GuestFault, PFErr, Vector } from '../../cpu/fault.js';
import { VVAR_SIZE } from '../../kernel/vdso/datapage.js';
import { vdso } from '../../kernel/vdso/vdso.js';
import { updateVsyscall } from '../../kernel/time/vsyscall.js';
import { History } from './history.js';
import { InputTape, OutputPane, StepInput, StepOutput } from './io.js';
import { Symbols, toAddr } from './symbols.js';
import { decodeAt, peek64, scanTimeSites } from './peek.js';
import { beginCall, endCall, type CallText } from './sysfmt.js';
import { observeAfter, observeBefore, vvarSeq } from './observe.js';
import { type Crossing, type StepEvent, type SyscallEvent } from './events.js';
import { findPreviousHit, land } from './reverse.js';
import { itimerDue, timerLimit } from '../../kernel/signals/itimer.js';
import { exitToUserMode } from '../../kernel/signals/deliver.js';

export type Stop =
  | { kind: 'done' }
  | { kind: 'breakpoint'; id: number; addr: number }
  | { kind: 'crossing'; crossing: Crossing }
  | { kind: 'exit' }
  | { kind: 'blocked' }
  | { kind: 'limit' };

export interface RunOptions {
  /** Stop when cpu.icount reaches this. */
  stopAt?: number;
  /** Stop before the next crossing of these kinds (after it, for ticks). */
  until?: ReadonlySet<Crossing>;
  /** Stop at the user's breakpoints. */
  breakpoints?: boolean;
  /** Single-step and record instruction-level events (vvar loads, rdtsc, leaving the vDSO). */
  observe?: boolean;
  /** Single-step, and stop when this returns true after an instruction. */
  after?: () => boolean;
  /** Called before each instruction (single-steps). */
  before?: () => void;
  /** Stop when execution reaches addr with rsp at or above rsp (the instruction after a call, returned to). */
  returnTo?: { addr: number; rsp: number };
  /** Instructions at most (a runaway guard). */
  budget?: number;
  /** Record the instruction counts at which a breakpoint is reached, without stopping (reverse-continue). */
  hits?: number[];
}

export interface Breakpoint {
  id: number;
  addr: number;
  spec: string;
  hits: number;
}

export interface Setting {
  at: number;
  name: string;
  value: number;
}

const DEFAULT_BUDGET = 200_000_000;
const MAX_EVENTS = 1_000_000;
const NONE = new Set<Crossing>();

export class Machine {
  readonly symbols: Symbols;
  readonly events: StepEvent[] = [];
  readonly tape = new InputTape();
  readonly pane = new OutputPane();
  readonly input: StepInput;
  readonly history: History;
  readonly breakpoints = new Map<number, Breakpoint>();
  /** Kernel parameters set from the prompt, in instruction-count order, and how many are in effect. */
  readonly settings: Setting[] = [];
  settingsApplied = 0;
  /** Diagnostics the kernel printed (fault lines). */
  readonly diag: string[] = [];
  private nextBp = 1;
  private opts: RunOptions = {};
  private hit: Stop | null = null;
  private first = false;
  private readonly hooked = new Set<number>();
  /** Every syscall, rdtsc and rdtscp in executable memory (see codeSites()), and the maps they came from. */
  private sites: number[] = [];
  private sitesFor = '';
  private pending: Omit<SyscallEvent, 'call' | 'result' | 'resultText' | 'restarted'> | null = null;
  private pendingText: CallText | null = null;
  private blockedNow = false;
  private fault: GuestFault | null = null;

  constructor(readonly kernel: Kernel, opts: { interval?: number; stdin?: Uint8Array } = {}) {
    const k = kernel;
    if (k.options.clock !== 'virtual') throw new Error('colonel step needs the virtual clock (reverse stepping re-executes)');
    this.input = new StepInput(this.tape, () => k.cpu.icount);
    k.fds.set(0, this.input);
    k.fds.set(1, new StepOutput(this.pane, 1, this.pane.cursor));
    k.fds.set(2, new StepOutput(this.pane, 2, this.pane.cursor));
    if (opts.stdin) {
      this.tape.add(0, opts.stdin);
      this.tape.add(0, null);
    }
    (k.options as { diag: (line: string) => void }).diag = (line) => this.diag.push(line);
    this.symbols = new Symbols(k);
    this.history = new History(k, new Set<object>([this.tape, this.pane, this.events, this.settings, this.diag]), opts.interval);
    k.observers.push({
      syscallEnter: (_k, row, nr, args) => {
        const c = k.cpu;
        this.pendingText = beginCall(k, row, nr, args);
        // int $0x80 (kernel/ia32.ts): rip is already past the 2-byte instruction; rcx and r11 are the program's.
        const int80 = k.syscallAbi === 32;
        this.pending = { kind: 'syscall', at: c.icount, nr, name: row?.name ?? `syscall_${nr}`, args: args.slice(), insnAddr: int80 ? c.rip - 2 : toAddr(c.get(Reg.RCX)) - 2, rcx: c.get(Reg.RCX), r11: c.get(Reg.R11), ...(int80 ? { int80: true } : {}) };
      },
      syscallExit: (_k, row, nr, _args, result) => {
        const p = this.pending!;
        this.pending = null;
        let restarted = false;
        if (this.input.blocked) {
          // Linux's restart of an interrupted syscall: rip back onto the instruction, rax = the number.
          this.input.blocked = false;
          restarted = true;
          k.cpu.rip = p.insnAddr;
          k.cpu.setN(Reg.RAX, nr);
          this.blockedNow = true;
        }
        this.events.push({ ...p, ...endCall(this.pendingText!, result), result, restarted, note: row?.status === 'partial' ? row.note : undefined });
        k.engine.stopRequested = true;
        this.refreshSites();
      },
      vsyscall: (_k, name, nr, args, result) => {
        const f = this.fault;
        this.events.push({ kind: 'vsyscall', at: k.cpu.icount - 1, name, nr, args: args.slice(0, 3), result, addr: f?.addr ?? 0, errorCode: f?.errorCode ?? 0, retAddr: k.cpu.rip });
      },
    });
    this.refreshSites();
    this.history.take(this.marks());
  }

  marks() {
    return { eventsLen: this.events.length, settingsApplied: this.settingsApplied };
  }

  get icount(): number {
    return this.kernel.cpu.icount;
  }

  inVdso(addr: number): boolean {
    const b = this.kernel.vdsoBase;
    return b !== 0 && addr >= b && addr < b + vdso.mapSize;
  }

  inVvar(addr: number): boolean {
    const b = this.kernel.vdsoBase;
    return b !== 0 && addr >= b - VVAR_SIZE && addr < b;
  }

  inVsyscall(addr: number): boolean {
    const g = this.kernel.mm.gate;
    return g !== null && addr >= g.start && addr < g.end;
  }

  // ---- breakpoints and hooks ----

  addBreakpoint(addr: number, spec: string): Breakpoint {
    const bp: Breakpoint = { id: this.nextBp++, addr, spec, hits: 0 };
    this.breakpoints.set(bp.id, bp);
    this.syncHooks();
    return bp;
  }

  deleteBreakpoint(id?: number): boolean {
    const ok = id === undefined ? this.breakpoints.size > 0 : this.breakpoints.delete(id);
    if (id === undefined) this.breakpoints.clear();
    this.syncHooks();
    return ok;
  }

  private bpAt(addr: number): Breakpoint | undefined {
    for (const b of this.breakpoints.values()) if (b.addr === addr) return b;
    return undefined;
  }

  /** Install engine hooks at exactly: the vDSO entry points, the breakpoints, the armed syscall sites. */
  private syncHooks(): void {
    const want = new Set<number>([...this.symbols.vdsoEntries.map((s) => s.addr), ...[...this.breakpoints.values()].map((b) => b.addr), ...this.sites]);
    if (this.opts.returnTo) want.add(this.opts.returnTo.addr);
    const e = this.kernel.engine;
    for (const a of this.hooked) if (!want.has(a)) e.clearBreakpoint(a), this.hooked.delete(a);
    for (const a of want) {
      if (this.hooked.has(a)) continue;
      this.hooked.add(a);
      e.setBreakpoint(a, () => {
        const s = this.atBoundary(a, true);
        if (s) {
          this.hit = s;
          e.stopRequested = true;
        }
      });
    }
  }

  /**
   * Rescan for syscall (0f 05), rdtsc (0f 31) and rdtscp (0f 01 f9) when the executable mappings
   * changed. A match inside another instruction's bytes is harmless: execution never starts there.
   */
  private refreshSites(): void {
    const exec = this.kernel.mm.vmas.filter((v) => v.prot & 4);
    const key = exec.map((v) => `${v.start}-${v.end}`).join(',');
    if (key === this.sitesFor) return;
    this.sitesFor = key;
    const out = scanTimeSites(this.kernel.mem, exec);
    this.sites = out;
    this.syncHooks();
  }

  /**
   * At an instruction boundary, before the instruction at addr: note an entry into the vDSO, and say
   * whether the run stops here.
   */
  private atBoundary(addr: number, mayStop: boolean): Stop | null {
    const k = this.kernel, o = this.opts;
    const entry = this.symbols.vdsoEntryAt(addr);
    let stop: Stop | null = null;
    if (entry) {
      const ret = peek64(k.mem, k.cpu.getS(Reg.RSP));
      const from = ret === null ? 0 : toAddr(ret);
      if (!this.inVdso(from)) {
        const last = this.events[this.events.length - 1];
        // A bounded log: past MAX_EVENTS, vDSO entries are no longer noted (the rule depends only on
        // the log's length, which snapshots restore, so replays still note exactly the same ones).
        if (!(last?.kind === 'vdso' && last.at === k.cpu.icount) && this.events.length < MAX_EVENTS) this.events.push({ kind: 'vdso', at: k.cpu.icount, symbol: entry.name, addr, from });
        if (o.until?.has('vdso')) stop = { kind: 'crossing', crossing: 'vdso' };
      }
    }
    const bp = this.bpAt(addr);
    if (bp && o.hits && o.hits[o.hits.length - 1] !== k.cpu.icount) o.hits.push(k.cpu.icount);
    if (!mayStop) return null;
    if (o.returnTo && addr === o.returnTo.addr && k.cpu.getS(Reg.RSP) >= o.returnTo.rsp) return { kind: 'done' };
    if (bp && o.breakpoints) {
      bp.hits++;
      return { kind: 'breakpoint', id: bp.id, addr };
    }
    if (stop) return stop;
    if (o.until?.has('syscall') && decodeAt(k.mem, addr)?.row.id === 'syscall') return { kind: 'crossing', crossing: 'syscall' };
    if (o.until?.has('vsyscall') && this.inVsyscall(addr)) return { kind: 'crossing', crossing: 'vsyscall' };
    return null;
  }

  // ---- running ----

  /** Run until a stop. The first instruction always executes (a run never stops where it starts). */
  run(opts: RunOptions): Stop {
    const k = this.kernel, c = k.cpu, e = k.engine;
    this.opts = opts;
    const start = c.icount;
    const stopAt = opts.stopAt ?? Infinity;
    const budgetEnd = start + (opts.budget ?? DEFAULT_BUDGET);
    const single = !!(opts.observe || opts.after || opts.before);
    if (opts.returnTo) this.syncHooks();
    this.first = true;
    try {
      for (;;) {
        this.applySettings();
        // A timer that has expired fires before the next instruction, as in Kernel.run (which stops
        // there: timerLimit, also in the chunk limit below), however the run is cut into steps.
        if (!k.exit && itimerDue(k)) exitToUserMode(k);
        if (k.exit) return this.exited();
        if (c.icount >= stopAt) return { kind: 'done' };
        if (c.icount >= budgetEnd) return { kind: 'limit' };
        this.history.maybeTake(this.marks());
        if (single || this.first) {
          this.hit = null;
          opts.before?.();
          const s = this.stepOne(!this.first);
          this.first = false;
          if (s) return s;
          if (this.hit) return this.hit;
          if (opts.after?.()) return { kind: 'done' };
        } else {
          const timerAt = timerLimit(k);
          const limit = Math.min(stopAt, budgetEnd, c.icount + this.insnsToTick(), this.history.nextDue(), this.nextSettingAt(), timerAt);
          this.hit = null;
          const r = e.run(Math.max(limit, c.icount + 1));
          if (r.kind === 'fault') {
            const s = this.faultStop(r.fault);
            if (s) return this.tickCheck(), s;
            this.handleFault(r.fault);
          }
          this.tickCheck();
          if (this.hit) return this.hit;
        }
        if (this.blockedNow) {
          this.blockedNow = false;
          if (!this.tape.hasFuture(c.icount - 1)) return { kind: 'blocked' };
        }
      }
    } finally {
      this.opts = {};
      if (opts.returnTo) this.syncHooks();
    }
  }

  private exited(): Stop {
    const k = this.kernel;
    const last = this.events[this.events.length - 1];
    if (last?.kind !== 'exit') {
      const x = k.exit!;
      this.events.push({ kind: 'exit', at: k.cpu.icount, status: x.status, how: x.kind === 'signaled' ? x.message : `exit status ${x.status}` });
    }
    return { kind: 'exit' };
  }

  /** One instruction (with its fault handled and the tick checked). Returns a stop before a fault. */
  private stepOne(mayStop: boolean): Stop | null {
    const k = this.kernel, c = k.cpu;
    const addr = c.rip;
    if (mayStop) {
      const s = this.atBoundary(addr, true);
      if (s) return s;
    } else this.atBoundary(addr, false);
    const obs = this.opts.observe ? observeBefore(this, addr) : null;
    const r = k.engine.step();
    if (r?.kind === 'fault') {
      const s = mayStop ? this.faultStop(r.fault) : null;
      if (s) return s;
      this.handleFault(r.fault);
    } else if (obs) observeAfter(this, obs);
    this.tickCheck();
    return null;
  }

  /** Stop before the kernel handles a fault (`until vsyscall|fault`, a breakpoint on a vsyscall slot). */
  private faultStop(f: GuestFault): Stop | null {
    const o = this.opts;
    if (f.vector === Vector.PF && f.errorCode & PFErr.FETCH && this.inVsyscall(f.addr)) {
      const bp = this.bpAt(f.addr);
      if (bp && o.hits && o.hits[o.hits.length - 1] !== this.icount) o.hits.push(this.icount);
      if (bp && o.breakpoints) return bp.hits++, { kind: 'breakpoint', id: bp.id, addr: f.addr };
      return o.until?.has('vsyscall') ? { kind: 'crossing', crossing: 'vsyscall' } : null;
    }
    return o.until?.has('fault') ? { kind: 'crossing', crossing: 'fault' } : null;
  }

  private handleFault(f: GuestFault): void {
    const k = this.kernel;
    const n = this.events.length;
    const stack = k.mm.vmas.find((v) => v.name === '[stack]')?.start;
    const at = k.cpu.icount;
    this.fault = f;
    try {
      k.handleFault(f);
    } finally {
      this.fault = null;
    }
    // An emulated vsyscall or an int $0x80 syscall: the event already says what the fault was.
    if (this.events.length > n && (this.events[this.events.length - 1].kind === 'vsyscall' || this.events[this.events.length - 1].kind === 'syscall')) return;
    const grown = k.mm.vmas.find((v) => v.name === '[stack]')?.start !== stack;
    const outcome = k.exit ? 'fatal' : grown ? 'grown' : 'handled';
    this.events.push({ kind: 'fault', at, vector: f.vector, addr: f.addr, errorCode: f.errorCode, rip: f.rip, outcome, text: k.exit ? this.diag[this.diag.length - 1] ?? '' : '' });
  }

  private insnsToTick(): number {
    const k = this.kernel;
    const cycles = k.tk.nextTickTsc - k.tsc();
    return cycles <= 0n ? 1 : Math.ceil(Number(cycles) / k.tk.cyclesPerInstruction);
  }

  /** The timer tick, when due: update_vsyscall rewrites vvar (the event records seq before and after). */
  private tickCheck(): void {
    const k = this.kernel;
    if (k.exit || k.tsc() < k.tk.nextTickTsc) return;
    const before = vvarSeq(k);
    k.timerTick();
    const after = vvarSeq(k);
    if (after !== before) this.events.push({ kind: 'tick', at: k.cpu.icount, seqBefore: before, seqAfter: after, jiffies: k.tk.jiffies_64, vnotb: BigInt(k.params.vnotb ?? 0) });
    if (this.opts.until?.has('tick') && !this.hit) this.hit = { kind: 'crossing', crossing: 'tick' };
  }

  // ---- kernel parameters from the prompt ----

  /** `set vnotb=N`: record it at this point (dropping any recorded later: a new future) and apply it. */
  set(name: string, value: number): void {
    const at = this.icount;
    this.settings.length = this.settingsApplied;
    while (this.settings.length && this.settings[this.settings.length - 1].at > at) this.settings.pop();
    this.settings.push({ at, name, value });
    this.applySettings();
  }

  private nextSettingAt(): number {
    return this.settings[this.settingsApplied]?.at ?? Infinity;
  }

  private applySettings(): void {
    const k = this.kernel;
    while (this.settingsApplied < this.settings.length && this.settings[this.settingsApplied].at <= k.cpu.icount) {
      const s = this.settings[this.settingsApplied++];
      const before = vvarSeq(k);
      k.params[s.name] = s.value;
      updateVsyscall(k.vvarView, k.tk, { vnotb: k.params.vnotb });
      this.events.push({ kind: 'set', at: k.cpu.icount, name: s.name, value: s.value, seqBefore: before, seqAfter: vvarSeq(k) });
    }
  }

  // ---- going back (lib/step/reverse.ts) ----

  /** Forget a pending stop (a restore put the machine elsewhere). */
  resetStops(): void {
    this.hit = null;
    this.blockedNow = false;
  }

  /** Put the machine in its state at instruction count `target`; a warning if the replay diverged. */
  land(target: number, tail = 64): string | null {
    return land(this, target, tail);
  }

  /** The last instruction count before `now` at which a breakpoint was reached, or null. */
  findPreviousHit(now: number): number | null {
    return findPreviousHit(this, now);
  }
}
