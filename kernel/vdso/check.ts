// Lints a built vDSO image, as gVisor's vdso/check_vdso.py and the checks in Linux's
// arch/x86/entry/vdso/vdso2c.h do: the kernel maps these bytes as they are, so anything that would
// need a loader's help (a relocation, writable data, segments at odd offsets) is a build error.
//
// checkVdsoImage() returns a list of problems, empty when the image is fit to map. What it demands
// comes from REFERENCE.md: one r-x PT_LOAD covering the headers with file offset == vaddr, read-only
// PT_DYNAMIC, PT_NOTE, no relocations, no .data/.bss, the dynamic tags libcs need (DT_HASH for musl
// and parse_vdso, DT_GNU_HASH for glibc, versions, soname), and the export list: __vdso_X GLOBAL FUNC
// and X WEAK FUNC at the same address, both LINUX_2.6, for each X in VDSO_FUNCTIONS.

import { DT, DT_NAMES, ElfImage, ElfError, EM_X86_64, ET_DYN, elfHash, PF_R, PF_W, PF_X, PT,
  SHF_ALLOC, SHF_WRITE, SHT, VER_FLG_BASE } from './elfsyms.js';
import { PAGE_SIZE, VVAR_SIZE, VVAR_VDSO_DATA_OFFSET } from './datapage.js';

/** The functions the vDSO exports, each as __vdso_X and weak X. Keep in step with vdso.lds.S. */
export const VDSO_FUNCTIONS = ['clock_gettime', 'gettimeofday', 'time', 'getcpu', 'clock_getres', 'number_of_the_beast'] as const;
export const VDSO_SONAME = 'linux-vdso.so.1';
export const VDSO_VERSION = 'LINUX_2.6';
/** Pages the image may occupy (Linux 6.12's is two; colonel's fits in one). */
export const VDSO_MAX_PAGES = 2;
/** The linker-script symbol for struct vdso_data, checked in vdso.so.dbg. */
export const VVAR_SYMBOL = 'vvar_vdso_data';

const REQUIRED_TAGS = [DT.HASH, DT.GNU_HASH, DT.STRTAB, DT.SYMTAB, DT.STRSZ, DT.SYMENT, DT.VERSYM, DT.VERDEF, DT.VERDEFNUM, DT.SONAME];
/** Tags that mean the image wants a loader: relocations, a PLT, dependencies, constructors. */
const FORBIDDEN_TAGS = [DT.NEEDED, DT.PLTRELSZ, DT.PLTGOT, DT.RELA, DT.RELASZ, DT.REL, DT.RELSZ, DT.JMPREL, DT.TEXTREL,
  DT.RELR, DT.RELRSZ, DT.INIT, DT.FINI, DT.INIT_ARRAY, DT.FINI_ARRAY, DT.RELACOUNT, DT.RELCOUNT, DT.VERNEED];

const hex = (n: number) => `0x${n.toString(16)}`;

export function checkVdsoImage(bytes: Uint8Array): string[] {
  const problems: string[] = [];
  const bad = (msg: string) => problems.push(msg);
  let elf: ElfImage;
  try {
    elf = new ElfImage(bytes);
  } catch (e) {
    return [`cannot parse the image: ${(e as Error).message}`];
  }
  const h = elf.header;
  if (h.type !== ET_DYN) bad(`e_type is ${h.type}, not ET_DYN (3)`);
  if (h.machine !== EM_X86_64) bad(`e_machine is ${h.machine}, not EM_X86_64 (62)`);
  if (bytes.length > VDSO_MAX_PAGES * PAGE_SIZE) bad(`the image is ${bytes.length} bytes, more than ${VDSO_MAX_PAGES} pages`);

  // ---- segments ----
  const loads = elf.programHeaders.filter((p) => p.type === PT.LOAD);
  if (loads.length !== 1) bad(`${loads.length} PT_LOAD segments; the vDSO must have exactly one`);
  for (const p of loads) {
    if (p.offset !== p.vaddr) bad(`PT_LOAD at vaddr ${hex(p.vaddr)} has file offset ${hex(p.offset)}: offset must equal vaddr`);
    if (p.vaddr !== 0) bad(`PT_LOAD starts at ${hex(p.vaddr)}, not 0: it must cover the ELF headers`);
    if (p.memsz !== p.filesz) bad(`PT_LOAD memsz ${hex(p.memsz)} != filesz ${hex(p.filesz)}: zero-fill (.bss) is not allowed`);
    if (p.flags !== (PF_R | PF_X)) bad(`PT_LOAD flags are ${p.flags}, not R+X (5)`);
    if (p.offset + p.filesz > bytes.length) bad('PT_LOAD runs past the end of the file');
  }
  const dynPh = elf.programHeaders.filter((p) => p.type === PT.DYNAMIC);
  if (dynPh.length !== 1) bad(`${dynPh.length} PT_DYNAMIC segments, expected 1`);
  for (const p of dynPh) if (p.flags & PF_W) bad('PT_DYNAMIC is writable: glibc ld.so would fault writing it in the r-x mapping');
  if (!elf.programHeaders.some((p) => p.type === PT.NOTE)) bad('no PT_NOTE');
  for (const p of elf.programHeaders) {
    if (p.type === PT.INTERP || p.type === PT.TLS || p.type === PT.GNU_RELRO) bad(`unexpected program header type ${hex(p.type)}`);
  }

  // ---- sections ----
  if (!elf.sectionHeaders.length) bad('no section headers (the checks and readelf need them)');
  for (const s of elf.sectionHeaders) {
    if (s.type === SHT.REL || s.type === SHT.RELA || s.type === SHT.RELR || /^\.rel/.test(s.name)) bad(`relocation section ${s.name}: the vDSO is mapped, never relocated`);
    if (/^\.(data|bss|tdata|tbss|got|plt)/.test(s.name)) bad(`section ${s.name}: no writable data, GOT or PLT allowed`);
    if (s.type === SHT.NOBITS && s.flags & SHF_ALLOC) bad(`section ${s.name} is NOBITS (zero-fill)`);
    // ld always marks .dynamic SHF_WRITE; the segment that maps it is read-only (checked above).
    if (s.flags & SHF_WRITE && s.flags & SHF_ALLOC && s.name !== '.dynamic') bad(`section ${s.name} is writable`);
    if (s.flags & SHF_ALLOC && s.offset !== s.addr) bad(`section ${s.name} has file offset ${hex(s.offset)} != address ${hex(s.addr)}`);
  }

  // ---- the dynamic section ----
  if (!elf.dynamic.length) return [...problems, 'no dynamic section'];
  for (const t of REQUIRED_TAGS) if (elf.dyn(t) === undefined) bad(`missing ${DT_NAMES[t]}`);
  for (const t of FORBIDDEN_TAGS) if (elf.dyn(t) !== undefined) bad(`${DT_NAMES[t]} present: the vDSO must need no loader work`);
  const flags = elf.dyn(DT.FLAGS) ?? 0;
  if (flags & 4) bad('DF_TEXTREL set');
  if (problems.length) return problems; // the symbol checks below need the tables

  try {
    if (elf.soname !== VDSO_SONAME) bad(`DT_SONAME is ${JSON.stringify(elf.soname)}, not ${VDSO_SONAME}`);
    checkVersions(elf, bad);
    checkExports(elf, bad);
  } catch (e) {
    if (!(e instanceof ElfError)) throw e;
    bad(`malformed dynamic tables: ${e.message}`);
  }
  return problems;
}

