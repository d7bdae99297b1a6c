// The SSE/SSE2 group: the moves, the integer-vector instructions and the bitwise/shuffle ps/pd forms that
// compilers emit for vectorized integer loops and that libc string functions use, plus the MXCSR and
// FXSAVE state instructions. Float arithmetic, SSE3+ and AVX are not here: their encodings decode to
// nothing, so they raise #UD (SIGILL naming the bytes).
//
//   sse-common.ts  memory-operand staging, alignment checks (#GP), 128-bit stores
//   sse-move.ts    movd/movq, movdqa/movdqu, movaps/movups/movapd/movupd, movss/movsd, movlps..movlhps,
//                  non-temporal stores, movmskps/movmskpd
//   sse-int.ts     SSE2 integer ops (66 0F forms only), shifts, shuffles, unpack/pack, pmovmskb,
//                  pextrw/pinsrw, and/andn/or/xor/unpck/shuf on ps/pd
//   sse-state.ts   ldmxcsr/stmxcsr, fxsave/fxrstor
//
// Operand kinds: 'xmm' is ModRM.reg; 'xmm/mN' and 'r/mN' are ModRM.rm; 'xmm2' is an xmm register in
// ModRM.rm of a register-only form (movhlps, pmovmskb, the shift-by-immediate groups).
// Verified against the host CPU by tests/isa-sse.test.ts (tests/oracle-sse/).

import type { IsaRow } from './types.js';
import { SSE_MOVE_ROWS } from './sse-move.js';
import { SSE_INT_ROWS } from './sse-int.js';
import { SSE_STATE_ROWS } from './sse-state.js';

export const SSE_ROWS: readonly IsaRow[] = [...SSE_MOVE_ROWS, ...SSE_INT_ROWS, ...SSE_STATE_ROWS];
