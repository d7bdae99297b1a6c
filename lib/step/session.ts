// A step session: the machine plus what the view shows between commands (registers changed by the
// last command, its explanation, command output, a one-line message) and the commands themselves,
// with gdb's names and keys. Bad input never ends a session: it becomes the one-line message.

import type { Kernel } from '../../kernel/kernel.js';
import { Reg, REG_NAMES } from '../../cpu/cpu.js';
import { Machine, type Stop } from './machine.js';
import { CROSSINGS, KERNEL_CROSSINGS, replayKey, type Crossing } from './events.js';
import { explainEvents, explainNext } from './explain.js';
import { decodeAt, hexAddr } from './peek.js';
import { evalAddress, parseNumber } from './symbols.js';
import { breakpointProblem, examine, HELP, infoBreakpoints, infoMaps, infoRegisters } from './commands.js';
import { decodeVvar } from './vvar.js';

export interface SessionOptions {
  /** Shown in the title (argv[0]). */
  name: string;
  /** Instructions between snapshots. */
  interval?: number;
  /** Guest stdin, when given up front (else the guest's reads wait for `input`). */
  stdin?: Uint8Array;
  /** Instructions one continue/until/finish runs at most before it stops to show where it is. */
  budget?: number;
}

/** How the process ended, in words. */
export function exitText(k: Kernel): string {
  const x = k.exit;
  if (!x) return 'running';
  return x.kind === 'signaled' ? `killed: ${x.message}, status ${x.status}` : `exited with status ${x.status}`;
}

/** Commands that an empty line repeats (as in gdb). */
const REPEATABLE = new Set(['s', 'si', 'step', 'stepi', 'n', 'ni', 'next', 'nexti', 'c', 'cont', 'continue', 'finish', 'fin', 'u', 'until', 'rs', 'rsi', 'reverse-stepi', 'reverse-step', 'rc', 'reverse-continue', 'x']);

export class Session {
  readonly m: Machine;
  /** Registers the last command changed (names as info registers spells them). */
  changed = new Set<string>();
  /** Paragraphs: what the last command did at the crossings, then what the next instruction will do. */
  explanation: string[] = [];
  /** Output of an information command (replaces the explanation pane until the next step). */
  info: { title: string; lines: string[] } | null = null;
  message = '';
  quit = false;
  /** The last command, which Enter repeats. */
  last = '';
  /** Commands run so far. */
  count = 0;
  /** Bumped whenever the machine moved or changed (a new view is worth printing). */
  version = 0;

  constructor(kernel: Kernel, readonly opts: SessionOptions) {
    this.m = new Machine(kernel, { interval: opts.interval, stdin: opts.stdin });
    this.explanation = [
      `The program is loaded and stopped at its entry point, before its first instruction. Step with \`si\`, run to the next crossing into the kernel with \`until kernel\`, into the vDSO with \`until vdso\`, or \`?\` for every command.`,
      ...explainNext(this.m),
    ];
  }

  get kernel(): Kernel {
    return this.m.kernel;
  }

  /** Every register the view shows, by name. */
  registers(): Map<string, bigint> {
    const c = this.kernel.cpu;
    const out = new Map<string, bigint>();
    REG_NAMES.forEach((n, i) => out.set(n, c.get(i)));
    out.set('rip', BigInt.asUintN(64, BigInt(c.rip)));
    out.set('eflags', BigInt(c.getFlags()));
    out.set('fs_base', BigInt.asUintN(64, BigInt(c.fsBase)));
    return out;
  }

  /** Run one command line. */
  execute(line: string): void {
    let text = line.trim();
    if (text === '') {
      if (!this.last) return;
      text = this.last;
    }
    this.count++;
    const [cmd0, ...rest] = text.split(/\s+/);
    const cmd = cmd0.startsWith('x/') ? 'x' : cmd0.toLowerCase();
    const arg = text.slice(cmd0.length).trim();
    if (REPEATABLE.has(cmd)) this.last = text;
    this.message = '';
    try {
      this.dispatch(cmd, cmd0, arg, rest);
    } catch (e) {
      if (process.env.COLONEL_DEBUG) throw e;
      this.message = `error: ${(e as Error).message}`;
    }
  }

