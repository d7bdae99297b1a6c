// Flag and constant names for the tracer, as data (strace's src/xlat/*.in, one list per value set).
// Each table lists [name, value] in the order strace prints them: a flag set is printed by walking the
// list and taking every entry whose bits are all set (so a multi-bit name such as O_SYNC comes before
// the bits it contains), then any bits left over in hex. Values are x86-64 Linux's
// (include/uapi/asm-generic/*.h, arch/x86/include/uapi/asm/*.h).

export type Xlat = readonly (readonly [string, number])[];

/** The access mode of open flags (flags & O_ACCMODE): printed first, always. */
export const OPEN_ACCMODE: Xlat = [['O_RDONLY', 0], ['O_WRONLY', 1], ['O_RDWR', 2]];
export const O_ACCMODE = 3;
export const O_CREAT = 0o100;
export const O_TMPFILE_BIT = 0o20000000;

/** open_mode_flags.in: the rest of the open flags. */
export const OPEN_FLAGS: Xlat = [
  ['O_CREAT', 0o100], ['O_EXCL', 0o200], ['O_NOCTTY', 0o400], ['O_TRUNC', 0o1000], ['O_APPEND', 0o2000],
  ['O_NONBLOCK', 0o4000], ['O_SYNC', 0o4010000], ['__O_SYNC', 0o4000000], ['O_DSYNC', 0o10000],
  ['O_DIRECT', 0o40000], ['O_LARGEFILE', 0o100000], ['O_NOFOLLOW', 0o400000], ['O_NOATIME', 0o1000000],
  ['O_CLOEXEC', 0o2000000], ['O_PATH', 0o10000000], ['O_TMPFILE', 0o20200000], ['__O_TMPFILE', 0o20000000],
  ['O_DIRECTORY', 0o200000], ['FASYNC', 0o20000],
];

export const PROT_FLAGS: Xlat = [
  ['PROT_READ', 0x1], ['PROT_WRITE', 0x2], ['PROT_EXEC', 0x4], ['PROT_SEM', 0x8],
  ['PROT_GROWSDOWN', 0x01000000], ['PROT_GROWSUP', 0x02000000],
];

/** The mapping type (flags & MAP_TYPE), printed first. */
export const MAP_TYPES: Xlat = [['MAP_SHARED', 0x1], ['MAP_PRIVATE', 0x2], ['MAP_SHARED_VALIDATE', 0x3], ['MAP_DROPPABLE', 0x8]];
export const MAP_TYPE = 0xf;
export const MAP_FLAGS: Xlat = [
  ['MAP_FIXED', 0x10], ['MAP_ANONYMOUS', 0x20], ['MAP_32BIT', 0x40], ['MAP_ABOVE4G', 0x80], ['MAP_NORESERVE', 0x4000],
  ['MAP_POPULATE', 0x8000], ['MAP_NONBLOCK', 0x10000], ['MAP_GROWSDOWN', 0x100], ['MAP_DENYWRITE', 0x800],
  ['MAP_EXECUTABLE', 0x1000], ['MAP_LOCKED', 0x2000], ['MAP_STACK', 0x20000], ['MAP_HUGETLB', 0x40000],
  ['MAP_SYNC', 0x80000], ['MAP_UNINITIALIZED', 0x4000000], ['MAP_FIXED_NOREPLACE', 0x100000],
];

export const MREMAP_FLAGS: Xlat = [['MREMAP_MAYMOVE', 1], ['MREMAP_FIXED', 2], ['MREMAP_DONTUNMAP', 4]];
/** flock(2)'s operation (strace's flockcmds). */
export const FLOCK_OPS: Xlat = [['LOCK_SH', 1], ['LOCK_EX', 2], ['LOCK_NB', 4], ['LOCK_UN', 8], ['LOCK_MAND', 32], ['LOCK_READ', 64], ['LOCK_WRITE', 128]];

