// `colonel vdso`: the vDSO and its vvar page as a process sees them, the seed article's tools without a
// guest program: `--dump FILE` writes the [vdso] mapping (what the article's dumper reads out of
// /proc/self/maps), `--symbols` lists its dynamic symbols as `objdump -T` prints them, and `--vvar`
// decodes the [vvar] page field by field from kernel/vdso/datapage.ts, the one definition of its layout.
//
// A kernel boots and maps the pair as exec does. With a program, colonel execs it and may run it for
// `--insns N` instructions first (time moves, ticks rewrite vvar); without one, the mapping is made
// on an empty address space at the address exec would choose.
//
//   colonel vdso --symbols
//   colonel vdso --dump vdso.so && objdump -T vdso.so
//   colonel vdso --set vnotb=42 --vvar fixtures/vdso/notb --insns 100000

import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kernel, type KernelOptions } from '../kernel/kernel.js';
import { chooseLayout } from '../kernel/layout.js';
import { mapVdso } from '../kernel/vdso/map.js';
import { ElfImage, DT, SHN_ABS, SHN_UNDEF, VER_FLG_BASE } from '../kernel/vdso/elfsyms.js';
import {
  CLOCK, VDSO_CLOCKMODE, VDSO_COARSE, VDSO_DATA_FIELDS, VDSO_HRES, VVAR_VDSO_DATA_OFFSET, type VvarField,
} from '../kernel/vdso/datapage.js';
import { createProcess, ExecError } from './api.js';
import type { Vma } from '../kernel/mm.js';
import { vdso } from '../kernel/vdso/vdso.js';
import { Tracer } from '../kernel/trace/tracer.js';

export interface VdsoArgs {
  program?: string;
  args?: string[];
  insns?: number;
  dump?: string;
  symbols?: boolean;
  vvar?: boolean;
}

/** The kernel with [vvar] and [vdso] mapped: a fresh one, or one running `program`. */
export function bootForVdso(a: VdsoArgs, opts: KernelOptions): Kernel {
  if (a.program) {
    const p = createProcess(a.program, { ...opts, argv: [a.program, ...(a.args ?? []).map(String)], env: {} });
    if (a.insns) p.kernel.run(a.insns);
    return p.kernel;
  }
  const k = new Kernel({ ...opts, diag: () => {} });
  if (k.options.vdso) mapVdso(k, chooseLayout(k.options.seed).mmapBase);
  return k;
}

export function findVma(k: Kernel, name: string): Vma | undefined {
  return k.mm.vmas.find((v) => v.name === name);
}

/** The bytes of a mapping as the guest would read them. */
export function readMapping(k: Kernel, v: Vma): Uint8Array {
  return k.mem.readBytes(v.start, v.end - v.start);
}

const hex16 = (n: number | bigint) => BigInt.asUintN(64, BigInt(n)).toString(16).padStart(16, '0');

/**
 * `objdump -T` of an ELF image, byte for byte as GNU objdump 2.40 prints it (binutils bfd/elf.c
 * elf_print_symbol with bfd_print_symbol_all): value, seven flag columns, section, tab, size, the
 * version ("  %-11s", or " (%s)" padded for a hidden one), the visibility if not default, the name.
 */
