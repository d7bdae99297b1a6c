// SSE/SSE2 floating point (SDM vol. 2: ADD/SUB/MUL/DIV/MIN/MAX/SQRT on PS/PD/SS/SD, CMPPS/CMPPD/CMPSS/
// CMPSD, UCOMISS/UCOMISD/COMISS/COMISD, CVTSI2SS/SD, CVT(T)SS2SI, CVT(T)SD2SI, CVTSS2SD/CVTSD2SS,
// CVTDQ2PS/CVT(T)PS2DQ, CVTDQ2PD/CVT(T)PD2DQ, CVTPS2PD/CVTPD2PS), bit-exact with the host CPU,
// MXCSR flags, rounding modes, DAZ/FTZ, NaNs and signed zeros included.
//
// Two paths per lane. The fast path is plain JavaScript arithmetic, which is IEEE binary64 with
// round-to-nearest: it is taken only when it cannot differ from the CPU, i.e. MXCSR is the default
// with PE already set (0x1FA0 under the flag bits: round to nearest, all exceptions masked, no
// DAZ/FTZ), both sources are normal or zero, and the result is normal (above the smallest normal, to
// leave tininess-after-rounding to the slow path) or a zero that cannot come from an underflow. Since
// PE is sticky and set by the first inexact operation, ordinary code runs on the fast path. Single
// precision uses binary64 and Math.fround: for + - * / and sqrt that double rounding is innocuous
// (53 >= 2*24 + 2). Everything else goes to the exact slow path (cpu/fpu-sse.ts, on bit patterns).
//
// Exceptions: each instruction ORs its lanes' flags. If one of them is unmasked the destination is not
// written and #XM is raised (SIGFPE); only the pre-computation flags (IE, DE, ZE) are recorded when one
// of those is the unmasked one, as the SDM's 11.5.1 describes.
//
// Lanes: a packed result is built in pseudo-register T (sse-common.ts) and copied at the end; a scalar
// one replaces lane 0 and keeps the rest of the destination. A 128-bit memory source must be 16-byte
// aligned (#GP); scalar and 64-bit sources need not. rcpps/rsqrtps (approximations whose exact bits are
// CPU-specific) are not implemented: they raise #UD.

import type { Cpu } from '../cpu.js';
import type { ExecFn, Insn } from '../insn.js';
import type { IsaRow } from './types.js';
import { CF, PF, AF, ZF, SF, OF } from '../flags.js';
import { GuestFault, Vector } from '../fault.js';
import { ea, setReg32, setReg64 } from '../operands.js';
import { srcA, copy128, M, T } from './sse-common.js';
import { F32, F64, fpFlags, clearFlags, raise, bits64, lo32, hi32, IE, PE } from '../fpu.js';
import {
  OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MIN, OP_MAX, OP_SQRT, rcOf, sseArith, sseCompare, ssePredicate, sseConvert,
  sseFromInt, sseToInt,
} from '../fpu-sse.js';

const rows: IsaRow[] = [];
const row = (r: IsaRow) => rows.push(r);

/** Lane operation: sources at lane indices a, b (in xf64 or xf32 units), result at lane index r. */
type Lane = (c: Cpu, a: number, b: number, r: number) => void;

const MIN_D = 2.2250738585072014e-308, MAX_D = 1.7976931348623157e308;
const MIN_S = 1.1754943508222875e-38, MAX_S = 3.4028234663852886e38;
const TWO32 = 4294967296;

/** MXCSR under the flags (bits 5..15) is 0x1FA0: see the header. */
const fastMode = (mx: number) => (mx & 0xffe0) === 0x1fa0;
const okD = (x: number) => { const y = Math.abs(x); return y === 0 || (y >= MIN_D && y <= MAX_D); };
const okS = (x: number) => { const y = Math.abs(x); return y === 0 || (y >= MIN_S && y <= MAX_S); };

