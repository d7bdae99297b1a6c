// The library API for test authors and tools: load a program, run it, read what it did.
//
//   const r = runProgram('fixtures/core/hello', { argv: ['hello'], env: {} });
//   r.status, r.stdout, r.instructions
//
// For finer control, createProcess() returns the Kernel with the program loaded, ready to run() or
// to step through its CPU.

import * as fs from 'node:fs';
import { Kernel, type ExitInfo, type KernelOptions } from '../kernel/kernel.js';
import { execve, ExecError } from '../kernel/exec.js';
import { CapturedStream, HostFile } from '../kernel/fs/file.js';
import { installPlatform } from './platform.js';

export interface ProcessOptions extends KernelOptions {
  /** argv; defaults to [path]. */
  argv?: string[];
  /** The complete environment (like env -i). */
  env?: Record<string, string> | string[];
  /** stdin contents for a captured run. */
  stdin?: Uint8Array | string;
  /** Pass the host's fds 0, 1 and 2 through (colonel run) instead of capturing. */
  passthrough?: boolean;
  /** Called with output as it is written, when capturing. */
  onStdout?: (b: Uint8Array) => void;
  onStderr?: (b: Uint8Array) => void;
}

export interface GuestProcess {
  kernel: Kernel;
  stdout: CapturedStream | null;
  stderr: CapturedStream | null;
  diagnostics: string[];
}

export { ExecError };

/** Create a kernel, load `path` into it and set up its standard streams. Throws ExecError. */
export function createProcess(path: string, opts: ProcessOptions = {}): GuestProcess {
  const diagnostics: string[] = [];
  const kernel = new Kernel({
    ...opts,
    diag: opts.diag ?? (opts.passthrough ? undefined : (line) => diagnostics.push(line)),
  });
  installPlatform(kernel);
  let stdout: CapturedStream | null = null;
  let stderr: CapturedStream | null = null;
  if (opts.passthrough) {
    kernel.fds.set(0, new HostFile(0, '/dev/stdin', 0, false));
    kernel.fds.set(1, new HostFile(1, '/dev/stdout', 1, false));
    kernel.fds.set(2, new HostFile(2, '/dev/stderr', 1, false));
  } else {
    const input = typeof opts.stdin === 'string' ? new TextEncoder().encode(opts.stdin) : opts.stdin ?? new Uint8Array(0);
    kernel.fds.set(0, new CapturedStream('pipe:[0]', input));
    kernel.fds.set(1, (stdout = new CapturedStream('pipe:[1]', null, opts.onStdout)));
    kernel.fds.set(2, (stderr = new CapturedStream('pipe:[2]', null, opts.onStderr)));
  }
  const env = Array.isArray(opts.env) ? opts.env : Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`);
  execve(kernel, path, opts.argv ?? [path], env);
  return { kernel, stdout, stderr, diagnostics };
}

export interface RunResult {
  /** The status a shell would show: the exit code, 128 + signal, or 124 when the limit was hit. */
  status: number;
  exit: ExitInfo;
  stdout: string;
  stderr: string;
  stdoutBytes: Uint8Array;
  instructions: number;
  diagnostics: string[];
}

/** Run a program to completion (or `maxInsns`) with captured streams. Throws ExecError. */
export function runProgram(path: string, opts: ProcessOptions & { maxInsns?: number } = {}): RunResult {
  const p = createProcess(path, opts);
  const exit = p.kernel.run(opts.maxInsns ?? Infinity);
  const out = Buffer.concat(p.stdout?.chunks ?? []);
  return {
    status: exit.status,
    exit,
    stdout: out.toString('utf8'),
    stderr: p.stderr?.text() ?? '',
    stdoutBytes: new Uint8Array(out),
    instructions: p.kernel.cpu.icount,
    diagnostics: p.diagnostics,
  };
}

/** True when a path names a readable file (for friendly CLI errors). */
export function exists(path: string): boolean {
  return fs.existsSync(path);
}
