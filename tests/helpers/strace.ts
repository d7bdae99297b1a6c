// colonel trace against native strace: run a fixture case under colonel's tracer and under `strace -f`,
// and bring both outputs to a form where only real differences remain.
//
// What the normal form removes, and why (the differences by design, documented in README.md):
//  - addresses (hex numbers of five or more digits): colonel's layout is fixed, the host's random;
//  - the pid (set_tid_address, getpid, kill, si_pid, strace's personality line): colonel's process is 1000;
//  - times (tv_sec/tv_nsec/tv_usec, time()'s result): colonel's clock is virtual;
//  - the execve line's environment count, and uname's nodename (colonel's machine is "colonel");
//  - strace -f's pid column and the padding before " = " (it pads to column 40 counting that column);
//  - colonel's [vdso] and [vsyscall] lines, which a native strace cannot see, and the indent of a
//    syscall made inside a vDSO call.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createProcess } from '../../lib/api.js';
import { Tracer } from '../../kernel/trace/tracer.js';
import { TextSink, JsonSink, PLAIN } from '../../kernel/trace/format.js';
import { TraceFilter } from '../../kernel/trace/filter.js';
import type { TraceSink } from '../../kernel/trace/events.js';
import { TEST_EPOCH_NS, type FixtureCase } from './fixtures.js';

export const HAVE_STRACE = process.platform === 'linux' && process.arch === 'x64' && !process.env.COLONEL_NO_NATIVE &&
  spawnSync('strace', ['-V'], { encoding: 'utf8' }).status === 0;

export interface TraceRun {
  text: string;
  json: string;
  summary: string;
  status: number;
  stdout: string;
  pid: number;
  summaryRows: { road: string; name: string; calls: number; errors: number; insns: number; cycles: number }[];
}

export interface TraceRunOptions {
  filters?: string[];
  strSize?: number;
  stacks?: boolean;
  timestamps?: number;
  rip?: boolean;
  cost?: boolean;
  vdso?: boolean;
  vsyscall?: 'xonly' | 'emulate' | 'none';
  maxInsns?: number;
}

/** Run a case under colonel with the tracer, producing text and JSON of the same run (two sinks). */
export function traceUnderColonel(c: FixtureCase, o: TraceRunOptions = {}): TraceRun {
  const p = createProcess(c.binary, {
    argv: [c.binary, ...c.args], env: c.env, stdin: c.stdin ?? '', epochNs: TEST_EPOCH_NS,
    ...(o.vdso === undefined ? {} : { vdso: o.vdso }), ...(o.vsyscall ? { vsyscall: o.vsyscall } : {}),
  });
  let text = '', json = '', summary = '';
  let summaryRows: TraceRun['summaryRows'] = [];
  // notice: as `strace -o FILE`, whose personality lines go to strace's stderr, not the file.
  const textSink = new TextSink({ timestamps: o.timestamps ?? 0, rip: o.rip ?? false, cost: o.cost ?? false, style: PLAIN, write: (s) => { text += s; }, notice: () => {} });
  const jsonSink = new JsonSink((s) => { json += s; });
  const both: TraceSink = {
    begin: (e) => { textSink.begin(e); },
    event: (e) => { textSink.event(e); jsonSink.event(e); },
  };
  const filter = new TraceFilter();
  for (const f of o.filters ?? []) filter.add(f);
  let programBytes: Uint8Array | null = null;
  try { programBytes = fs.readFileSync(c.binary); } catch { /* no symbols */ }
  const t = new Tracer(p.kernel, {
    sink: both, filter, strSize: o.strSize, stacks: o.stacks, path: c.binary, programBytes,
    summary: (s, rows) => { summary = s; summaryRows = rows; },
  });
  t.attach();
  const exit = p.kernel.run(o.maxInsns ?? 2e9);
  t.finish(exit);
  return { text, json, summary, summaryRows, status: exit.status, stdout: Buffer.concat(p.stdout?.chunks ?? []).toString('utf8'), pid: p.kernel.pid };
}

/** The same case under `strace -f -o FILE`, with exactly the case's environment. */
export function straceNative(c: FixtureCase): { text: string; status: number; pid: number } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'colonel-strace-'));
  const out = path.join(dir, 'trace');
  try {
    const kv = Object.entries(c.env).map(([k, v]) => `${k}=${v}`);
    const r = spawnSync('/usr/bin/env', ['-i', ...kv, 'strace', '-f', '-o', out, c.binary, ...c.args], { input: c.stdin ?? '', encoding: 'utf8' });
    const text = fs.readFileSync(out, 'utf8');
    const pid = Number(/^(\d+) /.exec(text)?.[1] ?? 0);
    return { text, status: r.status ?? 128 + (r.signal ? os.constants.signals[r.signal] : 0), pid };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The normal form (see the file comment): one string per line. */
export function normalize(text: string): string[] {
  const out: string[] = [];
  for (let line of text.split('\n')) {
    if (line === '') continue;
    line = line.replace(/^\d+ +/, ''); // strace -f's pid column
    if (line.startsWith('[vdso]') || line.startsWith('[vsyscall]')) continue;
    line = line.replace(/^ {2}(?=[a-z_])/, ''); // a syscall nested in a vDSO call
    line = line
      .replace(/^((?:set_tid_address|getpid|gettid|getppid|getpgid|getpgrp|getsid)\(.*\) += )\d+$/, '$1PID')
      .replace(/^(kill|tkill|tgkill)\(\d+, (\d+, )?/, (_m, f, two) => `${f}(PID, ${two ? 'PID, ' : ''}`)
      .replace(/si_pid=\d+/, 'si_pid=PID')
      .replace(/^\[ Process PID=\d+ runs in/, '[ Process PID=PID runs in')
      // The working directory is wherever the checkout is (CI clones elsewhere).
      .replace(/^getcwd\("[^"]*", (\d+)\) += \d+$/, 'getcwd(CWD, $1) = LEN');
    line = line
      .replace(/\) +=( |$)/, ') =$1')
      .replace(/0x[0-9a-f]{5,}/g, '0xADDR')
      .replace(/\/\* \d+ vars? \*\//, '/* N vars */')
      .replace(/(tv_sec|tv_nsec|tv_usec)=\d+/g, '$1=T')
      .replace(/= \d+ \(\d{4}-\d\d-\d\dT[^)]*\)/, '= T (DATE)')
      .replace(/\[\d+ \/\* \d{4}-[^*]*\*\/\]/g, '[T /* DATE */]')
      .replace(/nodename="[^"]*"/, 'nodename="NODE"');
    out.push(line);
  }
  return out;
}
