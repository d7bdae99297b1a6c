// Every core fixture under colonel against its native run (on an x86-64 Linux host) and against the
// recorded native outputs (everywhere).
import t from 'tap';
import { loadManifest, runUnderColonel, runNative, recorded, NATIVE } from './helpers/fixtures.js';

const cases = loadManifest('fixtures/core/manifest.json');

for (const c of cases) {
  t.test(c.name, async (t) => {
    const got = runUnderColonel(c);
    const want = recorded(c);
    t.equal(got.stdout, want.stdout, 'stdout as recorded natively');
    t.equal(got.stderr, want.stderr, 'stderr as recorded natively');
    t.equal(got.status, want.status, 'exit status as recorded natively');
    if (got.exit.kind === 'signaled') t.match(got.diagnostics.join('\n'), /^colonel: .*\[\d+\]: .* -> SIG[A-Z]+/m, 'one diagnostic line names the fault');
    if (NATIVE) {
      const native = runNative(c);
      t.same({ stdout: got.stdout, status: got.status }, { stdout: native.stdout, status: native.status }, 'agrees with the native run now');
    }
  });
}
