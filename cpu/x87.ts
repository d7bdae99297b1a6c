// The x87 FPU's architectural state (SDM vol. 1 ch. 8.1 "x87 FPU execution environment"): eight 80-bit
// data registers R0..R7 used as a stack (ST(i) is R[(TOP + i) mod 8]), the control word (exception
// masks, precision control PC, rounding control RC), the status word (exception flags, stack fault
// SF, error summary ES, condition codes C0..C3, TOP, busy B) and the tag word.
//
// Tags: the hardware keeps only "empty or not" per register; the two-bit tags FNSTENV/FNSAVE show
// (valid, zero, special, empty) are computed from the register contents when stored, as on every CPU
// since the Pentium Pro, and FXSAVE's abridged tag byte is exactly that empty/not-empty bit.
//
// The last-instruction and last-operand pointers (FIP, FDP, FOP and the selectors) are not modelled:
// they are stored as zeros. The host CPU (AMD) also stores zeros there unless an unmasked exception is
// pending, which is the only time a program (a SIGFPE handler) might look.
//
// The rows live in isa/x87.ts. This file also holds the FXSAVE/FXRSTOR image of the x87 part
// (x87Save, x87Restore), which sse-state.ts's fxsave/fxrstor and the kernel's signal frames use.

import type { Cpu } from './cpu.js';

export const FCW_INIT = 0x037f;

/** A control word as loaded: reserved bits 15..13 and 7 read as 0, bit 6 as 1 (measured on the host). */
export const controlWord = (v: number) => (v & 0x1f3f) | 0x40;

/** Status word bits. */
export const SW = {
  IE: 0x1, DE: 0x2, ZE: 0x4, OE: 0x8, UE: 0x10, PE: 0x20, SF: 0x40, ES: 0x80,
  C0: 0x100, C1: 0x200, C2: 0x400, TOP: 0x3800, C3: 0x4000, B: 0x8000,
} as const;

export class X87 {
  /**
   * Physical registers R0..R7 as plain numbers, so the common paths allocate nothing: sign and
   * exponent (bits 79..64) in `se`, the significand's bits 63..32 (J and the top of the fraction) in
   * `hi`, bits 31..0 in `lo`. Plain arrays (V8 keeps them unboxed), not typed arrays: the step view's
   * snapshots (lib/step/snapshot.ts) copy a unit's arrays and take typed arrays for immutable values.
   */
  readonly se: number[] = [0, 0, 0, 0, 0, 0, 0, 0];
  readonly hi: number[] = [0, 0, 0, 0, 0, 0, 0, 0];
  readonly lo: number[] = [0, 0, 0, 0, 0, 0, 0, 0];
  /**
   * The same registers as 80-bit patterns (bit 79 sign, 78..64 exponent, 63 J, 62..0 fraction): a view
   * whose elements read and write se/hi/lo, for the exact (bigint) paths, MMX and tests. Not enumerable,
   * so that snapshots see only se/hi/lo.
   */
  declare readonly regs: bigint[];
  /** Bit i set: R_i holds a value (FXSAVE's abridged tag). */
  used = 0;
  top = 0;
  cw = FCW_INIT;
  /** The status word without TOP (kept in `top`), ES and B (derived: see status()). */
  sw = 0;

  constructor() {
    const view: bigint[] = [];
    for (let i = 0; i < 8; i++) {
      Object.defineProperty(view, i, { get: () => this.getReg(i), set: (v: bigint) => this.setReg(i, v), enumerable: true });
    }
    Object.defineProperty(this, 'regs', { value: view, enumerable: false });
  }

  /** R_p as an 80-bit pattern. */
  getReg(p: number): bigint {
    return (BigInt(this.se[p]) << 64n) | (BigInt(this.hi[p]) << 32n) | BigInt(this.lo[p]);
  }
  /** R_p = v (an 80-bit pattern). */
  setReg(p: number, v: bigint): void {
    this.lo[p] = Number(v & 0xffffffffn);
    this.hi[p] = Number((v >> 32n) & 0xffffffffn);
    this.se[p] = Number((v >> 64n) & 0xffffn);
  }

