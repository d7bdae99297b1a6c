// The run loop. Instructions are decoded once into blocks (straight-line runs ending at a control
// transfer, a syscall, a page end or 64 instructions), cached by start address, and dropped when a
// page they came from is written or unmapped. Executing a block is a loop of indirect calls with no
// allocation. A block that has run HOT_BLOCK times is compiled, with the blocks on its hot path, into
// one JavaScript function (a superblock: compileBlock, Engine.superblock).
//
// Faults are precise: when an instruction raises a GuestFault, rip is set to that instruction and the
// instructions before it in the block count as retired, as on the real CPU.
//
// Single-stepping (SDM vol. 3B 17.3.1.4): an instruction that begins with RFLAGS.TF set is followed by
// a debug trap (#DB) with rip at the next instruction. TF can only be turned on by popf or by the
// kernel (sigreturn), both through Cpu.setFlags, which calls back here: the block being executed is
// left after that instruction, and while TF stays set run() executes one instruction at a time. The
// block loop itself never tests TF, so the normal path costs nothing.

import { Cpu, SEG_FS } from './cpu.js';
import { Decoder, OpcodeTables, wrapAddress } from './decoder.js';
import { GuestFault, Vector } from './fault.js';
import { STATUS, TF } from './flags.js';
import { Insn } from './insn.js';
import { pageOf } from './memory.js';
import { ISA } from './isa/index.js';
import { flagOpOf, templateOf, type FlagOp } from './specialize.js';
import { load64, mask, setReg32, setReg64, setRegSized } from './operands.js';

const MAX_BLOCK = 64;
/**
 * Instructions a superblock may grow to by taking in further blocks, and the runs a block needs before
 * one goes on into it. Longer superblocks ran slower here (V8 optimizes a large function less well):
 * on the vDSO clock loop 24 beat 12, 40 and 256, and beat no superblocks by 15%; intloop ran 1.7x faster.
 */
const TRACE_MAX = 24;
const TRACE_MIN_RUNS = 8;
/** Executions after which a block is compiled into one function. */
const HOT_BLOCK = 32;
/**
 * Executions after which a compiled block is compiled again as a superblock. Building superblocks for
 * every compiled block made short programs 15-20% slower (more and larger functions for V8 to compile);
 * only the blocks that stay hot pay for one.
 */
const SUPER_HOT = 1024;

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
  let body = d.hasModrm ? operandForms(block, d) : block;
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
 * The operand helpers of operands.ts (`readRM32(c, d)`, `writeBackRM64(c, d, lo, hi);`...) written
 * out as the accesses they make for this instruction: register accesses with the register number a
 * constant when the r/m operand is a register, memory accesses with the effective address computed
 * inline when it is memory. A write is expanded only as a statement of its own; what is not
 * expanded stays a call of the helper, which does the same.
 */
