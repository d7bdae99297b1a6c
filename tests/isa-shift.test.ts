// Shifts and rotates (cpu/isa/shift.ts) against the host CPU and the recorded vectors; see
// tests/oracle/suite.ts for how cases are generated, compared and recorded.

import t from 'tap';
import { machine } from './helpers/machine.js';
import { CF, OF, ZF, PF, AF, SF } from '../cpu/flags.js';
import { SHIFT_ROWS } from '../cpu/isa/shift.js';
import { oracleSuite, genCase, type Rng } from './oracle/suite.js';

const CASES_PER_ROW = 240;

/** Counts 0..70 mostly (around every operand size), sometimes any byte. */
const countByte = (rng: Rng) => (rng.bool(0.85) ? rng.int(71) : rng.int(256));

oracleSuite(t, {
  vendor: 'AuthenticAMD',
  name: 'shift',
  rows: SHIFT_ROWS,
  cases(row, rng) {
    const byCl = row.operands.includes('CL');
    const byImm = row.operands.includes('imm8');
    const out = [];
    for (let i = 0; i < CASES_PER_ROW; i++) {
      out.push(genCase(row, rng, {
        implicit: byCl ? [1] : [],
        imm: byImm ? [countByte(rng)] : undefined,
        fix: (d, rng) => {
          // Usually make cl a count of interest; keep the random upper bits of rcx.
          if (byCl && d.reg !== 1 && d.rm !== 1 && rng.bool(0.85)) d.regs[1] = (d.regs[1] & ~0xffn) | BigInt(countByte(rng));
        },
      }));
    }
    return out;
  },
});

// A few readable cases (values taken from the host CPU, an AMD Zen 3).
t.test('shl al, cl by 8 shifts everything out: CF is the last bit, OF = MSB ^ CF, AF set', async (t) => {
  // d2 e0    shl al,cl
  const m = machine([0xd2, 0xe0]).set({ rax: 0xffn, rcx: 8n }).step();
  t.same(m.diff({ rax: 0n }, { flags: OF | ZF | AF | PF | CF }), []);
});

t.test('a masked count of 0 leaves the flags but still zero-extends a 32-bit register', async (t) => {
  // d3 e0    shl eax,cl
  const m = machine([0xf9, 0xd3, 0xe0]).set({ rax: 0xdeadbeef12345678n, rcx: 32n }).step(2);
  t.same(m.diff({ rax: 0x12345678n }, { flags: CF }), []);
});

t.test('rcl al, 9 rotates the 9-bit CF:al all the way round', async (t) => {
  // f9 stc ; d2 d0    rcl al,cl
  const m = machine([0xf9, 0xd2, 0xd0]).set({ rax: 0x81n, rcx: 9n }).step(2);
  t.same(m.diff({ rax: 0x81n }, { flags: CF, dontCare: SF | ZF | AF | PF }), []);
});

t.test('shld ax, dx, 17 rotates the source on Zen', async (t) => {
  // 66 0f a4 d0 11    shld ax,dx,0x11
  const m = machine([0x66, 0x0f, 0xa4, 0xd0, 0x11]).set({ rax: 0x1234n, rdx: 0xabcdn }).step();
  t.same(m.diff({ rax: 0x579bn }, { flags: AF }), []);
});