/** The fast result of op on non-special sources, or NaN when the slow path must decide. */
function fastArith(op: number, a: number, b: number, single: boolean): number {
  let r: number;
  switch (op) {
    case OP_ADD: r = a + b; break;
    case OP_SUB: r = a - b; break;
    case OP_MUL: r = a * b; break;
    case OP_DIV: if (b === 0) return NaN; r = a / b; break;
    default: if (b < 0) return NaN; r = Math.sqrt(b);
  }
  if (single) r = Math.fround(r);
  if (r === 0) {
    // A zero is exact unless a product or quotient underflowed to it.
    return (op === OP_MUL && a !== 0 && b !== 0) || (op === OP_DIV && a !== 0) ? NaN : r;
  }
  const y = Math.abs(r);
  return single ? (y > MIN_S && y <= MAX_S ? r : NaN) : y > MIN_D && y <= MAX_D ? r : NaN;
}

function arithD(op: number): Lane {
  return (c, a, b, r) => {
    const f = c.xf64;
    if (fastMode(c.mxcsr) && okD(f[a]) && okD(f[b])) {
      const v = fastArith(op, f[a], f[b], false);
      if (v === v) { f[r] = v; return; }
    }
    const x = c.x32;
    const v = sseArith(F64, op, bits64(x[2 * a], x[2 * a + 1]), bits64(x[2 * b], x[2 * b + 1]), c.mxcsr);
    x[2 * r] = lo32(v); x[2 * r + 1] = hi32(v);
  };
}
function arithS(op: number): Lane {
  return (c, a, b, r) => {
    const f = c.xf32;
    if (fastMode(c.mxcsr) && okS(f[a]) && okS(f[b])) {
      const v = fastArith(op, f[a], f[b], true);
      if (v === v) { f[r] = v; return; }
    }
    const x = c.x32;
    x[r] = Number(sseArith(F32, op, BigInt(x[a] >>> 0), BigInt(x[b] >>> 0), c.mxcsr));
  };
}
/** min/max need no rounding: fast whenever neither source is a NaN or a denormal. */
function minmaxD(op: number): Lane {
  return (c, a, b, r) => {
    const f = c.xf64, p = f[a], q = f[b];
    if (okD(p) && okD(q)) { f[r] = (op === OP_MAX ? p > q : p < q) ? p : q; return; }
    const x = c.x32;
    const v = sseArith(F64, op, bits64(x[2 * a], x[2 * a + 1]), bits64(x[2 * b], x[2 * b + 1]), c.mxcsr);
    x[2 * r] = lo32(v); x[2 * r + 1] = hi32(v);
  };
}
function minmaxS(op: number): Lane {
  return (c, a, b, r) => {
    const f = c.xf32, p = f[a], q = f[b];
    if (okS(p) && okS(q)) { f[r] = (op === OP_MAX ? p > q : p < q) ? p : q; return; }
    const x = c.x32;
    x[r] = Number(sseArith(F32, op, BigInt(x[a] >>> 0), BigInt(x[b] >>> 0), c.mxcsr));
  };
}

// ---- flags and the end of an instruction ----

/** Record the lanes' flags in MXCSR, or raise #XM (destination untouched) if one is unmasked. */
function commit(c: Cpu, d: Insn): void {
  const fl = fpFlags;
  if (fl === 0) return;
  const mx = c.mxcsr, unmasked = ~(mx >> 7) & 0x3f;
  if (fl & unmasked) {
    c.mxcsr = mx | (fl & 7 & unmasked ? fl & 7 : fl);
    throw new GuestFault(Vector.XM, 0, 0, `${d.row.mnemonic}: unmasked SIMD floating-point exception (MXCSR flags 0x${(fl & 0x3f).toString(16)})`);
  }
  c.mxcsr = mx | fl;
}

// ---- sources ----

/** 64-bit source (xmm/m64): the register, or pseudo-register M with the value in its low qword. */
function src64(c: Cpu, d: Insn): number {
  if (d.mod3) return d.rm;
  const x = c.x32;
  x[4 * M] = c.mem.read64(ea(c, d));
  x[4 * M + 1] = c.mem.hi;
  return M;
}
/** 32-bit source (xmm/m32). */
function src32(c: Cpu, d: Insn): number {
  if (d.mod3) return d.rm;
  c.x32[4 * M] = c.mem.read32(ea(c, d));
  return M;
}

// ---- shapes of an instruction: packed/scalar, double/single ----

