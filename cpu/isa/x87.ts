// The x87 FPU rows (SDM vol. 2: FLD..FYL2X; vol. 1 ch. 8): the subset compilers emit for `long double`
// and libcs use (musl's printf formats every double through long double), exact against the host CPU.
// The state is cpu/x87.ts, the numerics cpu/fpu-x87.ts.
//
// Every instruction but the FN* ones (fninit, fnclex, fnstcw, fnstsw, fnstenv, fnsave) first checks for
// a pending unmasked exception (ES set) and raises #MF (SIGFPE) if there is one: x87 exceptions are
// reported on the next waiting instruction, not by the one that caused them (SDM 8.6). The instruction
// that causes one follows SDM 8.5's unmasked responses: after an invalid operation (IE, stack faults
// included), a denormal operand (DE) or a division by zero (ZE) nothing is stored, popped or pushed;
// after an overflow or underflow the result is stored with its exponent wrapped, except to memory,
// where nothing is stored.
//
// Stack faults: reading an empty register (underflow: IE, SF, C1 = 0) or pushing onto a full one
// (overflow: IE, SF, C1 = 1) deliver the indefinite NaN when IE is masked. C1 otherwise tells whether
// the last rounding went up in magnitude.
//
// Left out (#UD, SIGILL naming the bytes): the transcendentals (fsin, fcos, fsincos, fptan, fpatan,
// f2xm1, fyl2x, fyl2xp1: their results are CPU-specific approximations), fbld/fbstp, the 16-bit
// (66-prefixed) environment formats and the undocumented aliases (fcom2, fstp1, fxch4, ...).
// fisttp is an SSE3 instruction: it is implemented because it is x87 state only, but declared as 'fpu'
// so that CPUID does not claim SSE3, whose other instructions colonel does not have.

import type { Cpu } from '../cpu.js';
import type { ExecFn, Insn } from '../insn.js';
import type { IsaRow, Operand } from './types.js';
import { ea } from '../operands.js';
import { GuestFault, Vector, invalidOpcode } from '../fault.js';
import { CF, PF, AF, ZF, SF, OF } from '../flags.js';
import {
  F32, F64, F80, IE, DE, ZE, OE, UE, PE, fpFlags, roundedUp, clearFlags, raise, bits64, lo32, hi32, classify, quiet, SNAN,
  defaultNaN, roundPack,
} from '../fpu.js';
import {
  INDEFINITE, SF as STACK_FAULT, widen, srcDenormal, x87Arith, x87Compare, narrow, toInt, roundInt80, sqrt80,
  scale80, extract80, extractSig, remainder80, remQuotient, remCodes, REM_PARTIAL, REM_QUOTIENT, rcOf, X_ADD, X_SUB, X_MUL, X_DIV,
  fastArith, fastCompare, fastNarrow, fastToInt, fastRoundInt, fOut, fIn, fFl, fUp,
} from '../fpu-x87.js';
import { type X87, controlWord } from '../x87.js';

const rows: IsaRow[] = [];
const row = (r: IsaRow) => rows.push({ feature: 'fpu', ...r });

const C0 = 0x100, C1 = 0x200, C2 = 0x400, C3 = 0x4000, B = 0x8000;

// ---- the register stack ----
//
// The registers are plain numbers (X87.se/hi/lo). The rows first try a fast path on them (fpu-x87.ts
// fast*: normal operands, normal results); anything else takes the exact path on 80-bit bigints.

const slot = (x: X87, i: number) => (x.top + i) & 7;
const has = (x: X87, i: number) => (x.used & (1 << slot(x, i))) !== 0;
const get = (x: X87, i: number) => x.getReg(slot(x, i));
function put(x: X87, i: number, v: bigint): void {
  const p = slot(x, i);
  x.setReg(p, v);
  x.used |= 1 << p;
}
/** Physical register p = the fast path's result (fSe, fHi, fLo), its PE and C1 recorded. */
function putFast(x: X87, p: number): void {
  x.se[p] = fOut[0]; x.hi[p] = fOut[1]; x.lo[p] = fOut[2];
  x.used |= 1 << p;
  x.sw = ((x.sw | fFl) & ~C1) | (fUp ? C1 : 0);
}
/** fIn[at..at + 2] = physical register p (a fast path's operand). */
function operand(x: X87, p: number, at: number): void {
  fIn[at] = x.se[p]; fIn[at + 1] = x.hi[p]; fIn[at + 2] = x.lo[p];
}
/** fIn[at..at + 2] = the fast memory operand. */
function memOperand(at: number): void {
  fIn[at] = opnd[0]; fIn[at + 1] = opnd[1]; fIn[at + 2] = opnd[2];
}
/** Physical register p = physical register q. */
function copyReg(x: X87, p: number, q: number): void {
  x.se[p] = x.se[q]; x.hi[p] = x.hi[q]; x.lo[p] = x.lo[q];
  x.used |= 1 << p;
}
function pop(x: X87): void {
  x.used &= ~(1 << x.top);
  x.top = (x.top + 1) & 7;
}
/** ST(i) for reading: the value, or the indefinite with a stack underflow raised. */
function read(x: X87, i: number): bigint {
  if (has(x, i)) return get(x, i);
  raise(IE | STACK_FAULT);
  return INDEFINITE;
}
/** The ST(i) of a register form: ModRM.rm without REX.B. */
const sti = (d: Insn) => d.modrm & 7;

/** A waiting instruction: a pending unmasked exception is reported now, as #MF. */
function wait(c: Cpu): void {
  if (c.x87.pending()) throw new GuestFault(Vector.MF, 0, 0, `x87 floating-point exception pending (status word 0x${c.x87.status().toString(16)})`);
}

// ---- exceptions ----

/**
 * May the result be stored (and the stack popped)? Not after an unmasked IE, DE or ZE; for a memory
 * destination, not after an unmasked OE or UE either.
 */
