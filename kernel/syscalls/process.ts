// Process-level syscalls: exit, identity, arch_prctl, set_tid_address, uname, resource limits,
// process groups, the scheduler's CPU affinity, and the calls that would need a second process
// (linux/kernel/exit.c, sys.c, fork.c, sched/core.c, arch/x86/kernel/process_64.c).
//
// colonel runs one single-threaded process on one CPU: fork, clone, execve and wait4 are explicit
// rows that say so (ENOSYS, or ECHILD for wait), and the affinity calls see exactly CPU 0.

import { Reg } from '../../cpu/cpu.js';
import { Errno } from '../errno.js';
import { copyFromUser, copyToUser, StructWriter, putUser64, putUser32 } from '../uaccess.js';
import { NR_OPEN, RLIMIT, RLIM_NLIMITS } from '../rlimit.js';
import type { Kernel } from '../kernel.js';
import { a, type SyscallRow } from './types.js';

const ARCH_SET_GS = 0x1001, ARCH_SET_FS = 0x1002, ARCH_GET_FS = 0x1003, ARCH_GET_GS = 0x1004;

export const UTSNAME = { sysname: 'Linux', nodename: 'colonel', release: '6.12.0-colonel', version: '#1 SMP PREEMPT_DYNAMIC colonel', machine: 'x86_64', domainname: '(none)' };

/** The memory cap before any RLIMIT_AS lowered it (restored when the limit is raised again). */
const baseMemoryCap = new WeakMap<Kernel, number>();

/** Apply a limit colonel enforces: the descriptor cap, stack growth, the mapping cap. */
function applyRlimit(k: Kernel, res: number, cur: bigint): void {
  if (res === RLIMIT.STACK) {
    const stack = k.mm.vmas.find((v) => v.name === '[stack]');
    if (stack) k.mm.stackLimit = cur >= BigInt(stack.end) ? 0 : stack.end - Number(cur);
  } else if (res === RLIMIT.AS) {
    if (!baseMemoryCap.has(k)) baseMemoryCap.set(k, k.mm.memoryCap);
    const base = baseMemoryCap.get(k)!;
    k.mm.memoryCap = cur >= BigInt(base) ? base : Number(cur);
  }
}

/** The core of getrlimit/setrlimit/prlimit64: struct rlimit64 is {u64 rlim_cur; u64 rlim_max}. */
function sysPrlimit(k: Kernel, pid: number, res: number, newAddr: number, oldAddr: number): number {
  if (pid !== 0 && pid !== k.pid) return -Errno.ESRCH;
  if (res < 0 || res >= RLIM_NLIMITS) return -Errno.EINVAL;
  const old = { ...k.rlimits[res] };
  if (newAddr) {
    const v = new DataView(copyFromUser(k, newAddr, 16).buffer);
    const cur = v.getBigUint64(0, true), max = v.getBigUint64(8, true);
    if (cur > max) return -Errno.EINVAL;
    // The process is root, so it may raise hard limits too; the descriptor cap is fs.nr_open.
    if (res === RLIMIT.NOFILE && max > BigInt(NR_OPEN)) return -Errno.EPERM;
    k.rlimits[res] = { cur, max };
    applyRlimit(k, res, cur);
  }
  if (oldAddr) copyToUser(k, oldAddr, new StructWriter(16).u64(0, old.cur).u64(8, old.max).bytes);
  return 0;
}

const isSelf = (k: Kernel, pid: number) => pid === 0 || pid === k.pid;
/** sizeof(cpumask_t) for one CPU: one unsigned long. */
const CPUMASK_SIZE = 8;

function sysSchedGetaffinity(k: Kernel, pid: number, len: number, mask: number): number {
  if (!isSelf(k, pid)) return -Errno.ESRCH;
  if (len < CPUMASK_SIZE || len % 8 !== 0) return -Errno.EINVAL;
  copyToUser(k, mask, new StructWriter(CPUMASK_SIZE).u64(0, 1).bytes);
  return CPUMASK_SIZE;
}

function sysSchedSetaffinity(k: Kernel, pid: number, len: number, mask: number): number {
  if (!isSelf(k, pid)) return -Errno.ESRCH;
  const bytes = copyFromUser(k, mask, Math.max(0, Math.min(len, CPUMASK_SIZE)));
  // The new mask is intersected with the online CPUs: it must contain CPU 0, the only one.
  return bytes.length > 0 && bytes[0] & 1 ? 0 : -Errno.EINVAL;
}

