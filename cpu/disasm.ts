// The disassembler: a decoded Insn printed in Intel syntax, character for character as GNU objdump
// (`objdump -d -M intel`, binutils 2.40, opcodes/i386-dis.c) prints it. The text comes from the ISA
// row that decoded the instruction (its mnemonic, operand kinds and encoding) and the decoded fields,
// so the decoder, the executor and this listing cannot disagree about what an encoding means.
//
// What objdump does that a reader would not guess, and this file reproduces:
//  - The mnemonic is padded to six characters plus one space, counting any prefix names before it
//    (`mov    eax,...`, `rep stos QWORD PTR es:[rdi],rax`); with no operands there is no padding.
//  - A prefix the instruction does not use is printed as a name before the mnemonic: `data16`,
//    `addr32`, `cs`/`ss`/`ds`/`es` (null segments in 64-bit mode), `repz`/`repnz`, `lock`, and a REX
//    byte with any unused bit as `rex.WB` etc. A used 66, 67, F2/F3, fs/gs or REX disappears into the
//    operands. F2 on a branch is `bnd`, 3E on an indirect branch `notrack`, F2/F3 on a locked
//    instruction (or xchg, or F3 on a mov store) `xacquire`/`xrelease`, F3 on movs/stos/lods `rep`.
//  - Memory operands carry a size keyword (BYTE..XMMWORD PTR), fs:/gs: overrides, `[base+index*s+disp]`
//    with a signed displacement (`[rbp-0x8]`), `riz` for a SIB byte without an index, `ds:0x...` for an
//    absolute address, `[rip+0x...]` with the target as a `# addr <sym>` comment.
//  - Immediates are hex, masked to the operand size after sign extension (`add eax,0xffffffff`),
//    except zero-extended imm8/imm16 operands (shift counts, `ret 0x8`, SSE selectors).

import type { Insn } from './insn.js';
import { Decoder, type OpcodeTables } from './decoder.js';
import { opcodeTables } from './engine.js';
import { GuestMemory, PROT_EXEC, PROT_READ, PROT_WRITE } from './memory.js';
import { SEG_FS, SEG_GS } from './cpu.js';
import { parseEncoding, type Encoding, type IsaRow, type Operand } from './isa/types.js';

export interface DisasmOptions {
  /**
   * Names an address for a branch target or a rip-relative comment: returns the text objdump puts in
   * `<...>` (`main+0x10`), or null for none. Without it addresses print as objdump prints them for a
   * file without symbols (`0x401136`); with it, as for a file with symbols (`401136 <main+0x10>`).
   */
  symbolize?: (addr: number) => string | null;
}

export interface DisasmLine {
  addr: number;
  bytes: Uint8Array;
  /** The text objdump prints after the bytes column, or `(bad)`. */
  text: string;
}

const REG64 = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];
const REG32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi', 'r8d', 'r9d', 'r10d', 'r11d', 'r12d', 'r13d', 'r14d', 'r15d'];
const REG16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di', 'r8w', 'r9w', 'r10w', 'r11w', 'r12w', 'r13w', 'r14w', 'r15w'];
const REG8 = ['al', 'cl', 'dl', 'bl', 'spl', 'bpl', 'sil', 'dil', 'r8b', 'r9b', 'r10b', 'r11b', 'r12b', 'r13b', 'r14b', 'r15b'];
const REG8_LEGACY = ['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh'];

function gpr(size: number, n: number, rex: number): string {
  if (size === 64) return REG64[n];
  if (size === 32) return REG32[n];
  if (size === 16) return REG16[n];
  return rex === 0 && n < 8 ? REG8_LEGACY[n] : REG8[n];
}

/** Size keyword of a memory operand, by operand kind ('' for none, as objdump prints lea or fxsave). */
const SIZE_PTR: Partial<Record<Operand, string>> = {
  'r/m8': 'BYTE', 'm8': 'BYTE', 'r32/m8': 'BYTE', 'xmm/m8': 'BYTE',
  'r/m16': 'WORD', 'm16': 'WORD', 'r32/m16': 'WORD', 'r64/m16': 'WORD', 'xmm/m16': 'WORD', 'm16int': 'WORD', 'm2byte': 'WORD',
  'r/m32': 'DWORD', 'm32': 'DWORD', 'xmm/m32': 'DWORD', 'mm/m32': 'DWORD', 'm32fp': 'DWORD', 'm32int': 'DWORD',
  'r/m64': 'QWORD', 'm64': 'QWORD', 'xmm/m64': 'QWORD', 'mm/m64': 'QWORD', 'm64fp': 'QWORD', 'm64int': 'QWORD',
  'm128': 'XMMWORD', 'xmm/m128': 'XMMWORD',
  'm80fp': 'TBYTE', 'XLAT': 'BYTE',
  'Xb': 'BYTE', 'Yb': 'BYTE', 'Xw': 'WORD', 'Yw': 'WORD', 'Xd': 'DWORD', 'Yd': 'DWORD', 'Xq': 'QWORD', 'Yq': 'QWORD',
};

