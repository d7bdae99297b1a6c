// V8 tuning for colonel's own entry points (the CLI and the bench), not for library users.
//
// A compiled block (cpu/engine.ts) calls one exec function per instruction, and each is small; V8
// stops inlining into a function once the inlined bytecode adds up to 920 bytes, which a block of a
// dozen instructions reaches. A larger cumulative budget lets whole blocks inline: about 30% more
// instructions per second on fixtures/bench/intloop, measured here (see the commit that added this).
// It must run before any block is optimized, so entry points import it first.

import * as v8 from 'node:v8';

v8.setFlagsFromString('--max-inlined-bytecode-size-cumulative=6000');
