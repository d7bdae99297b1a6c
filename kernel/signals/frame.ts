// The x86-64 signal frame: building it on the user stack when a handler is entered, and reading it back
// in rt_sigreturn (arch/x86/kernel/signal.c get_sigframe, signal_64.c x64_setup_rt_frame and
// restore_sigcontext, fpu/signal.c). Only what Linux writes is written: the bytes it leaves alone
// (siginfo without SA_SIGINFO, sigcontext's reserved1, the fxsave area's bytes 416..463) keep whatever
// the stack held.
//
//   frame ──► pretcode                       sa_restorer: the handler's `ret` goes there
//   +8        struct ucontext (304 bytes)    uc_flags, uc_link, uc_stack, uc_mcontext, uc_sigmask
//   +312      siginfo (128 bytes)            written only for SA_SIGINFO handlers
//   ...       padding to the fpstate
//   fpstate   fxsave image (512 bytes, 64-byte aligned), just below the red zone or the altstack top
//
// At handler entry rsp = frame, which is ≡ 8 (mod 16), as right after a call; rdi = signo,
// rsi = &siginfo, rdx = &ucontext, rax = 0.
//
// colonel's CPU has no XSAVE (CPUID does not claim it), so the frame is what Linux builds on such a
// CPU: uc_flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS (no UC_FP_XSTATE), the fpstate a plain
// 512-byte fxsave image whose software-reserved bytes (464..511, struct _fpx_sw_bytes) still carry
// FP_XSTATE_MAGIC1 with xstate_size 512, extended_size 516 and xfeatures 0 (fpu/signal.c
// save_sw_bytes; user_xfeatures stays 0 without XSAVE), and no FP_XSTATE_MAGIC2 after the image. On
// sigreturn the area is restored with fxrstor semantics only (no magic check).

import { Reg } from '../../cpu/cpu.js';
import { DF, TF, USER_WRITABLE, ID } from '../../cpu/flags.js';
import { GuestFault, PFErr } from '../../cpu/fault.js';
import { x87Save, x87Restore } from '../../cpu/x87.js';
import { MXCSR_MASK } from '../../cpu/isa/sse-common.js';
import type { Kernel } from '../kernel.js';
import { encodeSiginfo, SIGINFO_SIZE, type SigInfo } from './siginfo.js';
import { SA, sigState, type Sigaction } from './state.js';
import { doSigaltstack, onAltstack, onSigStack, sasSsFlags } from './altstack.js';

export const UC_FP_XSTATE = 1;
export const UC_SIGCONTEXT_SS = 2;
export const UC_STRICT_RESTORE_SS = 4;

/** struct rt_sigframe. */
export const FRAME = { pretcode: 0, uc: 8, info: 312, size: 440 } as const;
/** struct ucontext (the kernel's: uc_sigmask is one 64-bit word). */
export const UC = { flags: 0, link: 8, stack: 16, mcontext: 40, sigmask: 296, size: 304 } as const;
/** struct sigcontext_64, relative to uc_mcontext. */
export const SC = {
  r8: 0, di: 64, si: 72, bp: 80, bx: 88, dx: 96, ax: 104, cx: 112, sp: 120, ip: 128, flags: 136,
  cs: 144, gs: 146, fs: 148, ss: 150, err: 152, trapno: 160, oldmask: 168, cr2: 176, fpstate: 184, reserved1: 192,
} as const;
/** The general registers in sigcontext order: r8..r15, then rdi rsi rbp rbx rdx rax rcx rsp. */
const SC_REGS = [Reg.R8, Reg.R9, Reg.R10, Reg.R11, Reg.R12, Reg.R13, Reg.R14, Reg.R15, Reg.RDI, Reg.RSI, Reg.RBP, Reg.RBX, Reg.RDX, Reg.RAX, Reg.RCX, Reg.RSP];

/** __USER_CS and __USER_DS, the selectors a 64-bit process runs with. */
export const USER_CS = 0x33;
export const USER_DS = 0x2b;

/** The fxsave area and its software-reserved tail (arch/x86/include/uapi/asm/sigcontext.h). */
export const FXSAVE_SIZE = 512;
const SW_RESERVED = 464;
export const FP_XSTATE_MAGIC1 = 0x46505853;
const FP_XSTATE_MAGIC2_SIZE = 4;
const RED_ZONE = 128;
/** RFLAGS.RF, which the CPU sets in the image it saves for a fault (not a trap); colonel keeps no RF. */
const RF = 1 << 16;

/** Flags sigreturn may restore (FIX_EFLAGS: AC OF DF TF SF ZF AF PF CF RF; not ID). */
const FIX_EFLAGS = USER_WRITABLE & ~ID;

// ---- user memory ----

