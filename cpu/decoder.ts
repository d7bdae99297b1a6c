// The decoder: bytes at rip -> a decoded Insn (SDM vol. 2 ch. 2, "Instruction Format").
//
// Order of an instruction: legacy prefixes, REX, opcode (one byte, or 0F, 0F 38, 0F 3A escapes),
// ModRM, SIB, displacement, immediates; 15 bytes at most. The opcode tables are built from the ISA
// rows (isa/index.ts), so decoding, disassembly and execution cannot disagree about an encoding.

import { Insn } from './insn.js';
import { GuestFault, Vector } from './fault.js';
import { parseEncoding, type Encoding, type IsaRow } from './isa/types.js';
import { SEG_FS, SEG_GS, SEG_NONE } from './cpu.js';
import type { GuestMemory, Page } from './memory.js';

interface Candidate {
  row: IsaRow;
  enc: Encoding;
}

const MAX_INSN_LEN = 15;

function specificity(e: Encoding): number {
  // Lower sorts first: mandatory prefix, fixed ModRM, /digit, mod=, operand size.
  return (e.prefix !== 0 ? 0 : 16) + (e.fixedModrm >= 0 ? 0 : 8) + (e.digit >= 0 ? 0 : 4) + (e.mod !== 'any' ? 0 : 2) + (e.osize !== 0 ? 0 : 1);
}

function sameConstraints(a: Encoding, b: Encoding): boolean {
  return a.prefix === b.prefix && a.osize === b.osize && a.d64 === b.d64 && a.digit === b.digit &&
    a.fixedModrm === b.fixedModrm && a.mod === b.mod;
}

export class OpcodeTables {
  /** tables[map][opcode byte] = candidates, most specific first. */
  readonly tables: Candidate[][][] = [0, 1, 2, 3].map(() => Array.from({ length: 256 }, () => []));
  readonly rows: readonly IsaRow[];
  readonly byId = new Map<string, IsaRow>();

  constructor(rows: readonly IsaRow[]) {
    this.rows = rows;
    for (const row of rows) {
      if (this.byId.has(row.id)) throw new Error(`ISA row id ${row.id} is defined twice`);
      this.byId.set(row.id, row);
      const enc = parseEncoding(row);
      const ops = enc.plusR ? [0, 1, 2, 3, 4, 5, 6, 7].map((i) => enc.op + i) : [enc.op];
      for (const op of ops) {
        const list = this.tables[enc.map][op];
        for (const other of list) {
          if (other.enc.modrm !== enc.modrm) throw new Error(`ISA rows ${other.row.id} and ${row.id} disagree on ModRM for opcode ${op.toString(16)}`);
          if (sameConstraints(other.enc, enc)) throw new Error(`ISA rows ${other.row.id} and ${row.id} overlap: '${other.row.opcode}' / '${row.opcode}'`);
        }
        list.push({ row, enc });
        list.sort((a, b) => specificity(a.enc) - specificity(b.enc));
      }
    }
  }
}

/** Fetches instruction bytes through the MMU, one page at a time, with execute permission. */
class Fetcher {
  private page: Page | null = null;
  private pageBase = NaN;
  constructor(private readonly mem: GuestMemory) {}
  byte(addr: number): number {
    const base = addr - (addr & 0xfff);
    if (base !== this.pageBase) {
      this.page = this.mem.fetchPage(addr);
      this.pageBase = base;
    }
    return this.page!.data[addr & 0xfff];
  }
}

function hexBytes(bytes: ArrayLike<number>): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

export class Decoder {
  private readonly fetcher: Fetcher;
  constructor(
    private readonly tables: OpcodeTables,
    mem: GuestMemory,
  ) {
    this.fetcher = new Fetcher(mem);
  }

