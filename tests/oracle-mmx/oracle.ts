// Differential testing of the MMX rows (cpu/isa/mmx.ts) against the host CPU, x87 state included.
//
// `generateCases` builds, for every row, random encodings (any mm register, REX.R/REX.B set at random,
// since mm numbers ignore them; register or memory operands with varied addressing; immediates) and
// random initial states: mm values whose lanes favour edge values, and an x87 state that is either
// clean (after fninit or emms), in use (TOP anywhere, some registers tagged, exponents of all kinds,
// condition codes, masked exception flags) or with an unmasked exception pending (#MF expected).
// `runNative` executes them on this machine with runner.c; `record` turns a native result into a
// compact line of tests/vectors/mmx.jsonl (inputs, then only what changed); `runColonel` runs a case on
// colonel, `compare` lists the differences.
//
// The x87 registers are given by physical number R0..R7 (mm i is R i), each as 20 hex digits: the
// sign/exponent word, then the 64-bit significand.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEncoding, type IsaRow, type Operand } from '../../cpu/isa/types.js';
import { Machine, CODE, DATA } from '../helpers/machine.js';
import { REG_NAMES } from '../../cpu/cpu.js';
import { x87Save, x87Restore } from '../../cpu/x87.js';
import { rng } from '../oracle-sse/oracle.js';

export { rng };

const HERE = dirname(fileURLToPath(import.meta.url));
const MXCSR = 0x1f80;
const ZERO80 = '0'.repeat(20);
const ZERO16 = '0'.repeat(32);

/** One test input. */
export interface Case {
  id: string;
  code: string;
  /** x87 control word, status word (TOP in bits 13..11), abridged tag byte, registers R0..R7 (absent: 0). */
  fpu: { cw: number; sw: number; tw: number; r: Record<string, string> };
  gpr: Record<string, string>; // register name -> hex value (absent: 0)
  xmm: Record<string, string>; // register number -> 32 hex digits in memory order (absent: 0)
  mem: [number, string]; // offset from DATA, bytes
}

/** A machine state as the runner prints it. */
export interface State {
  fault: string | null; // null, 'GP', 'PF@<hex addr>', 'UD', 'MF', 'trap<n>'
  cw: number;
  sw: number;
  tw: number;
  r: string[];
  gpr: bigint[];
  xmm: string[];
  mxcsr: number;
  mem: string;
}

/** A recorded vector: the case plus the state changes (`out`). */
export interface Vector extends Case {
  out: {
    fault?: string; cw?: number; sw?: number; tw?: number; r?: Record<string, string>;
    gpr?: Record<string, string>; xmm?: Record<string, string>; mxcsr?: number; mem?: string;
  };
}

// ---- native runner ----

/** Compile runner.c (cached in the temp dir by content hash); null when this host cannot run it. */
export function buildRunner(): string | null {
  if (process.platform !== 'linux' || process.arch !== 'x64') return null;
  const src = join(HERE, 'runner.c');
  const hash = createHash('sha256').update(readFileSync(src)).digest('hex').slice(0, 12);
  const dir = join(tmpdir(), 'colonel-oracle-mmx');
  const exe = join(dir, `runner-${hash}`);
  if (existsSync(exe)) return exe;
  try {
    mkdirSync(dir, { recursive: true });
    execFileSync('gcc', ['-O1', '-fPIE', '-pie', '-o', exe, src], { stdio: 'pipe' });
    // Probe: the runner must be able to map its data page and run a case (emms).
    const line = ['0f77', '37f', '0', '0', ...Array(8).fill(ZERO80), '1f80', ...Array(16).fill('0'), ...Array(16).fill(ZERO16), '100', '-'].join(' ');
    const r = spawnSync(exe, [], { input: line + '\n' });
    if (r.status !== 0 || !r.stdout.toString().startsWith('ok ')) return null;
  } catch {
    return null;
  }
  return exe;
}

