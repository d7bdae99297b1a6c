// A decoded instruction: everything the executor and the disassembler need, computed once per address
// and cached (see engine.ts). One class, so every decoded instruction has the same shape and the
// executor's property loads stay monomorphic.

import type { Cpu } from './cpu.js';
import type { IsaRow } from './isa/types.js';

export type ExecFn = (c: Cpu, d: Insn) => void;

export class Insn {
  /** Address of the first byte (signed, see memory.ts) and of the next instruction. */
  addr = 0;
  next = 0;
  len = 0;
  bytes: Uint8Array = EMPTY;
  row: IsaRow = null!;
  exec: ExecFn = null!;

  /** Effective operand size in bits (8 for byte forms) and address size (32 or 64). */
  osize = 32;
  asize = 64;
  rex = 0;
  /** 0, 0xf2 or 0xf3 when that prefix is present and not consumed as a mandatory prefix. */
  rep = 0;
  lock = false;
  /** Segment override: SEG_NONE, SEG_FS or SEG_GS (es/cs/ss/ds are null in 64-bit mode). */
  seg = 0;
  /** Legacy prefix bytes as they appeared, for the disassembler. */
  prefixes: number[] = NONE;

  /** ModRM.reg (with REX.R), or the register in the opcode's low bits (with REX.B). */
  reg = 0;
  /** ModRM.rm with REX.B when mod == 3. */
  rm = 0;
  mod3 = false;
  hasModrm = false;
  modrm = 0;
  /** For 8-bit register operands: the byte offset of the register in Cpu.r8 (handles ah..bh). */
  reg8 = 0;
  rm8 = 0;

  /** Memory operand: base and index register numbers or -1, scale factor (1, 2, 4, 8), displacement. */
  base = -1;
  index = -1;
  scale = 1;
  disp = 0;
  /** rip-relative: `disp` already holds the absolute address (next + disp32). */
  ripRel = false;

  /** First immediate (sign-extended to the operand size when the encoding says so), low and high halves. */
  imm = 0;
  immHi = 0;
  /** Second immediate (enter's imm8). */
  imm2 = 0;
  /** Absolute target of a relative branch. */
  target = 0;
  /**
   * Position in its decoded block. The engine adds a block's instructions to cpu.icount when the
   * block ends, so an instruction that shows the count to the host (syscall, rdtsc) adds this first.
   */
  blockIndex = 0;
}

const EMPTY = new Uint8Array(0);
const NONE: number[] = [];