function packedD(lane: Lane): ExecFn {
  return (c, d) => {
    const s = srcA(c, d), r = d.reg;
    clearFlags();
    lane(c, 2 * r, 2 * s, 2 * T);
    lane(c, 2 * r + 1, 2 * s + 1, 2 * T + 1);
    commit(c, d);
    copy128(c, r, T);
  };
}
function packedS(lane: Lane): ExecFn {
  return (c, d) => {
    const s = srcA(c, d), r = d.reg;
    clearFlags();
    for (let i = 0; i < 4; i++) lane(c, 4 * r + i, 4 * s + i, 4 * T + i);
    commit(c, d);
    copy128(c, r, T);
  };
}
function scalarD(lane: Lane): ExecFn {
  return (c, d) => {
    const s = src64(c, d), r = d.reg, x = c.x32;
    clearFlags();
    lane(c, 2 * r, 2 * s, 2 * T);
    commit(c, d);
    x[4 * r] = x[4 * T]; x[4 * r + 1] = x[4 * T + 1];
  };
}
function scalarS(lane: Lane): ExecFn {
  return (c, d) => {
    const s = src32(c, d), r = d.reg, x = c.x32;
    clearFlags();
    lane(c, 4 * r, 4 * s, 4 * T);
    commit(c, d);
    x[4 * r] = x[4 * T];
  };
}

// ---- arithmetic ----

const ARITH: [string, number, number][] = [
  ['add', 0x58, OP_ADD], ['mul', 0x59, OP_MUL], ['sub', 0x5c, OP_SUB], ['min', 0x5d, OP_MIN],
  ['div', 0x5e, OP_DIV], ['max', 0x5f, OP_MAX], ['sqrt', 0x51, OP_SQRT],
];
for (const [name, op, k] of ARITH) {
  const hex = op.toString(16).toUpperCase();
  const mm = k === OP_MIN || k === OP_MAX;
  const laneD = mm ? minmaxD(k) : arithD(k), laneS = mm ? minmaxS(k) : arithS(k);
  row({ id: `${name}ps_xmm_xmmm128`, mnemonic: `${name}ps`, opcode: `NP 0F ${hex} /r`, operands: ['xmm', 'xmm/m128'], feature: 'sse', exec: packedS(laneS) });
  row({ id: `${name}pd_xmm_xmmm128`, mnemonic: `${name}pd`, opcode: `66 0F ${hex} /r`, operands: ['xmm', 'xmm/m128'], feature: 'sse2', exec: packedD(laneD) });
  row({ id: `${name}ss_xmm_xmmm32`, mnemonic: `${name}ss`, opcode: `F3 0F ${hex} /r`, operands: ['xmm', 'xmm/m32'], feature: 'sse', exec: scalarS(laneS) });
  row({ id: `${name}sd_xmm_xmmm64`, mnemonic: `${name}sd`, opcode: `F2 0F ${hex} /r`, operands: ['xmm', 'xmm/m64'], feature: 'sse2', exec: scalarD(laneD) });
}

// ---- compares ----

