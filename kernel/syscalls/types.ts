// The form of a syscall table row (after blink's and gVisor's tables): one row per syscall holds its
// number, name, argument signature, support status and handler. Dispatch, `colonel trace` and the
// docs all derive from the rows, so they cannot drift apart.

import type { Kernel } from '../kernel.js';

/** How an argument is read and printed (the tracer's vocabulary; see kernel/trace/ for printers). */
export type ArgKind =
  | 'int' | 'uint' | 'long' | 'ulong' | 'hex' | 'ptr' | 'size' | 'off'
  | 'fd' | 'dirfd' | 'path' | 'str'
  | 'inbuf' // bytes the guest passes in; `len` names the argument that holds the length
  | 'outbuf' // bytes the kernel fills; printed after the call, length from the result
  | 'iovec_in' | 'iovec_out'
  | 'openflags' | 'mode' | 'prot' | 'mapflags' | 'mremapflags' | 'flockop' | 'whence' | 'atflags' | 'accessmode'
  | 'clockid' | 'timespec_in' | 'timespec_out' | 'timeval_out' | 'timezone_out' | 'time_out'
  | 'stat_out' | 'statx_out' | 'utsname_out' | 'rlimit_in' | 'rlimit_out' | 'resource'
  | 'signo' | 'sigaction_in' | 'sigaction_out' | 'sigset_in' | 'sigset_out' | 'sighow'
  | 'ioctlcmd' | 'arch_prctl_code' | 'futexop' | 'cpuset_out' | 'dirents_out' | 'getrandomflags'
  | 'unsigned_out' | 'int_out' | 'fds_out' | 'sigaltstack_in' | 'sigaltstack_out'
  | 'itimer_which' | 'itimerval_in' | 'itimerval_out' | 'siginfo_in' | 'siginfo_out'
  | 'iovec_addr' // an iovec of another address space: addresses and lengths only
  | 'rt_sigframe' // rt_sigreturn's frame at rsp (no register argument): strace shows its saved mask
  | 'fcntlcmd' // F_GETFD, F_SETFL...
  | 'fcntlarg' // fcntl's third argument, read as the command says (omitted for F_GETFD/F_GETFL)
  | 'madvice' // MADV_DONTNEED...
  | 'mremap_newaddr' // mremap's new_address: only meaningful (and printed) with MREMAP_FIXED
  | 'ioctlarg' // ioctl's third argument, read as the request says (an int, a winsize...)
  | 'pollfds' // struct pollfd[len]; the result lists the revents
  | 'fdset' // fd_set of `len` (nfds) bits; the result lists the sets after the call
  | 'timeval_in' | 'timespec_rem' // nanosleep's rem: written only when interrupted
  | 'timerflags' | 'tms_out' | 'rusage_who' | 'rusage_out'
  | 'cpuset_in' // a CPU mask of `len` bytes
  | 'statx_flags' | 'statx_mask'
  | 'waitoptions' // WNOHANG|WUNTRACED...
  | 'futex_timeout' | 'futex_uaddr2' | 'futex_val3' // futex's last three: which are used depends on the op
  | 'cwd_out'; // getcwd's buffer: a path the kernel writes, the result counting its NUL

export interface ArgSpec {
  name: string;
  kind: ArgKind;
  /** For inbuf/outbuf: the index of the argument that holds the length. */
  len?: number;
}

/**
 * How the result is printed: a number, a hex address, an fd, seconds since the epoch (time), an octal
 * mode (umask), a signal number with its name (signo: `14 (SIGALRM)`).
 */
export type RetKind = 'int' | 'hex' | 'fd' | 'none' | 'time' | 'mode' | 'signo';

/** Classes for `trace -e trace=%file` and friends (strace's syscall classes). */
export type SyscallClass = 'file' | 'desc' | 'memory' | 'process' | 'signal' | 'clock' | 'ipc' | 'network' | 'creds' | 'stat' | 'fstat' | 'lstat' | 'statfs';

/** Arguments as signed 64-bit values in JS numbers (exact for addresses, sizes and flags). */
export type SyscallHandler = (k: Kernel, a0: number, a1: number, a2: number, a3: number, a4: number, a5: number) => number;

export interface SyscallRow {
  nr: number;
  name: string;
  args: readonly ArgSpec[];
  ret: RetKind;
  /** full: as Linux; partial: the common cases, see note; enosys: deliberately returns -ENOSYS. */
  status: 'full' | 'partial' | 'enosys';
  note?: string;
  classes?: readonly SyscallClass[];
  handler: SyscallHandler;
}

export const a = (name: string, kind: ArgKind, len?: number): ArgSpec => (len === undefined ? { name, kind } : { name, kind, len });
