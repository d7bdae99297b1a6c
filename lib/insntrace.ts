// `colonel trace --insns[=WHAT]`: every retired instruction, with its address, symbol+offset, bytes,
// Intel disassembly as objdump prints it (cpu/disasm.ts) and the registers it changed. It lives in lib/
// because it needs both the CPU's disassembler and the kernel's run loop (kernel/ never imports the
// formatter).
//
// WHAT is a comma-separated list of: `vdso` (the [vdso] mapping), `ADDR-ADDR` (hex, end exclusive),
// or a SYMBOL of the program or the vDSO. Without WHAT every instruction is shown.
//
// How it runs: the engine executes blocks at full speed until a breakpoint at an entry to a traced
// range (a function's first instruction; the exported vDSO functions); the hook then single-steps the
// range, printing each instruction, until execution leaves it. A call out of the range leaves a
// breakpoint on its return address, so stepping resumes when the callee returns. An address range can
// be entered anywhere, so with one (or with no WHAT) the whole program is single-stepped and only the
// range printed. While stepping, the hook does what the run loop would: it delivers faults to the
// kernel, runs timer ticks at the same instruction counts, fires the other tracers' breakpoints, and
// stops at --max-insns, so a traced run behaves exactly like an untraced one.

import type { Cpu } from '../cpu/cpu.js';
import { formatInsn } from '../cpu/disasm.js';
import type { Insn } from '../cpu/insn.js';
import type { Kernel } from '../kernel/kernel.js';
import { vdso } from '../kernel/vdso/vdso.js';
import { breakpoints } from '../kernel/trace/breakpoints.js';
import { Symbolizer } from '../kernel/trace/stack.js';
import { vdsoFunctions } from '../kernel/trace/vdsosyms.js';
import type { HoldingSink } from '../kernel/trace/format.js';
import type { InsnEvent } from '../kernel/trace/events.js';
import { REG_NAMES } from '../cpu/cpu.js';
import { itimerDue } from '../kernel/signals/itimer.js';
import { exitToUserMode } from '../kernel/signals/deliver.js';

export class InsnSpecError extends Error {}

export type InsnItem = { type: 'vdso' } | { type: 'range'; start: number; end: number } | { type: 'symbol'; name: string };
/** null items: every instruction. */
export interface InsnSpec {
  items: InsnItem[] | null;
}

function parseAddr(s: string): number | null {
  if (!/^(0x)?[0-9a-f]{1,16}$/i.test(s)) return null;
  return Number(BigInt.asIntN(64, BigInt(s.startsWith('0x') || s.startsWith('0X') ? s : '0x' + s)));
}

/** Parse --insns's value (before the program is loaded: symbols are checked later). */
export function parseInsnSpec(value: string): InsnSpec {
  if (value === '' || value === 'all') return { items: null };
  const items: InsnItem[] = [];
  for (const part of value.split(',')) {
    if (part === 'vdso') { items.push({ type: 'vdso' }); continue; }
    const m = /^([^-]*)-([^-]*)$/.exec(part);
    if (m) {
      const start = parseAddr(m[1]), end = parseAddr(m[2]);
      if (start === null || end === null) throw new InsnSpecError(`bad range '${part}': expected two hex addresses, START-END`);
      if (!(start < end)) throw new InsnSpecError(`bad range '${part}': the start must be below the end`);
      items.push({ type: 'range', start, end });
      continue;
    }
    if (!/^[A-Za-z_.$][\w.$@]*$/.test(part)) throw new InsnSpecError(`'${part}' is not vdso, a START-END range or a symbol name`);
    items.push({ type: 'symbol', name: part });
  }
  return { items };
}

const XMM_NAMES = Array.from({ length: 16 }, (_, i) => `xmm${i}`);
const hex64 = (hi: number, lo: number) => '0x' + ((BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)).toString(16);

/** What --insns traces in a loaded process: address ranges, where they are entered, and whether to step all. */
export interface InsnPlan {
  ranges: [number, number][];
  entries: number[];
  stepAll: boolean;
  sym: Symbolizer;
}

/** Resolve --insns's symbols and the vDSO in a loaded process. Throws InsnSpecError. */
export function planInsns(k: Kernel, spec: InsnSpec, programBytes: Uint8Array | null): InsnPlan {
  const sym = new Symbolizer(k, programBytes);
  const ranges: [number, number][] = [];
  const entries: number[] = [];
  let stepAll = spec.items === null;
  for (const item of spec.items ?? []) {
    if (item.type === 'range') {
      ranges.push([item.start, item.end]);
      stepAll = true;
    } else if (item.type === 'vdso') {
      if (!k.vdsoBase) throw new InsnSpecError('no vDSO is mapped (--no-vdso)');
      ranges.push([k.vdsoBase, k.vdsoBase + vdso.mapSize]);
      for (const f of vdsoFunctions(k)) entries.push(f.addr);
    } else {
      const s = sym.find(item.name) ?? sym.find('__vdso_' + item.name);
      if (!s) throw new InsnSpecError(`no symbol '${item.name}' in the program or the vDSO`);
      if (s.size === 0) throw new InsnSpecError(`symbol '${item.name}' has no size, so its end is unknown; give a START-END range`);
      ranges.push([s.start, s.start + s.size]);
      entries.push(s.start);
    }
  }
  return { ranges, entries, stepAll, sym };
}