/** CMPccPS and friends: imm8[2:0] is the predicate; the lane becomes all ones or all zeros. */
function cmpD(c: Cpu, a: number, b: number, r: number, p: number): void {
  const f = c.xf64, x = c.x32, u = f[a], v = f[b];
  let t: boolean;
  if (okD(u) && okD(v)) t = p === 0 ? u === v : p === 1 ? u < v : p === 2 ? u <= v : p === 3 ? false : p === 4 ? u !== v : p === 5 ? !(u < v) : p === 6 ? !(u <= v) : true;
  else t = ssePredicate(F64, p, bits64(x[2 * a], x[2 * a + 1]), bits64(x[2 * b], x[2 * b + 1]), c.mxcsr);
  x[2 * r] = x[2 * r + 1] = t ? -1 : 0;
}
function cmpS(c: Cpu, a: number, b: number, r: number, p: number): void {
  const f = c.xf32, x = c.x32, u = f[a], v = f[b];
  let t: boolean;
  if (okS(u) && okS(v)) t = p === 0 ? u === v : p === 1 ? u < v : p === 2 ? u <= v : p === 3 ? false : p === 4 ? u !== v : p === 5 ? !(u < v) : p === 6 ? !(u <= v) : true;
  else t = ssePredicate(F32, p, BigInt(x[a] >>> 0), BigInt(x[b] >>> 0), c.mxcsr);
  x[r] = t ? -1 : 0;
}
const cmpLaneD: Lane = (c, a, b, r) => cmpD(c, a, b, r, cmpPred);
const cmpLaneS: Lane = (c, a, b, r) => cmpS(c, a, b, r, cmpPred);
let cmpPred = 0;
const withPred = (e: ExecFn): ExecFn => (c, d) => { cmpPred = d.imm & 7; e(c, d); };
row({ id: 'cmpps_xmm_xmmm128_imm8', mnemonic: 'cmpps', opcode: 'NP 0F C2 /r ib', operands: ['xmm', 'xmm/m128', 'imm8'], feature: 'sse', exec: withPred(packedS(cmpLaneS)) });
row({ id: 'cmppd_xmm_xmmm128_imm8', mnemonic: 'cmppd', opcode: '66 0F C2 /r ib', operands: ['xmm', 'xmm/m128', 'imm8'], feature: 'sse2', exec: withPred(packedD(cmpLaneD)) });
row({ id: 'cmpss_xmm_xmmm32_imm8', mnemonic: 'cmpss', opcode: 'F3 0F C2 /r ib', operands: ['xmm', 'xmm/m32', 'imm8'], feature: 'sse', exec: withPred(scalarS(cmpLaneS)) });
row({ id: 'cmpsd_xmm_xmmm64_imm8', mnemonic: 'cmpsd', opcode: 'F2 0F C2 /r ib', operands: ['xmm', 'xmm/m64', 'imm8'], feature: 'sse2', exec: withPred(scalarD(cmpLaneD)) });

/** UCOMISx/COMISx: ZF PF CF = 111 unordered, 100 equal, 001 less, 000 greater; OF SF AF cleared. */
const CMP_FLAGS = [CF, ZF, 0, ZF | PF | CF]; // by result -1, 0, 1, 2 (index r + 1)
function comis(single: boolean, signalQuiet: boolean): ExecFn {
  return (c, d) => {
    const x = c.x32, a = 4 * d.reg;
    let r: number;
    clearFlags();
    if (single) {
      const s = 4 * src32(c, d), u = c.xf32[a], v = c.xf32[s];
      r = okS(u) && okS(v) ? (u < v ? -1 : u > v ? 1 : 0) : sseCompare(F32, BigInt(x[a] >>> 0), BigInt(x[s] >>> 0), c.mxcsr, signalQuiet);
    } else {
      const s = 4 * src64(c, d), u = c.xf64[a >> 1], v = c.xf64[s >> 1];
      r = okD(u) && okD(v) ? (u < v ? -1 : u > v ? 1 : 0) : sseCompare(F64, bits64(x[a], x[a + 1]), bits64(x[s], x[s + 1]), c.mxcsr, signalQuiet);
    }
    commit(c, d);
    c.setStatus(OF | SF | ZF | AF | PF | CF, CMP_FLAGS[r + 1]);
  };
}
const CMPF = { write: 'oszapc' };
row({ id: 'ucomiss_xmm_xmmm32', mnemonic: 'ucomiss', opcode: 'NP 0F 2E /r', operands: ['xmm', 'xmm/m32'], feature: 'sse', flags: CMPF, exec: comis(true, false) });
row({ id: 'ucomisd_xmm_xmmm64', mnemonic: 'ucomisd', opcode: '66 0F 2E /r', operands: ['xmm', 'xmm/m64'], feature: 'sse2', flags: CMPF, exec: comis(false, false) });
row({ id: 'comiss_xmm_xmmm32', mnemonic: 'comiss', opcode: 'NP 0F 2F /r', operands: ['xmm', 'xmm/m32'], feature: 'sse', flags: CMPF, exec: comis(true, true) });
row({ id: 'comisd_xmm_xmmm64', mnemonic: 'comisd', opcode: '66 0F 2F /r', operands: ['xmm', 'xmm/m64'], feature: 'sse2', flags: CMPF, exec: comis(false, true) });

// ---- conversions between floats and integers ----