function sysSetpgid(k: Kernel, pid: number, pgid: number): number {
  if (pid !== 0 && pid !== k.pid) return -Errno.ESRCH;
  if (pgid < 0) return -Errno.EINVAL;
  if (pgid === 0) pgid = k.pid;
  if (k.sid === k.pid) return -Errno.EPERM; // a session leader cannot move
  if (pgid !== k.pid && pgid !== k.pgid) return -Errno.EPERM; // no other group exists in our session
  k.pgid = pgid;
  return 0;
}

/** Options wait4 and waitid accept (kernel/exit.c): WNOHANG, WUNTRACED/WSTOPPED, WEXITED, WCONTINUED, WNOWAIT, __WNOTHREAD, __WALL, __WCLONE. */
const W_THREADS = 0x20000000 | 0x40000000 | 0x80000000;
const WAIT4_OPTIONS = 0x1 | 0x2 | 0x8 | W_THREADS;
const WAITID_OPTIONS = 0x1 | 0x2 | 0x4 | 0x8 | 0x01000000 | W_THREADS;

/** The task's name (comm: 15 bytes and a NUL), set by exec from the program's file name and by PR_SET_NAME. */
const comms = new WeakMap<Kernel, string>();
export function commOf(k: Kernel): string {
  return comms.get(k) ?? (k.exePath.split('/').pop() || 'guest').slice(0, 15);
}

const PR = {
  SET_PDEATHSIG: 1, GET_PDEATHSIG: 2, GET_DUMPABLE: 3, SET_DUMPABLE: 4, SET_NAME: 15, GET_NAME: 16, GET_SECCOMP: 21,
  CAPBSET_READ: 23, GET_TIMERSLACK: 30, SET_TIMERSLACK: 29, SET_CHILD_SUBREAPER: 36, GET_CHILD_SUBREAPER: 37,
  SET_NO_NEW_PRIVS: 38, GET_NO_NEW_PRIVS: 39, SET_THP_DISABLE: 41, GET_THP_DISABLE: 42,
} as const;
/** prctl settings that are only recorded (option → value). */
const prctlState = new WeakMap<Kernel, Map<number, number>>();

function sysPrctl(k: Kernel, option: number, arg2: number): number {
  let st = prctlState.get(k);
  if (!st) prctlState.set(k, (st = new Map([[PR.GET_DUMPABLE, 1], [PR.GET_TIMERSLACK, 50_000]])));
  const get = (o: number) => st!.get(o) ?? 0;
  switch (option) {
    case PR.SET_NAME: {
      const raw = k.mem.readBytes(arg2, 16);
      const end = raw.indexOf(0);
      comms.set(k, Buffer.from(raw.subarray(0, end < 0 ? 15 : Math.min(end, 15))).toString('utf8'));
      return 0;
    }
    case PR.GET_NAME: {
      const out = new Uint8Array(16);
      out.set(Buffer.from(commOf(k), 'utf8').subarray(0, 15));
      copyToUser(k, arg2, out);
      return 0;
    }
    case PR.SET_PDEATHSIG:
      if (arg2 < 0 || arg2 > 64) return -Errno.EINVAL;
      st.set(PR.GET_PDEATHSIG, arg2);
      return 0;
    case PR.GET_PDEATHSIG: putUser32(k, arg2, get(PR.GET_PDEATHSIG)); return 0;
    case PR.SET_DUMPABLE:
      if (arg2 !== 0 && arg2 !== 1) return -Errno.EINVAL;
      st.set(PR.GET_DUMPABLE, arg2);
      return 0;
    case PR.SET_TIMERSLACK: st.set(PR.GET_TIMERSLACK, arg2 || 50_000); return 0;
    case PR.SET_CHILD_SUBREAPER: st.set(PR.GET_CHILD_SUBREAPER, arg2 ? 1 : 0); return 0;
    case PR.GET_CHILD_SUBREAPER: putUser32(k, arg2, get(PR.GET_CHILD_SUBREAPER)); return 0;
    case PR.SET_NO_NEW_PRIVS:
      if (arg2 !== 1) return -Errno.EINVAL;
      st.set(PR.GET_NO_NEW_PRIVS, 1);
      return 0;
    case PR.SET_THP_DISABLE: st.set(PR.GET_THP_DISABLE, arg2 ? 1 : 0); return 0;
    case PR.GET_DUMPABLE: case PR.GET_TIMERSLACK: case PR.GET_NO_NEW_PRIVS: case PR.GET_THP_DISABLE: return get(option);
    case PR.GET_SECCOMP: return 0;
    case PR.CAPBSET_READ: return arg2 >= 0 && arg2 <= 40 ? 1 : -Errno.EINVAL; // root holds every capability
    default: return -Errno.EINVAL; // as Linux answers an option it does not know
  }
}