/** Register size of the register alternative of an `r/m` style kind. */
const RM_REG_SIZE: Partial<Record<Operand, number>> = {
  'r/m8': 8, 'r/m16': 16, 'r/m32': 32, 'r/m64': 64, 'r32/m8': 32, 'r32/m16': 32, 'r64/m16': 64,
};
const REG_SIZE: Partial<Record<Operand, number>> = { r8: 8, r16: 16, r32: 32, r64: 64 };
const FIXED_REG: Partial<Record<Operand, string>> = { AL: 'al', AX: 'ax', EAX: 'eax', RAX: 'rax', CL: 'cl', DX: 'dx' };

const encodings = new WeakMap<IsaRow, Encoding>();
function encodingOf(row: IsaRow): Encoding {
  let e = encodings.get(row);
  if (!e) encodings.set(row, (e = parseEncoding(row)));
  return e;
}

/** Hex of a signed 64-bit address (a JS number, see memory.ts) as objdump prints it: unsigned, no 0x. */
export function hexAddr(a: number): string {
  return a >= 0 ? a.toString(16) : (BigInt(a) + (1n << 64n)).toString(16);
}

function hexU(v: bigint, bits: number): string {
  return '0x' + BigInt.asUintN(bits, v).toString(16);
}

function addressText(a: number, opts: DisasmOptions): string {
  if (!opts.symbolize) return '0x' + hexAddr(a);
  const sym = opts.symbolize(a);
  return sym === null ? hexAddr(a) : `${hexAddr(a)} <${sym}>`;
}

const SEG_NAMES: Record<number, string> = { 0x26: 'es', 0x2e: 'cs', 0x36: 'ss', 0x3e: 'ds', 0x64: 'fs', 0x65: 'gs' };
const isSegPrefix = (b: number) => b in SEG_NAMES;

/** Opcodes whose imm8 is sign-extended to the operand size (SDM appendix A: push 6A, imul 6B, group 1 83). */
function signExtendedImm8(e: Encoding): boolean {
  return e.map === 0 && (e.op === 0x6a || e.op === 0x6b || e.op === 0x83);
}

/** What formatting the operands found out about which prefix and REX bits the instruction uses. */
interface Usage {
  mem: boolean; // a memory operand that a segment override applies to
  dsDefault: boolean; // an implicit ds:[rsi] or ds:[rbx] operand
  anyMem: boolean; // any memory operand (the 67 prefix applies)
  rexR: boolean;
  rexX: boolean;
  rexB: boolean;
  byteReg: boolean; // an 8-bit register (a bare REX selects spl..dil)
  ripTarget: number | null;
}

/** Text of a ModRM memory operand (or of a string operand's implicit address). */
function memoryText(d: Insn, ptr: string, u: Usage, overridable: boolean): string {
  u.anyMem = true;
  if (overridable) u.mem = true;
  const seg = overridable && d.seg === SEG_FS ? 'fs:' : overridable && d.seg === SEG_GS ? 'gs:' : '';
  const pre = ptr ? `${ptr} PTR ${seg}` : seg;
  const names = d.asize === 32 ? REG32 : REG64;
  u.rexB = true;
  if (d.ripRel) {
    u.ripTarget = d.disp;
    const rel = BigInt(d.disp) - BigInt(d.next);
    return `${pre}[${d.asize === 32 ? 'eip' : 'rip'}+${hexU(rel, 64)}]`;
  }
  const mod = d.modrm >> 6;
  const sib = (d.modrm & 7) === 4;
  if (sib) u.rexX = true;
  const ss = d.scale === 8 ? 3 : d.scale === 4 ? 2 : d.scale === 2 ? 1 : 0;
  let index = '';
  if (d.index >= 0) index = `${names[d.index]}*${d.scale}`;
  else if (sib && (ss !== 0 || (d.base >= 0 && (d.base & 7) !== 4) || (d.base < 0 && d.asize === 32))) {
    index = `${d.asize === 32 ? 'eiz' : 'riz'}*${d.scale}`;
  }
  if (d.base < 0 && !index) {
    // An absolute address: objdump names the segment, `ds:` when there is no override.
    const abs = d.asize === 32 ? BigInt(d.disp >>> 0) : BigInt(d.disp);
    return `${ptr ? ptr + ' PTR ' : ''}${seg || 'ds:'}${hexU(abs, 64)}`;
  }
  let s = pre + '[';
  if (d.base >= 0) s += names[d.base];
  if (index) s += (d.base >= 0 ? '+' : '') + index;
  if (mod !== 0 || d.base < 0) {
    if (d.base < 0 && d.index < 0 && d.asize === 32) s += '+' + hexU(BigInt(d.disp >>> 0), 64);
    else s += d.disp < 0 ? '-0x' + (-d.disp).toString(16) : '+0x' + d.disp.toString(16);
  }
  return s + ']';
}

