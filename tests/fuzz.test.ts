// Hostile input (issue 8, item 4): nothing a file or a guest does may crash colonel, hang it or make
// the host run out of memory. Every case must end in one of:
//   - a clean ExecError: status 126 or 127 and one line naming the file and the problem;
//   - a signal to the guest (the process is killed, as Linux would);
//   - the instruction limit;
//   - a run to exit.
// Anything else (a JavaScript exception out of colonel, a case that takes seconds) fails the test.
//
// Cases: ELF files (the fixtures) with mutated headers, program headers, sizes, offsets, flags and
// entry points, truncated or padded; and random byte streams as the code of a minimal ELF (pure
// noise, and instruction-shaped noise built from the ISA rows). Then the limits: --max-insns, the
// guest memory cap (mmap and brk fail with ENOMEM), the open-file cap (EMFILE), and the CLI printing
// one line and no stack trace for files it refuses.
//
// The guests here run code nobody wrote, with the host's file system behind the syscalls (colonel
// has no guest root yet, kernel/fs/path.ts): the kernel is wrapped so that only syscalls that cannot
// change the host run (see SAFE_SYSCALLS); the others return -EPERM. FUZZ_CASES scales the count.

import t, { type Test } from 'tap';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kernel } from '../kernel/kernel.js';
import { execve, ExecError } from '../kernel/exec.js';
import { CapturedStream } from '../kernel/fs/file.js';
import { installPlatform } from '../lib/platform.js';
import { Reg, type Cpu } from '../cpu/cpu.js';
import { opcodeTables } from '../cpu/engine.js';
import { parseEncoding } from '../cpu/isa/types.js';
import { Rng } from './oracle/suite.js';

const SCALE = Number(process.env.FUZZ_CASES ?? 1);
const DIR = mkdtempSync(join(tmpdir(), 'colonel-fuzz-'));
if (!process.env.FUZZ_KEEP) t.teardown(() => rmSync(DIR, { recursive: true, force: true }));

/** Each case's guest may map this much (the default cap is 4 GiB of eagerly allocated pages). */
const CAP = 64 * 1024 * 1024;
const MAX_INSNS = 20_000;
/** A case taking longer than this is reported (a hang in the making). */
const SLOW_MS = 3000;

// Syscalls a fuzzed guest may make: they read or write its own memory and descriptors 0..2, or its
// own process state, never the host's files or processes. read/write on other descriptors are
// harmless too (only 0..2 exist unless open is allowed, and it is not).
const SAFE_SYSCALLS = new Set([
  0, 1, 3, 5, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 24, 25, 28, 32, 33, 34, 35, 37, 38, 39, 60, 63, 72, 96, 97, 98, 99,
  102, 104, 107, 108, 110, 111, 115, 121, 124, 131, 158, 186, 201, 202, 204, 218, 228, 229, 230, 231, 273, 302, 318, 334,
]);
const EPERM = 1;

type Outcome = 'exec-error' | 'exited' | 'signaled' | 'limit';

interface Options {
  vdso?: boolean;
  maxInsns?: number;
  /** Syscalls allowed beyond SAFE_SYSCALLS (the limit tests open files). */
  allow?: number[];
  cap?: number;
}

/** Load and run one file the way lib/api.ts runProgram does, with a memory cap and a syscall sandbox. */
function run(path: string, o: Options = {}): { outcome: Outcome; status: number; message: string; stdout: string; kernel: Kernel | null } {
  const k = new Kernel({ diag: () => {}, vdso: o.vdso ?? false, epochNs: 1_700_000_000_000_000_000n });
  installPlatform(k);
  k.mm.memoryCap = o.cap ?? CAP;
  const stdout = new CapturedStream('pipe:[1]');
  k.fds.set(0, new CapturedStream('pipe:[0]', new Uint8Array(0)));
  k.fds.set(1, stdout);
  k.fds.set(2, new CapturedStream('pipe:[2]'));
  const allow = new Set([...SAFE_SYSCALLS, ...(o.allow ?? [])]);
  const inner = k.syscall.bind(k);
  k.syscall = (cpu: Cpu) => {
    const nr = cpu.r32[1] === 0 ? cpu.r32[0] : -1;
    if (nr >= 0 && !allow.has(nr)) { cpu.setN(Reg.RAX, -EPERM); return; }
    inner(cpu);
  };
  try {
    execve(k, path, [path], []);
  } catch (e) {
    if (e instanceof ExecError) return { outcome: 'exec-error', status: e.status, message: e.message, stdout: '', kernel: null };
    throw e;
  }
  const exit = k.run(o.maxInsns ?? MAX_INSNS);
  const text = Buffer.concat(stdout.chunks).toString('latin1');
  return { outcome: exit.kind, status: exit.status, message: exit.kind === 'signaled' ? exit.message : '', stdout: text, kernel: k };
}

