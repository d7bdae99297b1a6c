// ioctl, poll/ppoll/select/pselect6, getrandom, futex and sysinfo (linux/drivers/tty/tty_io.c and
// n_tty, fs/ioctl.c, fs/select.c, drivers/char/random.c, kernel/futex/, kernel/sys.c).
//
// Readiness is simple in a single process: a pipe is ready by its buffer, and every other file is
// reported ready (a read from a terminal then blocks the host, as a real read would block the guest).
// A futex nobody else can wake, or a poll nothing can satisfy, is a wait that never ends (EDEADLK).

import * as tty from 'node:tty';
import { Errno } from '../errno.js';
import { copyFromUser, copyToUser, StructWriter } from '../uaccess.js';
import { PipeEnd } from '../fs/pipe.js';
import { hostStat, type OpenFile } from '../fs/file.js';
import { AT_FDCWD, hostPath } from '../fs/path.js';
import { userPathAt } from './namei.js';
import { O, wouldBlockForever } from './common.js';
import { getTimespec, sleepNs } from './time.js';
import { CLOCK } from '../clock.js';
import type { Kernel } from '../kernel.js';
import { a, type SyscallRow } from './types.js';

// ---- ioctl ----

const IOC = {
  TCGETS: 0x5401, TCSETS: 0x5402, TCSETSW: 0x5403, TCSETSF: 0x5404, TIOCGPGRP: 0x540f, TIOCSPGRP: 0x5410,
  TIOCGWINSZ: 0x5413, TIOCSWINSZ: 0x5414, FIONREAD: 0x541b, FIONBIO: 0x5421, FIONCLEX: 0x5450, FIOCLEX: 0x5451, FIOASYNC: 0x5452,
} as const;

/** struct termios of a terminal after `stty sane` (c_iflag, c_oflag, c_cflag, c_lflag, c_line, c_cc[19]). */
function saneTermios(): Uint8Array {
  const w = new StructWriter(36);
  w.u32(0, 0x4500) // ICRNL IXON IUTF8
    .u32(4, 0x5) // OPOST ONLCR
    .u32(8, 0xbf) // B38400 CS8 CREAD
    .u32(12, 0x8a3b); // ISIG ICANON ECHO ECHOE ECHOK ECHOCTL ECHOKE IEXTEN
  // VINTR ^C, VQUIT ^\, VERASE DEL, VKILL ^U, VEOF ^D, VTIME 0, VMIN 1, VSWTC, VSTART ^Q, VSTOP ^S, VSUSP ^Z,
  // VEOL, VREPRINT ^R, VDISCARD ^O, VWERASE ^W, VLNEXT ^V, VEOL2.
  w.bytes.set([3, 0x1c, 0x7f, 0x15, 4, 0, 1, 0, 0x11, 0x13, 0x1a, 0, 0x12, 0x0f, 0x17, 0x16, 0], 17);
  return w.bytes;
}

/** Terminal settings a guest set with TCSETS, per open file (the host terminal itself is left alone). */
const termiosOf = new WeakMap<OpenFile, Uint8Array>();

/** The host terminal's size for TIOCGWINSZ: from whichever of colonel's own streams is that terminal. */
function hostWinsize(f: OpenFile): { rows: number; cols: number } {
  const byFd: Record<number, NodeJS.WriteStream> = { 1: process.stdout, 2: process.stderr };
  const s = [byFd[f.hostFd() ?? -1], process.stdout, process.stderr].find((x) => x?.isTTY) as tty.WriteStream | undefined;
  return s ? { rows: s.rows || 24, cols: s.columns || 80 } : { rows: 24, cols: 80 };
}

