// /proc, the process file system (linux/fs/proc/): a few files a static program or a curious user
// reads about itself. Each file is generated at its first read (a MemoryFile snapshot, as seq_file
// output is fixed at the first read for small files), so /proc/self/maps shows the mappings as they
// are when the program first reads it. /proc/self is a link to /proc/<pid>; colonel has one process, so every other pid is
// ENOENT.
//
//   /proc/cpuinfo            one CPU; vendor, model and flags exactly as the CPUID instruction answers
//   /proc/uptime, /proc/version, /proc/meminfo
//   /proc/<pid>/maps         k.mm.procMaps() (fs/proc/task_mmu.c)
//   /proc/<pid>/auxv         the auxiliary vector as exec built it, binary pairs of u64
//   /proc/<pid>/cmdline      argv, each NUL-terminated
//   /proc/<pid>/status       a few lines of fs/proc/array.c
//   /proc/<pid>/stat         the one-line form (pid, comm, state, ppid, pgrp, session)
//   /proc/<pid>/exe, cwd     links to the program and the working directory
//   /proc/<pid>/mounts       the host's mount table (the guest sees the host's files); /proc/mounts links here
//   /proc/<pid>/fd/<n>       links to what each descriptor refers to
//   /sys/devices/system/cpu/{online,possible,present}   "0": the one CPU (glibc's get_nprocs reads these)

import { Errno } from './errno.js';
import { MemoryFile, OpenFile, S_IFREG, type StatInfo } from './fs/file.js';
import { MemoryDir, DT, type DirEntry } from './fs/dir.js';
import { lexicalPath, SYS_CPU_FILES } from './fs/path.js';
import * as fs from 'node:fs';
import { UTSNAME, commOf } from './syscalls/process.js';
import { DEFAULT_TSC_HZ } from './time/timekeeping.js';
import { cpuidTable, FEATURE_BITS, VENDOR, BRAND, SIGNATURE, MAX_BASIC_LEAF } from '../cpu/isa/cpuid.js';
import type { Kernel } from './kernel.js';

export type ProcNode =
  | { kind: 'file'; path: string; content: () => Uint8Array }
  | { kind: 'link'; path: string; target: () => string; file?: () => OpenFile | undefined }
  | { kind: 'dir'; path: string; entries: () => DirEntry[] };

/** What /proc/cpuinfo says about the CPU: what the CPUID instruction answers (cpu/isa/cpuid.ts). */
export interface CpuInfo {
  vendor: string;
  modelName: string;
  family: number;
  model: number;
  stepping: number;
  /** Linux flag names (arch/x86/include/asm/cpufeatures.h spelling). */
  flags: (k: Kernel) => string[];
}

/**
 * Linux prints features in the order of its cpufeatures words (arch/x86/include/asm/cpufeatures.h):
 * word 0 = CPUID.1:EDX, 1 = 80000001h:EDX, 4 = 1:ECX, 6 = 80000001h:ECX, 9 = (7,0):EBX,
 * 16 = (7,0):ECX, 18 = (7,0):EDX; a few bits have their own names there.
 */
const WORD_OF = (leaf: number, reg: string): number =>
  leaf === 1 ? (reg === 'edx' ? 0 : 4) : leaf === 0x80000001 ? (reg === 'edx' ? 1 : 6) : reg === 'ebx' ? 9 : reg === 'ecx' ? 16 : 18;
const LINUX_NAME: Record<string, string> = { sse3: 'pni', lzcnt: 'abm', sha: 'sha_ni', prefetchw: '3dnowprefetch' };

/** The flags line: exactly the features CPUID advertises (cpu/isa/cpuid.ts), in Linux's order. */
export function cpuidFlags(): string[] {
  const table = cpuidTable();
  return Object.entries(FEATURE_BITS)
    .filter(([name]) => table.has(name))
    .sort(([, x], [, y]) => WORD_OF(x.leaf, x.reg) - WORD_OF(y.leaf, y.reg) || x.bit - y.bit)
    .map(([name]) => LINUX_NAME[name] ?? name);
}

export const cpuInfoSource: CpuInfo = {
  vendor: VENDOR,
  modelName: BRAND,
  family: ((SIGNATURE >> 8) & 0xf) + ((SIGNATURE >> 20) & 0xff),
  model: ((SIGNATURE >> 4) & 0xf) | ((SIGNATURE >> 12) & 0xf0),
  stepping: SIGNATURE & 0xf,
  flags: () => cpuidFlags(),
};

const enc = (s: string) => new TextEncoder().encode(s);

function comm(k: Kernel): string {
  return commOf(k);
}