// ---------- ELF mutation ----------

/** Fixtures and how many mutants of each (the small assembly one is cheap to run; musl's start-up is not). */
const FIXTURES: [string, number][] = [['fixtures/core/hello_asm', 5000], ['fixtures/core/hello', 700], ['fixtures/core/hello_pie', 700], ['fixtures/core/exitcode', 400]];

const u64 = (v: bigint) => BigInt.asUintN(64, v);

/** Values that break parsers: zero, ones, sign and size boundaries, near the file size, near the original. */
function nasty(rng: Rng, orig: bigint, fileSize: number): bigint {
  switch (rng.int(12)) {
    case 0: return 0n;
    case 1: return u64(-1n);
    case 2: return rng.pick([0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, 1n << 47n, (1n << 47n) - 4096n, 1n << 63n, (1n << 53n) + 1n, 1n << 40n]);
    case 3: return BigInt(fileSize + rng.int(64) - 32);
    case 4: return u64(orig + BigInt(rng.int(0x4000) - 0x2000));
    case 5: return orig ^ (1n << BigInt(rng.int(64)));
    case 6: return BigInt(rng.int(0x100));
    case 7: return u64(orig * BigInt(1 + rng.int(1000)));
    case 8: return BigInt(rng.int(CAP * 2));
    default: return rng.u64();
  }
}

interface Field { name: string; off: number; size: 1 | 2 | 4 | 8 }

const HEADER: Field[] = [
  { name: 'ei_class', off: 4, size: 1 }, { name: 'ei_data', off: 5, size: 1 }, { name: 'ei_version', off: 6, size: 1 }, { name: 'ei_osabi', off: 7, size: 1 },
  { name: 'e_type', off: 16, size: 2 }, { name: 'e_machine', off: 18, size: 2 }, { name: 'e_version', off: 20, size: 4 },
  { name: 'e_entry', off: 24, size: 8 }, { name: 'e_phoff', off: 32, size: 8 }, { name: 'e_shoff', off: 40, size: 8 },
  { name: 'e_flags', off: 48, size: 4 }, { name: 'e_ehsize', off: 52, size: 2 }, { name: 'e_phentsize', off: 54, size: 2 },
  { name: 'e_phnum', off: 56, size: 2 }, { name: 'e_shentsize', off: 58, size: 2 }, { name: 'e_shnum', off: 60, size: 2 }, { name: 'e_shstrndx', off: 62, size: 2 },
];
const PHDR: Field[] = [
  { name: 'p_type', off: 0, size: 4 }, { name: 'p_flags', off: 4, size: 4 }, { name: 'p_offset', off: 8, size: 8 }, { name: 'p_vaddr', off: 16, size: 8 },
  { name: 'p_paddr', off: 24, size: 8 }, { name: 'p_filesz', off: 32, size: 8 }, { name: 'p_memsz', off: 40, size: 8 }, { name: 'p_align', off: 48, size: 8 },
];
const PT_VALUES = [0, 1, 1, 1, 2, 3, 4, 6, 7, 0x6474e550, 0x6474e551, 0x6474e552, 0x70000000];

function readField(b: Buffer, off: number, size: number): bigint {
  if (off + size > b.length) return 0n;
  return size === 1 ? BigInt(b[off]) : size === 2 ? BigInt(b.readUInt16LE(off)) : size === 4 ? BigInt(b.readUInt32LE(off)) : b.readBigUInt64LE(off);
}
function writeField(b: Buffer, off: number, size: number, v: bigint): void {
  if (off < 0 || off + size > b.length) return;
  const m = BigInt.asUintN(size * 8, v);
  if (size === 1) b[off] = Number(m);
  else if (size === 2) b.writeUInt16LE(Number(m), off);
  else if (size === 4) b.writeUInt32LE(Number(m), off);
  else b.writeBigUInt64LE(m, off);
}