  private dispatch(cmd: string, cmd0: string, arg: string, rest: string[]): void {
    const m = this.m;
    const count = (d = 1): number | null => {
      if (!arg) return d;
      const n = parseNumber(arg);
      return n !== null && n > 0 && Number.isInteger(n) ? n : null;
    };
    switch (cmd) {
      case 's': case 'si': case 'step': case 'stepi': {
        const n = count();
        if (n === null) return this.bad(`${cmd0} takes a positive count, not "${arg}"`);
        return this.exec(() => m.run({ stopAt: m.icount + n, observe: true, breakpoints: n > 1 }));
      }
      case 'n': case 'ni': case 'next': case 'nexti': {
        const n = count();
        if (n === null) return this.bad(`${cmd0} takes a positive count, not "${arg}"`);
        return this.exec(() => {
          let s: Stop = { kind: 'done' };
          for (let i = 0; i < n && s.kind === 'done'; i++) s = this.next();
          return s;
        });
      }
      case 'finish': case 'fin':
        return this.exec(() => this.finish());
      case 'c': case 'cont': case 'continue':
        return this.exec(() => m.run({ breakpoints: true, budget: this.opts.budget }));
      case 'u': case 'until': {
        const kinds = arg ? arg.split(/[\s,|]+/) : [];
        const set = new Set<Crossing>();
        for (const k of kinds) {
          if (k === 'kernel') KERNEL_CROSSINGS.forEach((x) => set.add(x));
          else if ((CROSSINGS as readonly string[]).includes(k)) set.add(k as Crossing);
          else return this.bad(`until: "${k}" is not a crossing (syscall, vdso, vsyscall, tick, fault, kernel)`);
        }
        if (!set.size) return this.bad('until what? until syscall | vdso | vsyscall | tick | fault | kernel');
        return this.exec(() => m.run({ until: set, breakpoints: true, budget: this.opts.budget }));
      }
      case 'rs': case 'rsi': case 'reverse-stepi': case 'reverse-step': {
        const n = count();
        if (n === null) return this.bad(`${cmd0} takes a positive count, not "${arg}"`);
        return this.reverse(Math.max(m.history.start(), m.icount - n));
      }
      case 'rc': case 'reverse-continue':
        return this.reverse(null);
      case 'b': case 'break': {
        if (!arg) return this.bad('break where? b ADDRESS or b SYMBOL (b main, b __vdso_clock_gettime, b 0x401000)');
        const a = evalAddress(arg, this.kernel, m.symbols);
        if (typeof a === 'string') return this.bad(a);
        const problem = breakpointProblem(m, a);
        if (problem) return this.bad(`breakpoint at 0x${hexAddr(a)} can never hit: ${problem}`);
        const bp = m.addBreakpoint(a, arg);
        const sym = m.symbols.symbolize(a);
        this.message = `Breakpoint ${bp.id} at 0x${hexAddr(a)}${sym ? ` <${sym}>` : ''}`;
        return;
      }
      case 'd': case 'delete': {
        if (!arg) {
          this.message = m.deleteBreakpoint() ? 'Deleted all breakpoints' : 'No breakpoints to delete';
          return;
        }
        const id = parseNumber(arg);
        if (id === null || !m.deleteBreakpoint(id)) return this.bad(`No breakpoint number ${arg}`);
        this.message = `Deleted breakpoint ${id}`;
        return;
      }
      case 'i': case 'info': {
        const what = rest[0] ?? '';
        if (what === 'r' || what === 'registers' || what === 'reg') return this.show('info registers', infoRegisters(this, rest.slice(1)));
        if (what === 'maps' || what === 'proc' || what === 'map') return this.show('info maps: /proc/self/maps', infoMaps(m));
        if (what === 'b' || what === 'breakpoints' || what === 'break') return this.show('info breakpoints', infoBreakpoints(m));
        return this.bad(`info what? info registers [REG] | info maps | info breakpoints`);
      }
      case 'x': {
        const r = examine(m, cmd0, arg);
        if (typeof r === 'string') return this.bad(r);
        return this.show(`${cmd0} ${arg}`, r);
      }
      case 'vvar':
        return this.show('vvar: the kernel\'s data page, decoded from kernel/vdso/datapage.ts', decodeVvar(this.kernel, { all: arg === 'all' }));
      case 'set': {
        const mm = /^([a-z_]\w*)\s*(?:=|\s)\s*(-?(?:0x[0-9a-f]+|\d+))$/i.exec(arg);
        if (!mm) return this.bad('set NAME=NUMBER, e.g. set vnotb=42');
        if (mm[1] !== 'vnotb') return this.bad(`set ${mm[1]}: unknown kernel parameter (known: vnotb)`);
        const v = parseNumber(mm[2])!;
        if (!Number.isSafeInteger(v)) return this.bad(`set vnotb: ${mm[2]} is out of range`);
        const from = m.events.length;
        m.set('vnotb', v);
        this.version++;
        this.info = null;
        this.explanation = explainEvents(m, from, m.events.length);
        this.message = `vnotb = ${v}`;
        return;
      }
      case 'input': {
        m.tape.add(m.icount, new TextEncoder().encode(arg.replace(/\\n/g, '\n') + '\n'));
        this.message = `input queued for the guest's stdin (${arg.length + 1} bytes)`;
        return;
      }
      case 'eof':
        m.tape.add(m.icount, null);
        this.message = 'the guest\'s stdin is at end of file';
        return;
      case 'e': case 'explain':
        return this.show('explanation', this.explanation);
      case '?': case 'h': case 'help':
        return this.show('commands', HELP);
      case 'q': case 'quit': case 'exit':
        this.quit = true;
        return;
      default:
        return this.bad(`unknown command "${cmd0}" (? lists the commands)`);
    }
  }

  private bad(msg: string): void {
    this.message = msg;
  }

  private show(title: string, lines: string[]): void {
    this.info = { title, lines };
  }

