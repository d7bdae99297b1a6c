// Differential testing of the SSE rows against the host CPU.
//
// `generateCases` builds, for every SSE row, random encodings of that row (registers 0..15, register or
// memory operands with varied addressing, redundant REX.W, immediates) and random initial states whose
// lanes favour edge values (0, -1, the signed extremes, small shift counts, equal lanes across the two
// operands). `runNative` executes them on this machine with runner.c; `record` turns a native result into
// a compact line of tests/vectors/sse.jsonl (inputs, then only what changed); `replay` runs one record on
// colonel and lists the differences.
//
// Deliberate divergences normalized here: the host's MXCSR_MASK is 0x2FFFF (AMD misaligned-SSE mode),
// colonel's 0xFFFF (see cpu/isa/sse-state.ts), so fxsave's field at +28 is rewritten and generated MXCSR
// values never set bit 17 alone.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEncoding, type IsaRow, type Operand } from '../../cpu/isa/types.js';
import { Machine, CODE, DATA } from '../helpers/machine.js';
import { REG_NAMES } from '../../cpu/cpu.js';

const HERE = dirname(fileURLToPath(import.meta.url));

/** One test input. xmm values and mem are hex bytes in memory order; gpr values are numbers. */
export interface Case {
  id: string;
  code: string;
  mxcsr: number;
  gpr: Record<string, string>; // register name -> hex value (absent: 0)
  xmm: Record<string, string>; // register number -> 32 hex digits (absent: 0)
  mem: [number, string]; // offset from DATA, bytes
}

/** A full machine state as the runner prints it. */
export interface State {
  fault: string | null; // null, 'GP', 'PF@<hex addr>', 'UD', 'trap<n>'
  gpr: bigint[];
  xmm: string[];
  mxcsr: number;
  mem: string;
}

/** A recorded vector: the case plus the state changes (`out`). */
export interface Vector extends Case {
  out: { fault?: string; gpr?: Record<string, string>; xmm?: Record<string, string>; mxcsr?: number; mem?: string };
}

// ---- native runner ----

/** Compile runner.c (cached in the temp dir by content hash); null when this host cannot run it. */
export function buildRunner(): string | null {
  if (process.platform !== 'linux' || process.arch !== 'x64') return null;
  const src = join(HERE, 'runner.c');
  const hash = createHash('sha256').update(readFileSync(src)).digest('hex').slice(0, 12);
  const dir = join(tmpdir(), 'colonel-oracle-sse');
  const exe = join(dir, `runner-${hash}`);
  if (existsSync(exe)) return exe;
  try {
    mkdirSync(dir, { recursive: true });
    execFileSync('gcc', ['-O1', '-fPIE', '-pie', '-o', exe, src], { stdio: 'pipe' });
  } catch {
    return null;
  }
  return exe;
}

const ZERO16 = '0'.repeat(32);