/** 1-4 mutations of a fixture; returns the bytes and what was done (for failure messages). */
function mutate(orig: Buffer, rng: Rng): { bytes: Buffer; what: string[] } {
  let b = Buffer.from(orig);
  const what: string[] = [];
  const phoff = Number(orig.readBigUInt64LE(32)), phnum = orig.readUInt16LE(56);
  for (let n = 1 + rng.int(rng.bool(0.7) ? 2 : 4); n > 0; n--) {
    const k = rng.int(20);
    if (k < 5) {
      const f = rng.pick(HEADER);
      const v = f.size === 1 ? BigInt(rng.int(256)) : nasty(rng, readField(b, f.off, f.size), b.length);
      writeField(b, f.off, f.size, v);
      what.push(`${f.name}=0x${BigInt.asUintN(f.size * 8, v).toString(16)}`);
    } else if (k < 14) {
      const i = rng.int(phnum);
      const f = rng.pick(PHDR);
      const at = phoff + 56 * i + f.off;
      const v = f.name === 'p_type' && rng.bool(0.6) ? BigInt(rng.pick(PT_VALUES)) : f.name === 'p_flags' && rng.bool(0.6) ? BigInt(rng.int(8)) : nasty(rng, readField(b, at, f.size), b.length);
      writeField(b, at, f.size, v);
      what.push(`phdr[${i}].${f.name}=0x${BigInt.asUintN(f.size * 8, v).toString(16)}`);
    } else if (k < 15) {
      const len = rng.bool(0.5) ? rng.int(Math.min(b.length, 1024)) : rng.int(b.length);
      b = b.subarray(0, len);
      what.push(`truncated to ${len}`);
    } else if (k < 16) {
      const extra = Buffer.alloc(rng.int(8192));
      for (let i = 0; i < extra.length; i++) extra[i] = rng.int(256);
      b = Buffer.concat([b, extra]);
      what.push(`padded by ${extra.length}`);
    } else if (k < 18) {
      const at = rng.int(Math.min(b.length, 1024) || 1);
      const n2 = 1 + rng.int(8);
      for (let i = 0; i < n2 && at + i < b.length; i++) b[at + i] = rng.int(256);
      what.push(`${n2} random bytes at ${at}`);
    } else {
      // Point PT_INTERP (existing or made) at a path: missing, a directory, a non-ELF file, itself.
      const i = rng.int(phnum);
      const at = phoff + 56 * i;
      if (at + 56 > b.length) continue;
      const target = rng.pick(['/nonexistent/ld.so', '/', '/etc/hostname', 'fixtures/core/hello.c', 'fixtures/core/hello', '']) + '\0';
      const off = b.length;
      b = Buffer.concat([b, Buffer.from(target, 'latin1')]);
      b.writeUInt32LE(3, at);
      b.writeBigUInt64LE(BigInt(off), at + 8);
      b.writeBigUInt64LE(BigInt(target.length), at + 32);
      what.push(`phdr[${i}] PT_INTERP "${target.slice(0, -1)}"`);
    }
  }
  return { bytes: b, what };
}

// ---------- random code in a minimal ELF ----------

const CODE_VADDR = 0x401000;

/** An ELF with one PT_LOAD: the header page and then `code` at 0x401000, the entry point. */
function codeElf(code: Uint8Array, prot: number, stackExec: boolean): Buffer {
  const fileSize = 0x1000 + code.length;
  const b = Buffer.alloc(fileSize);
  b.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);
  b.writeUInt16LE(2, 16); // ET_EXEC
  b.writeUInt16LE(62, 18);
  b.writeUInt32LE(1, 20);
  b.writeBigUInt64LE(BigInt(CODE_VADDR), 24);
  b.writeBigUInt64LE(64n, 32);
  b.writeUInt16LE(64, 52);
  b.writeUInt16LE(56, 54);
  b.writeUInt16LE(2, 56);
  const ph = (i: number, type: number, flags: number, off: number, vaddr: number, size: number, memsz: number) => {
    const o = 64 + 56 * i;
    b.writeUInt32LE(type, o);
    b.writeUInt32LE(flags, o + 4);
    b.writeBigUInt64LE(BigInt(off), o + 8);
    b.writeBigUInt64LE(BigInt(vaddr), o + 16);
    b.writeBigUInt64LE(BigInt(vaddr), o + 24);
    b.writeBigUInt64LE(BigInt(size), o + 32);
    b.writeBigUInt64LE(BigInt(memsz), o + 40);
    b.writeBigUInt64LE(0x1000n, o + 48);
  };
  ph(0, 1, prot, 0, 0x400000, fileSize, fileSize + 0x2000); // PT_LOAD, with a bss page after the code
  ph(1, 0x6474e551, stackExec ? 7 : 6, 0, 0, 0, 0); // PT_GNU_STACK
  b.set(code, 0x1000);
  return b;
}