export const MADVISE_ADVICE: Xlat = [
  ['MADV_NORMAL', 0], ['MADV_RANDOM', 1], ['MADV_SEQUENTIAL', 2], ['MADV_WILLNEED', 3], ['MADV_DONTNEED', 4],
  ['MADV_FREE', 8], ['MADV_REMOVE', 9], ['MADV_DONTFORK', 10], ['MADV_DOFORK', 11], ['MADV_MERGEABLE', 12],
  ['MADV_UNMERGEABLE', 13], ['MADV_HUGEPAGE', 14], ['MADV_NOHUGEPAGE', 15], ['MADV_DONTDUMP', 16], ['MADV_DODUMP', 17],
  ['MADV_WIPEONFORK', 18], ['MADV_KEEPONFORK', 19], ['MADV_COLD', 20], ['MADV_PAGEOUT', 21],
  ['MADV_POPULATE_READ', 22], ['MADV_POPULATE_WRITE', 23], ['MADV_HWPOISON', 100],
];

export const SEEK_WHENCE: Xlat = [['SEEK_SET', 0], ['SEEK_CUR', 1], ['SEEK_END', 2], ['SEEK_DATA', 3], ['SEEK_HOLE', 4]];

export const AT_FDCWD = -100;
export const AT_FLAGS: Xlat = [
  ['AT_SYMLINK_NOFOLLOW', 0x100], ['AT_REMOVEDIR', 0x200], ['AT_SYMLINK_FOLLOW', 0x400], ['AT_NO_AUTOMOUNT', 0x800],
  ['AT_EMPTY_PATH', 0x1000], ['AT_STATX_FORCE_SYNC', 0x2000], ['AT_STATX_DONT_SYNC', 0x4000], ['AT_RECURSIVE', 0x8000],
];

/** access(2) modes: 0 is F_OK; otherwise the bits in the order R, W, X. */
export const ACCESS_MODES: Xlat = [['R_OK', 4], ['W_OK', 2], ['X_OK', 1]];

export const CLOCK_IDS: Xlat = [
  ['CLOCK_REALTIME', 0], ['CLOCK_MONOTONIC', 1], ['CLOCK_PROCESS_CPUTIME_ID', 2], ['CLOCK_THREAD_CPUTIME_ID', 3],
  ['CLOCK_MONOTONIC_RAW', 4], ['CLOCK_REALTIME_COARSE', 5], ['CLOCK_MONOTONIC_COARSE', 6], ['CLOCK_BOOTTIME', 7],
  ['CLOCK_REALTIME_ALARM', 8], ['CLOCK_BOOTTIME_ALARM', 9], ['CLOCK_SGI_CYCLE', 10], ['CLOCK_TAI', 11],
];

export const RLIMIT_RESOURCES: Xlat = [
  ['RLIMIT_CPU', 0], ['RLIMIT_FSIZE', 1], ['RLIMIT_DATA', 2], ['RLIMIT_STACK', 3], ['RLIMIT_CORE', 4], ['RLIMIT_RSS', 5],
  ['RLIMIT_NPROC', 6], ['RLIMIT_NOFILE', 7], ['RLIMIT_MEMLOCK', 8], ['RLIMIT_AS', 9], ['RLIMIT_LOCKS', 10],
  ['RLIMIT_SIGPENDING', 11], ['RLIMIT_MSGQUEUE', 12], ['RLIMIT_NICE', 13], ['RLIMIT_RTPRIO', 14], ['RLIMIT_RTTIME', 15],
];

export const ARCH_PRCTL_CODES: Xlat = [
  ['ARCH_SET_GS', 0x1001], ['ARCH_SET_FS', 0x1002], ['ARCH_GET_FS', 0x1003], ['ARCH_GET_GS', 0x1004],
  ['ARCH_GET_CPUID', 0x1011], ['ARCH_SET_CPUID', 0x1012], ['ARCH_GET_XCOMP_SUPP', 0x1021], ['ARCH_GET_XCOMP_PERM', 0x1022],
  ['ARCH_REQ_XCOMP_PERM', 0x1023], ['ARCH_GET_XCOMP_GUEST_PERM', 0x1024], ['ARCH_REQ_XCOMP_GUEST_PERM', 0x1025],
  ['ARCH_MAP_VDSO_X32', 0x2001], ['ARCH_MAP_VDSO_32', 0x2002], ['ARCH_MAP_VDSO_64', 0x2003],
  ['ARCH_SHSTK_ENABLE', 0x5001], ['ARCH_SHSTK_DISABLE', 0x5002], ['ARCH_SHSTK_LOCK', 0x5003], ['ARCH_SHSTK_STATUS', 0x5005],
];

