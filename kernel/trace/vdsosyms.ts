// The functions the mapped vDSO exports, read from the image in the process's memory: its program
// headers for the load offset, its dynamic symbol table for the names (kernel/vdso/elfsyms.ts, the
// reader the kernel's own image checks use). This is how the tracer finds vDSO entry points, as a
// libc does through AT_SYSINFO_EHDR; no address is known in advance, so a function added to the image
// is traced with no change here. If the mapping cannot be parsed, the kernel's copy of the image's
// symbol table (kernel/vdso/vdso.ts) stands in.

import type { Kernel } from '../kernel.js';
import { ElfImage, PT } from '../vdso/elfsyms.js';
import { vdso } from '../vdso/vdso.js';
import { peek } from './kinds.js';

export interface VdsoFunction {
  /** The strong name (__vdso_clock_gettime) when the image has one, else the exported name. */
  name: string;
  addr: number;
  size: number;
}

/** The exported functions of the vDSO mapped at k.vdsoBase, one per address ([] without a vDSO). */
export function vdsoFunctions(k: Kernel): VdsoFunction[] {
  const base = k.vdsoBase;
  if (!base) return [];
  const bytes = peek(k, base, vdso.mapSize);
  if (bytes) {
    try {
      const img = new ElfImage(bytes);
      const first = img.programHeaders.find((p) => p.type === PT.LOAD);
      const bias = base - (first?.vaddr ?? 0);
      const byAddr = new Map<number, VdsoFunction & { strong: boolean }>();
      for (const s of img.dynamicSymbols()) {
        if (s.type !== 'FUNC' || s.shndx === 0 || (s.bind !== 'GLOBAL' && s.bind !== 'WEAK')) continue;
        const addr = bias + s.value;
        const strong = s.bind === 'GLOBAL';
        const had = byAddr.get(addr);
        if (!had || (strong && !had.strong)) byAddr.set(addr, { name: s.name, addr, size: s.size, strong });
      }
      return [...byAddr.values()].map(({ name, addr, size }) => ({ name, addr, size })).sort((a, b) => a.addr - b.addr);
    } catch {
      // fall through to the kernel's table
    }
  }
  return vdso.symbols.filter((s) => s.binding === 'GLOBAL').map((s) => ({ name: s.name, addr: base + s.offset, size: s.size }));
}