function sysIoctl(k: Kernel, fd: number, cmd: number, arg: number): number {
  fd |= 0;
  const f = k.file(fd);
  if (!f || f.flags & O.PATH) return -Errno.EBADF;
  switch (cmd) {
    case IOC.FIOCLEX: k.cloexec.add(fd); return 0;
    case IOC.FIONCLEX: k.cloexec.delete(fd); return 0;
    case IOC.FIONBIO: case IOC.FIOASYNC: {
      const on = new DataView(copyFromUser(k, arg, 4).buffer).getInt32(0, true) !== 0;
      const flag = cmd === IOC.FIONBIO ? O.NONBLOCK : O.ASYNC;
      f.flags = on ? f.flags | flag : f.flags & ~flag;
      return 0;
    }
    case IOC.FIONREAD: {
      let n: number;
      if (f instanceof PipeEnd) n = f.pipe.size;
      else if ((f.stat().mode & 0o170000) === 0o100000) n = Math.max(0, f.stat().size - Math.max(0, f.seek(0, 1)));
      else if (f.isatty()) n = 0;
      else return -Errno.ENOTTY;
      copyToUser(k, arg, new StructWriter(4).i32(0, n).bytes);
      return 0;
    }
  }
  // The rest are terminal ioctls: on anything but a terminal, ENOTTY (how isatty() answers "no").
  if (!f.isatty()) return -Errno.ENOTTY;
  switch (cmd) {
    case IOC.TCGETS: copyToUser(k, arg, termiosOf.get(f) ?? saneTermios()); return 0;
    case IOC.TCSETS: case IOC.TCSETSW: case IOC.TCSETSF: termiosOf.set(f, copyFromUser(k, arg, 36)); return 0;
    case IOC.TIOCGWINSZ: {
      const { rows, cols } = hostWinsize(f);
      copyToUser(k, arg, new StructWriter(8).u16(0, rows).u16(2, cols).bytes);
      return 0;
    }
    case IOC.TIOCSWINSZ: copyFromUser(k, arg, 8); return 0;
    case IOC.TIOCGPGRP: copyToUser(k, arg, new StructWriter(4).i32(0, k.pgid).bytes); return 0;
    case IOC.TIOCSPGRP: copyFromUser(k, arg, 4); return 0;
    default: return -Errno.ENOTTY;
  }
}

// ---- poll and select ----

const POLLIN = 0x1, POLLPRI = 0x2, POLLOUT = 0x4, POLLERR = 0x8, POLLHUP = 0x10, POLLNVAL = 0x20, POLLRDNORM = 0x40, POLLWRNORM = 0x100;

/** What a file is ready for now (the file's poll method). */
function readiness(f: OpenFile): number {
  let m = f instanceof PipeEnd ? f.pollMask() : POLLIN | POLLOUT;
  if (m & POLLIN) m |= POLLRDNORM;
  if (m & POLLOUT) m |= POLLWRNORM;
  return m;
}

/** Nothing is ready: time out after `timeoutNs` (null: never, so the wait cannot end). */
function waitNothing(k: Kernel, timeoutNs: bigint | null, what: string): number {
  if (timeoutNs === null) return wouldBlockForever(k, what);
  sleepNs(k, timeoutNs);
  return 0;
}

function doPoll(k: Kernel, fdsAddr: number, nfds: number, timeoutNs: bigint | null): number {
  if (nfds < 0 || nfds > k.fdLimit()) return -Errno.EINVAL;
  const raw = copyFromUser(k, fdsAddr, nfds * 8);
  const v = new DataView(raw.buffer);
  let count = 0;
  for (let i = 0; i < nfds; i++) {
    const fd = v.getInt32(i * 8, true), events = v.getInt16(i * 8 + 4, true);
    let rev = 0;
    if (fd >= 0) {
      const f = k.file(fd);
      rev = f ? readiness(f) & (events | POLLERR | POLLHUP) : POLLNVAL;
    }
    v.setInt16(i * 8 + 6, rev, true);
    if (rev) count++;
  }
  copyToUser(k, fdsAddr, raw);
  return count ? count : waitNothing(k, timeoutNs, 'poll with nothing ready and no timeout');
}

/** select/pselect6 over fd_set bitmaps (nfds bits, in longs); exceptional conditions never occur. */
function doSelect(k: Kernel, nfds: number, sets: number[], timeoutNs: bigint | null): number {
  if (nfds < 0 || nfds > k.fdLimit()) return -Errno.EINVAL;
  const bytes = Math.ceil(nfds / 64) * 8;
  const maps = sets.map((addr) => (addr ? copyFromUser(k, addr, bytes) : null));
  const isSet = (m: Uint8Array, fd: number) => (m[fd >> 3] >> (fd & 7)) & 1;
  for (let fd = 0; fd < nfds; fd++) if (maps.some((m) => m && isSet(m, fd)) && !k.file(fd)) return -Errno.EBADF;
  let count = 0;
  const want = [POLLIN | POLLHUP | POLLERR, POLLOUT | POLLERR, POLLPRI];
  const out = maps.map((m) => (m ? new Uint8Array(m.length) : null));
  for (let fd = 0; fd < nfds; fd++) {
    for (let s = 0; s < 3; s++) {
      const m = maps[s];
      if (!m || !isSet(m, fd)) continue;
      if (readiness(k.file(fd)!) & want[s]) { out[s]![fd >> 3] |= 1 << (fd & 7); count++; }
    }
  }
  sets.forEach((addr, s) => { if (addr) copyToUser(k, addr, out[s]!); });
  return count ? count : waitNothing(k, timeoutNs, 'select with nothing ready and no timeout');
}