/** copy_to_user that, like a kernel-mode fault on a user address, may grow the stack first. */
function putUser(k: Kernel, addr: number, bytes: Uint8Array): void {
  for (let tries = 0; ; tries++) {
    try {
      k.mem.writeBytes(addr, bytes);
      return;
    } catch (e) {
      if (!(e instanceof GuestFault) || tries > 0 || e.errorCode & PFErr.PRESENT || !k.mm.growStack(e.addr)) throw e;
    }
  }
}

const le64 = (v: bigint): Uint8Array => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
  return b;
};
const u64 = (n: number): bigint => BigInt.asUintN(64, BigInt(n));

// ---- the FPU state ----

/** The fxsave image of the CPU's x87/SSE state (what `fxsave64` stores, bytes 0..415). */
export function fxsaveImage(k: Kernel): Uint8Array {
  const c = k.cpu;
  const img = new Uint8Array(FXSAVE_SIZE);
  x87Save(c, img);
  const v = new DataView(img.buffer);
  v.setUint32(24, c.mxcsr >>> 0, true);
  v.setUint32(28, MXCSR_MASK, true);
  img.set(c.x8.subarray(0, 256), 160);
  return img;
}

/** Load x87/SSE state from an fxsave image; false if its MXCSR has reserved bits (fxrstor's #GP). */
export function fxrstorImage(k: Kernel, img: Uint8Array): boolean {
  const mxcsr = new DataView(img.buffer, img.byteOffset).getUint32(24, true);
  if ((mxcsr & ~MXCSR_MASK) !== 0) return false;
  x87Restore(k.cpu, img);
  k.cpu.mxcsr = mxcsr;
  k.cpu.x8.set(img.subarray(160, 416), 0);
  return true;
}

/** The state a handler starts with (fpu__clear_user_states: init_fpstate, FCW 0x37F, MXCSR 0x1F80). */
export function resetFpu(k: Kernel): void {
  const img = new Uint8Array(FXSAVE_SIZE);
  img[0] = 0x7f;
  img[1] = 0x03;
  new DataView(img.buffer).setUint32(24, 0x1f80, true);
  fxrstorImage(k, img);
}

/** The fpstate as Linux stores it without XSAVE: fxsave, then save_xstate_epilog's software bytes. */
function writeFpstate(k: Kernel, fp: number): void {
  const img = fxsaveImage(k);
  putUser(k, fp, img.subarray(0, 416));
  const sw = new Uint8Array(48);
  const v = new DataView(sw.buffer);
  v.setUint32(0, FP_XSTATE_MAGIC1, true);
  v.setUint32(4, FXSAVE_SIZE + FP_XSTATE_MAGIC2_SIZE, true); // extended_size
  v.setBigUint64(8, 0n, true); // xfeatures: fpu_user_cfg.default_features, 0 without XSAVE
  v.setUint32(16, FXSAVE_SIZE, true); // xstate_size
  putUser(k, fp + SW_RESERVED, sw);
}

// ---- building the frame ----

/**
 * get_sigframe + x64_setup_rt_frame: build the frame for `sig` on the user stack (or the alternate
 * stack) and point the CPU at the handler. `oldmask` is the mask to restore on sigreturn. Returns
 * false if the frame cannot be written (the caller then forces SIGSEGV, as signal_setup_done does).
 */