function allowed(x: X87, fl: number, mem: boolean): boolean {
  const un = fl & ~x.cw & 0x3f;
  return (un & (IE | DE | ZE)) === 0 && !(mem && (un & (OE | UE)) !== 0);
}
/** Record flags (and C1 unless null) in the status word (ES and B follow: see X87.status()). */
function record(x: X87, fl: number, c1: boolean | null): void {
  let sw = x.sw | (fl & 0x7f);
  if (c1 !== null) sw = (sw & ~C1) | (c1 ? C1 : 0);
  x.sw = sw;
}
/**
 * Record an aborted instruction's flags, C1 cleared: only the pre-computation ones (IE, DE, ZE), or
 * for a store to memory stopped by an unmasked overflow or underflow, that flag without PE.
 */
function aborted(x: X87, fl: number): void {
  record(x, fl & ~x.cw & (IE | DE | ZE) ? fl & (IE | DE | ZE | STACK_FAULT) : fl & ~PE, false);
}

/** Store r in ST(i) and pop `pops` times, or record the abort. */
function finish(x: X87, i: number, r: bigint, pops: number): void {
  const fl = fpFlags;
  if (!allowed(x, fl, false)) { aborted(x, fl); return; }
  put(x, i, r);
  record(x, fl, roundedUp);
  for (let k = 0; k < pops; k++) pop(x);
}

/**
 * Push v (after a load's flags were raised), or raise a stack overflow, which replaces the load's own
 * exceptions (an SNaN or denormal source is then not reported). A denormal source does not stop the
 * load even when DE is unmasked (the host pushes it and reports DE on the next instruction).
 */
function pushValue(x: X87, v: bigint): void {
  const p = (x.top - 1) & 7;
  const over = (x.used & (1 << p)) !== 0;
  if (over) { clearFlags(); raise(IE | STACK_FAULT); v = INDEFINITE; }
  const fl = fpFlags;
  if (!allowed(x, fl & ~DE, false)) { record(x, fl & (IE | DE | ZE | STACK_FAULT), over); return; }
  x.top = p;
  x.setReg(p, v);
  x.used |= 1 << p;
  record(x, fl, over);
}
/** Push opnd (se, hi, lo), no exception: false (nothing done) if the push would overflow the stack. */
function pushFast(x: X87): boolean {
  const p = (x.top - 1) & 7;
  if ((x.used & (1 << p)) !== 0) return false;
  x.top = p;
  x.se[p] = opnd[0]; x.hi[p] = opnd[1]; x.lo[p] = opnd[2];
  x.used |= 1 << p;
  x.sw &= ~C1;
  return true;
}

// ---- memory operands ----

/** Set by the loaders: the memory operand was a denormal single or double. */
let memDen = false;
/**
 * A memory operand kind. `fast` reads it: true when it is exactly the extended value (opnd[0], opnd[1], opnd[2])
 * with nothing to signal (a zero or normal, an integer, any m80); false leaves the raw bits in
 * raw[0]/raw[1] for `slow`, which gives the 80-bit pattern (widen()) and sets memDen.
 */
interface MemKind { fast: (c: Cpu, d: Insn) => boolean; slow: () => bigint }
/** The fast operand (se, hi, lo) and the raw bits for `slow`, in typed arrays (no boxed numbers). */
const opnd = new Uint32Array(3), raw = new Uint32Array(2);
/** The fast operand as a pattern (for the exact path). */
const fastBig = () => { memDen = false; return (BigInt(opnd[0]) << 64n) | (BigInt(opnd[1]) << 32n) | BigInt(opnd[2]); };

/** opnd = the extended value of sign s (0 or 1) and magnitude hi:lo (uint32 halves), normalized. */
function extFromMagnitude(s: number, hi: number, lo: number): void {
  if (hi === 0) {
    if (lo === 0) { opnd[0] = 0; opnd[1] = 0; opnd[2] = 0; return; }
    const n = Math.clz32(lo);
    opnd[0] = (s << 15) | (16383 + 31 - n); opnd[1] = (lo << n) >>> 0; opnd[2] = 0;
    return;
  }
  const n = Math.clz32(hi);
  if (n) { hi = ((hi << n) | (lo >>> (32 - n))) >>> 0; lo = (lo << n) >>> 0; }
  opnd[0] = (s << 15) | (16383 + 63 - n); opnd[1] = hi; opnd[2] = lo;
}
/** A signed integer of at most 53 bits (a number) as an extended value. */
function intToExt(v: number): void {
  const m = Math.abs(v), h = Math.floor(m / 4294967296);
  extFromMagnitude(v < 0 ? 1 : 0, h, m - h * 4294967296);
}

const m32fp: MemKind = {
  fast: (c, d) => {
    const v = c.mem.read32(ea(c, d)) >>> 0, e = (v >>> 23) & 0xff;
    raw[0] = v;
    if (e === 0 || e === 0xff) {
      if ((v & 0x7fffffff) !== 0) return false;
      opnd[0] = v >>> 16; opnd[1] = 0; opnd[2] = 0;
      return true;
    }
    opnd[0] = ((v >>> 16) & 0x8000) | (e - 127 + 16383); opnd[1] = (0x80000000 | ((v & 0x7fffff) << 8)) >>> 0; opnd[2] = 0;
    return true;
  },
  slow: () => { const v = widen(F32, BigInt(raw[0])); memDen = srcDenormal; return v; },
};
const m64fp: MemKind = {
  fast: (c, d) => {
    const lo = c.mem.read64(ea(c, d)) >>> 0, hi = c.mem.hi >>> 0, e = (hi >>> 20) & 0x7ff;
    raw[0] = lo; raw[1] = hi;
    if (e === 0 || e === 0x7ff) {
      if ((hi & 0x7fffffff) !== 0 || lo !== 0) return false;
      opnd[0] = hi >>> 16; opnd[1] = 0; opnd[2] = 0;
      return true;
    }
    opnd[0] = ((hi >>> 16) & 0x8000) | (e - 1023 + 16383);
    opnd[1] = (0x80000000 | ((hi & 0xfffff) << 11) | (lo >>> 21)) >>> 0;
    opnd[2] = (lo << 11) >>> 0;
    return true;
  },
  slow: () => { const v = widen(F64, bits64(raw[0], raw[1])); memDen = srcDenormal; return v; },
};
const m16int: MemKind = { fast: (c, d) => { intToExt((c.mem.read16(ea(c, d)) << 16) >> 16); return true; }, slow: fastBig };
const m32int: MemKind = { fast: (c, d) => { intToExt(c.mem.read32(ea(c, d))); return true; }, slow: fastBig };
const m64int: MemKind = {
  fast: (c, d) => {
    let lo = c.mem.read64(ea(c, d)) >>> 0, hi = c.mem.hi >>> 0;
    const s = hi >>> 31;
    if (s) { lo = (~lo >>> 0) + 1; hi = (~hi >>> 0) + (lo === 4294967296 ? 1 : 0); lo >>>= 0; hi >>>= 0; }
    extFromMagnitude(s, hi, lo);
    return true;
  },
  slow: fastBig,
};
const m80fp: MemKind = {
  fast: (c, d) => {
    const a = ea(c, d);
    opnd[2] = c.mem.read64(a) >>> 0; opnd[1] = c.mem.hi >>> 0; opnd[0] = c.mem.read16(a + 8);
    return true;
  },
  slow: fastBig,
};
// ---- arithmetic: fadd fsub fsubr fmul fdiv fdivr ----