  /**
   * The status word as FNSTSW stores it. ES (and B, its copy) is not state of its own: it is set exactly
   * when an exception flag is set whose mask bit is clear, as the host shows after FXRSTOR or FLDCW.
   */
  status(): number {
    const sw = (this.sw & ~(SW.TOP | SW.ES | SW.B)) | (this.top << 11);
    return this.pending() ? sw | SW.ES | SW.B : sw;
  }

  /** An unmasked exception is pending: the next waiting instruction raises #MF. */
  pending(): boolean {
    return (this.sw & ~this.cw & 0x3f) !== 0;
  }

  /** The full tag word (FNSTENV): per register 00 valid, 01 zero, 10 special, 11 empty. */
  tagWord(): number {
    let t = 0;
    for (let i = 0; i < 8; i++) {
      let tag = 3;
      if (this.used & (1 << i)) {
        const e = this.se[i] & 0x7fff, j = this.hi[i] >>> 31;
        tag = e === 0 ? (j === 0 && this.hi[i] === 0 && this.lo[i] === 0 ? 1 : 2) : e === 0x7fff || j === 0 ? 2 : 0;
      }
      t |= tag << (2 * i);
    }
    return t;
  }

  /** FNINIT: the state after reset and at process start (FCW 0x37F). Register contents are kept. */
  init(): void {
    this.cw = FCW_INIT;
    this.sw = 0;
    this.top = 0;
    this.used = 0;
  }
}

function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >> 8) & 0xff;
}
const get16 = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8);

/**
 * Write the x87 part of an FXSAVE image into bytes (at least 160 long): FCW, FSW, abridged FTW, FOP,
 * FIP, FDP (bytes 0..23) and ST(0)..ST(7) at 32 + 16i (10 bytes, then 6 zero bytes). Bytes 24..31
 * (MXCSR, MXCSR_MASK) are left alone. Returns bytes.
 */
export function x87Save(cpu: Cpu, bytes: Uint8Array): Uint8Array {
  const x = cpu.x87;
  put16(bytes, 0, x.cw);
  put16(bytes, 2, x.status());
  bytes[4] = x.used;
  bytes.fill(0, 5, 24);
  for (let i = 0; i < 8; i++) {
    const p = (x.top + i) & 7, o = 32 + 16 * i;
    const lo = x.lo[p], hi = x.hi[p], se = x.se[p];
    for (let k = 0; k < 4; k++) { bytes[o + k] = (lo >>> (8 * k)) & 0xff; bytes[o + 4 + k] = (hi >>> (8 * k)) & 0xff; }
    bytes[o + 8] = se & 0xff;
    bytes[o + 9] = se >>> 8;
    bytes.fill(0, o + 10, o + 16);
  }
  return bytes;
}

/** Load the x87 state from an FXSAVE image (the inverse of x87Save; bytes 24..31 are not read). */
export function x87Restore(cpu: Cpu, bytes: Uint8Array): void {
  const x = cpu.x87;
  x.cw = controlWord(get16(bytes, 0));
  const sw = get16(bytes, 2);
  x.top = (sw >> 11) & 7;
  x.sw = sw & ~SW.TOP;
  x.used = bytes[4];
  const w = (o: number) => (bytes[o] | (bytes[o + 1] << 8) | (bytes[o + 2] << 16) | (bytes[o + 3] << 24)) >>> 0;
  for (let i = 0; i < 8; i++) {
    const p = (x.top + i) & 7, o = 32 + 16 * i;
    x.lo[p] = w(o);
    x.hi[p] = w(o + 4);
    x.se[p] = get16(bytes, o + 8);
  }
}

const image = new Uint8Array(160);

/** FXSAVE's x87 part, stored at guest address `a` (the caller has checked alignment and access). */
export function fxsaveX87(cpu: Cpu, a: number): void {
  x87Save(cpu, image);
  cpu.mem.writeBytes(a, image.subarray(0, 24));
  cpu.mem.writeBytes(a + 32, image.subarray(32, 160));
}

/** FXRSTOR's x87 part, loaded from guest address `a`. */
export function fxrstorX87(cpu: Cpu, a: number): void {
  image.set(cpu.mem.readBytes(a, 160));
  x87Restore(cpu, image);
}