const ROWS = opcodeTables().rows.map((row) => ({ row, e: parseEncoding(row) }));

/** Random bytes, or a run of random encodings of random rows (instruction-shaped, so runs go further). */
function randomCode(rng: Rng): Uint8Array {
  const n = 16 + rng.int(rng.bool(0.8) ? 256 : 4096);
  const out: number[] = [];
  if (rng.bool(0.5)) {
    for (let i = 0; i < n; i++) out.push(rng.int(256));
  } else {
    while (out.length < n) {
      const { e } = rng.pick(ROWS);
      if (rng.bool(0.1)) out.push(rng.pick([0x66, 0x67, 0xf2, 0xf3, 0xf0, 0x64, 0x65, 0x2e]));
      if (e.osize === 16) out.push(0x66);
      if (e.prefix > 0) out.push(e.prefix);
      if (e.osize === 64 || rng.bool(0.2)) out.push(0x40 | (e.osize === 64 ? 8 : 0) | rng.int(8));
      if (e.map >= 1) out.push(0x0f);
      if (e.map === 2) out.push(0x38);
      if (e.map === 3) out.push(0x3a);
      out.push(e.plusR ? e.op | rng.int(8) : e.op);
      if (e.modrm) out.push(e.fixedModrm >= 0 ? e.fixedModrm : ((rng.int(4) << 6) | ((e.digit >= 0 ? e.digit : rng.int(8)) << 3) | rng.int(8)));
      for (let i = rng.int(6); i > 0; i--) out.push(rng.int(256)); // displacement/immediate-ish bytes
    }
  }
  return Uint8Array.from(out.slice(0, n));
}

// ---------- checking one case ----------

interface Tally { cases: number; outcomes: Record<string, number>; failures: string[]; slowest: number }
const newTally = (): Tally => ({ cases: 0, outcomes: {}, failures: [], slowest: 0 });

function check(tally: Tally, path: string, describe: () => string, o?: Options): void {
  tally.cases++;
  const t0 = Date.now();
  try {
    const r = run(path, o);
    tally.outcomes[r.outcome] = (tally.outcomes[r.outcome] ?? 0) + 1;
    if (r.outcome === 'exec-error') {
      if (r.status !== 126 && r.status !== 127) tally.failures.push(`${describe()}: ExecError status ${r.status}`);
      if (r.message.includes('\n') || !r.message.startsWith(path)) tally.failures.push(`${describe()}: ExecError message not one line naming the file: ${JSON.stringify(r.message)}`);
    }
  } catch (e) {
    tally.failures.push(`${describe()}: host exception: ${(e as Error).stack?.split('\n').slice(0, 4).join(' | ')}`);
  }
  const ms = Date.now() - t0;
  tally.slowest = Math.max(tally.slowest, ms);
  if (ms > SLOW_MS) tally.failures.push(`${describe()}: took ${ms} ms`);
}

function report(t: Test, name: string, tally: Tally, min: number): void {
  t.comment(`${name}: ${tally.cases} cases: ${Object.entries(tally.outcomes).map(([k, v]) => `${k} ${v}`).join(', ')}; slowest ${tally.slowest} ms`);
  t.ok(tally.cases >= min, `${name}: at least ${min} cases`);
  t.same(tally.failures.slice(0, 10), [], `${name}: every case ends cleanly (${tally.failures.length} did not)`);
}

const rssStart = process.memoryUsage().rss;