/** A struct timeval timeout (select): ns, null for none, or -EINVAL. */
function getTimeval(k: Kernel, addr: number): bigint | null | number {
  if (!addr) return null;
  const v = new DataView(copyFromUser(k, addr, 16).buffer);
  const sec = v.getBigInt64(0, true), usec = v.getBigInt64(8, true);
  if (sec < 0n || usec < 0n || usec >= 1_000_000n) return -Errno.EINVAL;
  return sec * 1_000_000_000n + usec * 1000n;
}

function optTimespec(k: Kernel, addr: number): bigint | null | number {
  return addr ? getTimespec(k, addr) : null;
}

// ---- getrandom ----

/**
 * getrandom's bytes come from a PRNG (xoshiro128**) seeded with the layout seed (k.options.seed, 0 for
 * the fixed layout), so runs repeat exactly; with --aslr the seed itself is random, and so are the bytes.
 * This is not cryptographic randomness, on purpose: colonel is for watching programs, not for keys.
 */
const rngState = new WeakMap<Kernel, Uint32Array>();

function rngFor(k: Kernel): Uint32Array {
  let s = rngState.get(k);
  if (!s) {
    let x = ((k.options.seed ?? 0) ^ 0x6a09e667) >>> 0; // splitmix32 expands the seed to 128 bits
    s = new Uint32Array(4);
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    rngState.set(k, s);
  }
  return s;
}

function nextRandom32(s: Uint32Array): number {
  const r = Math.imul(((Math.imul(s[1], 5) << 7) | (Math.imul(s[1], 5) >>> 25)), 9) >>> 0;
  const t = s[1] << 9;
  s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t;
  s[3] = (s[3] << 11) | (s[3] >>> 21);
  return r;
}

const GRND_NONBLOCK = 1, GRND_RANDOM = 2, GRND_INSECURE = 4;

function sysGetrandom(k: Kernel, buf: number, len: number, flags: number): number {
  if (flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE) || (flags & (GRND_RANDOM | GRND_INSECURE)) === (GRND_RANDOM | GRND_INSECURE)) return -Errno.EINVAL;
  if (len < 0) return -Errno.EINVAL;
  const n = Math.min(len, 1 << 25);
  const out = new Uint8Array(n);
  const s = rngFor(k);
  for (let i = 0; i < n; i += 4) {
    const r = nextRandom32(s);
    for (let j = 0; j < 4 && i + j < n; j++) out[i + j] = (r >>> (8 * j)) & 0xff;
  }
  copyToUser(k, buf, out);
  return n;
}

// ---- futex ----

const FUTEX = { WAIT: 0, WAKE: 1, REQUEUE: 3, CMP_REQUEUE: 4, WAKE_OP: 5, WAIT_BITSET: 9, WAKE_BITSET: 10 } as const;
const FUTEX_PRIVATE_FLAG = 128, FUTEX_CLOCK_REALTIME = 256;

/** FUTEX_WAKE_OP's operation on *uaddr2 (kernel/futex/waitwake.c futex_atomic_op_inuser). */
function wakeOp(k: Kernel, uaddr2: number, val3: number): number {
  if (uaddr2 % 4 !== 0) return -Errno.EINVAL;
  const op = (val3 >>> 28) & 7;
  let oparg = (val3 << 8) >> 20; // bits 12..23, sign-extended
  if (val3 & 0x80000000) oparg = 1 << (oparg & 31); // FUTEX_OP_OPARG_SHIFT
  const old = k.mem.read32(uaddr2);
  const next = [oparg, old + oparg, old | oparg, old & ~oparg, old ^ oparg][op];
  if (next === undefined) return -Errno.ENOSYS;
  k.mem.write32(uaddr2, next | 0);
  return 0; // no waiters exist to wake
}