export function setupRtFrame(k: Kernel, sig: number, act: Sigaction, info: SigInfo, oldmask: bigint): boolean {
  const c = k.cpu;
  if (!(act.flags & SA.RESTORER)) return false; // x86-64 requires a restorer
  const rsp = c.getS(Reg.RSP);
  const nested = onSigStack(k, rsp);
  let entering = false;
  let sp = rsp - RED_ZONE;
  if (act.flags & SA.ONSTACK && sasSsFlags(k, sp) === 0) {
    sp = k.altstack.sp + k.altstack.size;
    entering = true;
  }
  const fp = Math.floor((sp - FXSAVE_SIZE) / 64) * 64; // fpu__alloc_mathframe
  const frame = Math.floor((fp - FRAME.size) / 16) * 16 - 8; // align_sigframe
  if ((nested || entering) && !onAltstack(k, frame)) {
    k.options.diag(`colonel: ${k.exePath.split('/').pop() || 'guest'}[${k.pid}] overflowed sigaltstack`);
    return false;
  }
  if (frame < 0 || frame + FRAME.size > 0x7ffffffff000) return false; // access_ok
  const st = sigState(k);
  try {
    writeFpstate(k, fp);
    const uc = new Uint8Array(UC.size);
    const v = new DataView(uc.buffer);
    v.setBigUint64(UC.flags, BigInt(UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS), true);
    v.setBigUint64(UC.link, 0n, true);
    // unsafe_save_altstack: the stack as configured, its flags as the program set them.
    v.setBigUint64(UC.stack, u64(k.altstack.sp), true);
    v.setInt32(UC.stack + 8, k.altstack.flags | 0, true);
    v.setBigUint64(UC.stack + 16, u64(k.altstack.size), true);
    const m = UC.mcontext;
    SC_REGS.forEach((r, i) => v.setBigUint64(m + 8 * i, c.get(r), true));
    v.setBigUint64(m + SC.ip, u64(c.rip), true);
    v.setBigUint64(m + SC.flags, BigInt((c.getFlags() | (st.resumeFlag ? RF : 0)) >>> 0), true);
    v.setUint16(m + SC.cs, USER_CS, true);
    v.setUint16(m + SC.gs, 0, true);
    v.setUint16(m + SC.fs, 0, true);
    v.setUint16(m + SC.ss, USER_DS, true);
    v.setBigUint64(m + SC.err, u64(st.errorCode), true);
    v.setBigUint64(m + SC.trapno, u64(st.trapNr), true);
    v.setBigUint64(m + SC.oldmask, oldmask, true);
    v.setBigUint64(m + SC.cr2, u64(st.cr2), true);
    v.setBigUint64(m + SC.fpstate, u64(fp), true);
    v.setBigUint64(UC.sigmask, oldmask, true);
    // Write around sigcontext's reserved1 (the kernel never touches it).
    putUser(k, frame + FRAME.uc, uc.subarray(0, m + SC.reserved1));
    putUser(k, frame + FRAME.uc + UC.sigmask, uc.subarray(UC.sigmask));
    putUser(k, frame + FRAME.pretcode, le64(u64(act.restorer)));
    if (act.flags & SA.SIGINFO) putUser(k, frame + FRAME.info, encodeSiginfo(info));
  } catch (e) {
    if (e instanceof GuestFault) return false;
    throw e;
  }
  c.setN(Reg.RDI, sig);
  c.setN(Reg.RAX, 0);
  c.setN(Reg.RSI, frame + FRAME.info);
  c.setN(Reg.RDX, frame + FRAME.uc);
  c.setN(Reg.RSP, frame);
  c.rip = Number(BigInt.asIntN(64, act.handler));
  // handle_signal: the handler starts with DF clear (function-entry ABI) and TF clear (no trap
  // recursion in a SIGTRAP handler), and with a fresh FPU state.
  c.setFlags(c.getFlags() & ~(DF | TF), DF | TF);
  resetFpu(k);
  return true;
}

/** What rt_sigreturn read back, for the caller to apply. */
export interface Restored {
  mask: bigint;
  rax: { lo: number; hi: number };
}

/**
 * rt_sigreturn: the frame is at rsp - 8 (the handler's ret popped pretcode). Restores the mask,
 * registers, user-writable flags, FPU state and alternate stack; null for a corrupt frame (the
 * caller sends SIGSEGV, as signal_fault does). The mask is set first, as Linux does.
 */
export function restoreRtFrame(k: Kernel, setMask: (m: bigint) => void): Restored | null {
  const c = k.cpu;
  const frame = c.getS(Reg.RSP) - 8;
  if (frame < 0 || frame + FRAME.size > 0x7ffffffff000) return null;
  let uc: Uint8Array;
  try {
    uc = k.mem.readBytes(frame + FRAME.uc, UC.size);
  } catch (e) {
    if (e instanceof GuestFault) return null;
    throw e;
  }
  const v = new DataView(uc.buffer);
  const mask = v.getBigUint64(UC.sigmask, true);
  setMask(mask);
  const m = UC.mcontext;
  SC_REGS.forEach((r, i) => c.set(r, v.getBigUint64(m + 8 * i, true)));
  c.rip = Number(v.getBigInt64(m + SC.ip, true));
  c.setFlags(Number(v.getBigUint64(m + SC.flags, true) & 0xffffffffn), FIX_EFLAGS);
  const rax = { lo: c.r32[2 * Reg.RAX], hi: c.r32[2 * Reg.RAX + 1] };
  // fpu__restore_sig: no fpstate means the init state; a bad one fails the sigreturn.
  const fp = Number(v.getBigInt64(m + SC.fpstate, true));
  if (fp === 0) resetFpu(k);
  else {
    let img: Uint8Array | null = null;
    if ((fp & 15) === 0) {
      try {
        img = k.mem.readBytes(fp, FXSAVE_SIZE);
      } catch (e) {
        if (!(e instanceof GuestFault)) throw e;
      }
    }
    if (!img || !fxrstorImage(k, img)) {
      resetFpu(k);
      return null;
    }
  }
  // restore_altstack: do_sigaltstack with the restored rsp; its errors are ignored.
  doSigaltstack(k, {
    sp: Number(v.getBigInt64(UC.stack, true)), flags: v.getInt32(UC.stack + 8, true), size: Number(v.getBigUint64(UC.stack + 16, true)),
  }, c.getS(Reg.RSP));
  return { mask, rax };
}

export { SIGINFO_SIZE };
