// The information commands, printed the way gdb prints them where gdb has them: `info registers`
// (one register a line: name, hex, natural value), `x/NFU ADDR`, `info breakpoints`; and colonel's
// own: `info maps` (/proc/self/maps with the kernel's mappings explained) and the command list.

import { PAGE_SIZE } from '../../cpu/memory.js';
import { disassemble } from '../../cpu/disasm.js';
import { CF, PF, AF, ZF, SF, OF, DF } from '../../cpu/cpu.js';
import { VSYSCALL_ADDR, VSYSCALL_SLOTS } from '../../kernel/vsyscall.js';
import type { Machine } from './machine.js';
import type { Session } from './session.js';
import { hexAddr, peekBytes } from './peek.js';
import { evalAddress, parseNumber } from './symbols.js';

export const HELP = [
  'si [N], s [N]      step one instruction (N instructions; stops at breakpoints)',
  'ni [N], n [N]      step over calls: a call runs until it returns',
  'finish             run until the current function returns',
  'c                  continue to a breakpoint or the end',
  'until syscall|vdso|vsyscall|tick|fault|kernel',
  '                   run to the next crossing (before a syscall instruction, at a',
  '                   vDSO entry, before a vsyscall fetch; after a tick). kernel: any',
  '                   way into the kernel',
  'rs [N]             reverse-step: back N instructions (registers, memory, kernel restored)',
  'rc                 reverse-continue: back to the last breakpoint reached',
  'b ADDR|SYMBOL      breakpoint (b main, b __vdso_clock_gettime, b 0x401000, b $rip+5)',
  'delete [N]         delete breakpoint N, or all',
  'info registers [R] registers, one a line, as gdb prints them',
  'info maps          the memory map ([vvar], [vdso], [vsyscall] explained)',
  'info breakpoints   the breakpoints',
  'x/NFU ADDR         examine memory: F = x d u s i, U = b h w g (x/4gx $rsp, x/5i $rip)',
  'vvar [all]         the vvar page decoded: seq, clocks, vnotb',
  'set vnotb=N        change the kernel parameter; update_vsyscall publishes it',
  'input TEXT | eof   give the program a line on stdin, or end of file',
  'explain            the whole explanation of the last step',
  'Enter              repeat the last step command      ?  this list      q  quit',
];

/** Why a breakpoint at addr could never be reached, or null if it can. */
export function breakpointProblem(m: Machine, addr: number): string | null {
  if (m.inVsyscall(addr)) {
    const off = addr - VSYSCALL_ADDR;
    return (off & 0x3ff) === 0 && off >> 10 < VSYSCALL_SLOTS.length ? null : 'only the starts of the three vsyscall slots can be called (anything else there is SIGSEGV)';
  }
  const v = m.kernel.mm.find(addr);
  if (!v) return 'no mapping holds that address (info maps)';
  if (!(v.prot & 4)) return `${v.name || 'that mapping'} is not executable (${v.prot & 1 ? 'r' : '-'}${v.prot & 2 ? 'w' : '-'}-)`;
  return null;
}

function flagsText(f: number): string {
  const names: [number, string][] = [[CF, 'CF'], [PF, 'PF'], [AF, 'AF'], [ZF, 'ZF'], [SF, 'SF'], [0x100, 'TF'], [0x200, 'IF'], [DF, 'DF'], [OF, 'OF']];
  return `[ ${names.filter(([b]) => f & b).map(([, n]) => n).join(' ')} ]`;
}

/** `info registers`: gdb's "%-15s%-19s%s" lines. */
export function infoRegisters(s: Session, only: string[]): string[] {
  const c = s.kernel.cpu;
  const syms = s.m.symbols;
  const line = (name: string, v: bigint, natural: string) => `${name.padEnd(15)}${('0x' + v.toString(16)).padEnd(19)}${natural}`;
  const rows: [string, string][] = [];
  for (const [name, v] of s.registers()) {
    if (name === 'fs_base') continue;
    let natural: string;
    if (name === 'rip') {
      const sym = syms.symbolize(c.rip);
      natural = `0x${v.toString(16)}${sym ? ` <${sym}>` : ''}`;
    } else if (name === 'eflags') natural = flagsText(Number(v));
    else if (name === 'rsp' || name === 'rbp') natural = '0x' + v.toString(16);
    else natural = BigInt.asIntN(64, v).toString();
    rows.push([name, line(name, v, natural)]);
  }
  for (const [name, v] of [['cs', 0x33n], ['ss', 0x2bn], ['ds', 0n], ['es', 0n], ['fs', 0n], ['gs', 0n]] as const) rows.push([name, line(name, v, v.toString())]);
  const fs = BigInt.asUintN(64, BigInt(c.fsBase)), gs = BigInt.asUintN(64, BigInt(c.gsBase));
  rows.push(['fs_base', line('fs_base', fs, BigInt.asIntN(64, fs).toString())], ['gs_base', line('gs_base', gs, BigInt.asIntN(64, gs).toString())]);
  if (only.length === 0) return rows.map(([, l]) => l);
  const out: string[] = [];
  for (const want of only) {
    const r = rows.find(([n]) => n === want.replace(/^\$/, '').toLowerCase() || (want === 'pc' && n === 'rip') || (want === 'sp' && n === 'rsp'));
    out.push(r ? r[1] : `Invalid register \`${want}'`);
  }
  return out;
}

