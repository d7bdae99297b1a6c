// Specialized exec functions. A closure that captures its operation (`op`, a condition code) shares
// its code and type feedback with every other closure made by the same literal, so V8 cannot fold the
// operation away or inline what it calls. Compiling a small source template per (operation, size,
// form) gives each exec function code of its own, with the operation a constant. The bound names are
// the template's only free variables, so the result does not depend on how TypeScript emitted this
// module. The same template is the block compiler's input (engine.ts): there it is inlined with the
// decoded instruction's fields as constants, so one description serves interpreter and compiler.

import type { ExecFn } from './insn.js';

/** A template an exec function was compiled from: `(c, d) => ...` and its free variables. */
export interface ExecTemplate {
  src: string;
  bind: Record<string, unknown>;
}

const cache = new Map<string, ExecFn>();
const templates = new WeakMap<ExecFn, ExecTemplate>();

/**
 * Compile `src` (an arrow function `(c, d) => ...`) with `bind` as its free variables. Identical
 * (src, bind) pairs return the same function.
 */
export function specialize(key: string, src: string, bind: Record<string, unknown>): ExecFn {
  let fn = cache.get(key);
  if (fn) return fn;
  const names = Object.keys(bind);
  fn = new Function(...names, `"use strict"; return (${src});`)(...names.map((n) => bind[n])) as ExecFn;
  cache.set(key, fn);
  templates.set(fn, { src, bind });
  return fn;
}

/** The template `fn` was compiled from, if it was made by specialize(). */
export function templateOf(fn: ExecFn): ExecTemplate | undefined {
  return templates.get(fn);
}
