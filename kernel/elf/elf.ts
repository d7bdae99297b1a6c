// ELF64 headers as the kernel's binfmt_elf reads them (linux/fs/binfmt_elf.c, include/uapi/linux/elf.h):
// the file header, the program headers, and enough checks to refuse what the kernel would refuse,
// each with one line that names the file and the problem.

export const ET_EXEC = 2;
export const ET_DYN = 3;
export const EM_X86_64 = 62;
export const PT_LOAD = 1;
export const PT_DYNAMIC = 2;
export const PT_INTERP = 3;
export const PT_NOTE = 4;
export const PT_PHDR = 6;
export const PT_TLS = 7;
export const PT_GNU_EH_FRAME = 0x6474e550;
export const PT_GNU_STACK = 0x6474e551;
export const PT_GNU_RELRO = 0x6474e552;
export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;

export interface ProgramHeader {
  type: number;
  flags: number;
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
  align: number;
}

export interface SectionHeader {
  name: string;
  type: number;
  flags: number;
  addr: number;
  offset: number;
  size: number;
  link: number;
  info: number;
  entsize: number;
}

export interface ElfFile {
  bytes: Uint8Array;
  type: number;
  machine: number;
  entry: number;
  phoff: number;
  phentsize: number;
  phnum: number;
  phdrs: ProgramHeader[];
  /** The interpreter named by PT_INTERP, if any. */
  interp: string | null;
}

/** A file colonel cannot run; `message` is the one-line reason (without the file name). */
export class ElfError extends Error {}

function u64(v: DataView, off: number): number {
  const n = v.getBigUint64(off, true);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfError(`field at offset 0x${off.toString(16)} is absurdly large (0x${n.toString(16)})`);
  return Number(n);
}

/** Parse and validate an ELF64 x86-64 executable image. Throws ElfError with the reason. */
export function parseElf(bytes: Uint8Array): ElfFile {
  if (bytes.length < 4 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    throw new ElfError(bytes.length >= 2 && bytes[0] === 0x23 && bytes[1] === 0x21 ? 'is a script (#!), not an ELF executable' : 'not an ELF file (bad magic)');
  }
  if (bytes.length < 64) throw new ElfError(`truncated ELF header (${bytes.length} bytes, need 64)`);
  if (bytes[4] !== 2) throw new ElfError(bytes[4] === 1 ? 'is a 32-bit ELF (ELFCLASS32); colonel runs x86-64 programs only' : `bad ELF class ${bytes[4]}`);
  if (bytes[5] !== 1) throw new ElfError('is big-endian (ELFDATA2MSB); x86-64 is little-endian');
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = v.getUint16(16, true);
  const machine = v.getUint16(18, true);
  if (machine !== EM_X86_64) throw new ElfError(`is for machine ${machineName(machine)}, not x86-64`);
  if (type !== ET_EXEC && type !== ET_DYN) throw new ElfError(type === 1 ? 'is a relocatable object (ET_REL), not an executable' : type === 4 ? 'is a core dump' : `has ELF type ${type}, not an executable`);
  const entry = u64(v, 24);
  const phoff = u64(v, 32);
  const phentsize = v.getUint16(54, true);
  const phnum = v.getUint16(56, true);
  if (phnum === 0) throw new ElfError('has no program headers');
  if (phentsize !== 56) throw new ElfError(`program header size is ${phentsize}, expected 56`);
  if (phnum > 1024) throw new ElfError(`has ${phnum} program headers (absurd)`);
  if (phoff + phnum * 56 > bytes.length) throw new ElfError(`program headers at 0x${phoff.toString(16)} run past the end of the file (${bytes.length} bytes)`);
  const phdrs: ProgramHeader[] = [];
  let interp: string | null = null;
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * 56;
    const ph: ProgramHeader = {
      type: v.getUint32(o, true),
      flags: v.getUint32(o + 4, true),
      offset: u64(v, o + 8),
      vaddr: u64(v, o + 16),
      filesz: u64(v, o + 32),
      memsz: u64(v, o + 40),
      align: u64(v, o + 48),
    };
    if (ph.type === PT_LOAD || ph.type === PT_INTERP) {
      if (ph.offset + ph.filesz > bytes.length) throw new ElfError(`segment ${i} (offset 0x${ph.offset.toString(16)}, size 0x${ph.filesz.toString(16)}) runs past the end of the file (${bytes.length} bytes)`);
    }
    if (ph.type === PT_LOAD) {
      if (ph.filesz > ph.memsz) throw new ElfError(`segment ${i} has a file size larger than its memory size`);
      if (ph.memsz > 2 ** 40 || ph.vaddr + ph.memsz > 2 ** 47) throw new ElfError(`segment ${i} has an absurd size or address (vaddr 0x${ph.vaddr.toString(16)}, memsz 0x${ph.memsz.toString(16)})`);
      if ((ph.vaddr - ph.offset) % 4096 !== 0) throw new ElfError(`segment ${i}: vaddr and file offset differ modulo the page size`);
    }
    if (ph.type === PT_INTERP) {
      const raw = bytes.subarray(ph.offset, ph.offset + ph.filesz);
      const nul = raw.indexOf(0);
      interp = new TextDecoder().decode(nul >= 0 ? raw.subarray(0, nul) : raw);
    }
    phdrs.push(ph);
  }
  if (!phdrs.some((p) => p.type === PT_LOAD)) throw new ElfError('has no loadable segments');
  return { bytes, type, machine, entry, phoff, phentsize, phnum, phdrs, interp };
}