function checkVersions(elf: ElfImage, bad: (m: string) => void): void {
  const defs = elf.versionDefs();
  const base = defs.find((d) => d.index === 1);
  if (!base || !(base.flags & VER_FLG_BASE) || base.name !== VDSO_SONAME) bad(`version 1 must be the base version named ${VDSO_SONAME}`);
  const v2 = defs.find((d) => d.index === 2);
  if (!v2 || v2.name !== VDSO_VERSION) bad(`version 2 must be ${VDSO_VERSION}`);
  for (const d of defs) {
    if (d.hash !== elfHash(d.name)) bad(`version ${d.name} has vd_hash ${hex(d.hash)}, not ${hex(elfHash(d.name))}`);
  }
  if (defs.length !== 2) bad(`${defs.length} version definitions, expected 2 (base and ${VDSO_VERSION})`);
}

function checkExports(elf: ElfImage, bad: (m: string) => void): void {
  const text = elf.section('.text');
  const inText = (v: number) => !!text && v >= text.addr && v < text.addr + text.size;
  const exported = elf.dynamicSymbols().filter((s) => s.index !== 0 && s.shndx !== 0 && s.bind !== 'LOCAL' && s.type !== 'OBJECT');
  const expected = new Set<string>(VDSO_FUNCTIONS.flatMap((f) => [f, `__vdso_${f}`]));
  for (const s of exported) if (!expected.has(s.name)) bad(`unexpected export ${s.name}`);
  for (const f of VDSO_FUNCTIONS) {
    const strong = elf.lookup(`__vdso_${f}`, { version: VDSO_VERSION });
    const weak = elf.lookup(f, { version: VDSO_VERSION });
    if (!strong) { bad(`missing __vdso_${f}@${VDSO_VERSION}`); continue; }
    if (!weak) { bad(`missing ${f}@${VDSO_VERSION}`); continue; }
    if (strong.bind !== 'GLOBAL' || strong.type !== 'FUNC') bad(`__vdso_${f} is ${strong.bind} ${strong.type}, not GLOBAL FUNC`);
    if (weak.bind !== 'WEAK' || weak.type !== 'FUNC') bad(`${f} is ${weak.bind} ${weak.type}, not WEAK FUNC`);
    if (weak.value !== strong.value) bad(`${f} (${hex(weak.value)}) is not an alias of __vdso_${f} (${hex(strong.value)})`);
    if (strong.hidden || weak.hidden) bad(`${f}: hidden version (it must be the default version)`);
    if (!inText(strong.value) || !inText(strong.value + strong.size - 1)) bad(`__vdso_${f} is not inside .text`);
    // Both hash tables must find it, with or without a version: musl uses DT_HASH, glibc DT_GNU_HASH.
    for (const via of ['gnu', 'sysv'] as const) {
      for (const name of [f, `__vdso_${f}`]) {
        if (elf.lookup(name, { via })?.value !== strong.value) bad(`${name} not found through ${via === 'gnu' ? 'DT_GNU_HASH' : 'DT_HASH'}`);
      }
    }
  }
}

/**
 * Checks on the unstripped link output (vdso.so.dbg): the linker script must place struct vdso_data
 * where the kernel maps it, VVAR_SIZE below the image base, plus VVAR_VDSO_DATA_OFFSET.
 */
export function checkVdsoDebugImage(bytes: Uint8Array): string[] {
  const elf = new ElfImage(bytes);
  const sym = elf.sectionSymbols().find((s) => s.name === VVAR_SYMBOL);
  if (!sym) return [`no ${VVAR_SYMBOL} symbol in the debug image`];
  const want = -VVAR_SIZE + VVAR_VDSO_DATA_OFFSET;
  return sym.value === want ? [] : [`${VVAR_SYMBOL} is at ${sym.value}, but datapage.ts maps vdso_data at ${want} from the image base`];
}
