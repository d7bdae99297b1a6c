// A small reader for the dynamic-linking tables of an ELF64 little-endian shared object: program and
// section headers, the dynamic section, dynamic symbols with their versions, and symbol lookup by
// name through DT_GNU_HASH or DT_HASH, the way a dynamic linker does it.
//
// It exists so the kernel and a tracer can name vDSO addresses and find vDSO entry points in the very
// bytes they map, and so mkimage.ts can check the built image. It follows the kernel's own user-space
// vDSO parser (tools/testing/selftests/vDSO/parse_vdso.c) and the ELF gABI / "ELF symbol versioning"
// (Sun/GNU) specifications. Addresses in the tables are virtual addresses; this reader turns them into
// offsets through the PT_LOAD segments, so it reads a file. The vDSO is linked with file offset ==
// virtual address (mkimage.ts checks it), so for the vDSO the bytes mapped at AT_SYSINFO_EHDR are
// the file and can be passed in directly.
//
// Values that are addresses (st_value, p_vaddr, d_ptr) are returned as signed numbers: an image
// linked at 0 has small ones, and a symbol below the base (the vDSO's vvar_vdso_data, at -4096)
// reads naturally. Every read is bounds-checked and a malformed image throws ElfError.

export class ElfError extends Error {
  override name = 'ElfError';
}

export const ET_DYN = 3;
export const EM_X86_64 = 62;

export const PT = { NULL: 0, LOAD: 1, DYNAMIC: 2, INTERP: 3, NOTE: 4, SHLIB: 5, PHDR: 6, TLS: 7,
  GNU_EH_FRAME: 0x6474e550, GNU_STACK: 0x6474e551, GNU_RELRO: 0x6474e552, GNU_PROPERTY: 0x6474e553 } as const;
export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;

export const SHT = { NULL: 0, PROGBITS: 1, SYMTAB: 2, STRTAB: 3, RELA: 4, HASH: 5, DYNAMIC: 6, NOTE: 7,
  NOBITS: 8, REL: 9, DYNSYM: 11, RELR: 19, GNU_HASH: 0x6ffffff6, GNU_VERDEF: 0x6ffffffd,
  GNU_VERNEED: 0x6ffffffe, GNU_VERSYM: 0x6fffffff } as const;
export const SHF_WRITE = 1;
export const SHF_ALLOC = 2;
export const SHF_EXECINSTR = 4;

/** Dynamic tags used here (elf.h). */
export const DT = { NULL: 0, NEEDED: 1, PLTRELSZ: 2, PLTGOT: 3, HASH: 4, STRTAB: 5, SYMTAB: 6, RELA: 7,
  RELASZ: 8, RELAENT: 9, STRSZ: 10, SYMENT: 11, INIT: 12, FINI: 13, SONAME: 14, RPATH: 15, SYMBOLIC: 16,
  REL: 17, RELSZ: 18, RELENT: 19, PLTREL: 20, DEBUG: 21, TEXTREL: 22, JMPREL: 23, BIND_NOW: 24,
  INIT_ARRAY: 25, FINI_ARRAY: 26, RUNPATH: 29, FLAGS: 30, RELRSZ: 35, RELR: 36, RELRENT: 37,
  GNU_HASH: 0x6ffffef5, RELACOUNT: 0x6ffffff9, RELCOUNT: 0x6ffffffa, FLAGS_1: 0x6ffffffb,
  VERSYM: 0x6ffffff0, VERDEF: 0x6ffffffc, VERDEFNUM: 0x6ffffffd, VERNEED: 0x6ffffffe, VERNEEDNUM: 0x6fffffff } as const;
export const DT_NAMES: Record<number, string> = Object.fromEntries(Object.entries(DT).map(([k, v]) => [v, `DT_${k}`]));

export const SHN_UNDEF = 0;
export const SHN_ABS = 0xfff1;
export const STB_NAMES = ['LOCAL', 'GLOBAL', 'WEAK'] as const;
export const STT_NAMES = ['NOTYPE', 'OBJECT', 'FUNC', 'SECTION', 'FILE', 'COMMON', 'TLS'] as const;
export const VER_FLG_BASE = 1;
/** versym bit meaning "hidden": the symbol is not the default version and is not found unversioned. */
export const VERSYM_HIDDEN = 0x8000;