const OPS: [string, number, boolean][] = [
  ['fadd', X_ADD, false], ['fmul', X_MUL, false], ['', -1, false], ['', -1, false],
  ['fsub', X_SUB, false], ['fsubr', X_SUB, true], ['fdiv', X_DIV, false], ['fdivr', X_DIV, true],
];

/** ST(0) = ST(0) op mem (reversed: mem op ST(0)). */
function arithMem(op: number, rev: boolean, k: MemKind): ExecFn {
  return (c, d) => {
    wait(c);
    const fast = k.fast(c, d);
    const x = c.x87;
    if (fast && (x.used & (1 << x.top)) !== 0) {
      const p = x.top;
      operand(x, p, rev ? 3 : 0);
      memOperand(rev ? 0 : 3);
      if (fastArith(op, x.cw)) {
        putFast(x, p);
        return;
      }
    }
    const b = fast ? fastBig() : k.slow();
    clearFlags();
    let r: bigint;
    if (!has(x, 0)) r = read(x, 0);
    else { const a = get(x, 0); r = rev ? x87Arith(op, b, a, x.cw, memDen) : x87Arith(op, a, b, x.cw, memDen); }
    finish(x, 0, r, 0);
  };
}
/** ST(dst) = ST(dst) op ST(src) (reversed: ST(src) op ST(dst)); dst/src are 0 and i in either order. */
function arithReg(op: number, rev: boolean, toSti: boolean, pops: number): ExecFn {
  return (c, d) => {
    wait(c);
    const x = c.x87, i = sti(d);
    const dst = toSti ? i : 0, src = toSti ? 0 : i;
    const pd = slot(x, dst), ps = slot(x, src);
    if ((x.used & (1 << pd)) !== 0 && (x.used & (1 << ps)) !== 0) {
      operand(x, pd, rev ? 3 : 0);
      operand(x, ps, rev ? 0 : 3);
      if (fastArith(op, x.cw)) {
        putFast(x, pd);
        for (let k = 0; k < pops; k++) pop(x);
        return;
      }
    }
    clearFlags();
    let r: bigint;
    if (!has(x, dst) || !has(x, src)) { raise(IE | STACK_FAULT); r = INDEFINITE; }
    else { const a = get(x, dst), b = get(x, src); r = rev ? x87Arith(op, b, a, x.cw, false) : x87Arith(op, a, b, x.cw, false); }
    finish(x, dst, r, pops);
  };
}

const MEM_FORMS: [number, string, Operand, MemKind][] = [
  [0xd8, 'm32fp', 'm32fp', m32fp], [0xdc, 'm64fp', 'm64fp', m64fp], [0xda, 'm32int', 'm32int', m32int], [0xde, 'm16int', 'm16int', m16int],
];
for (const [opc, suffix, kind, load] of MEM_FORMS) {
  const int = kind.endsWith('int');
  OPS.forEach(([name, op, rev], digit) => {
    if (!name) return;
    const mn = int ? 'fi' + name.slice(1) : name;
    row({ id: `${mn}_${suffix}`, mnemonic: mn, opcode: `${hex(opc)} /${digit} mod=mem`, operands: [kind], exec: arithMem(op, rev, load) });
  });
}
OPS.forEach(([name, op, rev], digit) => {
  if (!name) return;
  row({ id: `${name}_st0_sti`, mnemonic: name, opcode: `D8 /${digit} mod=reg`, operands: ['ST(0)', 'ST(i)'], exec: arithReg(op, rev, false, 0) });
});
// DC and DE register forms: the destination is ST(i); /4 and /5 (/6 and /7) are fsubr and fsub (fdivr and
// fdiv), the other way round from D8.
const TO_STI: [number, string, number, boolean][] = [
  [0, 'fadd', X_ADD, false], [1, 'fmul', X_MUL, false], [4, 'fsubr', X_SUB, true], [5, 'fsub', X_SUB, false],
  [6, 'fdivr', X_DIV, true], [7, 'fdiv', X_DIV, false],
];
for (const [digit, name, op, rev] of TO_STI) {
  row({ id: `${name}_sti_st0`, mnemonic: name, opcode: `DC /${digit} mod=reg`, operands: ['ST(i)', 'ST(0)'], exec: arithReg(op, rev, true, 0) });
  row({ id: `${name}p_sti_st0`, mnemonic: `${name}p`, opcode: `DE /${digit} mod=reg`, operands: ['ST(i)', 'ST(0)'], exec: arithReg(op, rev, true, 1) });
}

function hex(b: number): string {
  return b.toString(16).toUpperCase();
}

// ---- compares: fcom fcomp fcompp fucom fucomp fucompp ficom ficomp ftst fcomi fcomip fucomi fucomip ----

const CC_OF = [C0, C3, 0, C3 | C2 | C0]; // by result -1, 0, 1, 2 (index r + 1)
const EFLAGS_OF = [CF, ZF, 0, ZF | PF | CF];