/**
 * The implicit operands of string instructions and xlat. A ds-relative one (ds:[rsi], ds:[rbx])
 * takes an fs/gs override and, as objdump counts it, uses up whatever segment prefix came last.
 */
function implicitOperand(d: Insn, kind: Operand, u: Usage): string {
  const src = kind[0] === 'X';
  u.anyMem = true;
  const reg = kind === 'XLAT' ? (d.asize === 32 ? 'ebx' : 'rbx') : d.asize === 32 ? (src ? 'esi' : 'edi') : src ? 'rsi' : 'rdi';
  let seg = 'es:';
  if (src) {
    u.dsDefault = true;
    seg = d.seg === SEG_FS ? 'fs:' : d.seg === SEG_GS ? 'gs:' : 'ds:';
  }
  return `${SIZE_PTR[kind]} PTR ${seg}[${reg}]`;
}

/** mov's moffs: `ds:0x...`, or with the fs:/gs: override (a cs/ss/es/ds prefix stays a prefix name). */
function moffsOperand(d: Insn, u: Usage): string {
  // objdump counts a 67 prefix on a moffs form as unused (addr32) and prints plain mov.
  u.mem = true;
  u.anyMem = d.asize === 64;
  const seg = d.seg === SEG_FS ? 'fs:' : d.seg === SEG_GS ? 'gs:' : 'ds:';
  return seg + hexU((BigInt(d.immHi) << 32n) | BigInt(d.imm >>> 0), 64);
}

function immediateText(d: Insn, kind: Operand, e: Encoding, index: number): string {
  const row = d.row;
  if (kind === 'imm64') return hexU((BigInt(d.immHi) << 32n) | BigInt(d.imm >>> 0), 64);
  // The second immediate (enter's imm8) is never sign-extended.
  const v = index === 0 ? BigInt(d.imm) : BigInt(d.imm2);
  const sx = row.intel?.imm ?? (kind === 'imm32' || (kind === 'imm8' && index === 0 && signExtendedImm8(e)) ? 'sx' : 'zx');
  if (sx === 'sx') return hexU(v, d.osize);
  return hexU(v, kind === 'imm8' ? 8 : kind === 'imm16' ? 16 : 32);
}

