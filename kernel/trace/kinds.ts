// Argument printers, one per argument kind (ArgKind in kernel/syscalls/types.ts): the syscall table's
// rows say what each argument is, and this file says how strace prints such a thing. Because PRINTERS
// is a Record over every ArgKind, a kind added to the row vocabulary does not compile until it has a
// printer here, so the handler's description and the tracer cannot drift apart (blink's strace.h,
// gVisor's Post* kinds, strace's src/xlat).
//
// Input kinds are printed when the call starts (what the program passed in); output kinds (`out`) are
// printed after it returns, from what the kernel wrote, and as a bare address when the call failed, as
// strace does. A printer returns null to leave the argument out (open's mode without O_CREAT, fcntl's
// argument for F_GETFD). Guest memory is read through the page tables; an unreadable pointer prints as
// its address.

import type { Kernel } from '../kernel.js';
import { Reg } from '../../cpu/cpu.js';
import type { ArgKind, ArgSpec } from '../syscalls/types.js';
import { SIGNAL_NAMES } from '../signal.js';
import { quoteBuffer, quoteBytes, quoteCString } from './quote.js';
import * as X from './xlat.js';
import { isRestart } from '../signals/restart.js';
import { siginfoText } from './siginfo.js';

/** What a printer may look at: the call's raw arguments, its other arguments' kinds, and its result. */
export interface CallContext {
  k: Kernel;
  specs: readonly ArgSpec[];
  args: readonly number[];
  /** The result, once the call returned (null before). */
  result: number | null;
  /** -s: the longest string or buffer shown. */
  strSize: number;
}

export interface ArgPrinter {
  /** Printed after the call returns (the kernel fills it). */
  out?: boolean;
  /** An output printed by the printer itself even when the call failed (else the bare address). */
  onError?: boolean;
  print(c: CallContext, i: number): string | null;
}

const PATH_MAX = 4096;
const U64 = 1n << 64n;

// ---- numbers ----

export const u64 = (v: number): bigint => (v < 0 ? BigInt(v) + U64 : BigInt(v));
export const hex = (v: number): string => '0x' + u64(v).toString(16);
export const ptr = (v: number): string => (v === 0 ? 'NULL' : hex(v));
const hexOr0 = (v: number): string => (v === 0 ? '0' : hex(v));

/** strace's "%#03o" for modes: 0644, 000. */
export function octalMode(v: number): string {
  const s = v ? '0' + v.toString(8) : '0';
  return s.padStart(3, '0');
}

