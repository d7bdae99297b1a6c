// The float and vector groups have their own native oracles and case generators, inside their tap
// files (tests/isa-sse.test.ts with tests/oracle-sse/, tests/isa-fp.test.ts and tests/isa-x87.test.ts
// with tests/vectors/fp-oracle.*). Their "live comparison" test takes a case count and a seed from the
// environment; the harness runs each file with a large count and reads the per-row lines it prints:
//   ok 12 - live seed 20250301: addps_xmm_xmmm128 (500 cases, 0 wrong)
// So the harness drives those oracles as their owners wrote them, without a second copy.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface ExternalGroup {
  name: string;
  /** The tap file, relative to the repository. */
  file: string;
  /** The environment variables that set cases per row and the seed. */
  countVar: string;
  seedVar: string;
}

export const EXTERNAL_GROUPS: readonly ExternalGroup[] = [
  { name: 'sse', file: 'tests/isa-sse.test.ts', countVar: 'SSE_LIVE_PER_ROW', seedVar: 'SSE_SEED' },
  { name: 'sse-fp', file: 'tests/isa-fp.test.ts', countVar: 'FP_LIVE_PER_ROW', seedVar: 'FP_SEED' },
  { name: 'x87', file: 'tests/isa-x87.test.ts', countVar: 'FP_LIVE_PER_ROW', seedVar: 'FP_SEED' },
  { name: 'mmx', file: 'tests/isa-mmx.test.ts', countVar: 'MMX_LIVE_PER_ROW', seedVar: 'MMX_SEED' },
];

export interface ExternalResult {
  group: string;
  /** Why nothing ran (file missing, no live test), or null. */
  skipped: string | null;
  /** Per row: cases, wrong, and the first lines of the failure report. */
  rows: Record<string, { total: number; wrong: number; detail: string[] }>;
  ms: number;
}

const LINE = /^\s*(not )?ok \d+ - live seed \d+: (\S+) \((\d+) cases(?:, (\d+) wrong)?\)/;

/** Run one group's tap file with `perRow` live cases per row; resolves when it exits. */
export function runExternal(g: ExternalGroup, perRow: number, seed: number): Promise<ExternalResult> {
  const t0 = Date.now();
  const result: ExternalResult = { group: g.name, skipped: null, rows: {}, ms: 0 };
  if (!existsSync(join(ROOT, g.file))) return Promise.resolve({ ...result, skipped: `${g.file} is not in the tree` });
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', '@tapjs/typescript/import', g.file], {
      cwd: ROOT,
      env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1', TAP_TIMEOUT: '0', [g.countVar]: String(perRow), [g.seedVar]: String(seed) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let buf = '';
    let last: string | null = null;
    let stderr = '';
    const onLine = (line: string) => {
      const m = LINE.exec(line);
      if (m) {
        const wrong = m[4] ? +m[4] : m[1] ? 1 : 0;
        result.rows[m[2]] = { total: +m[3], wrong, detail: [] };
        last = wrong ? m[2] : null;
      } else if (last && /^\s*(not )?ok \d+/.test(line)) last = null;
      else if (last && /^\s*\+\s+\S/.test(line) && !/^\s*\+\s+(String\(|\)|Array \[)/.test(line) && result.rows[last].detail.length < 4) result.rows[last].detail.push(line.trim().replace(/^\+\s*/, ''));
    };
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      let i;
      while ((i = buf.indexOf('\n')) >= 0) { onLine(buf.slice(0, i)); buf = buf.slice(i + 1); }
    });
    child.stderr.on('data', (d: Buffer) => { stderr = (stderr + d.toString('utf8')).slice(-2000); });
    child.on('close', () => {
      if (buf) onLine(buf);
      result.ms = Date.now() - t0;
      if (Object.keys(result.rows).length === 0) result.skipped = `no live comparison ran (${stderr.trim().split('\n').pop() || 'no host oracle?'})`;
      resolve(result);
    });
  });
}
