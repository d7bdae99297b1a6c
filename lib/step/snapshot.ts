// Snapshots of a whole machine, for reverse stepping: the CPU, guest memory and the kernel's state,
// taken and restored in place, so going back is a true restore of every register, byte and kernel
// field, not a replay of screens.
//
// - CPU: every own number field of Cpu (rip, the lazy-flags state, mxcsr, fs/gs bases, icount...) and
//   the bytes of its register files (the general registers' and the XMM registers' ArrayBuffers).
// - Memory: one entry per mapped page (the Page object, its protection and a copy of its bytes).
//   Pages are copy-on-write between snapshots: GuestMemory keeps a write epoch per page (cpu/memory.ts),
//   so a snapshot copies only the pages written since the previous one and shares the rest, and a
//   restore rewrites only the pages written since the snapshot.
// - Kernel: the object graph reachable from the Kernel (fd table, open files and their offsets, pipes,
//   VMAs, brk, the timekeeper, exit state, signal state, params...), captured as the own fields of
//   every reachable object (and the contents of every reachable array, Map and Set). Restoring writes
//   those fields back into the same objects, so object identity (two fds sharing one open file) holds.
//   Typed arrays are taken to be immutable values (the kernel copies buffers it keeps) except vvar,
//   which update_vsyscall rewrites in place and which is copied explicitly.
//
// What is outside colonel cannot be restored: files the guest wrote or removed on the host stay as
// they are (lib/step/machine.ts notices when a replay then sees a different syscall result).

import { createHash } from 'node:crypto';
import type { Kernel } from '../../kernel/kernel.js';
import { GuestMemory, Page, PAGE_SIZE, PAGE_SHIFT } from '../../cpu/memory.js';
import { Cpu } from '../../cpu/cpu.js';
import { Engine } from '../../cpu/engine.js';

// ---- the CPU ----

export interface CpuState {
  scalars: [string, unknown][];
  buffers: [string, Uint8Array][];
  /** Units with state of their own (the x87 FPU...), as object graphs. */
  units: [string, GraphState][];
}

function isScalar(v: unknown): boolean {
  return v === null || v === undefined || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean' || typeof v === 'string';
}

export function captureCpu(cpu: Cpu): CpuState {
  const rec = cpu as unknown as Record<string, unknown>;
  const owned = new Set<ArrayBufferLike>();
  for (const v of Object.values(rec)) if (v instanceof ArrayBuffer) owned.add(v);
  const scalars: [string, unknown][] = [];
  const buffers: [string, Uint8Array][] = [];
  const units: [string, GraphState][] = [];
  for (const [k, v] of Object.entries(rec)) {
    if (isScalar(v)) scalars.push([k, v]);
    else if (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v) && !(v instanceof ArrayBuffer) && !(v instanceof GuestMemory) && k !== 'host') units.push([k, captureGraph(v, new Set(), new Set())]);
    else if (v instanceof ArrayBuffer) buffers.push([k, new Uint8Array(v.slice(0))]);
    else if (ArrayBuffer.isView(v) && !owned.has(v.buffer)) buffers.push([k, new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice()]);
  }
  return { scalars, buffers, units };
}

export function restoreCpu(cpu: Cpu, s: CpuState): void {
  const rec = cpu as unknown as Record<string, unknown>;
  for (const [k, v] of s.scalars) rec[k] = v;
  for (const [k, bytes] of s.buffers) {
    const v = rec[k];
    if (v instanceof ArrayBuffer) new Uint8Array(v).set(bytes);
    else if (ArrayBuffer.isView(v)) new Uint8Array(v.buffer, v.byteOffset, v.byteLength).set(bytes);
  }
  for (const [k, g] of s.units) restoreGraph(g, rec[k] as object, new Set());
}

// ---- guest memory ----

export interface PageEntry {
  page: Page;
  prot: number;
  /** The page's epoch when the snapshot was taken (written back on restore). */
  epoch: number;
  /** The bytes (shared with the previous snapshot when the page was not written in between). */
  data: Uint8Array;
  /** The page's bytes belong to the kernel (vvar): restore writes into them, never remaps privately. */
  shared: boolean;
}

export interface MemoryState {
  /** mem.epoch when taken: a page with a larger epoch was written after it. */
  epoch: number;
  pages: Map<number, PageEntry>;
}