// ---- priority, scheduling policy, personality (kernel/sys.c, sched/core.c, exec_domain.c) ----

/** The process's nice value (-20..19) and personality word; Linux starts a process with 0 and PER_LINUX. */
const niceOf = new WeakMap<Kernel, number>();
const personalityOf = new WeakMap<Kernel, number>();
const PRIO_PROCESS = 0, PRIO_PGRP = 1, PRIO_USER = 2;
const SCHED_OTHER = 0, SCHED_FIFO = 1, SCHED_RR = 2, SCHED_BATCH = 3, SCHED_IDLE = 5, SCHED_DEADLINE = 6;

/** Does (which, who) name this process? (Its group and user are its own: uid 0, pgid k.pgid.) */
function prioTarget(k: Kernel, which: number, who: number): number {
  if (which !== PRIO_PROCESS && which !== PRIO_PGRP && which !== PRIO_USER) return -Errno.EINVAL;
  const own = which === PRIO_PROCESS ? k.pid : which === PRIO_PGRP ? k.pgid : 0;
  return who === 0 || who === own ? 0 : -Errno.ESRCH;
}

/** getpriority returns 20 - nice (1..40), so that no success looks like an error; glibc turns it back. */
function sysGetpriority(k: Kernel, which: number, who: number): number {
  const r = prioTarget(k, which, who);
  return r < 0 ? r : 20 - (niceOf.get(k) ?? 0);
}

/** setpriority clamps to -20..19; lowering nice needs CAP_SYS_NICE, which colonel's uid 0 has. */
function sysSetpriority(k: Kernel, which: number, who: number, nice: number): number {
  const r = prioTarget(k, which, who);
  if (r < 0) return r;
  niceOf.set(k, Math.min(19, Math.max(-20, nice)));
  return 0;
}

const policyKnown = (p: number) => p === SCHED_OTHER || p === SCHED_FIFO || p === SCHED_RR || p === SCHED_BATCH || p === SCHED_IDLE || p === SCHED_DEADLINE;

const noSecondProcess = 'one process for now: no fork, clone or exec of another program';

