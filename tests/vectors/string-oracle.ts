// Differential cases: one description of registers, flags, memory regions and instruction bytes, run
// (1) on colonel, by single steps and by the block engine, and (2) on the host CPU through
// string-oracle.c when gcc and an x86-64 Linux host are there. Results are normalized to one shape
// so that tests can compare colonel with the host and with the expectations recorded in
// tests/vectors/*.json (which keep the tests asserting where the host oracle cannot run).
//
// Regenerate the recorded expectations from the host CPU with UPDATE_VECTORS=1.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Machine, CODE, DATA, STACK_TOP, type RegName } from '../helpers/machine.js';
import { REG_NAMES } from '../../cpu/cpu.js';
import { PAGE_SIZE, pageOf } from '../../cpu/memory.js';

export const HERE = dirname(fileURLToPath(import.meta.url));

export interface Region {
  addr: number;
  len: number;
  /** PROT_READ 1 | PROT_WRITE 2 | PROT_EXEC 4 */
  prot: number;
  /** 0: zeros; else the bytes pattern(seed, i). */
  seed: number;
}

export interface Case {
  name: string;
  /** Straight-line instruction bytes, placed at CODE (0x400000). */
  code: number[];
  /** Instructions in `code`, for colonel's step count. */
  steps?: number;
  /** Registers not given are 0. */
  regs?: Partial<Record<(typeof REG_NAMES)[number], bigint>>;
  /** Initial rflags (default 0x202: IF and the reserved bit, as Linux user mode runs). */
  rflags?: number;
  regions: Region[];
  pokes?: [number, number[]][];
}

export interface Result {
  /** The fault, normalized: vector, error code (#PF and #GP), cr2 (#PF), and rip as Linux reports
   *  it (the instruction for faults, the next instruction for the traps #DB/#BP). */
  fault: { vector: number; err: number; cr2: string; rip: string } | null;
  regs: string[];
  rflags: string;
  mem: string[];
}

const RF = 1 << 16;

export function pattern(seed: number, i: number): number {
  return seed === 0 ? 0 : Math.imul(i + seed * 65536, 0x9e3779b1) >>> 24;
}

export function fnv(bytes: Uint8Array): string {
  let h = 2166136261;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 16777619) >>> 0;
  return h.toString(16).padStart(8, '0');
}

const hex = (v: bigint | number) => (typeof v === 'bigint' ? BigInt.asUintN(64, v) : BigInt.asUintN(64, BigInt(v))).toString(16);

/** A colonel machine laid out as the case says (the helper's default data and stack are removed). */
export function setup(c: Case): Machine {
  const m = new Machine(c.code);
  m.mem.unmap(DATA, 0x2000);
  m.mem.unmap(STACK_TOP - 0x10000, 0x10000);
  for (const r of c.regions) {
    m.mem.map(r.addr, r.len, r.prot);
    const bytes = new Uint8Array(r.len);
    for (let i = 0; i < r.len; i++) bytes[i] = pattern(r.seed, i);
    m.mem.poke(r.addr, bytes);
  }
  for (const [addr, bytes] of c.pokes ?? []) m.mem.poke(addr, Uint8Array.from(bytes));
  const regs: Partial<Record<RegName, bigint>> = { rflags: BigInt(c.rflags ?? 0x202) };
  for (const n of REG_NAMES) regs[n] = c.regs?.[n] ?? 0n;
  m.set(regs);
  return m;
}

function regionBytes(m: Machine, r: Region): Uint8Array {
  const out = new Uint8Array(r.len);
  for (let off = 0; off < r.len; off += PAGE_SIZE) out.set(m.mem.page(pageOf(r.addr + off))!.data.subarray(0, Math.min(PAGE_SIZE, r.len - off)), off);
  return out;
}