export function captureMemory(mem: GuestMemory, prev: MemoryState | null, isShared: (p: Page) => boolean): MemoryState {
  const epoch = mem.epoch;
  const pages = new Map<number, PageEntry>();
  for (const p of mem.pageNumbers()) {
    const page = mem.page(p)!;
    const shared = isShared(page);
    const old = prev?.pages.get(p);
    const clean = !shared && old !== undefined && old.page === page && page.epoch <= prev!.epoch;
    pages.set(p, { page, prot: page.prot, epoch: page.epoch, data: clean ? old.data : page.data.slice(), shared });
  }
  // Writes from now on mark their pages with a newer epoch.
  mem.beginEpoch();
  return { epoch, pages };
}

/** Put memory back as it was at `s`. Returns the number of pages whose bytes were rewritten. */
export function restoreMemory(mem: GuestMemory, engine: Engine, s: MemoryState): number {
  let rewritten = 0;
  for (const p of mem.pageNumbers()) if (!s.pages.has(p)) mem.unmap(p * PAGE_SIZE, PAGE_SIZE);
  for (const [p, e] of s.pages) {
    const addr = p * PAGE_SIZE;
    let cur = mem.page(p);
    if (cur !== e.page) {
      // Unmapped or replaced since: map a page again (the kernel's own bytes for vvar).
      if (e.shared) mem.mapShared(addr, e.page.data, e.prot);
      else mem.map(addr, PAGE_SIZE, e.prot);
      cur = mem.page(p)!;
      cur.data.set(e.data);
      e.page = cur;
      rewritten++;
    } else if (cur.epoch > s.epoch || e.shared) {
      cur.data.set(e.data);
      if (cur.hasCode) {
        cur.hasCode = false;
        engine.invalidatePage(p);
      }
      rewritten++;
    }
    cur.prot = e.prot;
    cur.epoch = e.epoch;
  }
  mem.flushTlb();
  mem.beginEpoch();
  return rewritten;
}

// ---- the kernel's object graph ----

type Rec =
  | { kind: 'object'; obj: Record<string, unknown>; props: [string, unknown][] }
  | { kind: 'array'; obj: unknown[]; items: unknown[] }
  | { kind: 'map'; obj: Map<unknown, unknown>; entries: [unknown, unknown][] }
  | { kind: 'set'; obj: Set<unknown>; items: unknown[] };

export interface GraphState {
  recs: Rec[];
}

/** Values kept by reference and not looked into. */
function opaque(v: object): boolean {
  return typeof v === 'function' || ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof GuestMemory || v instanceof Cpu ||
    v instanceof Engine || v instanceof Page || v instanceof Promise || v instanceof WeakMap || v instanceof WeakSet || Object.isFrozen(v);
}

/**
 * Capture the state of every object reachable from `root`, skipping the named properties of `root`
 * and the objects in `skip` (which are kept by reference, as they are).
 */
export function captureGraph(root: object, skipProps: ReadonlySet<string>, skip: ReadonlySet<object>): GraphState {
  const seen = new Set<object>();
  const recs: Rec[] = [];
  const stack: object[] = [root];
  const push = (v: unknown) => {
    if (v !== null && typeof v === 'object' && !seen.has(v) && !skip.has(v) && !opaque(v)) stack.push(v);
  };
  while (stack.length) {
    const o = stack.pop()!;
    if (seen.has(o)) continue;
    seen.add(o);
    if (Array.isArray(o)) {
      recs.push({ kind: 'array', obj: o, items: o.slice() });
      o.forEach(push);
    } else if (o instanceof Map) {
      const entries = [...o.entries()];
      recs.push({ kind: 'map', obj: o, entries });
      for (const [k, v] of entries) push(k), push(v);
    } else if (o instanceof Set) {
      const items = [...o];
      recs.push({ kind: 'set', obj: o, items });
      items.forEach(push);
    } else {
      const rec = o as Record<string, unknown>;
      const props: [string, unknown][] = [];
      for (const k of Object.keys(rec)) {
        if (o === root && skipProps.has(k)) continue;
        props.push([k, rec[k]]);
        push(rec[k]);
      }
      recs.push({ kind: 'object', obj: rec, props });
    }
  }
  return { recs };
}

export function restoreGraph(g: GraphState, root: object, skipProps: ReadonlySet<string>): void {
  for (const r of g.recs) {
    switch (r.kind) {
      case 'array':
        r.obj.length = 0;
        r.obj.push(...r.items);
        break;
      case 'map':
        r.obj.clear();
        for (const [k, v] of r.entries) r.obj.set(k, v);
        break;
      case 'set':
        r.obj.clear();
        for (const v of r.items) r.obj.add(v);
        break;
      default: {
        const keep = new Set(r.props.map(([k]) => k));
        for (const k of Object.keys(r.obj)) if (!keep.has(k) && !(r.obj === root && skipProps.has(k))) delete r.obj[k];
        for (const [k, v] of r.props) r.obj[k] = v;
      }
    }
  }
}