export interface ElfHeader {
  type: number; machine: number; entry: number;
  phoff: number; shoff: number; phentsize: number; phnum: number;
  shentsize: number; shnum: number; shstrndx: number;
}
export interface ProgramHeader { type: number; flags: number; offset: number; vaddr: number; filesz: number; memsz: number; align: number }
export interface SectionHeader {
  index: number; name: string; type: number; flags: number; addr: number; offset: number;
  size: number; link: number; info: number; addralign: number; entsize: number;
}
export interface DynamicEntry { tag: number; value: number }
export interface VersionDef { index: number; flags: number; hash: number; name: string; parents: string[] }
export interface ElfSymbol {
  index: number; name: string; value: number; size: number;
  bind: string; type: string; other: number; shndx: number;
  /** Version name (dynamic symbols only); null for unversioned, local or undefined symbols. */
  version: string | null;
  /** versym has VERSYM_HIDDEN set: found only by asking for this exact version. */
  hidden: boolean;
}

/** The SysV ELF hash (gABI), used by DT_HASH and in Verdef.vd_hash. */
export function elfHash(name: string): number {
  let h = 0;
  for (const c of new TextEncoder().encode(name)) {
    h = ((h << 4) + c) >>> 0;
    const g = h & 0xf0000000;
    if (g) h ^= g >>> 24;
    h = (h & ~g) >>> 0;
  }
  return h >>> 0;
}

/** The GNU hash (Bernstein's djb2, h*33 + c) used by DT_GNU_HASH. */
export function gnuHash(name: string): number {
  let h = 5381;
  for (const c of new TextEncoder().encode(name)) h = (Math.imul(h, 33) + c) >>> 0;
  return h >>> 0;
}