t.test('mutated fixture ELFs', async (t) => {
  const rng = new Rng('fuzz-elf');
  const tally = newTally();
  const file = join(DIR, 'mutant');
  let min = 0;
  for (const [fx, count] of FIXTURES) {
    const orig = readFileSync(fx);
    const n = Math.round(count * SCALE);
    min += n;
    for (let i = 0; i < n; i++) {
      const { bytes, what } = mutate(orig, rng);
      writeFileSync(file, bytes);
      check(tally, file, () => `${fx} #${i} (${what.join(', ')})`);
    }
  }
  report(t, 'ELF mutations', tally, min);
});

t.test('random code', async (t) => {
  const n = Math.round(3500 * SCALE);
  const rng = new Rng('fuzz-code');
  const tally = newTally();
  const file = join(DIR, 'noise');
  for (let i = 0; i < n; i++) {
    const code = randomCode(rng);
    const prot = rng.bool(0.8) ? 5 : 7; // r-x, or rwx (self-modifying noise)
    writeFileSync(file, codeElf(code, prot, rng.bool(0.2)));
    check(tally, file, () => `random code #${i} [${Buffer.from(code.subarray(0, 32)).toString('hex')}...]`, { vdso: rng.bool(0.1) });
  }
  report(t, 'random code', tally, n);
});

t.test('host memory stays bounded over all the cases', async (t) => {
  const grew = process.memoryUsage().rss - rssStart;
  t.ok(grew < 1024 * 1024 * 1024, `rss grew by ${Math.round(grew / 1e6)} MB`);
});

// ---------- limits ----------

const asm = (...parts: (number | number[])[]) => Uint8Array.from(parts.flat());
const le32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
const le64 = (v: number) => [...le32(v), ...le32(Math.floor(v / 2 ** 32))];

function codeFile(name: string, code: Uint8Array): string {
  const f = join(DIR, name);
  writeFileSync(f, codeElf(code, 5, false));
  return f;
}

t.test('the instruction limit ends an endless loop', async (t) => {
  // eb fe    jmp .
  const r = run(codeFile('loop', asm(0xeb, 0xfe)), { maxInsns: 5000 });
  t.equal(r.outcome, 'limit');
  t.equal(r.status, 124);
  t.equal(r.kernel!.cpu.icount, 5000);
});

t.test('the guest memory cap: mmap fails with ENOMEM, the host allocates no more', async (t) => {
  // Map 16 MiB at a time until mmap fails; exit with the number of successes (rbx) and the error.
  //   31 db                   xor ebx,ebx
  // again:
  //   b8 09 00 00 00          mov eax,9 (mmap)
  //   31 ff                   xor edi,edi
  //   be 00 00 00 01          mov esi,0x1000000
  //   ba 03 00 00 00          mov edx,3 (PROT_READ|PROT_WRITE)
  //   41 ba 22 00 00 00       mov r10d,0x22 (MAP_PRIVATE|MAP_ANONYMOUS)
  //   49 c7 c0 ff ff ff ff    mov r8,-1
  //   45 31 c9                xor r9d,r9d
  //   0f 05                   syscall
  //   48 85 c0                test rax,rax
  //   78 04                   js done
  //   ff c3                   inc ebx
  //   eb d4                   jmp again
  // done:
  //   48 f7 d8                neg rax
  //   48 89 c7                mov rdi,rax
  //   48 c1 e3 08             shl rbx,8
  //   48 09 df                or rdi,rbx
  //   b8 e7 00 00 00          mov eax,231 (exit_group)
  //   0f 05                   syscall
  const code = asm(0x31, 0xdb, 0xb8, le32(9), 0x31, 0xff, 0xbe, le32(0x1000000), 0xba, le32(3), 0x41, 0xba, le32(0x22),
    0x49, 0xc7, 0xc0, le32(-1), 0x45, 0x31, 0xc9, 0x0f, 0x05, 0x48, 0x85, 0xc0, 0x78, 0x04, 0xff, 0xc3, 0xeb, 0xd4,
    0x48, 0xf7, 0xd8, 0x48, 0x89, 0xc7, 0x48, 0xc1, 0xe3, 0x08, 0x48, 0x09, 0xdf, 0xb8, le32(231), 0x0f, 0x05);
  const before = process.memoryUsage().rss;
  const r = run(codeFile('mmap', code), { cap: 128 * 1024 * 1024, maxInsns: 1_000_000 });
  t.equal(r.outcome, 'exited');
  const k = r.kernel!;
  const code8 = k.exit!.kind === 'exited' ? k.exit!.code : -1;
  t.equal(code8, 12, 'the failing mmap returned -ENOMEM');
  t.ok(k.mm.mappedBytes() <= 128 * 1024 * 1024, 'mapped bytes stay under the cap');
  t.ok(process.memoryUsage().rss - before < 512 * 1024 * 1024, 'the host did not allocate past the cap');
});