function sysFutex(k: Kernel, uaddr: number, op: number, val: number, timeout: number, uaddr2: number, val3: number): number {
  const cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
  if (op & FUTEX_CLOCK_REALTIME && cmd !== FUTEX.WAIT_BITSET && cmd !== FUTEX.WAIT) return -Errno.ENOSYS;
  if (uaddr % 4 !== 0) return -Errno.EINVAL;
  switch (cmd) {
    case FUTEX.WAIT: case FUTEX.WAIT_BITSET: {
      if (cmd === FUTEX.WAIT_BITSET && (val3 | 0) === 0) return -Errno.EINVAL;
      let t: bigint | null = null;
      if (timeout) {
        const ts = getTimespec(k, timeout);
        if (typeof ts === 'number') return ts;
        // FUTEX_WAIT's timeout is relative; FUTEX_WAIT_BITSET's is absolute (monotonic, or realtime).
        t = cmd === FUTEX.WAIT ? ts : ts - k.clockNs(op & FUTEX_CLOCK_REALTIME ? CLOCK.REALTIME : CLOCK.MONOTONIC)!;
      }
      if (k.mem.read32(uaddr) !== (val | 0)) return -Errno.EAGAIN;
      // The value matches, so the caller sleeps until another thread wakes it: there is none.
      if (t === null) return wouldBlockForever(k, 'futex wait (no other thread can wake it)');
      sleepNs(k, t);
      return -Errno.ETIMEDOUT;
    }
    case FUTEX.WAKE: case FUTEX.WAKE_BITSET:
      k.mem.read32(uaddr); // EFAULT on a bad address, as Linux's get_futex_key
      return 0; // no thread is waiting
    case FUTEX.REQUEUE: return 0;
    case FUTEX.CMP_REQUEUE: return k.mem.read32(uaddr) !== (val3 | 0) ? -Errno.EAGAIN : 0;
    case FUTEX.WAKE_OP: return wakeOp(k, uaddr2, val3 | 0);
    default: return -Errno.ENOSYS;
  }
}

// ---- sysinfo ----

/** struct sysinfo (x86-64, 112 bytes): uptime, loads[3], totalram, freeram, ..., procs, mem_unit. */
function sysSysinfo(k: Kernel, buf: number): number {
  const w = new StructWriter(112);
  const total = k.mm.memoryCap, used = k.mm.mappedBytes();
  w.u64(0, k.clockNs(CLOCK.BOOTTIME)! / 1_000_000_000n)
    .u64(32, total).u64(40, Math.max(0, total - used)).u64(48, 0).u64(56, 0).u64(64, 0).u64(72, 0)
    .u16(80, 1) // procs
    .u32(104, 1); // mem_unit
  copyToUser(k, buf, w.bytes);
  return 0;
}

/** getxattr and lgetxattr: colonel keeps no extended attributes, so a file that exists has none. */
function noXattr(k: Kernel, pathAddr: number, follow: boolean): number {
  const abs = userPathAt(k, AT_FDCWD, pathAddr);
  if (typeof abs === 'number') return abs;
  const st = hostStat(hostPath(k, abs), follow);
  return typeof st === 'number' ? st : -Errno.ENODATA;
}

