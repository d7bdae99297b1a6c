// `-e trace=SET`: which calls the tracer shows (strace's qualifiers, src/filter_qualify.c). SET is a
// comma-separated list of syscall names, classes (%file, %memory, ... as the rows' `classes` say),
// `all`, `none`, `/regex`, `?name` (no error if unknown), and colonel's two roads: %vdso and %vsyscall.
// A leading `!` inverts the set. A name matches its call on every road: `clock_gettime` selects the
// syscall, the vDSO's __vdso_clock_gettime and nothing on the vsyscall page; `time` also the vsyscall
// slot. A vDSO function or vsyscall slot has the classes of the syscall of the same name, so %clock
// selects the vDSO's clock functions too. Several -e trace= options add up, as in strace.

import { SYSCALLS_BY_NAME } from '../syscalls/table.js';
import type { SyscallClass } from '../syscalls/types.js';
import { VSYSCALL_SLOTS } from '../vsyscall.js';
import { vdso } from '../vdso/vdso.js';
import { SYSCALL_NAMES } from './syscall_names.js';

const KNOWN_NAMES = new Set(SYSCALL_NAMES.values());

export type Road = 'syscall' | 'vdso' | 'vsyscall';

/** strace's classes, and the row classes each one selects. */
const CLASSES: Record<string, readonly SyscallClass[]> = {
  file: ['file'], desc: ['desc'], memory: ['memory'], process: ['process'], signal: ['signal'], ipc: ['ipc'],
  network: ['network'], net: ['network'], creds: ['creds'], clock: ['clock'], stat: ['stat'], lstat: ['lstat'],
  fstat: ['fstat'], '%stat': ['stat', 'lstat', 'fstat'], statfs: ['statfs'], '%statfs': ['statfs'],
};

export class FilterError extends Error {}

/** The bare name a call is selected by: __vdso_clock_gettime -> clock_gettime. */
export const bareName = (name: string) => name.replace(/^__vdso_/, '');

export class TraceFilter {
  private readonly names = new Set<string>();
  private readonly classes = new Set<SyscallClass>();
  private readonly regexes: RegExp[] = [];
  private readonly roads = new Set<Road>();
  private everything = true;
  private inverted = false;

  /** Add one -e option's value (`trace=open,%memory`, or a bare list). Throws FilterError. */
  add(spec: string): void {
    const eq = spec.indexOf('=');
    let qualifier = 'trace';
    let value = spec;
    if (eq >= 0) {
      qualifier = spec.slice(0, eq);
      value = spec.slice(eq + 1);
    }
    if (qualifier !== 'trace' && qualifier !== 't') throw new FilterError(`-e ${spec}: colonel supports only -e trace=... (not ${qualifier}=)`);
    if (this.everything) {
      this.everything = false;
      this.inverted = false;
    }
    if (value.startsWith('!')) {
      this.inverted = true;
      value = value.slice(1);
    }
    for (const raw of value.split(',')) {
      const item = raw.trim();
      if (item === '') throw new FilterError(`-e ${spec}: empty name in the list`);
      if (item === 'all') { this.everything = true; continue; }
      if (item === 'none') continue;
      if (item.startsWith('/')) {
        try {
          this.regexes.push(new RegExp(item.slice(1)));
        } catch {
          throw new FilterError(`-e ${spec}: bad regular expression ${item.slice(1)}`);
        }
        continue;
      }
      if (item.startsWith('%')) {
        const cls = item.slice(1);
        if (cls === 'vdso' || cls === 'vsyscall' || cls === 'syscall') { this.roads.add(cls); continue; }
        const rows = CLASSES[cls];
        if (!rows) throw new FilterError(`-e ${spec}: unknown class %${cls} (known: ${[...Object.keys(CLASSES).map((c) => '%' + c), '%vdso', '%vsyscall', '%syscall'].join(' ')})`);
        rows.forEach((r) => this.classes.add(r));
        continue;
      }
      const optional = item.startsWith('?');
      const name = optional ? item.slice(1) : item;
      if (!isKnownName(name)) {
        if (optional) continue;
        throw new FilterError(`-e ${spec}: unknown syscall '${name}' (not an x86-64 syscall, a vDSO function or a vsyscall slot)`);
      }
      this.names.add(bareName(name));
    }
  }

  /** Does the tracer show this call? `name` is the syscall, vDSO symbol or vsyscall slot name. */
  matches(road: Road, name: string): boolean {
    return this.everything || this.selected(road, name) !== this.inverted;
  }

  private selected(road: Road, name: string): boolean {
    const bare = bareName(name);
    if (this.roads.has(road)) return true;
    if (this.names.has(bare)) return true;
    const classes = SYSCALLS_BY_NAME.get(bare)?.classes ?? [];
    if (classes.some((c) => this.classes.has(c))) return true;
    return this.regexes.some((r) => r.test(name));
  }
}

function isKnownName(name: string): boolean {
  const bare = bareName(name);
  return SYSCALLS_BY_NAME.has(bare) || KNOWN_NAMES.has(bare) || vdso.lookup(name) !== undefined || vdso.lookup('__vdso_' + bare) !== undefined ||
    VSYSCALL_SLOTS.some((s) => s.name === bare);
}
