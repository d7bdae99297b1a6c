// Names for addresses in the step view: the program's own symbols (its .symtab, moved by the load
// bias of a PIE), the vDSO's exports (from the image's dynamic symbols, at the base the kernel passed
// in AT_SYSINFO_EHDR) and the three entry points of the legacy vsyscall page. Also the small address
// expressions commands take: `main`, `main+0x10`, `0x401000`, `$rsp+8`, `*$rsp` (the qword there).

import * as fs from 'node:fs';
import type { Kernel } from '../../kernel/kernel.js';
import { parseElf, symbols as elfSymbols } from '../../kernel/elf/elf.js';
import { vdso } from '../../kernel/vdso/vdso.js';
import { VSYSCALL_ADDR, VSYSCALL_SLOTS } from '../../kernel/vsyscall.js';
import { AT } from '../../kernel/exec.js';
import { REG_NAMES } from '../../cpu/cpu.js';
import { peek64 } from './peek.js';

export type SymbolSource = 'program' | 'vdso' | 'vsyscall';

export interface Sym {
  name: string;
  addr: number;
  size: number;
  source: SymbolSource;
  /** Functions win over data when both name an address. */
  func: boolean;
}

const STT_OBJECT = 1;
const STT_FUNC = 2;
const STT_NOTYPE = 0;

export class Symbols {
  /** Sorted by address. */
  readonly list: Sym[] = [];
  private readonly byName = new Map<string, Sym>();
  /** Entry points of the vDSO's exported functions (one per address). */
  readonly vdsoEntries: Sym[] = [];

  constructor(k: Kernel) {
    this.loadProgram(k);
    if (k.vdsoBase) {
      for (const s of vdso.symbols) {
        const sym: Sym = { name: s.name, addr: k.vdsoBase + s.offset, size: s.size, source: 'vdso', func: true };
        this.byName.set(s.name, sym);
        if (s.binding === 'GLOBAL') {
          this.list.push(sym);
          this.vdsoEntries.push(sym);
        }
      }
    }
    if (k.mm.gate) {
      VSYSCALL_SLOTS.forEach((slot, i) => {
        const sym: Sym = { name: `vsyscall_${slot.name}`, addr: VSYSCALL_ADDR + i * 0x400, size: 0x400, source: 'vsyscall', func: true };
        this.list.push(sym);
        this.byName.set(sym.name, sym);
      });
    }
    this.list.sort((a, b) => a.addr - b.addr || Number(b.func) - Number(a.func));
  }

  private loadProgram(k: Kernel): void {
    let bytes: Uint8Array;
    try {
      bytes = fs.readFileSync(k.exePath);
    } catch {
      return;
    }
    let bias = 0;
    try {
      const entry = k.auxv.find(([t]) => t === AT.ENTRY)?.[1];
      if (entry !== undefined) bias = entry - parseElf(bytes).entry;
    } catch {
      return;
    }
    for (const s of elfSymbols(bytes)) {
      if (!s.name || s.name.startsWith('.') || ![STT_FUNC, STT_OBJECT, STT_NOTYPE].includes(s.type)) continue;
      const sym: Sym = { name: s.name, addr: s.value + bias, size: s.size, source: 'program', func: s.type === STT_FUNC };
      this.list.push(sym);
      const old = this.byName.get(s.name);
      if (!old || (!old.func && sym.func)) this.byName.set(s.name, sym);
    }
  }

  lookup(name: string): Sym | undefined {
    return this.byName.get(name);
  }

  /** The symbol an address belongs to: one whose extent holds it, else the nearest one below (4 KiB at most). */
  at(addr: number): Sym | undefined {
    let lo = 0, hi = this.list.length - 1, idx = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.list[mid].addr <= addr) {
        idx = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    let near: Sym | undefined;
    for (let i = idx; i >= 0 && i > idx - 64; i--) {
      const s = this.list[i];
      if (addr < s.addr + s.size && s.func) return s;
      if (addr < s.addr + s.size) near ??= s;
    }
    if (near) return near;
    const below = idx >= 0 ? this.list[idx] : undefined;
    return below && addr - below.addr < 0x1000 && below.func ? below : undefined;
  }

  /** `main+0x10` as objdump prints it inside <>, or null. */
  symbolize(addr: number): string | null {
    const s = this.at(addr);
    if (!s) return null;
    return addr === s.addr ? s.name : `${s.name}+0x${(addr - s.addr).toString(16)}`;
  }

  /** The vDSO function starting exactly at addr. */
  vdsoEntryAt(addr: number): Sym | undefined {
    return this.vdsoEntries.find((s) => s.addr === addr);
  }
}

/** Parse a number: 0x..., decimal, or negative. */
export function parseNumber(s: string): number | null {
  const m = /^(-)?(0x[0-9a-f]+|\d+)$/i.exec(s.trim());
  if (!m) return null;
  const v = Number(BigInt(m[2]));
  return m[1] ? -v : v;
}

/** A signed address from an unsigned 64-bit value. */
export function toAddr(v: bigint): number {
  return Number(BigInt.asIntN(64, v));
}

/**
 * Evaluate an address expression: terms joined by + and -, each a number, a symbol, a register
 * ($rax, $rip, $sp, $pc) or *term (the qword at that address). Returns the value or an error text.
 */
export function evalAddress(expr: string, k: Kernel, syms: Symbols): number | string {
  const text = expr.trim();
  if (!text) return 'an address is missing';
  const parts = text.replace(/\s+/g, '').split(/(?=[+-])/);
  let total = 0;
  for (const raw of parts) {
    let sign = 1, term = raw;
    if (term[0] === '+' || term[0] === '-') {
      sign = term[0] === '-' ? -1 : 1;
      term = term.slice(1);
    }
    const v = evalTerm(term, k, syms);
    if (typeof v === 'string') return v;
    total += sign * v;
  }
  return total;
}

function evalTerm(term: string, k: Kernel, syms: Symbols): number | string {
  if (term.startsWith('*')) {
    const a = evalTerm(term.slice(1), k, syms);
    if (typeof a === 'string') return a;
    const v = peek64(k.mem, a);
    return v === null ? `cannot read memory at 0x${BigInt.asUintN(64, BigInt(a)).toString(16)}` : toAddr(v);
  }
  if (term.startsWith('$')) {
    const r = term.slice(1).toLowerCase();
    if (r === 'rip' || r === 'pc') return k.cpu.rip;
    if (r === 'sp') return k.cpu.getS(4);
    const i = REG_NAMES.indexOf(r as (typeof REG_NAMES)[number]);
    if (i < 0) return `no register ${term}`;
    return toAddr(k.cpu.get(i));
  }
  const n = parseNumber(term);
  if (n !== null) return n;
  const s = syms.lookup(term);
  if (s) return s.addr;
  return `no symbol "${term}" in the program, the vDSO or the vsyscall page`;
}