/** Run a case on colonel, by single steps or through the block engine's run(). */
export function runColonel(c: Case, mode: 'step' | 'run' = 'step'): Result {
  const m = setup(c);
  const steps = c.steps ?? 1;
  if (mode === 'step') m.step(steps);
  else m.run(steps);
  let fault: Result['fault'] = null;
  if (m.last?.kind === 'fault') {
    const f = m.last.fault;
    const trap = f.vector === 1 || f.vector === 3;
    const rip = trap ? f.rip + m.engine.insnAt(f.rip).len : f.rip;
    fault = { vector: f.vector, err: f.vector === 14 || f.vector === 13 ? f.errorCode : 0, cr2: f.vector === 14 ? hex(f.addr) : '0', rip: hex(rip) };
  } else if (m.cpu.rip !== CODE + c.code.length) {
    throw new Error(`${c.name}: colonel stopped at ${hex(m.cpu.rip)} (${JSON.stringify(m.last)})`);
  }
  return {
    fault,
    regs: REG_NAMES.map((n) => hex(m.reg(n))),
    rflags: hex(m.cpu.getFlags() & ~RF),
    mem: c.regions.map((r) => fnv(regionBytes(m, r))),
  };
}

function caseText(c: Case): string {
  const lines = [`case ${c.name}`, `code ${c.code.map((b) => b.toString(16).padStart(2, '0')).join(' ')}`];
  REG_NAMES.forEach((n, i) => { if (c.regs?.[n] !== undefined) lines.push(`reg ${i} ${hex(c.regs[n]!)}`); });
  lines.push(`flags ${hex(c.rflags ?? 0x202)}`);
  for (const r of c.regions) lines.push(`region ${hex(r.addr)} ${hex(r.len)} ${r.prot} ${r.seed.toString(16)}`);
  for (const [a, bytes] of c.pokes ?? []) lines.push(`poke ${hex(a)} ${bytes.map((b) => b.toString(16).padStart(2, '0')).join('')}`);
  lines.push('end');
  return lines.join('\n') + '\n';
}

let oracle: string | undefined;
let unavailable: string | null | undefined;

/** Why the host oracle cannot run here, or null when it can (compiles it on first use). */
export function hostUnavailable(): string | null {
  if (unavailable !== undefined) return unavailable;
  if (process.platform !== 'linux' || process.arch !== 'x64') return (unavailable = `host is ${process.platform}/${process.arch}, not linux/x64`);
  const out = join(mkdtempSync(join(tmpdir(), 'colonel-oracle-')), 'oracle');
  const r = spawnSync('gcc', ['-O1', '-o', out, join(HERE, 'string-oracle.c')], { encoding: 'utf8' });
  if (r.status !== 0) return (unavailable = `gcc unavailable or failed: ${r.error?.message ?? r.stderr}`);
  oracle = out;
  return (unavailable = null);
}

/** Run cases on the host CPU. Returns null when the oracle cannot run here (see hostUnavailable). */
export function runHost(cases: Case[]): Map<string, Result> | null {
  if (hostUnavailable() !== null) return null;
  const r = spawnSync(oracle!, [], { input: cases.map(caseText).join(''), encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`oracle failed: ${r.stderr}`);
  const out = new Map<string, Result>();
  for (const line of r.stdout.split('\n')) {
    if (!line) continue;
    const j = JSON.parse(line);
    if (j.error) throw new Error(`oracle: ${j.name}: ${j.error}`);
    const c = cases.find((x) => x.name === j.name)!;
    const vector = j.trapno as number;
    out.set(j.name, {
      fault: j.sig === 0 ? null : { vector, err: vector === 14 || vector === 13 ? j.err : 0, cr2: vector === 14 ? j.cr2 : '0', rip: j.rip },
      regs: j.regs,
      // The CPU sets RF in the image it saves for a fault; colonel has no RF.
      rflags: (parseInt(j.rflags, 16) & ~RF).toString(16),
      mem: j.mem,
    });
    if (j.sig === 0 && !c) throw new Error(`oracle: unknown case ${j.name}`);
  }
  return out;
}

/** Recorded expectations: tests/vectors/<file>. With UPDATE_VECTORS=1 and a host, rewritten. */
export function recorded(file: string, cases: Case[], host: Map<string, Result> | null): Record<string, Result> {
  const path = join(HERE, file);
  if (process.env.UPDATE_VECTORS && host) {
    const obj: Record<string, Result> = {};
    for (const c of cases) obj[c.name] = host.get(c.name)!;
    writeFileSync(path, JSON.stringify(obj, null, 1) + '\n');
  }
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : {};
}
