// The ISA table: every instruction form colonel implements, gathered from the group files. The
// decoder's opcode tables (decoder.ts), the disassembler (disasm.ts) and the executor all come from
// these rows; building the tables throws if two rows claim the same encoding.

import type { IsaRow } from './types.js';
import { ALU_ROWS } from './alu.js';
import { BASE_ROWS } from './base.js';
import { SHIFT_ROWS } from './shift.js';
import { MULDIV_ROWS } from './muldiv.js';
import { BITS_ROWS } from './bits.js';
import { STRING_ROWS } from './string.js';
import { MISC_ROWS } from './misc.js';
import { SSE_ROWS } from './sse.js';
import { SSE_FP_ROWS } from './sse-fp.js';
import { MMX_ROWS } from './mmx.js';
import { X87_ROWS } from './x87.js';

export const ISA: readonly IsaRow[] = [
  ...BASE_ROWS,
  ...ALU_ROWS,
  ...SHIFT_ROWS,
  ...MULDIV_ROWS,
  ...BITS_ROWS,
  ...STRING_ROWS,
  ...MISC_ROWS,
  ...SSE_ROWS,
  ...SSE_FP_ROWS,
  ...MMX_ROWS,
  ...X87_ROWS,
];

export type { IsaRow, Operand, Flow, Encoding } from './types.js';
