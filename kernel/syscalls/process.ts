// Process-level syscalls: exit, identity, arch_prctl, set_tid_address, uname, resource limits
// (linux/kernel/exit.c, sys.c, arch/x86/kernel/process_64.c).

import { Reg } from '../../cpu/cpu.js';
import { Errno } from '../errno.js';
import { copyToUser, StructWriter, putUser64 } from '../uaccess.js';
import { a, type SyscallRow } from './types.js';

const ARCH_SET_GS = 0x1001, ARCH_SET_FS = 0x1002, ARCH_GET_FS = 0x1003, ARCH_GET_GS = 0x1004;

export const UTSNAME = { sysname: 'Linux', nodename: 'colonel', release: '6.12.0-colonel', version: '#1 SMP PREEMPT_DYNAMIC colonel', machine: 'x86_64', domainname: '(none)' };

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
