// Specialized exec functions. A closure that captures its operation (`op`, a condition code) shares
// its code and type feedback with every other closure made by the same literal, so V8 cannot fold the
// operation away or inline what it calls. Compiling a small source template per (operation, size,
// form) gives each exec function code of its own, with the operation a constant. The bound names are
// the template's only free variables, so the result does not depend on how TypeScript emitted this
// module. The same template is the block compiler's input (engine.ts): there it is inlined with the
// decoded instruction's fields as constants, so one description serves interpreter and compiler.

import type { ExecFn, Insn } from './insn.js';

/** A template an exec function was compiled from: `(c, d) => ...` and its free variables. */
export interface ExecTemplate {
  src: string;
  bind: Record<string, unknown>;
  /**
   * Whether the template's flag helpers (see flagOp) run for instruction `d`; absent: always. A shift
   * by CL runs them only for a non-zero count, so it cannot be counted on to overwrite the flags.
   */
  flagsWritten?: (d: Insn) => boolean;
}

const cache = new Map<string, ExecFn>();
const templates = new WeakMap<ExecFn, ExecTemplate>();

/**
 * Compile `src` (an arrow function `(c, d) => ...`) with `bind` as its free variables. Identical
 * (src, bind) pairs return the same function.
 */
export function specialize(key: string, src: string, bind: Record<string, unknown>, opts: Pick<ExecTemplate, 'flagsWritten'> = {}): ExecFn {
  let fn = cache.get(key);
  if (fn) return fn;
  const names = Object.keys(bind);
  fn = new Function(...names, `"use strict"; return (${src});`)(...names.map((n) => bind[n])) as ExecFn;
  cache.set(key, fn);
  templates.set(fn, { src, bind, ...opts });
  return fn;
}

/** The template `fn` was compiled from, if it was made by specialize(). */
export function templateOf(fn: ExecFn): ExecTemplate | undefined {
  return templates.get(fn);
}

/**
 * A helper that templates bind to compute an operation and set the status flags, as the block
 * compiler's flag liveness sees it: every call writes all of `writes` (RFLAGS bits) and reads
 * `reads`; `twin` returns the same result, and leaves the same c.thi, without touching the flags.
 */
export interface FlagOp {
  writes: number;
  reads: number;
  twin: (...args: never[]) => unknown;
}

const flagOps = new WeakMap<object, FlagOp>();

/** Declare `fn` a flag helper (see FlagOp); returns fn. */
export function flagOp<F extends (...args: never[]) => unknown>(fn: F, writes: number, twin: F, reads = 0): F {
  flagOps.set(fn, { writes, reads, twin });
  return fn;
}

/** What `fn` does to the flags, if it was declared with flagOp(). */
export function flagOpOf(fn: unknown): FlagOp | undefined {
  return typeof fn === 'function' ? flagOps.get(fn) : undefined;
}
