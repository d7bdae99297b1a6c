// glibc and C++ programs (fixtures/programs): the core integer fixtures, fp.c and cxx.cpp built with
// glibc static and dynamic, under colonel against the native recording (everywhere) and against a
// fresh native run (on an x86-64 Linux host). The dynamic ones run the host's own ld.so and shared
// libraries under colonel, so they skip, with the reason, on a host that lacks any of them; their
// recording is compared only when the host's libc is the one it was recorded with (expected/host-libc).
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseElf, PT_DYNAMIC, PT_LOAD, cString } from '../kernel/elf/elf.js';
import { chooseLayout } from '../kernel/layout.js';
import { loadManifest, runUnderColonel, runNative, recorded, guestStderr, NATIVE } from './helpers/fixtures.js';

const DIR = 'fixtures/programs';
const cases = loadManifest(`${DIR}/manifest.json`);

/** Where glibc's ld.so looks by default on x86-64 (Debian multiarch first). */
const LIB_DIRS = ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib64', '/usr/lib64', '/lib', '/usr/lib'];

/** The DT_NEEDED names of a dynamic ELF (its PT_DYNAMIC entries; DT_STRTAB found through PT_LOAD). */
function needed(bytes: Uint8Array): string[] {
  const elf = parseElf(bytes);
  const dyn = elf.phdrs.find((p) => p.type === PT_DYNAMIC);
  if (!dyn) return [];
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const entries: [number, number][] = [];
  for (let o = dyn.offset; o + 16 <= dyn.offset + dyn.filesz; o += 16) {
    const tag = Number(v.getBigInt64(o, true));
    if (tag === 0) break;
    entries.push([tag, Number(v.getBigUint64(o + 8, true))]);
  }
  const strtab = entries.find(([tag]) => tag === 5)?.[1]; // DT_STRTAB, a virtual address
  const seg = elf.phdrs.find((p) => p.type === PT_LOAD && strtab !== undefined && strtab >= p.vaddr && strtab < p.vaddr + p.filesz);
  if (strtab === undefined || !seg) throw new Error('DT_STRTAB outside the file');
  return entries.filter(([tag]) => tag === 1).map(([, off]) => cString(bytes, strtab - seg.vaddr + seg.offset + off)); // DT_NEEDED
}

function findLib(name: string): string | null {
  for (const d of LIB_DIRS) if (fs.existsSync(path.join(d, name))) return path.join(d, name);
  return null;
}

/** Why a dynamic program cannot run on this host (its interpreter or a library is missing), or null. */
function missing(binary: string): string | null {
  const bytes = fs.readFileSync(binary);
  const interp = parseElf(bytes).interp;
  if (interp !== null && !fs.existsSync(interp)) return `the host has no ${interp}`;
  const absent = needed(bytes).filter((n) => !findLib(n));
  return absent.length ? `the host has no ${absent.join(', ')}` : null;
}

/** The version banner compiled into a libc.so.6 ("GNU C Library (...) stable release version 2.36."). */
function libcBanner(file: string): string | null {
  return /GNU C Library [^\n\0]*? version [0-9.]+\./.exec(fs.readFileSync(file, 'latin1'))?.[0] ?? null;
}

const recordedLibc = fs.readFileSync(`${DIR}/expected/host-libc`, 'utf8').trim();
const hostLibcFile = findLib('libc.so.6');
const hostLibc = hostLibcFile ? libcBanner(hostLibcFile) : null;

t.test('the dynamic programs are glibc PIEs needing the host libraries', async (t) => {
  const cxx = fs.readFileSync(`${DIR}/dynamic/cxx`);
  t.equal(parseElf(cxx).interp, '/lib64/ld-linux-x86-64.so.2');
  t.same(needed(cxx).sort(), ['libc.so.6', 'libgcc_s.so.1', 'libstdc++.so.6']); // libm: --as-needed dropped it
  t.same(needed(fs.readFileSync(`${DIR}/dynamic/fp`)).sort(), ['libc.so.6', 'libm.so.6']);
  t.equal(parseElf(fs.readFileSync(`${DIR}/static/cxx`)).interp, null, 'the static ones have no interpreter');
  t.match(recordedLibc, /^GNU C Library .* version 2\.\d+\.$/, 'the recording names its libc');
});

// A randomized layout (--seed, --aslr) puts a PIE's base anywhere in the 1 TiB above 0x555555554000,
// always on a page boundary: the segments are mapped page by page at their offsets from it. (A base
// that was not page-aligned shifted every segment within its pages, so code near a segment's end fell
// off its executable mapping: dynamic cxx died with SIGSEGV under most seeds.)
t.test('a randomized layout keeps the PIE base on a page boundary', async (t) => {
  const bases = new Set<number>();
  for (let seed = 1; seed <= 200; seed++) bases.add(chooseLayout(seed).pieBase);
  t.same([...bases].filter((b) => b % 4096 !== 0).map((b) => b.toString(16)), [], 'every base is page-aligned');
  t.ok(bases.size > 190, 'and they differ');
  t.ok([...bases].every((b) => b >= 0x555555554000 && b < 0x555555554000 + 2 ** 40), 'within ELF_ET_DYN_BASE + 28 bits of pages');
});

const cxxDyn = cases.find((c) => c.name === 'dynamic_cxx')!;
t.test('dynamic cxx under randomized layouts', { skip: missing(cxxDyn.binary) ?? false }, async (t) => {
  const want = fs.readFileSync(`${cxxDyn.expect}.stdout`, 'utf8');
  for (const seed of [1, 3, 6]) {
    const got = runUnderColonel(cxxDyn, { seed });
    t.equal(got.status, 7, `seed ${seed}: exit status 7`);
    if (hostLibc === recordedLibc) t.equal(got.stdout, want, `seed ${seed}: stdout as recorded`);
    else t.ok(got.stdout.endsWith('(30 chars)\n'), `seed ${seed}: ran to the end`);
  }
});

for (const c of cases) {
  const dynamic = c.binary.startsWith(`${DIR}/dynamic/`);
  // A dynamic case's recording holds for the recorded libc only; elsewhere the native run is the oracle.
  const compareRecorded = !dynamic || hostLibc === recordedLibc;
  const skip = !dynamic ? null
    : missing(c.binary) ?? (compareRecorded || NATIVE ? null : `the host's libc (${hostLibc ?? 'none'}) is not the recorded one (${recordedLibc}) and the program cannot run natively here`);
  t.test(c.name, { skip: skip ?? false }, async (t) => {
    const got = runUnderColonel(c);
    if (compareRecorded) {
      const want = recorded(c);
      t.equal(got.stdout, want.stdout, 'stdout as recorded natively');
      t.equal(guestStderr(got.stderr), want.stderr, 'stderr as recorded natively');
      t.equal(got.status, want.status, 'exit status as recorded natively');
    }
    if (got.exit.kind === 'signaled') t.match(got.diagnostics.join('\n'), /^colonel: .*\[\d+\]: .* -> SIG[A-Z]+/m, 'one diagnostic line names the fault');
    if (NATIVE) {
      const native = runNative(c);
      t.same(
        { stdout: got.stdout, stderr: guestStderr(got.stderr), status: got.status },
        { stdout: native.stdout, stderr: native.stderr, status: native.status },
        'agrees with the native run now',
      );
    }
  });
}
