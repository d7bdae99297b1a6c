// The teaching kernel: one process, one thread, one CPU. It owns the CPU and its memory, answers the
// syscall instruction from the syscall table, turns CPU faults into signals, keeps time with a virtual
// clock that advances with retired instructions, and ticks update_vsyscall on every timer tick.
//
// It knows nothing of opcodes: it meets the CPU at the syscall door (CpuHost.syscall), the fault door
// (StopReason 'fault' from the engine), and guest memory.

import { Cpu, Reg, type CpuHost } from '../cpu/cpu.js';
import { Engine } from '../cpu/engine.js';
import { cpuidTable } from '../cpu/isa/cpuid.js';
import { GuestFault, Vector, PFErr, hex } from '../cpu/fault.js';
import { GuestMemory } from '../cpu/memory.js';
import { AddressSpace } from './mm.js';
import { OpenFile } from './fs/file.js';
import { Errno } from './errno.js';
import { defaultAction, SIGNAL_MESSAGES, signalName, type FaultSignal } from './signal.js';
import { exitToUserMode, forceSigFault } from './signals/deliver.js';
import { timerLimit } from './signals/itimer.js';
import { ia32Syscall } from './ia32.js';
import type { SigInfo } from './signals/siginfo.js';
import { SYSCALLS } from './syscalls/table.js';
import type { SyscallRow } from './syscalls/types.js';
import { defaultRlimits, RLIMIT, type Rlimit } from './rlimit.js';
import { clockNs } from './clock.js';
import { Timekeeper } from './time/timekeeping.js';
import { updateVsyscall, vvarView } from './time/vsyscall.js';
import { VVAR_SIZE } from './vdso/datapage.js';

/** The end of user space on x86-64 with 4-level paging: 2^47 minus the guard page. */
const TASK_SIZE_MAX = 0x7ffffffff000;

export interface KernelOptions {
  /** Realtime at boot, in ns since the epoch (tests fix it; `colonel run` uses the host's time). */
  epochNs?: bigint;
  /** 'virtual': time advances with retired instructions (deterministic); 'host': the host's clocks. */
  clock?: 'virtual' | 'host';
  /** Layout seed: null for the fixed layout (no randomization), a number for a repeatable random one. */
  seed?: number | null;
  /** Kernel parameters settable with --set (vnotb, ...). */
  params?: Record<string, number>;
  /** Where diagnostics (fault lines, unknown syscalls) go. */
  diag?: (line: string) => void;
  /** Map the vDSO (default true). */
  vdso?: boolean;
  /** The vsyscall page mode (default 'xonly' as modern Linux). */
  vsyscall?: 'xonly' | 'emulate' | 'none';
  /** CONFIG_IA32_EMULATION: `int $0x80` reaches the i386 syscall table (kernel/ia32.ts); default true. */
  ia32?: boolean;
}

/** How a process ended. */
export type ExitInfo =
  | { kind: 'exited'; status: number; code: number }
  | { kind: 'signaled'; status: number; signo: number; message: string; fault?: FaultSignal }
  | { kind: 'limit'; status: number };

/** Observers of crossings between user and kernel mode (the tracer and the step view listen). */
export interface KernelObserver {
  syscallEnter?(k: Kernel, row: SyscallRow | undefined, nr: number, args: number[]): void;
  syscallExit?(k: Kernel, row: SyscallRow | undefined, nr: number, args: number[], result: number): void;
  signal?(k: Kernel, info: ExitInfo): void;
  tick?(k: Kernel): void;
  /** An emulated call through the vsyscall page (no syscall instruction ran). */
  vsyscall?(k: Kernel, name: string, nr: number, args: number[], result: number): void;
  /**
   * get_signal took `signo` off the queue, before acting on it: where a ptrace tracer sees it (strace's
   * `--- SIG {...} ---`). `action` is what happens next: discarded, the default action, or the handler.
   */
  sigdequeue?(k: Kernel, signo: number, info: SigInfo, action: 'ignore' | 'default' | 'handler'): void;
  /** A signal handler is entered (its frame is built; rip is the handler). */
  sigdeliver?(k: Kernel, signo: number, info: SigInfo, handler: number): void;
}

export class Kernel implements CpuHost {
  readonly mem = new GuestMemory();
  readonly cpu = new Cpu(this.mem);
  readonly engine: Engine;
  readonly mm = new AddressSpace(this.mem);
  readonly fds = new Map<number, OpenFile>();
  readonly options: Required<Omit<KernelOptions, 'epochNs'>> & { epochNs: bigint };
  readonly params: Record<string, number>;
  readonly observers: KernelObserver[] = [];
  pid = 1000;
  cwd = process.cwd();
  exePath = '';
  argv: string[] = [];
  /** The auxiliary vector given at exec, for /proc/self/auxv. */
  auxv: [number, number][] = [];
  exit: ExitInfo | null = null;
  /** Syscalls reported once as unknown. */
  private readonly reported = new Set<number | string>();
  /** rt_sigaction state: struct kernel_sigaction per signal (delivery: kernel/signals/). */
  readonly sigactions = new Map<number, Uint8Array>();
  sigmask = 0n;
  tidAddress = 0;