function faultName(vec: string, addr: string): string {
  return vec === '13' ? 'GP' : vec === '14' ? `PF@${addr}` : vec === '6' ? 'UD' : vec === '16' ? 'MF' : `trap${vec}`;
}

export function runNative(exe: string, cases: Case[]): State[] {
  const lines = cases.map((k) => {
    const regs = Array.from({ length: 8 }, (_, i) => k.fpu.r[i] ?? ZERO80);
    const gpr = REG_NAMES.map((n) => k.gpr[n] ?? '0');
    const xmm = Array.from({ length: 16 }, (_, i) => k.xmm[i] ?? ZERO16);
    return [k.code, k.fpu.cw.toString(16), k.fpu.sw.toString(16), k.fpu.tw.toString(16), ...regs, MXCSR.toString(16), ...gpr, ...xmm,
      k.mem[0].toString(16), k.mem[1] || '-'].join(' ');
  });
  const r = spawnSync(exe, [], { input: lines.join('\n') + '\n', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`mmx runner failed: ${r.status} ${r.stderr}`);
  const out = r.stdout.toString().trim().split('\n');
  if (out.length !== cases.length) throw new Error(`mmx runner: ${out.length} results for ${cases.length} cases`);
  return out.map((line) => {
    const f = line.split(' ');
    let fault: string | null = null;
    if (f[0] !== 'ok') {
      const [, vec, addr] = f[0].split(':');
      fault = faultName(vec, addr);
    }
    return {
      fault,
      cw: parseInt(f[1], 16),
      sw: parseInt(f[2], 16),
      tw: parseInt(f[3], 16),
      r: f.slice(4, 12),
      gpr: f.slice(12, 28).map((h) => BigInt('0x' + h)),
      xmm: f.slice(28, 44),
      mxcsr: parseInt(f[44], 16),
      mem: f[45] === '-' ? '' : f[45],
    };
  });
}

// ---- colonel side ----

const hexBytes = (b: ArrayLike<number>) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const fromHex = (h: string) => Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));

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

/** The x87 part of an FXSAVE image (160 bytes) for the case's fpu state. */
function fxImage(fpu: Case['fpu']): Uint8Array {
  const b = new Uint8Array(160);
  const top = (fpu.sw >> 11) & 7;
  b[0] = fpu.cw & 0xff; b[1] = fpu.cw >> 8;
  b[2] = fpu.sw & 0xff; b[3] = fpu.sw >> 8;
  b[4] = fpu.tw;
  for (let i = 0; i < 8; i++) {
    let v = BigInt('0x' + (fpu.r[i] ?? ZERO80));
    const o = 32 + 16 * ((i - top) & 7);
    for (let k = 0; k < 10; k++, v >>= 8n) b[o + k] = Number(v & 0xffn);
  }
  return b;
}

