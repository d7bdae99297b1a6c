// Signals and faults as Linux delivers them (kernel/signals/, cpu/engine.ts single-stepping).
//  1. Guest programs (fixtures/signals/*.c, static musl and glibc) that fault and take signals under
//     SA_SIGINFO handlers and print what the kernel told them: under colonel against the recording,
//     and natively too on an x86-64 Linux host (the vsys cases only where the host's vsyscall= mode is
//     the case's).
//  2. The frame byte for byte where no native run can show it: colonel has no XSAVE, so its frame is
//     what Linux builds on such a CPU (uc_flags, the fxsave area and its software-reserved bytes).
//  3. Timing: a timer's signal arrives between the same two instructions, the first at which the
//     clock has reached the expiry.
//  4. The engine: TF single-steps from the instruction after the popf that set it, in interpreted
//     and compiled blocks alike, and a block run without TF is untouched.
//  5. Edge cases on a bare kernel: rt_sigreturn on a bad frame, a handler without SA_RESTORER.

import t from 'tap';
import * as fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createProcess, runProgram } from '../lib/api.js';
import { Kernel } from '../kernel/kernel.js';
import { Reg } from '../cpu/cpu.js';
import { Vector } from '../cpu/fault.js';
import { SINGLE_STEP } from '../cpu/engine.js';
import { PROT_READ, PROT_WRITE } from '../cpu/memory.js';
import { CLOCK } from '../kernel/clock.js';
import { Errno } from '../kernel/errno.js';
import { RLIMIT } from '../kernel/rlimit.js';
import { SYSCALLS_BY_NAME } from '../kernel/syscalls/table.js';
import { sigState } from '../kernel/signals/state.js';
import { FRAME, UC, SC, FP_XSTATE_MAGIC1 } from '../kernel/signals/frame.js';
import { NATIVE, TEST_EPOCH_NS } from './helpers/fixtures.js';
import { machine, CODE, DATA } from './helpers/machine.js';

interface Case {
  name: string;
  binary: string;
  args: string[];
  vsyscall?: 'xonly' | 'emulate' | 'none';
}
const CASES = JSON.parse(fs.readFileSync('fixtures/signals/cases.json', 'utf8')) as Case[];

/** The host's vsyscall= mode, from its own maps line. */
const HOST_VSYSCALL = !NATIVE ? null : (() => {
  const line = fs.readFileSync('/proc/self/maps', 'utf8').split('\n').find((l) => l.endsWith('[vsyscall]'));
  return !line ? 'none' : line.includes(' r-xp ') ? 'emulate' : 'xonly';
})();

function recorded(c: Case) {
  return {
    stdout: fs.readFileSync(`fixtures/signals/expected/${c.name}.stdout`, 'utf8'),
    status: Number(fs.readFileSync(`fixtures/signals/expected/${c.name}.status`, 'utf8').trim()),
  };
}

// ---- 1. the fixtures ----

t.test('fixtures/signals: every case as recorded, and as the native run where the host can run it', async (t) => {
  for (const c of CASES) {
    const r = runProgram(c.binary, { argv: [c.binary, ...c.args], env: {}, epochNs: TEST_EPOCH_NS, vsyscall: c.vsyscall ?? 'xonly' });
    const want = recorded(c);
    t.same({ stdout: r.stdout, status: r.status }, want, c.name);
    if (NATIVE && (c.vsyscall ?? HOST_VSYSCALL) === HOST_VSYSCALL) {
      const n = spawnSync('/usr/bin/env', ['-i', c.binary, ...c.args], { encoding: 'utf8' });
      const status = n.status ?? 128 + (n.signal === 'SIGSEGV' ? 11 : n.signal === 'SIGABRT' ? 6 : n.signal === 'SIGALRM' ? 14 : 0);
      t.same({ stdout: n.stdout, status }, want, `${c.name}: the native run still gives the recording`);
    }
  }
});

t.test('a death by a fault says what the kernel would log, and only then', async (t) => {
  const r = runProgram('fixtures/signals/faults', { argv: ['faults', 'nohandler'], env: {}, epochNs: TEST_EPOCH_NS });
  t.equal(r.status, 139);
  t.match(r.diagnostics.join('\n'), /faults\[\d+\]: segfault at 0 ip [0-9a-f]{16} sp [0-9a-f]{16} error 4 in faults/, 'the segfault line');
  t.same(r.exit.kind === 'signaled' && r.exit.fault && [r.exit.fault.code, r.exit.fault.addr, r.exit.fault.err, r.exit.fault.trapno], [1, 0, 4, 14], 'SEGV_MAPERR at 0, error 4, trap 14');
  const handled = runProgram('fixtures/signals/faults', { argv: ['faults'], env: {}, epochNs: TEST_EPOCH_NS });
  t.notMatch(handled.diagnostics.join('\n'), /segfault at/, 'handled faults are not logged');
});