function operandForms(src: string, d: Insn): string {
  let reads: Record<string, string>, writes: Record<string, (a: string[]) => string>;
  if (d.mod3) {
    const lo = 2 * d.rm, w16 = 4 * d.rm;
    reads = {
      'readRM8(c, d)': `c.r8[${d.rm8}]`,
      'readRM16(c, d)': `c.r16[${w16}]`,
      'readRM32(c, d)': `c.r32[${lo}]`,
      'readRM64(c, d)': `(c.thi = c.r32[${lo + 1}], c.r32[${lo}])`,
    };
    writes = {
      RM8: (a) => `c.r8[${d.rm8}] = ${a[0]};`,
      RM16: (a) => `c.r16[${w16}] = ${a[0]};`,
      RM32: (a) => `c.r32[${lo}] = ${a[0]}; c.r32[${lo + 1}] = 0;`,
      RM64: (a) => `const t0 = ${a[0]}, t1 = ${a[1]}; c.r32[${lo}] = t0; c.r32[${lo + 1}] = t1;`,
    };
    for (const size of [8, 16, 32, 64]) writes[`BackRM${size}`] = writes[`RM${size}`];
  } else {
    const ea = eaSource(d);
    if (ea === null) return src;
    // A read-modify-write stores where it read: keep the address in c.ea, as ea() does.
    const at = /Back|c\.ea\b/.test(src) ? `c.ea = ${ea}` : ea;
    reads = {
      'ea(c, d)': `(c.ea = ${ea})`,
      'readRM8(c, d)': `c.mem.read8(${at})`,
      'readRM16(c, d)': `c.mem.read16(${at})`,
      'readRM32(c, d)': `c.mem.read32(${at})`,
      'readRM64(c, d)': `load64(c, ${at})`,
    };
    // The value first, then the address, as the helpers evaluate them (pop [rsp+8] relies on it).
    const store = (size: number, addr: string) => (a: string[]) =>
      size === 64 ? `const t0 = ${a[0]}, t1 = ${a[1]}; c.mem.write64(${addr}, t0, t1);` : `const t0 = ${a[0]}; c.mem.write${size}(${addr}, t0);`;
    writes = {
      RM8: store(8, ea), RM16: store(16, ea), RM32: store(32, ea), RM64: store(64, ea),
      BackRM8: store(8, 'c.ea'), BackRM16: store(16, 'c.ea'), BackRM32: store(32, 'c.ea'), BackRM64: store(64, 'c.ea'),
    };
  }
  for (const [call, access] of Object.entries(reads)) src = src.split(call).join(access);
  // Each write that stands as a statement of its own; any other is left as the call.
  const call = /write((?:Back)?RM(?:8|16|32|64))\(c, d, /g;
  let out = '', from = 0;
  for (let m = call.exec(src); m !== null; m = call.exec(src)) {
    const open = m.index + m[0].indexOf('('), end = closing(src, open);
    if (end < 0 || src[end] !== ';' || !/(^|[;{}]|\belse)$/.test(src.slice(0, m.index).trimEnd())) continue;
    out += `${src.slice(from, m.index)}{ ${writes[m[1]](splitArgs(src.slice(open + 1, end - 1)).slice(2))} }`;
    from = call.lastIndex = end + 1;
  }
  return out + src.slice(from);
}

const CANONICAL_LIMIT = 2 ** 47;

/**
 * The effective address of d's memory operand as a JavaScript expression, computed as ea() does
 * (operands.ts) with the registers, scale and displacement constants; null for a 32-bit address.
 */
function eaSource(d: Insn): string | null {
  if (d.asize !== 64) return null;
  const reg = (r: number) => `(c.r32[${2 * r + 1}] * 4294967296 + (c.r32[${2 * r}] >>> 0))`;
  const terms: string[] = [];
  if (d.base >= 0) terms.push(reg(d.base));
  if (d.index >= 0) terms.push(d.scale === 1 ? reg(d.index) : `${reg(d.index)} * ${d.scale}`);
  if (d.seg !== 0) terms.push(d.seg === SEG_FS ? 'c.fsBase' : 'c.gsBase');
  if (terms.length === 0) return d.disp < CANONICAL_LIMIT && d.disp >= -CANONICAL_LIMIT ? literal(d.disp) : null;
  return `canonicalEa(${[literal(d.disp), ...terms].join(' + ')})`;
}

/** An address past the canonical range wraps mod 2^64 (the page walk then raises #GP), as in ea(). */
function canonicalEa(a: number): number {
  return a >= CANONICAL_LIMIT || a < -CANONICAL_LIMIT ? wrapAddress(a) : a;
}

/** The index of the first `ch` in `s` from `from` on that stands outside brackets, or s.length. */
function topLevelIndex(s: string, from: number, ch: string): number {
  let depth = 0;
  for (let i = from; i < s.length; i++) {
    if (s[i] === '(' || s[i] === '{' || s[i] === '[') depth++;
    else if (s[i] === ')' || s[i] === '}' || s[i] === ']') depth--;
    else if (s[i] === ch && depth === 0) return i;
  }
  return s.length;
}

/** Split a call's argument list at the commas outside brackets. */
function splitArgs(s: string): string[] {
  const out: string[] = [];
  for (let start = 0; ;) {
    const comma = topLevelIndex(s, start, ',');
    out.push(s.slice(start, comma).trim());
    if (comma === s.length) return out;
    start = comma + 1;
  }
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
      else end = topLevelIndex(s, e, ';') + 1; // a single statement
      if (end <= 0) return s;
      elsePart = s.slice(e, end);
    }
    s = s.slice(0, at) + (cond ? s.slice(thenStart, thenEnd) : `{ ${elsePart} }`) + s.slice(end);
  }
  return s;
}

