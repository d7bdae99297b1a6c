// A small assembler driven by the ISA rows: given a row and its operand choices, produce the bytes, so
// the oracle tests can exercise every row in register and memory forms without a hand-written table of
// encodings. It understands what `parseEncoding` understands (prefixes, REX, escapes, /r and /digit,
// +r, immediates); memory operands are [base + disp] with an optional index.

import { parseEncoding, type IsaRow } from '../../cpu/isa/types.js';

export interface MemOperand {
  base: number; // register number 0..15, or -1 for none (SIB with base 101 and mod 00: disp32 only)
  disp: number; // fits in int32
  index?: number; // register number, not 4 (rsp)
  scale?: 1 | 2 | 4 | 8;
  /** [rip + disp32] (base and index are ignored). */
  rip?: boolean;
  /** Encode a zero displacement with mod 00 (no displacement byte) where the base allows it. */
  short?: boolean;
}

export interface AsmOperands {
  /** ModRM.reg register, or the +r register. */
  reg?: number;
  /** ModRM.rm register (mod = 3). */
  rm?: number;
  /** Memory operand (mod != 3). */
  mem?: MemOperand;
  /** Immediate values, in the order of the encoding's ib/iw/id/io tokens. */
  imm?: (number | bigint)[];
  /** Emit a REX prefix even when no bit needs it (spl..dil instead of ah..bh for byte registers). */
  rex?: boolean;
  lock?: boolean;
  /** Extra legacy prefixes emitted first (e.g. 0x67). */
  prefixes?: number[];
}

export function assemble(row: IsaRow, o: AsmOperands): Uint8Array {
  const e = parseEncoding(row);
  const out: number[] = [];
  if (o.prefixes) out.push(...o.prefixes);
  if (o.lock) out.push(0xf0);
  if (e.osize === 16 && e.prefix !== 0x66) out.push(0x66);
  if (e.prefix > 0) out.push(e.prefix);
  let rex = 0;
  if (e.osize === 64 && !e.d64) rex |= 8;
  const reg = o.reg ?? 0;
  if (e.plusR) {
    if (reg & 8) rex |= 1;
  } else if (e.modrm) {
    if (e.digit < 0 && reg & 8) rex |= 4;
    if (o.mem) {
      if (!o.mem.rip && o.mem.base >= 0 && o.mem.base & 8) rex |= 1;
      if (!o.mem.rip && o.mem.index !== undefined && o.mem.index & 8) rex |= 2;
    } else if ((o.rm ?? 0) & 8) rex |= 1;
  }
  if (rex || o.rex) out.push(0x40 | rex);
  if (e.map >= 1) out.push(0x0f);
  if (e.map === 2) out.push(0x38);
  if (e.map === 3) out.push(0x3a);
  out.push(e.plusR ? e.op + (reg & 7) : e.op);
  if (e.modrm) {
    if (e.fixedModrm >= 0) out.push(e.fixedModrm);
    else {
      const r = e.digit >= 0 ? e.digit : reg & 7;
      if (!o.mem) out.push(0xc0 | (r << 3) | ((o.rm ?? 0) & 7));
      else if (o.mem.rip || o.mem.base < 0) {
        // mod 00: rm 101 is [rip + disp32]; a SIB byte with base 101 is [index*scale + disp32].
        const m = o.mem;
        if (m.rip) out.push((r << 3) | 5);
        else {
          const ss = { 1: 0, 2: 1, 4: 2, 8: 3 }[m.scale ?? 1]!;
          out.push((r << 3) | 4, (ss << 6) | ((m.index === undefined ? 4 : m.index & 7) << 3) | 5);
        }
        for (let i = 0; i < 4; i++) out.push((m.disp >> (8 * i)) & 0xff);
      } else {
        const m = o.mem;
        const d8 = m.disp >= -128 && m.disp <= 127;
        const mod = m.short && m.disp === 0 && (m.base & 7) !== 5 ? 0 : d8 ? 1 : 2;
        const needSib = (m.base & 7) === 4 || m.index !== undefined;
        out.push((mod << 6) | (r << 3) | (needSib ? 4 : m.base & 7));
        if (needSib) {
          const ss = { 1: 0, 2: 1, 4: 2, 8: 3 }[m.scale ?? 1]!;
          const idx = m.index === undefined ? 4 : m.index & 7;
          out.push((ss << 6) | (idx << 3) | (m.base & 7));
        }
        if (mod === 0) { /* no displacement */ } else if (d8) out.push(m.disp & 0xff);
        else for (let i = 0; i < 4; i++) out.push((m.disp >> (8 * i)) & 0xff);
      }
    }
  }
  const imms = o.imm ?? [];
  e.imm.forEach((k, i) => {
    const v = BigInt.asUintN(64, BigInt(imms[i] ?? 0));
    const n = k === 'b' ? 1 : k === 'w' ? 2 : k === 'd' ? 4 : 8;
    for (let j = 0; j < n; j++) out.push(Number((v >> BigInt(8 * j)) & 0xffn));
  });
  return Uint8Array.from(out);
}