/** Compare ST(0) with b (null: ST(i) of the register form) and set C3 C2 C0 or ZF PF CF, then pop. */
function compare(signalQuiet: boolean, k: MemKind | null, pops: number, eflags: boolean, withSt1 = false): ExecFn {
  return (c, d) => {
    wait(c);
    let b: bigint | null = null;
    const fast = k ? k.fast(c, d) : true;
    const x = c.x87, i = withSt1 ? 1 : sti(d);
    const p0 = x.top, pi = slot(x, i);
    if (fast && (x.used & (1 << p0)) !== 0 && (k || (x.used & (1 << pi)) !== 0)) {
      operand(x, p0, 0);
      if (k) memOperand(3);
      else operand(x, pi, 3);
      const r = fastCompare();
      if (r !== 3) {
        if (eflags) c.setStatus(OF | SF | ZF | AF | PF | CF, EFLAGS_OF[r + 1]);
        else x.sw = (x.sw & ~(C0 | C1 | C2 | C3)) | CC_OF[r + 1];
        for (let n = 0; n < pops; n++) pop(x);
        return;
      }
    }
    if (k) b = fast ? fastBig() : k.slow();
    clearFlags();
    let r: number;
    if (!has(x, 0) || (b === null && !has(x, i))) { raise(IE | STACK_FAULT); r = 2; }
    else r = x87Compare(get(x, 0), b ?? get(x, i), signalQuiet, k ? memDen : false);
    // The condition codes (or ZF PF CF) are written even when an unmasked IE stops the pops.
    const fl = fpFlags, ok = allowed(x, fl, false);
    if (eflags) {
      c.setStatus(OF | SF | ZF | AF | PF | CF, EFLAGS_OF[r + 1]);
      record(x, ok ? fl : fl & (IE | DE | STACK_FAULT), fl & STACK_FAULT ? false : null);
    } else {
      record(x, ok ? fl : fl & (IE | DE | STACK_FAULT), false);
      x.sw = (x.sw & ~(C0 | C2 | C3)) | CC_OF[r + 1];
    }
    if (ok) for (let k = 0; k < pops; k++) pop(x);
  };
}
const CMP_MEM: [number, string, Operand, MemKind][] = MEM_FORMS;
for (const [opc, suffix, kind, load] of CMP_MEM) {
  const p = kind.endsWith('int') ? 'fi' : 'f';
  row({ id: `${p}com_${suffix}`, mnemonic: `${p}com`, opcode: `${hex(opc)} /2 mod=mem`, operands: [kind], exec: compare(true, load, 0, false) });
  row({ id: `${p}comp_${suffix}`, mnemonic: `${p}comp`, opcode: `${hex(opc)} /3 mod=mem`, operands: [kind], exec: compare(true, load, 1, false) });
}
row({ id: 'fcom_sti', mnemonic: 'fcom', opcode: 'D8 /2 mod=reg', operands: ['ST(i)'], exec: compare(true, null, 0, false) });
row({ id: 'fcomp_sti', mnemonic: 'fcomp', opcode: 'D8 /3 mod=reg', operands: ['ST(i)'], exec: compare(true, null, 1, false) });
row({ id: 'fcompp', mnemonic: 'fcompp', opcode: 'DE D9', operands: [], exec: compare(true, null, 2, false, true) });
row({ id: 'fucom_sti', mnemonic: 'fucom', opcode: 'DD /4 mod=reg', operands: ['ST(i)'], exec: compare(false, null, 0, false) });
row({ id: 'fucomp_sti', mnemonic: 'fucomp', opcode: 'DD /5 mod=reg', operands: ['ST(i)'], exec: compare(false, null, 1, false) });
row({ id: 'fucompp', mnemonic: 'fucompp', opcode: 'DA E9', operands: [], exec: compare(false, null, 2, false, true) });
const EFL = { write: 'oszapc' };
row({ id: 'fcomi_st0_sti', mnemonic: 'fcomi', opcode: 'DB /6 mod=reg', operands: ['ST(0)', 'ST(i)'], feature: 'cmov', flags: EFL, exec: compare(true, null, 0, true) });
row({ id: 'fcomip_st0_sti', mnemonic: 'fcomip', opcode: 'DF /6 mod=reg', operands: ['ST(0)', 'ST(i)'], feature: 'cmov', flags: EFL, exec: compare(true, null, 1, true) });
row({ id: 'fucomi_st0_sti', mnemonic: 'fucomi', opcode: 'DB /5 mod=reg', operands: ['ST(0)', 'ST(i)'], feature: 'cmov', flags: EFL, exec: compare(false, null, 0, true) });
row({ id: 'fucomip_st0_sti', mnemonic: 'fucomip', opcode: 'DF /5 mod=reg', operands: ['ST(0)', 'ST(i)'], feature: 'cmov', flags: EFL, exec: compare(false, null, 1, true) });
const zero: MemKind = { fast: () => { opnd[0] = 0; opnd[1] = 0; opnd[2] = 0; return true; }, slow: fastBig };
row({ id: 'ftst', mnemonic: 'ftst', opcode: 'D9 E4', operands: [], exec: compare(true, zero, 0, false) });

// ---- loads ----

function loadFp(k: MemKind, format: boolean): ExecFn {
  return (c, d) => {
    wait(c);
    const fast = k.fast(c, d);
    const x = c.x87;
    if (fast && pushFast(x)) return;
    let v = fast ? fastBig() : k.slow();
    clearFlags();
    if (format) {
      if (classify(F80, v) === SNAN) { raise(IE); v = quiet(F80, v); }
      if (memDen) raise(DE);
    }
    pushValue(x, v);
  };
}
row({ id: 'fld_m32fp', mnemonic: 'fld', opcode: 'D9 /0 mod=mem', operands: ['m32fp'], exec: loadFp(m32fp, true) });
row({ id: 'fld_m64fp', mnemonic: 'fld', opcode: 'DD /0 mod=mem', operands: ['m64fp'], exec: loadFp(m64fp, true) });
row({ id: 'fld_m80fp', mnemonic: 'fld', opcode: 'DB /5 mod=mem', operands: ['m80fp'], exec: loadFp(m80fp, false) });
row({ id: 'fild_m16int', mnemonic: 'fild', opcode: 'DF /0 mod=mem', operands: ['m16int'], exec: loadFp(m16int, false) });
row({ id: 'fild_m32int', mnemonic: 'fild', opcode: 'DB /0 mod=mem', operands: ['m32int'], exec: loadFp(m32int, false) });
row({ id: 'fild_m64int', mnemonic: 'fild', opcode: 'DF /5 mod=mem', operands: ['m64int'], exec: loadFp(m64int, false) });
row({
  id: 'fld_sti', mnemonic: 'fld', opcode: 'D9 /0 mod=reg', operands: ['ST(i)'],
  exec: (c, d) => {
    wait(c);
    const x = c.x87, q = slot(x, sti(d));
    if ((x.used & (1 << q)) !== 0) {
      opnd[0] = x.se[q]; opnd[1] = x.hi[q]; opnd[2] = x.lo[q];
      if (pushFast(x)) return;
    }
    clearFlags();
    pushValue(x, read(x, sti(d)));
  },
});