/** futex operations (the low 7 bits); FUTEX_PRIVATE_FLAG adds _PRIVATE, FUTEX_CLOCK_REALTIME a flag. */
export const FUTEX_OPS: Xlat = [
  ['FUTEX_WAIT', 0], ['FUTEX_WAKE', 1], ['FUTEX_FD', 2], ['FUTEX_REQUEUE', 3], ['FUTEX_CMP_REQUEUE', 4], ['FUTEX_WAKE_OP', 5],
  ['FUTEX_LOCK_PI', 6], ['FUTEX_UNLOCK_PI', 7], ['FUTEX_TRYLOCK_PI', 8], ['FUTEX_WAIT_BITSET', 9], ['FUTEX_WAKE_BITSET', 10],
  ['FUTEX_WAIT_REQUEUE_PI', 11], ['FUTEX_CMP_REQUEUE_PI', 12], ['FUTEX_LOCK_PI2', 13],
];
export const FUTEX_PRIVATE_FLAG = 128;
export const FUTEX_WAKE_OPS: Xlat = [['FUTEX_OP_SET', 0], ['FUTEX_OP_ADD', 1], ['FUTEX_OP_OR', 2], ['FUTEX_OP_ANDN', 3], ['FUTEX_OP_XOR', 4]];
export const FUTEX_WAKE_CMPS: Xlat = [['FUTEX_OP_CMP_EQ', 0], ['FUTEX_OP_CMP_NE', 1], ['FUTEX_OP_CMP_LT', 2], ['FUTEX_OP_CMP_LE', 3], ['FUTEX_OP_CMP_GT', 4], ['FUTEX_OP_CMP_GE', 5]];
export const FUTEX_CLOCK_REALTIME = 256;

/** ioctl requests colonel's programs meet (terminal and file ioctls, asm-generic/ioctls.h). */
export const IOCTL_CMDS: Xlat = [
  ['TCGETS', 0x5401], ['TCSETS', 0x5402], ['TCSETSW', 0x5403], ['TCSETSF', 0x5404], ['TCGETA', 0x5405], ['TCSETA', 0x5406],
  ['TCSETAW', 0x5407], ['TCSETAF', 0x5408], ['TCSBRK', 0x5409], ['TCXONC', 0x540a], ['TCFLSH', 0x540b], ['TIOCEXCL', 0x540c],
  ['TIOCNXCL', 0x540d], ['TIOCSCTTY', 0x540e], ['TIOCGPGRP', 0x540f], ['TIOCSPGRP', 0x5410], ['TIOCOUTQ', 0x5411],
  ['TIOCSTI', 0x5412], ['TIOCGWINSZ', 0x5413], ['TIOCSWINSZ', 0x5414], ['TIOCMGET', 0x5415], ['FIONREAD', 0x541b],
  ['TIOCLINUX', 0x541c], ['FIONBIO', 0x5421], ['TIOCNOTTY', 0x5422], ['TIOCGSID', 0x5429], ['TIOCGPTN', 0x80045430],
  ['TIOCSPTLCK', 0x40045431], ['FIONCLEX', 0x5450], ['FIOCLEX', 0x5451], ['FIOASYNC', 0x5452],
];

export const POLL_EVENTS: Xlat = [
  ['POLLIN', 0x1], ['POLLPRI', 0x2], ['POLLOUT', 0x4], ['POLLERR', 0x8], ['POLLHUP', 0x10], ['POLLNVAL', 0x20],
  ['POLLRDNORM', 0x40], ['POLLRDBAND', 0x80], ['POLLWRNORM', 0x100], ['POLLWRBAND', 0x200], ['POLLMSG', 0x400],
  ['POLLREMOVE', 0x1000], ['POLLRDHUP', 0x2000],
];

export const TIMER_FLAGS: Xlat = [['TIMER_ABSTIME', 1]];

export const RUSAGE_WHO: Xlat = [['RUSAGE_SELF', 0], ['RUSAGE_CHILDREN', -1], ['RUSAGE_THREAD', 1]];