/** Inlined code that may store to memory or write RFLAGS: the helpers that can, by name. */
const MAY_RETARGET = /write|Back|push|store|setFlags/;

/** Inlined code that may fault (a memory access) or that reads or writes the flags by itself. */
const FLAGS_EXACT = /\bc\.mem\b|\bload64\(|\bc\.(?:cf|pf|af|zf|sf|of|cond|getFlags|setFlags|setStatus|setLazy|flags|lazy|lcf|la|lah|lb|lbh|lr|lrh|lsize)\b/;
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

/** A relative jump, call or conditional branch: its target is known when it is decoded. */
function directTransfer(d: Insn): boolean {
  const op = d.row.operands[0];
  return op === 'rel8' || op === 'rel32';
}

/**
 * Compile a superblock (see Engine.superblock) into one function that returns how many of its
 * instructions ran: each instruction's exec template inlined with its fields as constants, or a
 * direct call of its exec (every call site then sees one target, so V8 can inline it); a local
 * counter keeps faults precise without a store per instruction. A branch inside leaves when it goes
 * elsewhere than the next instruction here. An instruction that may store into the code or set TF
 * can retarget the rest to smcExit while it runs; a check after each such instruction leaves there.
 */
function compileBlock(insns: Insn[]): (c: Cpu) => number {
  const names: string[] = ['setFaultAt', 'smcExit', 'load64', 'canonicalEa'];
  const values: unknown[] = [setFaultAt, smcExit, load64, canonicalEa];
  const pieces: Piece[] = [];
  /** After instruction k the flags may be seen outside: a branch out or an SMC exit follows. */
  const exitAfter: boolean[] = [];
  const retarget: boolean[] = [];
  const last = insns.length - 1;
  for (let k = 0; k <= last; k++) {
    names.push(`d${k}`);
    values.push(insns[k]);
    const p = piece(insns[k], `d${k}`, names, values);
    pieces.push(p);
    retarget.push(p.src === null || MAY_RETARGET.test(p.src));
    exitAfter.push(retarget[k] || (insns[k].row.flow ?? 'next') !== 'next');
  }
  dropDeadFlags(pieces, values, exitAfter);
  let body = 'let i = 0;\ntry {\n';
  for (let k = 0; k <= last; k++) {
    const flow = insns[k].row.flow ?? 'next';
    if (k === last || flow !== 'next') body += `c.rip = ${literal(insns[k].next)};\n`;
    if (k > 0 && retarget[k - 1]) body += `if (d${k}.exec === smcExit) smcExit();\n`;
    body += pieces[k].src ?? `d${k}.exec(c, d${k});\n`;
    if (k !== last) {
      body += `i = ${k + 1};\n`;
      if (flow !== 'next') body += `if (c.rip !== ${literal(insns[k + 1].addr)}) return ${k + 1};\n`;
    }
  }
  body += `return ${last + 1};\n} catch (x) { setFaultAt(i); throw x; }`;
  return new Function(...names, `"use strict"; return function block(c) {\n${body}\n};`)(...values) as (c: Cpu) => number;
}

/** The runs of a block that the interpreter loop made (and counted fallThrough in). */
function interpreted(b: Block): number {
  return Math.min(b.runs, HOT_BLOCK);
}

/** The instructions a block is running now: its compiled superblock's, or its own. */
function running(b: Block): Insn[] {
  return b.compiled !== null ? b.code : b.insns;
}

export class Block {
  /** False once a write or unmap dropped this block; chained predecessors must not enter it. */
  valid = true;
  /** The last two successors seen (taken and fall-through of a branch), to skip the cache lookup. */
  succ1: Block | null = null;
  succ2: Block | null = null;
  /** Times executed; at HOT_BLOCK the block is compiled, at SUPER_HOT again as a superblock. */
  runs = 0;
  /** Of its interpreted runs (see interpreted()), the times its last instruction went on to the next. */
  fallThrough = 0;
  /**
   * The compiled superblock: runs `code` from the start until a branch leaves it or it ends, and
   * returns how many instructions ran; on a fault stores the faulting index in `faultAt`.
   */
  compiled: ((c: Cpu) => number) | null = null;
  /** The superblock's instructions (copies of the blocks' own, numbered from its start). */
  code: Insn[] = [];
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
  /** Runs after which a block is compiled again as a superblock (SUPER_HOT; tests lower it). */
  superHot = SUPER_HOT;
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
    if (b !== null && this.cpu.rip !== running(b)[running(b).length - 1].next) {
      b.valid = false;
      if (this.blocks.get(b.start) === b) this.blocks.delete(b.start);
      for (const d of running(b)) d.exec = smcExit;
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
        if (b === this.current) for (const d of running(b)) d.exec = smcExit;
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
   * Compile a hot block on its own, or (`superblock`) as the head of a superblock; one that takes in
   * no further block keeps the function it has (V8's compile time is the cost of a new one).
   */
  private compile(b: Block, superblock: boolean): void {
    const code = superblock ? this.superblock(b) : b.insns;
    if (superblock && code.length === b.insns.length) return;
    b.code = code;
    b.compiled = compileBlock(code);
  }

  /**
   * The instructions a hot block's compiled code runs: the block, and on through the blocks that
   * follow it on its hot path (past direct jumps and calls, and past a conditional branch that went
   * the same way at least 3 times in 4), each of which must have run often enough to say where it
   * goes. It ends at an indirect transfer, a syscall, a breakpoint, a block already in it, or
   * TRACE_MAX instructions. The copies are numbered from the start (blockIndex), and the head is
   * dropped with any of their pages.
   */
  private superblock(head: Block): Insn[] {
    const insns = head.insns.slice();
    const starts = new Set([head.start]);
    for (let b = head; ;) {
      const d = b.insns[b.insns.length - 1];
      const flow = d.row.flow ?? 'next';
      let next: number;
      if (flow === 'next') next = d.next;
      else if ((flow === 'jump' || flow === 'call') && directTransfer(d)) next = d.target;
      else if (flow === 'branch' && directTransfer(d) && 4 * b.fallThrough >= 3 * interpreted(b)) next = d.next;
      else if (flow === 'branch' && directTransfer(d) && 4 * b.fallThrough <= interpreted(b)) next = d.target;
      else break;
      const nb = this.blocks.get(next);
      if (nb === undefined || !nb.valid || nb.runs < TRACE_MIN_RUNS || starts.has(next) || this.breakpoints.has(next)) break;
      if (insns.length + nb.insns.length > TRACE_MAX) break;
      insns.push(...nb.insns);
      starts.add(next);
      b = nb;
    }
    const pages = new Set<number>();
    for (const d of insns) pages.add(pageOf(d.addr)).add(pageOf(d.next - 1));
    pages.delete(pageOf(head.start));
    for (const p of pages) {
      let list = this.pageBlocks.get(p);
      if (!list) this.pageBlocks.set(p, (list = []));
      list.push(head.start);
    }
    return insns.map((d, k) => Object.assign(new Insn(), d, { blockIndex: k }));
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
      const compiled = b.compiled;
      const insns = compiled !== null ? b.code : b.insns;
      const n = insns.length;
      if (c.icount + n > limit) {
        // Finish the budget one instruction at a time so that limits are exact.
        while (c.icount < limit && !this.stopRequested) {
          const r = this.step();
          if (r) return r;
        }
        break;
      }
      this.current = b;
      if (compiled !== null) {
        try {
          c.icount += compiled(c);
          if (++b.runs === this.superHot) this.compile(b, true);
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
        c.icount += n;
        if (c.rip === insns[n - 1].next) b.fallThrough++;
        if (++b.runs === HOT_BLOCK) this.compile(b, false);
      }
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
