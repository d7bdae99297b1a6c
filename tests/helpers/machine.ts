// A fluent harness for instruction tests, in the manner of 6502.ts's runner:
//   machine(bytes).set({ rax: 1n }).step(2).expect({ rax: 3n }, { flags: CF | ZF })
// Code is placed at CODE (r-x), a data page at DATA (rw-), a stack below STACK_TOP (rw-). No kernel:
// `syscall` and `rdtsc` reach a stub host that records calls.

import { Cpu, REG_NAMES } from '../../cpu/cpu.js';
import { Engine, type StopReason } from '../../cpu/engine.js';
import { GuestMemory, PROT_READ, PROT_WRITE, PROT_EXEC } from '../../cpu/memory.js';
import { STATUS } from '../../cpu/flags.js';

export const CODE = 0x400000;
export const DATA = 0x600000;
export const STACK_TOP = 0x7ff000;

export type RegName = (typeof REG_NAMES)[number] | 'rip' | 'rflags';
export type RegValues = Partial<Record<RegName, bigint>>;

export class Machine {
  readonly mem = new GuestMemory();
  readonly cpu = new Cpu(this.mem);
  readonly engine: Engine;
  readonly syscalls: bigint[] = [];
  last: StopReason | null = null;

  constructor(code: Uint8Array | number[]) {
    const bytes = Uint8Array.from(code);
    this.mem.map(CODE, Math.max(bytes.length, 1) + 16, PROT_READ | PROT_WRITE);
    this.mem.poke(CODE, bytes);
    this.mem.protect(CODE, Math.max(bytes.length, 1) + 16, PROT_READ | PROT_EXEC);
    this.mem.map(DATA, 0x2000, PROT_READ | PROT_WRITE);
    this.mem.map(STACK_TOP - 0x10000, 0x10000, PROT_READ | PROT_WRITE);
    this.cpu.rip = CODE;
    this.cpu.setN(4, STACK_TOP - 0x100);
    this.cpu.host = {
      syscall: (c) => { this.syscalls.push(c.get(0)); },
      rdtsc: (c) => { const t = c.icount * 3; c.thi = (t / 2 ** 32) | 0; return t | 0; },
    };
    this.engine = new Engine(this.cpu);
  }

  /** Set registers (bigints, unsigned or negative) and, with `rflags`, the whole flags register. */
  set(regs: RegValues): this {
    for (const [k, v] of Object.entries(regs) as [RegName, bigint][]) {
      if (k === 'rip') this.cpu.rip = Number(BigInt.asIntN(64, v));
      else if (k === 'rflags') this.cpu.setFlags(Number(v), 0xffffffff);
      else this.cpu.set(REG_NAMES.indexOf(k as never), BigInt.asUintN(64, v));
    }
    return this;
  }

  /** Write bytes into guest memory (any mapped address). */
  poke(addr: number, bytes: Uint8Array | number[]): this {
    this.mem.poke(addr, Uint8Array.from(bytes));
    return this;
  }

  peek(addr: number, len: number): Uint8Array {
    return this.mem.readBytes(addr, len);
  }

  /** Execute n instructions one by one; stops early on a fault. */
  step(n = 1): this {
    for (let i = 0; i < n; i++) {
      this.last = this.engine.step();
      if (this.last) break;
    }
    return this;
  }

  /** Run through the block engine up to n instructions. */
  run(n: number): this {
    this.last = this.engine.run(this.cpu.icount + n);
    return this;
  }

  /** Set xmm register n (0..15) to a 128-bit value (bit 0 = bit 0 of byte 0). */
  setXmm(n: number, v: bigint): this {
    const b = this.cpu.x8;
    for (let i = 0; i < 16; i++) b[16 * n + i] = Number((BigInt.asUintN(128, v) >> BigInt(8 * i)) & 0xffn);
    return this;
  }

  /** xmm register n as an unsigned 128-bit bigint. */
  xmm(n: number): bigint {
    const b = this.cpu.x8;
    let v = 0n;
    for (let i = 15; i >= 0; i--) v = (v << 8n) | BigInt(b[16 * n + i]);
    return v;
  }

  reg(name: RegName): bigint {
    if (name === 'rip') return BigInt.asUintN(64, BigInt(this.cpu.rip));
    if (name === 'rflags') return BigInt(this.cpu.getFlags());
    return this.cpu.get(REG_NAMES.indexOf(name as never));
  }

  /** Status flags (CF|PF|AF|ZF|SF|OF bits of rflags). */
  flags(): number {
    return this.cpu.getFlags() & STATUS;
  }

  /**
   * Compare registers, and with `flags` the status flags; `dontCare` masks flags the SDM leaves
   * undefined. Returns a list of mismatches (empty when all agree), for t.same(m.diff(...), []).
   */
  diff(regs: RegValues, opts: { flags?: number; dontCare?: number } = {}): string[] {
    const out: string[] = [];
    for (const [k, v] of Object.entries(regs) as [RegName, bigint][]) {
      const got = this.reg(k);
      const want = BigInt.asUintN(64, v);
      if (got !== want) out.push(`${k}: got 0x${got.toString(16)}, want 0x${want.toString(16)}`);
    }
    if (opts.flags !== undefined) {
      const m = STATUS & ~(opts.dontCare ?? 0);
      const got = this.flags() & m, want = opts.flags & m;
      if (got !== want) out.push(`flags: got 0x${got.toString(16)}, want 0x${want.toString(16)}`);
    }
    if (this.last && this.last.kind === 'fault') out.push(`faulted: vector ${this.last.fault.vector} ${this.last.fault.detail}`);
    return out;
  }
}

export function machine(code: Uint8Array | number[]): Machine {
  return new Machine(code);
}
