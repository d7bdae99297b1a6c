// The oracle test driver shared by the tests/isa-*.test.ts files: generate cases for each ISA row of a
// group, run them on the host CPU (when it can: x86-64 Linux with gcc) and in colonel, compare them,
// and replay the recorded vectors (tests/vectors/<group>.jsonl) everywhere.
//
// Regenerate the vectors of a group on an x86-64 Linux host with gcc:
//   COLONEL_RECORD=1 npx tap tests/isa-shift.test.ts
// Set COLONEL_NO_NATIVE=1 to see what a host without the oracle runs (the replay only).

import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';
import type { IsaRow } from '../../cpu/isa/types.js';
import { assemble, type AsmOperands } from './asm.js';
import {
  nativeOracle, hostVendor, runColonel, compareOutcomes, describeCase, defaultRegs, windowPattern, flagMask, FLAG_BITS, WINDOW, WINDOW_LEN,
  type Case, type Outcome,
} from './native.js';
import { readVectors, writeVectors } from './vectors.js';
import { CODE } from '../helpers/machine.js';

export const VECTOR_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'vectors');

// ---------- deterministic randomness ----------

export class Rng {
  private s: number;
  constructor(seed: string | number) {
    let h = 2166136261;
    for (const ch of String(seed)) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
    this.s = h >>> 0 || 1;
  }
  /** A uint32 (mulberry32). */
  u32(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor((this.u32() / 4294967296) * n);
  }
  bool(p = 0.5): boolean {
    return this.u32() / 4294967296 < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  u64(): bigint {
    return (BigInt(this.u32()) << 32n) | BigInt(this.u32());
  }
}

/**
 * A 64-bit value biased towards the edges of a `size`-bit operand: 0, 1, -1, the sign boundaries,
 * all-ones, small numbers, single bits, and random values; the bits above `size` are random or a
 * sign/zero extension, so partial-register writes and zero-extension are exercised too.
 */
export function randValue(rng: Rng, size: number): bigint {
  const m = (1n << BigInt(size)) - 1n;
  const top = 1n << BigInt(size - 1);
  let low: bigint;
  switch (rng.int(10)) {
    case 0: low = rng.pick([0n, 1n, 2n, m, m - 1n]); break;
    case 1: low = rng.pick([top, top - 1n, top + 1n, top - 2n]); break;
    case 2: low = BigInt(rng.int(130)); break;
    case 3: low = (m - BigInt(rng.int(130))) & m; break;
    case 4: low = 1n << BigInt(rng.int(size)); break;
    case 5: low = rng.u64() & ((1n << BigInt(1 + rng.int(size))) - 1n); break;
    case 6: low = (m ^ (1n << BigInt(rng.int(size)))) & m; break;
    default: low = rng.u64() & m;
  }
  if (size === 64) return low;
  switch (rng.int(3)) {
    case 0: return low;
    case 1: return low & top ? BigInt.asUintN(64, low | ~m) : low;
    default: return (rng.u64() & ~m & ((1n << 64n) - 1n)) | low;
  }
}

export function bytesOf(v: bigint, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(Number((BigInt.asUintN(64, v) >> BigInt(8 * i)) & 0xffn));
  return out;
}

// ---------- generic case generation from a row ----------

/** What a case generator can adjust before the case is assembled. */
export interface Draft {
  row: IsaRow;
  regs: bigint[];
  mem: Uint8Array | null;
  /** ModRM.reg / +r register, ModRM.rm register, base register of the memory operand, or -1. */
  reg: number;
  rm: number;
  base: number;
  disp: number;
  /** Offset of the memory operand in the window. */
  memOffset: number;
  imm: (number | bigint)[];
  rex: boolean;
  lock: boolean;
  rflags: number;
  /** Further addressing (GenOptions.varyAddress): an index register and its value, rip-relative, mod 00. */
  index?: number;
  indexValue?: bigint;
  scale?: 1 | 2 | 4 | 8;
  rip?: boolean;
  short?: boolean;
  /** [disp32]: a SIB byte with neither base nor index. */
  abs?: boolean;
  /** Legacy prefixes emitted before everything else (segment, 67, a stray lock...). */
  prefixes?: number[];
  /** Force a REX.W bit (the row's encoding may not have one). */
  rexW?: boolean;
  /** The prefixes may turn the bytes into another row's (see Case.loose). */
  loose?: boolean;
}

export interface GenOptions {
  /** Registers the instruction reads implicitly (their values are randomized). */
  implicit?: number[];
  /** Operand size, for the value distribution (default: from the row's operands). */
  size?: number;
  /** 'reg' or 'mem' for the r/m operand; default: random (memory about a third of the time). */
  form?: 'reg' | 'mem';
  /** Immediates (default: random bytes/words/dwords as the encoding needs). */
  imm?: (number | bigint)[];
  /** Emit lock with a memory operand when the row is lockable (default: sometimes). */
  lock?: boolean;
  /** Registers that must not be chosen as explicit operands. */
  avoid?: number[];
  /** Last adjustments (values, memory, alignment) before assembling. */
  fix?: (d: Draft, rng: Rng) => void;
  /**
   * Vary the memory operand's addressing: sometimes an index register (any scale, a small signed
   * value), [rip + disp32], or no displacement byte. Off by default (the per-group tests' case
   * streams stay as they were recorded).
   */
  varyAddress?: boolean;
}

export function operandSize(row: IsaRow): number {
  for (const o of row.operands) {
    const m = /^(?:r\/m|r|m)(8|16|32|64)$/.exec(o);
    if (m) return +m[1];
  }
  return 64;
}

export function genCase(row: IsaRow, rng: Rng, opt: GenOptions = {}): Case {
  const size = opt.size ?? operandSize(row);
  const regs = defaultRegs();
  const hasRM = row.operands.some((o) => o.startsWith('r/m') || /^m(8|16|32|64|128)?$/.test(o));
  const memOnly = row.operands.some((o) => /^m(8|16|32|64|128)?$/.test(o)) || /mod=mem/.test(row.opcode);
  const regOnly = /mod=reg/.test(row.opcode);
  const hasReg = row.operands.some((o) => /^r(8|16|32|64)$/.test(o));
  const isMem = hasRM && (memOnly || (!regOnly && (opt.form ? opt.form === 'mem' : rng.bool(0.35))));
  const avoid = new Set(opt.avoid ?? []);
  const free = () => { let r: number; do r = rng.int(16); while (avoid.has(r)); return r; };
  const reg = hasReg ? free() : -1;
  const rm = hasRM && !isMem ? free() : -1;
  const implicit = opt.implicit ?? [];
  for (const r of implicit) regs[r] = randValue(rng, size);
  if (reg >= 0) regs[reg] = randValue(rng, size);
  if (rm >= 0) regs[rm] = randValue(rng, size);
  const d: Draft = {
    row, regs, mem: null, reg, rm, base: -1, disp: 0, memOffset: 0, imm: [], rex: rng.bool(0.3), lock: false,
    rflags: rng.u32() & FLAG_BITS & ~(1 << 10) | (rng.bool(0.05) ? 1 << 10 : 0),
  };
  if (isMem) {
    const taken = new Set([reg, ...implicit, ...avoid]);
    let base: number;
    do base = rng.int(16); while (taken.has(base));
    d.base = base;
    const bytes = Math.max(1, size / 8);
    d.memOffset = rng.bool(0.8) ? bytes * rng.int(WINDOW_LEN / bytes) : rng.int(WINDOW_LEN - bytes + 1);
    d.disp = rng.pick([0, 8, -8, 0x40, -0x80, 127, 1000, -1000]);
    const mem = windowPattern();
    mem.set(bytesOf(randValue(rng, size), bytes), d.memOffset);
    d.mem = mem;
    d.lock = !!row.lockable && (opt.lock ?? rng.bool(0.3));
    if (opt.varyAddress) varyAddress(d, rng, new Set([...taken, base]));
  }
  const e = row.opcode.split(/\s+/);
  d.imm = opt.imm ?? e.filter((t) => /^i[bwdo]$/.test(t)).map((t) => (t === 'ib' ? rng.u32() & 0xff : t === 'iw' ? rng.u32() & 0xffff : t === 'id' ? Number(BigInt.asIntN(32, randValue(rng, 32))) : randValue(rng, 64)));
  opt.fix?.(d, rng);
  const scaled = d.index !== undefined ? (d.indexValue ?? 0n) * BigInt(d.scale ?? 1) : 0n;
  if (d.base >= 0 && !d.rip) d.regs[d.base] = BigInt.asUintN(64, BigInt(WINDOW + d.memOffset - d.disp) - scaled);
  else if ((d.index !== undefined || d.abs) && !d.rip) d.disp = WINDOW + d.memOffset - Number(scaled);
  return draftCase(d);
}

function varyAddress(d: Draft, rng: Rng, taken: Set<number>): void {
  const k = rng.int(10);
  if (k < 3) {
    let index: number;
    do index = rng.int(16); while (index === 4 || taken.has(index));
    d.index = index;
    d.scale = rng.pick([1, 2, 4, 8] as const);
    d.indexValue = BigInt(rng.int(64) - 32);
    d.regs[index] = BigInt.asUintN(64, d.indexValue);
    if (rng.bool(0.2)) d.base = -1; // no base: [index*scale + disp32] (disp set once memOffset is final)
  } else if (k < 5) {
    d.rip = true;
    d.base = -1;
  } else if (k < 7) {
    d.short = true;
    d.disp = 0;
  } else if (k < 8) {
    d.abs = true;
    d.base = -1;
  }
}

/** Assemble a draft into a case (after the generator changed it). */
export function draftCase(d: Draft): Case {
  const o: AsmOperands = { imm: d.imm, rex: d.rex, lock: d.lock };
  if (d.prefixes) o.prefixes = d.prefixes;
  if (d.reg >= 0) o.reg = d.reg;
  if (d.rip) {
    // [rip + disp32] relative to the end of the instruction; its length does not depend on disp.
    const len = assemble(d.row, { ...o, mem: { base: 0, disp: 0, rip: true } }).length;
    o.mem = { base: 0, disp: WINDOW + d.memOffset - (CODE + len), rip: true };
  } else if (d.base >= 0 || d.index !== undefined || d.abs) {
    o.mem = { base: d.base, disp: d.disp, short: d.short };
    if (d.index !== undefined) { o.mem.index = d.index; o.mem.scale = d.scale; }
  } else if (d.rm >= 0) o.rm = d.rm;
  let code = assemble(d.row, o);
  if (d.rexW) code = withRexW(code, (d.prefixes?.length ?? 0) + (d.lock ? 1 : 0));
  const c: Case = { row: d.row.id, code, regs: d.regs, rflags: d.rflags, mem: d.mem };
  if (d.loose) c.loose = true;
  return c;
}

/** Set REX.W in an encoding whose legacy prefixes take `skip` bytes (inserting a REX if there is none). */
function withRexW(code: Uint8Array, skip: number): Uint8Array {
  let i = skip;
  while (i < code.length && [0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x2e, 0x3e, 0x26, 0x36, 0x64, 0x65].includes(code[i])) i++;
  if ((code[i] & 0xf0) === 0x40) { const c = code.slice(); c[i] |= 8; return c; }
  return Uint8Array.from([...code.subarray(0, i), 0x48, ...code.subarray(i)]);
}

// ---------- the tap driver ----------

export interface GroupSpec {
  /** Names the vector file: tests/vectors/<name>.jsonl. */
  name: string;
  rows: readonly IsaRow[];
  /** The cases compared natively for one row (deterministic for a given rng). */
  cases(row: IsaRow, rng: Rng): Case[];
  /** How many of a row's cases go into the vector file (default 8). */
  recordPerRow?: number;
  /**
   * The CPU vendor whose behaviour the rows follow where the SDM leaves room (undefined flags): the
   * native comparison is skipped on another vendor's CPU; the recorded vectors are still replayed.
   */
  vendor?: string;
}

function undefOf(rows: Map<string, IsaRow>, id: string): number {
  return flagMask(rows.get(id)?.flags?.undef);
}

/** Compare cases against expected outcomes; returns per-row [agree, total, first failures]. */
function check(pairs: { c: Case; o: Outcome }[], rows: Map<string, IsaRow>) {
  const byRow = new Map<string, { ok: number; total: number; failures: string[] }>();
  for (const { c, o } of pairs) {
    let r = byRow.get(c.row);
    if (!r) byRow.set(c.row, (r = { ok: 0, total: 0, failures: [] }));
    r.total++;
    const got = runColonel(c);
    const diffs = compareOutcomes(o, got, undefOf(rows, c.row));
    if (got.decoded !== c.row) diffs.unshift(`decoded as ${got.decoded}`);
    if (diffs.length === 0) r.ok++;
    else if (r.failures.length < 4) r.failures.push(`${describeCase(c)}: ${diffs.join('; ')}`);
  }
  return byRow;
}

export function oracleSuite(t: Test, spec: GroupSpec): void {
  const rows = new Map(spec.rows.map((r) => [r.id, r]));
  const file = join(VECTOR_DIR, `${spec.name}.jsonl`);

  t.test(`${spec.name}: colonel agrees with the host CPU`, async (t) => {
    const oracle = nativeOracle();
    if (typeof oracle === 'string') {
      t.skip(`native oracle unavailable: ${oracle}`, async () => {});
      return;
    }
    const vendor = hostVendor();
    if (spec.vendor && vendor !== spec.vendor) {
      t.skip(`the rows follow ${spec.vendor} where the SDM leaves room; this host is ${vendor || 'unknown'}`, async () => {});
      return;
    }
    const cases: Case[] = [];
    const perRow = new Map<string, Case[]>();
    for (const row of spec.rows) {
      const cs = spec.cases(row, new Rng(row.id));
      perRow.set(row.id, cs);
      cases.push(...cs);
    }
    const outcomes = oracle.run(cases);
    const pairs = cases.map((c, i) => ({ c, o: outcomes[i] }));
    const result = check(pairs, rows);
    let ok = 0, total = 0;
    for (const row of spec.rows) {
      const r = result.get(row.id) ?? { ok: 0, total: 0, failures: ['no cases'] };
      ok += r.ok; total += r.total;
      t.same(r.failures, [], `${row.id}: ${r.ok}/${r.total} agree`);
    }
    t.comment(`${spec.name}: ${ok}/${total} native cases agree (${spec.rows.length} rows)`);
    if (process.env.COLONEL_RECORD) {
      const k = spec.recordPerRow ?? 8;
      const keep: { c: Case; o: Outcome }[] = [];
      let at = 0;
      for (const row of spec.rows) {
        const n = perRow.get(row.id)!.length;
        const step = Math.max(1, Math.floor(n / k));
        for (let i = 0; i < n && i / step < k; i += step) keep.push(pairs[at + i]);
        at += n;
      }
      writeVectors(file, keep);
      t.comment(`recorded ${keep.length} vectors in ${file}`);
    }
  });

  t.test(`${spec.name}: recorded vectors`, async (t) => {
    const vectors = readVectors(file);
    t.ok(vectors.length > 0, `${file} holds vectors`);
    const covered = new Set(vectors.map((v) => v.c.row));
    const missing = spec.rows.filter((r) => !covered.has(r.id)).map((r) => r.id);
    t.same(missing, [], 'every row has recorded vectors (regenerate with COLONEL_RECORD=1)');
    const result = check(vectors, rows);
    let ok = 0;
    for (const [id, r] of result) {
      ok += r.ok;
      t.same(r.failures, [], `${id}: ${r.ok}/${r.total} recorded vectors agree`);
    }
    t.comment(`${spec.name}: ${ok}/${vectors.length} recorded vectors agree`);
    const oracle = nativeOracle();
    if (typeof oracle !== 'string' && vectors.length && (!spec.vendor || hostVendor() === spec.vendor)) {
      // The recording itself must still be what this CPU does (catches stale or edited files).
      const now = oracle.run(vectors.map((v) => v.c));
      const stale = vectors.filter((v, i) => compareOutcomes(v.o, now[i], undefOf(rows, v.c.row)).length).map((v) => describeCase(v.c));
      t.same(stale.slice(0, 5), [], `recorded outcomes match this CPU (${vectors.length - stale.length}/${vectors.length})`);
    }
  });
}

export { WINDOW, WINDOW_LEN, windowPattern };