// ---- 2. the frame, byte for byte ----

t.test('the rt_sigframe as Linux builds it on a CPU without XSAVE', async (t) => {
  const p = createProcess('fixtures/signals/frame', { argv: ['frame'], env: {}, epochNs: TEST_EPOCH_NS });
  const k = p.kernel;
  let checked = false;
  k.observers.push({
    sigdeliver: (k, signo, info, handler) => {
      if (checked || signo !== 10) return;
      checked = true;
      const c = k.cpu;
      const frame = c.getS(Reg.RSP);
      const m = k.mem;
      const u64 = (a: number) => new DataView(m.readBytes(a, 8).buffer).getBigUint64(0, true);
      const u32 = (a: number) => new DataView(m.readBytes(a, 4).buffer).getUint32(0, true);
      const i32 = (a: number) => new DataView(m.readBytes(a, 4).buffer).getInt32(0, true);
      t.equal(frame % 16, 8, 'rsp ≡ 8 (mod 16), as after a call');
      t.equal(c.rip, handler, 'rip = the handler');
      t.same([c.get(Reg.RDI), c.getS(Reg.RSI), c.getS(Reg.RDX), c.get(Reg.RAX)], [10n, frame + FRAME.info, frame + FRAME.uc, 0n], 'rdi, rsi, rdx, rax');
      const act = k.sigactions.get(10)!;
      t.equal(u64(frame), new DataView(act.buffer).getBigUint64(16, true), 'pretcode = sa_restorer');
      const uc = frame + FRAME.uc;
      t.equal(u64(uc + UC.flags), 6n, 'uc_flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS (no UC_FP_XSTATE)');
      t.equal(u64(uc + UC.link), 0n, 'uc_link');
      t.same([u64(uc + UC.stack), i32(uc + UC.stack + 8), u64(uc + UC.stack + 16)], [0n, 0, 0n], 'uc_stack: no alternate stack, flags as set (0)');
      const mc = uc + UC.mcontext;
      t.equal(u64(mc + SC.cs) & 0xffffffffffffn, 0x33n, 'cs 0x33, gs 0, fs 0');
      t.equal(Number(u64(mc + SC.cs) >> 48n), 0x2b, 'ss 0x2b');
      t.equal(u64(uc + UC.sigmask), 1n << 14n, 'uc_sigmask: SIGTERM, blocked when it was raised');
      t.equal(u64(mc + SC.oldmask), 1n << 14n, 'oldmask likewise');
      const fp = Number(u64(mc + SC.fpstate));
      t.equal(fp % 64, 0, 'fpstate 64-byte aligned');
      t.equal(fp - frame, 456, 'directly above the frame');
      t.equal(u32(fp) & 0xffff, 0x37f, 'FCW');
      t.equal(u32(fp + 24), 0x1f80, 'MXCSR');
      t.equal(u32(fp + 28), 0xffff, 'MXCSR_MASK');
      t.same(m.readBytes(fp + 160, 16), new Uint8Array(16).fill(0x3c), 'xmm0 as interrupted');
      t.same([u32(fp + 464), u32(fp + 468), u64(fp + 472), u32(fp + 480)], [FP_XSTATE_MAGIC1, 516, 0n, 512],
        'sw_reserved: FP_XSTATE_MAGIC1, extended_size 516, xfeatures 0, xstate_size 512');
      t.same(m.readBytes(fp + 484, 28), new Uint8Array(28), 'sw_reserved padding zero');
      t.same([i32(frame + FRAME.info), i32(frame + FRAME.info + 4), i32(frame + FRAME.info + 8), i32(frame + FRAME.info + 16), i32(frame + FRAME.info + 20)],
        [10, 0, -6, k.pid, 0], 'siginfo: SIGUSR1, errno 0, SI_TKILL, si_pid, si_uid');
      t.equal(info.code, -6, 'the observer sees the same siginfo');
      t.equal(c.flags & 0x500, 0, 'DF and TF clear in the handler');
    },
  });
  k.run();
  t.ok(checked, 'the first SIGUSR1 was seen');
  t.equal(k.exit?.status, 0);
});

// ---- 3. timers to the instruction ----

