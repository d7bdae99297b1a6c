// The block compiler (cpu/engine.ts compileBlock) against the interpreter. A block that has run
// HOT_BLOCK times is compiled: exec templates are inlined with the decoded fields as constants. Random
// loop bodies of integer and SSE2 instructions (register and memory forms, flag writers and readers, forward
// conditional jumps that split the body into blocks) run once through the engine, where the loop turns
// hot and compiled, and once one instruction at a time through Engine.step, which never compiles. The
// final registers, flags, data page and stack must be identical.

import t from 'tap';
import { machine, DATA, STACK_TOP, type Machine } from './helpers/machine.js';
import { REG_NAMES } from '../cpu/cpu.js';
import { rng } from './helpers/rng.js';

// Registers a body may write: not rsp (the stack), rbp (holds DATA) or r15 (the loop counter).
const FREE = [0, 1, 2, 3, 6, 7, 8, 9, 10, 11, 12, 13, 14];

function body(rand: () => number, n: number): number[] {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const byte = () => Math.floor(rand() * 256);
  const rex = (w: number, r: number, b: number, x = 0) => 0x40 | (w << 3) | ((r >> 3) << 2) | ((x >> 3) << 1) | (b >> 3);
  const regReg = (r: number, m: number) => 0xc0 | ((r & 7) << 3) | (m & 7);
  const out: number[] = [];
  for (let k = 0; k < n; k++) {
    const w = rand() < 0.6 ? 1 : 0;
    const r = pick(FREE), m = pick(FREE);
    const useMem = rand() < 0.25;
    // ModRM (+ SIB) + disp8 for [rbp + disp] or [rbp + r15 * scale + disp] (r15 counts the iterations
    // down, so the address moves), disp a multiple of 8: inside DATA's first 512 bytes.
    const sib = useMem && rand() < 0.5, scale = Math.floor(rand() * 4);
    const mem = (reg: number) => (sib ? [0x44 | ((reg & 7) << 3), (scale << 6) | (7 << 3) | 5] : [0x45 | ((reg & 7) << 3)]).concat(8 * Math.floor(rand() * 16));
    const modrm = (reg: number) => (useMem ? mem(reg) : [regReg(reg, m)]);
    const pre = (reg: number) => rex(w, reg, useMem ? 0 : m, sib ? 15 : 0);
    const form = Math.floor(rand() * 18);
    switch (form) {
      case 0: { const op = Math.floor(rand() * 8); out.push(pre(r), op * 8 + 1, ...modrm(r)); break; } // op r/m, r
      case 1: { const op = Math.floor(rand() * 8); out.push(pre(r), op * 8 + 3, ...modrm(r)); break; } // op r, r/m
      case 2: { const op = Math.floor(rand() * 8); out.push(pre(0), 0x83, ...modrm(op), byte()); break; }
      case 3: { const op = Math.floor(rand() * 8); out.push(pre(0), 0x81, ...modrm(op), byte(), byte(), byte(), byte()); break; }
      case 4: out.push(pre(r), pick([0x85, 0x89, 0x8b]), ...modrm(r)); break; // test, mov
      case 5: out.push(pre(0), 0xc7, ...modrm(0), byte(), byte(), byte(), byte()); break;
      case 6: { // lea r, [base + index*scale + disp8] (index 4: none): any registers, no memory access
        const b = Math.floor(rand() * 16), x = pick([0, 1, 2, 3, 4, 4, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
        out.push(rex(w, r, b, x), 0x8d, 0x44 | ((r & 7) << 3), (Math.floor(rand() * 4) << 6) | ((x & 7) << 3) | (b & 7), byte());
        break;
      }
      case 7: out.push(pre(r), 0x0f, pick([0xb6, 0xb7, 0xbe, 0xbf, 0xaf]), ...modrm(r)); break; // movzx, movsx, imul
      case 8: out.push(rex(1, r, useMem ? 0 : m, sib ? 15 : 0), 0x63, ...modrm(r)); break; // movsxd
      case 9: { const [op, ext] = pick([[0xff, 0], [0xff, 1], [0xf7, 2], [0xf7, 3]]); out.push(pre(0), op, ...modrm(ext)); break; } // inc dec not neg
      case 10: out.push(pre(0), 0xc1, ...modrm(pick([0, 1, 4, 5, 7])), pick([0, 64, byte() & 0x3f])); break; // rol ror shl shr sar
      case 15: // the same by CL, often 0 (mod the operand size), when the flags stay as they were
        out.push(0xb1, pick([0, 32, 64, 1, byte()]), pre(0), 0xd3, ...modrm(pick([0, 1, 4, 5, 7])));
        break;
      case 11: out.push(rex(0, 0, m), 0x0f, 0x90 + Math.floor(rand() * 16), regReg(0, m)); break; // setcc r8
      case 12: out.push(pre(r), 0x0f, 0x40 + Math.floor(rand() * 16), ...modrm(r)); break; // cmovcc
      case 13: out.push(rex(0, 0, r), 0x50 + (r & 7), rex(0, 0, m), 0x58 + (m & 7)); break; // push r; pop r'
      case 14: { // jcc over the next instruction (a 3-byte mov r, r): splits the body into blocks
        out.push(0x70 + Math.floor(rand() * 16), 3, rex(w, r, m), 0x89, regReg(r, m));
        break;
      }
      case 16: { // SSE2 integer op xmm, xmm/m128 (aligned: DATA + a multiple of 16)
        const x = Math.floor(rand() * 16), y = Math.floor(rand() * 16);
        const rm = useMem ? [0x45 | ((x & 7) << 3), 16 * Math.floor(rand() * 8)] : [regReg(x, y)];
        out.push(0x66, rex(0, x, useMem ? 0 : y), 0x0f, pick([0xef, 0xeb, 0xdb, 0xfc, 0xfe, 0x74, 0x76, 0xda, 0x60]), ...rm);
        break;
      }
      case 17: { // movdqa/movdqu/movaps/movups, loads and stores
        const x = Math.floor(rand() * 16), y = Math.floor(rand() * 16);
        const rm = useMem ? [0x45 | ((x & 7) << 3), 16 * Math.floor(rand() * 8)] : [regReg(x, y)];
        const [pfx, op] = pick([[0x66, 0x6f], [0x66, 0x7f], [0xf3, 0x6f], [0xf3, 0x7f], [0, 0x28], [0, 0x29], [0, 0x10], [0, 0x11]]);
        if (pfx) out.push(pfx);
        out.push(rex(0, x, useMem ? 0 : y), 0x0f, op, ...rm);
        break;
      }
      default: out.push(pre(r), 0x6b, ...modrm(r), byte()); // imul r, r/m, imm8
    }
  }
  return out;
}

function state(m: Machine): string {
  const regs = REG_NAMES.map((n) => `${n}=${m.reg(n).toString(16)}`).join(' ');
  const xmm = Array.from({ length: 16 }, (_, n) => m.xmm(n).toString(16)).join(' ');
  const data = Buffer.from(m.peek(DATA, 512)).toString('hex');
  const stack = Buffer.from(m.peek(STACK_TOP - 0x200, 0x200)).toString('hex');
  return `${regs} rip=${m.reg('rip').toString(16)} rflags=${m.reg('rflags').toString(16)}\n${xmm}\n${data}\n${stack}`;
}

const SEEDS = 300;
const ITERATIONS = 48; // more than HOT_BLOCK (32): the last iterations run compiled, as superblocks from SUPER
/** Runs after which the engine builds superblocks (SUPER_HOT, lowered so these short loops reach it). */
const SUPER = 36;
const hot = (code: number[]) => { const m = machine(code); m.engine.superHot = SUPER; return m; };

t.test(`compiled blocks agree with the interpreter on ${SEEDS} random loop bodies`, async (t) => {
  let bad = 0;
  for (let seed = 1; seed <= SEEDS && bad < 3; seed++) {
    const rand = rng(seed);
    const b = body(rand, 4 + Math.floor(rand() * 28));
    // body; dec r15; jne body; jmp .
    const code = [...b, 0x49, 0xff, 0xcf, 0x0f, 0x85, ...new Uint8Array(Int32Array.of(-(b.length + 9)).buffer), 0xeb, 0xfe];
    const init: Record<string, bigint> = {};
    for (const r of FREE) init[REG_NAMES[r]] = BigInt.asUintN(64, (BigInt(Math.floor(rand() * 2 ** 32)) << 32n) | BigInt(Math.floor(rand() * 2 ** 32)));
    init.rbp = BigInt(DATA);
    init.r15 = BigInt(ITERATIONS);
    const budget = ITERATIONS * (b.length + 2) + 50;
    const u32 = () => BigInt(Math.floor(rand() * 2 ** 32));
    const xmm = Array.from({ length: 16 }, () => (u32() << 96n) | (u32() << 64n) | (u32() << 32n) | u32());
    const start = (m: Machine) => { m.set(init); xmm.forEach((v, n) => m.setXmm(n, v)); return m; };
    const compiled = start(hot(code)).run(budget);
    const stepped = start(hot(code)).step(budget);
    const a = state(compiled), s = state(stepped);
    if (a !== s || compiled.last?.kind === 'fault') {
      bad++;
      t.fail(`seed ${seed}: ${Buffer.from(b).toString('hex')}`, { compiled: a, stepped: s, stop: compiled.last });
    }
  }
  t.equal(bad, 0, 'every body agrees');
});

t.test('a store into the running compiled block stops the inlined instructions after it', async (t) => {
  // The loop's body stores into its own next instruction on the last iteration: mov r, imm becomes
  // mov r, other imm. Compiled code must leave the block and run the new bytes.
  // 41 c6 06 XX       mov BYTE PTR [r14],XX   (r14 = address of the imm byte below)
  // b8 01 00 00 00    mov eax,0x1             (imm byte at offset 5)
  // 48 01 c3          add rbx,rax
  // 49 ff cf          dec r15
  // 75 ef             jne 0
  // eb fe             jmp .
  const code = [0x41, 0xc6, 0x06, 0x01, 0xb8, 0x01, 0, 0, 0, 0x48, 0x01, 0xc3, 0x49, 0xff, 0xcf, 0x75, 0xef, 0xeb, 0xfe];
  const m = hot(code);
  m.mem.protect(0x400000, 0x1000, 7);
  // Iterations 1..60 store 1 (no change in value, but each store drops the block); then the byte is 7.
  m.set({ r14: 0x400005n, r15: 60n, rbx: 0n });
  m.run(60 * 6);
  t.equal(m.reg('rbx'), 60n);
  code[3] = 0x07;
  const n = hot(code);
  n.mem.protect(0x400000, 0x1000, 7);
  n.set({ r14: 0x400005n, r15: 60n, rbx: 0n }).run(60 * 6);
  t.equal(n.reg('rbx'), 7n * 60n, 'every iteration adds the freshly stored immediate');
});

t.test('an SSE store into the running compiled block stops the inlined instructions after it', async (t) => {
  // 49 89 ee          mov r14,rbp             ; the store's target: DATA...
  // 48 83 f9 02       cmp rcx,0x2
  // 4c 0f 44 f2       cmove r14,rdx           ; ...but the code itself when rcx == 2 (the block is hot by then)
  // f3 41 0f 7f 06    movdqu [r14],xmm0       ; rewrites the next 16 bytes: mov eax,0x1 becomes mov eax,0x7
  // b8 01 00 00 00    mov eax,0x1
  // 48 01 c3          add rbx,rax
  // 48 ff c9          dec rcx
  // 75 e3             jne 0
  // eb fe             jmp .
  const code = [0x49, 0x89, 0xee, 0x48, 0x83, 0xf9, 0x02, 0x4c, 0x0f, 0x44, 0xf2, 0xf3, 0x41, 0x0f, 0x7f, 0x06,
    0xb8, 0x01, 0, 0, 0, 0x48, 0x01, 0xc3, 0x48, 0xff, 0xc9, 0x75, 0xe3, 0xeb, 0xfe];
  const patched = [...code.slice(16), 0];
  patched[1] = 0x07;
  const m = hot(code);
  m.mem.protect(0x400000, 0x1000, 7);
  m.set({ rbp: BigInt(DATA), rdx: 0x400010n, rcx: 60n, rbx: 0n });
  m.setXmm(0, patched.reduce((v, b, i) => v | (BigInt(b) << BigInt(8 * i)), 0n));
  m.run(60 * 8);
  t.equal(m.reg('rbx'), 58n + 7n + 7n, 'the rewritten mov runs in the very iteration that stored it');
  t.equal(m.reg('rcx'), 0n);
});

t.test('a fault in a compiled block sees the flags of the instruction before it, though a later one overwrites them', async (t) => {
  // The signal frame of a fault holds RFLAGS, so flag liveness must not drop flags a faulting
  // instruction could expose. rsi walks the data page until it runs off its end.
  // 48 01 d8          add rax,rbx             ; rbx = 2^63: SF PF set, the flags at the fault
  // 48 8b 0e          mov rcx,[rsi]           ; faults past DATA's pages
  // 48 31 c0          xor rax,rax             ; overwrites every flag the add wrote
  // 48 83 c6 08       add rsi,0x8
  // eb f1             jmp 0
  const code = [0x48, 0x01, 0xd8, 0x48, 0x8b, 0x0e, 0x48, 0x31, 0xc0, 0x48, 0x83, 0xc6, 0x08, 0xeb, 0xf1];
  const init = { rsi: BigInt(DATA), rbx: 1n << 63n, rax: 0n };
  const compiled = hot(code).set(init).run(10_000);
  const stepped = hot(code).set(init).step(10_000);
  t.equal(compiled.last?.kind, 'fault', 'the load faults');
  t.equal(compiled.reg('rip'), BigInt(0x400003), 'at the mov');
  t.equal(state(compiled), state(stepped), 'with the add\'s flags, as one instruction at a time');
});

t.test('a store into a later page of a superblock drops it', async (t) => {
  // A hot loop calls f on the next page; the compiled superblock runs the call, f and its ret as one.
  // When r15 reaches 5 the loop rewrites f's immediate: later calls must return the new value.
  // 400000: e8 fb 0f 00 00           call 401000 <f>
  // 400005: 48 01 c3                 add rbx,rax
  // 400008: 49 83 ff 05              cmp r15,0x5
  // 40000c: 75 07                    jne 400015
  // 40000e: c6 05 ec 0f 00 00 07     mov BYTE PTR [rip+0xfec],0x7   ; f's immediate, at 401001
  // 400015: 49 ff cf                 dec r15
  // 400018: 75 e6                    jne 400000
  // 40001a: eb fe                    jmp .
  // 401000: b8 01 00 00 00 c3        f: mov eax,0x1; ret
  const code = [0xe8, 0xfb, 0x0f, 0, 0, 0x48, 0x01, 0xc3, 0x49, 0x83, 0xff, 0x05, 0x75, 0x07,
    0xc6, 0x05, 0xec, 0x0f, 0, 0, 0x07, 0x49, 0xff, 0xcf, 0x75, 0xe6, 0xeb, 0xfe];
  const m = hot(code);
  m.mem.map(0x401000, 0x1000, 7);
  m.poke(0x401000, [0xb8, 0x01, 0, 0, 0, 0xc3]);
  m.set({ r15: 60n, rbx: 0n }).run(60 * 9);
  t.equal(m.reg('rbx'), 56n * 1n + 4n * 7n, 'the four calls after the store return 7');
  t.equal(m.reg('r15'), 0n);
});
