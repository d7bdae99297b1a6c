// The fidelity harness's compact set, replayed everywhere (no x86 host needed), and the decoder
// against iced-x86 on a seeded sample. `npm run fidelity` (scripts/fidelity.ts) is the full run: a
// million cases on the host CPU and a million decoder streams; docs/FIDELITY.md explains both.
//
// 1. tests/fidelity/gpr.jsonl: host-recorded cases of the ALU, base, string and misc rows (the rows no
//    other vector file covers: shift, muldiv, bits, SSE, FP, x87 and MMX have theirs), replayed
//    through colonel under the undefined-flag policy. Cases of a known, reported disagreement
//    (tests/fidelity/known.ts) are todo, not failures. On an AMD x86-64 Linux host with gcc, the
//    recording is also checked against the CPU (a stale or hand-edited file fails).
//    Re-record: npm run fidelity -- --record-only
// 2. Decoder vs iced-x86 on 20,000 seeded streams: length, mnemonic and operands (tests/disasm.test.ts
//    compares lengths and mnemonics on its own 40,000; this adds the operands and wilder prefixes).

import t from 'tap';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GPR_GROUPS, COMPACT_GROUPS, compareCase, newRowTally, tallyCase, unknownFailures, type RowTally } from './fidelity/gpr.js';
import { compareDecoders, loadIced } from './fidelity/decode.js';
import { KNOWN_ISSUES, knownIssue } from './fidelity/known.js';
import { readVectors } from './oracle/vectors.js';
import { ColonelRunner, nativeOracle, hostVendor, compareOutcomes, describeCase, flagMask } from './oracle/native.js';
import { NOT_COMPARED } from './oracle/rows.js';

const COMPACT = join(dirname(fileURLToPath(import.meta.url)), 'fidelity', 'gpr.jsonl');
const vectors = readVectors(COMPACT);

t.test('the compact set covers every comparable ALU, base, string and misc row', async (t) => {
  const have = new Set(vectors.map((v) => v.c.row));
  const want = GPR_GROUPS.filter((g) => COMPACT_GROUPS.includes(g.name)).flatMap((g) => g.rows).filter((r) => !NOT_COMPARED[r.id]);
  t.same(want.filter((r) => !have.has(r.id)).map((r) => r.id), [], 'rows without vectors (re-record: npm run fidelity -- --record-only)');
  t.ok(vectors.length >= 3000, `${vectors.length} vectors`);
});

t.test('colonel replays the host-recorded cases', async (t) => {
  const runner = new ColonelRunner();
  const tallies = new Map<string, RowTally>();
  for (const { c, o } of vectors) {
    let r = tallies.get(c.row);
    if (!r) tallies.set(c.row, (r = newRowTally()));
    tallyCase(r, c, compareCase(c, o, runner.run(c)));
  }
  let agree = 0;
  for (const g of GPR_GROUPS.filter((g) => COMPACT_GROUPS.includes(g.name))) {
    for (const row of g.rows) {
      const r = tallies.get(row.id);
      if (!r) continue;
      agree += r.agree;
      if (unknownFailures(r)) t.same(r.failures, [], `${row.id}: ${r.agree}/${r.total} agree`);
      else t.pass(`${row.id}: ${r.agree}/${r.total} agree`);
      for (const [why, k] of Object.entries(r.known)) t.same(k.examples, [], `${row.id}: ${k.n} known`, { todo: why });
    }
  }
  t.comment(`${agree}/${vectors.length} recorded cases agree`);
});

const oracle = nativeOracle();
const vendor = hostVendor();
t.test('the recording is what this CPU does', { skip: typeof oracle === 'string' ? `native oracle unavailable: ${oracle}` : vendor !== 'AuthenticAMD' ? `recorded on AMD; this host is ${vendor || 'unknown'}` : false }, async (t) => {
  if (typeof oracle === 'string') return;
  const now = oracle.run(vectors.map((v) => v.c));
  const rows = new Map(GPR_GROUPS.flatMap((g) => g.rows).map((r) => [r.id, r]));
  const stale = vectors.filter((v, i) => compareOutcomes(v.o, now[i], flagMask(rows.get(v.c.row)?.flags?.undef)).length).map((v) => describeCase(v.c));
  t.same(stale.slice(0, 5), [], `${vectors.length - stale.length}/${vectors.length} recorded outcomes match this CPU`);
});

t.test('known issues are still real (each matches recorded cases that disagree)', async (t) => {
  // An entry whose fix has landed should be deleted: its cases then agree and nothing matches it.
  const runner = new ColonelRunner();
  const seen = new Set<string>();
  for (const { c, o } of vectors) {
    const k = knownIssue(c);
    if (k && compareCase(c, o, runner.run(c)).length) seen.add(k.why);
  }
  for (const k of KNOWN_ISSUES) {
    if (!seen.has(k.why)) t.comment(`not seen in the compact set: ${k.why}`);
  }
  t.pass(`${seen.size} of ${KNOWN_ISSUES.length} known issues show in the compact set`);
});

t.test('decoder vs iced-x86: 20,000 seeded streams (length, mnemonic, operands)', async (t) => {
  const iced = loadIced();
  if (typeof iced === 'string') { t.fail(iced); return; }
  const tally = compareDecoders(iced, Number(process.env.FIDELITY_STREAMS ?? 20000), 7);
  t.comment(`${tally.streams} streams; colonel decodes ${tally.decoded}; ${tally.agree} agree; iced decodes ${[...tally.lacking.values()].reduce((a, b) => a + b, 0)} colonel does not`);
  t.ok(tally.decoded > tally.streams / 2, 'most streams decode (they are built from the rows)');
  for (const [what, m] of tally.mismatches) {
    if (what.startsWith('form:')) t.comment(`${m.n} differ in form only (${what.slice(6)})`);
    else if (what.startsWith('known')) t.same(m.examples.slice(0, 2), [], `${m.n} ${what}`, { todo: what.slice(7) });
    else t.same(m.examples, [], `${what}: ${m.n} disagreements`);
  }
  const stale = tally.lacking.get('REX before another prefix (the CPU ignores that REX)') ?? 0;
  if (stale) t.same(tally.lackingExamples.values().next().value?.slice(0, 2), [], `${stale} streams with a REX before another prefix: colonel refuses what the CPU runs`, { todo: 'tests/fidelity/known.ts: cpu/decoder.ts prefix loop' });
});