t.test('a timer signal arrives at the first instruction at which the clock reached the expiry', async (t) => {
  const p = createProcess('fixtures/signals/timers', { argv: ['timers'], env: {}, epochNs: TEST_EPOCH_NS });
  const k = p.kernel;
  let deadline: bigint | null = null;
  const seen: { icount: number; now: bigint; before: bigint }[] = [];
  const mono = (tsc: bigint) => { const ts = k.tk.readClock(CLOCK.MONOTONIC, tsc)!; return ts.sec * 1_000_000_000n + ts.nsec; };
  k.observers.push({
    syscallExit: (k, row) => {
      // musl's alarm() is setitimer too: keep the last armed ITIMER_REAL before the first SIGALRM.
      if (row?.name === 'setitimer' && !seen.length) deadline = sigState(k).itimers[0]?.deadline ?? deadline;
    },
    sigdeliver: (k, signo) => {
      if (signo !== 14 || seen.length) return;
      const tsc = k.tsc();
      seen.push({ icount: k.cpu.icount, now: mono(tsc), before: mono(tsc - BigInt(k.tk.cyclesPerInstruction)) });
    },
  });
  k.run();
  t.ok(deadline !== null, 'setitimer armed ITIMER_REAL');
  t.equal(seen.length, 1);
  t.ok(seen[0].now >= deadline!, 'the clock has reached the expiry');
  t.ok(seen[0].before < deadline!, 'one instruction earlier it had not');
  const again = createProcess('fixtures/signals/timers', { argv: ['timers'], env: {}, epochNs: TEST_EPOCH_NS });
  let icount = -1;
  again.kernel.observers.push({ sigdeliver: (k, signo) => { if (signo === 14 && icount < 0) icount = k.cpu.icount; } });
  again.kernel.run();
  t.equal(icount, seen[0].icount, 'at the same instruction on every run');
});

// ---- 4. the engine ----

t.test('TF: a debug trap after each instruction, from the one after the popf that set it', async (t) => {
  // pushf; or qword [rsp], 0x100; popf; nop; inc eax; pushf; and qword [rsp], ~0x100; popf; inc eax; hlt
  const code = [0x9c, 0x48, 0x81, 0x0c, 0x24, 0x00, 0x01, 0x00, 0x00, 0x9d, 0x90, 0xff, 0xc0,
    0x9c, 0x48, 0x81, 0x24, 0x24, 0xff, 0xfe, 0xff, 0xff, 0x9d, 0xff, 0xc0, 0xf4];
  const m = machine(code);
  const traps: number[] = [];
  for (let i = 0; i < 10; i++) {
    m.run(100);
    const r = m.last!;
    if (r.kind !== 'fault' || r.fault.vector !== Vector.DB) break;
    t.equal(r.fault.detail, SINGLE_STEP);
    t.equal(r.fault.rip, m.cpu.rip, 'reported at the next instruction');
    traps.push(m.cpu.rip - CODE);
  }
  // after nop (11), inc (13), pushf (14), and (22), and popf (23), which cleared TF but began with it
  t.same(traps, [11, 13, 14, 22, 23], 'traps');
  t.equal(m.last?.kind === 'fault' && m.last.fault.vector, Vector.GP, 'then the hlt faults, untrapped');
  t.equal(m.cpu.get(Reg.RAX), 2n, 'every instruction ran once');
});

t.test('TF set by a popf inside a compiled block leaves the block at the next instruction', async (t) => {
  // L: mov rax, [rdi]; push rax; popf; nop; dec ecx; jnz L; hlt
  const code = [0x48, 0x8b, 0x07, 0x50, 0x9d, 0x90, 0xff, 0xc9, 0x75, 0xf6, 0xf4];
  const m = machine(code).set({ rdi: BigInt(DATA), rcx: 100n });
  m.poke(DATA, [0x02, 0x02, 0, 0, 0, 0, 0, 0]); // IF and the fixed bit: TF clear
  m.run(6 * 50); // 50 iterations: the loop block is compiled by now
  t.equal(m.cpu.get(Reg.RCX), 50n);
  t.equal(m.last?.kind, 'limit');
  m.poke(DATA, [0x02, 0x03, 0, 0, 0, 0, 0, 0]); // now popf sets TF
  m.run(100);
  t.same(m.last?.kind === 'fault' && [m.last.fault.vector, m.cpu.rip - CODE], [Vector.DB, 6], 'the nop ran, then the trap (rip at dec)');
  m.run(100);
  t.same(m.last?.kind === 'fault' && [m.last.fault.vector, m.cpu.rip - CODE], [Vector.DB, 8], 'dec, then a trap');
  t.equal(m.cpu.get(Reg.RCX), 49n);
});

t.test('without TF the block engine runs as before', async (t) => {
  const code = [0x48, 0x8b, 0x07, 0x50, 0x9d, 0x90, 0xff, 0xc9, 0x75, 0xf6, 0xf4];
  const m = machine(code).set({ rdi: BigInt(DATA), rcx: 1000n });
  m.poke(DATA, [0x02, 0x02, 0, 0, 0, 0, 0, 0]);
  m.run(100000);
  t.same(m.last?.kind === 'fault' && [m.last.fault.vector, m.cpu.icount], [Vector.GP, 6000], 'the loop, then hlt');
});