export function objdumpT(bytes: Uint8Array, fileName: string): string {
  const img = new ElfImage(bytes);
  const syms = img.dynamicSymbols();
  const versym = img.dyn(DT.VERSYM);
  const defs = img.versionDefs();
  const hasVersions = versym !== undefined && defs.length > 0;
  const lines = ['', `${fileName}:     file format elf64-x86-64`, '', 'DYNAMIC SYMBOL TABLE:'];
  for (const s of syms.slice(1)) {
    const bind = s.bind === 'LOCAL' ? 'l' : s.bind === 'GLOBAL' ? 'g' : s.bind === 'GNU_UNIQUE' ? 'u' : ' ';
    const weak = s.bind === 'WEAK' ? 'w' : ' ';
    const kind = s.type === 'FUNC' ? 'F' : s.type === 'FILE' ? 'f' : s.type === 'OBJECT' ? 'O' : ' ';
    const section = s.shndx === SHN_UNDEF ? '*UND*' : s.shndx === SHN_ABS ? '*ABS*' : s.shndx === 0xfff2 ? '*COM*'
      : img.sectionHeaders[s.shndx]?.name ?? '*UND*';
    let line = `${hex16(s.value)} ${bind}${weak}   D${kind} ${section}\t${hex16(s.size)}`;
    if (hasVersions) {
      const v = img.u16(img.offsetOf(versym + 2 * s.index, 2));
      const n = v & 0x7fff;
      let str = '';
      if (n === 1 && (n > defs.length || defs[0].flags === VER_FLG_BASE)) str = 'Base';
      else if (n >= 1 && n <= defs.length) str = defs.find((d) => d.index === n)?.name ?? '';
      line += v & 0x8000 ? ` (${str})${' '.repeat(Math.max(0, 10 - str.length))}` : `  ${str.padEnd(11)}`;
    }
    const vis = s.other & 3;
    if (vis) line += [' ', ' .internal', ' .hidden', ' .protected'][vis];
    line += ` ${s.name || (img.sectionHeaders[s.shndx]?.name ?? '')}`;
    lines.push(line);
  }
  return lines.join('\n') + '\n\n\n';
}

const CLOCK_NAMES = Object.fromEntries(Object.entries(CLOCK).map(([n, v]) => [v, `CLOCK_${n}`])) as Record<number, string>;

/** The [vvar] page decoded field by field, in the order and with the types of datapage.ts. */
export function decodeVvar(page: Uint8Array, where = ''): string {
  const dv = new DataView(page.buffer, page.byteOffset + VVAR_VDSO_DATA_OFFSET);
  const get = (f: VvarField, off: number): bigint => {
    switch (f.type) {
      case 'u32': return BigInt(dv.getUint32(off, true));
      case 's32': return BigInt(dv.getInt32(off, true));
      case 'u64': return dv.getBigUint64(off, true);
      default: return dv.getBigInt64(off, true);
    }
  };
  const shift = BigInt(dv.getUint32(VDSO_DATA_FIELDS.find((f) => f.name === 'shift')!.offset, true));
  const out = [`[vvar]${where}: struct vdso_data at +${VVAR_VDSO_DATA_OFFSET}`];
  const row = (name: string, value: string) => out.push(`  ${name.padEnd(34)} ${value}`);
  for (const f of VDSO_DATA_FIELDS as readonly VvarField[]) {
    if (f.name === '__unused') continue;
    if (f.type === 'timestamp') {
      for (let i = 0; i < (f.count ?? 1); i++) {
        const off = f.offset + 16 * i;
        const sec = dv.getBigUint64(off, true), raw = dv.getBigUint64(off + 8, true);
        const hres = (VDSO_HRES as readonly number[]).includes(i);
        const name = `${f.name}[${CLOCK_NAMES[i] ?? i}]`;
        if (!hres && !(VDSO_COARSE as readonly number[]).includes(i)) { row(name, '- (not a vDSO clock: the vDSO makes the syscall)'); continue; }
        const ns = hres ? raw >> shift : raw;
        row(name, `${sec}.${ns.toString().padStart(9, '0')} s${hres ? ` (nsec << shift = 0x${raw.toString(16)})` : ''}`);
      }
      continue;
    }
    const v = get(f, f.offset);
    let note = '';
    if (f.name === 'seq') note = v & 1n ? ' (odd: an update is in progress)' : ' (even: no update in progress)';
    if (f.name === 'clock_mode') note = ` (${Object.entries(VDSO_CLOCKMODE).find(([, m]) => BigInt(m) === v)?.[0] ?? '?'})`;
    if (f.name === 'mask' || f.name === 'max_cycles') note = ` (0x${BigInt.asUintN(64, v).toString(16)})`;
    if (f.name === 'hrtimer_res') note = ' ns';
    row(f.name, `${v}${note}`);
  }
  return out.join('\n') + '\n';
}