export const STATX_SYNC_TYPES: Xlat = [['AT_STATX_SYNC_AS_STAT', 0], ['AT_STATX_FORCE_SYNC', 0x2000], ['AT_STATX_DONT_SYNC', 0x4000]];
export const AT_STATX_SYNC_TYPE = 0x6000;
export const STATX_MASK: Xlat = [
  ['STATX_ALL', 0xfff], ['STATX_BASIC_STATS', 0x7ff], ['STATX_TYPE', 0x1], ['STATX_MODE', 0x2], ['STATX_NLINK', 0x4],
  ['STATX_UID', 0x8], ['STATX_GID', 0x10], ['STATX_ATIME', 0x20], ['STATX_MTIME', 0x40], ['STATX_CTIME', 0x80],
  ['STATX_INO', 0x100], ['STATX_SIZE', 0x200], ['STATX_BLOCKS', 0x400], ['STATX_BTIME', 0x800], ['STATX_MNT_ID', 0x1000],
  ['STATX_DIOALIGN', 0x2000], ['STATX_MNT_ID_UNIQUE', 0x4000], ['STATX_SUBVOL', 0x8000], ['STATX_WRITE_ATOMIC', 0x10000],
];

/** ioctl direction bits of _IOC(dir, type, nr, size) (asm-generic/ioctl.h). */
export const IOC_DIRS = ['_IOC_NONE', '_IOC_WRITE', '_IOC_READ', '_IOC_READ|_IOC_WRITE'];

export const WAIT_OPTIONS: Xlat = [
  ['WNOHANG', 1], ['WUNTRACED', 2], ['WEXITED', 4], ['WCONTINUED', 8], ['WNOWAIT', 0x01000000], ['__WNOTHREAD', 0x20000000],
  ['__WALL', 0x40000000], ['__WCLONE', 0x80000000],
];

export const GETRANDOM_FLAGS: Xlat = [['GRND_NONBLOCK', 1], ['GRND_RANDOM', 2], ['GRND_INSECURE', 4]];

export const SIGPROCMASK_HOW: Xlat = [['SIG_BLOCK', 0], ['SIG_UNBLOCK', 1], ['SIG_SETMASK', 2]];

/** sigact_flags.in order. */
export const SA_FLAGS: Xlat = [
  ['SA_RESTORER', 0x04000000], ['SA_ONSTACK', 0x08000000], ['SA_RESTART', 0x10000000], ['SA_INTERRUPT', 0x20000000],
  ['SA_NODEFER', 0x40000000], ['SA_RESETHAND', 0x80000000], ['SA_SIGINFO', 4], ['SA_NOCLDSTOP', 1], ['SA_NOCLDWAIT', 2],
];
export const SA_RESTORER = 0x04000000;
export const SIG_HANDLERS: Xlat = [['SIG_DFL', 0], ['SIG_IGN', 1]];

export const SS_FLAGS: Xlat = [['SS_ONSTACK', 1], ['SS_DISABLE', 2], ['SS_AUTODISARM', 0x80000000]];

export const FCNTL_CMDS: Xlat = [
  ['F_DUPFD', 0], ['F_GETFD', 1], ['F_SETFD', 2], ['F_GETFL', 3], ['F_SETFL', 4], ['F_GETLK', 5], ['F_SETLK', 6], ['F_SETLKW', 7],
  ['F_SETOWN', 8], ['F_GETOWN', 9], ['F_SETSIG', 10], ['F_GETSIG', 11], ['F_SETOWN_EX', 15], ['F_GETOWN_EX', 16],
  ['F_GETOWNER_UIDS', 17], ['F_OFD_GETLK', 36], ['F_OFD_SETLK', 37], ['F_OFD_SETLKW', 38], ['F_SETLEASE', 1024],
  ['F_GETLEASE', 1025], ['F_NOTIFY', 1026], ['F_DUPFD_QUERY', 1027], ['F_CANCELLK', 1029], ['F_DUPFD_CLOEXEC', 1030],
  ['F_SETPIPE_SZ', 1031], ['F_GETPIPE_SZ', 1032], ['F_ADD_SEALS', 1033], ['F_GET_SEALS', 1034],
];
export const FD_FLAGS: Xlat = [['FD_CLOEXEC', 1]];

/** File types of st_mode (S_IFMT bits). */
export const S_IFMT = 0o170000;
export const FILE_TYPES: Xlat = [
  ['S_IFREG', 0o100000], ['S_IFSOCK', 0o140000], ['S_IFIFO', 0o10000], ['S_IFLNK', 0o120000], ['S_IFDIR', 0o40000],
  ['S_IFBLK', 0o60000], ['S_IFCHR', 0o20000],
];
export const MODE_SPECIAL: Xlat = [['S_ISUID', 0o4000], ['S_ISGID', 0o2000], ['S_ISVTX', 0o1000]];

