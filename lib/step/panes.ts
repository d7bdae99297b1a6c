// The contents of the step view's panes, as styled lines: registers, code around rip, the stack,
// the memory map, the vvar page and the guest's output. Layout (which pane goes where, at what size)
// is lib/step/view.ts's business.

import { formatInsn } from '../../cpu/disasm.js';
import { Reg } from '../../cpu/cpu.js';
import { VVAR_SIZE } from '../../kernel/vdso/datapage.js';
import type { Session } from './session.js';
import { decodeRun, hexAddr, peek64 } from './peek.js';
import { toAddr } from './symbols.js';
import { fieldAt, decodeVvar } from './vvar.js';

/** A run of text with a style name (the view maps names to colors). */
export type Style = 'plain' | 'dim' | 'bold' | 'changed' | 'current' | 'bp' | 'label' | 'kernel' | 'title' | 'error' | 'stderr';
export type Seg = [string, Style];
export type Line = Seg[];

export const plainLine = (text: string, style: Style = 'plain'): Line => [[text, style]];

/** Symbolizer for the disassembler: program and vDSO symbols, and vvar fields by name. */
export function symbolizer(s: Session): (a: number) => string | null {
  const m = s.m;
  return (a) => {
    if (m.inVvar(a)) {
      const f = fieldAt(a - (m.kernel.vdsoBase - VVAR_SIZE));
      return f ? `vvar.${f.name}` : '[vvar]';
    }
    return m.symbols.symbolize(a);
  };
}

export interface RegCell {
  name: string;
  text: string;
  changed: boolean;
}

export function registerCells(s: Session): RegCell[] {
  const cells: RegCell[] = [];
  for (const [name, v] of s.registers()) {
    if (name === 'fs_base') continue;
    const text = name === 'eflags' ? `0x${v.toString(16)} ${flagLetters(Number(v))}` : '0x' + v.toString(16).padStart(16, '0');
    cells.push({ name: name === 'eflags' ? 'efl' : name, text, changed: s.changed.has(name) });
  }
  return cells;
}

function flagLetters(f: number): string {
  return [[0x800, 'O'], [0x400, 'D'], [0x80, 'S'], [0x40, 'Z'], [0x10, 'A'], [0x4, 'P'], [0x1, 'C']]
    .map(([b, n]) => (f & (b as number) ? n : '-')).join('');
}

/**
 * objdump's text, narrowed for a pane: a negative rip displacement as -0x..., and a rip-relative
 * comment that names a symbol without repeating its address (`# <vvar.vnotb>`).
 */