export class ElfImage {
  readonly view: DataView;
  readonly header: ElfHeader;
  readonly programHeaders: ProgramHeader[];
  readonly sectionHeaders: SectionHeader[];
  readonly dynamic: DynamicEntry[];
  private dynsymCache: ElfSymbol[] | null = null;
  private verdefCache: VersionDef[] | null = null;

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.header = this.readHeader();
    this.programHeaders = this.readProgramHeaders();
    this.sectionHeaders = this.readSectionHeaders();
    this.dynamic = this.readDynamic();
  }

  // ---- bounds-checked primitives ----

  private need(off: number, len: number, what: string): void {
    if (!Number.isInteger(off) || off < 0 || off + len > this.bytes.length) {
      throw new ElfError(`${what} at file offset ${off} (+${len}) is outside the ${this.bytes.length}-byte image`);
    }
  }
  u8(off: number): number { this.need(off, 1, 'u8'); return this.view.getUint8(off); }
  u16(off: number): number { this.need(off, 2, 'u16'); return this.view.getUint16(off, true); }
  u32(off: number): number { this.need(off, 4, 'u32'); return this.view.getUint32(off, true); }
  /** A 64-bit field as a signed number (exact while |v| < 2^53, which every sane image meets). */
  s64(off: number): number { this.need(off, 8, 'u64'); return Number(this.view.getBigInt64(off, true)); }
  u64(off: number): bigint { this.need(off, 8, 'u64'); return this.view.getBigUint64(off, true); }
  cstring(off: number, what = 'string'): string {
    this.need(off, 1, what);
    let end = off;
    while (end < this.bytes.length && this.bytes[end] !== 0) end++;
    if (end >= this.bytes.length) throw new ElfError(`${what} at offset ${off} is not NUL-terminated`);
    return new TextDecoder().decode(this.bytes.subarray(off, end));
  }

  // ---- headers ----

  private readHeader(): ElfHeader {
    const b = this.bytes;
    if (b.length < 64 || b[0] !== 0x7f || b[1] !== 0x45 || b[2] !== 0x4c || b[3] !== 0x46) throw new ElfError('not an ELF file (bad magic)');
    if (b[4] !== 2) throw new ElfError('not ELFCLASS64');
    if (b[5] !== 1) throw new ElfError('not little-endian (ELFDATA2LSB)');
    return {
      type: this.u16(16), machine: this.u16(18), entry: this.s64(24),
      phoff: this.s64(32), shoff: this.s64(40),
      phentsize: this.u16(54), phnum: this.u16(56),
      shentsize: this.u16(58), shnum: this.u16(60), shstrndx: this.u16(62),
    };
  }

  private readProgramHeaders(): ProgramHeader[] {
    const { phoff, phnum, phentsize } = this.header;
    if (phnum && phentsize !== 56) throw new ElfError(`e_phentsize is ${phentsize}, not 56`);
    const out: ProgramHeader[] = [];
    for (let i = 0; i < phnum; i++) {
      const o = phoff + i * 56;
      out.push({ type: this.u32(o), flags: this.u32(o + 4), offset: this.s64(o + 8), vaddr: this.s64(o + 16),
        filesz: this.s64(o + 32), memsz: this.s64(o + 40), align: this.s64(o + 48) });
    }
    return out;
  }

  private readSectionHeaders(): SectionHeader[] {
    const { shoff, shnum, shentsize, shstrndx } = this.header;
    if (!shoff || !shnum) return [];
    if (shentsize !== 64) throw new ElfError(`e_shentsize is ${shentsize}, not 64`);
    const raw = [];
    for (let i = 0; i < shnum; i++) {
      const o = shoff + i * 64;
      raw.push({ index: i, nameOff: this.u32(o), type: this.u32(o + 4), flags: this.s64(o + 8), addr: this.s64(o + 16),
        offset: this.s64(o + 24), size: this.s64(o + 32), link: this.u32(o + 40), info: this.u32(o + 44),
        addralign: this.s64(o + 48), entsize: this.s64(o + 56) });
    }
    const strtab = raw[shstrndx];
    return raw.map(({ nameOff, ...s }) => ({ ...s, name: strtab ? this.cstring(strtab.offset + nameOff, 'section name') : '' }));
  }

  /** File offset of a virtual address, through the PT_LOAD segments. */
  offsetOf(vaddr: number, len = 1): number {
    for (const p of this.programHeaders) {
      if (p.type === PT.LOAD && vaddr >= p.vaddr && vaddr + len <= p.vaddr + p.filesz) return p.offset + (vaddr - p.vaddr);
    }
    throw new ElfError(`address 0x${vaddr.toString(16)} (+${len}) is not in the file part of any PT_LOAD`);
  }

  section(name: string): SectionHeader | undefined {
    return this.sectionHeaders.find((s) => s.name === name);
  }

  // ---- the dynamic section ----

  private readDynamic(): DynamicEntry[] {
    const ph = this.programHeaders.find((p) => p.type === PT.DYNAMIC);
    if (!ph) return [];
    const out: DynamicEntry[] = [];
    for (let o = ph.offset; o + 16 <= ph.offset + ph.filesz; o += 16) {
      const tag = this.s64(o);
      if (tag === DT.NULL) return out;
      out.push({ tag, value: this.s64(o + 8) });
    }
    throw new ElfError('the dynamic section has no DT_NULL terminator');
  }

  /** The value of a dynamic tag, or undefined (the first one if repeated). */
  dyn(tag: number): number | undefined {
    return this.dynamic.find((d) => d.tag === tag)?.value;
  }

  private needDyn(tag: number): number {
    const v = this.dyn(tag);
    if (v === undefined) throw new ElfError(`no ${DT_NAMES[tag] ?? tag} in the dynamic section`);
    return v;
  }

  /** A name from the dynamic string table (DT_STRTAB/DT_STRSZ). */
  dynString(off: number): string {
    const strsz = this.needDyn(DT.STRSZ);
    if (off < 0 || off >= strsz) throw new ElfError(`string offset ${off} is past DT_STRSZ ${strsz}`);
    return this.cstring(this.offsetOf(this.needDyn(DT.STRTAB) + off), 'dynamic string');
  }

  /** DT_SONAME, or undefined. */
  get soname(): string | undefined {
    const v = this.dyn(DT.SONAME);
    return v === undefined ? undefined : this.dynString(v);
  }

  // ---- symbols ----

  /**
   * Number of dynamic symbols. The dynamic section does not say; a loader learns it from DT_HASH's
   * nchain, or, with only DT_GNU_HASH, by walking to the end of the last hash chain.
   */
  dynsymCount(): number {
    const hash = this.dyn(DT.HASH);
    if (hash !== undefined) return this.u32(this.offsetOf(hash + 4, 4));
    const g = this.gnuHashTable();
    if (!g) throw new ElfError('neither DT_HASH nor DT_GNU_HASH: cannot size the dynamic symbol table');
    let last = 0;
    for (let b = 0; b < g.nbuckets; b++) last = Math.max(last, this.u32(g.buckets + 4 * b));
    if (last < g.symoffset) return g.symoffset;
    while (!(this.u32(g.chain + 4 * (last - g.symoffset)) & 1)) last++;
    return last + 1;
  }

  private readSymbolAt(off: number, index: number, name: string): Omit<ElfSymbol, 'version' | 'hidden'> {
    const info = this.u8(off + 4);
    return { index, name, value: this.s64(off + 8), size: this.s64(off + 16),
      bind: STB_NAMES[info >> 4] ?? `BIND_${info >> 4}`, type: STT_NAMES[info & 15] ?? `TYPE_${info & 15}`,
      other: this.u8(off + 5), shndx: this.u16(off + 6) };
  }

  /** All dynamic symbols (index 0, the null symbol, included), with version names from DT_VERSYM. */
  dynamicSymbols(): ElfSymbol[] {
    if (this.dynsymCache) return this.dynsymCache;
    const symtab = this.needDyn(DT.SYMTAB);
    const syment = this.dyn(DT.SYMENT) ?? 24;
    if (syment !== 24) throw new ElfError(`DT_SYMENT is ${syment}, not 24`);
    const versym = this.dyn(DT.VERSYM);
    const defs = new Map(this.versionDefs().map((d) => [d.index, d]));
    const n = this.dynsymCount();
    const out: ElfSymbol[] = [];
    for (let i = 0; i < n; i++) {
      const off = this.offsetOf(symtab + 24 * i, 24);
      const s = this.readSymbolAt(off, i, this.dynString(this.u32(off)));
      let version: string | null = null;
      let hidden = false;
      if (versym !== undefined) {
        const v = this.u16(this.offsetOf(versym + 2 * i, 2));
        hidden = (v & VERSYM_HIDDEN) !== 0;
        const idx = v & 0x7fff;
        // 0 is local, 1 the global base version: neither names a version.
        if (idx > 1) version = defs.get(idx)?.name ?? `#${idx}`;
      }
      out.push({ ...s, version, hidden });
    }
    return (this.dynsymCache = out);
  }

  /** Symbols of a section-header symbol table (.symtab), when the image still has one (vdso.so.dbg). */
  sectionSymbols(name = '.symtab'): ElfSymbol[] {
    const sh = this.section(name);
    if (!sh) return [];
    const strtab = this.sectionHeaders[sh.link];
    if (!strtab) throw new ElfError(`${name} links to missing section ${sh.link}`);
    const out: ElfSymbol[] = [];
    for (let i = 0; i * 24 < sh.size; i++) {
      const off = sh.offset + 24 * i;
      const nm = this.cstring(strtab.offset + this.u32(off), 'symbol name');
      out.push({ ...this.readSymbolAt(off, i, nm), version: null, hidden: false });
    }
    return out;
  }

  /** Version definitions (DT_VERDEF, DT_VERDEFNUM): index 1 is the base, named like the soname. */
  versionDefs(): VersionDef[] {
    if (this.verdefCache) return this.verdefCache;
    const start = this.dyn(DT.VERDEF);
    if (start === undefined) return (this.verdefCache = []);
    const num = this.needDyn(DT.VERDEFNUM);
    const out: VersionDef[] = [];
    let addr = start;
    for (let i = 0; i < num; i++) {
      const o = this.offsetOf(addr, 20);
      const vdVersion = this.u16(o);
      if (vdVersion !== 1) throw new ElfError(`Verdef ${i} has vd_version ${vdVersion}, not 1`);
      const flags = this.u16(o + 2), index = this.u16(o + 4), cnt = this.u16(o + 6), hash = this.u32(o + 8);
      const names: string[] = [];
      let aux = addr + this.u32(o + 12);
      for (let j = 0; j < cnt; j++) {
        const a = this.offsetOf(aux, 8);
        names.push(this.dynString(this.u32(a)));
        aux += this.u32(a + 4);
      }
      if (!names.length) throw new ElfError(`Verdef ${i} has no name`);
      out.push({ index, flags, hash, name: names[0], parents: names.slice(1) });
      const next = this.u32(o + 16);
      if (!next) break;
      addr += next;
    }
    return (this.verdefCache = out);
  }

  private gnuHashTable() {
    const addr = this.dyn(DT.GNU_HASH);
    if (addr === undefined) return undefined;
    const o = this.offsetOf(addr, 16);
    const nbuckets = this.u32(o), symoffset = this.u32(o + 4), bloomSize = this.u32(o + 8), bloomShift = this.u32(o + 12);
    const bloom = o + 16;
    const buckets = bloom + 8 * bloomSize;
    const chain = buckets + 4 * nbuckets;
    if (!nbuckets || !bloomSize) throw new ElfError('DT_GNU_HASH has no buckets or no bloom words');
    return { nbuckets, symoffset, bloomSize, bloomShift, bloom, buckets, chain };
  }

  /** Candidate symbol indexes for a name through DT_GNU_HASH (bloom filter, bucket, chain). */
  private gnuCandidates(name: string): number[] {
    const g = this.gnuHashTable();
    if (!g) throw new ElfError('no DT_GNU_HASH');
    const h = gnuHash(name);
    const word = this.u64(g.bloom + 8 * (Math.floor(h / 64) % g.bloomSize));
    const bits = (1n << BigInt(h % 64)) | (1n << BigInt((h >>> g.bloomShift) % 64));
    if ((word & bits) !== bits) return [];
    let i = this.u32(g.buckets + 4 * (h % g.nbuckets));
    if (i < g.symoffset) return [];
    const out: number[] = [];
    for (;; i++) {
      const h2 = this.u32(g.chain + 4 * (i - g.symoffset));
      if ((h | 1) === (h2 | 1)) out.push(i);
      if (h2 & 1) return out;
    }
  }

  /** Candidate symbol indexes for a name through DT_HASH (bucket, chain). */
  private sysvCandidates(name: string): number[] {
    const addr = this.dyn(DT.HASH);
    if (addr === undefined) throw new ElfError('no DT_HASH');
    const o = this.offsetOf(addr, 8);
    const nbucket = this.u32(o), nchain = this.u32(o + 4);
    if (!nbucket) throw new ElfError('DT_HASH has no buckets');
    const out: number[] = [];
    for (let i = this.u32(o + 8 + 4 * (elfHash(name) % nbucket)), steps = 0; i !== 0; i = this.u32(o + 8 + 4 * nbucket + 4 * i)) {
      if (i >= nchain || ++steps > nchain) throw new ElfError('DT_HASH chain runs out of the table');
      out.push(i);
    }
    return out;
  }

  /**
   * Look a defined symbol up by name, as a dynamic linker would: through DT_GNU_HASH when present
   * (or `via: 'sysv'` to use DT_HASH), skipping undefined and local symbols. With `version`, the
   * symbol's version must match it (hidden versions included); without, hidden ones are skipped.
   */
  lookup(name: string, opts: { version?: string; via?: 'gnu' | 'sysv' } = {}): ElfSymbol | undefined {
    const via = opts.via ?? (this.dyn(DT.GNU_HASH) !== undefined ? 'gnu' : 'sysv');
    const syms = this.dynamicSymbols();
    const cands = via === 'gnu' ? this.gnuCandidates(name) : this.sysvCandidates(name);
    for (const i of cands) {
      const s = syms[i];
      if (!s || s.name !== name || s.shndx === SHN_UNDEF || s.bind === 'LOCAL') continue;
      if (opts.version !== undefined ? s.version !== opts.version : s.hidden) continue;
      return s;
    }
    return undefined;
  }

  /** ELF notes in the PT_NOTE segments: {name, type, desc}. */
  notes(): { name: string; type: number; desc: Uint8Array }[] {
    const out: { name: string; type: number; desc: Uint8Array }[] = [];
    const align4 = (n: number) => (n + 3) & ~3;
    for (const p of this.programHeaders) {
      if (p.type !== PT.NOTE) continue;
      for (let o = p.offset; o + 12 <= p.offset + p.filesz;) {
        const namesz = this.u32(o), descsz = this.u32(o + 4), type = this.u32(o + 8);
        const nameOff = o + 12, descOff = nameOff + align4(namesz);
        this.need(descOff, descsz, 'note descriptor');
        const name = new TextDecoder().decode(this.bytes.subarray(nameOff, nameOff + Math.max(0, namesz - 1)));
        out.push({ name, type, desc: this.bytes.subarray(descOff, descOff + descsz) });
        o = descOff + align4(descsz);
      }
    }
    return out;
  }

  /** The GNU build-id note (NT_GNU_BUILD_ID) as hex, or undefined. */
  buildId(): string | undefined {
    const n = this.notes().find((x) => x.name === 'GNU' && x.type === 3);
    return n ? Array.from(n.desc, (b) => b.toString(16).padStart(2, '0')).join('') : undefined;
  }
}