/** The constants, 128 bits each (value = sig * 2^(exp - 127)), rounded by RC when loaded. */
const CONSTANTS: [string, number, bigint, number][] = [
  ['fld1', 0xe8, 1n << 127n, 0], ['fldl2t', 0xe9, 0xd49a784bcd1b8afe492bf6ff4dafdb4cn, 1],
  ['fldl2e', 0xea, 0xb8aa3b295c17f0bbbe87fed0691d3e88n, 0], ['fldpi', 0xeb, 0xc90fdaa22168c234c4c6628b80dc1cd1n, 1],
  ['fldlg2', 0xec, 0x9a209a84fbcff7988f8959ac0b7c9178n, -2], ['fldln2', 0xed, 0xb17217f7d1cf79abc9e3b39803f2f6afn, -1],
  ['fldz', 0xee, 0n, 0],
];
for (const [name, modrm, sig, exp] of CONSTANTS) {
  // By RC: the value rounded at 64 bits (the tails are irrational: never exact, never a tie).
  const byRc = [0, 1, 2, 3].map((rc) => roundPack(F80, { sign: 0, sig, exp: exp - 127, sticky: false }, 64, rc, 0));
  const parts = byRc.map((v) => [Number(v >> 64n), Number((v >> 32n) & 0xffffffffn), Number(v & 0xffffffffn)]);
  row({
    id: name, mnemonic: name, opcode: `D9 ${hex(modrm)}`, operands: [],
    exec: (c) => {
      wait(c);
      const x = c.x87, k = parts[rcOf(x.cw)];
      opnd[0] = k[0]; opnd[1] = k[1]; opnd[2] = k[2];
      if (pushFast(x)) return;
      clearFlags();
      pushValue(x, byRc[rcOf(x.cw)]);
    },
  });
}

// ---- stores ----

/** fst/fstp m32fp/m64fp. */
function storeFp(single: boolean, pops: number): ExecFn {
  return (c, d) => {
    wait(c);
    const x = c.x87, a = ea(c, d);
    c.mem.checkWritable(a, single ? 4 : 8); // a page fault comes before the FP exceptions
    const p = x.top;
    if ((x.used & (1 << p)) !== 0 && (operand(x, p, 0), fastNarrow(single, rcOf(x.cw)))) {
      if (single) c.mem.write32(a, fOut[2] | 0);
      else c.mem.write64(a, fOut[2] | 0, fOut[1] | 0);
      x.sw = ((x.sw | fFl) & ~C1) | (fUp ? C1 : 0);
      if (pops) pop(x);
      return;
    }
    clearFlags();
    const f = single ? F32 : F64;
    const v = has(x, 0) ? narrow(f, get(x, 0), x.cw) : (read(x, 0), defaultNaN(f));
    const fl = fpFlags, up = roundedUp;
    if (!allowed(x, fl, true)) { aborted(x, fl); return; }
    if (single) c.mem.write32(a, Number(v) | 0);
    else c.mem.write64(a, lo32(v), hi32(v));
    record(x, fl, up);
    if (pops) pop(x);
  };
}
row({ id: 'fst_m32fp', mnemonic: 'fst', opcode: 'D9 /2 mod=mem', operands: ['m32fp'], exec: storeFp(true, 0) });
row({ id: 'fstp_m32fp', mnemonic: 'fstp', opcode: 'D9 /3 mod=mem', operands: ['m32fp'], exec: storeFp(true, 1) });
row({ id: 'fst_m64fp', mnemonic: 'fst', opcode: 'DD /2 mod=mem', operands: ['m64fp'], exec: storeFp(false, 0) });
row({ id: 'fstp_m64fp', mnemonic: 'fstp', opcode: 'DD /3 mod=mem', operands: ['m64fp'], exec: storeFp(false, 1) });
row({
  id: 'fstp_m80fp', mnemonic: 'fstp', opcode: 'DB /7 mod=mem', operands: ['m80fp'],
  exec: (c, d) => {
    wait(c);
    const x = c.x87, a = ea(c, d);
    c.mem.checkWritable(a, 10);
    const p = x.top;
    if ((x.used & (1 << p)) !== 0) {
      c.mem.write64(a, x.lo[p] | 0, x.hi[p] | 0);
      c.mem.write16(a + 8, x.se[p]);
      x.sw &= ~C1;
      pop(x);
      return;
    }
    clearFlags();
    const v = read(x, 0);
    const fl = fpFlags;
    if (!allowed(x, fl, true)) { aborted(x, fl); return; }
    c.mem.write64(a, lo32(v), hi32(v));
    c.mem.write16(a + 8, Number(v >> 64n));
    record(x, fl, false);
    pop(x);
  },
});

