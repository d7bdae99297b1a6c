// The general-purpose half of the fidelity harness: for every GPR row of the ISA table, random cases
// (tests/oracle/rows.ts) run on the host CPU (tests/oracle/native-exec.c, batched through one process
// per chunk) and in colonel (one reused machine, tests/oracle/native.ts ColonelRunner), compared under
// the undefined-flag policy of docs/FIDELITY.md. Used by scripts/fidelity.ts (millions of cases, in
// worker threads) and tests/fidelity.test.ts (the recorded compact set, tests/fidelity/gpr.jsonl).

import type { IsaRow } from '../../cpu/isa/types.js';
import '../../cpu/isa/index.js'; // first: the group files and the decoder import each other in this order
import { ALU_ROWS } from '../../cpu/isa/alu.js';
import { BASE_ROWS } from '../../cpu/isa/base.js';
import { SHIFT_ROWS } from '../../cpu/isa/shift.js';
import { MULDIV_ROWS } from '../../cpu/isa/muldiv.js';
import { BITS_ROWS } from '../../cpu/isa/bits.js';
import { STRING_ROWS } from '../../cpu/isa/string.js';
import { MISC_ROWS } from '../../cpu/isa/misc.js';
import { Rng } from '../oracle/suite.js';
import { gprCase, isConstantRow, NOT_COMPARED } from '../oracle/rows.js';
import { ColonelRunner, compareOutcomes, describeCase, flagMask, type Case, type NativeOracle, type Outcome } from '../oracle/native.js';
import { encodeVector } from '../oracle/vectors.js';
import { knownIssue } from './known.js';

/** The GPR groups, by the file that defines their rows. */
export const GPR_GROUPS: readonly { name: string; rows: readonly IsaRow[] }[] = [
  { name: 'alu', rows: ALU_ROWS },
  { name: 'base', rows: BASE_ROWS },
  { name: 'shift', rows: SHIFT_ROWS },
  { name: 'muldiv', rows: MULDIV_ROWS },
  { name: 'bits', rows: BITS_ROWS },
  { name: 'string', rows: STRING_ROWS },
  { name: 'misc', rows: MISC_ROWS },
];

/** Groups whose rows have no recorded random vectors elsewhere: the compact set (gpr.jsonl) holds theirs. */
export const COMPACT_GROUPS = ['alu', 'base', 'string', 'misc'];

export const GPR_ROWS: ReadonlyMap<string, IsaRow> = new Map(GPR_GROUPS.flatMap((g) => g.rows.map((r) => [r.id, r] as const)));
export const GROUP_OF: ReadonlyMap<string, string> = new Map(GPR_GROUPS.flatMap((g) => g.rows.map((r) => [r.id, g.name] as const)));

/**
 * Per-row result: cases compared, cases that agree, cases that disagree in a way known.ts lists (by
 * reason, with the first examples), and the first few other disagreements.
 */
export interface RowTally {
  total: number;
  agree: number;
  known: Record<string, { n: number; examples: string[] }>;
  failures: string[];
}

export type Tallies = Record<string, RowTally>;

export const newRowTally = (): RowTally => ({ total: 0, agree: 0, known: {}, failures: [] });

export function mergeTallies(into: Tallies, from: Tallies): void {
  for (const [id, t] of Object.entries(from)) {
    const r = (into[id] ??= newRowTally());
    r.total += t.total;
    r.agree += t.agree;
    for (const f of t.failures) if (r.failures.length < 3) r.failures.push(f);
    for (const [why, k] of Object.entries(t.known)) {
      const m = (r.known[why] ??= { n: 0, examples: [] });
      m.n += k.n;
      for (const e of k.examples) if (m.examples.length < 2) m.examples.push(e);
    }
  }
}

