// npm run bench: instructions per second on the benchmark fixtures, against the native run on an
// x86-64 host. The last line is `bench: intloop <MIPS> MIPS`; --json prints the same as JSON.
//
//   node dist/lib/bench.js [--json] [--scale F]

import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { runProgram } from './api.js';

interface Bench {
  name: string;
  binary: string;
  /** Iterations for the run: about 100-300 million instructions at scale 1. */
  iterations: number;
}

const BENCHES: Bench[] = [
  { name: 'intloop', binary: 'fixtures/bench/intloop', iterations: 5_000_000 },
  { name: 'memstr', binary: 'fixtures/bench/memstr', iterations: 6_000 },
  { name: 'calls', binary: 'fixtures/bench/calls', iterations: 1_300_000 },
];

interface Result {
  name: string;
  instructions: number;
  seconds: number;
  mips: number;
  nativeSeconds: number | null;
  slowdown: number | null;
  status: number;
}

function native(b: Bench, n: number): number | null {
  if (process.platform !== 'linux' || process.arch !== 'x64') return null;
  const t0 = performance.now();
  const r = spawnSync(b.binary, [String(n)], { stdio: 'ignore' });
  return r.status === 0 ? (performance.now() - t0) / 1000 : null;
}

function main(): void {
  const json = process.argv.includes('--json');
  const si = process.argv.indexOf('--scale');
  const scale = si > 0 ? Number(process.argv[si + 1]) : 1;
  const results: Result[] = [];
  for (const b of BENCHES) {
    const n = Math.max(1, Math.round(b.iterations * scale));
    const t0 = performance.now();
    const r = runProgram(b.binary, { argv: [b.binary, String(n)], env: {} });
    const seconds = (performance.now() - t0) / 1000;
    const nat = native(b, n);
    results.push({
      name: b.name, instructions: r.instructions, seconds, mips: r.instructions / seconds / 1e6,
      nativeSeconds: nat, slowdown: nat ? seconds / nat : null, status: r.status,
    });
    if (r.status !== 0) process.stderr.write(`bench: ${b.name} exited with status ${r.status}: ${r.stderr.trim() || r.diagnostics.join(' ')}\n`);
  }
  if (json) {
    process.stdout.write(JSON.stringify({ results }, null, 2) + '\n');
    return;
  }
  const pad = (s: string, n: number) => s.padStart(n);
  console.log(`${'fixture'.padEnd(10)}${pad('instructions', 14)}${pad('seconds', 10)}${pad('MIPS', 9)}${pad('native s', 11)}${pad('slowdown', 10)}`);
  for (const r of results) {
    console.log(`${r.name.padEnd(10)}${pad(r.instructions.toLocaleString('en-US'), 14)}${pad(r.seconds.toFixed(2), 10)}${pad(r.mips.toFixed(1), 9)}${pad(r.nativeSeconds === null ? '-' : r.nativeSeconds.toFixed(3), 11)}${pad(r.slowdown === null ? '-' : r.slowdown.toFixed(0) + 'x', 10)}`);
  }
  const main = results[0];
  console.log(`bench: ${main.name} ${main.mips.toFixed(1)} MIPS`);
}

try {
  main();
} catch (e) {
  process.stderr.write(`bench: ${(e as Error).message}\n`);
  process.exit(1);
}
