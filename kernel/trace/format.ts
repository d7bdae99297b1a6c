// Rendering trace events: as strace's lines (text) or one JSON object per line (--json).
//
// Text follows strace 6: `name(args)`, padded to column 40, `= result`; `-t`/`-tt`/`-ttt` and `-i`
// prefixes; `-T` appends the call's modeled cost; `-k` prints one ` > object(symbol+off) [offset]` line
// per frame. colonel adds a road marker before vDSO and vsyscall calls (`[vdso] `, `[vsyscall] `) and
// indents a syscall made inside a vDSO call, after the vDSO call's unfinished line, exactly as strace
// shows a call interrupted by another (`<unfinished ...>` ... `<... name resumed>`).

import type { CallEvent, InsnEvent, TraceEvent, TraceSink, SummaryRow } from './events.js';
import type { Frame } from './stack.js';
import { u64 } from './kinds.js';

/** Colour hooks; the command line fills them from chalk when colour is on. */
export interface Style {
  road(s: string): string;
  name(s: string): string;
  error(s: string): string;
  signal(s: string): string;
  exit(s: string): string;
  dim(s: string): string;
}
const plain = (s: string) => s;
export const PLAIN: Style = { road: plain, name: plain, error: plain, signal: plain, exit: plain, dim: plain };

export interface TextOptions {
  /** -t count: 1 HH:MM:SS, 2 with microseconds, 3 seconds since the epoch. */
  timestamps: number;
  /** -i */
  rip: boolean;
  /** -T */
  cost: boolean;
  style: Style;
  write(text: string): void;
  /** Where strace's notices go (`[ Process PID=N runs in 32 bit mode. ]`): its stderr, so not into -o's file. Default: write. */
  notice?(text: string): void;
}

const COLUMN = 40;

export const hex16 = (v: number) => u64(v).toString(16).padStart(16, '0');

