// Randomly generated C programs (csmith, fixtures/random): each built with musl static, glibc dynamic
// and (a third of them) glibc static, at -O0..-O3, with and without floating point. Under colonel each
// must print the checksum line and exit as it did natively (the recording, everywhere) and as it does
// now (on an x86-64 Linux host). The glibc dynamic builds run the host's ld.so and libc.so.6 under
// colonel, so they skip, with the reason, on a host without them. csmith's output does not depend on
// the libc version (one printf of a CRC), so their recording holds on any glibc.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseElf } from '../kernel/elf/elf.js';
import { loadManifest, runUnderColonel, runNative, recorded, NATIVE } from './helpers/fixtures.js';

const cases = loadManifest('fixtures/random/manifest.json');

const LIB_DIRS = ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib64', '/usr/lib64', '/lib', '/usr/lib'];

/** Why a dynamic program cannot run on this host (no ld.so at its PT_INTERP path, or no libc.so.6), or null. */
function missing(binary: string): string | null {
  const interp = parseElf(fs.readFileSync(binary)).interp;
  if (interp === null) return null;
  if (!fs.existsSync(interp)) return `the host has no ${interp}`;
  return LIB_DIRS.some((d) => fs.existsSync(path.join(d, 'libc.so.6'))) ? null : 'the host has no libc.so.6';
}

t.test('the fixture: every program built musl static and glibc dynamic, the builds agree natively', async (t) => {
  const programs = new Map<string, string[]>();
  for (const c of cases) {
    const m = /^fixtures\/random\/([sf]\d+)-(musl|glibc|glibc-static)$/.exec(c.binary);
    if (!m) { t.fail(`unexpected binary ${c.binary}`); continue; }
    programs.set(m[1], [...(programs.get(m[1]) ?? []), m[2]]);
  }
  t.ok(programs.size >= 30, `${programs.size} programs`);
  for (const [name, builds] of programs) {
    t.ok(builds.includes('musl') && builds.includes('glibc'), `${name}: musl static and glibc dynamic`);
    const outs = builds.map((b) => fs.readFileSync(`fixtures/random/expected/${name}-${b}.stdout`, 'utf8'));
    t.match(outs[0], /^checksum = [0-9A-F]+\n$/, `${name}: one checksum line`);
    t.same(new Set(outs).size, 1, `${name}: every build printed the same checksum`);
  }
  t.equal(parseElf(fs.readFileSync('fixtures/random/s4-glibc')).interp, '/lib64/ld-linux-x86-64.so.2');
  t.equal(parseElf(fs.readFileSync('fixtures/random/s4-musl')).interp, null);
});

for (const c of cases) {
  const skip = missing(c.binary);
  t.test(c.name, skip ? { skip } : {}, async (t) => {
    const got = runUnderColonel(c);
    const want = recorded(c);
    t.same({ stdout: got.stdout, stderr: got.stderr, status: got.status }, want, 'as recorded natively');
    if (NATIVE) {
      const native = runNative(c);
      t.same({ stdout: got.stdout, status: got.status }, { stdout: native.stdout, status: native.status }, 'agrees with the native run now');
    }
  });
}