/** fist/fistp (RC) and fisttp (truncating) to m16/m32/m64. */
function storeInt(bits: number, pops: number, trunc: boolean): ExecFn {
  return (c, d) => {
    wait(c);
    const x = c.x87, a = ea(c, d);
    c.mem.checkWritable(a, bits / 8);
    const p = x.top;
    if ((x.used & (1 << p)) !== 0 && (operand(x, p, 0), fastToInt(bits, trunc ? 3 : rcOf(x.cw)))) {
      if (bits === 16) c.mem.write16(a, fOut[2] & 0xffff);
      else if (bits === 32) c.mem.write32(a, fOut[2] | 0);
      else c.mem.write64(a, fOut[2] | 0, fOut[1] | 0);
      x.sw = ((x.sw | fFl) & ~C1) | (fUp ? C1 : 0);
      if (pops) pop(x);
      return;
    }
    clearFlags();
    const v = has(x, 0) ? toInt(get(x, 0), bits, trunc ? 3 : rcOf(x.cw)) : (read(x, 0), -(1n << BigInt(bits - 1)));
    const fl = fpFlags, up = roundedUp;
    if (!allowed(x, fl, true)) { aborted(x, fl); return; }
    if (bits === 16) c.mem.write16(a, Number(v & 0xffffn));
    else if (bits === 32) c.mem.write32(a, Number(BigInt.asIntN(32, v)));
    else c.mem.write64(a, lo32(v), hi32(v));
    record(x, fl, up);
    if (pops) pop(x);
  };
}
for (const [bits, opc, kind, st, stp, tt] of [[16, 'DF', 'm16int', 2, 3, 1], [32, 'DB', 'm32int', 2, 3, 1], [64, 'DD', 'm64int', -1, -1, 1]] as const) {
  if (st >= 0) row({ id: `fist_${kind}`, mnemonic: 'fist', opcode: `${opc} /${st} mod=mem`, operands: [kind], exec: storeInt(bits, 0, false) });
  if (stp >= 0) row({ id: `fistp_${kind}`, mnemonic: 'fistp', opcode: `${opc} /${stp} mod=mem`, operands: [kind], exec: storeInt(bits, 1, false) });
  row({ id: `fisttp_${kind}`, mnemonic: 'fisttp', opcode: `${opc} /${tt} mod=mem`, operands: [kind], exec: storeInt(bits, 1, true) });
}
row({ id: 'fistp_m64int', mnemonic: 'fistp', opcode: 'DF /7 mod=mem', operands: ['m64int'], exec: storeInt(64, 1, false) });

/** fst/fstp ST(i): a copy, no exception but a stack underflow. */
function storeReg(pops: number): ExecFn {
  return (c, d) => {
    wait(c);
    const x = c.x87;
    if ((x.used & (1 << x.top)) !== 0) {
      copyReg(x, slot(x, sti(d)), x.top);
      x.sw &= ~C1;
      if (pops) pop(x);
      return;
    }
    clearFlags();
    finish(x, sti(d), read(x, 0), pops);
  };
}
row({ id: 'fst_sti', mnemonic: 'fst', opcode: 'DD /2 mod=reg', operands: ['ST(i)'], exec: storeReg(0) });
row({ id: 'fstp_sti', mnemonic: 'fstp', opcode: 'DD /3 mod=reg', operands: ['ST(i)'], exec: storeReg(1) });

// ---- one-operand instructions on ST(0) ----

function onST0(op: (x: X87, v: bigint) => bigint): ExecFn {
  return (c) => {
    wait(c);
    const x = c.x87;
    clearFlags();
    const r = has(x, 0) ? op(x, get(x, 0)) : read(x, 0);
    finish(x, 0, r, 0);
  };
}
/** fchs (flip) and fabs (clear): the sign bit of ST(0). */
function signOp(flip: boolean): ExecFn {
  const slow = onST0(flip ? (_x, v) => v ^ (1n << 79n) : (_x, v) => v & ~(1n << 79n));
  return (c, d) => {
    const x = c.x87, p = x.top;
    if (x.pending() || (x.used & (1 << p)) === 0) { slow(c, d); return; }
    x.se[p] = flip ? x.se[p] ^ 0x8000 : x.se[p] & 0x7fff;
    x.sw &= ~C1;
  };
}
row({ id: 'fchs', mnemonic: 'fchs', opcode: 'D9 E0', operands: [], exec: signOp(true) });
row({ id: 'fabs', mnemonic: 'fabs', opcode: 'D9 E1', operands: [], exec: signOp(false) });
const frndintSlow = onST0((x, v) => roundInt80(v, x.cw));
row({
  id: 'frndint', mnemonic: 'frndint', opcode: 'D9 FC', operands: [],
  exec: (c, d) => {
    const x = c.x87, p = x.top;
    if (!x.pending() && (x.used & (1 << p)) !== 0 && (operand(x, p, 0), fastRoundInt(rcOf(x.cw)))) { putFast(x, p); return; }
    frndintSlow(c, d);
  },
});
row({ id: 'fsqrt', mnemonic: 'fsqrt', opcode: 'D9 FA', operands: [], exec: onST0((x, v) => sqrt80(v, x.cw)) });
row({
  id: 'fscale', mnemonic: 'fscale', opcode: 'D9 FD', operands: [],
  exec: (c) => {
    wait(c);
    const x = c.x87;
    clearFlags();
    const r = has(x, 0) && has(x, 1) ? scale80(get(x, 0), get(x, 1), x.cw) : (raise(IE | STACK_FAULT), INDEFINITE);
    finish(x, 0, r, 0);
  },
});

/** fprem/fprem1: C2 = partial remainder; a complete one puts quotient bits Q2 Q1 Q0 in C0 C3 C1. */
function prem(ieee: boolean): ExecFn {
  return (c) => {
    wait(c);
    const x = c.x87;
    clearFlags();
    const ok = has(x, 0) && has(x, 1);
    const r = ok ? remainder80(get(x, 0), get(x, 1), ieee, x.cw) : (raise(IE | STACK_FAULT), INDEFINITE);
    const fl = fpFlags;
    if (!allowed(x, fl, false)) { aborted(x, fl); x.sw &= ~C2; return; }
    put(x, 0, r);
    record(x, fl, false);
    // A NaN result (invalid operand, stack fault) leaves C0 and C3 alone and clears C1 and C2.
    let sw = x.sw & ~(C1 | C2);
    if (ok && remCodes === REM_PARTIAL) sw = (sw & ~(C0 | C3)) | C2;
    else if (ok && remCodes === REM_QUOTIENT) {
      const q = remQuotient;
      sw = (sw & ~(C0 | C3)) | (q & 4 ? C0 : 0) | (q & 2 ? C3 : 0) | (q & 1 ? C1 : 0);
    }
    x.sw = sw;
  };
}
row({ id: 'fprem', mnemonic: 'fprem', opcode: 'D9 F8', operands: [], exec: prem(false) });
row({ id: 'fprem1', mnemonic: 'fprem1', opcode: 'D9 F5', operands: [], exec: prem(true) });