/** Run a case on colonel; returns the state in the runner's terms. */
export function runColonel(k: Case): State {
  const m = new Machine(fromHex(k.code));
  const regs: Record<string, bigint> = {};
  for (const [n, v] of Object.entries(k.gpr)) if (!n.startsWith('__')) regs[n] = BigInt('0x' + v);
  m.set(regs);
  for (const [n, v] of Object.entries(k.xmm)) m.setXmm(+n, xmmToBig(v));
  m.cpu.mxcsr = MXCSR;
  x87Restore(m.cpu, fxImage(k.fpu));
  const [off, bytes] = k.mem;
  if (bytes) m.poke(DATA + off, fromHex(bytes));
  m.step(1);
  let fault: string | null = null;
  if (m.last?.kind === 'fault') {
    const f = m.last.fault;
    fault = faultName(String(f.vector), f.addr.toString(16));
  } else if (m.last) fault = `stop:${m.last.kind}`;
  else if (m.reg('rip') !== BigInt(CODE + k.code.length / 2)) fault = `rip 0x${m.reg('rip').toString(16)}`;
  const img = x87Save(m.cpu, new Uint8Array(160));
  const sw = img[2] | (img[3] << 8), top = (sw >> 11) & 7;
  const r: string[] = [];
  for (let i = 0; i < 8; i++) {
    const o = 32 + 16 * ((i - top) & 7);
    r.push(hexBytes(img.subarray(o, o + 10).reverse()));
  }
  const len = bytes.length / 2;
  return {
    fault,
    cw: img[0] | (img[1] << 8),
    sw,
    tw: img[4],
    r,
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
    cw: k.fpu.cw,
    sw: k.fpu.sw,
    tw: k.fpu.tw,
    r: Array.from({ length: 8 }, (_, i) => k.fpu.r[i] ?? ZERO80),
    gpr: REG_NAMES.map((n) => (k.gpr[n] ? BigInt('0x' + k.gpr[n]) : 0n)),
    xmm: Array.from({ length: 16 }, (_, i) => k.xmm[i] ?? ZERO16),
    mxcsr: MXCSR,
    mem: k.mem[1],
  };
}

/** Compact record: the case and what changed. */
export function record(k: Case, st: State): Vector {
  const init = initialState(k);
  const out: Vector['out'] = {};
  if (st.fault) out.fault = st.fault;
  if (st.cw !== init.cw) out.cw = st.cw;
  if (st.sw !== init.sw) out.sw = st.sw;
  if (st.tw !== init.tw) out.tw = st.tw;
  st.r.forEach((v, i) => { if (v !== init.r[i]) (out.r ??= {})[i] = v; });
  REG_NAMES.forEach((n, i) => {
    if (n !== 'rsp' && st.gpr[i] !== init.gpr[i]) (out.gpr ??= {})[n] = st.gpr[i].toString(16);
  });
  st.xmm.forEach((v, i) => { if (v !== init.xmm[i]) (out.xmm ??= {})[i] = v; });
  if (st.mxcsr !== init.mxcsr) out.mxcsr = st.mxcsr;
  if (st.mem !== init.mem) out.mem = st.mem;
  return { ...k, out };
}

/** The full expected state of a record. */
export function expected(v: Vector): State {
  const s = initialState(v);
  const o = v.out;
  if (o.cw !== undefined) s.cw = o.cw;
  if (o.sw !== undefined) s.sw = o.sw;
  if (o.tw !== undefined) s.tw = o.tw;
  if (o.r) for (const [n, h] of Object.entries(o.r)) s.r[+n] = h;
  if (o.gpr) for (const [n, h] of Object.entries(o.gpr)) s.gpr[REG_NAMES.indexOf(n as never)] = BigInt('0x' + h);
  if (o.xmm) for (const [n, h] of Object.entries(o.xmm)) s.xmm[+n] = h;
  if (o.mxcsr !== undefined) s.mxcsr = o.mxcsr;
  if (o.mem !== undefined) s.mem = o.mem;
  s.fault = o.fault ?? null;
  return s;
}

/** Differences between an expected and an actual state (rsp not compared). */
export function compare(want: State, got: State): string[] {
  const d: string[] = [];
  const h = (v: number) => v.toString(16);
  if (want.fault !== got.fault) d.push(`fault: got ${got.fault}, want ${want.fault}`);
  if (want.cw !== got.cw) d.push(`fcw: got ${h(got.cw)}, want ${h(want.cw)}`);
  if (want.sw !== got.sw) d.push(`fsw: got ${h(got.sw)}, want ${h(want.sw)}`);
  if (want.tw !== got.tw) d.push(`ftw: got ${h(got.tw)}, want ${h(want.tw)}`);
  for (let i = 0; i < 8; i++) if (want.r[i] !== got.r[i]) d.push(`R${i}: got ${got.r[i]}, want ${want.r[i]}`);
  REG_NAMES.forEach((n, i) => {
    if (n !== 'rsp' && want.gpr[i] !== got.gpr[i]) d.push(`${n}: got ${got.gpr[i].toString(16)}, want ${want.gpr[i].toString(16)}`);
  });
  for (let i = 0; i < 16; i++) if (want.xmm[i] !== got.xmm[i]) d.push(`xmm${i}: got ${got.xmm[i]}, want ${want.xmm[i]}`);
  if (want.mxcsr !== got.mxcsr) d.push(`mxcsr: got ${h(got.mxcsr)}, want ${h(want.mxcsr)}`);
  if (want.mem !== got.mem) d.push(`mem: got ${got.mem}, want ${want.mem}`);
  return d;
}

