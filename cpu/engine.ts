// The run loop. Instructions are decoded once into blocks (straight-line runs ending at a control
// transfer, a syscall, a page end or 64 instructions), cached by start address, and dropped when a
// page they came from is written or unmapped. Executing a block is a loop of indirect calls with no
// allocation. A block is also the unit a later compiler can turn into one JavaScript function.
//
// Faults are precise: when an instruction raises a GuestFault, rip is set to that instruction and the
// instructions before it in the block count as retired, as on the real CPU.
//
// Single-stepping (SDM vol. 3B 17.3.1.4): an instruction that begins with RFLAGS.TF set is followed by
// a debug trap (#DB) with rip at the next instruction. TF can only be turned on by popf or by the
// kernel (sigreturn), both through Cpu.setFlags, which calls back here: the block being executed is
// left after that instruction, and while TF stays set run() executes one instruction at a time. The
// block loop itself never tests TF, so the normal path costs nothing.

import { Cpu } from './cpu.js';
import { Decoder, OpcodeTables } from './decoder.js';
import { GuestFault, Vector } from './fault.js';
import { STATUS, TF } from './flags.js';
import type { Insn } from './insn.js';
import { pageOf } from './memory.js';
import { ISA } from './isa/index.js';
import { flagOpOf, templateOf, type FlagOp } from './specialize.js';
import { mask, setReg32, setReg64, setRegSized } from './operands.js';

const MAX_BLOCK = 64;
/** Executions after which a block is compiled into one function. */
const HOT_BLOCK = 32;

/**
 * Self-modifying code: when a store rewrites the bytes of the block being executed, the instructions
 * after it must not run as they were decoded. Their exec is retargeted to this function, which leaves
 * the block at that instruction; the run loop then decodes it afresh, as the CPU's SMC detection does.
 */
const SMC_EXIT = { smc: true };
function smcExit(): void {
  throw SMC_EXIT;
}

/** The detail of the #DB the engine raises after an instruction run with TF set (int1's differs). */
export const SINGLE_STEP = 'single-step';

/** Index of the faulting instruction within a compiled block (written only on a fault). */
let faultAt = 0;
function setFaultAt(i: number): void {
  faultAt = i;
}

/** Insn fields fixed at decode time: the compiler writes them into the code as constants. */
const CONSTANT_FIELDS = new Set([
  'addr', 'next', 'len', 'osize', 'asize', 'rex', 'rep', 'lock', 'seg', 'reg', 'rm', 'mod3', 'hasModrm', 'modrm',
  'reg8', 'rm8', 'base', 'index', 'scale', 'disp', 'ripRel', 'imm', 'immHi', 'imm2', 'target', 'blockIndex',
]);

function literal(v: unknown): string {
  if (typeof v === 'boolean') return String(v);
  const n = v as number;
  return n < 0 || Object.is(n, -0) ? `(${n})` : String(n);
}

/**
 * The source of instruction `d` (bound as `dk`) inlined into a block: its exec template with the
 * decoded fields as constants and the template's free variables bound under names of its own. Null
 * when the exec was not made from a template, or its template returns early (it is then called).
 */
function inlineSource(d: Insn, dk: string, names: string[], values: unknown[], bound: number[] = []): string | null {
  const t = templateOf(d.exec);
  if (t === undefined) return null;
  const m = /^\(c(?:, d)?\) => ([\s\S]*)$/.exec(t.src.trim());
  if (m === null || /\breturn\b/.test(m[1])) return null;
  const block = m[1].startsWith('{') ? m[1] : `{ ${m[1]}; }`;
  let body = d.mod3 ? registerForms(block, d) : block;
  for (const name of Object.keys(t.bind)) {
    const re = new RegExp(`(?<![\\w.$])${name}(?![\\w$])`, 'g');
    if (!re.test(body)) continue;
    names.push(`${dk}_${name}`);
    bound.push(values.length);
    values.push(t.bind[name]);
    body = body.replace(re, `${dk}_${name}`);
  }
  body = body.replace(/(?<![\w.$])d\.(\w+)/g, (all, f: string) =>
    CONSTANT_FIELDS.has(f) ? literal((d as unknown as Record<string, unknown>)[f]) : `${dk}.${f}`);
  return `${foldConstantIfs(body.replace(/(?<![\w.$])d(?![\w$])/g, dk))}\n`;
}

