// A worker thread of scripts/fidelity.ts: runs one share of the GPR rows against the host CPU
// (gpr.ts runShard, with its own native-exec process) or one share of the decoder comparison
// (decode.ts), and posts the tallies back.

import { parentPort, workerData } from 'node:worker_threads';
import { GPR_ROWS, runShard } from './gpr.js';
import { compareDecoders, loadIced } from './decode.js';
import { nativeOracle } from '../oracle/native.js';

export type WorkerJob =
  | { kind: 'gpr'; rows: string[]; seed: number; perRow: number; record?: number }
  | { kind: 'decode'; n: number; seed: number };

const job = workerData as WorkerJob;
const post = (m: unknown) => parentPort!.postMessage(m);

if (job.kind === 'gpr') {
  const oracle = nativeOracle();
  if (typeof oracle === 'string') post({ type: 'error', message: `native oracle unavailable: ${oracle}` });
  else {
    const rows = job.rows.map((id) => GPR_ROWS.get(id)!);
    const r = runShard(oracle, rows, job.seed, job.perRow, { record: job.record, onProgress: (n) => post({ type: 'progress', n }) });
    post({ type: 'done', result: r });
  }
} else {
  const iced = loadIced();
  if (typeof iced === 'string') post({ type: 'error', message: iced });
  else {
    const step = 50_000;
    let done = 0;
    let tally;
    while (done < job.n) {
      const n = Math.min(step, job.n - done);
      tally = compareDecoders(iced, n, job.seed * 1000 + done / step, tally);
      done += n;
      post({ type: 'progress', n });
    }
    post({ type: 'done', result: tally });
  }
}