function operandText(d: Insn, kind: Operand, e: Encoding, u: Usage, opts: DisasmOptions, immIndex: number): string {
  const fromRm = e.digit >= 0 || e.fixedModrm >= 0; // ModRM.reg is an opcode extension
  const regSize = REG_SIZE[kind];
  if (regSize !== undefined) {
    const n = e.plusR || !fromRm ? d.reg : d.rm;
    if (regSize === 8 && n >= 4 && n < 8) u.byteReg = true;
    if (e.plusR || fromRm) u.rexB = true;
    else u.rexR = true;
    return gpr(regSize, n, d.rex);
  }
  const rmSize = RM_REG_SIZE[kind];
  if (rmSize !== undefined) {
    if (d.mod3) {
      u.rexB = true;
      if (rmSize === 8 && d.rm >= 4 && d.rm < 8) u.byteReg = true;
      return gpr(rmSize, d.rm, d.rex);
    }
    return memoryText(d, SIZE_PTR[kind]!, u, true);
  }
  switch (kind) {
    case 'imm8': case 'imm16': case 'imm32': case 'imm64':
      return immediateText(d, kind, e, immIndex);
    case 'rel8': case 'rel32':
      return addressText(d.target, opts);
    case 'AL': case 'CL': case 'AX': case 'EAX': case 'RAX': case 'DX':
      return FIXED_REG[kind]!;
    case '1':
      return '1';
    case 'xmm':
      u.rexR = true;
      return `xmm${d.reg}`;
    case 'xmm2':
      u.rexB = true;
      return `xmm${d.rm}`;
    case 'xmm/m128': case 'xmm/m64': case 'xmm/m32': case 'xmm/m16': case 'xmm/m8':
      if (d.mod3) { u.rexB = true; return `xmm${d.rm}`; }
      return memoryText(d, SIZE_PTR[kind]!, u, true);
    case 'mm':
      // mm numbers have no fourth bit: objdump shows a REX.R (or, below, REX.B) as unused.
      return `mm${d.reg & 7}`;
    case 'mm/m64': case 'mm/m32':
      if (d.mod3) return `mm${d.rm & 7}`;
      return memoryText(d, SIZE_PTR[kind]!, u, true);
    case 'ST(0)':
      return 'st';
    case 'ST(i)':
      // x87 register numbers have no fourth bit: objdump shows a REX.B here as unused.
      return `st(${d.rm & 7})`;
    case 'Xb': case 'Xw': case 'Xd': case 'Xq': case 'Yb': case 'Yw': case 'Yd': case 'Yq': case 'XLAT':
      return implicitOperand(d, kind, u);
    case 'moffs8': case 'moffs16': case 'moffs32': case 'moffs64':
      return moffsOperand(d, u);
    default:
      // Memory-only kinds: m, m8..m128, the x87 memory kinds, m512, m2byte.
      // m128 is XMMWORD beside an xmm register, OWORD alone (cmpxchg16b), as objdump sizes them.
      if (kind === 'm128' && !d.row.operands.some((o) => o.startsWith('xmm'))) return memoryText(d, 'OWORD', u, true);
      return memoryText(d, SIZE_PTR[kind] ?? '', u, true);
  }
}

const SSE_PREDICATES = ['eq', 'lt', 'le', 'unord', 'neq', 'nlt', 'nle', 'ord'];
const NOP_ENCODING: Encoding = { ...parseEncoding({ id: 'nop', mnemonic: 'nop', opcode: '90', operands: [], exec: () => {} }) };
const BRANCH_FLOWS = new Set(['jump', 'branch', 'call', 'ret']);

/** Names of the prefixes objdump prints before the mnemonic (the ones the instruction does not use). */
function prefixNames(d: Insn, e: Encoding, u: Usage, isString: boolean): string[] {
  const row = d.row;
  const pf = d.prefixes;
  const lastData = pf.lastIndexOf(0x66);
  const lastAddr = pf.lastIndexOf(0x67);
  // objdump keeps the last F2 and the last F3 apart: only those get a special name (rep, bnd, ...).
  const lastF2 = pf.lastIndexOf(0xf2), lastF3 = pf.lastIndexOf(0xf3);
  const lastRep = Math.max(lastF2, lastF3);
  let lastSeg = -1;
  for (let i = 0; i < pf.length; i++) if (isSegPrefix(pf[i])) lastSeg = i;
  const dataUsed = e.prefix === 0x66 || (e.osize === 16 && !e.byteOp);
  const addrUsed = u.anyMem || row.mnemonic === 'jrcxz';
  const segUsed = u.dsDefault || (u.mem && (d.seg === SEG_FS || d.seg === SEG_GS));
  const repMandatory = e.prefix === 0xf2 || e.prefix === 0xf3;
  const indirectBranch = (row.flow === 'jump' || row.flow === 'call') && !e.rel;
  const flowBranch = BRANCH_FLOWS.has(row.flow ?? 'next') && !/^(loop|jrcxz)/.test(row.mnemonic);
  const hle = !d.mod3 && d.hasModrm && (d.lock || row.mnemonic === 'xchg');
  const out: string[] = [];
  for (let i = 0; i < pf.length; i++) {
    const b = pf[i];
    if (b === 0x66) { if (!(i === lastData && dataUsed)) out.push('data16'); }
    else if (b === 0x67) { if (!(i === lastAddr && addrUsed)) out.push('addr32'); }
    else if (b === 0xf0) out.push('lock');
    else if (b === 0xf2 || b === 0xf3) {
      if (i === lastRep && repMandatory) continue;
      const z = b === 0xf3;
      if (i !== (z ? lastF3 : lastF2)) out.push(z ? 'repz' : 'repnz');
      else if (hle) out.push(z ? 'xrelease' : 'xacquire');
      else if (z && row.mnemonic === 'mov' && !d.mod3 && d.hasModrm && row.operands[0] !== 'r8' && !REG_SIZE[row.operands[0]]) out.push('xrelease');
      else if (!z && flowBranch) out.push('bnd');
      else if (isString && !row.flags?.write) out.push(z ? 'rep' : 'repnz');
      else out.push(z ? 'repz' : 'repnz');
    } else if (isSegPrefix(b)) {
      if (i === lastSeg && segUsed) continue;
      if (i === lastSeg && b === 0x3e && indirectBranch && lastData < 0) out.push('notrack');
      else out.push(SEG_NAMES[b]);
    }
  }
  // REX: printed (with all its bits) when any of its bits went unused.
  const rex = d.rex;
  if (rex !== 0) {
    let used = 0;
    if (e.osize === 64 && !e.d64) used |= 8; // d64 rows are 64-bit without REX.W: objdump prints rex.W
    if (u.rexR) used |= 4;
    if (u.rexX) used |= 2;
    if (u.rexB) used |= 1;
    if ((rex & 0xf & ~used) !== 0 || ((rex & 0xf & used) === 0 && !u.byteReg)) {
      out.push('rex' + (rex & 0xf ? '.' : '') + (rex & 8 ? 'W' : '') + (rex & 4 ? 'R' : '') + (rex & 2 ? 'X' : '') + (rex & 1 ? 'B' : ''));
    }
  }
  return out;
}