/** x rounded to an integer by rc (0 nearest-even, 1 down, 2 up, 3 toward zero); x is finite. */
function rint(x: number, rc: number): number {
  switch (rc) {
    case 0: { const f = Math.floor(x), d = x - f; return d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f; }
    case 1: return Math.floor(x);
    case 2: return Math.ceil(x);
    default: return Math.trunc(x);
  }
}

/**
 * A normal-or-zero float value x to a signed integer of `bits` bits: the result in c.tlo/c.thi, IE
 * (integer indefinite) out of range, PE when inexact. Denormals and NaNs go to the exact path.
 */
function toInt(c: Cpu, x: number, bits: number, trunc: boolean): void {
  const r = rint(x, trunc ? 3 : rcOf(c.mxcsr));
  if (bits === 32 ? r < -2147483648 || r > 2147483647 : r < -9223372036854775808 || r >= 9223372036854775808) {
    raise(IE);
    c.tlo = bits === 32 ? -2147483648 : 0;
    c.thi = bits === 32 ? 0 : -2147483648;
    return;
  }
  if (r !== x) raise(PE);
  const hi = Math.floor(r / TWO32);
  c.tlo = (r - hi * TWO32) | 0;
  c.thi = hi | 0;
}
function toIntSlow(c: Cpu, v: bigint): void {
  c.tlo = lo32(v);
  c.thi = hi32(v);
}
function laneToIntD(c: Cpu, i: number, bits: number, trunc: boolean): void {
  const x = c.xf64[i];
  if (okD(x)) toInt(c, x, bits, trunc);
  else toIntSlow(c, sseToInt(F64, bits64(c.x32[2 * i], c.x32[2 * i + 1]), bits, trunc, c.mxcsr));
}
function laneToIntS(c: Cpu, i: number, bits: number, trunc: boolean): void {
  const x = c.xf32[i];
  if (okS(x)) toInt(c, x, bits, trunc);
  else toIntSlow(c, sseToInt(F32, BigInt(c.x32[i] >>> 0), bits, trunc, c.mxcsr));
}

/** cvt(t)ss2si / cvt(t)sd2si r32|r64, xmm/m32|m64. */
function cvt2si(single: boolean, bits: number, trunc: boolean): ExecFn {
  return (c, d) => {
    clearFlags();
    if (single) laneToIntS(c, 4 * src32(c, d), bits, trunc);
    else laneToIntD(c, 2 * src64(c, d), bits, trunc);
    commit(c, d);
    if (bits === 32) setReg32(c, d.reg, c.tlo);
    else setReg64(c, d.reg, c.tlo, c.thi);
  };
}
for (const [t, trunc, op] of [['', false, '2D'], ['t', true, '2C']] as const) {
  row({ id: `cvt${t}ss2si_r32_xmmm32`, mnemonic: `cvt${t}ss2si`, opcode: `F3 0F ${op} /r`, operands: ['r32', 'xmm/m32'], feature: 'sse', exec: cvt2si(true, 32, trunc) });
  row({ id: `cvt${t}ss2si_r64_xmmm32`, mnemonic: `cvt${t}ss2si`, opcode: `F3 o64 0F ${op} /r`, operands: ['r64', 'xmm/m32'], feature: 'sse', exec: cvt2si(true, 64, trunc) });
  row({ id: `cvt${t}sd2si_r32_xmmm64`, mnemonic: `cvt${t}sd2si`, opcode: `F2 0F ${op} /r`, operands: ['r32', 'xmm/m64'], feature: 'sse2', exec: cvt2si(false, 32, trunc) });
  row({ id: `cvt${t}sd2si_r64_xmmm64`, mnemonic: `cvt${t}sd2si`, opcode: `F2 o64 0F ${op} /r`, operands: ['r64', 'xmm/m64'], feature: 'sse2', exec: cvt2si(false, 64, trunc) });
}