export function runNative(exe: string, cases: Case[]): State[] {
  const lines = cases.map((k) => {
    const gpr = REG_NAMES.map((n) => k.gpr[n] ?? '0');
    const xmm = Array.from({ length: 16 }, (_, i) => k.xmm[i] ?? ZERO16);
    return [k.code, k.mxcsr.toString(16), ...gpr, ...xmm, k.mem[0].toString(16), k.mem[1] || '-'].join(' ');
  });
  const r = spawnSync(exe, [], { input: lines.join('\n') + '\n', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`sse runner failed: ${r.status} ${r.stderr}`);
  const out = r.stdout.toString().trim().split('\n');
  if (out.length !== cases.length) throw new Error(`sse runner: ${out.length} results for ${cases.length} cases`);
  return out.map((line, i) => {
    const f = line.split(' ');
    let fault: string | null = null;
    if (f[0] !== 'ok') {
      const [, vec, addr] = f[0].split(':');
      fault = vec === '13' ? 'GP' : vec === '14' ? `PF@${addr}` : vec === '6' ? 'UD' : `trap${vec}`;
    }
    const st: State = {
      fault,
      gpr: f.slice(1, 17).map((h) => BigInt('0x' + h)),
      xmm: f.slice(17, 33),
      mxcsr: parseInt(f[33], 16),
      mem: f[34] === '-' ? '' : f[34],
    };
    normalize(cases[i], st);
    return st;
  });
}

/** Rewrite the host's deliberate differences (see the header). */
function normalize(k: Case, st: State): void {
  if (!st.fault && /^fxsave/.test(k.id)) {
    const off = fxOffset(k);
    if (off >= 0) {
      const p = 2 * (off + 28);
      if (st.mem.slice(p, p + 8) === 'ffff0200') st.mem = st.mem.slice(0, p) + 'ffff0000' + st.mem.slice(p + 8);
    }
  }
}

/** Offset of the fxsave area inside the case's memory window (the code's effective address). */
function fxOffset(k: Case): number {
  return parseInt(k.gpr.__ea ?? '-1', 16) - k.mem[0];
}

// ---- colonel side ----

function xmmToBig(hex: string): bigint {
  let v = 0n;
  for (let i = 15; i >= 0; i--) v = (v << 8n) | BigInt(parseInt(hex.slice(2 * i, 2 * i + 2), 16));
  return v;
}
function bigToXmm(v: bigint): string {
  let s = '';
  for (let i = 0; i < 16; i++) s += Number((v >> BigInt(8 * i)) & 0xffn).toString(16).padStart(2, '0');
  return s;
}
const hexBytes = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const fromHex = (h: string) => Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));

/** Run a case on colonel; returns the state in the runner's terms. */
export function runColonel(k: Case): State {
  const m = new Machine(fromHex(k.code));
  const regs: Record<string, bigint> = {};
  for (const [n, v] of Object.entries(k.gpr)) if (!n.startsWith('__')) regs[n] = BigInt('0x' + v);
  m.set(regs);
  for (const [n, v] of Object.entries(k.xmm)) m.setXmm(+n, xmmToBig(v));
  m.cpu.mxcsr = k.mxcsr;
  const [off, bytes] = k.mem;
  if (bytes) m.poke(DATA + off, fromHex(bytes));
  m.step(1);
  let fault: string | null = null;
  if (m.last?.kind === 'fault') {
    const f = m.last.fault;
    fault = f.vector === 13 ? 'GP' : f.vector === 14 ? `PF@${f.addr.toString(16)}` : f.vector === 6 ? 'UD' : `trap${f.vector}`;
  } else if (m.last) fault = `stop:${m.last.kind}`;
  else if (m.reg('rip') !== BigInt(CODE + k.code.length / 2)) fault = `rip 0x${m.reg('rip').toString(16)}`;
  const len = bytes.length / 2;
  return {
    fault,
    gpr: REG_NAMES.map((n) => m.reg(n)),
    xmm: Array.from({ length: 16 }, (_, i) => bigToXmm(m.xmm(i))),
    mxcsr: m.cpu.mxcsr,
    mem: len ? hexBytes(m.mem.readBytes(DATA + off, len)) : '',
  };
}

/** The initial state of a case, in the runner's terms. */
export function initialState(k: Case): State {
  return {
    fault: null,
    gpr: REG_NAMES.map((n) => (k.gpr[n] ? BigInt('0x' + k.gpr[n]) : 0n)),
    xmm: Array.from({ length: 16 }, (_, i) => k.xmm[i] ?? ZERO16),
    mxcsr: k.mxcsr,
    mem: k.mem[1],
  };
}

/** Compact record: the case and what changed. */
export function record(k: Case, st: State): Vector {
  const init = initialState(k);
  const out: Vector['out'] = {};
  if (st.fault) out.fault = st.fault;
  REG_NAMES.forEach((n, i) => {
    if (n !== 'rsp' && st.gpr[i] !== init.gpr[i]) (out.gpr ??= {})[n] = st.gpr[i].toString(16);
  });
  st.xmm.forEach((v, i) => { if (v !== init.xmm[i]) (out.xmm ??= {})[i] = v; });
  if (st.mxcsr !== init.mxcsr) out.mxcsr = st.mxcsr;
  if (st.mem !== init.mem) out.mem = st.mem;
  const gpr = { ...k.gpr };
  delete gpr.__ea;
  return { ...k, gpr, out };
}