function timePrefix(realNs: bigint, mode: number): string {
  if (!mode) return '';
  const sec = realNs / 1_000_000_000n;
  const usec = String((realNs / 1000n) % 1_000_000n).padStart(6, '0');
  if (mode >= 3) return `${sec}.${usec} `;
  const d = new Date(Number(sec) * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  const hms = `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  return mode === 2 ? `${hms}.${usec} ` : `${hms} `;
}

export class TextSink implements TraceSink {
  constructor(private readonly o: TextOptions) {}

  private prefix(e: { realNs: bigint }, rip: number | null): string {
    return timePrefix(e.realNs, this.o.timestamps) + (this.o.rip && rip !== null ? `[${hex16(rip)}] ` : '');
  }

  private marker(c: CallEvent): string {
    return c.road === 'syscall' ? (c.depth ? '  ' : '') : this.o.style.road(`[${c.road}]`) + ' ';
  }

  private static plainMarker(c: CallEvent): string {
    return c.road === 'syscall' ? (c.depth ? '  ' : '') : `[${c.road}] `;
  }

  /** `head` padded to column 40, then `= result`, -T's cost, and -k's frames. */
  private finish(plainHead: string, head: string, c: CallEvent): void {
    const pad = plainHead.length < COLUMN ? ' '.repeat(COLUMN - plainHead.length) : ' ';
    const res = c.errno ? this.o.style.error(c.resultText) : c.resultText;
    const cost = this.o.cost && !c.synthetic ? ` <${c.cycles} cycles>` : '';
    this.o.write(`${head}${pad}= ${res}${cost}\n`);
    if (c.stack) for (const f of c.stack) this.o.write(this.o.style.dim(frameLine(f)) + '\n');
  }

  begin(c: CallEvent): void {
    const shown = c.args.slice(0, c.entryArgs).filter((a) => a.text !== null).map((a) => a.text);
    const more = c.args.length > c.entryArgs;
    const args = shown.join(', ') + (more && shown.length ? ', ' : '');
    const text = `${this.prefix(c, c.rip)}${this.marker(c)}${this.o.style.name(c.name)}(${args} <unfinished ...>\n`;
    this.o.write(text);
  }

  event(e: TraceEvent): void {
    const s = this.o.style;
    if (e.type === 'signal') {
      this.o.write(s.signal(`${this.prefix(e, null)}--- ${e.signal} {${e.siginfo}} ---`) + '\n');
      return;
    }
    if (e.type === 'insn') {
      this.o.write(insnLine(e, s) + '\n');
      return;
    }
    if (e.type === 'personality') {
      (this.o.notice ?? this.o.write)(`[ Process PID=${e.pid} runs in ${e.bits} bit mode. ]\n`);
      return;
    }
    if (e.type === 'exit') {
      const what = e.how === 'exited' ? `exited with ${e.code}` : e.how === 'killed' ? `killed by ${e.signal}` : `stopped at the instruction limit after ${e.insns} instructions`;
      this.o.write(s.exit(`${this.prefix(e, null)}+++ ${what} +++`) + '\n');
      return;
    }
    const args = e.args.filter((a) => a.text !== null).map((a) => a.text).join(', ');
    const pre = this.prefix(e, e.rip);
    if (e.resumed) {
      const rest = e.args.slice(e.entryArgs).filter((a) => a.text !== null).map((a) => a.text).join(', ');
      const plainHead = `${pre}${TextSink.plainMarker(e)}<... ${e.name} resumed>${rest})`;
      this.finish(plainHead, `${pre}${this.marker(e)}<... ${s.name(e.name)} resumed>${rest})`, e);
      return;
    }
    const plainHead = `${pre}${TextSink.plainMarker(e)}${e.name}(${args})`;
    this.finish(plainHead, `${pre}${this.marker(e)}${s.name(e.name)}(${args})`, e);
  }

  summary(text: string): void {
    this.o.write(text);
  }
}

/** `401136 <main+0x6>:  48 89 e5              mov    rbp,rsp                 ; rbp=0x7ffc...` */
export function insnLine(e: InsnEvent, s: Style = PLAIN): string {
  const bytes = Array.from(e.bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
  const head = `${u64(e.addr).toString(16).padStart(8)} ${e.symbol ? `<${e.symbol}>` : ''}:`;
  const changes = e.changes.map(([r, v]) => `${r}=${v}`).join(' ');
  return `${s.dim(head.padEnd(36))} ${bytes.padEnd(23)} ${changes ? e.text.padEnd(40) + s.dim(' ; ' + changes) : e.text}`;
}

export function frameLine(f: Frame): string {
  return ` > ${f.object}(${f.symbol ?? ''}) [0x${f.offset.toString(16)}]`;
}

/** A virtual realtime as ISO 8601 with nanoseconds, in UTC. */
export function isoNs(realNs: bigint): string {
  const sec = realNs / 1_000_000_000n;
  const ns = String(realNs % 1_000_000_000n).padStart(9, '0');
  return new Date(Number(sec) * 1000).toISOString().replace(/\.\d{3}Z$/, `.${ns}Z`);
}

/** One JSON object per line; the schema is in README.md. */
export class JsonSink implements TraceSink {
  constructor(private readonly write: (text: string) => void) {}

  event(e: TraceEvent): void {
    if (e.type === 'insn') {
      this.write(JSON.stringify({
        type: 'insn', addr: '0x' + u64(e.addr).toString(16), symbol: e.symbol, bytes: Array.from(e.bytes, (b) => b.toString(16).padStart(2, '0')).join(' '),
        text: e.text, changes: Object.fromEntries(e.changes), insns: e.insns,
      }) + '\n');
      return;
    }
    const stamp = { insns: e.insns, mono_ns: Number(e.monoNs), time: isoNs(e.realNs) };
    let o: Record<string, unknown>;
    if (e.type === 'call') {
      o = {
        type: 'call', seq: e.seq, road: e.road, name: e.name, nr: e.nr,
        args: e.args.map((a) => ({ name: a.name, value: a.text, raw: a.raw })),
        result: e.result, result_text: e.resultText, errno: e.errno, rip: '0x' + u64(e.rip).toString(16),
        ...stamp, call_insns: e.callInsns, cycles: e.cycles, depth: e.depth, parent: e.parent,
        ...(e.stack ? { stack: e.stack.map((f) => ({ addr: '0x' + u64(f.addr).toString(16), symbol: f.symbol, object: f.object, offset: f.offset })) } : {}),
        ...(e.synthetic ? { synthetic: true } : {}),
      };
    } else if (e.type === 'personality') {
      o = { type: 'personality', bits: e.bits, pid: e.pid, ...stamp };
    } else if (e.type === 'signal') {
      o = { type: 'signal', signo: e.signo, signal: e.signal, code: e.code, siginfo: e.siginfo, ...stamp };
    } else {
      o = { type: 'exit', how: e.how, status: e.status, code: e.code, signal: e.signal, ...stamp };
    }
    this.write(JSON.stringify(o) + '\n');
  }

  summary(_text: string, rows: SummaryRow[]): void {
    this.write(JSON.stringify({ type: 'summary', rows: rows.map((r) => ({ road: r.road, name: r.name, calls: r.calls, errors: r.errors, insns: r.insns, cycles: r.cycles })) }) + '\n');
  }
}

/**
 * Holds events while an instruction is being stepped (--insns), so that the instruction's own line comes
 * before the lines of the syscall or vDSO return it caused.
 */
export class HoldingSink implements TraceSink {
  private held: (() => void)[] | null = null;

  constructor(readonly inner: TraceSink) {}

  hold(): void {
    this.held ??= [];
  }

  release(): void {
    const h = this.held;
    this.held = null;
    if (h) for (const f of h) f();
  }

  private run(f: () => void): void {
    if (this.held) this.held.push(f);
    else f();
  }

  begin(c: CallEvent): void {
    this.run(() => this.inner.begin?.(c));
  }

  event(e: TraceEvent): void {
    this.run(() => this.inner.event(e));
  }

  summary(text: string, rows: SummaryRow[]): void {
    this.release();
    this.inner.summary?.(text, rows);
  }
}