/** An integer (as a JS number if |v| < 2^53, else the bigint) into a double lane by MXCSR.RC. */
function intToD(c: Cpu, i: number, lo: number, hi: number): void {
  const v = hi * TWO32 + (lo >>> 0);
  if ((hi >= -0x200000 && hi < 0x200000) || fastMode(c.mxcsr)) { c.xf64[i] = v; return; }
  const r = sseFromInt(F64, BigInt.asIntN(64, bits64(lo, hi)), c.mxcsr);
  c.x32[2 * i] = lo32(r); c.x32[2 * i + 1] = hi32(r);
}
function intToS(c: Cpu, i: number, lo: number, hi: number): void {
  if (hi >= -0x200000 && hi < 0x200000) {
    const v = hi * TWO32 + (lo >>> 0), r = Math.fround(v);
    if (r === v || fastMode(c.mxcsr)) { c.xf32[i] = r; return; }
  }
  c.x32[i] = Number(sseFromInt(F32, BigInt.asIntN(64, bits64(lo, hi)), c.mxcsr));
}
function cvtsi2(single: boolean, bits: number): ExecFn {
  return (c, d) => {
    let lo: number, hi: number;
    if (bits === 32) { lo = d.mod3 ? c.r32[2 * d.rm] : c.mem.read32(ea(c, d)); hi = lo >> 31; }
    else if (d.mod3) { lo = c.r32[2 * d.rm]; hi = c.r32[2 * d.rm + 1]; }
    else { lo = c.mem.read64(ea(c, d)); hi = c.mem.hi; }
    clearFlags();
    const x = c.x32, r = d.reg;
    if (single) { intToS(c, 4 * T, lo, hi); commit(c, d); x[4 * r] = x[4 * T]; }
    else { intToD(c, 2 * T, lo, hi); commit(c, d); x[4 * r] = x[4 * T]; x[4 * r + 1] = x[4 * T + 1]; }
  };
}
row({ id: 'cvtsi2ss_xmm_rm32', mnemonic: 'cvtsi2ss', opcode: 'F3 0F 2A /r', operands: ['xmm', 'r/m32'], feature: 'sse', exec: cvtsi2(true, 32) });
row({ id: 'cvtsi2ss_xmm_rm64', mnemonic: 'cvtsi2ss', opcode: 'F3 o64 0F 2A /r', operands: ['xmm', 'r/m64'], feature: 'sse', exec: cvtsi2(true, 64) });
row({ id: 'cvtsi2sd_xmm_rm32', mnemonic: 'cvtsi2sd', opcode: 'F2 0F 2A /r', operands: ['xmm', 'r/m32'], feature: 'sse2', exec: cvtsi2(false, 32) });
row({ id: 'cvtsi2sd_xmm_rm64', mnemonic: 'cvtsi2sd', opcode: 'F2 o64 0F 2A /r', operands: ['xmm', 'r/m64'], feature: 'sse2', exec: cvtsi2(false, 64) });

// ---- packed integer <-> float ----

const dq2ps: Lane = (c, _a, b, r) => intToS(c, r, c.x32[b], c.x32[b] >> 31);
const ps2dq: Lane = (c, _a, b, r) => { laneToIntS(c, b, 32, false); c.x32[r] = c.tlo; };
const tps2dq: Lane = (c, _a, b, r) => { laneToIntS(c, b, 32, true); c.x32[r] = c.tlo; };
row({ id: 'cvtdq2ps_xmm_xmmm128', mnemonic: 'cvtdq2ps', opcode: 'NP 0F 5B /r', operands: ['xmm', 'xmm/m128'], feature: 'sse2', exec: packedS(dq2ps) });
row({ id: 'cvtps2dq_xmm_xmmm128', mnemonic: 'cvtps2dq', opcode: '66 0F 5B /r', operands: ['xmm', 'xmm/m128'], feature: 'sse2', exec: packedS(ps2dq) });
row({ id: 'cvttps2dq_xmm_xmmm128', mnemonic: 'cvttps2dq', opcode: 'F3 0F 5B /r', operands: ['xmm', 'xmm/m128'], feature: 'sse2', exec: packedS(tps2dq) });