/** The full expected state of a record. */
export function expected(v: Vector): State {
  const s = initialState(v);
  if (v.out.gpr) for (const [n, h] of Object.entries(v.out.gpr)) s.gpr[REG_NAMES.indexOf(n as never)] = BigInt('0x' + h);
  if (v.out.xmm) for (const [n, h] of Object.entries(v.out.xmm)) s.xmm[+n] = h;
  if (v.out.mxcsr !== undefined) s.mxcsr = v.out.mxcsr;
  if (v.out.mem !== undefined) s.mem = v.out.mem;
  s.fault = v.out.fault ?? null;
  return s;
}

/** Differences between an expected and an actual state (rsp not compared). */
export function compare(want: State, got: State): string[] {
  const d: string[] = [];
  if (want.fault !== got.fault) d.push(`fault: got ${got.fault}, want ${want.fault}`);
  REG_NAMES.forEach((n, i) => {
    if (n !== 'rsp' && want.gpr[i] !== got.gpr[i]) d.push(`${n}: got ${got.gpr[i].toString(16)}, want ${want.gpr[i].toString(16)}`);
  });
  for (let i = 0; i < 16; i++) if (want.xmm[i] !== got.xmm[i]) d.push(`xmm${i}: got ${got.xmm[i]}, want ${want.xmm[i]}`);
  if (want.mxcsr !== got.mxcsr) d.push(`mxcsr: got ${got.mxcsr.toString(16)}, want ${want.mxcsr.toString(16)}`);
  if (want.mem !== got.mem) d.push(`mem: got ${got.mem}, want ${want.mem}`);
  return d;
}

// ---- case generation ----

import { rng } from '../helpers/rng.js';
export { rng };

const RM_KINDS = new Set<Operand>(['xmm/m128', 'xmm/m64', 'xmm/m32', 'r/m32', 'r/m64', 'm32', 'm64', 'm128', 'm512', 'xmm2', 'r32/m16']);
const MEM_SIZE: Partial<Record<Operand, number>> = {
  'xmm/m128': 16, 'm128': 16, 'xmm/m64': 8, 'm64': 8, 'r/m64': 8, 'xmm/m32': 4, 'm32': 4, 'r/m32': 4, 'r32/m16': 2, 'm512': 512,
};
const isXmm = (o: Operand) => o === 'xmm' || o === 'xmm2' || o.startsWith('xmm/');

/** Random bytes shaped as lanes of a random width, favouring edge values. */
function edgeBytes(r: () => number, n: number): number[] {
  const out: number[] = [];
  const width = [1, 2, 4, 8, 1][Math.floor(r() * 5)];
  while (out.length < n) {
    const k = r();
    const lane: number[] = [];
    for (let i = 0; i < width; i++) lane.push(Math.floor(r() * 256));
    if (k < 0.1) lane.fill(0);
    else if (k < 0.2) lane.fill(0xff);
    else if (k < 0.27) { lane.fill(0); lane[width - 1] = 0x80; } // signed minimum
    else if (k < 0.34) { lane.fill(0xff); lane[width - 1] = 0x7f; } // signed maximum
    else if (k < 0.42) { lane.fill(0); lane[0] = Math.floor(r() * (width * 16 + 8)); } // small, shift counts
    else if (k < 0.47) { lane.fill(0); lane[0] = 1; }
    out.push(...lane);
  }
  return out.slice(0, n);
}

const hex = (b: number[]) => b.map((x) => x.toString(16).padStart(2, '0')).join('');
const rand64 = (r: () => number) => (BigInt(Math.floor(r() * 2 ** 32)) << 32n) | BigInt(Math.floor(r() * 2 ** 32));

/** Copy some lanes of `a` into `b` so that equality-sensitive operations see equal lanes. */
function shareLanes(r: () => number, a: number[], b: number[]): void {
  const w = [1, 2, 4, 8][Math.floor(r() * 4)];
  const p = r() * 0.6;
  for (let i = 0; i + w <= Math.min(a.length, b.length); i += w) if (r() < p) for (let k = 0; k < w; k++) b[i + k] = a[i + k];
}