row({
  id: 'fxam', mnemonic: 'fxam', opcode: 'D9 E5', operands: [],
  exec: (c) => {
    wait(c);
    // fpu-x87.ts examine() on the plain-number register: the class by exponent, J and fraction; C1 the sign.
    const x = c.x87, p = x.top, se = x.se[p], hi = x.hi[p], lo = x.lo[p], e = se & 0x7fff;
    const cc = (x.used & (1 << p)) === 0 ? 0x4100
      : e === 0 ? (hi === 0 && lo === 0 ? 0x4000 : 0x4400)
      : hi < 0x80000000 ? 0
      : e === 0x7fff ? ((hi & 0x7fffffff) === 0 && lo === 0 ? 0x500 : 0x100)
      : 0x400;
    x.sw = (x.sw & ~(C0 | C1 | C2 | C3)) | cc | (se & 0x8000 ? C1 : 0);
  },
});

/**
 * fxtract (glibc's logbl, ilogbl, significandl): ST(0) = its exponent, then push its significand
 * (exponent 0, same sign); fpu-x87.ts extract80 for anything but a normal ST(0). Both exact: no PE, PC
 * and RC do not apply. Needs ST(0) (else a stack underflow) and a free ST(7) (else an overflow, C1 = 1,
 * unless ST(0) is empty too); either delivers the indefinite twice when IE is masked. An unmasked IE,
 * DE or ZE (a zero's -inf exponent) leaves the stack as it was.
 */
row({
  id: 'fxtract', mnemonic: 'fxtract', opcode: 'D9 F4', operands: [],
  exec: (c) => {
    wait(c);
    const x = c.x87, p = x.top, q = (p - 1) & 7;
    const over = (x.used & (1 << q)) !== 0;
    if (!over && (x.used & (1 << p)) !== 0) {
      const se = x.se[p], e = se & 0x7fff;
      if (e !== 0 && e !== 0x7fff && x.hi[p] >= 0x80000000) {
        intToExt(e - 16383);
        x.se[q] = (se & 0x8000) | 0x3fff; x.hi[q] = x.hi[p]; x.lo[q] = x.lo[p];
        x.se[p] = opnd[0]; x.hi[p] = opnd[1]; x.lo[p] = opnd[2];
        x.used |= 1 << q;
        x.top = q;
        x.sw &= ~C1;
        return;
      }
    }
    clearFlags();
    // An empty ST(0) is an underflow (C1 = 0) even when ST(7) is full too.
    const c1 = over && has(x, 0);
    let ex: bigint, sig: bigint;
    if (over || !has(x, 0)) { raise(IE | STACK_FAULT); ex = sig = INDEFINITE; }
    else { ex = extract80(get(x, 0)); sig = extractSig; }
    const fl = fpFlags;
    if (!allowed(x, fl, false)) { record(x, fl & (IE | DE | ZE | STACK_FAULT), c1); return; }
    put(x, 0, ex);
    x.top = q;
    put(x, 0, sig);
    record(x, fl, c1);
  },
});

row({
  id: 'fxch_sti', mnemonic: 'fxch', opcode: 'D9 /1 mod=reg', operands: ['ST(i)'],
  exec: (c, d) => {
    wait(c);
    const x = c.x87, i = sti(d), p = x.top, q = slot(x, i);
    if ((x.used & (1 << p)) !== 0 && (x.used & (1 << q)) !== 0) {
      const se = x.se[p], hi = x.hi[p], lo = x.lo[p];
      x.se[p] = x.se[q]; x.hi[p] = x.hi[q]; x.lo[p] = x.lo[q];
      x.se[q] = se; x.hi[q] = hi; x.lo[q] = lo;
      x.sw &= ~C1;
      return;
    }
    clearFlags();
    const a = read(x, 0), b = read(x, i);
    const fl = fpFlags;
    if (!allowed(x, fl, false)) { aborted(x, fl); return; }
    put(x, 0, b);
    put(x, i, a);
    record(x, fl, false);
  },
});

// ---- conditional moves (P6): fcmovcc ST(0), ST(i) ----

const FCMOV: [string, number, number, (c: Cpu) => boolean][] = [
  ['fcmovb', 0xda, 0, (c) => c.cf() !== 0], ['fcmove', 0xda, 1, (c) => c.zf() !== 0],
  ['fcmovbe', 0xda, 2, (c) => c.cf() !== 0 || c.zf() !== 0], ['fcmovu', 0xda, 3, (c) => c.pf() !== 0],
  ['fcmovnb', 0xdb, 0, (c) => c.cf() === 0], ['fcmovne', 0xdb, 1, (c) => c.zf() === 0],
  ['fcmovnbe', 0xdb, 2, (c) => c.cf() === 0 && c.zf() === 0], ['fcmovnu', 0xdb, 3, (c) => c.pf() === 0],
];
for (const [name, opc, digit, cond] of FCMOV) {
  row({
    id: `${name}_st0_sti`, mnemonic: name, opcode: `${hex(opc)} /${digit} mod=reg`, operands: ['ST(0)', 'ST(i)'], feature: 'cmov',
    flags: { read: name.endsWith('u') ? 'p' : 'zc' },
    exec: (c, d) => {
      wait(c);
      const x = c.x87, i = sti(d);
      clearFlags();
      if (!has(x, 0) || !has(x, i)) { raise(IE | STACK_FAULT); finish(x, 0, INDEFINITE, 0); return; }
      if (cond(c)) copyReg(x, x.top, slot(x, i));
    },
  });
}

// ---- control: fninit fnclex fwait fnop fnstcw fldcw fnstsw fincstp fdecstp ffree ffreep ----

