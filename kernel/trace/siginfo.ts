// siginfo_t as strace prints it (strace 6 src/printsiginfo.c printsiginfo / print_si_info): from the
// 128 bytes the kernel hands over (what PTRACE_GETSIGINFO returns, the same bytes copy_siginfo_to_user
// writes for a handler), never from what colonel meant to send, so the line shows what the guest sees.
//
//   si_signo, si_code (the generic SI_* names first, then the signal's own codes), si_errno when set, then
//   - si_code <= 0 (sent by a process): SI_USER and SI_TKILL si_pid, si_uid; SI_TIMER si_timerid,
//     si_overrun, si_int, si_ptr; SI_SIGIO si_band, si_fd; any other (SI_QUEUE...) si_pid, si_uid and,
//     when si_ptr is not 0, si_int, si_ptr;
//   - si_code > 0 (raised by the kernel, SI_KERNEL included), by signal: SIGCHLD si_pid, si_uid,
//     si_status, si_utime, si_stime; SIGILL, SIGFPE, SIGSEGV, SIGBUS, SIGTRAP si_addr; SIGPOLL (for
//     POLL_*) si_band, si_fd; SIGSYS si_call_addr, si_syscall, si_arch; any other si_pid, si_uid only
//     when either is not 0 and si_int, si_ptr only when si_ptr is not 0. So a timer's SIGALRM is
//     `{si_signo=SIGALRM, si_code=SI_KERNEL}` and a #GP's SIGSEGV `{..., si_code=SI_KERNEL, si_addr=NULL}`.
//
// Offsets (x86-64): si_signo 0, si_errno 4, si_code 8, the union at 16: si_pid/si_timerid 16,
// si_uid/si_overrun 20, si_value (si_int, si_ptr) 24; si_addr 16; SIGCHLD si_status 24, si_utime 32,
// si_stime 40; SIGPOLL si_band 16, si_fd 24; SIGSYS si_call_addr 16, si_syscall 24, si_arch 28.

import { ERRNO_NAMES } from '../errno.js';
import { sigName, ptr } from './kinds.js';
import * as X from './xlat.js';
import { SYSCALL_NAMES } from './syscall_names.js';

const SIGTRAP = 5, SIGILL = 4, SIGBUS = 7, SIGFPE = 8, SIGSEGV = 11, SIGCHLD = 17, SIGPOLL = 29, SIGSYS = 31;
const SI_USER = 0, SI_TIMER = -2, SI_SIGIO = -5, SI_TKILL = -6, CLD_EXITED = 1;

/** The name of si_code for `signo`, as print_si_code finds it, or its value in hex. */
export function siCodeName(signo: number, code: number): string {
  return X.xlookup(X.SI_CODES, code) ?? X.xlookup(X.SI_CODES_BY_SIGNAL[signo] ?? [], code) ??
    (code === 0 ? '0' : '0x' + (code >>> 0).toString(16));
}

/** The text between strace's braces, and the si_code's name (for --json). */
export function siginfoText(b: Uint8Array): { code: string; text: string } {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const signo = v.getInt32(0, true);
  if (signo === 0) return { code: '', text: '' };
  const errno = v.getInt32(4, true);
  const code = v.getInt32(8, true);
  const i32 = (off: number) => v.getInt32(off, true);
  const u32 = (off: number) => v.getUint32(off, true);
  const p64 = (off: number) => ptr(Number(v.getBigInt64(off, true)));
  const source = () => `, si_pid=${i32(16)}, si_uid=${u32(20)}`;
  const sigval = () => `, si_int=${i32(24)}, si_ptr=${p64(24)}`;
  const ptrSet = v.getBigUint64(24, true) !== 0n;
  const codeName = siCodeName(signo, code);
  let s = `si_signo=${sigName(signo)}, si_code=${codeName}`;
  if (errno) s += `, si_errno=${ERRNO_NAMES[errno] ?? errno}`;
  if (code <= 0) {
    if (code === SI_USER || code === SI_TKILL) s += source();
    else if (code === SI_TIMER) s += `, si_timerid=${hexOr0(u32(16))}, si_overrun=${i32(20)}` + sigval();
    else if (code === SI_SIGIO) s += `, si_band=${v.getBigInt64(16, true)}, si_fd=${i32(24)}`;
    else s += source() + (ptrSet ? sigval() : '');
  } else {
    switch (signo) {
      case SIGCHLD: {
        const status = i32(24);
        s += source() + `, si_status=${code === CLD_EXITED ? status : sigName(status)}` +
          `, si_utime=${v.getBigUint64(32, true)}, si_stime=${v.getBigUint64(40, true)}`;
        break;
      }
      case SIGILL: case SIGFPE: case SIGSEGV: case SIGBUS: case SIGTRAP:
        s += `, si_addr=${p64(16)}`;
        break;
      case SIGPOLL:
        if (code >= 1 && code <= 6) s += `, si_band=${v.getBigInt64(16, true)}, si_fd=${i32(24)}`;
        break;
      case SIGSYS:
        s += `, si_call_addr=${p64(16)}, si_syscall=${sysName(i32(24), u32(28))}, si_arch=${AUDIT_ARCH[u32(28)] ?? hexOr0(u32(28)) + ' /* AUDIT_ARCH_??? */'}`;
        break;
      default:
        if (i32(16) || u32(20)) s += source();
        if (ptrSet) s += sigval();
    }
  }
  return { code: codeName, text: s };
}

/** PRINT_FIELD_SYSCALL_NAME: `__NR_name` of the arch's table, else the number. */
function sysName(nr: number, arch: number): string {
  const name = arch === AUDIT_ARCH_X86_64 ? SYSCALL_NAMES.get(nr) : undefined;
  return name ? `__NR_${name}` : String(nr);
}
const AUDIT_ARCH_X86_64 = 0xc000003e;
const AUDIT_ARCH: Record<number, string> = { [AUDIT_ARCH_X86_64]: 'AUDIT_ARCH_X86_64', 0x40000003: 'AUDIT_ARCH_I386' };

const hexOr0 = (n: number) => (n === 0 ? '0' : '0x' + n.toString(16));