/** A path with its links resolved, as the kernel's d_path shows a file (the name itself if it is gone). */
function canonical(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

/**
 * The mount table: the guest sees the host's file system, so it sees the host's mounts (a host
 * without /proc gets one line for the root).
 */
function mounts(): string {
  try {
    return fs.readFileSync('/proc/self/mounts', 'utf8');
  } catch {
    return 'rootfs / rootfs rw 0 0\n';
  }
}

function cpuinfo(k: Kernel): string {
  const c = cpuInfoSource;
  const mhz = DEFAULT_TSC_HZ / 1e6;
  const lines: [string, string | number][] = [
    ['processor', 0], ['vendor_id', c.vendor], ['cpu family', c.family], ['model', c.model], ['model name', c.modelName],
    ['stepping', c.stepping], ['cpu MHz', mhz.toFixed(3)], ['physical id', 0], ['siblings', 1], ['core id', 0], ['cpu cores', 1],
    ['apicid', 0], ['fpu', 'yes'], ['fpu_exception', 'yes'], ['cpuid level', MAX_BASIC_LEAF], ['wp', 'yes'], ['flags', c.flags(k).join(' ')],
    ['bogomips', (mhz * 2).toFixed(2)], ['clflush size', 64], ['cache_alignment', 64],
    ['address sizes', '48 bits physical, 48 bits virtual'], ['power management', ''],
  ];
  // arch/x86/kernel/cpu/proc.c: names shorter than a tab stop take two tabs; "power management:" none.
  const line = ([key, v]: [string, string | number]) => (key === 'power management' ? `${key}:` : `${key}${key.length < 8 ? '\t\t' : '\t'}: ${v}`);
  return lines.map(line).join('\n') + '\n\n';
}

function sigHex(v: bigint): string {
  return BigInt.asUintN(64, v).toString(16).padStart(16, '0');
}

function status(k: Kernel): string {
  let ign = 0n, cgt = 0n;
  for (const [sig, act] of k.sigactions) {
    const handler = new DataView(act.buffer, act.byteOffset).getBigUint64(0, true);
    if (handler === 1n) ign |= 1n << BigInt(sig - 1);
    else if (handler !== 0n) cgt |= 1n << BigInt(sig - 1);
  }
  const kb = (n: number) => `${String(Math.ceil(n / 1024)).padStart(8)} kB`;
  const vm = k.mm.mappedBytes();
  const fields: [string, string][] = [
    ['Name', comm(k)], ['Umask', k.umask.toString(8).padStart(4, '0')], ['State', 'R (running)'], ['Tgid', `${k.pid}`], ['Ngid', '0'],
    ['Pid', `${k.pid}`], ['PPid', `${k.pid - 1}`], ['TracerPid', '0'], ['Uid', '0\t0\t0\t0'], ['Gid', '0\t0\t0\t0'], ['FDSize', '64'],
    ['Groups', ''], ['VmPeak', kb(vm)], ['VmSize', kb(vm)], ['VmRSS', kb(k.mem.pageNumbers().length * 4096)], ['Threads', '1'],
    ['SigPnd', sigHex(0n)], ['ShdPnd', sigHex(k.sigpending)], ['SigBlk', sigHex(k.sigmask)], ['SigIgn', sigHex(ign)], ['SigCgt', sigHex(cgt)],
    ['Cpus_allowed', '1'], ['Cpus_allowed_list', '0'], ['Mems_allowed', '1'], ['Mems_allowed_list', '0'],
  ];
  return fields.map(([key, v]) => `${key}:\t${v}`).join('\n') + '\n';
}

function auxv(k: Kernel): Uint8Array {
  const out = new DataView(new ArrayBuffer(k.auxv.length * 16));
  k.auxv.forEach(([key, val], i) => {
    out.setBigUint64(i * 16, BigInt.asUintN(64, BigInt(key)), true);
    out.setBigUint64(i * 16 + 8, BigInt.asUintN(64, BigInt(val)), true);
  });
  return new Uint8Array(out.buffer);
}

function uptime(k: Kernel): string {
  const s = Number(k.clockNs(1) ?? 0n) / 1e9;
  return `${s.toFixed(2)} 0.00\n`;
}

function meminfo(k: Kernel): string {
  const total = Math.floor(k.mm.memoryCap / 1024), used = Math.floor(k.mm.mappedBytes() / 1024);
  const row = (name: string, v: number) => `${(name + ':').padEnd(16)}${String(v).padStart(8)} kB`;
  return [row('MemTotal', total), row('MemFree', total - used), row('MemAvailable', total - used), row('SwapTotal', 0), row('SwapFree', 0)].join('\n') + '\n';
}

/** Look up an absolute guest path under /proc: the node, or -ENOENT. */
export function procLookup(k: Kernel, abs: string): ProcNode | number {
  const parts = lexicalPath(abs).split('/').filter(Boolean);
  if (SYS_CPU_FILES.includes('/' + parts.join('/'))) return { kind: 'file', path: '/' + parts.join('/'), content: () => enc('0\n') };
  if (parts[0] !== 'proc') return -Errno.ENOENT;
  const pid = String(k.pid);
  const file = (path: string, content: () => Uint8Array | string): ProcNode => ({ kind: 'file', path, content: () => { const c = content(); return typeof c === 'string' ? enc(c) : c; } });
  // Listings are computed when read, so /proc/self/fd shows the descriptor reading it, as Linux does.
  const dir = (path: string, names: () => [string, number][]): ProcNode => ({ kind: 'dir', path, entries: () => [['.', DT.DIR] as [string, number], ['..', DT.DIR] as [string, number], ...names()].map(([name, type], i) => ({ name, ino: 0x1000 + i, type })) });
  if (parts.length === 1) {
    return dir('/proc', () => [[pid, DT.DIR], ['self', DT.LNK], ['cpuinfo', DT.REG], ['meminfo', DT.REG], ['mounts', DT.LNK], ['uptime', DT.REG], ['version', DT.REG]]);
  }
  const top = parts[1];
  if (parts.length === 2) {
    switch (top) {
      case 'cpuinfo': return file('/proc/cpuinfo', () => cpuinfo(k));
      case 'uptime': return file('/proc/uptime', () => uptime(k));
      case 'meminfo': return file('/proc/meminfo', () => meminfo(k));
      case 'version': return file('/proc/version', () => `Linux version ${UTSNAME.release} (colonel) ${UTSNAME.version}\n`);
      case 'self': return { kind: 'link', path: '/proc/self', target: () => pid };
      case 'mounts': return { kind: 'link', path: '/proc/mounts', target: () => 'self/mounts' };
    }
  }
  if (top !== 'self' && top !== pid) return -Errno.ENOENT;
  const base = `/proc/${pid}`;
  if (parts.length === 2) {
    return dir(base, () => [['auxv', DT.REG], ['cmdline', DT.REG], ['cwd', DT.LNK], ['exe', DT.LNK], ['fd', DT.DIR], ['maps', DT.REG], ['mounts', DT.REG], ['stat', DT.REG], ['status', DT.REG]]);
  }
  const what = parts[2];
  if (parts.length === 3) {
    switch (what) {
      case 'maps': return file(`${base}/maps`, () => k.mm.procMaps());
      case 'auxv': return file(`${base}/auxv`, () => auxv(k));
      case 'cmdline': return file(`${base}/cmdline`, () => k.argv.map((s) => s + '\0').join(''));
      case 'status': return file(`${base}/status`, () => status(k));
      case 'stat': return file(`${base}/stat`, () => `${k.pid} (${comm(k)}) R ${k.pid - 1} ${k.pgid} ${k.sid} 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 0 ${k.mm.mappedBytes()} 0\n`);
      case 'exe': return { kind: 'link', path: `${base}/exe`, target: () => canonical(k.exePath) };
      case 'cwd': return { kind: 'link', path: `${base}/cwd`, target: () => k.cwd };
      case 'fd': return dir(`${base}/fd`, () => [...k.fds.keys()].sort((x, y) => x - y).map((fd) => [String(fd), DT.LNK]));
      case 'mounts': return file(`${base}/mounts`, mounts);
    }
    return -Errno.ENOENT;
  }
  if (what === 'fd' && parts.length === 4 && /^\d+$/.test(parts[3])) {
    const fd = Number(parts[3]);
    const f = k.file(fd);
    if (!f) return -Errno.ENOENT;
    return { kind: 'link', path: `${base}/fd/${fd}`, target: () => f.path, file: () => k.file(fd) };
  }
  return -Errno.ENOENT;
}

/** Open a /proc file or directory node (links are followed by the caller). */
export function procOpen(node: ProcNode): OpenFile {
  if (node.kind === 'dir') return new MemoryDir(node.path, node.entries);
  if (node.kind === 'file') return new MemoryFile(() => node.content(), node.path);
  throw new Error('procOpen: links are followed by the caller');
}

/** stat of a /proc node (size 0, as proc files report). */
export function procStat(node: ProcNode): StatInfo {
  const mode = node.kind === 'dir' ? 0o040555 : node.kind === 'link' ? 0o120777 : S_IFREG | 0o444;
  return { dev: 0x16, ino: 0x1000, mode, nlink: node.kind === 'dir' ? 2 : 1, uid: 0, gid: 0, rdev: 0, size: 0, blksize: 1024, blocks: 0, atimeNs: 0n, mtimeNs: 0n, ctimeNs: 0n };
}
