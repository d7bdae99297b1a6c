// The legacy vsyscall page (arch/x86/entry/vsyscall/vsyscall_64.c).
//
// Before the vDSO, x86-64 Linux mapped one page at the fixed address 0xffffffffff600000 holding three
// functions at fixed offsets: gettimeofday (+0x000), time (+0x400) and getcpu (+0x800). A fixed
// address is a gift to exploits, so modern kernels no longer run code there. In the default mode,
// xonly, the page is execute-only: a data read faults, and an instruction fetch at exactly one of the
// three entry points faults too, but the kernel recognises it, performs the call as a syscall would,
// and emulates the `ret` (pops the return address into rip). A fetch anywhere else is SIGSEGV.
// `emulate` additionally lets programs read the page (it holds `mov rax, NR; syscall; ret` stubs);
// `none` maps nothing. colonel's CPU raises the fetch fault; this module is the kernel's handler.

import { Reg } from '../cpu/cpu.js';
import { GuestFault, Vector, PFErr } from '../cpu/fault.js';
import { PAGE_SIZE, PROT_READ, PROT_EXEC, PROT_NONE } from '../cpu/memory.js';
import { SYSCALLS } from './syscalls/table.js';
import type { Kernel } from './kernel.js';
import { forceSig, setFaultRecord } from './signals/deliver.js';
import { faultInfo, SI } from './signals/siginfo.js';
import { Sig } from './signal.js';
import { TASK_SIZE_MAX } from './signals/faults.js';

/** 0xffffffffff600000 as the signed number colonel uses for addresses. */
export const VSYSCALL_ADDR = -0xa00000;
export const VSYSCALL_SLOTS = [
  { name: 'gettimeofday', nr: 96 },
  { name: 'time', nr: 201 },
  { name: 'getcpu', nr: 309 },
] as const;

export type VsyscallMode = 'xonly' | 'emulate' | 'none';

/** The page's bytes: each 1 KiB slot starts with `mov rax, NR; syscall; ret`, the rest int3. */
export function vsyscallPage(): Uint8Array {
  const page = new Uint8Array(PAGE_SIZE).fill(0xcc);
  VSYSCALL_SLOTS.forEach(({ nr }, i) => {
    page.set([0x48, 0xc7, 0xc0, nr & 0xff, (nr >> 8) & 0xff, 0, 0, 0x0f, 0x05, 0xc3], i * 0x400);
  });
  return page;
}

/** Map the page for `mode` and install the fault handler. */
export function mapVsyscall(k: Kernel, mode: VsyscallMode): void {
  if (mode === 'none') return;
  // The CPU must fault on every fetch, so the page is never executable to the MMU; the VMA shows
  // what the kernel advertises (--xp or r-xp).
  k.mem.map(VSYSCALL_ADDR, PAGE_SIZE, mode === 'emulate' ? PROT_READ : PROT_NONE);
  k.mem.poke(VSYSCALL_ADDR, vsyscallPage());
  k.mm.gate = {
    start: VSYSCALL_ADDR, end: VSYSCALL_ADDR + PAGE_SIZE, prot: mode === 'emulate' ? PROT_READ | PROT_EXEC : PROT_EXEC,
    shared: false, name: '[vsyscall]', offset: 0, dev: '00:00', inode: 0,
  };
  k.vsyscallFault = (f) => emulateVsyscall(k, f);
}

/** The pointer-argument sizes each slot's write_ok_or_segv checks (rdi, rsi). */
const ARG_SIZES = [[16, 8], [8, 0], [4, 4]] as const;

/**
 * write_ok_or_segv: a pointer argument outside user space (access_ok fails) is a SIGSEGV with that
 * address, as if the vsyscall page's code had stored through it. NULL and user pointers pass.
 */
function writeOkOrSegv(k: Kernel, ptr: number, size: number): boolean {
  if (size === 0 || (ptr >= 0 && ptr + size <= TASK_SIZE_MAX)) return true;
  setFaultRecord(k, Vector.PF, PFErr.USER | PFErr.WRITE, ptr);
  forceSig(k, Sig.SIGSEGV, faultInfo(Sig.SIGSEGV, SI.SEGV_MAPERR, ptr));
  return false;
}

/**
 * emulate_vsyscall: handle a fault in the page. Returns false for faults it does not handle (a data
 * access, vsyscall=none: they become SIGSEGV as page faults), true otherwise: the call was emulated
 * (the process goes on at the caller), or it was refused with a SIGSEGV that carries no fault
 * address (force_sig: a misaligned entry, an unreadable return address, a bad pointer argument).
 */
export function emulateVsyscall(k: Kernel, f: GuestFault): boolean {
  if (f.vector !== Vector.PF || !(f.errorCode & PFErr.FETCH)) return false;
  const addr = f.addr;
  if (addr < VSYSCALL_ADDR || addr >= VSYSCALL_ADDR + PAGE_SIZE) return false;
  const off = addr - VSYSCALL_ADDR;
  const slot = off >> 10;
  if ((off & 0x3ff) !== 0 || slot >= VSYSCALL_SLOTS.length) {
    k.options.diag(`colonel: vsyscall fetch at misaligned address ${(BigInt(addr) + (1n << 64n)).toString(16)} -> SIGSEGV`);
    forceSig(k, Sig.SIGSEGV);
    return true;
  }
  const c = k.cpu;
  // The return address must be readable: the emulated ret pops it.
  const sp = c.getS(Reg.RSP);
  let retLo: number, retHi: number;
  try {
    retLo = k.mem.read64(sp);
    retHi = k.mem.hi;
  } catch {
    k.options.diag('colonel: vsyscall with bad stack -> SIGSEGV');
    forceSig(k, Sig.SIGSEGV);
    return true;
  }
  const { name, nr } = VSYSCALL_SLOTS[slot];
  const row = SYSCALLS[nr];
  const args = [c.getS(Reg.RDI), c.getS(Reg.RSI), c.getS(Reg.RDX), 0, 0, 0];
  const [s0, s1] = ARG_SIZES[slot];
  if ((args[0] && !writeOkOrSegv(k, args[0], s0)) || (args[1] && !writeOkOrSegv(k, args[1], s1))) return true;
  let result: number;
  try {
    result = row ? row.handler(k, args[0], args[1], args[2], 0, 0, 0) : -38;
  } catch (e) {
    // A bad pointer argument: Linux sends SIGSEGV rather than returning EFAULT here.
    if (!(e instanceof GuestFault)) throw e;
    k.options.diag('colonel: vsyscall fault (bad pointer argument) -> SIGSEGV');
    forceSig(k, Sig.SIGSEGV);
    return true;
  }
  c.setN(Reg.RAX, result);
  c.rip = retHi * 4294967296 + (retLo >>> 0);
  c.setN(Reg.RSP, sp + 8);
  // The call completed: count it as one retired instruction, like the ret it replaces.
  c.icount++;
  for (const o of k.observers) o.vsyscall?.(k, name, nr, args, result);
  return true;
}