  // ---- process state kept by the syscall layer (kernel/syscalls/) ----
  /** Signals sent while blocked, bit signo-1; acted on when unblocked (kernel/syscalls/signal.ts). */
  sigpending = 0n;
  /** sigaltstack: sas_ss_sp, sas_ss_size (0: none) and sas_ss_flags as the program set them (kernel/signals/altstack.ts). */
  altstack = { sp: 0, size: 0, flags: 0 };
  /** Descriptors with FD_CLOEXEC set: a flag of the descriptor, not of the open file it refers to. */
  readonly cloexec = new Set<number>();
  /** getrlimit/setrlimit: [soft, hard] per RLIMIT_* (kernel/rlimit.ts). RLIMIT_NOFILE caps allocFd. */
  readonly rlimits: Rlimit[] = defaultRlimits();
  umask = 0o022;
  pgid = this.pid;
  /** The session: the shell that started us leads it, as getppid() reports. */
  sid = this.pid - 1;
  robustList = 0;
  /** Virtual time spent asleep: nanosleep advances the clock by this instead of sleeping the host. */
  sleptNs = 0n;
  /** cyclesForNs(sleptNs) as a number, for rdtsc; recomputed when sleptNs changes. */
  private sleptCycles = 0;
  private sleptNsCounted = 0n;

  /** Timekeeping over the TSC (kernel/time/timekeeping.ts); its state is what vvar publishes. */
  readonly tk: Timekeeper;
  /** The vvar page, shared read-only with the guest at [vvar]; written only by update_vsyscall. */
  readonly vvar = new Uint8Array(VVAR_SIZE);
  readonly vvarView = vvarView(this.vvar);
  /** Where the vDSO is mapped (AT_SYSINFO_EHDR), 0 when it is not. */
  vdsoBase = 0;
  private readonly hostBootNs = process.hrtime.bigint();

  constructor(opts: KernelOptions = {}) {
    this.options = {
      epochNs: opts.epochNs ?? 1_700_000_000_000_000_000n,
      clock: opts.clock ?? 'virtual',
      seed: opts.seed ?? null,
      params: opts.params ?? {},
      diag: opts.diag ?? ((line) => process.stderr.write(line + '\n')),
      vdso: opts.vdso ?? true,
      vsyscall: opts.vsyscall ?? 'xonly',
      ia32: opts.ia32 ?? true,
    };
    this.params = { vnotb: 666, ...opts.params };
    this.cpu.host = this;
    this.engine = new Engine(this.cpu);
    const epochNs = this.options.clock === 'host' ? BigInt(Date.now()) * 1_000_000n : this.options.epochNs;
    this.tk = new Timekeeper({ epochNs });
    updateVsyscall(this.vvarView, this.tk, { vnotb: this.params.vnotb });
  }

  // ---- the syscall door ----

  syscall(cpu: Cpu): void {
    const nrHi = cpu.r32[1];
    const nr = nrHi === 0 ? cpu.r32[0] : -1;
    const row = nr >= 0 ? SYSCALLS[nr] : undefined;
    const args = [cpu.getS(Reg.RDI), cpu.getS(Reg.RSI), cpu.getS(Reg.RDX), cpu.getS(Reg.R10), cpu.getS(Reg.R8), cpu.getS(Reg.R9)];
    this.doSyscall(64, row, nr, args, `syscall ${nr >= 0 ? nr : cpu.get(Reg.RAX)}`);
  }

  /**
   * A syscall from either door (`syscall`, or `int $0x80` through kernel/ia32.ts): the observers
   * around the table's row, the result into rax, then the way back to user mode (signals, restarts).
   */
  doSyscall(abi: 64 | 32, row: SyscallRow | undefined, nr: number, args: number[], what: string): void {
    this.syscallAbi = abi;
    for (const o of this.observers) o.syscallEnter?.(this, row, nr, args);
    let result = this.invokeSyscall(row, nr, args, what);
    // The compat handlers return an int or a 32-bit long: sign-extended into rax.
    if (abi === 32) result |= 0;
    if (!this.exit) this.cpu.setN(Reg.RAX, result);
    for (const o of this.observers) o.syscallExit?.(this, row, nr, args, result);
    this.syscallAbi = 64;
    // A restart runs the same instruction again with the number in eax.
    exitToUserMode(this, abi === 32 ? nr >>> 0 : nr);
  }