/** The text objdump prints for a decoded instruction (after the address and bytes columns). */
export function formatInsn(d: Insn, opts: DisasmOptions = {}): string {
  const row = d.row;
  const e = encodingOf(row);
  const u: Usage = { mem: false, dsDefault: false, anyMem: false, rexR: false, rexX: false, rexB: false, byteReg: false, ripTarget: null };
  const ops: string[] = [];
  let immIndex = 0;
  let isString = false;
  // 90 is xchg eax,eax by its encoding but nop by definition (SDM: NOP); only 66 90 stays xchg ax,ax.
  const nop90 = e.map === 0 && e.plusR && e.op === 0x90 && d.reg === 0 && d.osize !== 16;
  for (const kind of nop90 ? [] : row.operands) {
    if (kind !== 'XLAT' && (kind[0] === 'X' || kind[0] === 'Y')) isString = true;
    ops.push(operandText(d, kind, e, u, opts, kind.startsWith('imm') ? immIndex++ : 0));
  }
  if (e.plusR && !nop90) u.rexB = true;
  let mnemonic = nop90 ? 'nop' : row.intel?.mnemonic ?? row.mnemonic;
  if (mnemonic === 'movabs' && d.asize === 32 && row.operands.some((k) => k.startsWith('moffs'))) mnemonic = 'mov';
  if (e.map === 1 && e.op === 0xc2 && ops.length === 3 && (d.imm & 0xff) < 8) {
    // cmpps/cmppd/cmpss/cmpsd: objdump names the predicate (cmpltps xmm0,xmm1) and drops the imm8.
    mnemonic = 'cmp' + SSE_PREDICATES[d.imm & 0xff] + mnemonic.slice(3);
    ops.pop();
  }
  if (mnemonic === 'jrcxz' && d.asize === 32) mnemonic = 'jecxz';
  const prefixes = prefixNames(d, nop90 ? NOP_ENCODING : e, u, isString);
  let head = prefixes.length ? prefixes.join(' ') + ' ' + mnemonic : mnemonic;
  if (ops.length === 0) return head;
  head = head.padEnd(6) + ' ' + ops.join(',');
  if (u.ripTarget !== null) head += '        # ' + addressText(u.ripTarget, opts);
  return head;
}

/** Decode and format the instructions in `bytes`, placed at `addr`; undecodable bytes print `(bad)`. */
export function disassemble(bytes: Uint8Array, addr: number, opts: DisasmOptions = {}, tables?: OpcodeTables): DisasmLine[] {
  const mem = new GuestMemory();
  const len = Math.max(bytes.length, 1) + 16;
  mem.map(addr, len, PROT_READ | PROT_WRITE);
  mem.poke(addr, bytes);
  mem.protect(addr, len, PROT_READ | PROT_EXEC);
  const decoder = new Decoder(tables ?? opcodeTables(), mem);
  const out: DisasmLine[] = [];
  for (let off = 0; off < bytes.length;) {
    let d: Insn | null = null;
    try {
      d = decoder.decode(addr + off);
    } catch {
      d = null;
    }
    if (d === null || off + d.len > bytes.length) {
      out.push({ addr: addr + off, bytes: bytes.subarray(off, off + 1), text: '(bad)' });
      off += 1;
      continue;
    }
    out.push({ addr: addr + off, bytes: bytes.subarray(off, off + d.len), text: formatInsn(d, opts) });
    off += d.len;
  }
  return out;
}