row({ id: 'fninit', mnemonic: 'fninit', opcode: 'DB E3', operands: [], exec: (c) => c.x87.init() });
row({ id: 'fnclex', mnemonic: 'fnclex', opcode: 'DB E2', operands: [], exec: (c) => { c.x87.sw &= ~(0xff | B); } });
row({ id: 'fwait', mnemonic: 'fwait', opcode: '9B', operands: [], exec: wait });
row({ id: 'fnop', mnemonic: 'fnop', opcode: 'D9 D0', operands: [], exec: wait });
row({ id: 'fnstcw_m2byte', mnemonic: 'fnstcw', opcode: 'D9 /7 mod=mem', operands: ['m2byte'], exec: (c, d) => c.mem.write16(ea(c, d), c.x87.cw) });
row({
  id: 'fldcw_m2byte', mnemonic: 'fldcw', opcode: 'D9 /5 mod=mem', operands: ['m2byte'],
  exec: (c, d) => {
    wait(c);
    const x = c.x87;
    x.cw = controlWord(c.mem.read16(ea(c, d)));
  },
});
row({ id: 'fnstsw_m2byte', mnemonic: 'fnstsw', opcode: 'DD /7 mod=mem', operands: ['m2byte'], exec: (c, d) => c.mem.write16(ea(c, d), c.x87.status()) });
row({ id: 'fnstsw_ax', mnemonic: 'fnstsw', opcode: 'DF E0', operands: ['AX'], exec: (c) => { c.r16[0] = c.x87.status(); } });
row({ id: 'fincstp', mnemonic: 'fincstp', opcode: 'D9 F7', operands: [], exec: (c) => { wait(c); const x = c.x87; x.top = (x.top + 1) & 7; x.sw &= ~C1; } });
row({ id: 'fdecstp', mnemonic: 'fdecstp', opcode: 'D9 F6', operands: [], exec: (c) => { wait(c); const x = c.x87; x.top = (x.top - 1) & 7; x.sw &= ~C1; } });
row({ id: 'ffree_sti', mnemonic: 'ffree', opcode: 'DD /0 mod=reg', operands: ['ST(i)'], exec: (c, d) => { wait(c); const x = c.x87; x.used &= ~(1 << slot(x, sti(d))); x.sw &= ~C1; } });
row({ id: 'ffreep_sti', mnemonic: 'ffreep', opcode: 'DF /0 mod=reg', operands: ['ST(i)'], exec: (c, d) => { wait(c); const x = c.x87; x.used &= ~(1 << slot(x, sti(d))); pop(x); x.sw &= ~C1; } });

// ---- environment and state images: fnstenv fldenv fnsave frstor (32-bit protected-mode formats) ----
//
// The 28-byte environment: FCW, FSW, FTW (full two-bit tags), FIP, FOP/FCS, FDP, FDS, each in a 32-bit
// slot. As on the host, the upper halves of the FCW, FSW, FTW and FDS slots read as ones and the
// pointers (not modelled) as zeros. FNSAVE adds ST(0)..ST(7), 10 bytes each, and then initializes the
// FPU as FNINIT does; FNSTENV masks all exceptions after storing. FLDENV/FRSTOR take the tags only as
// empty (11) or not.

function envStore(c: Cpu, a: number): void {
  const x = c.x87, m = c.mem;
  m.write32(a, 0xffff0000 | x.cw);
  m.write32(a + 4, 0xffff0000 | x.status());
  m.write32(a + 8, 0xffff0000 | x.tagWord());
  for (let o = 12; o < 24; o += 4) m.write32(a + o, 0);
  m.write32(a + 24, 0xffff0000);
}
function envLoad(c: Cpu, a: number): void {
  const x = c.x87, m = c.mem;
  const cw = m.read16(a), sw = m.read16(a + 4), tw = m.read16(a + 8);
  x.cw = controlWord(cw);
  x.top = (sw >> 11) & 7;
  x.sw = sw & ~0x3800;
  let used = 0;
  for (let i = 0; i < 8; i++) if (((tw >> (2 * i)) & 3) !== 3) used |= 1 << i;
  x.used = used;
}
/**
 * Check the whole environment/state operand before touching anything, as the host does: its first four
 * bytes (a fault there reports the second page's first byte), then its last byte (reported as such).
 */
function checkArea(c: Cpu, a: number, len: number, write: boolean): void {
  if (write) { c.mem.checkWritable(a, 4); c.mem.checkWritable(a + len - 1, 1); }
  else { c.mem.read32(a); c.mem.read8(a + len - 1); }
}
function no16(d: Insn): void {
  if (d.osize === 16) throw invalidOpcode(`${d.row.mnemonic}: the 16-bit (66-prefixed) format is not implemented`);
}
row({
  id: 'fnstenv_m', mnemonic: 'fnstenv', opcode: 'D9 /6 mod=mem', operands: ['m'],
  exec: (c, d) => {
    no16(d);
    const a = ea(c, d);
    checkArea(c, a, 28, true);
    envStore(c, a);
    c.x87.cw |= 0x3f;
  },
});
row({
  id: 'fldenv_m', mnemonic: 'fldenv', opcode: 'D9 /4 mod=mem', operands: ['m'],
  exec: (c, d) => {
    no16(d);
    wait(c);
    const a = ea(c, d);
    checkArea(c, a, 28, false);
    envLoad(c, a);
  },
});
row({
  id: 'fnsave_m', mnemonic: 'fnsave', opcode: 'DD /6 mod=mem', operands: ['m'],
  exec: (c, d) => {
    no16(d);
    const a = ea(c, d), x = c.x87, m = c.mem;
    checkArea(c, a, 108, true);
    envStore(c, a);
    for (let i = 0; i < 8; i++) {
      const p = slot(x, i), o = a + 28 + 10 * i;
      m.write64(o, x.lo[p] | 0, x.hi[p] | 0);
      m.write16(o + 8, x.se[p]);
    }
    x.init();
  },
});
row({
  id: 'frstor_m', mnemonic: 'frstor', opcode: 'DD /4 mod=mem', operands: ['m'],
  exec: (c, d) => {
    no16(d);
    wait(c);
    const a = ea(c, d), x = c.x87, m = c.mem;
    checkArea(c, a, 108, false);
    envLoad(c, a);
    for (let i = 0; i < 8; i++) {
      const o = a + 28 + 10 * i;
      const lo = m.read64(o), hi = m.hi;
      const p = slot(x, i);
      x.lo[p] = lo >>> 0; x.hi[p] = hi >>> 0; x.se[p] = m.read16(o + 8);
    }
  },
});

export const X87_ROWS: readonly IsaRow[] = rows;