  /**
   * Run a syscall table's row: an unknown call is -ENOSYS (one diagnostic line, naming it `what`), a
   * bad user pointer met by copy_from_user/copy_to_user fails the call with -EFAULT.
   */
  private invokeSyscall(row: SyscallRow | undefined, nr: number, args: number[], what: string): number {
    if (!row) {
      this.reportUnknownSyscall(nr, what);
      return -Errno.ENOSYS;
    }
    try {
      return row.handler(this, args[0], args[1], args[2], args[3], args[4], args[5]);
    } catch (e) {
      if (e instanceof GuestFault) return -Errno.EFAULT;
      throw e;
    }
  }

  /** The ABI of the syscall being made: 64 (syscall), 32 (int $0x80, kernel/ia32.ts). */
  syscallAbi: 64 | 32 = 64;

  /** One diag line per unknown call. */
  reportUnknownSyscall(nr: number, what: string): void {
    const key = this.syscallAbi === 32 ? `i386:${nr}` : nr;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.options.diag(`colonel: unknown ${what}, returning -ENOSYS`);
  }

  /**
   * The TSC: with the virtual clock, cycles of retired instructions plus cycles slept (nanosleep
   * advances time without running); with the host clock, the host's monotonic time at the same rate.
   */
  tsc(): bigint {
    if (this.options.clock === 'host') return ((process.hrtime.bigint() - this.hostBootNs) * BigInt(this.tk.tscHz)) / 1_000_000_000n;
    return this.tk.tscFromInstructions(this.cpu.icount) + this.tk.cyclesForNs(this.sleptNs);
  }

  /**
   * The rdtsc door (CpuHost): tsc() in plain numbers while the TSC is below 2^53 (34 days of
   * virtual time at 3 GHz), since this is on the vDSO's hot path; BigInt past that.
   */
  rdtsc(cpu: Cpu): number {
    if (this.options.clock !== 'host') {
      if (this.sleptNs !== this.sleptNsCounted) {
        this.sleptCycles = Number(this.tk.cyclesForNs(this.sleptNs));
        this.sleptNsCounted = this.sleptNs;
      }
      const t = cpu.icount * this.tk.cyclesPerInstruction + this.sleptCycles;
      if (t <= Number.MAX_SAFE_INTEGER) {
        cpu.thi = (t / 4294967296) | 0;
        return t | 0;
      }
    }
    const t = this.tsc();
    cpu.thi = Number(BigInt.asIntN(32, t >> 32n));
    return Number(BigInt.asIntN(32, t));
  }

  /** Nanoseconds on clock `id` (CLOCK_*), null for an invalid clock. The time syscalls read only this. */
  clockNs(id: number): bigint | null {
    return clockNs(this, id);
  }

  // ---- process end ----

  /** exit/exit_group: the process is gone when the current instruction completes. */
  exitProcess(code: number): void {
    this.exit = { kind: 'exited', status: code & 0xff, code: code & 0xff };
    this.engine.stopRequested = true;
  }

  /** Terminate by a signal's default action, with the line a kernel logs and the shell's status. */
  killBySignal(signo: number, fault?: FaultSignal, detail = ''): void {
    const message = SIGNAL_MESSAGES[signo] ?? signalName(signo);
    const core = defaultAction(signo) === 'core';
    this.exit = { kind: 'signaled', status: 128 + signo, signo, message: message + (core ? ' (core dumped)' : ''), fault };
    if (detail) this.options.diag(detail);
    for (const o of this.observers) o.signal?.(this, this.exit);
    this.engine.stopRequested = true;
  }

  // ---- the fault door ----

  /** A CPU exception: grow the stack, emulate a vsyscall, or deliver the signal Linux would. */
  handleFault(f: GuestFault): void {
    if (f.vector === Vector.PF && !(f.errorCode & PFErr.PRESENT) && this.mm.growStack(f.addr)) return;
    // `int $0x80`: the CPU's #GP for IDT entry 0x80 is the 32-bit syscall gate (kernel/ia32.ts).
    if (ia32Syscall(this, f)) return;
    if (!this.vsyscallFault?.(f)) this.raiseFaultSignal(f);
    // Back to user mode: a signal the fault raised is delivered now (kernel/signals/deliver.ts): its
    // handler is entered, or the process ends.
    exitToUserMode(this, -1, f);
  }

  private raiseFaultSignal(f: GuestFault): void {
    // arch/x86/mm/fault.c __bad_area_nosemaphore: a user access at or above TASK_SIZE_MAX (the
    // vsyscall page in every mode, any kernel address) always reports a protection fault, so as not
    // to leak which kernel pages exist: a read of the page under vsyscall=none is error 5, not 4.
    if (f.vector === Vector.PF && (f.addr < 0 || f.addr >= TASK_SIZE_MAX) && !(f.errorCode & PFErr.PRESENT)) {
      const rip = f.rip;
      f = new GuestFault(f.vector, f.addr, f.errorCode | PFErr.PRESENT, f.detail);
      f.rip = rip;
    }
    forceSigFault(this, f, (sig) => this.faultLine(f, sig));
  }