/** A time as strace comments it: 2026-11-25T09:40:48+0000 (local time, as strftime %FT%T%z). */
export function isoTime(sec: number | bigint): string {
  const d = new Date(Number(sec) * 1000);
  if (Number.isNaN(d.getTime())) return '???';
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const off = -d.getTimezoneOffset();
  const sign = off < 0 ? '-' : '+';
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}` +
    `${sign}${p(Math.floor(Math.abs(off) / 60))}${p(Math.abs(off) % 60)}`;
}

// ---- guest memory, read without side effects ----

/** `len` bytes at `addr`, or null when any of them cannot be read. */
export function peek(k: Kernel, addr: number, len: number): Uint8Array | null {
  if (len === 0) return new Uint8Array(0);
  try {
    return k.mem.readBytes(addr, len);
  } catch {
    return null;
  }
}

/** Up to `limit` + 1 bytes of a C string (stopping after its NUL), or null if unreadable before the NUL. */
export function peekCString(k: Kernel, addr: number, limit: number): Uint8Array | null {
  const out: number[] = [];
  try {
    for (let i = 0; i <= limit; i++) {
      const b = k.mem.read8(addr + i);
      out.push(b);
      if (b === 0) break;
    }
  } catch {
    return null;
  }
  return Uint8Array.from(out);
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** Read a struct of `size` bytes and print it, or the pointer when it is NULL or unreadable. */
function struct(k: Kernel, addr: number, size: number, f: (v: DataView) => string): string {
  if (addr === 0) return 'NULL';
  const b = peek(k, addr, size);
  return b ? f(view(b)) : hex(addr);
}

const i64 = (v: DataView, off: number) => v.getBigInt64(off, true).toString();
const u64s = (v: DataView, off: number) => v.getBigUint64(off, true).toString();

// ---- names ----

/** A signal's name as strace prints it: SIGSEGV, SIGRTMIN, SIGRT_3. */
export function sigName(n: number): string {
  if (SIGNAL_NAMES[n]) return SIGNAL_NAMES[n];
  if (n === 32) return 'SIGRTMIN';
  if (n > 32 && n <= 64) return `SIGRT_${n - 32}`;
  return String(n);
}

/** A signal set as strace prints it: [INT TERM], or ~[KILL STOP] when more than half the set is full. */
export function sigsetText(mask: bigint): string {
  let count = 0;
  for (let i = 0n; i < 64n; i++) if ((mask >> i) & 1n) count++;
  const inverted = count * 2 > 64;
  const m = inverted ? ~mask & (U64 - 1n) : mask;
  const names: string[] = [];
  for (let s = 1; s <= 64; s++) if ((m >> BigInt(s - 1)) & 1n) names.push(sigName(s).replace(/^SIG/, ''));
  return `${inverted ? '~' : ''}[${names.join(' ')}]`;
}

function modeText(mode: number): string {
  const type = X.xlookup(X.FILE_TYPES, mode & X.S_IFMT);
  const special = X.xflags(X.MODE_SPECIAL, mode & 0o7000, '');
  return [type ?? (mode & X.S_IFMT ? octalMode(mode & X.S_IFMT) : ''), special, octalMode(mode & 0o777)].filter(Boolean).join('|');
}

const rlim = (v: bigint) => (v === U64 - 1n ? 'RLIM64_INFINITY' : v > 0n && v % 1024n === 0n ? `${v / 1024n}*1024` : v.toString());

const makedev = (dev: bigint) => {
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return `makedev(0x${major.toString(16)}, 0x${minor.toString(16)})`.replace(', 0x0)', ', 0)');
};


/** The other argument of this call with the given kind (fcntl's arg reads its cmd; open's mode its flags). */
function sibling(c: CallContext, kind: ArgKind): number | undefined {
  const i = c.specs.findIndex((s) => s.kind === kind);
  return i >= 0 ? c.args[i] : undefined;
}

function openFlagsText(v: number, withAccmode: boolean): string {
  const rest = X.xflags(X.OPEN_FLAGS, v & ~X.O_ACCMODE, '', 'O_???');
  if (!withAccmode) return X.xflags(X.OPEN_FLAGS, v, '0', 'O_???');
  const acc = X.xlookup(X.OPEN_ACCMODE, v & X.O_ACCMODE) ?? '0' + (v & X.O_ACCMODE).toString(8);
  return rest ? `${acc}|${rest}` : acc;
}

function timespec(k: Kernel, addr: number, usec = false): string {
  return struct(k, addr, 16, (v) => `{tv_sec=${i64(v, 0)}, ${usec ? 'tv_usec' : 'tv_nsec'}=${i64(v, 8)}}`);
}

function sigaction(k: Kernel, addr: number): string {
  return struct(k, addr, 32, (v) => {
    const handler = Number(v.getBigInt64(0, true));
    // sa_flags is an unsigned long: bits above 31 (which the kernel keeps and ignores) print as hex.
    const all = v.getBigUint64(8, true);
    const flags = Number(all & 0xffffffffn);
    const high = all & ~0xffffffffn;
    let text = X.xflags(X.SA_FLAGS, flags, '0', 'SA_???');
    if (high) {
      const names = text.split('|').filter((p) => !p.startsWith('0x') && p !== '0');
      const known = names.reduce((m, nm) => m | BigInt(X.SA_FLAGS.find(([n]) => n === nm)![1] >>> 0), 0n);
      const rest = '0x' + (all & ~known).toString(16);
      text = names.length ? `${names.join('|')}|${rest}` : `${rest} /* SA_??? */`;
    }
    const restorer = Number(v.getBigInt64(16, true));
    return `{sa_handler=${X.xlookup(X.SIG_HANDLERS, handler) ?? hex(handler)}, sa_mask=${sigsetText(v.getBigUint64(24, true))}, ` +
      `sa_flags=${text}${flags & X.SA_RESTORER ? `, sa_restorer=${hex(restorer)}` : ''}}`;
  });
}

function sigaltstack(k: Kernel, addr: number): string {
  return struct(k, addr, 24, (v) => `{ss_sp=${ptr(Number(v.getBigInt64(0, true)))}, ss_flags=${X.xflags(X.SS_FLAGS, v.getInt32(8, true), '0', 'SS_???')}, ss_size=${u64s(v, 16)}}`);
}

/** writev's or readv's iovec array; `data` limits how many bytes each buffer shows (readv: the result). */
function iovec(c: CallContext, addr: number, count: number, data: number, addrOnly = false): string {
  if (addr === 0) return 'NULL';
  const n = Math.max(0, Math.min(count, 1024));
  const b = peek(c.k, addr, n * 16);
  if (!b) return hex(addr);
  const v = view(b);
  const parts: string[] = [];
  let left = data;
  for (let i = 0; i < n; i++) {
    if (i === c.strSize) { parts.push('...'); break; }
    const base = Number(v.getBigInt64(16 * i, true));
    const len = Number(v.getBigUint64(16 * i + 8, true));
    const show = Math.max(0, Math.min(len, left));
    left -= show;
    const failed = c.result !== null && c.result < 0;
    const bytes = base === 0 || failed || addrOnly ? null : peek(c.k, base, Math.min(show, c.strSize + 1));
    const text = base === 0 ? 'NULL' : bytes ? quoteBuffer(bytes, show, c.strSize) : hex(base);
    parts.push(`{iov_base=${text}, iov_len=${len}}`);
  }
  return `[${parts.join(', ')}]`;
}

function bufferText(c: CallContext, addr: number, len: number, hexBytes = false): string {
  if (addr === 0) return 'NULL';
  const b = peek(c.k, addr, Math.min(len, c.strSize + 1));
  return b ? quoteBuffer(b, len, c.strSize, hexBytes) : hex(addr);
}

/** Length of a buffer argument from the argument it names (`len` in the row). */
const lenOf = (c: CallContext, i: number) => {
  const l = c.specs[i].len;
  return l === undefined ? 0 : Math.max(0, c.args[l]);
};

const F = { DUPFD: 0, GETFD: 1, SETFD: 2, GETFL: 3, SETFL: 4, SETOWN: 8, SETSIG: 10, DUPFD_CLOEXEC: 1030, SETPIPE_SZ: 1031, NOTIFY: 1026, SETLEASE: 1024 };
const FCNTL_NO_ARG = new Set([1, 3, 9, 11, 1025, 1032, 1034]); // F_GETFD F_GETFL F_GETOWN F_GETSIG F_GETLEASE F_GETPIPE_SZ F_GET_SEALS

const n = (f: (v: number) => string): ArgPrinter => ({ print: (c, i) => f(c.args[i]) });
const out = (f: (c: CallContext, v: number, i: number) => string | null): ArgPrinter => ({ out: true, print: (c, i) => f(c, c.args[i], i) });

/** A siginfo_t in guest memory, as strace's printsiginfo shows it (siginfo.ts). */
function siginfo(c: CallContext, v: number): string {
  if (v === 0) return 'NULL';
  const b = peek(c.k, v, 128);
  return b ? `{${siginfoText(b).text}}` : hex(v);
}

const ITIMERS = ['ITIMER_REAL', 'ITIMER_VIRTUAL', 'ITIMER_PROF'];
/** struct itimerval: two struct timevals, it_interval then it_value. */
function itimerval(k: Kernel, addr: number): string {
  return struct(k, addr, 32, (v) => `{it_interval={tv_sec=${i64(v, 0)}, tv_usec=${i64(v, 8)}}, it_value={tv_sec=${i64(v, 16)}, tv_usec=${i64(v, 24)}}}`);
}
/** The uc_sigmask of the rt_sigframe rt_sigreturn reads: the handler's ret popped pretcode, so rsp is at uc. */
const UC_SIGMASK = 8 + 8 + 24 + 256;

export const PRINTERS: Record<ArgKind, ArgPrinter> = {
  itimer_which: n((v) => ITIMERS[v] ?? `${hex(v >>> 0)} /* ITIMER_??? */`),
  itimerval_in: { print: (c, i) => itimerval(c.k, c.args[i]) },
  itimerval_out: out((c, v) => itimerval(c.k, v)),
  siginfo_in: { print: (c, i) => siginfo(c, c.args[i]) },
  siginfo_out: out((c, v) => siginfo(c, v)),
  rt_sigframe: { print: (c) => struct(c.k, c.k.cpu.getS(Reg.RSP) + UC_SIGMASK, 8, (d) => `{mask=${sigsetText(d.getBigUint64(0, true))}}`) },
  int: n((v) => String(v | 0)),
  uint: n((v) => String(v >>> 0)),
  long: n((v) => String(v)),
  ulong: n((v) => u64(v).toString()),
  hex: n(hexOr0),
  ptr: n(ptr),
  size: n((v) => u64(v).toString()),
  off: n((v) => String(v)),
  fd: n((v) => String(v | 0)),
  dirfd: n((v) => ((v | 0) === X.AT_FDCWD ? 'AT_FDCWD' : String(v | 0))),
  path: { print: (c, i) => cstr(c, c.args[i], PATH_MAX - 1) },
  str: { print: (c, i) => cstr(c, c.args[i], c.strSize) },
  inbuf: { print: (c, i) => bufferText(c, c.args[i], lenOf(c, i)) },
  outbuf: out((c, v, i) => bufferText(c, v, Math.min(c.result!, lenOf(c, i) || c.result!), c.specs.some((s) => s.kind === 'getrandomflags'))),
  iovec_in: { print: (c, i) => iovec(c, c.args[i], lenOf(c, i), Infinity) },
  // Another process's iovec (process_vm_readv's remote_iov): strace shows the addresses, not the data.
  iovec_addr: { print: (c, i) => iovec(c, c.args[i], lenOf(c, i), 0, true) },
  iovec_out: { out: true, onError: true, print: (c, i) => iovec(c, c.args[i], lenOf(c, i), c.result!) },
  openflags: { print: (c, i) => openFlagsText(c.args[i], c.specs.some((s) => s.kind === 'path')) },
  mode: {
    print: (c, i) => {
      const flags = sibling(c, 'openflags');
      if (flags !== undefined && !(flags & (X.O_CREAT | X.O_TMPFILE_BIT))) return null;
      return octalMode(c.args[i] & 0o7777);
    },
  },
  prot: n((v) => (v === 0 ? 'PROT_NONE' : X.xflags(X.PROT_FLAGS, v, '0', 'PROT_???'))),
  mapflags: n((v) => {
    const type = X.xlookup(X.MAP_TYPES, v & X.MAP_TYPE) ?? '0x' + (v & X.MAP_TYPE).toString(16);
    const rest = X.xflags(X.MAP_FLAGS, v & ~X.MAP_TYPE, '', 'MAP_???');
    return rest ? `${type}|${rest}` : type;
  }),
  mremapflags: n((v) => X.xflags(X.MREMAP_FLAGS, v, '0', 'MREMAP_???')),
  flockop: n((v) => X.xflags(X.FLOCK_OPS, v, '0', 'LOCK_???')),
  whence: n((v) => X.xval(X.SEEK_WHENCE, v | 0, 'SEEK_???')),
  atflags: n((v) => X.xflags(X.AT_FLAGS, v, '0', 'AT_???')),
  accessmode: n((v) => ((v | 0) === 0 ? 'F_OK' : X.xflags(X.ACCESS_MODES, v, '0', '?_OK'))),
  clockid: n((v) => X.xval(X.CLOCK_IDS, v | 0, 'CLOCK_???')),
  timespec_in: { print: (c, i) => timespec(c.k, c.args[i]) },
  timespec_out: out((c, v) => timespec(c.k, v)),
  timeval_out: out((c, v) => timespec(c.k, v, true)),
  timezone_out: out((c, v) => struct(c.k, v, 8, (d) => `{tz_minuteswest=${d.getInt32(0, true)}, tz_dsttime=${d.getInt32(4, true)}}`)),
  time_out: out((c, v) => struct(c.k, v, 8, (d) => `[${i64(d, 0)} /* ${isoTime(d.getBigInt64(0, true))} */]`)),
  stat_out: out((c, v) => struct(c.k, v, 144, (d) => {
    const mode = d.getUint32(24, true);
    const type = mode & X.S_IFMT;
    const dev = type === 0o20000 || type === 0o60000;
    return `{st_mode=${modeText(mode)}, ${dev ? `st_rdev=${makedev(d.getBigUint64(40, true))}` : `st_size=${i64(d, 48)}`}, ...}`;
  })),
  statx_out: out((c, v) => struct(c.k, v, 256, (d) => {
    const mode = d.getUint16(28, true);
    return `{stx_mask=${X.xflags(X.STATX_MASK, d.getUint32(0, true), '0', 'STATX_???')}, stx_attributes=${hexOr0(Number(d.getBigUint64(8, true)))}, ` +
      `stx_mode=${modeText(mode)}, stx_size=${u64s(d, 40)}, ...}`;
  })),
  utsname_out: out((c, v) => struct(c.k, v, 390, (d) => {
    const field = (i: number) => quoteCString(new Uint8Array(d.buffer, d.byteOffset + 65 * i, 65), 64);
    return `{sysname=${field(0)}, nodename=${field(1)}, ...}`;
  })),
  rlimit_in: { print: (c, i) => struct(c.k, c.args[i], 16, (d) => `{rlim_cur=${rlim(d.getBigUint64(0, true))}, rlim_max=${rlim(d.getBigUint64(8, true))}}`) },
  rlimit_out: out((c, v) => struct(c.k, v, 16, (d) => `{rlim_cur=${rlim(d.getBigUint64(0, true))}, rlim_max=${rlim(d.getBigUint64(8, true))}}`)),
  resource: n((v) => X.xval(X.RLIMIT_RESOURCES, v | 0, 'RLIMIT_???')),
  signo: n((v) => ((v | 0) === 0 ? '0' : sigName(v | 0))),
  sigaction_in: { print: (c, i) => sigaction(c.k, c.args[i]) },
  sigaction_out: out((c, v) => sigaction(c.k, v)),
  sigset_in: { print: (c, i) => struct(c.k, c.args[i], 8, (d) => sigsetText(d.getBigUint64(0, true))) },
  sigset_out: out((c, v) => struct(c.k, v, 8, (d) => sigsetText(d.getBigUint64(0, true)))),
  sighow: n((v) => X.xval(X.SIGPROCMASK_HOW, v | 0, 'SIG_???')),
  ioctlcmd: n((v) => X.xlookup(X.IOCTL_CMDS, v >>> 0) ?? iocText(v >>> 0)),
  arch_prctl_code: n((v) => X.xval(X.ARCH_PRCTL_CODES, v | 0, 'ARCH_???')),
  futexop: n((v) => {
    const op = X.xlookup(X.FUTEX_OPS, v & 0x7f) ?? String(v & 0x7f);
    const priv = v & X.FUTEX_PRIVATE_FLAG ? '_PRIVATE' : '';
    const rt = v & X.FUTEX_CLOCK_REALTIME ? '|FUTEX_CLOCK_REALTIME' : '';
    const rest = v & ~(0x7f | X.FUTEX_PRIVATE_FLAG | X.FUTEX_CLOCK_REALTIME);
    return `${op}${priv}${rt}${rest ? '|' + hex(rest) : ''}`;
  }),
  cpuset_out: out((c, v) => cpuList(c, v, Math.max(0, c.result!))),
  dirents_out: out((c, v) => {
    const b = peek(c.k, v, Math.max(0, c.result!));
    if (!b) return hex(v);
    let entries = 0;
    for (let off = 0; off + 18 <= b.length; entries++) {
      const reclen = view(b).getUint16(off + 16, true);
      if (reclen === 0) break;
      off += reclen;
    }
    return `${hex(v)} /* ${entries} entries */`;
  }),
  getrandomflags: n((v) => X.xflags(X.GETRANDOM_FLAGS, v, '0', 'GRND_???')),
  unsigned_out: out((c, v) => struct(c.k, v, 4, (d) => `[${d.getUint32(0, true)}]`)),
  int_out: out((c, v) => struct(c.k, v, 4, (d) => `[${d.getInt32(0, true)}]`)),
  fds_out: out((c, v) => struct(c.k, v, 8, (d) => `[${d.getInt32(0, true)}, ${d.getInt32(4, true)}]`)),
  sigaltstack_in: { print: (c, i) => sigaltstack(c.k, c.args[i]) },
  sigaltstack_out: out((c, v) => sigaltstack(c.k, v)),
  fcntlcmd: n((v) => X.xval(X.FCNTL_CMDS, v | 0, 'F_???')),
  fcntlarg: {
    print: (c, i) => {
      const cmd = (sibling(c, 'fcntlcmd') ?? -1) | 0;
      const v = c.args[i];
      if (FCNTL_NO_ARG.has(cmd)) return null;
      if (cmd === F.SETFD) return X.xflags(X.FD_FLAGS, v);
      if (cmd === F.SETFL) return openFlagsText(v, true);
      if (cmd === F.DUPFD || cmd === F.DUPFD_CLOEXEC || cmd === F.SETOWN || cmd === F.SETSIG || cmd === F.SETPIPE_SZ || cmd === F.SETLEASE || cmd === F.NOTIFY) return String(v | 0);
      return hexOr0(v);
    },
  },
  madvice: n((v) => X.xval(X.MADVISE_ADVICE, v | 0, 'MADV_???')),
  ioctlarg: { out: true, onError: true, print: (c, i) => ioctlArg(c, c.args[i]) },
  waitoptions: n((v) => X.xflags(X.WAIT_OPTIONS, v, '0', 'W???')),
  futex_timeout: { print: (c, i) => futexArg(c, i, 3) },
  futex_uaddr2: { print: (c, i) => futexArg(c, i, 4) },
  futex_val3: { print: (c, i) => futexArg(c, i, 5) },
  pollfds: { print: (c, i) => pollfds(c, c.args[i], lenOf(c, i), false) },
  fdset: { print: (c, i) => fdset(c, c.args[i], lenOf(c, i)) },
  timeval_in: { print: (c, i) => timespec(c.k, c.args[i], true) },
  // Only an interrupted sleep writes the time left (strace: is_erestart); else the bare address.
  timespec_rem: { out: true, onError: true, print: (c, i) => (c.result !== null && isRestart(c.result) ? timespec(c.k, c.args[i]) : ptr(c.args[i])) },
  timerflags: n((v) => X.xflags(X.TIMER_FLAGS, v, '0', 'TIMER_???')),
  tms_out: out((c, v) => struct(c.k, v, 32, (d) => `{tms_utime=${i64(d, 0)}, tms_stime=${i64(d, 8)}, tms_cutime=${i64(d, 16)}, tms_cstime=${i64(d, 24)}}`)),
  rusage_who: n((v) => X.xval(X.RUSAGE_WHO, v | 0, 'RUSAGE_???')),
  rusage_out: out((c, v) => struct(c.k, v, 32, (d) => `{ru_utime={tv_sec=${i64(d, 0)}, tv_usec=${i64(d, 8)}}, ru_stime={tv_sec=${i64(d, 16)}, tv_usec=${i64(d, 24)}}, ...}`)),
  cpuset_in: { print: (c, i) => cpuList(c, c.args[i], lenOf(c, i)) },
  statx_flags: n((v) => {
    const sync = X.xlookup(X.STATX_SYNC_TYPES, v & X.AT_STATX_SYNC_TYPE) ?? hex(v & X.AT_STATX_SYNC_TYPE);
    const rest = X.xflags(X.AT_FLAGS.filter(([, f]) => !(f & X.AT_STATX_SYNC_TYPE)), v & ~X.AT_STATX_SYNC_TYPE, '', 'AT_???');
    return rest ? `${sync}|${rest}` : sync;
  }),
  statx_mask: n((v) => X.xflags(X.STATX_MASK, v, '0', 'STATX_???')),
  mremap_newaddr: { print: (c, i) => ((sibling(c, 'mremapflags') ?? 0) & 2 ? ptr(c.args[i]) : null) },
  cwd_out: out((c, v) => {
    const b = peek(c.k, v, Math.max(0, c.result!));
    return b ? quoteCString(b, PATH_MAX - 1) : hex(v);
  }),
};

/** A bit mask of CPUs (or descriptors) as strace lists it: [0 1 5]. */
function bitList(b: Uint8Array, nbits: number): string {
  const set: number[] = [];
  for (let i = 0; i < Math.min(nbits, 8 * b.length); i++) if (b[i >> 3] & (1 << (i & 7))) set.push(i);
  return `[${set.join(' ')}]`;
}

function cpuList(c: CallContext, addr: number, bytes: number): string {
  if (addr === 0) return 'NULL';
  const b = peek(c.k, addr, Math.min(bytes, 1024));
  return b ? bitList(b, 8 * b.length) : hex(addr);
}

/** An fd_set of `nfds` bits (select). */
function fdset(c: CallContext, addr: number, nfds: number): string {
  if (addr === 0) return 'NULL';
  const n = Math.max(0, Math.min(nfds, 1024));
  const b = peek(c.k, addr, Math.ceil(n / 64) * 8);
  return b ? bitList(b, n) : hex(addr);
}

/** struct pollfd[n]: events on entry, or the entries with revents after the call. */
function pollfds(c: CallContext, addr: number, n: number, revents: boolean): string {
  if (addr === 0) return 'NULL';
  const count = Math.max(0, Math.min(n, 1024));
  const b = peek(c.k, addr, 8 * count);
  if (!b) return hex(addr);
  const d = view(b);
  const parts: string[] = [];
  for (let i = 0; i < count; i++) {
    const fd = d.getInt32(8 * i, true), ev = d.getInt16(8 * i + (revents ? 6 : 4), true);
    if (revents && ev === 0) continue;
    parts.push(`{fd=${fd}, ${revents ? 'revents' : 'events'}=${X.xflags(X.POLL_EVENTS, ev & 0xffff, '0', 'POLL???')}}`);
  }
  return `[${parts.join(', ')}]`;
}

/**
 * futex's timeout, uaddr2 and val3 (argument `n` = 3, 4, 5), shown as strace shows them for the op:
 * WAIT has a timeout, WAKE nothing more, the requeue ops a count, a second address and a value,
 * WAKE_OP its encoded operation. null leaves the argument out.
 */
function futexArg(c: CallContext, i: number, n: number): string | null {
  const op = (sibling(c, 'futexop') ?? 0) & 0x7f;
  const v = c.args[i];
  const WAIT = 0, WAKE = 1, REQUEUE = 3, CMP_REQUEUE = 4, WAKE_OP = 5, LOCK_PI = 6, WAIT_BITSET = 9, WAKE_BITSET = 10, WAIT_REQUEUE_PI = 11, CMP_REQUEUE_PI = 12, LOCK_PI2 = 13;
  const bitset = (b: number) => ((b | 0) === -1 ? 'FUTEX_BITSET_MATCH_ANY' : hexOr0(b >>> 0));
  switch (op) {
    case WAIT: return n === 3 ? timespec(c.k, v) : null;
    case WAIT_BITSET: return n === 3 ? timespec(c.k, v) : n === 5 ? bitset(v) : null;
    case WAKE: return null;
    case WAKE_BITSET: return n === 5 ? bitset(v) : null;
    case LOCK_PI: case LOCK_PI2: return null;
    case WAIT_REQUEUE_PI: return n === 3 ? timespec(c.k, v) : n === 4 ? ptr(v) : null;
    case REQUEUE: return n === 3 ? String(v >>> 0) : n === 4 ? ptr(v) : null;
    case CMP_REQUEUE: case CMP_REQUEUE_PI: return n === 3 ? String(v >>> 0) : n === 4 ? ptr(v) : String(v | 0);
    case WAKE_OP: {
      if (n === 3) return String(v >>> 0);
      if (n === 4) return ptr(v);
      const o = (v >>> 28) & 7, cmp = (v >>> 24) & 15, oparg = (v >>> 12) & 0xfff, cmparg = v & 0xfff;
      const opName = (X.xlookup(X.FUTEX_WAKE_OPS, o) ?? String(o)) + ((v >>> 31) & 1 ? '|FUTEX_OP_OPARG_SHIFT' : '');
      return `${opName}<<28|0x${oparg.toString(16)}<<12|${X.xlookup(X.FUTEX_WAKE_CMPS, cmp) ?? cmp}<<24|${cmparg ? '0x' + cmparg.toString(16) : '0'}`;
    }
    default: return null; // UNLOCK_PI, TRYLOCK_PI: uaddr and op only
  }
}

/** An unknown ioctl request, decoded as _IOC(dir, type, nr, size). */
function iocText(cmd: number): string {
  const h = (v: number) => (v ? '0x' + v.toString(16) : '0');
  return `_IOC(${X.IOC_DIRS[cmd >>> 30]}, ${h((cmd >> 8) & 0xff)}, ${h(cmd & 0xff)}, ${h((cmd >> 16) & 0x3fff)})`;
}

const IOCTL_INT = new Set([0x541b, 0x5411, 0x5421, 0x5452, 0x540f, 0x5410, 0x5429]); // FIONREAD TIOCOUTQ FIONBIO FIOASYNC TIOCGPGRP TIOCSPGRP TIOCGSID
const IOCTL_NO_ARG = new Set([0x5450, 0x5451, 0x540c, 0x540d, 0x5422]); // FIONCLEX FIOCLEX TIOCEXCL TIOCNXCL TIOCNOTTY

function ioctlArg(c: CallContext, v: number): string | null {
  const cmd = (sibling(c, 'ioctlcmd') ?? 0) >>> 0;
  if (IOCTL_NO_ARG.has(cmd)) return null;
  if (c.result !== null && c.result < 0) return hexOr0(v);
  if (IOCTL_INT.has(cmd)) return struct(c.k, v, 4, (d) => `[${d.getInt32(0, true)}]`);
  if (cmd === 0x5413 || cmd === 0x5414) {
    return struct(c.k, v, 8, (d) => `{ws_row=${d.getUint16(0, true)}, ws_col=${d.getUint16(2, true)}, ws_xpixel=${d.getUint16(4, true)}, ws_ypixel=${d.getUint16(6, true)}}`);
  }
  return hexOr0(v);
}

function cstr(c: CallContext, addr: number, limit: number): string {
  if (addr === 0) return 'NULL';
  const raw = peekCString(c.k, addr, limit);
  return raw ? quoteCString(raw, limit) : hex(addr);
}

/** A result strace prints in its own way (fcntl F_GETFL: `0x8002 (flags O_RDWR|O_LARGEFILE)`), or undefined. */
export function resultOverride(c: CallContext): string | undefined {
  const r = c.result!;
  const poll = c.specs.findIndex((s) => s.kind === 'pollfds');
  const sets = c.specs.map((s, i) => (s.kind === 'fdset' ? i : -1)).filter((i) => i >= 0);
  if ((poll >= 0 || sets.length) && r >= 0) {
    if (r === 0) return '0 (Timeout)';
    const parts: string[] = [];
    if (poll >= 0) parts.push(pollfds(c, c.args[poll], lenOf(c, poll), true));
    sets.forEach((i, n) => {
      if (c.args[i] === 0) return;
      const text = fdset(c, c.args[i], lenOf(c, i));
      if (text !== '[]') parts.push(`${['in', 'out', 'except'][n]} ${text}`);
    });
    const tmo = c.specs.findIndex((s) => s.kind === 'timespec_in' || s.kind === 'timeval_in');
    if (tmo >= 0 && c.args[tmo] !== 0) parts.push(`left ${timespec(c.k, c.args[tmo], c.specs[tmo].kind === 'timeval_in')}`);
    return `${r} (${parts.join(', ')})`;
  }
  const cmd = sibling(c, 'fcntlcmd');
  if (cmd === undefined || r < 0) return undefined;
  if ((cmd | 0) === F.GETFL) return `${r ? hex(r) : '0'} (flags ${openFlagsText(r, true)})`;
  if (r === 0) return undefined;
  if ((cmd | 0) === F.GETFD) return `${hex(r)} (flags ${X.xflags(X.FD_FLAGS, r)})`;
  return undefined;
}

/** quoteBytes, re-exported for the tracer's execve line. */
export { quoteBytes };