export const MISC_SYSCALLS: SyscallRow[] = [
  {
    nr: 221, name: 'fadvise64', args: [a('fd', 'fd'), a('offset', 'off'), a('len', 'size'), a('advice', 'int')], ret: 'int', status: 'full', classes: ['desc'],
    note: 'advice only: accepted and ignored, as a kernel may', handler: (k, fd, _off, len, advice) => (!k.file(fd | 0) ? -Errno.EBADF : len < 0 || advice < 0 || advice > 5 ? -Errno.EINVAL : 0),
  },
  { nr: 191, name: 'getxattr', args: [a('path', 'path'), a('name', 'str'), a('value', 'ptr'), a('size', 'size')], ret: 'int', status: 'partial', classes: ['file'], note: 'no extended attributes: ENODATA', handler: (k, p) => noXattr(k, p, true) },
  { nr: 192, name: 'lgetxattr', args: [a('path', 'path'), a('name', 'str'), a('value', 'ptr'), a('size', 'size')], ret: 'int', status: 'partial', classes: ['file'], note: 'no extended attributes: ENODATA', handler: (k, p) => noXattr(k, p, false) },
  { nr: 193, name: 'fgetxattr', args: [a('fd', 'fd'), a('name', 'str'), a('value', 'ptr'), a('size', 'size')], ret: 'int', status: 'partial', classes: ['desc'], note: 'no extended attributes: ENODATA', handler: (k, fd) => (k.file(fd | 0) ? -Errno.ENODATA : -Errno.EBADF) },
  { nr: 41, name: 'socket', args: [a('domain', 'int'), a('type', 'int'), a('protocol', 'int')], ret: 'fd', status: 'partial', classes: ['network'], note: 'no network stack: every address family is EAFNOSUPPORT', handler: () => -Errno.EAFNOSUPPORT },
  {
    nr: 16, name: 'ioctl', args: [a('fd', 'fd'), a('request', 'ioctlcmd'), a('arg', 'ioctlarg')], ret: 'int', status: 'partial', classes: ['desc'],
    note: 'terminals: TCGETS/TCSETS* (recorded, host terminal untouched), TIOCGWINSZ from the host, TIOCGPGRP; any fd: FIONBIO, FIOASYNC, FIOCLEX, FIONCLEX, FIONREAD; else ENOTTY',
    handler: (k, fd, cmd, arg) => sysIoctl(k, fd, cmd >>> 0, arg),
  },
  {
    nr: 7, name: 'poll', args: [a('fds', 'pollfds', 1), a('nfds', 'uint'), a('timeout', 'int')], ret: 'int', status: 'partial', classes: ['desc'],
    note: 'pipes by their buffer; other files always ready', handler: (k, fds, n, ms) => doPoll(k, fds, n, (ms | 0) < 0 ? null : BigInt(ms | 0) * 1_000_000n),
  },
  {
    nr: 271, name: 'ppoll', args: [a('fds', 'pollfds', 1), a('nfds', 'uint'), a('tmo_p', 'timespec_in'), a('sigmask', 'sigset_in'), a('sigsetsize', 'size')], ret: 'int', status: 'partial', classes: ['desc'],
    note: 'pipes by their buffer; other files always ready; the temporary mask does not matter without delivery',
    handler: (k, fds, n, tmo, mask, size) => {
      if (mask && size !== 8) return -Errno.EINVAL;
      const t = optTimespec(k, tmo);
      return typeof t === 'number' ? t : doPoll(k, fds, n, t);
    },
  },
  {
    nr: 23, name: 'select', args: [a('nfds', 'int'), a('readfds', 'fdset', 0), a('writefds', 'fdset', 0), a('exceptfds', 'fdset', 0), a('timeout', 'timeval_in')], ret: 'int', status: 'partial', classes: ['desc'],
    note: 'pipes by their buffer; other files always ready; the timeout is not updated',
    handler: (k, n, r, w, e, tv) => {
      const t = getTimeval(k, tv);
      return typeof t === 'number' ? t : doSelect(k, n | 0, [r, w, e], t);
    },
  },
  {
    nr: 270, name: 'pselect6', args: [a('nfds', 'int'), a('readfds', 'fdset', 0), a('writefds', 'fdset', 0), a('exceptfds', 'fdset', 0), a('timeout', 'timespec_in'), a('sigmask', 'ptr')], ret: 'int', status: 'partial', classes: ['desc'],
    note: 'pipes by their buffer; other files always ready',
    handler: (k, n, r, w, e, ts) => {
      const t = optTimespec(k, ts);
      return typeof t === 'number' ? t : doSelect(k, n | 0, [r, w, e], t);
    },
  },
  {
    nr: 318, name: 'getrandom', args: [a('buf', 'outbuf', 1), a('buflen', 'size'), a('flags', 'getrandomflags')], ret: 'int', status: 'partial', classes: [],
    note: 'deterministic: a PRNG seeded with the layout seed (random only when the seed is, as with --aslr)', handler: (k, buf, len, flags) => sysGetrandom(k, buf, len, flags | 0),
  },
  {
    nr: 202, name: 'futex', args: [a('uaddr', 'ptr'), a('futex_op', 'futexop'), a('val', 'int'), a('timeout', 'futex_timeout'), a('uaddr2', 'futex_uaddr2'), a('val3', 'futex_val3')], ret: 'int', status: 'partial', classes: [],
    note: 'one thread: WAKE wakes nobody; WAIT is EAGAIN on a mismatch, ETIMEDOUT after advancing the clock with a timeout, else EDEADLK; no PI or requeue of waiters',
    handler: (k, uaddr, op, val, timeout, uaddr2, val3) => sysFutex(k, uaddr, op | 0, val, timeout, uaddr2, val3),
  },
  { nr: 99, name: 'sysinfo', args: [a('info', 'ptr')], ret: 'int', status: 'full', handler: (k, buf) => sysSysinfo(k, buf) },
];