  /** Run an execution command and describe it: changed registers, explanation, stop message. */
  private exec(run: () => Stop): void {
    const m = this.m;
    if (this.kernel.exit) {
      this.message = `The program is not running (${exitText(this.kernel)}). rs or rc go back.`;
      return;
    }
    const before = this.registers();
    const from = m.events.length, startAt = m.icount;
    const stop = run();
    this.version++;
    const after = this.registers();
    this.changed = new Set([...after].filter(([k, v]) => before.get(k) !== v).map(([k]) => k));
    this.info = null;
    const ran = m.icount - startAt;
    this.explanation = [...explainEvents(m, Math.min(from, m.events.length), m.events.length), ...explainNext(m)];
    if (!this.explanation.length) {
      const where = m.inVdso(this.kernel.cpu.rip) ? 'inside the vDSO (still user mode: no crossing into the kernel)' : "in the program's own code: no crossing into the kernel or the vDSO";
      this.explanation = [`${ran} instruction${ran === 1 ? '' : 's'} in user mode, ${where}.`];
    }
    this.message = this.stopMessage(stop, ran);
  }

  private stopMessage(s: Stop, ran: number): string {
    const m = this.m;
    const here = `0x${hexAddr(this.kernel.cpu.rip)}${m.symbols.symbolize(this.kernel.cpu.rip) ? ` <${m.symbols.symbolize(this.kernel.cpu.rip)}>` : ''}`;
    const n = `${ran} instruction${ran === 1 ? '' : 's'}`;
    switch (s.kind) {
      case 'breakpoint': return `Breakpoint ${s.id}, ${here} (after ${n})`;
      case 'crossing':
        switch (s.crossing) {
          case 'syscall': return `stopped before a syscall at ${here} (after ${n})`;
          case 'vdso': return `entered the vDSO: ${here} (after ${n})`;
          case 'vsyscall': return `stopped before fetching at ${here} (after ${n})`;
          case 'tick': return `a timer tick ran update_vsyscall (after ${n})`;
          default: return `stopped at a fault at ${here} (after ${n})`;
        }
      case 'exit': {
        return `[process ${exitText(this.kernel)}] (after ${n})`;
      }
      case 'blocked': return `the program waits for input on stdin: type \`input TEXT\` (a line) or \`eof\``;
      case 'limit': return `stopped after ${n}, no stop reached yet (c goes on)`;
      default: return ran > 1 ? `${n}` : '';
    }
  }

  /** ni: over a call (to the instruction after it, at the same stack depth); else one instruction. */
  private next(): Stop {
    const m = this.m, c = this.kernel.cpu;
    const d = decodeAt(this.kernel.mem, c.rip);
    if (!d || d.row.flow !== 'call') return m.run({ stopAt: m.icount + 1, observe: true });
    return m.run({ breakpoints: true, budget: this.opts.budget, returnTo: { addr: d.next, rsp: c.getS(Reg.RSP) } });
  }

  /** finish: until a ret takes the stack above where it is now (the current function returned). */
  private finish(): Stop {
    const m = this.m, c = this.kernel.cpu;
    const rsp0 = c.getS(Reg.RSP);
    let wasRet = false;
    const s = m.run({
      breakpoints: true,
      budget: 50_000_000,
      before: () => {
        wasRet = decodeAt(this.kernel.mem, c.rip)?.row.flow === 'ret';
      },
      after: () => wasRet && c.getS(Reg.RSP) > rsp0,
    });
    if (s.kind === 'done') this.explanation = [];
    return s;
  }

  /** rs / rc: go back to `target` (rc: the last breakpoint hit before now, or the start). */
  private reverse(target: number | null): void {
    const m = this.m;
    const now = m.icount;
    const before = this.registers();
    const keys = m.events.map(replayKey);
    let msg: string;
    if (target === null) {
      const hit = m.findPreviousHit(now);
      target = hit ?? m.history.start();
      msg = hit === null ? `No breakpoint was reached earlier: back at the start (#${target})` : `Breakpoint reached at #${target}`;
    } else msg = `went back ${now - target} instruction${now - target === 1 ? '' : 's'}`;
    const undone = m.events.filter((e, i) => e.at >= target! && e.at < now && keys[i] !== null).length;
    const warning = m.land(target);
    this.version++;
    const after = this.registers();
    this.changed = new Set([...after].filter(([k, v]) => before.get(k) !== v).map(([k]) => k));
    this.info = null;
    this.explanation = [
      `Reverse: the machine is back at #${m.icount}, restored from a snapshot (registers, memory, kernel state) and re-executed up to here. ${undone ? `${undone} crossing${undone === 1 ? '' : 's'} between here and #${now} ${undone === 1 ? 'is' : 'are'} undone, and the output ${undone === 1 ? 'it' : 'they'} wrote is withdrawn from the output pane.` : 'No crossing was undone.'}`,
      ...explainNext(m),
    ];
    this.message = warning ? `${msg}. WARNING: ${warning}` : `${msg}: #${m.icount}`;
  }
}
