// The run loop. Instructions are decoded once into blocks (straight-line runs ending at a control
// transfer, a syscall, a page end or 64 instructions), cached by start address, and dropped when a
// page they came from is written or unmapped. Executing a block is a loop of indirect calls with no
// allocation. A block is also the unit a later compiler can turn into one JavaScript function.
//
// Faults are precise: when an instruction raises a GuestFault, rip is set to that instruction and the
// instructions before it in the block count as retired, as on the real CPU.

import { Cpu } from './cpu.js';
import { Decoder, OpcodeTables } from './decoder.js';
import { GuestFault } from './fault.js';
import type { Insn } from './insn.js';
import { pageOf } from './memory.js';
import { ISA } from './isa/index.js';

const MAX_BLOCK = 64;

export class Block {
  constructor(
    readonly start: number,
    readonly insns: Insn[],
  ) {}
}

/** Why run() returned. */
export type StopReason =
  | { kind: 'limit' } // the instruction budget is spent
  | { kind: 'stop' } // the host asked the CPU to stop (exit, a signal to deliver, a breakpoint)
  | { kind: 'fault'; fault: GuestFault };

let sharedTables: OpcodeTables | null = null;
/** The opcode tables built from the ISA table, shared by every engine. */
export function opcodeTables(): OpcodeTables {
  return (sharedTables ??= new OpcodeTables(ISA));
}

export class Engine {
  readonly decoder: Decoder;
  private readonly blocks = new Map<number, Block>();
  private readonly pageBlocks = new Map<number, number[]>();
  /** Set by the host (from a syscall, say) to leave run() after the current instruction. */
  stopRequested = false;

  constructor(readonly cpu: Cpu) {
    this.decoder = new Decoder(opcodeTables(), cpu.mem);
    cpu.mem.onCodeWrite = (p) => this.invalidatePage(p);
  }

  /** Drop every decoded block that holds bytes from page `p`. */
  invalidatePage(p: number): void {
    const starts = this.pageBlocks.get(p);
    if (!starts) return;
    for (const s of starts) this.blocks.delete(s);
    this.pageBlocks.delete(p);
  }

  /** Drop all decoded code (after execve, or when the ISA's behaviour is reconfigured). */
  flush(): void {
    this.blocks.clear();
    this.pageBlocks.clear();
  }

  /** The decoded instruction at `addr` (decoding it if needed). Throws GuestFault if it cannot. */
  insnAt(addr: number): Insn {
    const b = this.blocks.get(addr);
    if (b) return b.insns[0];
    return this.decoder.decode(addr);
  }

  private block(addr: number): Block {
    let b = this.blocks.get(addr);
    if (b) return b;
    const insns: Insn[] = [];
    let a = addr;
    const firstPage = pageOf(addr);
    for (;;) {
      let d: Insn;
      try {
        d = this.decoder.decode(a);
      } catch (e) {
        // The first instruction's fault is real; a later one ends the block and faults when reached.
        if (insns.length === 0 || !(e instanceof GuestFault)) throw e;
        break;
      }
      insns.push(d);
      a = d.next;
      if ((d.row.flow ?? 'next') !== 'next' || insns.length >= MAX_BLOCK || pageOf(a) !== firstPage) break;
    }
    b = new Block(addr, insns);
    this.blocks.set(addr, b);
    const lastPage = pageOf(a - 1);
    for (let p = firstPage; p <= lastPage; p++) {
      let list = this.pageBlocks.get(p);
      if (!list) this.pageBlocks.set(p, (list = []));
      list.push(addr);
    }
    return b;
  }

  /**
   * Run until `limit` instructions have retired in total (cpu.icount), the host requests a stop, or
   * the guest faults.
   */
  run(limit: number): StopReason {
    const c = this.cpu;
    this.stopRequested = false;
    while (c.icount < limit) {
      let b: Block;
      try {
        b = this.block(c.rip);
      } catch (e) {
        return this.faulted(e, c.rip);
      }
      const insns = b.insns;
      const n = insns.length;
      if (c.icount + n > limit) {
        // Finish the budget one instruction at a time so that limits are exact.
        while (c.icount < limit && !this.stopRequested) {
          const r = this.step();
          if (r) return r;
        }
        break;
      }
      let i = 0;
      try {
        for (const last = n - 1; i < last; i++) {
          const d = insns[i];
          d.exec(c, d);
        }
        const d = insns[i];
        c.rip = d.next;
        d.exec(c, d);
      } catch (e) {
        c.icount += i;
        return this.faulted(e, insns[i].addr);
      }
      c.icount += n;
      if (this.stopRequested) return { kind: 'stop' };
    }
    return this.stopRequested ? { kind: 'stop' } : { kind: 'limit' };
  }

  /** Execute exactly one instruction. Returns a stop reason on a fault or stop request, else null. */
  step(): StopReason | null {
    const c = this.cpu;
    const addr = c.rip;
    let d: Insn;
    try {
      d = this.insnAt(addr);
      c.rip = d.next;
      d.exec(c, d);
    } catch (e) {
      return this.faulted(e, addr);
    }
    c.icount++;
    return this.stopRequested ? { kind: 'stop' } : null;
  }

  private faulted(e: unknown, rip: number): StopReason {
    if (!(e instanceof GuestFault)) throw e;
    e.rip = rip;
    this.cpu.rip = rip;
    return { kind: 'fault', fault: e };
  }
}
