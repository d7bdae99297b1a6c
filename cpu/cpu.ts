// The architectural state of one x86-64 hardware thread in 64-bit user mode (SDM vol. 1 ch. 3):
// sixteen general registers, rip, rflags, the fs/gs bases, the XMM registers and MXCSR.
//
// The general registers live in one ArrayBuffer seen through three views, so the byte, word and
// doubleword forms alias exactly as on the real CPU: register i's low byte is r8[8*i], its "high
// byte" (ah, ch, dh, bh) r8[8*i+1], its low word r16[4*i], and its halves r32[2*i] (low) and
// r32[2*i+1] (high), as int32. 64-bit values are kept as two int32 halves: BigInt is several times
// slower in the hot path.
//
// The CPU knows nothing of Linux. It meets the kernel at three doors: `onSyscall` (the syscall
// instruction), a thrown GuestFault (see fault.ts), and guest memory.

import { GuestMemory } from './memory.js';
import { X87 } from './x87.js';
import { CF, PF, AF, ZF, SF, OF, DF, TF, STATUS, RESERVED_ONE, Lazy, PARITY, USER_WRITABLE } from './flags.js';

export const Reg = {
  RAX: 0, RCX: 1, RDX: 2, RBX: 3, RSP: 4, RBP: 5, RSI: 6, RDI: 7,
  R8: 8, R9: 9, R10: 10, R11: 11, R12: 12, R13: 13, R14: 14, R15: 15,
} as const;
export const REG_NAMES = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'] as const;
/** Two scratch 64-bit slots after the sixteen registers, used to stage memory operands. */
export const T0 = 16;
export const T1 = 17;
const SLOTS = 18;

export const SEG_NONE = 0;
export const SEG_FS = 1;
export const SEG_GS = 2;

/** The CPU's hooks into whoever drives it (the kernel). */
export interface CpuHost {
  /** The syscall instruction: rcx and r11 are already saved; rip is the next instruction. */
  syscall(cpu: Cpu): void;
  /** rdtsc: the host models the TSC. Returns its low 32 bits and leaves the high 32 in cpu.thi. */
  rdtsc(cpu: Cpu): number;
}

export class Cpu {
  readonly buf = new ArrayBuffer(SLOTS * 8);
  readonly r32 = new Int32Array(this.buf);
  readonly r16 = new Uint16Array(this.buf);
  readonly r8 = new Uint8Array(this.buf);

  /** XMM0..15, 16 bytes each, with the views SSE code needs. */
  readonly xbuf = new ArrayBuffer(16 * 16 + 32);
  readonly x8 = new Uint8Array(this.xbuf);
  readonly x16 = new Uint16Array(this.xbuf);
  readonly x32 = new Int32Array(this.xbuf);
  readonly xf32 = new Float32Array(this.xbuf);
  readonly xf64 = new Float64Array(this.xbuf);
  mxcsr = 0x1f80;
  /** The x87 FPU: registers, control, status and tag words (x87.ts). */
  readonly x87 = new X87();

  /** rip as a signed 64-bit number (see memory.ts on addresses). Branches write it; see engine.ts. */
  rip = 0;
  fsBase = 0;
  gsBase = 0;
  /** IA32_TSC_AUX, read by rdpid/rdtscp; the kernel stores (node << 12) | cpu in it, as Linux does. */
  tscAux = 0;

  // ---- flags: non-status bits and, when lazy === NONE, the status bits too ----
  flags = RESERVED_ONE;
  lazy: number = Lazy.NONE;
  lsize = 32;
  la = 0; lah = 0; lb = 0; lbh = 0; lr = 0; lrh = 0;
  /** Carry-in of ADC/SBB, or the carry INC/DEC preserve. */
  lcf = 0;

  /** Instructions retired. A number is exact up to 2^53, far beyond any run. */
  icount = 0;

  /** Effective address of the current instruction's memory operand (set by operands.ea). */
  ea = 0;

  /** Scratch results for helpers that produce a 64-bit pair (avoid allocating). */
  tlo = 0;
  thi = 0;

