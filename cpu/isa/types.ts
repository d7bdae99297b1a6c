// The vocabulary of the ISA table (see isa/index.ts). One row describes one instruction form, the way
// the SDM's opcode tables and iced's InstructionDefs do: its encoding, operands, mnemonic, the flags it
// touches and its semantics. The decoder, the disassembler and the executor are all driven by rows.

import type { ExecFn, Insn } from '../insn.js';

/**
 * Operand kinds, named as in the SDM. Register operands come from ModRM.reg, or from the opcode's low
 * three bits when the encoding says `+r`; `r/mN` from ModRM.rm (register or memory); `mN` memory only.
 */
export type Operand =
  | 'r/m8' | 'r/m16' | 'r/m32' | 'r/m64'
  | 'r8' | 'r16' | 'r32' | 'r64'
  | 'm' | 'm8' | 'm16' | 'm32' | 'm64' | 'm128'
  | 'imm8' | 'imm16' | 'imm32' | 'imm64'
  | 'rel8' | 'rel32'
  | 'AL' | 'AX' | 'EAX' | 'RAX' | 'CL' | 'DX' | '1'
  | 'r32/m8' | 'r32/m16' | 'r64/m16'
  | 'xmm' | 'xmm/m128' | 'xmm/m64' | 'xmm/m32' | 'xmm/m16' | 'xmm/m8' | 'xmm2'
  | 'mm' | 'mm/m64' | 'mm/m32'
  | 'm32fp' | 'm64fp' | 'm80fp' | 'm16int' | 'm32int' | 'm64int' | 'ST(0)' | 'ST(i)'
  | 'm512' | 'm2byte'
  // string instruction operands, formatted as objdump does (es:[rdi], ds:[rsi])
  | 'Xb' | 'Xw' | 'Xd' | 'Xq' | 'Yb' | 'Yw' | 'Yd' | 'Yq'
  // the absolute address of mov A0..A3 (read as an `io` immediate), printed `ds:0x...`, and xlat's
  // table operand, printed `BYTE PTR ds:[rbx]`
  | 'moffs8' | 'moffs16' | 'moffs32' | 'moffs64' | 'XLAT';

/** Control flow: the engine ends a decoded block after any row that is not 'next'. */
export type Flow = 'next' | 'jump' | 'branch' | 'call' | 'ret' | 'syscall' | 'stop';

export interface FlagEffects {
  /** Letters of o s z a p c d: flags the instruction reads, writes, leaves undefined. */
  read?: string;
  write?: string;
  undef?: string;
}

export interface IsaRow {
  /** Names the operand form, e.g. add_rm64_r64; stays the same in tests, traces and the step view. */
  id: string;
  mnemonic: string;
  /**
   * The encoding, in the SDM's notation with a few explicit tokens:
   *  `66`/`F2`/`F3` mandatory prefix, `NP` none of them allowed; `o16`/`o32`/`o64` operand size
   *  (o64 = REX.W); `d64` default 64-bit operand size (push, pop, near branches); `0F`, `0F 38`, `0F 3A`
   *  escape; the opcode byte; `+r` register in the low bits; `/r` or `/0`..`/7` ModRM; a further hex
   *  byte is a fixed ModRM byte (`0F 01 D0`); `mod=reg`/`mod=mem`; immediates `ib iw id io`, `cb cd`
   *  for relative branches.
   */
  opcode: string;
  operands: readonly Operand[];
  flags?: FlagEffects;
  flow?: Flow;
  /** CPUID feature this form needs, reported by cpuid (see isa/cpuid.ts). */
  feature?: string;
  /** Whether a lock prefix is allowed (else lock gives #UD). */
  lockable?: boolean;
  exec: ExecFn;
  /**
   * Optionally pick a faster exec for one decoded instance (register vs memory operand, the shape of
   * an address). It must behave exactly as `exec` does for that instance.
   */
  select?: (d: Insn) => ExecFn;
  /** Disassembly hints, for a row whose mnemonic and operand kinds alone do not print as objdump does. */
  intel?: IntelHints;
}

