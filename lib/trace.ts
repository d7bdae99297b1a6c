// `colonel trace [options] <program> [args..]`: strace for the three roads (kernel/trace/), on the
// command line. Options are strace's where strace has one (-e trace=, -o, -s, -T, -t, -tt, -ttt, -i, -k,
// -c, -C, -f accepted and ignored), plus --json, --insns, --color and --progress, and `colonel run`'s
// kernel options. Everything after the program's name belongs to the program, as with strace.
//
// Terminal manners: trace output goes to stderr (or -o FILE), never mixed into the program's stdout;
// colour only when that output is a terminal, never with NO_COLOR set, --color=always|never to force;
// nothing but the trace unless --progress is given. Bad input (an unknown syscall or class in -e, a bad
// --insns range or symbol, an -o file that cannot be written, a bad -s) is one line and status 2,
// before the guest runs.

import * as fs from 'node:fs';
import yargs, { type Argv } from 'yargs';
import { Chalk } from 'chalk';
import { createProcess, ExecError } from './api.js';
import type { KernelOptions } from '../kernel/kernel.js';
import { Tracer } from '../kernel/trace/tracer.js';
import { TraceFilter, FilterError } from '../kernel/trace/filter.js';
import { TextSink, JsonSink, HoldingSink, PLAIN, type Style } from '../kernel/trace/format.js';
import type { TraceSink } from '../kernel/trace/events.js';
import { InsnTracer, parseInsnSpec, planInsns, InsnSpecError, type InsnPlan } from './insntrace.js';

export const TRACE_USAGE = 'colonel trace [options] <program> [args..]';

/** What lib/cli.ts lends the trace command: its kernel options, so `run` and `trace` agree. */
export interface CliHelpers {
  common(y: Argv): Argv;
  kernelOptions(argv: never): KernelOptions;
}

/** Options that take a separate value (`-e X`, `--seed 3`), for finding where the program starts. */
const VALUE_OPTIONS = new Set(['-e', '-o', '-s', '--color', '--clock', '--seed', '--set', '--vsyscall', '--max-insns', '--string-limit', '--output']);

/** Split `trace`'s arguments into colonel's options and the program with its arguments. */
export function splitTraceArgs(args: string[]): { options: string[]; program: string | null; programArgs: string[] } {
  const options: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') return { options, program: args[i + 1] ?? null, programArgs: args.slice(i + 2) };
    if (!a.startsWith('-') || a === '-') return { options, program: a, programArgs: args.slice(i + 1) };
    options.push(a);
    const short = /^-[a-zA-Z]+$/.test(a) ? '-' + a[a.length - 1] : null;
    if (!a.includes('=') && (VALUE_OPTIONS.has(a) || (short !== null && a.length === 2 && VALUE_OPTIONS.has(short)) ||
      (short !== null && a.length > 2 && VALUE_OPTIONS.has(short) && !/^-s\d/.test(a))) && i + 1 < args.length) {
      options.push(args[++i]);
    }
  }
  return { options, program: null, programArgs: [] };
}

function fail(message: string, status = 2): never {
  process.stderr.write(`colonel: ${message.replace(/\s*\n\s*/g, '; ')}\n`);
  process.exit(status);
}

interface TraceArgs {
  e?: string[];
  o?: string;
  s: number;
  T: boolean;
  t: number;
  i: boolean;
  k: boolean;
  c: boolean;
  C: boolean;
  json: boolean;
  insns?: string;
  color: 'auto' | 'always' | 'never';
  progress: boolean;
  'max-insns'?: number;
}

function parseOptions(options: string[], helpers: CliHelpers): TraceArgs {
  const y = yargs(options)
    .scriptName('colonel trace')
    .usage(TRACE_USAGE)
    .epilogue('strace for all three roads from user code to kernel data: syscalls, vDSO calls, vsyscall calls. See README.md.')
    .option('e', { type: 'string', array: true, nargs: 1, describe: 'trace=SET: names, %file %desc %memory %process %signal %clock ..., %vdso, %vsyscall; !SET inverts' })
    .option('o', { type: 'string', describe: 'write the trace to FILE instead of stderr' })
    .option('s', { type: 'number', default: 32, describe: 'longest string or buffer shown' })
    .option('T', { type: 'boolean', default: false, describe: "show each call's modeled cost in cycles" })
    .option('t', { type: 'count', describe: 'prefix the virtual time (-tt: microseconds, -ttt: seconds since the epoch)' })
    .option('i', { type: 'boolean', default: false, describe: 'prefix the address the call returns to' })
    .option('k', { type: 'boolean', default: false, describe: 'print the call stack (symbolised return addresses) after each call' })
    .option('c', { type: 'boolean', default: false, describe: 'count calls, errors, instructions and modeled cycles; print a table at the end' })
    .option('C', { type: 'boolean', default: false, describe: 'like -c, and print the calls too' })
    .option('f', { type: 'boolean', default: false, describe: 'accepted for strace habits (colonel runs one process)' })
    .option('json', { type: 'boolean', default: false, describe: 'one JSON object per event (schema in README.md)' })
    .option('insns', { type: 'string', describe: 'trace every retired instruction; =vdso, =ADDR-ADDR or =SYMBOL to limit it' })
    .option('color', { choices: ['auto', 'always', 'never'] as const, default: 'auto' as const, describe: 'colour the trace (auto: only on a terminal, and not with NO_COLOR)' })
    .option('progress', { type: 'boolean', default: false, describe: 'show instructions retired while the program runs' });
  helpers.common(y as never);
  return y
    .strict()
    .wrap(Math.min(120, process.stdout.columns ?? 100))
    .version(false)
    .help()
    .fail((msg, err) => {
      if (err) throw err;
      fail(`trace: ${msg}`);
    })
    .parseSync() as unknown as TraceArgs;
}