export const PROCESS_SYSCALLS: SyscallRow[] = [
  { nr: 60, name: 'exit', args: [a('status', 'int')], ret: 'none', status: 'full', classes: ['process'], note: 'single-threaded: ends the process', handler: (k, code) => { k.exitProcess(code); return 0; } },
  { nr: 231, name: 'exit_group', args: [a('status', 'int')], ret: 'none', status: 'full', classes: ['process'], handler: (k, code) => { k.exitProcess(code); return 0; } },
  { nr: 39, name: 'getpid', args: [], ret: 'int', status: 'full', handler: (k) => k.pid },
  { nr: 186, name: 'gettid', args: [], ret: 'int', status: 'full', handler: (k) => k.pid },
  { nr: 110, name: 'getppid', args: [], ret: 'int', status: 'full', handler: (k) => k.pid - 1 },
  { nr: 102, name: 'getuid', args: [], ret: 'int', status: 'full', classes: ['creds'], handler: () => 0 },
  { nr: 107, name: 'geteuid', args: [], ret: 'int', status: 'full', classes: ['creds'], handler: () => 0 },
  { nr: 104, name: 'getgid', args: [], ret: 'int', status: 'full', classes: ['creds'], handler: () => 0 },
  { nr: 108, name: 'getegid', args: [], ret: 'int', status: 'full', classes: ['creds'], handler: () => 0 },
  {
    nr: 158, name: 'arch_prctl', args: [a('code', 'arch_prctl_code'), a('addr', 'hex')], ret: 'int', status: 'partial', classes: ['process'], note: 'fs/gs base only',
    handler: (k, code, addr) => {
      switch (code) {
        case ARCH_SET_FS: k.cpu.fsBase = addr; return 0;
        case ARCH_SET_GS: k.cpu.gsBase = addr; return 0;
        case ARCH_GET_FS: putUser64(k, addr, BigInt(k.cpu.fsBase)); return 0;
        case ARCH_GET_GS: putUser64(k, addr, BigInt(k.cpu.gsBase)); return 0;
        default: return -Errno.EINVAL;
      }
    },
  },
  { nr: 118, name: 'getresuid', args: [a('ruid', 'unsigned_out'), a('euid', 'unsigned_out'), a('suid', 'unsigned_out')], ret: 'int', status: 'full', classes: ['creds'], handler: (k, r, e, s) => { for (const p of [r, e, s]) putUser32(k, p, 0); return 0; } },
  { nr: 120, name: 'getresgid', args: [a('rgid', 'unsigned_out'), a('egid', 'unsigned_out'), a('sgid', 'unsigned_out')], ret: 'int', status: 'full', classes: ['creds'], handler: (k, r, e, s) => { for (const p of [r, e, s]) putUser32(k, p, 0); return 0; } },
  { nr: 115, name: 'getgroups', args: [a('size', 'int'), a('list', 'ptr')], ret: 'int', status: 'full', classes: ['creds'], handler: (_k, size) => (size < 0 ? -Errno.EINVAL : 0) },
  { nr: 95, name: 'umask', args: [a('mask', 'mode')], ret: 'mode', status: 'full', handler: (k, mask) => { const old = k.umask; k.umask = mask & 0o777; return old; } },
  { nr: 111, name: 'getpgrp', args: [], ret: 'int', status: 'full', classes: ['process'], handler: (k) => k.pgid },
  { nr: 121, name: 'getpgid', args: [a('pid', 'int')], ret: 'int', status: 'full', classes: ['process'], handler: (k, pid) => (isSelf(k, pid | 0) ? k.pgid : -Errno.ESRCH) },
  { nr: 124, name: 'getsid', args: [a('pid', 'int')], ret: 'int', status: 'full', classes: ['process'], handler: (k, pid) => (isSelf(k, pid | 0) ? k.sid : -Errno.ESRCH) },
  { nr: 109, name: 'setpgid', args: [a('pid', 'int'), a('pgid', 'int')], ret: 'int', status: 'full', classes: ['process'], handler: (k, pid, pgid) => sysSetpgid(k, pid | 0, pgid | 0) },
  {
    nr: 112, name: 'setsid', args: [], ret: 'int', status: 'full', classes: ['process'],
    handler: (k) => {
      if (k.pgid === k.pid) return -Errno.EPERM; // a group leader cannot start a session
      k.sid = k.pgid = k.pid;
      return k.pid;
    },
  },
  {
    nr: 97, name: 'getrlimit', args: [a('resource', 'resource'), a('rlim', 'rlimit_out')], ret: 'int', status: 'full', classes: ['process'],
    note: 'NOFILE, STACK and AS are enforced; the rest are recorded', handler: (k, res, old) => sysPrlimit(k, 0, res | 0, 0, old),
  },
  {
    nr: 160, name: 'setrlimit', args: [a('resource', 'resource'), a('rlim', 'rlimit_in')], ret: 'int', status: 'full', classes: ['process'],
    note: 'NOFILE, STACK and AS are enforced; the rest are recorded', handler: (k, res, rl) => sysPrlimit(k, 0, res | 0, rl, 0),
  },
  {
    nr: 302, name: 'prlimit64', args: [a('pid', 'int'), a('resource', 'resource'), a('new_limit', 'rlimit_in'), a('old_limit', 'rlimit_out')], ret: 'int', status: 'full', classes: ['process'],
    note: 'NOFILE, STACK and AS are enforced; the rest are recorded', handler: (k, pid, res, n, o) => sysPrlimit(k, pid | 0, res | 0, n, o),
  },
  {
    nr: 204, name: 'sched_getaffinity', args: [a('pid', 'int'), a('cpusetsize', 'size'), a('mask', 'cpuset_out')], ret: 'int', status: 'full', classes: ['process'],
    note: 'one CPU: the mask is {0}', handler: (k, pid, len, mask) => sysSchedGetaffinity(k, pid | 0, len, mask),
  },
  {
    nr: 203, name: 'sched_setaffinity', args: [a('pid', 'int'), a('cpusetsize', 'size'), a('mask', 'cpuset_in', 1)], ret: 'int', status: 'full', classes: ['process'],
    note: 'one CPU: a mask with CPU 0 is accepted, any other is EINVAL', handler: (k, pid, len, mask) => sysSchedSetaffinity(k, pid | 0, len, mask),
  },
  { nr: 140, name: 'getpriority', args: [a('which', 'int'), a('who', 'int')], ret: 'int', status: 'full', classes: ['process'], handler: (k, which, who) => sysGetpriority(k, which | 0, who | 0) },
  { nr: 141, name: 'setpriority', args: [a('which', 'int'), a('who', 'int'), a('prio', 'int')], ret: 'int', status: 'full', classes: ['process'], handler: (k, which, who, n) => sysSetpriority(k, which | 0, who | 0, n | 0) },
  {
    nr: 145, name: 'sched_getscheduler', args: [a('pid', 'int')], ret: 'int', status: 'full', classes: ['process'], note: 'SCHED_OTHER, the policy a process starts with',
    handler: (k, pid) => ((pid | 0) < 0 ? -Errno.EINVAL : isSelf(k, pid | 0) ? SCHED_OTHER : -Errno.ESRCH),
  },
  {
    nr: 143, name: 'sched_getparam', args: [a('pid', 'int'), a('param', 'int_out')], ret: 'int', status: 'full', classes: ['process'], note: 'priority 0 (SCHED_OTHER)',
    handler: (k, pid, param) => {
      if (!param || (pid | 0) < 0) return -Errno.EINVAL;
      if (!isSelf(k, pid | 0)) return -Errno.ESRCH;
      putUser32(k, param, 0);
      return 0;
    },
  },
  { nr: 146, name: 'sched_get_priority_max', args: [a('policy', 'int')], ret: 'int', status: 'full', handler: (_k, p) => (!policyKnown(p | 0) ? -Errno.EINVAL : (p | 0) === SCHED_FIFO || (p | 0) === SCHED_RR ? 99 : 0) },
  { nr: 147, name: 'sched_get_priority_min', args: [a('policy', 'int')], ret: 'int', status: 'full', handler: (_k, p) => (!policyKnown(p | 0) ? -Errno.EINVAL : (p | 0) === SCHED_FIFO || (p | 0) === SCHED_RR ? 1 : 0) },
  {
    nr: 135, name: 'personality', args: [a('persona', 'hex')], ret: 'hex', status: 'partial', classes: ['process'],
    note: 'recorded and returned; no flag changes behaviour (ADDR_NO_RANDOMIZE: the layout is --seed\'s)',
    handler: (k, persona) => {
      const old = personalityOf.get(k) ?? 0;
      if ((persona >>> 0) !== 0xffffffff) personalityOf.set(k, persona >>> 0);
      return old;
    },
  },
  { nr: 24, name: 'sched_yield', args: [], ret: 'int', status: 'full', handler: () => 0 },
  {
    nr: 309, name: 'getcpu', args: [a('cpu', 'unsigned_out'), a('node', 'unsigned_out'), a('tcache', 'ptr')], ret: 'int', status: 'full',
    note: 'cpu 0, node 0: what the vDSO reads from IA32_TSC_AUX (set to 0 at exec)',
    handler: (k, cpu, node) => {
      if (cpu) putUser32(k, cpu, k.cpu.tscAux & 0xfff);
      if (node) putUser32(k, node, k.cpu.tscAux >>> 12);
      return 0;
    },
  },
  {
    nr: 273, name: 'set_robust_list', args: [a('head', 'ptr'), a('len', 'size')], ret: 'int', status: 'partial', classes: ['process'],
    note: 'recorded; with one thread, nothing walks the list at exit', handler: (k, head, len) => (len !== 24 ? -Errno.EINVAL : ((k.robustList = head), 0)),
  },
  {
    nr: 274, name: 'get_robust_list', args: [a('pid', 'int'), a('head_ptr', 'ptr'), a('len_ptr', 'ptr')], ret: 'int', status: 'full', classes: ['process'],
    handler: (k, pid, headp, lenp) => {
      if (!isSelf(k, pid | 0)) return -Errno.ESRCH;
      putUser64(k, headp, k.robustList);
      putUser64(k, lenp, 24);
      return 0;
    },
  },
  {
    nr: 334, name: 'rseq', args: [a('rseq', 'ptr'), a('rseq_len', 'hex'), a('flags', 'hex'), a('sig', 'hex')], ret: 'int', status: 'enosys',
    note: 'not registered: glibc then reads the CPU number from the vDSO (getcpu), which agrees with the getcpu syscall', handler: () => -Errno.ENOSYS,
  },
  {
    nr: 61, name: 'wait4', args: [a('pid', 'int'), a('wstatus', 'ptr'), a('options', 'waitoptions'), a('rusage', 'ptr')], ret: 'int', status: 'partial', classes: ['process'],
    note: `no children ever exist (${noSecondProcess}): ECHILD`, handler: (_k, _pid, _st, options) => (options & ~WAIT4_OPTIONS ? -Errno.EINVAL : -Errno.ECHILD),
  },
  {
    nr: 247, name: 'waitid', args: [a('idtype', 'int'), a('id', 'int'), a('infop', 'ptr'), a('options', 'waitoptions'), a('rusage', 'ptr')], ret: 'int', status: 'partial', classes: ['process'],
    note: `no children ever exist (${noSecondProcess}): ECHILD`, handler: (_k, idtype, _id, _info, options) => (idtype < 0 || idtype > 3 || options & ~WAITID_OPTIONS || !(options & 0xe) ? -Errno.EINVAL : -Errno.ECHILD),
  },
  { nr: 56, name: 'clone', args: [a('flags', 'hex'), a('stack', 'ptr'), a('parent_tid', 'ptr'), a('child_tid', 'ptr'), a('tls', 'hex')], ret: 'int', status: 'enosys', classes: ['process'], note: noSecondProcess, handler: () => -Errno.ENOSYS },
  { nr: 435, name: 'clone3', args: [a('cl_args', 'ptr'), a('size', 'size')], ret: 'int', status: 'enosys', classes: ['process'], note: noSecondProcess, handler: () => -Errno.ENOSYS },
  { nr: 57, name: 'fork', args: [], ret: 'int', status: 'enosys', classes: ['process'], note: noSecondProcess, handler: () => -Errno.ENOSYS },
  { nr: 58, name: 'vfork', args: [], ret: 'int', status: 'enosys', classes: ['process'], note: noSecondProcess, handler: () => -Errno.ENOSYS },
  { nr: 59, name: 'execve', args: [a('pathname', 'path'), a('argv', 'ptr'), a('envp', 'ptr')], ret: 'int', status: 'enosys', classes: ['file', 'process'], note: noSecondProcess, handler: () => -Errno.ENOSYS },
  { nr: 322, name: 'execveat', args: [a('dirfd', 'dirfd'), a('pathname', 'path'), a('argv', 'ptr'), a('envp', 'ptr'), a('flags', 'atflags')], ret: 'int', status: 'enosys', classes: ['file', 'process'], note: noSecondProcess, handler: () => -Errno.ENOSYS },
  {
    nr: 157, name: 'prctl', args: [a('option', 'int'), a('arg2', 'hex'), a('arg3', 'hex'), a('arg4', 'hex'), a('arg5', 'hex')], ret: 'int', status: 'partial', classes: ['process'],
    note: 'PR_SET_NAME/PR_GET_NAME (shown in /proc/self/status); dumpable, pdeathsig, no_new_privs, subreaper, timerslack, THP are recorded; other options are EINVAL',
    handler: (k, option, arg2) => sysPrctl(k, option | 0, arg2),
  },
  { nr: 218, name: 'set_tid_address', args: [a('tidptr', 'ptr')], ret: 'int', status: 'full', handler: (k, p) => { k.tidAddress = p; return k.pid; } },
  {
    nr: 63, name: 'uname', args: [a('buf', 'utsname_out')], ret: 'int', status: 'full',
    handler: (k, buf) => {
      const w = new StructWriter(6 * 65);
      Object.values(UTSNAME).forEach((s, i) => w.str(i * 65, s, 65));
      copyToUser(k, buf, w.bytes);
      return 0;
    },
  },
];

export { Reg };
