// map_vdso (arch/x86/entry/vdso/vma.c): place [vvar] and [vdso] together, vvar directly below the
// image, so the image's RIP-relative references to vvar resolve wherever the pair lands. The image
// is copied in read-execute; vvar is the kernel's own page, shared read-only, so what
// update_vsyscall writes is what the guest reads at once.

import { PROT_READ, PROT_EXEC } from '../../cpu/memory.js';
import { vdso } from './vdso.js';
import type { Kernel } from '../kernel.js';

/** Map vvar and the vDSO below `top` (top-down, as get_unmapped_area); returns the vDSO base. */
export function mapVdso(k: Kernel, top: number): number {
  const base = top - vdso.mapSize;
  const l = vdso.layout(base);
  k.mm.mapRegion(l.vvarStart, l.vvarEnd - l.vvarStart, PROT_READ, '[vvar]');
  for (let off = 0; off < l.vvarEnd - l.vvarStart; off += 4096) {
    k.mem.mapShared(l.vvarStart + off, k.vvar.subarray(off, off + 4096), PROT_READ);
  }
  k.mm.mapRegion(l.vdsoStart, vdso.mapSize, PROT_READ | PROT_EXEC, '[vdso]');
  k.mem.poke(l.vdsoStart, vdso.bytes);
  k.vdsoBase = base;
  return base;
}
