// The seed article's flow: notb.c exactly as the article has it, linked `gcc notb.c -o notb vdso.so`
// against colonel's own vdso.so. A real kernel lacks number_of_the_beast, so natively glibc's ld.so
// stops with a symbol lookup error; under colonel it binds to the mapped vDSO and prints 666, or
// whatever the kernel side says, with neither the program nor vdso.so rebuilt.
import t from 'tap';
import * as fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { runProgram } from '../lib/api.js';
import { TEST_EPOCH_NS } from './helpers/fixtures.js';

const NOTB = 'fixtures/seed/notb';
const glibc = fs.existsSync('/lib64/ld-linux-x86-64.so.2');

t.test('the program is what the article builds', async (t) => {
  const bytes = fs.readFileSync(NOTB);
  t.ok(bytes.includes(Buffer.from('linux-vdso.so.1\0')), 'needs linux-vdso.so.1');
  t.ok(bytes.includes(Buffer.from('number_of_the_beast\0')), 'imports number_of_the_beast');
  t.ok(bytes.includes(Buffer.from('LINUX_2.6\0')), 'under version LINUX_2.6');
});

t.test('under colonel glibc binds it to the vDSO: 666, then 42 from the kernel side', { skip: !glibc && 'no glibc loader on this host' }, async (t) => {
  const r = runProgram(NOTB, { argv: [NOTB], env: {}, epochNs: TEST_EPOCH_NS });
  t.equal(r.stdout, 'His number is 666\n');
  t.equal(r.status, 0);
  const changed = runProgram(NOTB, { argv: [NOTB], env: {}, epochNs: TEST_EPOCH_NS, params: { vnotb: 42 } });
  t.equal(changed.stdout, 'His number is 42\n', '--set vnotb=42');
});

t.test('natively, a kernel without the function gives a symbol lookup error', { skip: !(process.platform === 'linux' && process.arch === 'x64' && glibc) && 'not an x86-64 glibc host' }, async (t) => {
  const r = spawnSync('/usr/bin/env', ['-i', NOTB], { encoding: 'utf8' });
  t.equal(r.status, 127);
  t.match(r.stderr, /symbol lookup error: .*undefined symbol: number_of_the_beast, version LINUX_2\.6/);
});
