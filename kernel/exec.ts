// execve: load an ELF program into a fresh address space and build the initial stack the x86-64 ABI
// specifies (linux/fs/binfmt_elf.c load_elf_binary and create_elf_tables; REFERENCE.md "Process start").

import * as fs from 'node:fs';
import * as path from 'node:path';
import { Reg } from '../cpu/cpu.js';
import { PROT_READ, PROT_WRITE, PROT_EXEC } from '../cpu/memory.js';
import { parseElf, ElfError, ET_DYN, PT_LOAD, PT_PHDR, PT_GNU_STACK, PF_R, PF_W, PF_X, type ElfFile } from './elf/elf.js';
import { pageDown, pageUp } from './mm.js';
import { chooseLayout, type Layout } from './layout.js';
import type { Kernel } from './kernel.js';
import { mapVdso } from './vdso/map.js';
import { vdso } from './vdso/vdso.js';
import { mapVsyscall } from './vsyscall.js';
import { hostPath } from './fs/path.js';

export const AT = {
  NULL: 0, PHDR: 3, PHENT: 4, PHNUM: 5, PAGESZ: 6, BASE: 7, FLAGS: 8, ENTRY: 9, UID: 11, EUID: 12, GID: 13, EGID: 14,
  PLATFORM: 15, HWCAP: 16, CLKTCK: 17, SECURE: 23, RANDOM: 25, HWCAP2: 26, EXECFN: 31, SYSINFO_EHDR: 33, MINSIGSTKSZ: 51,
} as const;

/** Why exec failed: `status` is what a shell returns (127 not found, 126 cannot execute). */
export class ExecError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    // One line, whatever the names in it hold (an interpreter path read from the file can hold anything).
    super(message.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
  }
}

/** Bytes of the initial stack VMA beyond the arguments (setup_arg_pages' stack_expand). */
const STACK_EXPAND = 128 * 1024;
const RLIMIT_STACK = 8 * 1024 * 1024;

function protOf(flags: number): number {
  return (flags & PF_R ? PROT_READ : 0) | (flags & PF_W ? PROT_WRITE : 0) | (flags & PF_X ? PROT_EXEC : 0);
}

/** Read and check the program file; throws ExecError with the one-line reason. */
export function readProgram(file: string): { elf: ElfFile; stat: fs.Stats } {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new ExecError(127, `${file}: No such file or directory`);
    throw new ExecError(126, `${file}: ${code ?? 'cannot stat'}`);
  }
  if (stat.isDirectory()) throw new ExecError(126, `${file}: Is a directory`);
  if (!stat.isFile()) throw new ExecError(126, `${file}: not a regular file`);
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new ExecError(126, `${file}: ${(e as NodeJS.ErrnoException).code === 'EACCES' ? 'Permission denied' : 'cannot read'}`);
  }
  try {
    return { elf: parseElf(bytes), stat };
  } catch (e) {
    if (e instanceof ElfError) throw new ExecError(126, `${file}: cannot execute: ${e.message}`);
    throw e;
  }
}

/**
 * Map an ELF's PT_LOAD segments at `bias`: the file-backed pages carry the path (as /proc/self/maps
 * shows them), the rest of a bss is anonymous. Returns the end of the highest segment.
 */
function loadSegments(k: Kernel, elf: ElfFile, bias: number, abs: string, stat: fs.Stats): number {
  const dev = `${((stat.dev >> 8) & 0xfff).toString(16).padStart(2, '0')}:${(stat.dev & 0xff).toString(16).padStart(2, '0')}`;
  let end = 0;
  const loads = elf.phdrs.filter((p) => p.type === PT_LOAD);
  for (const ph of loads) {
    const start = pageDown(ph.vaddr + bias);
    const fileEnd = pageUp(ph.vaddr + bias + ph.filesz);
    const memEnd = pageUp(ph.vaddr + bias + ph.memsz);
    const prot = protOf(ph.flags);
    if (fileEnd > start) k.mm.mapRegion(start, fileEnd - start, prot, abs, { offset: pageDown(ph.offset), dev, inode: stat.ino });
    if (memEnd > fileEnd) k.mm.mapRegion(fileEnd, memEnd - fileEnd, prot, '');
    end = Math.max(end, ph.vaddr + bias + ph.memsz);
  }
  // Copy after mapping, so that segments sharing a page both land.
  for (const ph of loads) k.mem.poke(ph.vaddr + bias, elf.bytes.subarray(ph.offset, ph.offset + ph.filesz));
  return end;
}

