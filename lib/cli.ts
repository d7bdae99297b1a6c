#!/usr/bin/env node
// colonel's command line: run, trace, step, vdso, demo. Every failure is one line on stderr and a
// non-zero status; a JavaScript stack trace is printed only with COLONEL_DEBUG=1.

import './v8-tuning.js'; // before any guest code is compiled
import './load-guard.js'; // first: a module that fails to load gives one line, not a stack trace
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { createProcess, ExecError } from './api.js';
import { traceMain } from './trace.js';
import { seedDemo, vdsoCommand } from './vdso-cmd.js';
import { stepCommand } from './step/index.js';

function fail(message: string, status: number): never {
  process.stderr.write(`colonel: ${message}\n`);
  process.exit(status);
}

function parseSet(values: string[] | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values ?? []) {
    const m = /^([a-z_][a-z0-9_]*)=(-?(?:0x[0-9a-f]+|\d+))$/i.exec(v);
    if (!m) fail(`--set ${v}: expected NAME=NUMBER (e.g. vnotb=42)`, 2);
    // Number('-0x10') is NaN, so take the sign apart; past 2^53 a number would silently round.
    const n = m[2].startsWith('-') ? -Number(m[2].slice(1)) : Number(m[2]);
    if (!Number.isSafeInteger(n)) fail(`--set ${v}: ${m[2]} is out of range (|value| <= 2^53 - 1)`, 2);
    out[m[1]] = n;
  }
  return out;
}

interface CommonArgs {
  clock: string;
  seed?: number;
  aslr: boolean;
  set?: string[];
  vdso: boolean;
  vsyscall: string;
  'max-insns'?: number;
}

function kernelOptions(argv: CommonArgs) {
  const params = parseSet(argv.set);
  for (const name of Object.keys(params)) if (name !== 'vnotb') fail(`--set ${name}: unknown kernel parameter (known: vnotb)`, 2);
  return {
    clock: argv.clock as 'virtual' | 'host',
    // A user's run starts the virtual clock at the host's time, so `date` shows today.
    epochNs: BigInt(Date.now()) * 1_000_000n,
    seed: argv.aslr ? Math.floor(Math.random() * 2 ** 32) : argv.seed ?? null,
    params,
    vdso: argv.vdso,
    vsyscall: argv.vsyscall as 'xonly' | 'emulate' | 'none',
  };
}

function runCommand(argv: CommonArgs & { program: string; args?: string[] }): never {
  let p;
  try {
    p = createProcess(argv.program, {
      ...kernelOptions(argv),
      argv: [argv.program, ...(argv.args ?? []).map(String)],
      env: Object.entries(process.env).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`),
      passthrough: true,
    });
  } catch (e) {
    if (e instanceof ExecError) fail(e.message, e.status);
    throw e;
  }
  const exit = p.kernel.run(argv['max-insns'] ?? Infinity);
  if (exit.kind === 'signaled') process.stderr.write(`${exit.message}\n`);
  if (exit.kind === 'limit') process.stderr.write(`colonel: instruction limit reached after ${p.kernel.cpu.icount} instructions\n`);
  process.exit(exit.status);
}

function main(): void {
  const common = (y: ReturnType<typeof yargs>) =>
    y
      .option('clock', { choices: ['virtual', 'host'], default: 'virtual', describe: 'virtual: time advances with instructions (repeatable); host: the real clocks' })
      .option('seed', { type: 'number', describe: 'layout seed: a repeatable randomized address layout' })
      .option('aslr', { type: 'boolean', default: false, describe: 'a random address layout, as Linux with ASLR' })
      .option('set', { type: 'string', array: true, nargs: 1, describe: 'set a kernel parameter, e.g. --set vnotb=42' })
      .option('vdso', { type: 'boolean', default: true, describe: 'map the vDSO (--no-vdso: libc falls back to syscalls)' })
      .option('vsyscall', { choices: ['xonly', 'emulate', 'none'], default: 'xonly', describe: 'vsyscall page mode, as the vsyscall= boot option' })
      .option('max-insns', { type: 'number', describe: 'stop after this many instructions (exit status 124)' });
  // trace parses its own options: everything after the program's name is the program's (lib/trace.ts).
  if (hideBin(process.argv)[0] === 'trace') traceMain(hideBin(process.argv).slice(1), { common: common as never, kernelOptions: kernelOptions as never });
  yargs(hideBin(process.argv))
    .parserConfiguration({ 'unknown-options-as-args': true })
    .scriptName('colonel')
    .usage('$0 <command> [options]')
    .command('run <program> [args..]', 'run an x86-64 Linux program', (y) => common(y as never).positional('program', { type: 'string', demandOption: true }).positional('args', { type: 'string', array: true }).strict(false), (a) => runCommand(a as never))
    .command('trace [options] <program> [args..]', 'strace for all three roads: syscalls, vDSO and vsyscall calls, with costs (trace --help)', (y) => y, () => {})
    .command('vdso [program] [args..]', 'the vDSO and vvar as a process sees them (--dump FILE, --symbols, --vvar)', (y) =>
      common(y as never)
        .positional('program', { type: 'string', describe: 'run this program first (else map the vDSO in an empty process)' })
        .positional('args', { type: 'string', array: true })
        .option('insns', { type: 'number', describe: 'run the program for this many instructions first' })
        .option('dump', { type: 'string', describe: 'write the [vdso] mapping to FILE' })
        .option('symbols', { type: 'boolean', describe: 'list the dynamic symbols as objdump -T does' })
        .option('vvar', { type: 'boolean', describe: 'print the decoded [vvar] page' }),
    (a) => process.exit(vdsoCommand(a as never, kernelOptions(a as never), (s) => process.stdout.write(s), fail)))
    .command('step <program> [args..]', 'step through a program, every crossing into the kernel explained (? inside lists the keys)', (y) =>
      common(y as never).positional('program', { type: 'string', demandOption: true }).positional('args', { type: 'string', array: true })
        .option('script', { type: 'string', describe: 'run the commands in FILE, printing each view as plain text' })
        .option('stdin', { type: 'string', describe: "FILE's bytes are the program's stdin (else its reads wait for the input command)" })
        .option('size', { type: 'string', describe: 'with --script: screens of WxH (default: 100 columns, as tall as needed)' }),
    (a) => stepCommand({ ...(a as object), env: [] } as never, kernelOptions(a as never)).then((st) => process.exit(st), (e) => (e instanceof ExecError ? fail(e.message, e.status) : fail(`internal error: ${(e as Error).message}`, 70))))
    .command('demo', 'the seed end to end: number_of_the_beast, and the three roads counted', (y) => y, () =>
      process.exit(seedDemo({ epochNs: BigInt(Date.now()) * 1_000_000n }, (s) => process.stdout.write(s))))
    .demandCommand(1, 'name a command: run, trace, step, vdso or demo')
    .strict()
    .fail((msg, err) => {
      if (err) throw err;
      fail(msg.replace(/\s*\n\s*/g, ' '), 2); // yargs puts some messages on several lines
    })
    .help()
    .parse();
}

try {
  main();
} catch (e) {
  if (process.env.COLONEL_DEBUG) throw e;
  fail(`internal error: ${(e as Error).message} (set COLONEL_DEBUG=1 for details)`, 70);
}
