// Recorded oracle vectors: cases with the outcome the real CPU gave, one JSON object a line, so the
// tests still assert against hardware results on a host that cannot run the native oracle.
//
//   {"r":"shl_rm64_cl","c":"48d3e0","i":{"rax":"8000000000000001","rcx":"41"},"f":"1",
//    "m":"<128 hex>","o":{"rax":"2"},"of":"0","om":"<128 hex>","x":"DE","xr":0,"xa":"1234"}
//
// r: the row; c: the code; i: input registers that differ from defaultRegs(); f: input flags (status
// and DF, hex); m: the input memory window as the runs of bytes that differ from windowPattern()
// ("offset:hex,..."; absent: no window, zeros); o: output registers that differ from the input; of:
// output flags; om: the runs of the output window that differ from the input window; x, xr, xa: fault
// name, faulting offset from CODE, #PF address.

import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { REG_NAMES } from '../../cpu/cpu.js';
import { defaultRegs, windowPattern, WINDOW_LEN, type Case, type Outcome } from './native.js';

interface Line {
  r: string;
  c: string;
  i: Record<string, string>;
  f: string;
  m?: string;
  o: Record<string, string>;
  of: string;
  om?: string;
  x?: string;
  xr?: number;
  xa?: string;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));

/** The runs where `b` differs from `base`, as "offset:hex,offset:hex". */
function runs(base: Uint8Array, b: Uint8Array): string {
  const out: string[] = [];
  for (let i = 0; i < b.length;) {
    if (b[i] === base[i]) { i++; continue; }
    let j = i;
    while (j < b.length && b[j] !== base[j]) j++;
    out.push(`${i}:${hex(b.subarray(i, j))}`);
    i = j;
  }
  return out.join(',');
}

function applyRuns(base: Uint8Array, text: string): Uint8Array {
  const b = base.slice();
  for (const run of text.split(',').filter(Boolean)) {
    const [off, h] = run.split(':');
    b.set(unhex(h), +off);
  }
  return b;
}

export function encodeVector(c: Case, o: Outcome): string {
  const d = defaultRegs();
  const line: Line = { r: c.row, c: hex(c.code), i: {}, f: c.rflags.toString(16), o: {}, of: o.rflags.toString(16) };
  c.regs.forEach((v, i) => { if (v !== d[i]) line.i[REG_NAMES[i]] = v.toString(16); });
  if (c.mem) line.m = runs(windowPattern(), c.mem);
  o.regs.forEach((v, i) => { if (v !== c.regs[i]) line.o[REG_NAMES[i]] = v.toString(16); });
  const before = c.mem ?? new Uint8Array(WINDOW_LEN);
  if (hex(o.mem) !== hex(before)) line.om = runs(before, o.mem);
  if (o.fault) {
    line.x = o.fault;
    line.xr = o.rip;
    if (o.addr !== undefined) line.xa = o.addr.toString(16);
  }
  return JSON.stringify(line);
}

export function decodeVector(text: string): { c: Case; o: Outcome } {
  const l = JSON.parse(text) as Line;
  const regs = defaultRegs();
  for (const [k, v] of Object.entries(l.i)) regs[REG_NAMES.indexOf(k as never)] = BigInt('0x' + v);
  const c: Case = { row: l.r, code: unhex(l.c), regs, rflags: parseInt(l.f, 16), mem: l.m !== undefined ? applyRuns(windowPattern(), l.m) : null };
  const oregs = regs.slice();
  for (const [k, v] of Object.entries(l.o)) oregs[REG_NAMES.indexOf(k as never)] = BigInt('0x' + v);
  const o: Outcome = {
    regs: oregs,
    rflags: parseInt(l.of, 16),
    mem: applyRuns(c.mem ?? new Uint8Array(WINDOW_LEN), l.om ?? ''),
    fault: l.x ?? null,
  };
  if (l.x) {
    o.rip = l.xr;
    if (l.xa !== undefined) o.addr = BigInt('0x' + l.xa);
  }
  return { c, o };
}

export function readVectors(path: string): { c: Case; o: Outcome }[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter((s) => s.trim()).map(decodeVector);
}

export function writeVectors(path: string, items: { c: Case; o: Outcome }[]): void {
  writeFileSync(path, items.map(({ c, o }) => encodeVector(c, o)).join('\n') + '\n');
}