/** A canonical text of a graph state (object identity as #n in first-visit order), for digests. */
export function graphText(g: GraphState): string {
  const ids = new Map<unknown, number>();
  g.recs.forEach((r, i) => ids.set(r.obj, i));
  const val = (v: unknown): string => {
    if (v === null || v === undefined) return String(v);
    if (typeof v === 'bigint') return `${v}n`;
    if (typeof v === 'object' && ids.has(v)) return `#${ids.get(v)}`;
    if (ArrayBuffer.isView(v)) return `bytes(${createHash('sha256').update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)).digest('hex').slice(0, 16)})`;
    if (typeof v === 'function') return 'fn';
    if (typeof v === 'object') return `ref(${(v as object).constructor?.name ?? 'object'})`;
    return JSON.stringify(v);
  };
  return g.recs.map((r, i) => {
    switch (r.kind) {
      case 'array': return `#${i}[${r.items.map(val).join(',')}]`;
      case 'map': return `#${i}Map{${r.entries.map(([k, v]) => `${val(k)}:${val(v)}`).join(',')}}`;
      case 'set': return `#${i}Set{${r.items.map(val).join(',')}}`;
      default: return `#${i}{${r.props.map(([k, v]) => `${k}:${val(v)}`).join(',')}}`;
    }
  }).join('\n');
}

// ---- a whole machine ----

/** Kernel fields that are not process state: the hardware (captured above), wiring and options. */
export const KERNEL_SKIP = new Set(['mem', 'cpu', 'engine', 'observers', 'options', 'vvarView', 'vsyscallFault', 'describeInsn', 'hostBootNs']);

export interface MachineState {
  at: number;
  cpu: CpuState;
  memory: MemoryState;
  graph: GraphState;
  vvar: Uint8Array;
}

export function captureMachine(k: Kernel, prev: MachineState | null, skip: ReadonlySet<object>): MachineState {
  const vvarBuf = k.vvar.buffer;
  return {
    at: k.cpu.icount,
    cpu: captureCpu(k.cpu),
    memory: captureMemory(k.mem, prev?.memory ?? null, (p) => p.data.buffer === vvarBuf),
    graph: captureGraph(k, KERNEL_SKIP, skip),
    vvar: k.vvar.slice(),
  };
}

export function restoreMachine(k: Kernel, s: MachineState): void {
  restoreCpu(k.cpu, s.cpu);
  restoreMemory(k.mem, k.engine, s.memory);
  restoreGraph(s.graph, k, KERNEL_SKIP);
  k.vvar.set(s.vvar);
  k.engine.stopRequested = false;
}

/**
 * Cpu fields that are how the interpreter holds state, not the state: the lazy-flags record (RFLAGS
 * stands for it) and values that live within one instruction. A compiled block skips flag updates
 * nothing sees, so runs that reach the same state by different roads may leave these different.
 */
const CPU_WORKINGS = new Set(['flags', 'lazy', 'lsize', 'la', 'lah', 'lb', 'lbh', 'lr', 'lrh', 'lcf', 'ea', 'tlo', 'thi']);

/**
 * A digest of the whole machine: every register (all of Cpu's fields and register files, RFLAGS as
 * the program sees it), every mapped page's number, protection and bytes, vvar, and the kernel's
 * state. Equal digests mean the same state, byte for byte.
 */
export function machineDigest(k: Kernel, skip: ReadonlySet<object>): string {
  const h = createHash('sha256');
  const c = captureCpu(k.cpu);
  const scalars = c.scalars.filter(([name]) => !CPU_WORKINGS.has(name)).concat([['rflags', k.cpu.getFlags()]]);
  h.update(JSON.stringify(scalars, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)));
  for (const [name, b] of c.buffers) h.update(name).update(b);
  for (const [name, g] of c.units) h.update(name).update(graphText(g));
  for (const p of k.mem.pageNumbers()) {
    const page = k.mem.page(p)!;
    h.update(`${p}:${page.prot}`).update(page.data);
  }
  h.update(k.vvar);
  h.update(graphText(captureGraph(k, KERNEL_SKIP, skip)));
  return h.digest('hex');
}

export { PAGE_SHIFT };
