// `colonel step`: start a session on a program and drive it from a terminal (lib/step/tty.ts) or
// from a script of commands, printing each step's view as plain text (a handout, or a test's input).

import * as fs from 'node:fs';
import { createProcess, ExecError } from '../api.js';
import type { KernelOptions } from '../../kernel/kernel.js';
import { Session } from './session.js';
import { render, renderInfo } from './view.js';
import { interactive } from './tty.js';

export interface StepArgs {
  program: string;
  args?: string[];
  /** A file of commands (one a line; # starts a comment). */
  script?: string;
  /** A file whose bytes are the guest's stdin (else the guest's reads wait for `input`). */
  stdin?: string;
  /** Fixed screen size for scripts, "WxH" (default: 100 columns, natural height). */
  size?: string;
  env?: string[];
}

/**
 * Load a program for stepping. The clock is always the virtual one: going back re-executes, which
 * must see the same time again.
 */
export function createSession(program: string, argv: string[], kernel: KernelOptions & { env?: string[]; stdin?: Uint8Array; interval?: number; budget?: number }): Session {
  const p = createProcess(program, { ...kernel, clock: 'virtual', argv, env: kernel.env ?? [] });
  return new Session(p.kernel, { name: program.split('/').pop() ?? program, stdin: kernel.stdin, interval: kernel.interval, budget: kernel.budget });
}

export interface ScriptOptions {
  width?: number;
  height?: number | null;
  /** Echo each command as `(colonel) cmd` (default true). */
  echo?: boolean;
}

/**
 * Run commands and return the text: the first view, then for each command the new view (after a
 * command that moved the machine), or its output, or its one-line message.
 */
export function runScript(s: Session, commands: Iterable<string>, o: ScriptOptions = {}): string {
  const width = o.width ?? 100;
  const height = o.height ?? null;
  const out: string[] = [...render(s, { width, height, color: false })];
  for (const raw of commands) {
    const line = raw.replace(/\r$/, '');
    if (/^\s*#/.test(line)) continue;
    const v = s.version;
    s.execute(line);
    if (o.echo !== false) out.push('', `(colonel) ${line.trim()}`);
    if (s.quit) break;
    if (s.version !== v) out.push(...render(s, { width, height, color: false }));
    else out.push(...renderInfo(s, width));
  }
  return out.join('\n') + '\n';
}

function parseSize(size: string | undefined): { width: number; height: number | null } {
  if (!size) return { width: 100, height: null };
  const m = /^(\d+)x(\d+)$/.exec(size);
  if (!m) throw new ExecError(2, `--size ${size}: expected WxH, e.g. 80x24`);
  return { width: Number(m[1]), height: Number(m[2]) };
}

/** The CLI command. Returns the exit status. */
export async function stepCommand(a: StepArgs, kernel: KernelOptions): Promise<number> {
  let stdin: Uint8Array | undefined;
  if (a.stdin !== undefined) {
    try {
      stdin = fs.readFileSync(a.stdin);
    } catch (e) {
      throw new ExecError(2, `--stdin ${a.stdin}: ${(e as NodeJS.ErrnoException).code ?? 'cannot read'}`);
    }
  }
  const size = parseSize(a.size);
  let commands: string[] | null = null;
  if (a.script !== undefined) {
    try {
      commands = fs.readFileSync(a.script, 'utf8').split('\n');
    } catch (e) {
      throw new ExecError(2, `--script ${a.script}: ${(e as NodeJS.ErrnoException).code ?? 'cannot read'}`);
    }
  } else if (!process.stdin.isTTY || !process.stdout.isTTY) {
    commands = fs.readFileSync(0, 'utf8').split('\n');
  }
  if (kernel.clock === 'host') process.stderr.write('colonel step: using the virtual clock (going back re-executes, and must see the same time again)\n');
  // Interactively, a run that reaches no stop comes back after about a second to show where it is.
  const s = createSession(a.program, [a.program, ...(a.args ?? [])], { ...kernel, env: a.env, stdin, budget: commands ? undefined : 20_000_000 });
  if (commands) {
    if (commands.length && commands[commands.length - 1] === '') commands.pop();
    process.stdout.write(runScript(s, commands, size));
    return 0;
  }
  await interactive(s);
  return 0;
}