t.test('the guest memory cap: brk stops growing at the cap', async (t) => {
  // Grow the break by 16 MiB until brk returns the old value; exit with the number of successes.
  //   31 ff                   xor edi,edi
  //   b8 0c 00 00 00          mov eax,12 (brk)
  //   0f 05                   syscall            ; rax = current break
  //   49 89 c4                mov r12,rax
  //   31 db                   xor ebx,ebx
  // again:
  //   49 8d bc 24 00 00 00 01 lea rdi,[r12+0x1000000]
  //   b8 0c 00 00 00          mov eax,12
  //   0f 05                   syscall
  //   48 39 f8                cmp rax,rdi
  //   75 07                   jne done
  //   49 89 c4                mov r12,rax
  //   ff c3                   inc ebx
  //   eb e5                   jmp again
  // done:
  //   89 df                   mov edi,ebx
  //   b8 e7 00 00 00          mov eax,231
  //   0f 05                   syscall
  const code = asm(0x31, 0xff, 0xb8, le32(12), 0x0f, 0x05, 0x49, 0x89, 0xc4, 0x31, 0xdb,
    0x49, 0x8d, 0xbc, 0x24, le32(0x1000000), 0xb8, le32(12), 0x0f, 0x05, 0x48, 0x39, 0xf8, 0x75, 0x07, 0x49, 0x89, 0xc4, 0xff, 0xc3, 0xeb, 0xe5,
    0x89, 0xdf, 0xb8, le32(231), 0x0f, 0x05);
  const r = run(codeFile('brk', code), { cap: 128 * 1024 * 1024, maxInsns: 1_000_000 });
  t.equal(r.outcome, 'exited');
  const n = r.kernel!.exit!.kind === 'exited' ? r.kernel!.exit!.code : -1;
  t.ok(n >= 5 && n < 8, `brk grew ${n} times by 16 MiB under a 128 MiB cap`);
  t.ok(r.kernel!.mm.mappedBytes() <= 128 * 1024 * 1024);
});

t.test('an ELF whose segments exceed the cap is refused at exec, before anything is mapped', async (t) => {
  const b = codeElf(asm(0xeb, 0xfe), 5, false);
  b.writeBigUInt64LE(BigInt(2 ** 39), 64 + 40); // memsz: 512 GiB
  const f = join(DIR, 'huge');
  writeFileSync(f, b);
  const t0 = Date.now();
  const r = run(f, { cap: 4 * 1024 ** 3 });
  t.equal(r.outcome, 'exec-error');
  t.equal(r.status, 126);
  t.match(r.message, /^\S+huge: cannot execute: .*Cannot allocate memory/);
  t.ok(Date.now() - t0 < 1000, 'refused at once');
});

