// Looking at the guest without touching it: reads straight from the pages (no TLB, no permission
// checks, no fault, no scratch register of the MMU changed) and a decoder working on a private copy
// of the bytes, so drawing the view can never change what the program does next.

import { GuestMemory, PAGE_SIZE, PROT_EXEC, PROT_READ, PROT_WRITE, pageOf } from '../../cpu/memory.js';
import { Decoder } from '../../cpu/decoder.js';
import { opcodeTables } from '../../cpu/engine.js';
import type { Insn } from '../../cpu/insn.js';

/** The mapped bytes from addr on, at most len (fewer if a page is unmapped); null if addr itself is not mapped. */
export function peekBytes(mem: GuestMemory, addr: number, len: number): Uint8Array | null {
  const out = new Uint8Array(len);
  let done = 0;
  while (done < len) {
    const a = addr + done;
    const page = mem.page(pageOf(a));
    if (!page) break;
    const off = a - pageOf(a) * PAGE_SIZE;
    const n = Math.min(len - done, PAGE_SIZE - off);
    out.set(page.data.subarray(off, off + n), done);
    done += n;
  }
  return done === 0 ? null : out.subarray(0, done);
}

export function peek64(mem: GuestMemory, addr: number): bigint | null {
  const b = peekBytes(mem, addr, 8);
  if (!b || b.length < 8) return null;
  return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
}

/** Decode the instructions in the bytes at addr (up to len bytes), without the guest's decoder. */
export function decodeRun(mem: GuestMemory, addr: number, len: number, max = 64): Insn[] {
  const bytes = peekBytes(mem, addr, len);
  if (!bytes) return [];
  const scratch = new GuestMemory();
  scratch.map(addr, bytes.length + 16, PROT_READ | PROT_WRITE);
  scratch.poke(addr, bytes);
  scratch.protect(addr, bytes.length + 16, PROT_READ | PROT_EXEC);
  const decoder = new Decoder(opcodeTables(), scratch);
  const out: Insn[] = [];
  for (let a = addr; a < addr + bytes.length && out.length < max;) {
    let d: Insn;
    try {
      d = decoder.decode(a);
    } catch {
      break;
    }
    if (d.next > addr + bytes.length) break;
    out.push(d);
    a = d.next;
  }
  return out;
}

/** The instruction at addr, or null when its bytes are not mapped or do not decode. */
export function decodeAt(mem: GuestMemory, addr: number): Insn | null {
  return decodeRun(mem, addr, 16, 1)[0] ?? null;
}

/** An address as the kernel prints it: unsigned hex, no 0x. */
export function hexAddr(a: number): string {
  return a >= 0 ? a.toString(16) : (BigInt(a) + (1n << 64n)).toString(16);
}

/** 0x-prefixed 64-bit hex of a bigint, optionally zero-padded to 16 digits. */
export function hex64(v: bigint, pad = false): string {
  const s = BigInt.asUintN(64, v).toString(16);
  return '0x' + (pad ? s.padStart(16, '0') : s);
}

/**
 * Every syscall (0f 05), rdtsc (0f 31) and rdtscp (0f 01 f9) in the given ranges. A match inside
 * another instruction's bytes is harmless to the caller: execution never starts there.
 */
export function scanTimeSites(mem: GuestMemory, ranges: readonly { start: number; end: number }[]): number[] {
  const out: number[] = [];
  for (const v of ranges) {
    for (let a = v.start; a < v.end; a += PAGE_SIZE) {
      const page = mem.page(pageOf(a));
      if (!page) continue;
      const d = page.data;
      for (let i = 0; i < PAGE_SIZE - 2; i++) {
        if (d[i] === 0x0f && (d[i + 1] === 0x05 || d[i + 1] === 0x31 || (d[i + 1] === 0x01 && d[i + 2] === 0xf9))) out.push(a + i);
      }
    }
  }
  return out;
}