function colorOn(mode: string, toStderr: boolean): boolean {
  if (mode === 'always') return true;
  if (mode === 'never') return false;
  const noColor = process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '';
  return toStderr && process.stderr.isTTY === true && !noColor && process.env.TERM !== 'dumb';
}

function styleFor(on: boolean): Style {
  if (!on) return PLAIN;
  const c = new Chalk({ level: 1 });
  return { road: c.cyan, name: c.bold, error: c.red, signal: c.yellow, exit: c.bold, dim: c.dim };
}

/** A writer to fd 2 (unbuffered, so trace and guest stderr keep their order) or to a file (buffered). */
class Output {
  private buf: string[] = [];
  private size = 0;
  constructor(readonly fd: number, private readonly buffered: boolean) {}
  write = (text: string): void => {
    if (!this.buffered) {
      fs.writeSync(this.fd, text);
      return;
    }
    this.buf.push(text);
    this.size += text.length;
    if (this.size > 1 << 16) this.flush();
  };
  flush(): void {
    if (this.buf.length) fs.writeSync(this.fd, this.buf.join(''));
    this.buf = [];
    this.size = 0;
  }
}

export function traceMain(args: string[], helpers: CliHelpers): never {
  const { options, program, programArgs } = splitTraceArgs(args);
  const argv = parseOptions(options, helpers);
  if (program === null) fail(`trace: name a program to run (${TRACE_USAGE})`);

  // ---- everything that can be wrong with the command line, before the guest starts ----
  if (!Number.isInteger(argv.s) || argv.s < 0) fail(`trace: -s ${argv.s}: expected a whole number of bytes`);
  const filter = new TraceFilter();
  try {
    for (const e of argv.e ?? []) filter.add(e);
  } catch (e) {
    if (e instanceof FilterError) fail(`trace: ${e.message}`);
    throw e;
  }
  let insnSpec = null;
  if (argv.insns !== undefined) {
    try {
      insnSpec = parseInsnSpec(argv.insns);
    } catch (e) {
      if (e instanceof InsnSpecError) fail(`trace: --insns=${argv.insns}: ${e.message}`);
      throw e;
    }
  }
  let fd = 2;
  if (argv.o !== undefined) {
    try {
      fd = fs.openSync(argv.o, 'w');
    } catch (e) {
      fail(`trace: -o ${argv.o}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (e as NodeJS.ErrnoException).code === 'EACCES' ? 'Permission denied' : (e as Error).message}`);
    }
  }

  let p;
  try {
    p = createProcess(program, {
      ...helpers.kernelOptions(argv as never),
      argv: [program, ...programArgs],
      env: Object.entries(process.env).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`),
      passthrough: true,
    });
  } catch (e) {
    if (e instanceof ExecError) fail(e.message, e.status);
    throw e;
  }
  const k = p.kernel;
  let programBytes: Uint8Array | null = null;
  try {
    programBytes = fs.readFileSync(program);
  } catch {
    // symbols are optional
  }

  let plan: InsnPlan | null = null;
  if (insnSpec) {
    try {
      plan = planInsns(k, insnSpec, programBytes);
    } catch (e) {
      if (e instanceof InsnSpecError) fail(`trace: --insns=${argv.insns}: ${e.message}`);
      throw e;
    }
  }

  const out = new Output(fd, fd !== 2);
  const summaryOnly = argv.c && !argv.C;
  const style = styleFor(colorOn(argv.color, fd === 2));
  const inner: TraceSink = argv.json ? new JsonSink(out.write) : new TextSink({
    timestamps: argv.t, rip: argv.i, cost: argv.T, style, write: out.write,
    // strace's notices (the personality line) go to its stderr, not into -o's file.
    notice: fd === 2 ? undefined : (text) => fs.writeSync(2, text),
  });
  const sink = new HoldingSink(inner);
  const tracer = new Tracer(k, {
    filter, strSize: argv.s, stacks: argv.k, path: program, programBytes,
    sink: summaryOnly ? null : sink,
    summary: argv.c || argv.C ? (text, rows) => sink.summary(text, rows) : undefined,
  });
  tracer.attach();
  // After the tracer, so that at a vDSO entry the call is recorded before its instructions are stepped.
  const insns = plan ? new InsnTracer(k, plan, sink, argv['max-insns'] ?? Infinity) : null;
  const progress = argv.progress ? startProgress(k) : null;

  const exit = k.run(argv['max-insns'] ?? Infinity);
  progress?.();
  insns?.detach();
  tracer.finish(exit);
  out.flush();
  if (fd !== 2) fs.closeSync(fd);
  if (exit.kind === 'signaled') process.stderr.write(`${exit.message}\n`);
  if (exit.kind === 'limit') process.stderr.write(`colonel: instruction limit reached after ${k.cpu.icount} instructions\n`);
  process.exit(exit.status);
}

/** --progress: instructions retired, on one self-rewriting line on a terminal, else a line a second. */
function startProgress(k: import('../kernel/kernel.js').Kernel): () => void {
  const tty = process.stderr.isTTY === true;
  let last = Date.now();
  const observer = {
    tick: () => {
      const now = Date.now();
      if (now - last < (tty ? 200 : 1000)) return;
      last = now;
      const text = `colonel: ${k.cpu.icount.toLocaleString('en-US')} instructions retired`;
      fs.writeSync(2, tty ? `\r\x1b[K${text}` : `${text}\n`);
    },
  };
  k.observers.push(observer);
  return () => {
    k.observers.splice(k.observers.indexOf(observer), 1);
    if (tty) fs.writeSync(2, '\r\x1b[K');
  };
}