/** Bytes the PT_LOAD segments of an ELF map, page-rounded (overlaps counted twice: an upper bound). */
function loadBytes(elf: ElfFile): number {
  let n = 0;
  for (const ph of elf.phdrs) if (ph.type === PT_LOAD) n += pageUp(ph.vaddr + ph.memsz) - pageDown(ph.vaddr);
  return n;
}

export interface ExecResult {
  layout: Layout;
  entry: number;
  loadBias: number;
}

/** Load `file` into kernel k's (empty) address space and set up registers and stack. */
export function execve(k: Kernel, file: string, argv: string[], envp: string[]): ExecResult {
  const { elf, stat } = readProgram(file);
  // A dynamic program names its interpreter (ld.so); the kernel maps both and enters the interpreter.
  let interp: { elf: ElfFile; stat: fs.Stats; path: string } | null = null;
  if (elf.interp !== null) {
    const ipath = hostPath(k, elf.interp);
    try {
      interp = { ...readProgram(ipath), path: elf.interp };
    } catch (e) {
      // What a shell says when the kernel cannot find the interpreter (execve's ENOENT).
      if (e instanceof ExecError && e.status === 127) throw new ExecError(127, `${file}: cannot execute: required file not found (interpreter ${elf.interp})`);
      // Any other trouble with the interpreter is the program's: name the program, then the interpreter.
      if (e instanceof ExecError) throw new ExecError(e.status, `${file}: cannot execute: bad interpreter ${e.message}`);
      throw e;
    }
    if (interp.elf.type !== ET_DYN) throw new ExecError(126, `${file}: cannot execute: interpreter ${elf.interp} is not a shared object`);
  }
  // Pages are real host memory: refuse segments larger than the guest may map at all (execve's
  // ENOMEM), before mapping anything, rather than have the host allocate them.
  const need = loadBytes(elf) + (interp ? loadBytes(interp.elf) : 0);
  if (need > k.mm.memoryCap) throw new ExecError(126, `${file}: cannot execute: its segments need ${need} bytes of memory, more than the ${k.mm.memoryCap}-byte cap (Cannot allocate memory)`);
  const layout = chooseLayout(k.options.seed);
  const abs = path.resolve(file);
  const bias = elf.type === ET_DYN ? layout.pieBase : 0;
  k.exePath = abs;
  k.argv = argv;
  k.mm.mmapBase = layout.mmapBase;
  k.engine.flush();

  const end = loadSegments(k, elf, bias, abs, stat);
  k.mm.brkStart = k.mm.brk = pageUp(end) + layout.brkOffset;

  // The interpreter goes at the top of the mmap area (load_elf_interp), the vDSO below it.
  let interpBase = 0;
  if (interp) {
    const loads = interp.elf.phdrs.filter((p) => p.type === PT_LOAD);
    const lo = Math.min(...loads.map((p) => pageDown(p.vaddr)));
    const span = pageUp(Math.max(...loads.map((p) => p.vaddr + p.memsz))) - lo;
    interpBase = k.mm.findFree(span) - lo;
    loadSegments(k, interp.elf, interpBase, path.resolve(hostPath(k, interp.path)), interp.stat);
    k.mm.mmapBase = interpBase + lo;
  }

  const gnuStack = elf.phdrs.find((p) => p.type === PT_GNU_STACK);
  const stackProt = PROT_READ | PROT_WRITE | (gnuStack && gnuStack.flags & PF_X ? PROT_EXEC : 0);

  // The vDSO goes first at the top of the mmap area, as Linux maps it right after the program.
  k.vdsoBase = 0;
  const vdsoBase = k.options.vdso ? mapVdso(k, k.mm.mmapBase) : 0;
  if (vdsoBase) k.mm.mmapBase = vdsoBase - vdso.vvarPages * 4096;
  mapVsyscall(k, k.options.vsyscall);

  // ---- the initial stack (create_elf_tables) ----
  const enc = new TextEncoder();
  // Bytes to write once the stack VMA exists: strings from the top down, as copy_strings places them.
  const pending: [number, Uint8Array][] = [];
  let sp = layout.stackTop - 8; // Linux leaves the top word zero
  const pushString = (s: string): number => {
    const b = enc.encode(s + '\0');
    sp -= b.length;
    pending.push([sp, b]);
    return sp;
  };
  const execfn = pushString(file);
  const envAddrs: number[] = [];
  for (let i = envp.length - 1; i >= 0; i--) envAddrs[i] = pushString(envp[i]);
  const argAddrs: number[] = [];
  for (let i = argv.length - 1; i >= 0; i--) argAddrs[i] = pushString(argv[i]);
  const platform = pushString('x86_64');
  sp = Math.floor(sp / 16) * 16;
  sp -= 16;
  const randomAddr = sp;
  pending.push([randomAddr, layout.random]);

  const loads = elf.phdrs.filter((p) => p.type === PT_LOAD);
  const phdrAddr = (() => {
    const p = elf.phdrs.find((x) => x.type === PT_PHDR);
    if (p) return p.vaddr + bias;
    const first = loads.find((x) => x.offset <= elf.phoff && elf.phoff < x.offset + x.filesz);
    return first ? first.vaddr + bias + (elf.phoff - first.offset) : 0;
  })();
  const auxv: [number, number][] = [];
  if (vdsoBase) auxv.push([AT.SYSINFO_EHDR, vdsoBase]);
  auxv.push(
    [AT.MINSIGSTKSZ, 3632], [AT.HWCAP, k.hwcap()], [AT.PAGESZ, 4096], [AT.CLKTCK, 100], [AT.PHDR, phdrAddr], [AT.PHENT, 56],
    [AT.PHNUM, elf.phnum], [AT.BASE, interpBase], [AT.FLAGS, 0], [AT.ENTRY, elf.entry + bias], [AT.UID, 0], [AT.EUID, 0], [AT.GID, 0],
    [AT.EGID, 0], [AT.SECURE, 0], [AT.RANDOM, randomAddr], [AT.HWCAP2, 0x2], [AT.EXECFN, execfn], [AT.PLATFORM, platform], [AT.NULL, 0],
  );
  k.auxv = auxv;
  const words = 1 + argv.length + 1 + envp.length + 1 + auxv.length * 2;
  sp -= words * 8;
  sp = Math.floor(sp / 16) * 16; // rsp is 16-byte aligned at the entry point
  const table = new DataView(new ArrayBuffer(words * 8));
  let w = 0;
  const put = (v: number) => table.setBigUint64(8 * w++, BigInt.asUintN(64, BigInt(v)), true);
  put(argv.length);
  argAddrs.forEach(put);
  put(0);
  envAddrs.forEach(put);
  put(0);
  for (const [key, val] of auxv) { put(key); put(val); }

  const stackLow = pageDown(sp) - STACK_EXPAND;
  k.mm.mapRegion(stackLow, layout.stackTop - stackLow, stackProt, '[stack]');
  k.mm.stackLimit = layout.stackTop - RLIMIT_STACK;
  for (const [addr, bytes] of pending) k.mem.poke(addr, bytes);
  k.mem.poke(sp, new Uint8Array(table.buffer));

  // Registers at entry: all zero but rsp and rip; rdx = 0 tells a static libc there is no atexit hook.
  const c = k.cpu;
  c.r32.fill(0);
  c.setN(Reg.RSP, sp);
  c.rip = interp ? interp.elf.entry + interpBase : elf.entry + bias;
  c.setFlags(0x202, 0xffffffff);
  c.fsBase = 0;
  c.gsBase = 0;
  c.tscAux = 0; // IA32_TSC_AUX = (node << 12) | cpu: colonel's one CPU is cpu 0 of node 0 (getcpu agrees)
  return { layout, entry: elf.entry + bias, loadBias: bias };
}
