// Symbols and call stacks for `colonel trace -k` and `--insns`.
//
// A Symbolizer names addresses from the program's .symtab (kernel/elf/elf.ts symbols(), shifted by the
// load bias for a PIE) and the vDSO's exported functions at the mapped base.
//
// The unwinder cannot follow frame pointers (gcc -O2 omits them) or DWARF CFI (a static musl binary
// carries none for libc), so it scans the stack as Breakpad's and gdb's fallback unwinders do: walking
// up from rsp, a word is taken as a return address when it points into executable code just after a
// call instruction. A word after a direct call to the function the previous frame is in is taken at
// once; that test rejects the stale return addresses left in dead stack slots. A word after an indirect
// call (whose target cannot be checked) or after a direct call elsewhere (a tail call removed a frame)
// is taken only if no word within the next STRICT_WINDOW passes the test. Like any stack scan it can
// miss a frame or, rarely, show a stale one; strace's -k uses libunwind on the host and is exact.

import type { Kernel } from '../kernel.js';
import { Reg } from '../../cpu/cpu.js';
import { PROT_EXEC } from '../../cpu/memory.js';
import { symbols as elfSymbols, parseElf } from '../elf/elf.js';
import { vdsoFunctions } from './vdsosyms.js';

export interface Sym {
  name: string;
  start: number;
  size: number;
}

export interface Frame {
  addr: number;
  /** `main+0x1e`, or null when no symbol covers the address. */
  symbol: string | null;
  /** What the mapping is: the program's path, [vdso], ... */
  object: string;
  /** Offset of the address in that object's file (as strace -k prints it). */
  offset: number;
}

const STT_NOTYPE = 0;
const STT_FUNC = 2;

export class Symbolizer {
  private readonly syms: Sym[] = [];

  constructor(private readonly k: Kernel, programBytes: Uint8Array | null) {
    if (programBytes) {
      let bias = 0;
      try {
        const elf = parseElf(programBytes);
        const atEntry = k.auxv.find(([key]) => key === 9)?.[1];
        if (atEntry !== undefined) bias = atEntry - elf.entry;
      } catch {
        // Not an ELF we can read: no program symbols.
      }
      for (const s of elfSymbols(programBytes)) {
        if (s.type === STT_FUNC || s.type === STT_NOTYPE) this.syms.push({ name: s.name, start: s.value + bias, size: s.size });
      }
    }
    for (const f of vdsoFunctions(k)) this.syms.push({ name: f.name, start: f.addr, size: f.size });
    this.syms.sort((a, b) => a.start - b.start || b.size - a.size);
  }

  /** The symbol containing `addr` (a sized symbol, or the last unsized one before it). */
  lookup(addr: number): Sym | undefined {
    let lo = 0, hi = this.syms.length - 1, best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.syms[mid].start <= addr) { best = mid; lo = mid + 1; } else hi = mid - 1;
    }
    for (let i = best; i >= 0 && i > best - 8; i--) {
      const s = this.syms[i];
      if (addr < s.start + Math.max(s.size, 1) || (s.size === 0 && i === best)) return s;
    }
    return undefined;
  }

  /**
   * `name+0xoff` (objdump's form), or null. A return address is looked up one byte back: a call that
   * ends a function returns to the first byte of the next one, but belongs to the caller.
   */
  name(addr: number, isReturn = false): string | null {
    const s = this.lookup(isReturn ? addr - 1 : addr);
    if (!s) return null;
    const off = addr - s.start;
    return off ? `${s.name}+0x${off.toString(16)}` : s.name;
  }

  /** A symbol's address by name (for --insns=SYMBOL). */
  find(name: string): Sym | undefined {
    return this.syms.find((s) => s.name === name);
  }

  frame(addr: number): Frame {
    const vma = this.k.mm.find(addr);
    return {
      addr,
      symbol: this.name(addr, true),
      object: vma ? vma.name || '[anon]' : '?',
      offset: vma ? addr - vma.start + (vma.name.startsWith('[') ? 0 : vma.offset) : addr,
    };
  }
}

const MAX_FRAMES = 32;
const MAX_SCAN_WORDS = 4096;
/** Words scanned for a strictly matching return address before a looser one is accepted. */
const STRICT_WINDOW = 64;

/**
 * The call stack at a call: `pc` (where the call returns to), then the return addresses found above
 * `sp`. `sp` is the stack pointer of the frame `pc` is in.
 */
export function unwind(k: Kernel, sym: Symbolizer, pc: number, sp: number): Frame[] {
  const frames = [sym.frame(pc)];
  let fn = sym.lookup(pc)?.start;
  let addr = sp;
  let budget = MAX_SCAN_WORDS;
  while (frames.length < MAX_FRAMES) {
    const next = nextReturn(k, fn, addr, () => budget-- > 0);
    if (!next) break;
    frames.push(sym.frame(next.value));
    fn = sym.lookup(next.value)?.start;
    addr = next.at + 8;
  }
  return frames;
}

/** The next word at or above `addr` taken as a return address into a caller of `fn` (see above). */
function nextReturn(k: Kernel, fn: number | undefined, addr: number, more: () => boolean): { value: number; at: number } | null {
  let loose: { value: number; at: number } | null = null;
  for (; more(); addr += 8) {
    if (loose && addr - loose.at >= STRICT_WINDOW * 8) return loose;
    let v: number;
    try {
      const lo = k.mem.read64(addr);
      v = k.mem.hi * 4294967296 + (lo >>> 0);
    } catch {
      break; // the top of the stack
    }
    const call = callBefore(k, v);
    if (call === null) continue;
    if (fn === undefined || call.target === fn) return { value: v, at: addr };
    loose ??= { value: v, at: addr };
  }
  return loose;
}

/** The call stack at a syscall instruction (rip is already past it). */
export function unwindHere(k: Kernel, sym: Symbolizer): Frame[] {
  return unwind(k, sym, k.cpu.rip, k.cpu.getS(Reg.RSP));
}

/**
 * If `ret` follows a call instruction in executable memory, that call's target (null for an
 * indirect call); otherwise null is returned as `null` overall.
 */
function callBefore(k: Kernel, ret: number): { target: number | null } | null {
  const vma = k.mm.find(ret);
  if (!vma || !(vma.prot & PROT_EXEC) || ret - vma.start < 2) return null;
  // call rel32 is 5 bytes; indirect calls (FF /2) are 2 to 7 bytes (ModRM, SIB, disp, prefixes).
  for (const len of [5, 2, 3, 6, 4, 7]) {
    try {
      const d = k.engine.insnAt(ret - len);
      if (d.next === ret && d.row.flow === 'call') return { target: d.row.operands.includes('rel32') ? d.target : null };
    } catch {
      // Not decodable there: try the next length.
    }
  }
  return null;
}