t.test('the open-file cap: open fails with EMFILE past RLIMIT_NOFILE', async (t) => {
  // Open "/" until open fails; exit with the error (-rax); the count goes to a memory word read back.
  //   31 db                   xor ebx,ebx
  // again:
  //   b8 02 00 00 00          mov eax,2 (open)
  //   48 8d 3d xx xx xx xx    lea rdi,[rip+path]
  //   31 f6                   xor esi,esi (O_RDONLY)
  //   31 d2                   xor edx,edx
  //   0f 05                   syscall
  //   48 85 c0                test rax,rax
  //   78 04                   js done
  //   ff c3                   inc ebx
  //   eb e5                   jmp again
  // done:
  //   48 89 1d xx xx xx xx    mov [rip+count],rbx
  //   48 f7 d8                neg rax
  //   48 89 c7                mov rdi,rax
  //   b8 e7 00 00 00          mov eax,231
  //   0f 05                   syscall
  // path: "/\0"; count: 8 bytes (in the rwx page)
  const head = [0x31, 0xdb, 0xb8, ...le32(2)];
  const leaAt = head.length;
  const body1 = [0x48, 0x8d, 0x3d, 0, 0, 0, 0, 0x31, 0xf6, 0x31, 0xd2, 0x0f, 0x05, 0x48, 0x85, 0xc0, 0x78, 0x04, 0xff, 0xc3, 0xeb, 0xe5];
  const movAt = head.length + body1.length;
  const body2 = [0x48, 0x89, 0x1d, 0, 0, 0, 0, 0x48, 0xf7, 0xd8, 0x48, 0x89, 0xc7, 0xb8, ...le32(231), 0x0f, 0x05];
  const pathAt = movAt + body2.length;
  const countAt = pathAt + 8;
  const code = [...head, ...body1, ...body2, 0x2f, 0, 0, 0, 0, 0, 0, 0, ...le64(0)];
  code.splice(leaAt + 3, 4, ...le32(pathAt - (leaAt + 7)));
  code.splice(movAt + 3, 4, ...le32(countAt - (movAt + 7)));
  const f = join(DIR, 'openmany');
  writeFileSync(f, codeElf(Uint8Array.from(code), 7, false));
  const r = run(f, { allow: [2], maxInsns: 1_000_000 });
  t.equal(r.outcome, 'exited');
  const k = r.kernel!;
  t.equal(k.exit!.kind === 'exited' && k.exit!.code, 24, 'the failing open returned -EMFILE');
  const cnt = k.mem.readBytes(CODE_VADDR + countAt, 8);
  const opened = cnt[0] | (cnt[1] << 8);
  t.equal(opened, 1024 - 3, 'descriptors 3..1023 were handed out, then EMFILE');
  t.equal(k.fds.size, 1024);
});

// ---------- the CLI ----------

const CLI = 'dist/lib/cli.js';
t.test('the CLI: one line and no stack trace for files it refuses or guests it stops', { skip: existsSync(CLI) ? false : `${CLI} is not built (npm test builds it)` }, async (t) => {
  const rng = new Rng('fuzz-cli');
  const orig = readFileSync('fixtures/core/hello_asm');
  const cases: { file: string; what: string }[] = [];
  for (let i = 0; i < 8; i++) {
    const { bytes, what } = mutate(orig, rng);
    const f = join(DIR, `cli-${i}`);
    writeFileSync(f, bytes);
    cases.push({ file: f, what: what.join(', ') });
  }
  cases.push({ file: join(DIR, 'does-not-exist'), what: 'missing' }, { file: DIR, what: 'a directory' }, { file: 'fixtures/core/hello.c', what: 'a C source' });
  const loop = join(DIR, 'cli-loop');
  writeFileSync(loop, codeElf(asm(0xeb, 0xfe), 5, false));
  let refused = 0;
  for (const c of cases) {
    const r = spawnSync(process.execPath, [CLI, 'run', '--max-insns', '100000', c.file], { cwd: process.cwd(), input: '', encoding: 'utf8', timeout: 30000 });
    const err = r.stderr.trimEnd();
    t.notMatch(err, /^\s+at /m, `${c.what}: no stack trace`);
    t.notMatch(err, /internal error/, `${c.what}: no internal error`);
    if (r.status === 126 || r.status === 127) {
      refused++;
      t.equal(err.split('\n').length, 1, `${c.what}: one line (${err})`);
      t.match(err, /^colonel: /, `${c.what}: says colonel`);
      t.ok(err.includes(c.file), `${c.what}: names the file`);
    } else {
      t.ok([0, 124].includes(r.status!) || r.status! > 128, `${c.what}: exit status ${r.status} (a run, the limit or a signal)`);
    }
  }
  t.ok(refused >= 4, `${refused} refused with 126/127`);
  const r = spawnSync(process.execPath, [CLI, 'run', '--max-insns', '1000', loop], { encoding: 'utf8', timeout: 30000 });
  t.equal(r.status, 124, '--max-insns: status 124');
  t.equal(r.stderr.trimEnd().split('\n').length, 1, '--max-insns: one line');
  t.match(r.stderr, /instruction limit reached after 1000 instructions/);
});