/**
 * For an instruction whose r/m operand is a register, the operand helpers of operands.ts
 * (`readRM32(c, d)`, `writeBackRM64(c, d, lo, hi);`...) written out as the register accesses they
 * make, with the register number a constant. A write is expanded only as a statement of its own.
 */
function registerForms(src: string, d: Insn): string {
  const lo = 2 * d.rm, w16 = 4 * d.rm;
  const reads: Record<string, string> = {
    'readRM8(c, d)': `c.r8[${d.rm8}]`,
    'readRM16(c, d)': `c.r16[${w16}]`,
    'readRM32(c, d)': `c.r32[${lo}]`,
    'readRM64(c, d)': `(c.thi = c.r32[${lo + 1}], c.r32[${lo}])`,
  };
  for (const [call, reg] of Object.entries(reads)) src = src.split(call).join(reg);
  const writes: Record<string, (a: string[]) => string> = {
    RM8: (a) => `c.r8[${d.rm8}] = ${a[0]};`,
    RM16: (a) => `c.r16[${w16}] = ${a[0]};`,
    RM32: (a) => `c.r32[${lo}] = ${a[0]}; c.r32[${lo + 1}] = 0;`,
    RM64: (a) => `const t0 = ${a[0]}, t1 = ${a[1]}; c.r32[${lo}] = t0; c.r32[${lo + 1}] = t1;`,
  };
  // Each write that stands as a statement of its own; any other is left as the call.
  const call = /write(?:Back)?(RM(?:8|16|32|64))\(c, d, /g;
  let out = '', from = 0;
  for (let m = call.exec(src); m !== null; m = call.exec(src)) {
    const open = m.index + m[0].indexOf('('), end = closing(src, open);
    if (end < 0 || src[end] !== ';' || !/(^|[;{}]|\belse)$/.test(src.slice(0, m.index).trimEnd())) continue;
    out += `${src.slice(from, m.index)}{ ${writes[m[1]](splitArgs(src.slice(open + 1, end - 1)).slice(2))} }`;
    from = call.lastIndex = end + 1;
  }
  return out + src.slice(from);
}

/** Split a call's argument list at the commas outside brackets. */
function splitArgs(s: string): string[] {
  const out: string[] = [];
  let depth = 0, start = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '(' || s[i] === '{' || s[i] === '[') depth++;
    else if (s[i] === ')' || s[i] === '}' || s[i] === ']') depth--;
    else if (s[i] === ',' && depth === 0) { out.push(s.slice(start, i).trim()); start = i + 1; }
  }
  out.push(s.slice(start).trim());
  return out;
}

/** The index just past the bracket group that opens at `from` ('{' or '('). */
function closing(s: string, from: number): number {
  let depth = 0;
  for (let i = from; i < s.length; i++) {
    if (s[i] === '{' || s[i] === '(') depth++;
    else if ((s[i] === '}' || s[i] === ')') && --depth === 0) return i + 1;
  }
  return -1;
}

/**
 * `if (true) { A } else B` becomes `{ A }`, and `if (false) ...` its else part, once a template's
 * `d.mod3` is a constant: V8 would drop the dead branch anyway, but then the text no longer names the
 * helpers of the form not taken (see MAY_RETARGET).
 */