  host: CpuHost | null = null;
  /**
   * Called when setFlags turns TF on (popf, sigreturn): the engine leaves its block there and
   * single-steps while TF stays set. TF changes nowhere else, so the run loop never has to look.
   */
  onTrapFlag: (() => void) | null = null;

  constructor(readonly mem: GuestMemory) {}

  // ---- registers as numbers and bigints (for the kernel and tests, not the hot path) ----

  /** A register's value as an unsigned bigint. */
  get(reg: number): bigint {
    return (BigInt(this.r32[2 * reg + 1] >>> 0) << 32n) | BigInt(this.r32[2 * reg] >>> 0);
  }

  set(reg: number, v: bigint): void {
    this.r32[2 * reg] = Number(v & 0xffffffffn) | 0;
    this.r32[2 * reg + 1] = Number((v >> 32n) & 0xffffffffn) | 0;
  }

  /** A register as a signed number: exact for addresses and small values. */
  getS(reg: number): number {
    return this.r32[2 * reg + 1] * 4294967296 + (this.r32[2 * reg] >>> 0);
  }

  /** Set a register from a signed or unsigned number that fits in 64 bits (exact below 2^53). */
  setN(reg: number, v: number): void {
    this.r32[2 * reg] = v | 0;
    this.r32[2 * reg + 1] = Math.floor(v / 4294967296) | 0;
  }

  // ---- flags ----

  /** Record a lazy flag-setting operation on values of `size` bits (masked; for 64 bits, halves). */
  setLazy(op: number, size: number, a: number, ah: number, b: number, bh: number, r: number, rh: number): void {
    this.lazy = op;
    this.lsize = size;
    this.la = a; this.lah = ah;
    this.lb = b; this.lbh = bh;
    this.lr = r; this.lrh = rh;
  }

  /** RFLAGS as the program sees it (pushf). */
  getFlags(): number {
    if (this.lazy === Lazy.NONE) return this.flags;
    return (this.flags & ~STATUS) | this.cf() | this.pf() | this.af() | this.zf() | this.sf() | this.of();
  }

  /** Replace RFLAGS (popf, sigreturn): only the status flags and user-writable bits change. */
  setFlags(v: number, writable = USER_WRITABLE): void {
    const before = this.flags;
    this.flags = ((this.getFlags() & ~writable) | (v & writable) | RESERVED_ONE) >>> 0;
    this.lazy = Lazy.NONE;
    if ((this.flags & ~before & TF) !== 0 && this.onTrapFlag !== null) this.onTrapFlag();
  }

  /** Set or clear status flags eagerly (shifts, multiplies, bt): `bits` are the new values of `mask`. */
  setStatus(mask: number, bits: number): void {
    if (this.lazy === Lazy.NONE) {
      this.flags = (this.flags & ~mask) | (bits & mask);
      return;
    }
    // Evaluate only the lazy flags that survive (rotates and multiplies replace CF and OF).
    const keep = STATUS & ~mask;
    let f = (this.flags & ~STATUS) | (bits & mask);
    if (keep & CF) f |= this.cf();
    if (keep & PF) f |= this.pf();
    if (keep & AF) f |= this.af();
    if (keep & ZF) f |= this.zf();
    if (keep & SF) f |= this.sf();
    if (keep & OF) f |= this.of();
    this.flags = f;
    this.lazy = Lazy.NONE;
  }

  private signBit(v: number, vh: number): number {
    switch (this.lsize) {
      case 8: return (v >> 7) & 1;
      case 16: return (v >> 15) & 1;
      case 32: return v >>> 31;
      default: return vh >>> 31;
    }
  }

  /** Unsigned a < b for the current lazy size (operands are already masked). */
  private below(a: number, ah: number, b: number, bh: number): boolean {
    if (this.lsize === 64) {
      const x = ah >>> 0, y = bh >>> 0;
      return x < y || (x === y && a >>> 0 < b >>> 0);
    }
    return a >>> 0 < b >>> 0;
  }

  private same(a: number, ah: number, b: number, bh: number): boolean {
    return a === b && (this.lsize !== 64 || ah === bh);
  }