/**
 * How the disassembler (disasm.ts) prints a row when the generic rules do not fit. Most rows need none:
 * the mnemonic, the operand kinds and the encoding say enough.
 */
export interface IntelHints {
  /** The mnemonic objdump prints, when it differs from `mnemonic` (e.g. `movs` for a row named movsq). */
  mnemonic?: string;
  /**
   * How the first immediate prints: 'sx' sign-extended to the operand size, 'zx' as the bits encoded.
   * Default: imm32 and the imm8 of opcodes 6A, 6B and 83 are 'sx', other immediates 'zx'.
   */
  imm?: 'sx' | 'zx';
}

/** What the decoder derives from a row's `opcode` string. */
export interface Encoding {
  prefix: 0 | 0x66 | 0xf2 | 0xf3 | -1; // -1: NP (no 66/F2/F3); 0: not specified
  osize: 0 | 16 | 32 | 64; // 0: any
  d64: boolean;
  map: 0 | 1 | 2 | 3; // one-byte, 0F, 0F 38, 0F 3A
  op: number;
  plusR: boolean;
  modrm: boolean;
  digit: number; // -1: /r
  fixedModrm: number; // -1: none
  mod: 'any' | 'reg' | 'mem';
  imm: ('b' | 'w' | 'd' | 'q')[];
  rel: 0 | 8 | 32;
  byteOp: boolean; // operand size 8 (r/m8 forms), for formatting and staging
}

export function parseEncoding(row: IsaRow): Encoding {
  const e: Encoding = {
    prefix: 0, osize: 0, d64: false, map: 0, op: -1, plusR: false, modrm: false, digit: -1,
    fixedModrm: -1, mod: 'any', imm: [], rel: 0, byteOp: false,
  };
  const bad = (why: string) => new Error(`ISA row ${row.id}: ${why} in '${row.opcode}'`);
  for (const tok of row.opcode.trim().split(/\s+/)) {
    if (e.op < 0) {
      const escaped = e.map !== 0 && !(e.map === 1 && (tok === '38' || tok === '3A'));
      if (escaped && /^[0-9A-F]{2}$/.test(tok)) e.op = parseInt(tok, 16);
      else if (tok === '66' || tok === 'F2' || tok === 'F3') e.prefix = parseInt(tok, 16) as 0x66 | 0xf2 | 0xf3;
      else if (tok === 'NP') e.prefix = -1;
      else if (tok === 'o16' || tok === 'o32' || tok === 'o64') e.osize = +tok.slice(1) as 16 | 32 | 64;
      else if (tok === 'REX.W') e.osize = 64;
      else if (tok === 'd64') e.d64 = true;
      else if (tok === '0F' && e.map === 0) e.map = 1;
      else if (tok === '38' && e.map === 1) e.map = 2;
      else if (tok === '3A' && e.map === 1) e.map = 3;
      else if (/^[0-9A-F]{2}$/.test(tok)) e.op = parseInt(tok, 16);
      else throw bad(`unexpected '${tok}'`);
      continue;
    }
    if (tok === '+r') e.plusR = true;
    else if (tok === '/r') e.modrm = true;
    else if (/^\/[0-7]$/.test(tok)) { e.modrm = true; e.digit = +tok[1]; }
    else if (/^[0-9A-F]{2}$/.test(tok)) { e.modrm = true; e.fixedModrm = parseInt(tok, 16); }
    else if (tok === 'mod=reg') e.mod = 'reg';
    else if (tok === 'mod=mem') e.mod = 'mem';
    else if (tok === 'ib') e.imm.push('b');
    else if (tok === 'iw') e.imm.push('w');
    else if (tok === 'id') e.imm.push('d');
    else if (tok === 'io') e.imm.push('q');
    else if (tok === 'cb') e.rel = 8;
    else if (tok === 'cd') e.rel = 32;
    else throw bad(`unexpected '${tok}'`);
  }
  if (e.op < 0) throw bad('no opcode byte');
  e.byteOp = row.operands.some((o) => o === 'r/m8' || o === 'r8' || o === 'm8' || o === 'AL') && !row.operands.some((o) => /^(r|r\/m)(16|32|64)$/.test(o));
  return e;
}