export class InsnTracer {
  private readonly ranges: [number, number][];
  private readonly stepAll: boolean;
  private readonly sym: Symbolizer;
  private readonly stopAt: number;
  private readonly mine = new Set<(c: Cpu) => void>();
  private readonly removers: (() => void)[] = [];
  private readonly returnHooks = new Set<number>();
  private active = false;
  // Register snapshots (reused: no allocation per instruction beyond the event itself).
  private readonly r32 = new Int32Array(32);
  private readonly x32 = new Int32Array(64);

  constructor(private readonly k: Kernel, plan: InsnPlan, private readonly sink: HoldingSink, maxInsns: number) {
    this.sym = plan.sym;
    this.ranges = plan.ranges;
    this.stepAll = plan.stepAll;
    this.stopAt = k.cpu.icount + maxInsns;
    const entries = plan.stepAll ? [k.cpu.rip] : plan.entries;
    for (const addr of new Set(entries)) this.hook(addr);
  }

  detach(): void {
    for (const r of this.removers) r();
    this.removers.length = 0;
  }

  private hook(addr: number): void {
    const h = (c: Cpu) => this.step(c);
    this.mine.add(h);
    this.removers.push(breakpoints(this.k.engine).add(addr, h));
  }

  private inRange(addr: number): boolean {
    if (this.ranges.length === 0) return true;
    for (const [s, e] of this.ranges) if (addr >= s && addr < e) return true;
    return false;
  }

  /** Single-step from the current rip until execution leaves the traced ranges (or the program ends). */
  private step(c: Cpu): void {
    if (this.active) return;
    this.active = true;
    const k = this.k;
    const bps = breakpoints(k.engine);
    let first = true;
    try {
      while (!k.exit) {
        if (c.icount >= this.stopAt) {
          k.engine.stopRequested = true;
          return;
        }
        const addr = c.rip;
        const inside = this.inRange(addr);
        if (!inside && !this.stepAll) return;
        // The engine fired every hook at the first address; later ones are ours to fire.
        if (!first && bps.has(addr)) {
          bps.fire(addr, c, (h) => !this.mine.has(h));
          if (k.exit || c.rip !== addr) continue;
        }
        first = false;
        let d: Insn | null = null;
        try {
          d = k.engine.insnAt(addr);
        } catch {
          d = null; // the fetch faults: step() reports it
        }
        if (inside && d) this.snapshot(c);
        this.sink.hold();
        const r = k.engine.step();
        let retired = r === null || r.kind === 'stop';
        if (r?.kind === 'fault') {
          // A fault the kernel completes as a trap (int $0x80, kernel/ia32.ts) retires the instruction.
          const before = c.icount;
          k.handleFault(r.fault);
          retired = c.icount > before;
        }
        if (inside && d && retired) this.sink.inner.event(this.event(c, d));
        this.sink.release();
        if (k.tsc() >= k.tk.nextTickTsc) k.timerTick();
        // As Kernel.run stops where the next timer expires (timerLimit) and returns to user mode there:
        // the timer's signal arrives at the same instruction traced or not.
        if (!k.exit && itimerDue(k)) exitToUserMode(k);
        if (!this.stepAll && d && d.row.flow === 'call' && !this.inRange(c.rip) && !this.returnHooks.has(d.next)) {
          this.returnHooks.add(d.next);
          this.hook(d.next);
        }
      }
    } finally {
      this.active = false;
    }
  }

  private snapshot(c: Cpu): void {
    this.r32.set(c.r32.subarray(0, 32));
    this.x32.set(c.x32.subarray(0, 64));
    this.flagsBefore = c.getFlags();
    this.fsBefore = c.fsBase;
  }
  private flagsBefore = 0;
  private fsBefore = 0;

  private event(c: Cpu, d: Insn): InsnEvent {
    const changes: [string, string][] = [];
    for (let i = 0; i < 16; i++) {
      if (c.r32[2 * i] !== this.r32[2 * i] || c.r32[2 * i + 1] !== this.r32[2 * i + 1]) changes.push([REG_NAMES[i], hex64(c.r32[2 * i + 1], c.r32[2 * i])]);
    }
    const flags = c.getFlags();
    if (flags !== this.flagsBefore) changes.push(['rflags', '0x' + (flags >>> 0).toString(16)]);
    for (let i = 0; i < 16; i++) {
      const o = 4 * i;
      if (c.x32[o] !== this.x32[o] || c.x32[o + 1] !== this.x32[o + 1] || c.x32[o + 2] !== this.x32[o + 2] || c.x32[o + 3] !== this.x32[o + 3]) {
        changes.push([XMM_NAMES[i], '0x' + hex64(c.x32[o + 3], c.x32[o + 2]).slice(2).padStart(16, '0') + hex64(c.x32[o + 1], c.x32[o]).slice(2).padStart(16, '0')]);
      }
    }
    if (c.fsBase !== this.fsBefore) changes.push(['fs_base', '0x' + c.fsBase.toString(16)]);
    return {
      type: 'insn', addr: d.addr, symbol: this.sym.name(d.addr), bytes: d.bytes,
      text: formatInsn(d, { symbolize: (a) => this.sym.name(a) }), changes, insns: c.icount - 1,
    };
  }
}
