// Specialized exec functions. A closure that captures its operation (`op`, a condition code) shares
// its code and type feedback with every other closure made by the same literal, so V8 cannot fold the
// operation away or inline what it calls. Compiling a small source template per (operation, size,
// form) gives each exec function code of its own, with the operation a constant. The bound names are
// the template's only free variables, so the result does not depend on how TypeScript emitted this
// module. This is also the seed of the block compiler: a block is a concatenation of such templates.

import type { ExecFn } from './insn.js';

const cache = new Map<string, ExecFn>();

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
  return fn;
}
