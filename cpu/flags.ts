// RFLAGS (SDM vol. 1 3.4.3) and the lazy evaluation of the six arithmetic status flags.
//
// Most instructions that write flags are followed by one that reads one flag or none, so the ALU only
// records the operation, its operand size, operands and result; a flag is computed when it is read.
// Instructions whose flags are awkward to describe lazily (shifts, multiplies, bit tests) write the
// flags eagerly and set the lazy operation to NONE.

export const CF = 1 << 0;
export const PF = 1 << 2;
export const AF = 1 << 4;
export const ZF = 1 << 6;
export const SF = 1 << 7;
export const TF = 1 << 8;
export const IF = 1 << 9;
export const DF = 1 << 10;
export const OF = 1 << 11;
export const AC = 1 << 18;
export const ID = 1 << 21;
/** The six status flags the ALU computes. */
export const STATUS = CF | PF | AF | ZF | SF | OF;
/** Flags a user program may change with popf (IOPL, VM and friends are not user-writable). */
export const USER_WRITABLE = STATUS | TF | DF | AC | ID;
/** Bit 1 of RFLAGS always reads as 1. */
export const RESERVED_ONE = 1 << 1;

/** The lazy operation last recorded by the ALU. */
export const Lazy = {
  NONE: 0, // status flags are in `flags` as they are
  ADD: 1,
  ADC: 2,
  SUB: 3, // also cmp and neg (as 0 - x)
  SBB: 4,
  LOGIC: 5, // and, or, xor, test: CF = OF = 0, AF = 0
  INC: 6, // like ADD with 1, but CF is the saved carry
  DEC: 7, // like SUB with 1, but CF is the saved carry
} as const;

/** PARITY[b] is PF for a result whose low byte is b: set when the number of one bits is even. */
export const PARITY = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let n = 0;
  for (let b = i; b; b >>= 1) n += b & 1;
  PARITY[i] = n & 1 ? 0 : PF;
}

/** Condition codes in encoding order (the low nibble of jcc/setcc/cmovcc). */
export const CONDITION_NAMES = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'] as const;
