// Instruction-level observation while single-stepping: before an instruction runs, work out the
// address its memory operand will touch (without touching it) and, if that is in [vvar], which field
// of the kernel's data page it reads and the value there; after it ran, note an rdtsc's result and a
// return out of the vDSO. These are the moments the vDSO's user-mode road is made of.

import type { Cpu } from '../../cpu/cpu.js';
import { Reg, SEG_FS, SEG_GS } from '../../cpu/cpu.js';
import type { Insn } from '../../cpu/insn.js';
import type { Machine } from './machine.js';
import { decodeAt } from './peek.js';
import { fieldAt, readVvar } from './vvar.js';
import { VVAR_SIZE } from '../../kernel/vdso/datapage.js';

export { vvarSeq } from './vvar.js';

export interface Observation {
  addr: number;
  insn: Insn | null;
  /** Effective address of the memory operand, if any (lea excluded: it reads no memory). */
  ea: number | null;
  inVdso: boolean;
}

/** The effective address d's memory operand will use, computed from the registers without side effects. */
export function effectiveAddress(c: Cpu, d: Insn): number | null {
  if (!d.hasModrm || d.mod3) return null;
  if (d.row.mnemonic === 'lea' || d.row.mnemonic.startsWith('prefetch') || d.row.mnemonic === 'nop') return null;
  let a = d.disp;
  if (d.base >= 0) a += c.getS(d.base);
  if (d.index >= 0) a += c.getS(d.index) * d.scale;
  if (d.asize === 32) a = ((a % 4294967296) + 4294967296) % 4294967296;
  if (d.seg === SEG_FS) a += c.fsBase;
  else if (d.seg === SEG_GS) a += c.gsBase;
  return a;
}

export function observeBefore(m: Machine, addr: number): Observation {
  const k = m.kernel;
  const insn = decodeAt(k.mem, addr);
  const ea = insn ? effectiveAddress(k.cpu, insn) : null;
  if (ea !== null && m.inVvar(ea)) {
    const off = ea - (k.vdsoBase - VVAR_SIZE);
    const f = fieldAt(off);
    if (f) m.events.push({ kind: 'vvar', at: k.cpu.icount, addr: ea, field: f.name, value: readVvar(k, f.offset, f.size, f.signed), doc: f.clock ? `${f.name.replace(/\..*/, '')} belongs to ${f.clock}. ${f.doc}` : f.doc });
  }
  return { addr, insn, ea, inVdso: m.inVdso(addr) };
}

export function observeAfter(m: Machine, o: Observation): void {
  const k = m.kernel, c = k.cpu;
  const id = o.insn?.row.id;
  if (id === 'rdtsc' || id === 'rdtscp') {
    const value = ((c.get(Reg.RDX) & 0xffffffffn) << 32n) | (c.get(Reg.RAX) & 0xffffffffn);
    m.events.push({ kind: 'rdtsc', at: c.icount - 1, value });
  }
  if (o.inVdso && o.insn?.row.flow === 'ret' && !m.inVdso(c.rip)) {
    m.events.push({ kind: 'vdso-return', at: c.icount - 1, symbol: m.symbols.at(o.addr)?.name ?? '[vdso]', to: c.rip, rax: c.get(Reg.RAX) });
  }
}
