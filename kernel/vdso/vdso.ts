// The vDSO as the kernel maps it: the image bytes from vdso_image.ts, its exported symbols, and where
// [vvar] goes relative to it. Linux's counterpart is arch/x86/entry/vdso/vma.c (map_vdso) together
// with the vdso_image struct vdso2c generates.
//
// Mapping, as in Linux: pick a page-aligned base B for [vdso]; map VVAR_PAGES read-only pages at
// B - VVAR_SIZE as [vvar] (shared by every process: one page the timekeeper updates), then the image
// pages at B as [vdso] (r-x), copy vdso.bytes there, and pass B in AT_SYSINFO_EHDR. The code reaches
// vvar RIP-relatively at that fixed distance, so B may be anything page-aligned (ASLR included).

import { ElfImage } from './elfsyms.js';
import { PAGE_SIZE, VVAR_PAGES, VVAR_SIZE } from './datapage.js';
import { VDSO_IMAGE_SIZE, VDSO_IMAGE_SYMBOLS, vdsoImageBytes, type VdsoImageSymbol } from './vdso_image.js';

export type VdsoSymbol = VdsoImageSymbol;

export interface VdsoLayout {
  /** First byte of [vvar] (B - VVAR_SIZE). */
  vvarStart: number;
  /** End of [vvar] == start of [vdso] == B. */
  vvarEnd: number;
  vdsoStart: number;
  /** End of [vdso] (B + pages * PAGE_SIZE). */
  vdsoEnd: number;
}

export interface Vdso {
  /** The image (ELF file == mapped bytes; offset equals vaddr). Treat as read-only: copy it into the guest. */
  readonly bytes: Uint8Array;
  readonly size: number;
  /** Pages [vdso] occupies. */
  readonly pages: number;
  /** Bytes of [vdso] (pages * PAGE_SIZE). */
  readonly mapSize: number;
  readonly vvarPages: number;
  /** Offset of [vvar] from the vDSO base: always -VVAR_SIZE. */
  readonly vvarOffset: number;
  /** Exported functions (__vdso_X and X), in address order. */
  readonly symbols: readonly VdsoSymbol[];
  /** The parsed image, for lookups through the ELF hash tables. */
  readonly elf: ElfImage;
  /** An exported symbol by name ('__vdso_clock_gettime' or 'clock_gettime'). */
  lookup(name: string): VdsoSymbol | undefined;
  /** Offset of an exported symbol; throws if the image does not export it. */
  offsetOf(name: string): number;
  /** The exported function containing an offset from the base (strong __vdso_ name preferred), for tracers. */
  symbolAt(offset: number): VdsoSymbol | undefined;
  /** Where [vvar] and [vdso] go for a base B. */
  layout(base: number): VdsoLayout;
}

function load(): Vdso {
  const bytes = vdsoImageBytes();
  if (bytes.length !== VDSO_IMAGE_SIZE) throw new Error('vdso_image.ts is inconsistent (size); regenerate it with mkimage');
  const elf = new ElfImage(bytes);
  // The table in vdso_image.ts must be what the bytes themselves say: a cheap guard against a
  // hand-edited or half-regenerated vdso_image.ts.
  for (const s of VDSO_IMAGE_SYMBOLS) {
    const e = elf.lookup(s.name, { version: s.version });
    if (!e || e.value !== s.offset || e.size !== s.size || e.bind !== s.binding) {
      throw new Error(`vdso_image.ts is inconsistent: ${s.name} does not match the image; regenerate it with mkimage`);
    }
  }
  const pages = Math.ceil(bytes.length / PAGE_SIZE);
  const byName = new Map(VDSO_IMAGE_SYMBOLS.map((s) => [s.name, s]));
  const strong = VDSO_IMAGE_SYMBOLS.filter((s) => s.binding === 'GLOBAL');
  return {
    bytes,
    size: bytes.length,
    pages,
    mapSize: pages * PAGE_SIZE,
    vvarPages: VVAR_PAGES,
    vvarOffset: -VVAR_SIZE,
    symbols: VDSO_IMAGE_SYMBOLS,
    elf,
    lookup: (name) => byName.get(name),
    offsetOf(name) {
      const s = byName.get(name);
      if (!s) throw new Error(`the vDSO exports no ${name}`);
      return s.offset;
    },
    symbolAt: (offset) => strong.find((s) => offset >= s.offset && offset < s.offset + s.size),
    layout(base) {
      if (base % PAGE_SIZE !== 0) throw new Error(`vDSO base 0x${base.toString(16)} is not page-aligned`);
      return { vvarStart: base - VVAR_SIZE, vvarEnd: base, vdsoStart: base, vdsoEnd: base + pages * PAGE_SIZE };
    },
  };
}

/** The vDSO, parsed once at module load. */
export const vdso: Vdso = load();
