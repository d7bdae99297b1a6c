import t from 'tap';
import { machine } from './helpers/machine.js';
import { CF, ZF, SF, OF, PF, AF } from '../cpu/flags.js';

t.test('add rax, rbx carries out of 64 bits', async (t) => {
  // 48 01 d8    add rax,rbx
  const m = machine([0x48, 0x01, 0xd8]).set({ rax: 0xffffffffffffffffn, rbx: 1n }).step();
  t.same(m.diff({ rax: 0n, rip: 0x400003n }, { flags: CF | ZF | PF | AF }), []);
});

t.test('sub eax, imm8 zero-extends and sets SF', async (t) => {
  // 83 e8 05    sub eax,0x5
  const m = machine([0x83, 0xe8, 0x05]).set({ rax: 0xdead000000000003n }).step();
  t.same(m.diff({ rax: 0xfffffffen }, { flags: CF | SF | AF }), []);
});

t.test('cmp then jl takes the signed branch; add sets OF', async (t) => {
  // 48 39 d8 cmp rax,rbx ; 7c 02 jl +2 ; 90 nop ; 90 nop ; 04 7f add al,0x7f
  const m = machine([0x48, 0x39, 0xd8, 0x7c, 0x02, 0x90, 0x90, 0x04, 0x7f]).set({ rax: 1n, rbx: 2n }).step(3);
  t.same(m.diff({ rax: 0x80n, rip: 0x400009n }, { flags: SF | OF | AF }), []);
});

t.test('adc and sbb chain a 128-bit add and subtract', async (t) => {
  // 48 01 c8 add rax,rcx ; 48 11 da adc rdx,rbx ; 48 29 c8 sub rax,rcx ; 48 19 da sbb rdx,rbx
  const m = machine([0x48, 0x01, 0xc8, 0x48, 0x11, 0xda, 0x48, 0x29, 0xc8, 0x48, 0x19, 0xda])
    .set({ rax: 0xffffffffffffffffn, rdx: 5n, rcx: 1n, rbx: 2n }).step(2);
  t.same(m.diff({ rax: 0n, rdx: 8n }), []);
  m.step(2);
  t.same(m.diff({ rax: 0xffffffffffffffffn, rdx: 5n }, { flags: 0, dontCare: PF | AF | SF }), []);
});

t.test('inc keeps CF; dec to zero sets ZF', async (t) => {
  // f9 stc ; ff c0 inc eax ; ff c9 dec ecx
  const m = machine([0xf9, 0xff, 0xc0, 0xff, 0xc9]).set({ rax: 0x7fffffffn, rcx: 1n }).step(3);
  t.same(m.diff({ rax: 0x80000000n, rcx: 0n }, { flags: CF | ZF | PF }), []);
});

t.test('mov ah reaches byte 1 of rax; with REX the same encoding is spl', async (t) => {
  // b4 12 mov ah,0x12 ; 40 b4 34 mov spl,0x34
  const m = machine([0xb4, 0x12, 0x40, 0xb4, 0x34]).set({ rax: 0n, rsp: 0x7fe000n }).step(2);
  t.same(m.diff({ rax: 0x1200n, rsp: 0x7fe034n }), []);
});

t.test('a store to an unmapped address faults with the address', async (t) => {
  // 48 89 18 mov [rax],rbx
  const m = machine([0x48, 0x89, 0x18]).set({ rax: 0x1234n }).step();
  t.equal(m.last?.kind, 'fault');
  if (m.last?.kind === 'fault') {
    t.equal(m.last.fault.vector, 14);
    t.equal(m.last.fault.addr, 0x1234);
    t.equal(m.last.fault.errorCode, 6); // user | write, not present
  }
  t.equal(m.reg('rip'), 0x400000n, 'rip stays on the faulting instruction');
});

t.test('a breakpoint splits the block and its hook runs before the instruction', async (t) => {
  // 48 ff c0 inc rax ; 48 ff c0 inc rax ; 48 ff c0 inc rax ; eb fe jmp .
  const m = machine([0x48, 0xff, 0xc0, 0x48, 0xff, 0xc0, 0x48, 0xff, 0xc0, 0xeb, 0xfe]);
  const seen: bigint[] = [];
  m.engine.setBreakpoint(0x400006, (c) => { seen.push(c.get(0)); });
  m.run(4);
  t.same(seen, [2n], 'hook saw rax after two incs');
  t.equal(m.reg('rax'), 3n);
  m.engine.setBreakpoint(0x400009, () => { m.engine.stopRequested = true; });
  m.engine.clearBreakpoint(0x400006);
  m.set({ rip: 0x400000n, rax: 0n }).run(100);
  t.equal(m.last?.kind, 'stop');
  t.equal(m.reg('rip'), 0x400009n, 'stopped at the breakpoint, before the jmp');
  t.equal(m.reg('rax'), 3n);
});

t.test('a store into the running block is seen by the next instruction (self-modifying code)', async (t) => {
  // c6 05 02 00 00 00 c0  mov BYTE PTR [rip+0x2],0xc0  ; rewrites the next instruction's ModRM
  // 48 ff c8              dec rax   -> becomes 48 ff c0: inc rax
  // eb fe                 jmp .
  const m = machine([0xc6, 0x05, 0x02, 0, 0, 0, 0xc0, 0x48, 0xff, 0xc8, 0xeb, 0xfe]);
  m.mem.protect(0x400000, 0x1000, 7);
  m.set({ rax: 0n }).run(3);
  t.equal(m.reg('rax'), 1n, 'inc ran, not the decoded dec');
  t.equal(m.reg('rip'), 0x40000an);
});

t.test('self-modifying code inside a hot, compiled block', async (t) => {
  // 48 83 f9 02   cmp rcx,0x2
  // 48 0f 44 da   cmove rbx,rdx          ; on the iteration with rcx == 2, aim the store at the code
  // c6 03 c0      mov BYTE PTR [rbx],0xc0
  // 48 ff c8      dec rax                ; its ModRM (0x40000d) becomes c0: inc rax
  // 48 ff c9      dec rcx
  // 75 ed         jne 0x400000
  // eb fe         jmp .
  const m = machine([0x48, 0x83, 0xf9, 0x02, 0x48, 0x0f, 0x44, 0xda, 0xc6, 0x03, 0xc0, 0x48, 0xff, 0xc8, 0x48, 0xff, 0xc9, 0x75, 0xed, 0xeb, 0xfe]);
  m.mem.protect(0x400000, 0x1000, 7);
  m.set({ rax: 0n, rcx: 45n, rbx: 0x600000n, rdx: 0x40000dn }).run(45 * 6);
  t.equal(m.reg('rax'), BigInt.asUintN(64, -41n), '43 decs, then 2 incs');
  t.equal(m.reg('rcx'), 0n);
});

t.test('syscall and rdtsc see the exact count of instructions retired before them', async (t) => {
  // 90 nop ; 90 nop ; 0f 31 rdtsc ; 90 nop ; 0f 05 syscall ; eb fe jmp .
  const m = machine([0x90, 0x90, 0x0f, 0x31, 0x90, 0x0f, 0x05, 0xeb, 0xfe]);
  const seen: number[] = [];
  m.cpu.host = { syscall: (c) => { seen.push(c.icount); }, rdtsc: (c) => { c.thi = 0; return c.icount; } };
  m.run(5);
  t.equal(m.reg('rax'), 2n, 'rdtsc after two instructions (the test host counts one cycle each)');
  t.same(seen, [4], 'the syscall is the fifth instruction');
  t.equal(m.cpu.icount, 5);
});
