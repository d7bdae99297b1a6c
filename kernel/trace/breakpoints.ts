// Several tracers may want the same address (the vDSO tracer's entry hook and --insns's range entry):
// the engine keeps one hook per address, so this multiplexer owns the engine's hook and calls every
// listener registered for the address, in the order they were added.

import type { Cpu } from '../../cpu/cpu.js';
import type { Engine } from '../../cpu/engine.js';

type Hook = (c: Cpu) => void;

export class Breakpoints {
  private readonly hooks = new Map<number, Hook[]>();

  constructor(private readonly engine: Engine) {}

  /** Call `hook` whenever execution reaches `addr`. Returns a function that removes it. */
  add(addr: number, hook: Hook): () => void {
    let list = this.hooks.get(addr);
    if (!list) {
      this.hooks.set(addr, (list = []));
      this.engine.setBreakpoint(addr, (c) => {
        for (const h of [...(this.hooks.get(addr) ?? [])]) h(c);
      });
    }
    list.push(hook);
    return () => this.remove(addr, hook);
  }

  /** Run the hooks at `addr` that `which` selects (a single-stepper passing an address itself). */
  fire(addr: number, c: Cpu, which: (h: Hook) => boolean): void {
    for (const h of [...(this.hooks.get(addr) ?? [])]) if (which(h)) h(c);
  }

  has(addr: number): boolean {
    return this.hooks.has(addr);
  }

  private remove(addr: number, hook: Hook): void {
    const list = this.hooks.get(addr);
    if (!list) return;
    const i = list.indexOf(hook);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) {
      this.hooks.delete(addr);
      this.engine.clearBreakpoint(addr);
    }
  }
}

const perEngine = new WeakMap<Engine, Breakpoints>();

/** The multiplexer of an engine (one per engine, shared by every tracer). */
export function breakpoints(engine: Engine): Breakpoints {
  let b = perEngine.get(engine);
  if (!b) perEngine.set(engine, (b = new Breakpoints(engine)));
  return b;
}