function foldConstantIfs(s: string): string {
  for (let at = s.search(/if \((true|false)\) \{/); at >= 0; at = s.search(/if \((true|false)\) \{/)) {
    const cond = s.startsWith('if (true)', at);
    const thenStart = s.indexOf('{', at), thenEnd = closing(s, thenStart);
    if (thenEnd < 0) return s;
    let end = thenEnd, elsePart = '';
    const m = /^\s*else\s+/.exec(s.slice(thenEnd));
    if (m !== null) {
      const e = thenEnd + m[0].length;
      if (s[e] === '{') end = closing(s, e);
      else {
        // A single statement: up to the first ';' outside brackets.
        end = e;
        for (let depth = 0; end < s.length && !(s[end] === ';' && depth === 0); end++) {
          if (s[end] === '(' || s[end] === '{') depth++;
          else if (s[end] === ')' || s[end] === '}') depth--;
        }
        end++;
      }
      if (end <= 0) return s;
      elsePart = s.slice(e, end);
    }
    s = s.slice(0, at) + (cond ? s.slice(thenStart, thenEnd) : `{ ${elsePart} }`) + s.slice(end);
  }
  return s;
}

/** Inlined code that may store to memory or write RFLAGS: the helpers that can, by name. */
const MAY_RETARGET = /write|Back|push|store|mem\.|setFlags/;

/** Inlined code that may fault (a memory access) or that reads or writes the flags by itself. */
const FLAGS_EXACT = /mem\.|\bc\.(?:cf|pf|af|zf|sf|of|cond|getFlags|setFlags|setStatus|setLazy|flags|lazy|lcf|la|lah|lb|lbh|lr|lrh|lsize)\b/;
/** Helpers a template may bind that neither touch the flags nor fault. */
const FLAG_NEUTRAL = new Set<unknown>([mask, setReg32, setReg64, setRegSized]);

/** One instruction of a block being compiled. */
interface Piece {
  src: string | null;
  /** Indices (into the compiled function's bound values) of its flag helpers, and what they are. */
  ops: { at: number; op: FlagOp }[];
  /** The flags must be exact before it: it may fault, is called, or reads the flags itself. */
  exact: boolean;
  /** Status flags it surely overwrites, may write, and reads. */
  kills: number;
  writes: number;
  reads: number;
}

function piece(d: Insn, dk: string, names: string[], values: unknown[]): Piece {
  const bound: number[] = [];
  const src = inlineSource(d, dk, names, values, bound);
  const p: Piece = { src, ops: [], exact: src === null || FLAGS_EXACT.test(src), kills: 0, writes: 0, reads: 0 };
  for (const at of bound) {
    const op = flagOpOf(values[at]);
    if (op !== undefined) {
      p.ops.push({ at, op });
      p.writes |= op.writes;
      p.reads |= op.reads;
    } else if (typeof values[at] === 'function' && !FLAG_NEUTRAL.has(values[at])) p.exact = true;
  }
  if (p.ops.length !== 0 && (templateOf(d.exec)!.flagsWritten?.(d) ?? true)) p.kills = p.writes;
  return p;
}

/**
 * Flag liveness: an instruction's flag helpers become their flag-free twins when every flag they
 * would write is overwritten later in the block before anything could see it. The flags are seen at
 * the block's end, by a reader, and wherever the block may be left early: an instruction that may
 * fault (the signal frame holds RFLAGS) and the self-modifying-code check after a store.
 */
function dropDeadFlags(pieces: Piece[], values: unknown[], retarget: boolean[]): void {
  let live = STATUS;
  for (let k = pieces.length - 1; k >= 0; k--) {
    const p = pieces[k];
    if (retarget[k]) live = STATUS;
    if (p.ops.length !== 0 && (p.writes & live) === 0) for (const { at, op } of p.ops) values[at] = op.twin;
    live = p.exact ? STATUS : (live & ~p.kills) | p.reads;
  }
}

/**
 * Compile a block into one function: each instruction's exec template inlined with its fields as
 * constants, or a direct call of its exec (every call site then sees one target, so V8 can inline
 * it); a local counter keeps faults precise without a store per instruction. An instruction that may
 * store into the block's page or set TF can retarget the rest of the block to smcExit while it runs;
 * a check after each such instruction leaves the block there.
 */
function compileBlock(insns: Insn[]): (c: Cpu) => void {
  const names: string[] = ['setFaultAt', 'smcExit'];
  const values: unknown[] = [setFaultAt, smcExit];
  const pieces: Piece[] = [];
  const retarget: boolean[] = [];
  for (let k = 0; k < insns.length; k++) {
    names.push(`d${k}`);
    values.push(insns[k]);
    const p = piece(insns[k], `d${k}`, names, values);
    pieces.push(p);
    retarget.push(p.src === null || MAY_RETARGET.test(p.src));
  }
  dropDeadFlags(pieces, values, retarget);
  let body = 'let i = 0;\ntry {\n';
  const last = insns.length - 1;
  for (let k = 0; k <= last; k++) {
    if (k === last) body += `c.rip = d${k}.next;\n`;
    if (k > 0 && retarget[k - 1]) body += `if (d${k}.exec === smcExit) smcExit();\n`;
    body += pieces[k].src ?? `d${k}.exec(c, d${k});\n`;
    if (k !== last) body += `i = ${k + 1};\n`;
  }
  body += '} catch (x) { setFaultAt(i); throw x; }';
  return new Function(...names, `"use strict"; return function block(c) {\n${body}\n};`)(...values) as (c: Cpu) => void;
}

export class Block {
  /** False once a write or unmap dropped this block; chained predecessors must not enter it. */
  valid = true;
  /** The last two successors seen (taken and fall-through of a branch), to skip the cache lookup. */
  succ1: Block | null = null;
  succ2: Block | null = null;
  /** Times executed by the interpreter loop; at HOT_BLOCK the block is compiled. */
  runs = 0;
  /** The compiled block: runs all instructions; on a fault stores the faulting index in `faultAt`. */
  compiled: ((c: Cpu) => void) | null = null;
  constructor(
    readonly start: number,
    readonly insns: Insn[],
  ) {}
}

/** Why run() returned. */
export type StopReason =
  | { kind: 'limit' } // the instruction budget is spent
  | { kind: 'stop' } // the host asked the CPU to stop (exit, a signal to deliver, a breakpoint)
  | { kind: 'fault'; fault: GuestFault };

let sharedTables: OpcodeTables | null = null;
/** The opcode tables built from the ISA table, shared by every engine. */
export function opcodeTables(): OpcodeTables {
  return (sharedTables ??= new OpcodeTables(ISA));
}

export class Engine {
  readonly decoder: Decoder;
  private readonly blocks = new Map<number, Block>();
  private readonly pageBlocks = new Map<number, number[]>();
  /** Set by the host (from a syscall, say) to leave run() after the current instruction. */
  stopRequested = false;
  /**
   * Breakpoints: hooks called when execution reaches an address, before the instruction there runs.
   * A hook may set stopRequested (run() then returns 'stop' with rip at the address) or do its work
   * and let execution go on. Blocks are split so that every breakpoint starts a block.
   */
  private readonly breakpoints = new Map<number, (c: Cpu) => void>();
  /** The block run() is executing (for self-modifying code; see smcExit). */
  private current: Block | null = null;

  setBreakpoint(addr: number, hook: (c: Cpu) => void): void {
    this.breakpoints.set(addr, hook);
    this.dropBlocksContaining(addr);
  }

  clearBreakpoint(addr: number): void {
    if (this.breakpoints.delete(addr)) this.dropBlocksContaining(addr);
  }

  hasBreakpoint(addr: number): boolean {
    return this.breakpoints.has(addr);
  }

  private dropBlocksContaining(addr: number): void {
    // A block that runs through addr must be split; dropping the blocks of its page is enough.
    this.invalidatePage(pageOf(addr));
    if (pageOf(addr - 16) !== pageOf(addr)) this.invalidatePage(pageOf(addr - 16));
  }

  constructor(readonly cpu: Cpu) {
    this.decoder = new Decoder(opcodeTables(), cpu.mem);
    cpu.mem.onCodeWrite = (p) => this.invalidatePage(p);
    cpu.onTrapFlag = () => this.trapFlagSet();
  }

  /** TF was just turned on: the rest of the running block must be single-stepped. */
  private tfPending = false;

  private trapFlagSet(): void {
    this.tfPending = true;
    // Leave run()'s block loop: after this block if TF came on in its last instruction (c.rip is then
    // already past it), else at the next instruction, by the self-modifying-code exit.
    this.stopRequested = true;
    const b = this.current;
    if (b !== null && this.cpu.rip !== b.insns[b.insns.length - 1].next) {
      b.valid = false;
      if (this.blocks.get(b.start) === b) this.blocks.delete(b.start);
      for (const d of b.insns) d.exec = smcExit;
    }
  }

  /** Drop every decoded block that holds bytes from page `p`. */
  invalidatePage(p: number): void {
    const starts = this.pageBlocks.get(p);
    if (!starts) return;
    for (const s of starts) {
      const b = this.blocks.get(s);
      if (b) {
        b.valid = false;
        if (b === this.current) for (const d of b.insns) d.exec = smcExit;
      }
      this.blocks.delete(s);
    }
    this.pageBlocks.delete(p);
  }

  /** Drop all decoded code (after execve, or when the ISA's behaviour is reconfigured). */
  flush(): void {
    for (const b of this.blocks.values()) b.valid = false;
    this.blocks.clear();
    this.pageBlocks.clear();
  }

  /** The decoded instruction at `addr` (decoding it if needed). Throws GuestFault if it cannot. */
  insnAt(addr: number): Insn {
    const b = this.blocks.get(addr);
    if (b) return b.insns[0];
    return this.decoder.decode(addr);
  }

  private block(addr: number): Block {
    let b = this.blocks.get(addr);
    if (b) return b;
    const insns: Insn[] = [];
    let a = addr;
    const firstPage = pageOf(addr);
    for (;;) {
      let d: Insn;
      try {
        d = this.decoder.decode(a);
      } catch (e) {
        // The first instruction's fault is real; a later one ends the block and faults when reached.
        if (insns.length === 0 || !(e instanceof GuestFault)) throw e;
        break;
      }
      d.blockIndex = insns.length;
      insns.push(d);
      a = d.next;
      if ((d.row.flow ?? 'next') !== 'next' || insns.length >= MAX_BLOCK || pageOf(a) !== firstPage || this.breakpoints.has(a)) break;
    }
    b = new Block(addr, insns);
    this.blocks.set(addr, b);
    const lastPage = pageOf(a - 1);
    for (let p = firstPage; p <= lastPage; p++) {
      let list = this.pageBlocks.get(p);
      if (!list) this.pageBlocks.set(p, (list = []));
      list.push(addr);
    }
    return b;
  }

  /**
   * Run until `limit` instructions have retired in total (cpu.icount), the host requests a stop, or
   * the guest faults.
   */
  run(limit: number): StopReason {
    this.stopRequested = false;
    for (;;) {
      const r = (this.cpu.flags & TF) !== 0 ? this.runStepping(limit) : this.runBlocks(limit);
      if (r !== null) return r;
      // TF came on: go on one instruction at a time.
      this.tfPending = false;
      this.stopRequested = false;
    }
  }

  /** While TF is set: one instruction at a time, each followed by #DB. Null when TF is clear again. */
  private runStepping(limit: number): StopReason | null {
    const c = this.cpu;
    while (c.icount < limit) {
      if ((c.flags & TF) === 0) return null;
      const hook = this.breakpoints.size !== 0 ? this.breakpoints.get(c.rip) : undefined;
      if (hook !== undefined) {
        const rip = c.rip;
        hook(c);
        if (this.stopRequested) return { kind: 'stop' };
        if (c.rip !== rip) continue;
      }
      const r = this.step();
      if (r !== null) return r;
    }
    return this.stopRequested ? { kind: 'stop' } : { kind: 'limit' };
  }

  /** The block loop. Null when TF came on (see trapFlagSet). */
  private runBlocks(limit: number): StopReason | null {
    const c = this.cpu;
    let prev: Block | null = null;
    while (c.icount < limit) {
      let b: Block;
      const rip = c.rip;
      if (prev !== null && prev.succ1 !== null && prev.succ1.start === rip && prev.succ1.valid) b = prev.succ1;
      else if (prev !== null && prev.succ2 !== null && prev.succ2.start === rip && prev.succ2.valid) b = prev.succ2;
      else {
        try {
          b = this.block(rip);
        } catch (e) {
          return this.faulted(e, rip);
        }
        if (prev !== null) {
          prev.succ2 = prev.succ1;
          prev.succ1 = b;
        }
      }
      if (this.breakpoints.size !== 0) {
        const hook = this.breakpoints.get(rip);
        if (hook !== undefined) {
          hook(c);
          if (this.stopRequested) return { kind: 'stop' };
          if (c.rip !== rip) { prev = null; continue; }
        }
      }
      const insns = b.insns;
      const n = insns.length;
      if (c.icount + n > limit) {
        // Finish the budget one instruction at a time so that limits are exact.
        while (c.icount < limit && !this.stopRequested) {
          const r = this.step();
          if (r) return r;
        }
        break;
      }
      const compiled = b.compiled;
      this.current = b;
      if (compiled !== null) {
        try {
          compiled(c);
        } catch (e) {
          c.icount += faultAt;
          if (e === SMC_EXIT) { c.rip = insns[faultAt].addr; prev = null; if (this.tfPending) return null; continue; }
          return this.faulted(e, insns[faultAt].addr);
        }
      } else {
        let i = 0;
        try {
          for (const last = n - 1; i < last; i++) {
            const d = insns[i];
            d.exec(c, d);
          }
          const d = insns[i];
          c.rip = d.next;
          d.exec(c, d);
        } catch (e) {
          c.icount += i;
          if (e === SMC_EXIT) { c.rip = insns[i].addr; prev = null; if (this.tfPending) return null; continue; }
          return this.faulted(e, insns[i].addr);
        }
        if (++b.runs === HOT_BLOCK) b.compiled = compileBlock(insns);
      }
      c.icount += n;
      if (this.stopRequested) return this.tfPending ? null : { kind: 'stop' };
      prev = b;
    }
    return this.stopRequested ? { kind: 'stop' } : { kind: 'limit' };
  }

  /** Execute exactly one instruction. Returns a stop reason on a fault or stop request, else null. */
  step(): StopReason | null {
    const c = this.cpu;
    const addr = c.rip;
    const tf = c.flags & TF;
    this.current = null;
    let d: Insn;
    try {
      d = this.insnAt(addr);
      c.rip = d.next;
      d.exec(c, d);
    } catch (e) {
      return this.faulted(e, addr);
    }
    c.icount++;
    if (this.tfPending) {
      // TF came on in this instruction: the next one is the first to trap.
      this.tfPending = false;
      this.stopRequested = false;
    }
    // The trap follows an instruction that began with TF set. A syscall is the exception: SYSCALL masks
    // TF for the kernel, and Linux returns by IRET, so the first trap comes after the next instruction.
    if (tf !== 0 && d.row.flow !== 'syscall') {
      const f = new GuestFault(Vector.DB, 0, 0, SINGLE_STEP);
      f.rip = c.rip;
      return { kind: 'fault', fault: f };
    }
    return this.stopRequested ? { kind: 'stop' } : null;
  }

  private faulted(e: unknown, rip: number): StopReason {
    if (!(e instanceof GuestFault)) throw e;
    e.rip = rip;
    this.cpu.rip = rip;
    return { kind: 'fault', fault: e };
  }
}