/** A valid MXCSR (never bit 17 alone: the host accepts it, colonel does not), or usually-valid. */
function mxcsrValue(r: () => number, allowBad: boolean): number {
  if (allowBad && r() < 0.25) {
    const bit = r() < 0.3 ? 16 : 18 + Math.floor(r() * 14);
    return ((Math.floor(r() * 0x10000) | (1 << bit)) >>> 0) | (r() < 0.3 ? 1 << 17 : 0);
  }
  return r() < 0.3 ? 0x1f80 : Math.floor(r() * 0x10000);
}

export function generateCases(rows: readonly IsaRow[], seed: number, perRow: number): Case[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const cases: Case[] = [];
  for (const row of rows) {
    const enc = parseEncoding(row);
    const ops = row.operands;
    const rmOp = ops.find((o) => RM_KINDS.has(o))!;
    const regOp = ops.find((o) => o !== rmOp && o !== 'imm8');
    for (let n = 0; n < perRow; n++) {
      const gpr: Record<string, string> = {};
      const xmm: Record<string, string> = {};
      const xmmVals: number[][] = [];
      const setX = (i: number) => {
        if (xmm[i] !== undefined) return;
        const b = edgeBytes(r, 16);
        if (xmmVals.length) shareLanes(r, xmmVals[0], b);
        xmmVals.push(b);
        xmm[i] = hex(b);
      };
      const gprNotSp = () => { let g; do g = Math.floor(r() * 16); while (g === 4); return g; };
      const setG = (i: number) => { gpr[REG_NAMES[i]] = (r() < 0.3 ? BigInt('0x' + hex(edgeBytes(r, 8).reverse())) : rand64(r)).toString(16); };

      // ModRM.reg
      let reg: number;
      if (enc.digit >= 0) reg = enc.digit | (r() < 0.2 ? 8 : 0); // REX.R is ignored by /digit forms
      else if (regOp && isXmm(regOp)) { reg = Math.floor(r() * 16); setX(reg); }
      else { reg = gprNotSp(); setG(reg); }

      // ModRM.rm: register or memory
      const canReg = rmOp === 'xmm2' || rmOp.includes('/');
      const useMem = enc.mod === 'mem' || (enc.mod !== 'reg' && (!canReg || r() < 0.5));
      const size = MEM_SIZE[rmOp] ?? 16;
      const bytes: number[] = [];
      let rex = 0x40;
      if (enc.osize === 64 || (enc.osize === 0 && r() < 0.15)) rex |= 8;
      if (reg & 8) rex |= 4;
      let modrmTail: number[] = [];
      let memOff = 0x100;
      let memBytes = '';
      let eaOff = -1;
      if (!useMem) {
        let rm: number;
        if (isXmm(rmOp)) { rm = Math.floor(r() * 16); setX(rm); } else { rm = gprNotSp(); setG(rm); }
        if (rm & 8) rex |= 1;
        modrmTail = [0xc0 | ((reg & 7) << 3) | (rm & 7)];
      } else {
        // Where the operand lies: aligned, misaligned, or across the end of the mapped data.
        const k = r();
        let addr: number;
        if (k < 0.06 && size <= 512) {
          addr = 0x2000 - Math.ceil(size / 2);
          memOff = addr - 16;
          memBytes = hex(edgeBytes(r, 0x2000 - memOff));
        } else {
          const len = size + 32;
          const span = len - size;
          addr = memOff + (k < 0.85 ? 16 * Math.floor(r() * (span / 16 + 1)) : Math.floor(r() * (span + 1)));
          const b = edgeBytes(r, len);
          if (xmmVals.length) {
            const at = addr - memOff;
            const view = b.slice(at, at + 16);
            shareLanes(r, xmmVals[0], view);
            b.splice(at, view.length, ...view);
          }
          memBytes = hex(b);
        }
        eaOff = addr;
        // MXCSR images: mostly valid so that the load happens.
        if (row.id.startsWith('ldmxcsr') || row.id.startsWith('fxrstor')) {
          const at = addr - memOff + (row.id.startsWith('fxrstor') ? 24 : 0);
          const v = mxcsrValue(r, true);
          const mb = memBytes.match(/../g)!;
          for (let i = 0; i < 4 && at + i < mb.length; i++) mb[at + i] = ((v >>> (8 * i)) & 0xff).toString(16).padStart(2, '0');
          memBytes = mb.join('');
        }
        // Addressing: base (+ index*scale) + disp
        let base: number;
        do base = Math.floor(r() * 16); while (base === 4 || (regOp && !isXmm(regOp) && base === reg && r() < 0.8));
        const useIndex = r() < 0.2;
        let index = -1;
        if (useIndex) do index = Math.floor(r() * 16); while (index === 4 || index === base);
        const dk = r();
        const mod = dk < 0.3 && (base & 7) !== 5 ? 0 : dk < 0.8 ? 1 : 2;
        const disp = mod === 0 ? 0 : mod === 1 ? Math.floor(r() * 256) - 128 : Math.floor(r() * 2 ** 32) - 2 ** 31;
        const scale = useIndex ? [1, 2, 4, 8][Math.floor(r() * 4)] : 1;
        let idxVal = 0n;
        if (useIndex) { idxVal = BigInt(Math.floor(r() * 64)) - 32n; gpr[REG_NAMES[index]] = BigInt.asUintN(64, idxVal).toString(16); }
        const target = BigInt(DATA + addr);
        gpr[REG_NAMES[base]] = BigInt.asUintN(64, target - BigInt(disp) - idxVal * BigInt(scale)).toString(16);
        if (base & 8) rex |= 1;
        if (index >= 0 && index & 8) rex |= 2;
        const needSib = useIndex || (base & 7) === 4;
        const modrm = (mod << 6) | ((reg & 7) << 3) | (needSib ? 4 : base & 7);
        modrmTail = [modrm];
        if (needSib) modrmTail.push(((Math.log2(scale)) << 6) | ((useIndex ? index & 7 : 4) << 3) | (base & 7));
        if (mod === 1) modrmTail.push(disp & 0xff);
        if (mod === 2) modrmTail.push(disp & 0xff, (disp >>> 8) & 0xff, (disp >>> 16) & 0xff, (disp >>> 24) & 0xff);
      }
      // Legacy prefixes that must not change the meaning: a null segment, 67 (addresses stay below 4G),
      // 66 next to a mandatory F2/F3, and F2/F3 both present (the last one counts).
      if (r() < 0.05) bytes.push(pick([0x2e, 0x3e, 0x26, 0x36]));
      if (useMem && r() < 0.1) bytes.push(0x67);
      if ((enc.prefix === 0xf2 || enc.prefix === 0xf3) && r() < 0.1) bytes.push(0x66);
      if ((enc.prefix === 0xf2 || enc.prefix === 0xf3) && r() < 0.05) bytes.push(enc.prefix ^ 1);
      if (enc.prefix > 0) bytes.push(enc.prefix as number);
      if (rex !== 0x40 || r() < 0.1) bytes.push(rex);
      if (enc.map >= 1) bytes.push(0x0f);
      if (enc.map === 2) bytes.push(0x38);
      if (enc.map === 3) bytes.push(0x3a);
      bytes.push(enc.op, ...modrmTail);
      for (const k of enc.imm) {
        if (k !== 'b') throw new Error(`unexpected immediate in ${row.id}`);
        const e = r();
        bytes.push(e < 0.5 ? Math.floor(r() * 256) : e < 0.9 ? Math.floor(r() * 72) : pick([0, 1, 15, 16, 31, 32, 63, 64, 0x80, 0xff]));
      }
      const mxcsr = row.id.startsWith('stmxcsr') || row.id.startsWith('fxsave') ? mxcsrValue(r, false) : 0x1f80;
      if (eaOff >= 0) gpr.__ea = eaOff.toString(16);
      cases.push({ id: row.id, code: hex(bytes), mxcsr, gpr, xmm, mem: [memOff, memBytes] });
    }
  }
  return cases;
}

/** The recorded vectors shipped with the tests. */
export const VECTORS = join(HERE, '..', 'vectors', 'sse.jsonl');