/** siginfo si_code values common to all signals (include/uapi/asm-generic/siginfo.h). */
export const SI_CODES: Xlat = [
  ['SI_USER', 0], ['SI_KERNEL', 0x80], ['SI_QUEUE', -1], ['SI_TIMER', -2], ['SI_MESGQ', -3], ['SI_ASYNCIO', -4],
  ['SI_SIGIO', -5], ['SI_TKILL', -6], ['SI_DETHREAD', -7], ['SI_ASYNCNL', -60],
];
/** si_code values of the fault signals, by signal number. */
export const SI_CODES_BY_SIGNAL: Readonly<Record<number, Xlat>> = {
  4: [['ILL_ILLOPC', 1], ['ILL_ILLOPN', 2], ['ILL_ILLADR', 3], ['ILL_ILLTRP', 4], ['ILL_PRVOPC', 5], ['ILL_PRVREG', 6], ['ILL_COPROC', 7], ['ILL_BADSTK', 8]],
  5: [['TRAP_BRKPT', 1], ['TRAP_TRACE', 2], ['TRAP_BRANCH', 3], ['TRAP_HWBKPT', 4], ['TRAP_UNK', 5], ['TRAP_PERF', 6]],
  7: [['BUS_ADRALN', 1], ['BUS_ADRERR', 2], ['BUS_OBJERR', 3], ['BUS_MCEERR_AR', 4], ['BUS_MCEERR_AO', 5]],
  8: [['FPE_INTDIV', 1], ['FPE_INTOVF', 2], ['FPE_FLTDIV', 3], ['FPE_FLTOVF', 4], ['FPE_FLTUND', 5], ['FPE_FLTRES', 6], ['FPE_FLTINV', 7], ['FPE_FLTSUB', 8]],
  11: [['SEGV_MAPERR', 1], ['SEGV_ACCERR', 2], ['SEGV_BNDERR', 3], ['SEGV_PKUERR', 4], ['SEGV_ACCADI', 5], ['SEGV_ADIDERR', 6], ['SEGV_ADIPERR', 7], ['SEGV_MTEAERR', 8], ['SEGV_MTESERR', 9]],
  17: [['CLD_EXITED', 1], ['CLD_KILLED', 2], ['CLD_DUMPED', 3], ['CLD_TRAPPED', 4], ['CLD_STOPPED', 5], ['CLD_CONTINUED', 6]],
  27: [['PROF_SIG', 1]],
  29: [['POLL_IN', 1], ['POLL_OUT', 2], ['POLL_MSG', 3], ['POLL_ERR', 4], ['POLL_PRI', 5], ['POLL_HUP', 6]],
  31: [['SYS_SECCOMP', 1], ['SYS_USER_DISPATCH', 2]],
};

/** The name of `v` in `table`, or undefined. */
export function xlookup(table: Xlat, v: number): string | undefined {
  for (const [name, value] of table) if (value === v) return name;
  return undefined;
}

/**
 * strace's printflags: the names of the set flags joined with '|', leftover bits as hex, and `zero`
 * (default "0") when no bit is set. Bits with no name at all print as hex followed by `dflt` in a C
 * comment when `dflt` is given (strace's default, such as AT_???). `v` is an unsigned 32-bit or smaller value.
 */
export function xflags(table: Xlat, v: number, zero = '0', dflt?: string): string {
  let rest = v >>> 0;
  const parts: string[] = [];
  for (const [name, value] of table) {
    const bits = value >>> 0;
    if (bits !== 0 && (rest & bits) >>> 0 === bits) {
      parts.push(name);
      rest = (rest & ~bits) >>> 0;
    }
  }
  if (rest) parts.push('0x' + rest.toString(16) + (parts.length === 0 && dflt ? ` /* ${dflt} */` : ''));
  return parts.length ? parts.join('|') : zero;
}

/** strace's printxval: the name, or the number in hex with a comment naming the kind of constant. */
export function xval(table: Xlat, v: number, unknown: string): string {
  return xlookup(table, v) ?? `0x${(v >>> 0).toString(16)} /* ${unknown} */`;
}
