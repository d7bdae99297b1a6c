// Fixture cases from fixtures/*/manifest.json: run a case under colonel, and natively when the host is
// x86-64 Linux (the oracle); the recorded files in fixtures/*/expected keep the tests asserting
// elsewhere.

import * as fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import { runProgram, type RunResult } from '../../lib/api.js';

export interface FixtureCase {
  name: string;
  binary: string;
  args: string[];
  env: Record<string, string>;
  stdin?: string;
  expect: string;
}

export interface Outcome {
  stdout: string;
  stderr: string;
  status: number;
}

export const NATIVE = process.platform === 'linux' && process.arch === 'x64' && !process.env.COLONEL_NO_NATIVE;

/** Test runs fix the clock's epoch so every run is repeatable. */
export const TEST_EPOCH_NS = 1_700_000_000_000_000_000n;

export function loadManifest(path: string): FixtureCase[] {
  return JSON.parse(fs.readFileSync(path, 'utf8')) as FixtureCase[];
}

export function runUnderColonel(c: FixtureCase, extra: Parameters<typeof runProgram>[1] = {}): RunResult {
  return runProgram(c.binary, { argv: [c.binary, ...c.args], env: c.env, stdin: c.stdin ?? '', epochNs: TEST_EPOCH_NS, ...extra });
}

export function runNative(c: FixtureCase): Outcome {
  // Through env -i: the test runner injects variables into the children it sees spawned, and the
  // guest must get exactly the manifest's environment. env execs the binary with argv[0] = its path.
  const kv = Object.entries(c.env).map(([k, v]) => `${k}=${v}`);
  const r = spawnSync('/usr/bin/env', ['-i', ...kv, c.binary, ...c.args], { input: c.stdin ?? '', encoding: 'utf8' });
  const status = r.status ?? 128 + (r.signal ? os.constants.signals[r.signal] : 0);
  return { stdout: r.stdout, stderr: r.stderr, status };
}

export function recorded(c: FixtureCase): Outcome {
  return {
    stdout: fs.readFileSync(`${c.expect}.stdout`, 'utf8'),
    stderr: fs.readFileSync(`${c.expect}.stderr`, 'utf8'),
    status: Number(fs.readFileSync(`${c.expect}.status`, 'utf8').trim()),
  };
}

/** colonel's own diagnostics (the kernel's fault line) are not part of the guest's stderr. */
export function guestStderr(s: string): string {
  return s.split('\n').filter((l) => !l.startsWith('colonel: ')).join('\n');
}