/** Two doubles to two int32 in the low qword; the high qword is zeroed. */
function pd2dq(trunc: boolean): ExecFn {
  return (c, d) => {
    const s = srcA(c, d), x = c.x32, t = 4 * T;
    clearFlags();
    laneToIntD(c, 2 * s, 32, trunc); x[t] = c.tlo;
    laneToIntD(c, 2 * s + 1, 32, trunc); x[t + 1] = c.tlo;
    x[t + 2] = 0; x[t + 3] = 0;
    commit(c, d);
    copy128(c, d.reg, T);
  };
}
row({ id: 'cvtpd2dq_xmm_xmmm128', mnemonic: 'cvtpd2dq', opcode: 'F2 0F E6 /r', operands: ['xmm', 'xmm/m128'], feature: 'sse2', exec: pd2dq(false) });
row({ id: 'cvttpd2dq_xmm_xmmm128', mnemonic: 'cvttpd2dq', opcode: '66 0F E6 /r', operands: ['xmm', 'xmm/m128'], feature: 'sse2', exec: pd2dq(true) });
row({
  id: 'cvtdq2pd_xmm_xmmm64', mnemonic: 'cvtdq2pd', opcode: 'F3 0F E6 /r', operands: ['xmm', 'xmm/m64'], feature: 'sse2',
  exec: (c, d) => {
    const s = 4 * src64(c, d), x = c.x32, f = c.xf64, r = 2 * d.reg;
    const a = x[s], b = x[s + 1];
    f[r] = a; f[r + 1] = b;
  },
});

// ---- float <-> float ----

function s2d(c: Cpu, i: number, r: number): void {
  const v = c.xf32[i];
  if (okS(v)) { c.xf64[r] = v; return; }
  const w = sseConvert(F32, F64, BigInt(c.x32[i] >>> 0), c.mxcsr);
  c.x32[2 * r] = lo32(w); c.x32[2 * r + 1] = hi32(w);
}
function d2s(c: Cpu, i: number, r: number): void {
  const v = c.xf64[i];
  if (okD(v)) {
    const w = Math.fround(v), y = Math.abs(w);
    if ((w === v || fastMode(c.mxcsr)) && (w === 0 ? v === 0 : y > MIN_S && y <= MAX_S)) { c.xf32[r] = w; return; }
  }
  c.x32[r] = Number(sseConvert(F64, F32, bits64(c.x32[2 * i], c.x32[2 * i + 1]), c.mxcsr));
}
row({
  id: 'cvtss2sd_xmm_xmmm32', mnemonic: 'cvtss2sd', opcode: 'F3 0F 5A /r', operands: ['xmm', 'xmm/m32'], feature: 'sse2',
  exec: (c, d) => {
    const s = src32(c, d), x = c.x32, r = d.reg;
    clearFlags();
    s2d(c, 4 * s, 2 * T);
    commit(c, d);
    x[4 * r] = x[4 * T]; x[4 * r + 1] = x[4 * T + 1];
  },
});
row({
  id: 'cvtsd2ss_xmm_xmmm64', mnemonic: 'cvtsd2ss', opcode: 'F2 0F 5A /r', operands: ['xmm', 'xmm/m64'], feature: 'sse2',
  exec: (c, d) => {
    const s = src64(c, d), x = c.x32, r = d.reg;
    clearFlags();
    d2s(c, 2 * s, 4 * T);
    commit(c, d);
    x[4 * r] = x[4 * T];
  },
});
row({
  id: 'cvtps2pd_xmm_xmmm64', mnemonic: 'cvtps2pd', opcode: 'NP 0F 5A /r', operands: ['xmm', 'xmm/m64'], feature: 'sse2',
  exec: (c, d) => {
    const s = src64(c, d);
    clearFlags();
    s2d(c, 4 * s, 2 * T);
    s2d(c, 4 * s + 1, 2 * T + 1);
    commit(c, d);
    copy128(c, d.reg, T);
  },
});
row({
  id: 'cvtpd2ps_xmm_xmmm128', mnemonic: 'cvtpd2ps', opcode: '66 0F 5A /r', operands: ['xmm', 'xmm/m128'], feature: 'sse2',
  exec: (c, d) => {
    const s = srcA(c, d), x = c.x32, t = 4 * T;
    clearFlags();
    d2s(c, 2 * s, t);
    d2s(c, 2 * s + 1, t + 1);
    x[t + 2] = 0; x[t + 3] = 0;
    commit(c, d);
    copy128(c, d.reg, T);
  },
});

export const SSE_FP_ROWS: readonly IsaRow[] = rows;