// ---- 5. a bare kernel ----

function bare() {
  const diags: string[] = [];
  const k = new Kernel({ diag: (l) => diags.push(l), epochNs: TEST_EPOCH_NS });
  k.mm.mapRegion(0x10000, 0x20000, PROT_READ | PROT_WRITE);
  k.cpu.setN(Reg.RSP, 0x28000);
  const sys = (name: string, ...args: number[]) => {
    const row = SYSCALLS_BY_NAME.get(name)!;
    k.cpu.setN(Reg.RAX, row.nr);
    [Reg.RDI, Reg.RSI, Reg.RDX, Reg.R10, Reg.R8, Reg.R9].forEach((r, i) => k.cpu.setN(r, args[i] ?? 0));
    k.syscall(k.cpu);
    return k.cpu.getS(Reg.RAX);
  };
  const put = (addr: number, ...vals: bigint[]) => vals.forEach((v, i) => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, v, true);
    k.mem.poke(addr + 8 * i, b);
  });
  return { k, sys, put, diags };
}

t.test('rt_sigreturn on a frame that is not there is SIGSEGV', async (t) => {
  const { k, sys, diags } = bare();
  k.cpu.setN(Reg.RSP, 0x5000); // unmapped
  sys('rt_sigreturn');
  t.same(k.exit && [k.exit.kind, k.exit.status], ['signaled', 139]);
  t.match(diags.join('\n'), /bad frame in rt_sigreturn/);
});

t.test('a handler without SA_RESTORER cannot be entered: SIGSEGV instead', async (t) => {
  const { k, sys, put } = bare();
  put(0x10000, 0x401000n, 4n /* SA_SIGINFO only */, 0n, 0n);
  t.equal(sys('rt_sigaction', 10, 0x10000, 0, 8), 0);
  t.equal(sys('kill', k.pid, 10), 0);
  t.same(k.exit && [k.exit.kind, k.exit.status], ['signaled', 139], 'x86-64 requires a restorer (force_sigsegv)');
});

t.test('a handler is entered at syscall exit; nested deliveries; sigreturn comes back', async (t) => {
  const { k, sys, put } = bare();
  put(0x10000, 0x401000n, 0x04000004n, 0x402000n, 0n); // SA_SIGINFO | SA_RESTORER
  t.equal(sys('rt_sigaction', 10, 0x10000, 0, 8), 0);
  k.cpu.setN(Reg.RBX, 0x1234);
  k.cpu.rip = 0x400123;
  t.equal(sys('kill', k.pid, 10), 0, 'kill returns 0 first');
  t.equal(k.exit, null);
  t.equal(k.cpu.rip, 0x401000, 'then the handler');
  const frame = k.cpu.getS(Reg.RSP);
  t.equal(k.sigmask, 1n << 9n, 'SIGUSR1 blocked while it runs');
  // The handler "returns": the restorer's syscall runs with rsp = frame + 8.
  k.cpu.setN(Reg.RSP, frame + 8);
  k.cpu.setN(Reg.RBX, 0);
  sys('rt_sigreturn');
  t.same([k.cpu.rip, k.cpu.getS(Reg.RBX), k.cpu.getS(Reg.RSP), k.cpu.getS(Reg.RAX), k.sigmask], [0x400123, 0x1234, 0x28000, 0, 0n], 'rip, rbx, rsp, rax (kill\'s 0), mask restored');
});

t.test('queued real-time signals stop at RLIMIT_SIGPENDING: sigqueue then fails with EAGAIN', async (t) => {
  const { k, sys, put } = bare();
  k.rlimits[RLIMIT.SIGPENDING].cur = 4n;
  put(0x10000, 1n << 33n); // block SIGRTMIN (34)
  t.equal(sys('rt_sigprocmask', 0, 0x10000, 0, 8), 0);
  k.mem.poke(0x10100, new Uint8Array(128));
  put(0x10108, BigInt.asUintN(64, -1n)); // si_code SI_QUEUE (and si_errno 0)
  k.mem.poke(0x1010c, new Uint8Array(4));
  const results = Array.from({ length: 6 }, () => sys('rt_sigqueueinfo', k.pid, 34, 0x10100));
  t.same(results, [0, 0, 0, 0, -Errno.EAGAIN, -Errno.EAGAIN], 'four queued, then EAGAIN');
  t.equal(sigState(k).queue.get(34)?.length, 4);
});