/** Count one compared case into a row's tally. */
export function tallyCase(t: RowTally, c: Case, diffs: string[]): void {
  t.total++;
  if (diffs.length === 0) { t.agree++; return; }
  const msg = `${describeCase(c)}: ${diffs.join('; ')}`;
  const k = knownIssue(c);
  if (k) {
    const m = (t.known[k.why] ??= { n: 0, examples: [] });
    m.n++;
    if (m.examples.length < 2) m.examples.push(msg);
  } else if (t.failures.length < 3) t.failures.push(msg);
}

/** Disagreements that no known issue covers. */
export const unknownFailures = (t: RowTally) => t.total - t.agree - Object.values(t.known).reduce((s, k) => s + k.n, 0);

/**
 * How colonel's outcome differs from the host's, [] when they agree. Undefined flags: a row's
 * flags.undef bits are masked; every other flag must match the host (docs/FIDELITY.md). Traps (#BP,
 * #DB): colonel stops on the trapping instruction and the kernel adds its length (cpu/isa/misc.ts),
 * the host reports the address after it; the comparison adds the length back.
 */
export function compareCase(c: Case, want: Outcome, got: Outcome & { decoded: string | null; len?: number }): string[] {
  const row = GPR_ROWS.get(c.row);
  let g: Outcome = got;
  if ((got.fault === 'BP' || got.fault === 'DB') && got.rip !== undefined && got.len !== undefined) g = { ...got, rip: got.rip + got.len };
  const diffs = compareOutcomes(want, g, flagMask(row?.flags?.undef));
  if (got.decoded !== c.row && !c.loose && !(want.fault === 'UD' && got.fault === 'UD')) diffs.unshift(`decoded as ${got.decoded}`);
  return diffs;
}

/** The cases of one row for a run: `n` of them (fewer for rows that take no inputs), seeded by row id. */
export function rowCases(row: IsaRow, seed: number, n: number): Case[] {
  const rng = new Rng(`${seed}:${row.id}`);
  const count = isConstantRow(row) ? Math.min(n, 64) : n;
  const out: Case[] = [];
  for (let i = 0; i < count; i++) {
    const c = gprCase(row, rng);
    if (!c) break;
    out.push(c);
  }
  return out;
}

export interface ShardResult {
  tallies: Tallies;
  /** Recorded vectors (vectors.ts lines), when asked for. */
  vectors: string[];
  cases: number;
  nativeMs: number;
  colonelMs: number;
}

/**
 * Run rows through the host and colonel, `perRow` cases each, `chunk` cases per native process.
 * `record` keeps the first k cases of each row (with the host's outcome) as vector lines.
 */
export function runShard(oracle: NativeOracle, rows: readonly IsaRow[], seed: number, perRow: number, opts: { record?: number; chunk?: number; onProgress?: (n: number) => void } = {}): ShardResult {
  const runner = new ColonelRunner();
  const tallies: Tallies = {};
  const vectors: string[] = [];
  const chunk = opts.chunk ?? 20000;
  let pending: Case[] = [];
  let nativeMs = 0, colonelMs = 0, cases = 0;
  const flush = () => {
    if (!pending.length) return;
    let t0 = Date.now();
    const outcomes = oracle.run(pending);
    nativeMs += Date.now() - t0;
    t0 = Date.now();
    const kept = new Map<string, number>();
    pending.forEach((c, i) => {
      const want = outcomes[i];
      const got = runner.run(c);
      tallyCase((tallies[c.row] ??= newRowTally()), c, compareCase(c, want, got));
      if (opts.record) {
        const k = kept.get(c.row) ?? 0;
        if (k < opts.record && !c.loose) { vectors.push(encodeVector(c, want)); kept.set(c.row, k + 1); }
      }
    });
    colonelMs += Date.now() - t0;
    cases += pending.length;
    opts.onProgress?.(pending.length);
    pending = [];
  };
  for (const row of rows) {
    if (NOT_COMPARED[row.id]) continue;
    pending.push(...rowCases(row, seed, perRow));
    if (pending.length >= chunk) flush();
  }
  flush();
  return { tallies, vectors, cases, nativeMs, colonelMs };
}
