// The native oracle: run instruction bytes on the host CPU (native-exec.c) and the same bytes in
// colonel, and compare the two. Used by the tests/isa-*.test.ts files through suite.ts.
//
// A case is a code string (one or more instructions), the sixteen registers, the status flags (and
// DF), and a 64-byte memory window at WINDOW. The native program maps its code page, the window's
// data pages and the stack at the very addresses tests/helpers/machine.ts uses, so rip-relative
// operands, addresses held in registers and faults agree on both sides.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machine, CODE, DATA, STACK_TOP } from '../helpers/machine.js';
import { REG_NAMES } from '../../cpu/cpu.js';
import { STATUS, DF } from '../../cpu/flags.js';

export const WINDOW = DATA + 0x100;
export const WINDOW_LEN = 64;
/** Regions both sides map read/write (and zero before each case): the data pages and the stack. */
export const MAPS: readonly [number, number][] = [[DATA, 0x2000], [STACK_TOP - 0x10000, 0x10000]];
/** The flags a case loads and the comparison looks at. */
export const FLAG_BITS = STATUS | DF;
export const DEFAULT_RSP = BigInt(STACK_TOP - 0x100);

export interface Case {
  /** The ISA row the (first) instruction must decode to. */
  row: string;
  code: Uint8Array;
  /** rax..r15, unsigned 64-bit. */
  regs: bigint[];
  rflags: number;
  /** The window's bytes (zeros when null). */
  mem: Uint8Array | null;
  /** Extra prefixes may make the bytes another row's (bsf with F3 is tzcnt): do not insist on `row`. */
  loose?: boolean;
}

export interface Outcome {
  regs: bigint[];
  /** Status flags and DF only. */
  rflags: number;
  mem: Uint8Array;
  /** null, or the exception: DE, UD, GP, PF, BP, AC... */
  fault: string | null;
  /** For a fault: offset of the faulting instruction from CODE; for #PF the address. */
  rip?: number;
  addr?: bigint;
}

/** The memory window's background: cases change the bytes they care about. */
export function windowPattern(): Uint8Array {
  const p = new Uint8Array(WINDOW_LEN);
  for (let i = 0; i < WINDOW_LEN; i++) p[i] = (i * 0x1d + 0x5b) & 0xff;
  return p;
}