  /** AT_HWCAP: CPUID leaf 1 EDX of the CPU colonel presents, as x86-64 Linux passes it (elf_hwcap). */
  hwcap(): number {
    return cpuidTable().lookup(1, 0)[3] >>> 0;
  }

  /** Hook for the vsyscall page's emulation (kernel/vsyscall.ts installs it). */
  vsyscallFault: ((f: GuestFault) => boolean) | null = null;
  /** Hook for the disassembler, to name the faulting instruction (lib installs it to keep layers apart). */
  describeInsn: ((addr: number) => string) | null = null;

  /** The kernel's log line for a fatal fault, as dmesg shows it (arch/x86/mm/fault.c show_signal_msg). */
  faultLine(f: GuestFault, sig: FaultSignal): string {
    const name = this.exePath.split('/').pop() || 'guest';
    const ip = hex(f.rip).padStart(16, '0');
    const sp = hex(this.cpu.getS(Reg.RSP)).padStart(16, '0');
    const what = sig.signo === 11 && f.vector === Vector.PF ? `segfault at ${hex(f.addr)} ip ${ip} sp ${sp} error ${f.errorCode.toString(16)}`
      : f.vector === Vector.GP ? `general protection fault ip:${hex(f.rip)} sp:${hex(this.cpu.getS(Reg.RSP))} error:0`
      : f.vector === Vector.UD ? `trap invalid opcode ip:${hex(f.rip)} sp:${hex(this.cpu.getS(Reg.RSP))} error:0`
      : f.vector === Vector.DE ? `trap divide error ip:${hex(f.rip)} sp:${hex(this.cpu.getS(Reg.RSP))} error:0`
      : `trap ${f.vector} ip:${hex(f.rip)}`;
    const vma = this.mm.find(f.rip);
    const where = vma ? ` in ${vma.name.split('/').pop() || 'anon'}[${hex(vma.start)}+${hex(vma.end - vma.start)}]` : '';
    const insn = this.describeInsn?.(f.rip) ?? '';
    return `colonel: ${name}[${this.pid}]: ${what}${where}${insn ? ` code: ${insn}` : ''} -> ${signalName(sig.signo)}${f.detail && f.vector === Vector.UD ? ` (${f.detail})` : ''}`;
  }

  // ---- running ----

  /**
   * A timer tick (HZ times a second of guest time): the timekeeper advances and update_vsyscall
   * rewrites vvar under its seqlock (kernel/time/vsyscall.ts), as Linux's tick handler does.
   */
  timerTick(): void {
    if (this.tk.tick(this.tsc()) === 0) return;
    updateVsyscall(this.vvarView, this.tk, { vnotb: this.params.vnotb });
    for (const o of this.observers) o.tick?.(this);
  }

  /** Instructions until the next tick is due (at least 1). */
  private insnsToTick(): number {
    if (this.options.clock === 'host') return 1_000_000;
    const cycles = this.tk.nextTickTsc - this.tsc();
    return cycles <= 0n ? 1 : Math.ceil(Number(cycles) / this.tk.cyclesPerInstruction);
  }

  /** Run until the process ends or `maxInsns` more instructions retire. */
  run(maxInsns = Infinity): ExitInfo {
    const stopAt = this.cpu.icount + maxInsns;
    while (!this.exit) {
      const limit = Math.min(this.cpu.icount + this.insnsToTick(), stopAt, timerLimit(this));
      const r = this.engine.run(limit);
      if (r.kind === 'fault') this.handleFault(r.fault);
      if (this.tsc() >= this.tk.nextTickTsc) this.timerTick();
      exitToUserMode(this);
      if (!this.exit && this.cpu.icount >= stopAt) return { kind: 'limit', status: 124 };
    }
    return this.exit;
  }

  // ---- file descriptors ----

  /** The lowest free descriptor (POSIX), or -EMFILE past RLIMIT_NOFILE. */
  allocFd(f: OpenFile, min = 0): number {
    let fd = min;
    while (this.fds.has(fd)) fd++;
    if (fd >= this.fdLimit()) return -Errno.EMFILE;
    this.fds.set(fd, f);
    return fd;
  }

  /** Descriptors must be below this (RLIMIT_NOFILE's soft limit). */
  fdLimit(): number {
    return Number(this.rlimits[RLIMIT.NOFILE].cur);
  }

  file(fd: number): OpenFile | undefined {
    return this.fds.get(fd);
  }
}