/** Run the command; returns the exit status. Output goes through `write` (stdout) and errors through `fail`. */
export function vdsoCommand(a: VdsoArgs, opts: KernelOptions, write: (s: string) => void, fail: (msg: string, status: number) => never): number {
  let k: Kernel;
  try {
    k = bootForVdso(a, opts);
  } catch (e) {
    if (e instanceof ExecError) fail(e.message, e.status);
    throw e;
  }
  const vdsoVma = findVma(k, '[vdso]');
  const vvarVma = findVma(k, '[vvar]');
  if (!vdsoVma || !vvarVma) fail('vdso: no [vdso] mapping (was it turned off with --no-vdso?)', 1);
  const image = readMapping(k, vdsoVma);
  const showAll = !a.dump && !a.symbols && !a.vvar;
  const range = (v: Vma) => `${v.start.toString(16)}-${v.end.toString(16)}`;
  if (a.dump) {
    try {
      fs.writeFileSync(a.dump, image);
    } catch (e) {
      fail(`vdso --dump ${a.dump}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 1);
    }
    if (!a.symbols) write(`wrote the ${image.length} bytes of [vdso] ${range(vdsoVma)} to ${a.dump}\n`);
  }
  if (a.symbols || showAll) write(objdumpT(image, a.dump ?? '[vdso]'));
  if (a.vvar || showAll) write(decodeVvar(readMapping(k, vvarVma), ` ${range(vvarVma)}${a.program ? ` after ${k.cpu.icount} instructions of ${a.program}${k.exit ? ' (it exited)' : ''}` : ''}`));
  return 0;
}

// ---------------------------------------------------------------------------------------------
// `colonel demo` (npm start): the seed end to end.

/** Calls counted on each road from user code to kernel data, by name. */
export interface RoadCounts {
  syscall: Map<string, number>;
  vsyscall: Map<string, number>;
  vdso: Map<string, number>;
}

const bump = (m: Map<string, number>, name: string) => m.set(name, (m.get(name) ?? 0) + 1);

/**
 * Count what goes by each road in a kernel about to run, independently of colonel's tracer (the
 * tests cross-check the two): syscall instructions through the
 * syscallEnter observer, vsyscall-page calls through the `vsyscall` event, and vDSO calls with a
 * breakpoint at the entry of each exported function (k.vdsoBase + its offset; the weak aliases share
 * the address, so the strong __vdso_ names are counted). Call after exec.
 */
export function countRoads(k: Kernel): RoadCounts {
  const c: RoadCounts = { syscall: new Map(), vsyscall: new Map(), vdso: new Map() };
  k.observers.push({
    syscallEnter: (_k, row, nr) => bump(c.syscall, row?.name ?? `syscall_${nr}`),
    vsyscall: (_k, name) => bump(c.vsyscall, name),
  });
  if (k.vdsoBase) {
    for (const s of vdso.symbols) {
      if (s.binding === 'GLOBAL') k.engine.setBreakpoint(k.vdsoBase + s.offset, () => bump(c.vdso, s.name));
    }
  }
  return c;
}


/** Run a fixture with captured output for the demo; returns its stdout and the kernel. */
/** The repository root (this file runs as dist/lib/vdso-cmd.js), so the demo works from any directory. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Run a fixture with captured output for the demo, counting its calls as `colonel trace -c` does. */
function demoRun(rel: string, args: string[], opts: KernelOptions) {
  const p = createProcess(path.join(ROOT, rel), { ...opts, argv: [rel, ...args], env: {} });
  const tracer = new Tracer(p.kernel, { sink: null });
  tracer.attach();
  const exit = p.kernel.run(50_000_000);
  tracer.finish(exit);
  const stdout = Buffer.concat(p.stdout?.chunks ?? []).toString('utf8');
  return { stdout, exit, rows: tracer.summary.sorted(), stderr: p.stderr?.text() ?? '' };
}

/** `colonel demo`: notb prints 666, then the three roads, counted. Returns the exit status. */
export function seedDemo(opts: KernelOptions, write: (s: string) => void): number {
  const indent = (s: string) => s.trimEnd().split('\n').map((l) => `    ${l}`).join('\n') + '\n';
  write('colonel demo: the vDSO of "Creating a vDSO: the Colonel\'s Other Chicken", on an interpreted x86-64\n\n');

  const notb = demoRun('fixtures/vdso/notb', [], opts);
  write('1. fixtures/vdso/notb looks number_of_the_beast() up in the vDSO (from AT_SYSINFO_EHDR, through\n' +
    '   its ELF hash table and LINUX_2.6 version) and calls it. The function reads vnotb from [vvar],\n' +
    '   which the kernel\'s update_vsyscall() (kernel/time/vsyscall.ts) writes on every timer tick:\n\n');
  write(indent(notb.stdout || notb.stderr));
  write('\n   Change the kernel, not the vDSO: npx colonel run --set vnotb=42 fixtures/vdso/notb\n\n');

  // The article's own program is dynamic: it runs on the host's glibc loader, if there is one.
  if (fs.existsSync('/lib64/ld-linux-x86-64.so.2')) {
    let seed: string;
    try {
      seed = demoRun('fixtures/seed/notb', [], opts).stdout;
    } catch (e) {
      seed = (e as Error).message;
    }
    write('   The article\'s own test program, fixtures/seed/notb, was built as the article builds it,\n' +
      '   `gcc notb.c -o notb vdso.so`: a dynamic glibc program that needs linux-vdso.so.1. On a real\n' +
      '   kernel it stops with a symbol lookup error; here glibc\'s ld.so binds it to colonel\'s vDSO:\n\n');
    write(indent(seed));
    write('\n');
  }

  const n = 3;
  const roads = demoRun('fixtures/vdso/roads', [String(n)], opts);
  write(`2. fixtures/vdso/roads asks for the time ${n} times by each of the three roads:\n\n`);
  write(indent(roads.stdout || roads.stderr));
  write('\n   What crossed from user code to the kernel\'s data, counted by colonel\'s tracer, with what\n' +
    '   a call costs on a real x86-64 (modeled cycles, kernel/trace/costs.ts):\n\n');
  const what: Record<string, [string, string]> = {
    syscall: ['syscall instruction', ''],
    vsyscall: ['vsyscall page', ' (a fault the kernel emulates)'],
    vdso: ['vDSO', ' (reads [vvar] and the TSC: no kernel entry)'],
  };
  write(`    ${'road'.padEnd(20)} calls  cycles/call\n`);
  for (const road of ['syscall', 'vsyscall', 'vdso'] as const) {
    const rows = roads.rows.filter((r) => r.road === road);
    const calls = rows.reduce((a, r) => a + r.calls, 0), cycles = rows.reduce((a, r) => a + r.cycles, 0);
    const names = rows.map((r) => `${r.name} ${r.calls}`).join(', ') || '-';
    write(`    ${what[road][0].padEnd(20)} ${String(calls).padStart(5)}  ${String(calls ? Math.round(cycles / calls) : 0).padStart(11)}  ${names}${what[road][1]}\n`);
  }
  write('\n   (musl builds gettimeofday() on __vdso_clock_gettime; the other syscalls are musl\'s start-up\n' +
    `   and printf.) The full table: npx colonel trace -c fixtures/vdso/roads ${n}\n` +
    '   More: npx colonel vdso --symbols | --vvar, fixtures/vdso/README.md\n');
  const ok = notb.exit.status === 0 && roads.exit.status === 0;
  return ok ? 0 : 1;
}