/** Section headers with their names (for symbol lookup and checks; the loader does not need them). */
export function sectionHeaders(bytes: Uint8Array): SectionHeader[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shoff = Number(v.getBigUint64(40, true));
  const shentsize = v.getUint16(58, true);
  const shnum = v.getUint16(60, true);
  const shstrndx = v.getUint16(62, true);
  if (shoff === 0 || shnum === 0) return [];
  if (shentsize !== 64 || shoff + shnum * 64 > bytes.length) throw new ElfError('section headers run past the end of the file');
  const raw = [];
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * 64;
    raw.push({
      nameOff: v.getUint32(o, true),
      type: v.getUint32(o + 4, true),
      flags: Number(v.getBigUint64(o + 8, true)),
      addr: Number(v.getBigUint64(o + 16, true)),
      offset: Number(v.getBigUint64(o + 24, true)),
      size: Number(v.getBigUint64(o + 32, true)),
      link: v.getUint32(o + 40, true),
      info: v.getUint32(o + 44, true),
      entsize: Number(v.getBigUint64(o + 56, true)),
    });
  }
  const strtab = raw[shstrndx];
  return raw.map((s) => ({ ...s, name: strtab ? cString(bytes, strtab.offset + s.nameOff) : '' }));
}

export function cString(bytes: Uint8Array, off: number): string {
  let end = off;
  while (end < bytes.length && bytes[end] !== 0) end++;
  return new TextDecoder().decode(bytes.subarray(off, end));
}

/** Static symbols (.symtab) of a file: name -> address, for symbolising addresses in traces. */
export function symbols(bytes: Uint8Array): { name: string; value: number; size: number; type: number }[] {
  const out: { name: string; value: number; size: number; type: number }[] = [];
  let shs: SectionHeader[];
  try {
    shs = sectionHeaders(bytes);
  } catch {
    return out;
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const sh of shs) {
    if (sh.type !== 2 && sh.type !== 11) continue; // SHT_SYMTAB, SHT_DYNSYM
    const str = shs[sh.link];
    if (!str || sh.offset + sh.size > bytes.length) continue;
    for (let o = sh.offset; o + 24 <= sh.offset + sh.size; o += 24) {
      const info = bytes[o + 4];
      const shndx = v.getUint16(o + 6, true);
      const value = Number(v.getBigUint64(o + 8, true));
      if (shndx === 0 || value === 0) continue;
      out.push({ name: cString(bytes, str.offset + v.getUint32(o, true)), value, size: Number(v.getBigUint64(o + 16, true)), type: info & 0xf });
    }
  }
  return out;
}

function machineName(m: number): string {
  const names: Record<number, string> = { 3: 'i386', 40: 'ARM', 183: 'AArch64 (ARM 64-bit)', 243: 'RISC-V', 8: 'MIPS', 20: 'PowerPC', 21: 'PowerPC64', 22: 's390' };
  return names[m] ?? `#${m}`;
}