export function compactText(text: string): string {
  return text
    .replace(/\[rip\+0x([0-9a-f]{16})\]/, (all, h: string) => (h[0] >= '8' ? `[rip-0x${((1n << 64n) - BigInt('0x' + h)).toString(16)}]` : all))
    .replace(/ {2,}# [0-9a-f]+ (<[^>]+>)$/, '  # $1')
    .replace(/ {2,}# /, '  # ');
}

/** `rows` lines of disassembly around rip, function labels included; rip about a third down. */
export function codeLines(s: Session, rows: number, marker: (current: boolean, bp: boolean) => string): Line[] {
  const m = s.m, rip = m.kernel.cpu.rip;
  const sym = m.symbols.at(rip);
  const start = sym && rip - sym.addr < 2048 && rip >= sym.addr ? sym.addr : rip;
  let insns = decodeRun(m.kernel.mem, start, rip - start + rows * 15, 4096);
  if (!insns.some((d) => d.addr === rip)) insns = decodeRun(m.kernel.mem, rip, rows * 15, rows);
  const idx = insns.findIndex((d) => d.addr === rip);
  if (idx < 0) return [plainLine(`   ${hexAddr(rip)}: cannot read or decode the instruction here`, 'error')];
  const bps = new Set([...m.breakpoints.values()].map((b) => b.addr));
  const symbolize = symbolizer(s);
  const lines: { line: Line; isRip: boolean }[] = [];
  const from = Math.max(0, idx - Math.max(1, Math.floor(rows / 3)) - 2);
  for (let i = from; i < insns.length && lines.length < rows + idx - from + 2; i++) {
    const d = insns[i];
    const label = m.symbols.at(d.addr);
    if (label && label.addr === d.addr) lines.push({ line: [[`${hexAddr(d.addr).padStart(12, '0')} <${label.name}>:`, 'label']], isRip: false });
    const cur = d.addr === rip;
    let text: string;
    try {
      text = compactText(formatInsn(d, { symbolize }));
    } catch {
      text = '(bad)';
    }
    lines.push({ line: [[marker(cur, bps.has(d.addr)), cur ? 'current' : bps.has(d.addr) ? 'bp' : 'dim'], [`${hexAddr(d.addr).padStart(12)}  `, cur ? 'current' : 'dim'], [text, cur ? 'current' : 'plain']], isRip: cur });
  }
  const at = lines.findIndex((l) => l.isRip);
  const first = Math.max(0, Math.min(at - Math.floor(rows / 3), lines.length - rows));
  return lines.slice(first, first + rows).map((l) => l.line);
}

/** The stack from rsp up, a qword a line, return addresses named. */
export function stackLines(s: Session, rows: number): Line[] {
  const m = s.m, rsp = m.kernel.cpu.getS(Reg.RSP);
  const out: Line[] = [];
  for (let i = 0; i < rows; i++) {
    const a = rsp + 8 * i;
    const v = peek64(m.kernel.mem, a);
    if (v === null) {
      out.push(plainLine(`+0x${(8 * i).toString(16).padStart(2, '0')} (unmapped)`, 'dim'));
      continue;
    }
    const sym = m.symbols.symbolize(toAddr(v));
    out.push([[`+0x${(8 * i).toString(16).padStart(2, '0')} `, 'dim'], [v.toString(16).padStart(16, '0'), 'plain'], [sym ? ` <${sym}>` : '', 'label']]);
  }
  return out;
}

const KERNEL_MAPS: Record<string, string> = {
  '[vvar]': 'kernel data, read-only',
  '[vdso]': 'kernel code, user mode',
  '[vsyscall]': 'calls emulated',
};

/** The memory map, compact: range, perms, name; the kernel's mappings marked, rip's VMA pointed at. */
export function mapLines(s: Session): Line[] {
  const rip = BigInt(s.kernel.cpu.rip);
  return s.kernel.mm.procMaps().trimEnd().split('\n').map((l) => {
    const [range, perms] = l.split(' ');
    const [a, b] = range.split('-').map((x) => BigInt.asIntN(64, BigInt('0x' + x)));
    const name = l.slice(73).trim();
    const short = name.startsWith('/') ? name.split('/').pop()! : name;
    const here = rip >= a && rip < b;
    const note = KERNEL_MAPS[name];
    const kb = Number(b - a) / 1024;
    const size = (kb >= 1024 ? `${kb / 1024}M` : `${kb}K`).padStart(4);
    return [[here ? '> ' : '  ', here ? 'current' : 'dim'], [`${range.split('-')[0].padStart(12)} ${size} ${perms} `, 'dim'], [short, note ? 'kernel' : 'plain'], [note ? `  ${note}` : '', 'kernel']];
  });
}

export function vvarLines(s: Session): Line[] {
  return decodeVvar(s.kernel).map((l) => {
    const kernel = /^(seq|vnotb)\b/.test(l);
    return plainLine(l, kernel ? 'kernel' : 'plain');
  });
}

/** The last `rows` lines the guest wrote (stdout and stderr, in order). */
export function outputLines(s: Session, rows: number): Line[] {
  const text = s.m.pane.text();
  if (!text) return [plainLine('(nothing yet: the guest\'s stdout and stderr show here, not mixed with the view)', 'dim')];
  const lines = text.replace(/\n$/, '').split('\n').map((l) => l.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '?'));
  return lines.slice(-rows).map((l) => plainLine(l));
}