  /** Decode the instruction at `addr`. Throws GuestFault: #PF on fetch, #UD for an unknown encoding. */
  decode(addr: number): Insn {
    const f = this.fetcher;
    const raw: number[] = [];
    let pos = addr;
    const next = (): number => {
      if (raw.length >= MAX_INSN_LEN) throw new GuestFault(Vector.GP, 0, 0, `instruction longer than 15 bytes: ${hexBytes(raw)}`);
      const b = f.byte(pos++);
      raw.push(b);
      return b;
    };
    const d = new Insn();
    d.addr = addr;
    let opsz = false;
    let adsz = false;
    let rep = 0;
    let b = next();
    const prefixes: number[] = [];
    // Legacy prefixes, in any order.
    for (;;) {
      if (b === 0x66) opsz = true;
      else if (b === 0x67) adsz = true;
      else if (b === 0xf0) d.lock = true;
      else if (b === 0xf2 || b === 0xf3) rep = b;
      else if (b === 0x64) d.seg = SEG_FS;
      else if (b === 0x65) d.seg = SEG_GS;
      else if (b === 0x2e || b === 0x36 || b === 0x3e || b === 0x26) { /* null segments in 64-bit mode */ }
      else if ((b & 0xf0) === 0x40) {
        // REX counts only immediately before the opcode: a legacy prefix after it cancels it.
        d.rex = b;
        b = next();
        continue;
      } else break;
      d.rex = 0;
      prefixes.push(b);
      b = next();
    }
    let map: 0 | 1 | 2 | 3 = 0;
    if (b === 0x0f) {
      map = 1;
      b = next();
      if (b === 0x38) { map = 2; b = next(); }
      else if (b === 0x3a) { map = 3; b = next(); }
    }
    const list = this.tables.tables[map][b];
    const undefinedOpcode = (): never => {
      // Read what the longest plausible instruction could hold, for the message.
      throw new GuestFault(Vector.UD, addr, 0, `invalid or unimplemented instruction: ${hexBytes(raw)}`);
    };
    if (list.length === 0) undefinedOpcode();
    const opcode = b;
    const needModrm = list[0].enc.modrm;
    const modrm = needModrm ? next() : 0;
    const rexW = (d.rex & 8) !== 0;
    let chosen: Candidate | null = null;
    for (const cand of list) {
      const e = cand.enc;
      if (e.prefix === -1 ? opsz || rep !== 0 : e.prefix === 0x66 ? !opsz || rep !== 0 : e.prefix !== 0 && e.prefix !== rep) continue;
      // In the 0F 38 and 0F 3A maps F2/F3 only ever select an instruction; they are never rep prefixes.
      if (e.prefix === 0 && map >= 2 && rep !== 0) continue;
      const size16 = opsz && e.prefix !== 0x66;
      const eff = e.d64 ? (size16 && !rexW ? 16 : 64) : rexW ? 64 : size16 ? 16 : 32;
      if (e.osize !== 0 && e.osize !== eff) continue;
      if (needModrm) {
        if (e.fixedModrm >= 0 && e.fixedModrm !== modrm) continue;
        if (e.digit >= 0 && ((modrm >> 3) & 7) !== e.digit) continue;
        if (e.mod === 'reg' && modrm < 0xc0) continue;
        if (e.mod === 'mem' && modrm >= 0xc0) continue;
      }
      chosen = cand;
      d.osize = e.byteOp ? 8 : eff;
      break;
    }
    if (!chosen) undefinedOpcode();
    const { row, enc } = chosen!;
    if (d.lock && !row.lockable) undefinedOpcode();
    if (d.lock && needModrm && modrm >= 0xc0) undefinedOpcode();
    d.row = row;
    d.exec = row.exec;
    d.asize = adsz ? 32 : 64;
    d.rep = enc.prefix > 0 && enc.prefix !== 0x66 ? 0 : rep;
    d.prefixes = prefixes;

    const rex = d.rex;
    if (enc.plusR) {
      d.reg = (opcode & 7) | ((rex & 1) << 3);
      d.reg8 = byteRegOffset(d.reg, rex);
    }
    let ripDisp = false;
    if (needModrm) {
      d.hasModrm = true;
      d.modrm = modrm;
      const mod = modrm >> 6;
      d.reg = ((modrm >> 3) & 7) | ((rex & 4) << 1);
      d.reg8 = byteRegOffset(d.reg, rex);
      let rm = modrm & 7;
      if (mod === 3) {
        d.mod3 = true;
        d.rm = rm | ((rex & 1) << 3);
        d.rm8 = byteRegOffset(d.rm, rex);
      } else {
        if (rm === 4) {
          const sib = next();
          d.scale = 1 << (sib >> 6);
          const index = ((sib >> 3) & 7) | ((rex & 2) << 2);
          d.index = index === 4 ? -1 : index;
          const base = sib & 7;
          if (base === 5 && mod === 0) {
            d.base = -1;
            d.disp = int32(next(), next(), next(), next());
          } else {
            d.base = base | ((rex & 1) << 3);
          }
        } else if (rm === 5 && mod === 0) {
          ripDisp = true;
          d.disp = int32(next(), next(), next(), next());
        } else {
          d.base = rm | ((rex & 1) << 3);
        }
        if (mod === 1) d.disp = (next() << 24) >> 24;
        else if (mod === 2) d.disp = int32(next(), next(), next(), next());
      }
    }
    let nimm = 0;
    for (const k of enc.imm) {
      let v: number, vh: number;
      if (k === 'b') { v = (next() << 24) >> 24; vh = v >> 31; }
      else if (k === 'w') { v = ((next() | (next() << 8)) << 16) >> 16; vh = v >> 31; }
      else if (k === 'd') { v = int32(next(), next(), next(), next()); vh = v >> 31; }
      else if (adsz && map === 0 && opcode >= 0xa0 && opcode <= 0xa3) { v = int32(next(), next(), next(), next()); vh = 0; } // mov moffs: 4 bytes with 67
      else { v = int32(next(), next(), next(), next()); vh = int32(next(), next(), next(), next()); }
      if (nimm++ === 0) { d.imm = v; d.immHi = vh; } else d.imm2 = v;
    }
    let rel = 0;
    if (enc.rel === 8) rel = (next() << 24) >> 24;
    else if (enc.rel === 32) rel = int32(next(), next(), next(), next());
    d.len = raw.length;
    d.next = addr + d.len;
    if (enc.rel) d.target = wrapAddress(d.next + rel);
    if (ripDisp) {
      d.ripRel = true;
      d.disp = d.asize === 32 ? (d.next + d.disp) % 4294967296 : d.next + d.disp;
    }
    d.bytes = Uint8Array.from(raw);
    if (row.select) d.exec = row.select(d);
    return d;
  }
}

function int32(a: number, b: number, c: number, d: number): number {
  return a | (b << 8) | (c << 16) | (d << 24);
}

/** Keep a computed address inside the signed 64-bit range (wraps like the CPU's 64-bit adder). */
export function wrapAddress(a: number): number {
  if (a >= 9223372036854775808) return a - 18446744073709551616;
  if (a < -9223372036854775808) return a + 18446744073709551616;
  return a;
}

/**
 * Offset of an 8-bit register in Cpu.r8. Without REX, encodings 4..7 are ah, ch, dh, bh (byte 1 of
 * rax..rbx); with any REX they are spl, bpl, sil, dil.
 */
export function byteRegOffset(reg: number, rex: number): number {
  if (rex === 0 && reg >= 4 && reg < 8) return (reg - 4) * 8 + 1;
  return reg * 8;
}

export { SEG_NONE, hexBytes };
