// mul, imul, div, idiv (cpu/isa/muldiv.ts) against the host CPU and the recorded vectors; see
// tests/oracle/suite.ts for how cases are generated, compared and recorded.

import t from 'tap';
import { machine } from './helpers/machine.js';
import { CF, OF, AF, SF, ZF, PF } from '../cpu/flags.js';
import { MULDIV_ROWS } from '../cpu/isa/muldiv.js';
import { oracleSuite, genCase, randValue, bytesOf, type Draft, type Rng } from './oracle/suite.js';

const CASES_PER_ROW = 400;

/** Replace bits [shift, shift+size) of register r with v. */
function setBits(d: Draft, r: number, shift: number, size: number, v: bigint): void {
  const m = ((1n << BigInt(size)) - 1n) << BigInt(shift);
  d.regs[r] = (d.regs[r] & ~m) | ((BigInt.asUintN(size, v) << BigInt(shift)) & m);
}

/** Make a division mostly not overflow: choose the divisor, then the dividend's high half. */
function divisionFix(signed: boolean, size: number) {
  return (d: Draft, rng: Rng) => {
    let div = randValue(rng, size) & ((1n << BigInt(size)) - 1n);
    if (rng.bool(0.04)) div = 0n;
    if (d.rm >= 0) { if (d.rm === 0 || d.rm === 2) return; setBits(d, d.rm, 0, size, div); }
    else d.mem!.set(bytesOf(div, size / 8), d.memOffset);
    const lowReg = 0, highReg = size === 8 ? 0 : 2, highShift = size === 8 ? 8 : 0;
    const low = BigInt.asUintN(size, d.regs[lowReg] >> 0n);
    let high: bigint;
    const k = rng.int(10);
    if (signed) {
      const sdiv = BigInt.asIntN(size, div);
      const sign = (low >> BigInt(size - 1)) & 1n ? -1n : 0n;
      if (k < 4) high = sign; // a sign-extended dividend (cqo; idiv)
      else if (k < 7 && sdiv !== 0n) { const mag = sdiv < 0n ? -sdiv : sdiv; high = BigInt.asUintN(64, BigInt(rng.int(1 << 16)) % mag) * (rng.bool() ? 1n : -1n); }
      else high = randValue(rng, size);
    } else if (k < 8 && div !== 0n) high = rng.u64() % div;
    else high = randValue(rng, size);
    setBits(d, highReg, highShift, size, high);
  };
}

oracleSuite(t, {
  vendor: 'AuthenticAMD',
  name: 'muldiv',
  rows: MULDIV_ROWS,
  recordPerRow: 12,
  cases(row, rng) {
    const oneOperand = row.operands.length === 1;
    const size = +/\d+$/.exec(row.operands[0])![0];
    const division = /^i?div_/.test(row.id);
    const out = [];
    for (let i = 0; i < CASES_PER_ROW; i++) {
      out.push(genCase(row, rng, {
        implicit: oneOperand ? [0, 2] : [],
        size,
        fix: division ? divisionFix(row.id.startsWith('idiv'), size) : undefined,
      }));
    }
    return out;
  },
});

// A few readable cases (values taken from the host CPU, an AMD Zen 3).
t.test('mul rbx: the 128-bit product in rdx:rax, CF = OF = 1, other flags unchanged', async (t) => {
  // 48 f7 e3    mul rbx
  const m = machine([0x48, 0xf7, 0xe3]).set({ rax: 0xffffffffffffffffn, rbx: 0xffffffffffffffffn, rflags: BigInt(ZF | PF) }).step();
  t.same(m.diff({ rax: 1n, rdx: 0xfffffffffffffffen }, { flags: CF | OF | ZF | PF }), []);
});

t.test('idiv: INT64_MIN / -1 raises #DE and changes nothing', async (t) => {
  // 48 f7 fb    idiv rbx
  const m = machine([0x48, 0xf7, 0xfb]).set({ rax: 0x8000000000000000n, rdx: 0xffffffffffffffffn, rbx: -1n }).step();
  t.equal(m.last?.kind, 'fault');
  if (m.last?.kind === 'fault') t.equal(m.last.fault.vector, 0);
  t.equal(m.reg('rax'), 0x8000000000000000n);
  t.equal(m.reg('rip'), 0x400000n);
});

t.test('div ecx: remainder in edx, both zero-extended; Zen sets AF and clears SF ZF PF', async (t) => {
  // f7 f1    div ecx
  const m = machine([0xf7, 0xf1]).set({ rax: 0xffff00000000000an, rdx: 0xffff000000000000n, rcx: 3n, rflags: BigInt(CF | SF | ZF) }).step();
  t.same(m.diff({ rax: 3n, rdx: 1n }, { flags: CF | AF }), []);
});

t.test('imul r32, r/m32, imm8 sets CF and OF when the product is truncated', async (t) => {
  // 6b c3 80    imul eax,ebx,0xffffff80
  let m = machine([0x6b, 0xc3, 0x80]).set({ rbx: 0x01000000n }).step();
  t.same(m.diff({ rax: 0x80000000n }, { flags: 0 }), [], '-2^31 fits');
  m = machine([0x6b, 0xc3, 0x80]).set({ rbx: 0x01000001n }).step();
  t.same(m.diff({ rax: 0x7fffff80n }, { flags: CF | OF }), [], '-2^31 - 128 does not');
});
