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
import { F80, classify, ZERO, NORMAL } from './fpu.js';

export const FCW_INIT = 0x037f;

/** A control word as loaded: reserved bits 15..13 and 7 read as 0, bit 6 as 1 (measured on the host). */
export const controlWord = (v: number) => (v & 0x1f3f) | 0x40;

/** Status word bits. */
export const SW = {
  IE: 0x1, DE: 0x2, ZE: 0x4, OE: 0x8, UE: 0x10, PE: 0x20, SF: 0x40, ES: 0x80,
  C0: 0x100, C1: 0x200, C2: 0x400, TOP: 0x3800, C3: 0x4000, B: 0x8000,
} as const;

export class X87 {
  /** Physical registers R0..R7 as 80-bit patterns (bit 79 sign, 78..64 exponent, 63 J, 62..0 fraction). */
  readonly regs: bigint[] = [0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n];
  /** Bit i set: R_i holds a value (FXSAVE's abridged tag). */
  used = 0;
  top = 0;
  cw = FCW_INIT;
  /** The status word without TOP (kept in `top`), ES and B (derived: see status()). */
  sw = 0;

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
        const k = classify(F80, this.regs[i]);
        tag = k === ZERO ? 1 : k === NORMAL ? 0 : 2;
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
    let v = x.regs[(x.top + i) & 7];
    const o = 32 + 16 * i;
    for (let k = 0; k < 10; k++, v >>= 8n) bytes[o + k] = Number(v & 0xffn);
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
  for (let i = 0; i < 8; i++) {
    const o = 32 + 16 * i;
    let v = 0n;
    for (let k = 9; k >= 0; k--) v = (v << 8n) | BigInt(bytes[o + k]);
    x.regs[(x.top + i) & 7] = v;
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