// ---- case generation ----

const RM_KINDS = new Set<Operand>(['mm/m64', 'mm/m32', 'r/m32', 'r/m64', 'r32/m16', 'm64', 'xmm2']);
const MEM_SIZE: Partial<Record<Operand, number>> = { 'mm/m64': 8, 'm64': 8, 'r/m64': 8, 'mm/m32': 4, 'r/m32': 4, 'r32/m16': 2 };
const isMm = (o: Operand | undefined) => o === 'mm' || o === 'mm/m64' || o === 'mm/m32';
const isXmm = (o: Operand | undefined) => o === 'xmm' || o === 'xmm2';

/** Random bytes shaped as lanes of a random width, favouring edge values. */
function edgeBytes(r: () => number, n: number): number[] {
  const out: number[] = [];
  const width = [1, 2, 4, 8, 1, 2][Math.floor(r() * 6)];
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

/** An x87 state: clean, in use, or with an unmasked exception pending. */
function fpuState(r: () => number): Case['fpu'] {
  const k = r();
  if (k < 0.4) return { cw: 0x37f, sw: 0, tw: r() < 0.8 ? 0 : 0xff, r: {} };
  const pc = Math.floor(r() * 4), rc = Math.floor(r() * 4);
  let masks = 0x3f;
  let flags = Math.floor(r() * 0x80);
  if (k < 0.85) flags &= masks; // only masked flags: nothing pending
  else {
    masks = Math.floor(r() * 0x3f);
    flags |= 1 << Math.floor(r() * 6);
    if ((flags & ~masks & 0x3f) === 0) masks &= ~(flags & 0x3f);
  }
  const cc = Math.floor(r() * 16);
  // ES and B (bits 7 and 15) are set exactly when an unmasked flag is, as in any state a real FPU reaches.
  const es = (flags & ~masks & 0x3f) !== 0 ? 0x8080 : 0;
  const sw = (flags & 0x7f) | es | ((cc & 7) << 8) | ((cc >> 3) << 14) | (Math.floor(r() * 8) << 11);
  return { cw: 0x40 | masks | (pc << 8) | (rc << 10) | (r() < 0.2 ? 0x1000 : 0), sw, tw: Math.floor(r() * 256), r: {} };
}

/** An x87 register: the given significand with a sign/exponent word of some kind. */
function reg80(r: () => number, sig: number[]): string {
  const k = r();
  const exp = k < 0.35 ? 0xffff : k < 0.55 ? 0 : k < 0.65 ? 0x7fff : Math.floor(r() * 0x10000);
  return exp.toString(16).padStart(4, '0') + hex([...sig].reverse());
}

export function generateCases(rows: readonly IsaRow[], seed: number, perRow: number): Case[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const cases: Case[] = [];
  for (const row of rows) {
    const enc = parseEncoding(row);
    const ops = row.operands;
    const rmOp = ops.find((o) => RM_KINDS.has(o));
    const regOp = ops.find((o) => o !== rmOp && o !== 'imm8');
    const maskmov = row.mnemonic === 'maskmovq';
    for (let n = 0; n < perRow; n++) {
      const gpr: Record<string, string> = {};
      const xmm: Record<string, string> = {};
      const fpu = fpuState(r);
      const vals: number[][] = [];
      const value = (len: number) => {
        const b = edgeBytes(r, len);
        if (vals.length) shareLanes(r, vals[0], b);
        vals.push(b);
        return b;
      };
      const setMm = (i: number) => { if (fpu.r[i] === undefined) fpu.r[i] = reg80(r, value(8)); };
      const setX = (i: number) => { if (xmm[i] === undefined) xmm[i] = hex(value(16)); };
      const gprNotSp = () => { let g; do g = Math.floor(r() * 16); while (g === 4 || (maskmov && g === 7)); return g; };
      const setG = (i: number) => { gpr[REG_NAMES[i]] = (r() < 0.3 ? BigInt('0x' + hex(edgeBytes(r, 8).reverse())) : rand64(r)).toString(16); };
      let rex = 0x40;
      if (enc.osize === 64 || (enc.osize === 0 && r() < 0.15)) rex |= 8;

      // ModRM.reg
      let reg = 0;
      if (!enc.modrm) { /* emms */ }
      else if (enc.digit >= 0) reg = enc.digit | (r() < 0.2 ? 8 : 0);
      else if (isMm(regOp)) { reg = Math.floor(r() * 8); setMm(reg); if (r() < 0.2) reg |= 8; }
      else if (isXmm(regOp)) { reg = Math.floor(r() * 16); setX(reg); }
      else { reg = gprNotSp(); setG(reg); }
      if (reg & 8) rex |= 4;

      const canReg = rmOp === 'xmm2' || (rmOp?.includes('/') ?? false);
      const useMem = enc.mod === 'mem' || (enc.mod !== 'reg' && (!canReg || r() < 0.5));
      const size = (rmOp && MEM_SIZE[rmOp]) ?? 8;
      let modrmTail: number[] = [];
      let memOff = 0x100;
      let memBytes = '';
      let a67 = false;
      if (!enc.modrm) {
        for (let i = 0; i < 8; i++) if (r() < 0.5) setMm(i); // emms
      } else if (maskmov) {
        // ds:[rdi], 8 bytes: inside the window, misaligned, or across the end of the data.
        const rm = Math.floor(r() * 8);
        setMm(rm);
        if (r() < 0.3) { // a mask of whole bytes, sometimes none
          const m = fpu.r[rm].slice(0, 4);
          const bytes = Array.from({ length: 8 }, () => (r() < 0.5 ? 0x80 | Math.floor(r() * 128) : Math.floor(r() * 128)));
          if (r() < 0.3) bytes.fill(0);
          fpu.r[rm] = m + hex(bytes.reverse());
        }
        modrmTail = [0xc0 | ((reg & 7) << 3) | rm];
        if (r() < 0.2) rex |= 1;
        let addr: number;
        if (r() < 0.12) { addr = 0x2000 - 1 - Math.floor(r() * 7); memOff = 0x1fe0; }
        else addr = memOff + Math.floor(r() * 24);
        memBytes = hex(edgeBytes(r, addr >= 0x1fe0 ? 0x2000 - memOff : 40));
        let rdi = BigInt(DATA + addr);
        if (r() < 0.15) { a67 = true; rdi |= BigInt(Math.floor(r() * 2 ** 32)) << 32n; } // 67: edi
        gpr.rdi = rdi.toString(16);
      } else if (!useMem) {
        let rm: number;
        if (isMm(rmOp)) { rm = Math.floor(r() * 8); setMm(rm); if (r() < 0.2) rm |= 8; }
        else if (isXmm(rmOp)) { rm = Math.floor(r() * 16); setX(rm); }
        else { rm = gprNotSp(); setG(rm); }
        if (rm & 8) rex |= 1;
        modrmTail = [0xc0 | ((reg & 7) << 3) | (rm & 7)];
      } else {
        const k = r();
        let addr: number;
        if (k < 0.08) {
          addr = 0x2000 - Math.ceil(size / 2);
          memOff = addr - 8;
          memBytes = hex(edgeBytes(r, 0x2000 - memOff));
        } else {
          const len = size + 16;
          addr = memOff + (k < 0.8 ? 8 * Math.floor(r() * 3) : Math.floor(r() * 17));
          const b = edgeBytes(r, len);
          if (vals.length) {
            const at = addr - memOff;
            const view = b.slice(at, at + 8);
            shareLanes(r, vals[0], view);
            b.splice(at, view.length, ...view);
          }
          memBytes = hex(b);
        }
        let base: number;
        do base = Math.floor(r() * 16); while (base === 4 || (regOp && !isMm(regOp) && !isXmm(regOp) && base === reg));
        const useIndex = r() < 0.2;
        let index = -1;
        if (useIndex) do index = Math.floor(r() * 16); while (index === 4 || index === base || (regOp && !isMm(regOp) && index === reg));
        const dk = r();
        const mod = dk < 0.3 && (base & 7) !== 5 ? 0 : dk < 0.8 ? 1 : 2;
        const disp = mod === 0 ? 0 : mod === 1 ? Math.floor(r() * 256) - 128 : Math.floor(r() * 2 ** 32) - 2 ** 31;
        const scale = useIndex ? pick([1, 2, 4, 8]) : 1;
        let idxVal = 0n;
        if (useIndex) { idxVal = BigInt(Math.floor(r() * 64)) - 32n; gpr[REG_NAMES[index]] = BigInt.asUintN(64, idxVal).toString(16); }
        gpr[REG_NAMES[base]] = BigInt.asUintN(64, BigInt(DATA + addr) - BigInt(disp) - idxVal * BigInt(scale)).toString(16);
        if (base & 8) rex |= 1;
        if (index >= 0 && index & 8) rex |= 2;
        const needSib = useIndex || (base & 7) === 4;
        modrmTail = [(mod << 6) | ((reg & 7) << 3) | (needSib ? 4 : base & 7)];
        if (needSib) modrmTail.push((Math.log2(scale) << 6) | ((useIndex ? index & 7 : 4) << 3) | (base & 7));
        if (mod === 1) modrmTail.push(disp & 0xff);
        if (mod === 2) modrmTail.push(disp & 0xff, (disp >>> 8) & 0xff, (disp >>> 16) & 0xff, (disp >>> 24) & 0xff);
      }
      // Other x87 registers: some hold values of their own.
      for (let i = 0; i < 8; i++) if (fpu.r[i] === undefined && r() < 0.25) fpu.r[i] = reg80(r, edgeBytes(r, 8));

      const bytes: number[] = [];
      if (r() < 0.05) bytes.push(pick([0x2e, 0x3e, 0x26, 0x36]));
      if (a67 || (useMem && enc.modrm && !maskmov && r() < 0.1)) bytes.push(0x67);
      if ((enc.prefix === 0xf2 || enc.prefix === 0xf3) && r() < 0.1) bytes.push(0x66);
      if (enc.prefix > 0) bytes.push(enc.prefix as number);
      if (rex !== 0x40 || r() < 0.1) bytes.push(rex);
      bytes.push(0x0f, enc.op, ...modrmTail);
      for (const k of enc.imm) {
        if (k !== 'b') throw new Error(`unexpected immediate in ${row.id}`);
        const e = r();
        bytes.push(e < 0.5 ? Math.floor(r() * 256) : e < 0.9 ? Math.floor(r() * 72) : pick([0, 1, 15, 16, 31, 32, 63, 64, 0x80, 0xff]));
      }
      cases.push({ id: row.id, code: hex(bytes), fpu, gpr, xmm, mem: [memOff, memBytes] });
    }
  }
  return cases;
}

/** The recorded vectors shipped with the tests. */
export const VECTORS = join(HERE, '..', 'vectors', 'mmx.jsonl');