/** A register file of recognizable values, for the registers a case does not care about. */
export function defaultRegs(): bigint[] {
  const r: bigint[] = [];
  for (let i = 0; i < 16; i++) r.push(0x5a5a0000_00000000n | (BigInt(i) * 0x01010101n) | (BigInt(i) << 40n));
  r[4] = DEFAULT_RSP;
  return r;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

// ---------- the native side ----------

export interface NativeOracle {
  run(cases: readonly Case[]): Outcome[];
}

let cached: NativeOracle | string | undefined;

/** The native oracle, or the reason it is not available here (a string) so tests can skip. */
export function nativeOracle(): NativeOracle | string {
  if (cached !== undefined) return cached;
  if (process.env.COLONEL_NO_NATIVE) return (cached = 'COLONEL_NO_NATIVE is set');
  if (process.arch !== 'x64' || process.platform !== 'linux') return (cached = `host is ${process.platform}/${process.arch}, not linux/x64`);
  const src = join(dirname(fileURLToPath(import.meta.url)), 'native-exec.c');
  if (!existsSync(src)) return (cached = `${src} is missing`);
  const dir = mkdtempSync(join(tmpdir(), 'colonel-oracle-'));
  const bin = join(dir, 'native-exec');
  try {
    execFileSync('gcc', ['-O1', '-o', bin, src], { stdio: 'pipe' });
  } catch (e) {
    return (cached = `gcc could not build the oracle: ${(e as Error).message.split('\n')[0]}`);
  }
  const args = [CODE.toString(16), WINDOW.toString(16), ...MAPS.map(([a, l]) => `${a.toString(16)}:${l.toString(16)}`)];
  const oracle: NativeOracle = {
    run(cases) {
      const input = cases.map((c) => `${hex(c.code)} ${c.regs.map((v) => BigInt.asUintN(64, v).toString(16)).join(' ')} ${(c.rflags & FLAG_BITS).toString(16)} ${hex(c.mem ?? new Uint8Array(WINDOW_LEN))}`).join('\n') + '\n';
      const r = spawnSync(bin, args, { input, maxBuffer: 1 << 30, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`native-exec failed (${r.status}): ${r.stderr}`);
      const lines = r.stdout.trim().split('\n');
      if (lines.length !== cases.length) throw new Error(`native-exec answered ${lines.length} of ${cases.length} cases`);
      return lines.map((l) => {
        const j = JSON.parse(l) as { regs: string[]; rflags: string; mem: string; fault: string | null; rip?: number; addr?: string };
        const o: Outcome = {
          regs: j.regs.map((s) => BigInt('0x' + s)),
          rflags: parseInt(j.rflags, 16) & FLAG_BITS,
          mem: Uint8Array.from(Buffer.from(j.mem, 'hex')),
          fault: j.fault,
        };
        if (j.fault) {
          o.rip = j.rip;
          if (j.fault === 'PF') o.addr = BigInt('0x' + j.addr);
        }
        return o;
      });
    },
  };
  // Probe with a nop: fixed mappings or an RWX page may be refused (old kernels, hardening).
  try {
    const r = oracle.run([{ row: 'nop', code: Uint8Array.of(0x90), regs: defaultRegs(), rflags: 0, mem: null }]);
    if (r[0].fault) return (cached = `the oracle faulted on a nop (${r[0].fault})`);
  } catch (e) {
    return (cached = `the oracle does not run here: ${(e as Error).message.split('\n')[0]}`);
  }
  return (cached = oracle);
}

/** The host CPU's vendor string (AuthenticAMD, GenuineIntel), or '' when unknown. */
export function hostVendor(): string {
  try {
    return /^vendor_id\s*:\s*(\S+)/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '';
  } catch {
    return '';
  }
}

// ---------- colonel's side ----------

const VECTOR_NAMES: Record<number, string> = { 0: 'DE', 1: 'DB', 3: 'BP', 6: 'UD', 13: 'GP', 14: 'PF', 16: 'MF', 17: 'AC', 19: 'XM' };

/** Run a case in colonel. Also returns the id of the row the first instruction decoded to. */
export function runColonel(c: Case): Outcome & { decoded: string | null } {
  const m = machine(c.code);
  m.set({ rflags: BigInt(c.rflags & FLAG_BITS) });
  for (let i = 0; i < 16; i++) m.cpu.set(i, BigInt.asUintN(64, c.regs[i]));
  if (c.mem) m.poke(WINDOW, c.mem);
  let decoded: string | null = null;
  try {
    decoded = m.engine.insnAt(CODE).row.id;
  } catch {
    decoded = null;
  }
  const end = CODE + c.code.length;
  let fault: Outcome['fault'] = null, rip: number | undefined, addr: bigint | undefined;
  for (let n = 0; n < 64 && m.cpu.rip !== end; n++) {
    m.step();
    if (m.last?.kind === 'fault') {
      const f = m.last.fault;
      fault = VECTOR_NAMES[f.vector] ?? `V${f.vector}`;
      rip = m.cpu.rip - CODE;
      if (f.vector === 14) addr = BigInt.asUintN(64, BigInt(f.addr));
      break;
    }
  }
  const o: Outcome & { decoded: string | null } = {
    regs: REG_NAMES.map((_, i) => m.cpu.get(i)),
    rflags: m.cpu.getFlags() & FLAG_BITS,
    mem: m.mem.readBytes(WINDOW, WINDOW_LEN),
    fault,
    decoded,
  };
  if (fault) { o.rip = rip; if (addr !== undefined) o.addr = addr; }
  return o;
}

/**
 * Runs many cases in one colonel machine, reset between cases as native-exec resets its process:
 * registers, flags (IF set, as in user mode), the data and stack pages zeroed, the window loaded.
 * Same outcomes as runColonel, about fifteen times faster (no machine, pages or tables to build);
 * used by the fidelity harness (tests/fidelity/) for its millions of cases.
 */
export class ColonelRunner {
  private readonly m = machine(new Uint8Array(4096 - 16)); // one code page, r-x
  private codeLen = 0;
  private readonly zero = new Uint8Array(4096);
  /** Most instructions a case may run (rep strings step once per iteration). */
  maxSteps = 4096;

  /** The outcome, the row the first instruction decoded to, and for a fault the faulting instruction's length. */
  run(c: Case): Outcome & { decoded: string | null; len?: number } {
    const m = this.m, cpu = m.cpu;
    if (this.codeLen) m.poke(CODE, this.zero.subarray(0, this.codeLen));
    m.poke(CODE, c.code);
    this.codeLen = c.code.length;
    for (const [addr, len] of MAPS) for (let a = addr; a < addr + len; a += 4096) m.mem.page(a / 4096)!.data.fill(0);
    if (c.mem) m.poke(WINDOW, c.mem);
    for (let i = 0; i < 16; i++) cpu.set(i, BigInt.asUintN(64, c.regs[i]));
    cpu.setFlags((c.rflags & FLAG_BITS) | 0x200, 0xffffffff);
    cpu.rip = CODE;
    cpu.fsBase = cpu.gsBase = 0;
    m.last = null;
    let decoded: string | null = null;
    try {
      decoded = m.engine.insnAt(CODE).row.id;
    } catch {
      decoded = null;
    }
    const end = CODE + c.code.length;
    let fault: Outcome['fault'] = null, rip: number | undefined, addr: bigint | undefined;
    for (let n = 0; n < this.maxSteps && cpu.rip !== end; n++) {
      const r = m.engine.step();
      if (r?.kind === 'fault') {
        const f = r.fault;
        fault = VECTOR_NAMES[f.vector] ?? `V${f.vector}`;
        rip = cpu.rip - CODE;
        if (f.vector === 14) addr = BigInt.asUintN(64, BigInt(f.addr));
        break;
      }
    }
    if (!fault && cpu.rip !== end) fault = `rip +${cpu.rip - CODE} after ${this.maxSteps} steps`;
    const o: Outcome & { decoded: string | null; len?: number } = {
      regs: REG_NAMES.map((_, i) => cpu.get(i)),
      rflags: cpu.getFlags() & FLAG_BITS,
      mem: m.mem.readBytes(WINDOW, WINDOW_LEN),
      fault,
      decoded,
    };
    if (fault) {
      o.rip = rip;
      if (addr !== undefined) o.addr = addr;
      try { o.len = m.engine.insnAt(cpu.rip).len; } catch { /* the fault was the fetch */ }
    }
    return o;
  }
}

// ---------- comparison ----------

export const FLAG_LETTERS: Record<string, number> = { o: 1 << 11, s: 1 << 7, z: 1 << 6, a: 1 << 4, p: 1 << 2, c: 1, d: DF };

/** The flag bits named by letters (a row's flags.undef). */
export function flagMask(letters: string | undefined): number {
  let m = 0;
  for (const ch of letters ?? '') m |= FLAG_LETTERS[ch] ?? 0;
  return m;
}

export function flagString(f: number): string {
  return ['o', 'd', 's', 'z', 'a', 'p', 'c'].map((l) => (f & FLAG_LETTERS[l] ? l.toUpperCase() : '.')).join('');
}

/** Differences between the expected (native) outcome and colonel's, ignoring `undef` flag bits. */
export function compareOutcomes(want: Outcome, got: Outcome, undef: number): string[] {
  const out: string[] = [];
  if (want.fault !== got.fault) out.push(`fault: got ${got.fault}, want ${want.fault}`);
  else if (want.fault) {
    if (want.rip !== got.rip) out.push(`fault rip: got +${got.rip}, want +${want.rip}`);
    if (want.addr !== undefined && want.addr !== got.addr) out.push(`fault addr: got ${got.addr?.toString(16)}, want ${want.addr.toString(16)}`);
  }
  for (let i = 0; i < 16; i++) {
    if (want.regs[i] !== got.regs[i]) out.push(`${REG_NAMES[i]}: got 0x${got.regs[i].toString(16)}, want 0x${want.regs[i].toString(16)}`);
  }
  const m = FLAG_BITS & ~undef;
  if ((want.rflags & m) !== (got.rflags & m)) out.push(`flags: got ${flagString(got.rflags & m)}, want ${flagString(want.rflags & m)} (undefined masked: ${flagString(undef)})`);
  if (hex(want.mem) !== hex(got.mem)) out.push(`mem: got ${hex(got.mem)}, want ${hex(want.mem)}`);
  return out;
}

/** A one-line description of a case, for failure messages. */
export function describeCase(c: Case): string {
  const d = defaultRegs();
  const regs = c.regs.map((v, i) => (v !== d[i] ? `${REG_NAMES[i]}=0x${v.toString(16)}` : '')).filter(Boolean).join(' ');
  return `${c.row} [${hex(c.code)}] ${regs} flags=${flagString(c.rflags)}${c.rflags & DF ? '+DF' : ''}${c.mem ? ` mem=${hex(c.mem)}` : ''}`;
}