  cf(): number {
    switch (this.lazy) {
      case Lazy.NONE: return this.flags & CF;
      case Lazy.ADD: return this.below(this.lr, this.lrh, this.la, this.lah) ? CF : 0;
      case Lazy.ADC:
        return this.below(this.lr, this.lrh, this.la, this.lah) || (this.lcf !== 0 && this.same(this.lr, this.lrh, this.la, this.lah)) ? CF : 0;
      case Lazy.SUB: return this.below(this.la, this.lah, this.lb, this.lbh) ? CF : 0;
      case Lazy.SBB:
        return this.below(this.la, this.lah, this.lb, this.lbh) || (this.lcf !== 0 && this.same(this.la, this.lah, this.lb, this.lbh)) ? CF : 0;
      case Lazy.LOGIC: return 0;
      default: return this.lcf ? CF : 0; // INC, DEC
    }
  }

  zf(): number {
    if (this.lazy === Lazy.NONE) return this.flags & ZF;
    return this.lr === 0 && (this.lsize !== 64 || this.lrh === 0) ? ZF : 0;
  }

  sf(): number {
    if (this.lazy === Lazy.NONE) return this.flags & SF;
    return this.signBit(this.lr, this.lrh) ? SF : 0;
  }

  pf(): number {
    if (this.lazy === Lazy.NONE) return this.flags & PF;
    return PARITY[this.lr & 0xff];
  }

  af(): number {
    switch (this.lazy) {
      case Lazy.NONE: return this.flags & AF;
      case Lazy.LOGIC: return 0;
      default: return (this.la ^ this.lb ^ this.lr) & AF;
    }
  }

  of(): number {
    let x: number, xh: number;
    switch (this.lazy) {
      case Lazy.NONE: return this.flags & OF;
      case Lazy.LOGIC: return 0;
      case Lazy.ADD: case Lazy.ADC: case Lazy.INC:
        x = (this.la ^ this.lr) & (this.lb ^ this.lr);
        xh = (this.lah ^ this.lrh) & (this.lbh ^ this.lrh);
        break;
      default:
        x = (this.la ^ this.lb) & (this.la ^ this.lr);
        xh = (this.lah ^ this.lbh) & (this.lah ^ this.lrh);
    }
    return this.signBit(x, xh) ? OF : 0;
  }

  df(): boolean {
    return (this.flags & DF) !== 0;
  }

  /** Evaluate condition code cc (0..15), as jcc/setcc/cmovcc encode it. */
  cond(cc: number): boolean {
    // Fast paths for the commonest producer/consumer pairs (cmp then jcc).
    if (this.lazy === Lazy.SUB && this.lsize !== 64) {
      const a = this.la, b = this.lb;
      switch (cc) {
        case 2: return a >>> 0 < b >>> 0;
        case 3: return a >>> 0 >= b >>> 0;
        case 4: return a === b;
        case 5: return a !== b;
        case 6: return a >>> 0 <= b >>> 0;
        case 7: return a >>> 0 > b >>> 0;
      }
    }
    let v: boolean;
    switch (cc >> 1) {
      case 0: v = this.of() !== 0; break;
      case 1: v = this.cf() !== 0; break;
      case 2: v = this.zf() !== 0; break;
      case 3: v = this.cf() !== 0 || this.zf() !== 0; break;
      case 4: v = this.sf() !== 0; break;
      case 5: v = this.pf() !== 0; break;
      case 6: v = (this.sf() !== 0) !== (this.of() !== 0); break;
      default: v = this.zf() !== 0 || (this.sf() !== 0) !== (this.of() !== 0);
    }
    return (cc & 1) !== 0 ? !v : v;
  }

  /** A snapshot of the user-visible registers, for tests, the tracer and signal frames. */
  registers(): Record<string, bigint> {
    const out: Record<string, bigint> = {};
    for (let i = 0; i < 16; i++) out[REG_NAMES[i]] = this.get(i);
    out.rip = BigInt.asUintN(64, BigInt(this.rip));
    out.rflags = BigInt(this.getFlags());
    out.fs_base = BigInt.asUintN(64, BigInt(this.fsBase));
    out.gs_base = BigInt.asUintN(64, BigInt(this.gsBase));
    return out;
  }
}

export { CF, PF, AF, ZF, SF, OF, DF };