const NOTES: Record<string, string> = {
  '[vvar]': 'kernel data, read-only: update_vsyscall() writes it, the vDSO reads it',
  '[vdso]': "the kernel's code, run in user mode",
  '[vsyscall]': 'legacy page: every fetch faults, the kernel emulates the call',
  '[stack]': 'grows down on demand',
  '[heap]': 'brk',
};

/** /proc/self/maps as the kernel prints it, each kernel mapping explained, rip's marked. */
export function infoMaps(m: Machine): string[] {
  const rip = m.kernel.cpu.rip;
  const lines = m.kernel.mm.procMaps().trimEnd().split('\n');
  return lines.map((l) => {
    const [range] = l.split(' ');
    const [a, b] = range.split('-').map((x) => BigInt.asIntN(64, BigInt('0x' + x)));
    const name = l.slice(73).trim();
    const note = NOTES[name];
    const here = BigInt(rip) >= a && BigInt(rip) < b ? '  <= rip' : '';
    return `${l}${note ? `   (${note})` : ''}${here}`;
  });
}

export function infoBreakpoints(m: Machine): string[] {
  if (m.breakpoints.size === 0) return ['No breakpoints.'];
  const out = ['Num     Address            What                     Hits'];
  for (const b of m.breakpoints.values()) {
    const sym = m.symbols.symbolize(b.addr);
    out.push(`${String(b.id).padEnd(8)}0x${hexAddr(b.addr).padStart(16, '0')} ${(sym ? `<${sym}>` : b.spec).padEnd(24)} ${b.hits}`);
  }
  return out;
}

/** x/NFU ADDR, as gdb prints it. */
export function examine(m: Machine, cmd0: string, arg: string): string[] | string {
  const fmt = /^x(?:\/(\d*)([xduistcbhwg]*))?$/i.exec(cmd0);
  if (!fmt) return `x: bad format "${cmd0}" (x/4gx $rsp, x/5i $rip, x/s ADDR)`;
  const n = fmt[1] ? Number(fmt[1]) : 1;
  let f = 'x', u = 'w';
  for (const ch of (fmt[2] ?? '').toLowerCase()) {
    if ('bhwg'.includes(ch)) u = ch;
    else f = ch;
  }
  if (n < 1 || n > 4096) return 'x: the count must be 1..4096';
  const a = evalAddress(arg || '$rip', m.kernel, m.symbols);
  if (typeof a === 'string') return a;
  const label = (addr: number) => {
    const sym = m.symbols.symbolize(addr);
    return `0x${hexAddr(addr)}${sym ? ` <${sym}>` : ''}:`;
  };
  const noAccess = (addr: number) => `Cannot access memory at address 0x${hexAddr(addr)}`;
  if (f === 'i') {
    const bytes = peekBytes(m.kernel.mem, a, 16 * n);
    if (!bytes) return noAccess(a);
    const rip = m.kernel.cpu.rip;
    return disassemble(bytes, a, { symbolize: (x) => m.symbols.symbolize(x) }).slice(0, n)
      .map((d) => `${d.addr === rip ? '=> ' : '   '}${label(d.addr)}\t${d.text}`);
  }
  if (f === 's') {
    const out: string[] = [];
    let addr = a;
    for (let i = 0; i < n; i++) {
      const b = peekBytes(m.kernel.mem, addr, 200);
      if (!b) return out.length ? [...out, noAccess(addr)] : noAccess(addr);
      const end = b.indexOf(0);
      const s = b.subarray(0, end < 0 ? b.length : end);
      out.push(`${label(addr)}\t${JSON.stringify(Buffer.from(s).toString('latin1'))}${end < 0 ? '...' : ''}`);
      addr += s.length + 1;
    }
    return out;
  }
  const size = { b: 1, h: 2, w: 4, g: 8 }[u]!;
  const perLine = { b: 8, h: 8, w: 4, g: 2 }[u]!;
  const bytes = peekBytes(m.kernel.mem, a, n * size);
  if (!bytes || bytes.length < size) return noAccess(a);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: string[] = [];
  let line = '';
  for (let i = 0; i < n; i++) {
    const off = i * size;
    if (off + size > bytes.length) {
      if (line) out.push(line);
      out.push(noAccess(a + off));
      return out;
    }
    const raw = size === 8 ? v.getBigUint64(off, true) : BigInt(size === 4 ? v.getUint32(off, true) : size === 2 ? v.getUint16(off, true) : v.getUint8(off));
    const signed = BigInt.asIntN(size * 8, raw);
    const text = f === 'd' ? signed.toString() : f === 'u' ? raw.toString() : f === 'c' ? `${signed} '${String.fromCharCode(Number(raw & 0xffn))}'` : '0x' + raw.toString(16).padStart(size * 2, '0');
    if (i % perLine === 0) {
      if (line) out.push(line);
      line = label(a + off);
    }
    line += '\t' + text;
  }
  if (line) out.push(line);
  return out;
}

export { PAGE_SIZE, parseNumber };
