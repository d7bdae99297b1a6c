// colonel's decoder against iced-x86 on random byte streams: wherever colonel decodes, iced must agree
// on the length, the mnemonic and the operands (registers, memory base/index/scale/displacement/
// segment, immediates, branch targets). tests/disasm.test.ts already compares lengths and mnemonics
// on 40k streams (and objdump's text); this adds the operands, wilder prefix soups (repeated and
// conflicting prefixes, a REX byte that a later prefix cancels, segment overrides), streams built
// from every row's encoding, and the scale: scripts/fidelity.ts runs a million streams,
// tests/fidelity.test.ts a seeded 20k.

import { createRequire } from 'node:module';
import type * as Iced from 'iced-x86';
import { Decoder } from '../../cpu/decoder.js';
import { opcodeTables } from '../../cpu/engine.js';
import { formatInsn } from '../../cpu/disasm.js';
import { GuestFault } from '../../cpu/fault.js';
import type { Insn } from '../../cpu/insn.js';
import { GuestMemory, PROT_EXEC, PROT_READ } from '../../cpu/memory.js';
import { parseEncoding, type Encoding, type IsaRow, type Operand } from '../../cpu/isa/types.js';
import { SEG_FS, SEG_GS } from '../../cpu/cpu.js';
import { Rng } from '../oracle/suite.js';

export type IcedModule = typeof Iced;

/** iced-x86 (a devDependency), or the reason it cannot be loaded. */
export function loadIced(): IcedModule | string {
  try {
    return createRequire(import.meta.url)('iced-x86') as IcedModule;
  } catch (e) {
    return `iced-x86 is not installed (npm ci installs it): ${(e as Error).message.split('\n')[0]}`;
  }
}

// ---------- operands in one vocabulary ----------

const R64 = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];
const R32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi', 'r8d', 'r9d', 'r10d', 'r11d', 'r12d', 'r13d', 'r14d', 'r15d'];
const R16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di', 'r8w', 'r9w', 'r10w', 'r11w', 'r12w', 'r13w', 'r14w', 'r15w'];
const R8 = ['al', 'cl', 'dl', 'bl', 'spl', 'bpl', 'sil', 'dil', 'r8l', 'r9l', 'r10l', 'r11l', 'r12l', 'r13l', 'r14l', 'r15l'];
const R8_LEGACY = ['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh'];

function gpr(size: number, n: number, rex: number): string {
  if (size === 64) return R64[n];
  if (size === 32) return R32[n];
  if (size === 16) return R16[n];
  return rex === 0 && n < 8 ? R8_LEGACY[n] : R8[n];
}

const hex64 = (v: bigint, bits: number) => BigInt.asUintN(bits, v).toString(16);

/** A memory operand as "seg:[base+index*scale+disp]" with the displacement masked to the address size. */
function memText(seg: string, base: string, index: string, scale: number, disp: bigint, asize: number): string {
  return `${seg}[${base}+${index}*${index ? scale : 1}+${hex64(disp, asize)}]`;
}

const RM_REG: Partial<Record<Operand, number>> = { 'r/m8': 8, 'r/m16': 16, 'r/m32': 32, 'r/m64': 64, 'r32/m8': 32, 'r32/m16': 32, 'r64/m16': 64 };
const FIXED: Partial<Record<Operand, string>> = { AL: 'al', AX: 'ax', EAX: 'eax', RAX: 'rax', CL: 'cl', DX: 'dx' };

const encodings = new WeakMap<IsaRow, Encoding>();
const enc = (row: IsaRow) => { let e = encodings.get(row); if (!e) encodings.set(row, (e = parseEncoding(row))); return e; };

/** colonel's decoded operands in the shared vocabulary, or null for a kind this comparison does not model. */
export function colonelOperands(d: Insn): string[] | null {
  const e = enc(d.row);
  const out: string[] = [];
  let immIndex = 0;
  const seg = d.seg === SEG_FS ? 'fs:' : d.seg === SEG_GS ? 'gs:' : '';
  const mem = (): string => {
    if (d.ripRel) return `${seg}[rip+${hex64(BigInt(d.disp), d.asize)}]`;
    const names = d.asize === 32 ? R32 : R64;
    return memText(seg, d.base >= 0 ? names[d.base] : '', d.index >= 0 ? names[d.index] : '', d.scale, BigInt(d.disp), d.asize);
  };
  const imm = (bits: number): string => {
    const v = immIndex++ === 0 ? (BigInt(d.immHi >>> 0) << 32n) | BigInt(d.imm >>> 0) : BigInt(d.imm2 >>> 0);
    return `imm:${hex64(v, bits)}`;
  };
  for (const k of d.row.operands) {
    const rmReg = RM_REG[k];
    if (rmReg !== undefined) out.push(d.mod3 ? gpr(rmReg, d.rm, d.rex) : mem());
    else if (/^r(8|16|32|64)$/.test(k)) out.push(gpr(+k.slice(1), e.modrm && e.digit >= 0 ? d.rm : d.reg, d.rex));
    else if (k === 'xmm') out.push(`xmm${d.reg}`);
    else if (k === 'xmm2') out.push(`xmm${d.rm}`);
    else if (k.startsWith('xmm/')) out.push(d.mod3 ? `xmm${d.rm}` : mem());
    else if (k === 'mm') out.push(`mm${d.reg & 7}`);
    else if (k.startsWith('mm/')) out.push(d.mod3 ? `mm${d.rm & 7}` : mem());
    else if (k === 'ST(0)') out.push('st0');
    else if (k === 'ST(i)') out.push(`st${d.rm & 7}`);
    else if (/^m/.test(k) && !k.startsWith('moffs')) out.push(mem());
    else if (k.startsWith('moffs')) out.push(memText(seg, '', '', 1, (BigInt(d.immHi >>> 0) << 32n) | BigInt(d.imm >>> 0), d.asize));
    else if (k === 'imm8') out.push(imm(8));
    else if (k === 'imm16') out.push(imm(16));
    else if (k === 'imm32') out.push(imm(32));
    else if (k === 'imm64') out.push(imm(64));
    else if (k === '1') out.push('imm:1');
    else if (k === 'rel8' || k === 'rel32') out.push(`target:${hex64(BigInt(d.target), 64)}`);
    else if (FIXED[k]) out.push(FIXED[k]!);
    else if (/^X[bwdq]$/.test(k)) out.push(d.asize === 32 ? 'str:esi' : 'str:rsi');
    else if (/^Y[bwdq]$/.test(k)) out.push(d.asize === 32 ? 'str:edi' : 'str:rdi');
    else if (k === 'XLAT') out.push(memText(seg, d.asize === 32 ? 'ebx' : 'rbx', 'al', 1, 0n, d.asize));
    else return null;
  }
  return out;
}

/** iced's operands in the same vocabulary. */
export function icedOperands(iced: IcedModule, ins: Iced.Instruction, asize: number): string[] {
  const K = iced.OpKind;
  const out: string[] = [];
  for (let i = 0; i < ins.opCount; i++) {
    const k = ins.opKind(i);
    const seg = ins.memorySegment === iced.Register.FS ? 'fs:' : ins.memorySegment === iced.Register.GS ? 'gs:' : '';
    const reg = (r: number) => (r === iced.Register.None ? '' : iced.Register[r].toLowerCase());
    switch (k) {
      case K.Register: out.push(reg(ins.opRegister(i))); break;
      case K.Memory: {
        const base = ins.memoryBase;
        if (base === iced.Register.RIP || base === iced.Register.EIP) out.push(`${seg}[rip+${hex64(ins.memoryDisplacement, asize)}]`);
        else out.push(memText(seg, reg(base), reg(ins.memoryIndex), ins.memoryIndexScale, ins.memoryDisplacement, asize));
        break;
      }
      case K.Immediate8: case K.Immediate8_2nd: case K.Immediate8to16: case K.Immediate8to32: case K.Immediate8to64:
        out.push(`imm:${hex64(ins.immediate(i), 8)}`); break;
      case K.Immediate16: out.push(`imm:${hex64(ins.immediate(i), 16)}`); break;
      case K.Immediate32: case K.Immediate32to64: out.push(`imm:${hex64(ins.immediate(i), 32)}`); break;
      case K.Immediate64: out.push(`imm:${hex64(ins.immediate(i), 64)}`); break;
      case K.NearBranch16: case K.NearBranch32: case K.NearBranch64: out.push(`target:${hex64(ins.nearBranchTarget, 64)}`); break;
      case K.MemorySegRSI: out.push('str:rsi'); break;
      case K.MemorySegESI: out.push('str:esi'); break;
        case K.MemoryESRDI: out.push('str:rdi'); break;
      case K.MemoryESEDI: out.push('str:edi'); break;
      case K.MemorySegRDI: out.push('str:rdi'); break;
      case K.MemorySegEDI: out.push('str:edi'); break;
      default: out.push(`kind${k}`);
    }
  }
  return out;
}

// ---------- mnemonics ----------

/** iced's mnemonic for what colonel (and objdump) call `m`, where the names differ. */
const ICED_ALIASES: Record<string, string[]> = {
  movabs: ['mov'], xlat: ['xlatb'], pushf: ['pushfq'], popf: ['popfq'], iret: ['iretq'],
  movs: ['movsb', 'movsw', 'movsd', 'movsq'], cmps: ['cmpsb', 'cmpsw', 'cmpsd', 'cmpsq'],
  stos: ['stosb', 'stosw', 'stosd', 'stosq'], lods: ['lodsb', 'lodsw', 'lodsd', 'lodsq'],
  scas: ['scasb', 'scasw', 'scasd', 'scasq'], ins: ['insb', 'insw', 'insd'], outs: ['outsb', 'outsw', 'outsd'],
  shl: ['shl', 'sal'], nop: ['nop', 'reservednop'], xchg: ['xchg', 'nop'], pushfw: ['pushf'], popfw: ['popf'],
  jrcxz: ['jrcxz', 'jecxz'], fwait: ['wait'],
};

/**
 * Where colonel's operand list and iced's differ in form only (the same instruction, written another
 * way), the pair is made equal here. Everything else that differs is a mismatch.
 */
function sameForm(d: Insn, text: string, ours: string[], theirs: string[]): boolean {
  // 0F 1E/1F hint nops: iced lists the ModRM.reg register too; objdump (and colonel) print one operand.
  if (/^(hint_)?nop_rm/.test(d.row.id) && theirs.length === 2 && theirs[0] === ours[0]) return true;
  // 90 without REX.B is nop (xchg eax,eax or ax,ax): iced has no operands.
  if (/^xchg_r(16|32|64)_(e|r)?ax$/.test(d.row.id) && (d.reg & 7) === 0 && !(d.rex & 1) && theirs.length === 0) return true;
  // maskmovq/maskmovdqu: iced lists the implicit destination [rdi] first.
  if (theirs.length === ours.length + 1 && /^(str:|\[)/.test(theirs[0]) && theirs.slice(1).join() === ours.join()) return true;
  // x87 forms with an implied ST(0): iced names it.
  if (theirs.length === ours.length + 1 && theirs[0] === 'st0' && theirs.slice(1).join() === ours.join()) return true;
  return false;
}

/** Rows whose operands iced names differently, and why (reported as known, not as mismatches). */
const KNOWN: { row: RegExp; kinds: string[]; why: string }[] = [
  // Forms only (the same instruction named differently): counted apart, not as disagreements.
  { row: /^hint_nop_rm16$/, kinds: ['mnemonic'], why: 'form: F3 66 0F 1E /1 (reg): iced reads rdsspd, colonel the 16-bit hint nop; with shadow stacks off both do nothing' },
  { row: /^(movmskp[sd]|pmovmskb|pextrw)_r32|^pinsrw_\w+_r32m16/, kinds: ['operands'], why: 'form: under REX.W iced names the 64-bit register (the row names r32; the same bits are read or written)' },
  // The same as tests/fidelity/known.ts, seen by the decoder:
  { row: /^movbe_/, kinds: ['mnemonic', 'iced: invalid'], why: 'movbe with F2 (crc32) or F3 (#UD): colonel decodes movbe (known.ts)' },
  { row: /^(push|pop)(_r16|_imm16|_imm8_16|fw)$/, kinds: ['length', 'operands', 'mnemonic'], why: '66 with REX.W on a default-64-bit push/pop: REX.W wins; colonel decodes the 16-bit form (known.ts)' },
  { row: /^(push|pop)_rm64$/, kinds: ['operands'], why: '66 FF /6 and 66 8F /0 push and pop 16 bits; colonel has no 16-bit r/m rows (known.ts)' },
];
const PREFIX_WORDS = new Set(['data16', 'addr32', 'lock', 'rep', 'repz', 'repnz', 'bnd', 'notrack', 'cs', 'ds', 'es', 'ss', 'fs', 'gs', 'xacquire', 'xrelease']);

/** objdump's mnemonic from colonel's text, without prefix names. */
function textMnemonic(text: string): string {
  const words = text.split(/\s+/);
  let i = 0;
  while (i < words.length - 1 && (PREFIX_WORDS.has(words[i]) || /^rex(\.[WRXB]+)?$/.test(words[i]))) i++;
  return words[i];
}

// ---------- random streams ----------

const LEGACY = [0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x2e, 0x3e, 0x26, 0x36, 0x64, 0x65];

/** A random encoding of `row`, with a prefix soup that is sometimes wild, then noise. */
function rowStream(row: IsaRow, e: Encoding, rng: Rng, buf: Uint8Array): void {
  const out: number[] = [];
  const n = rng.bool(0.7) ? rng.int(2) : rng.int(5);
  for (let i = 0; i < n; i++) out.push(rng.pick(LEGACY));
  if (e.osize === 16) out.push(0x66);
  if (e.prefix > 0) out.push(e.prefix);
  if (rng.bool(0.05)) out.push(0x40 | rng.int(16), ...(rng.bool(0.5) ? [rng.pick(LEGACY)] : [])); // a REX a prefix cancels
  let rex = e.osize === 64 ? 0x48 : 0;
  if (rng.bool(0.4)) rex |= 0x40 | rng.int(16);
  if (rex) out.push(rex);
  if (e.map >= 1) out.push(0x0f);
  if (e.map === 2) out.push(0x38);
  if (e.map === 3) out.push(0x3a);
  out.push(e.plusR ? e.op | rng.int(8) : e.op);
  if (e.modrm) {
    let modrm = e.fixedModrm >= 0 ? e.fixedModrm : rng.int(256);
    if (e.digit >= 0 && e.fixedModrm < 0) modrm = (modrm & 0xc7) | (e.digit << 3);
    if (e.mod === 'reg') modrm |= 0xc0;
    if (e.mod === 'mem' && modrm >= 0xc0) modrm &= 0xbf;
    out.push(modrm);
  }
  buf.set(out.slice(0, 15));
}

// ---------- the comparison ----------

export interface DecodeTally {
  streams: number;
  /** Streams colonel decodes. */
  decoded: number;
  agree: number;
  /** Disagreements by what differs (length, mnemonic, operands, iced: invalid), first few each. */
  mismatches: Map<string, { n: number; examples: string[] }>;
  /**
   * Streams iced decodes and colonel does not, by iced's Code (a form without a row) or by cause
   * (a REX byte followed by another prefix: the CPU ignores that REX, colonel's decoder refuses).
   */
  lacking: Map<string, number>;
  lackingExamples: Map<string, string[]>;
  /** Decoded streams whose operand kinds this comparison does not model (compared on length and mnemonic). */
  operandsSkipped: number;
}

export function newDecodeTally(): DecodeTally {
  return { streams: 0, decoded: 0, agree: 0, mismatches: new Map(), lacking: new Map(), lackingExamples: new Map(), operandsSkipped: 0 };
}

const PREFIX_BYTES = new Set([0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x2e, 0x3e, 0x26, 0x36, 0x64, 0x65]);

/** Whether a REX byte among the prefixes is followed by another prefix or REX (and so ignored by the CPU). */
function staleRex(b: Uint8Array, at: number, len: number): boolean {
  for (let i = at; i < at + len - 1; i++) {
    const x = b[i];
    if ((x & 0xf0) === 0x40) { if (PREFIX_BYTES.has(b[i + 1]) || (b[i + 1] & 0xf0) === 0x40) return true; continue; }
    if (!PREFIX_BYTES.has(x)) return false;
  }
  return false;
}

const hex = (b: ArrayLike<number>) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

const SLOT = 16;
const BATCH = 4096;

/**
 * Decode `n` seeded random streams with colonel and iced and tally the differences. Streams sit in
 * 16-byte slots of one buffer (a batch), mapped for colonel and handed to iced once, so that neither
 * decoder is rebuilt per stream; both see the same bytes past a slot's end.
 */
export function compareDecoders(iced: IcedModule, n: number, seed: number, tally = newDecodeTally()): DecodeTally {
  const rng = new Rng(`decode:${seed}`);
  const tables = opcodeTables();
  const mem = new GuestMemory();
  const BASE = 0x7000_0000;
  mem.map(BASE, SLOT * BATCH + 4096, PROT_READ | PROT_EXEC);
  const dec = new Decoder(tables, mem);
  const rows = tables.rows.map((r) => ({ row: r, e: parseEncoding(r) }));
  const buf = new Uint8Array(SLOT * BATCH);
  const ins = new iced.Instruction();
  const add = (kind: string, msg: string, d: Insn) => {
    const known = KNOWN.find((k) => k.kinds.includes(kind) && k.row.test(d.row.id));
    const what = known ? (known.why.startsWith('form:') ? known.why : `known: ${known.why}`) : kind;
    let m = tally.mismatches.get(what);
    if (!m) tally.mismatches.set(what, (m = { n: 0, examples: [] }));
    m.n++;
    if (m.examples.length < 5) m.examples.push(msg);
  };
  for (let done = 0; done < n; done += BATCH) {
    const count = Math.min(BATCH, n - done);
    for (let s = 0; s < count; s++) {
      const slot = buf.subarray(s * SLOT, s * SLOT + SLOT);
      for (let k = 0; k < SLOT; k++) slot[k] = rng.int(256);
      if ((done + s) % 4 !== 0) { const { row, e } = rng.pick(rows); rowStream(row, e, rng, slot); }
    }
    mem.poke(BASE, buf);
    const icedDecoder = new iced.Decoder(64, buf, iced.DecoderOptions.None);
    for (let s = 0; s < count; s++) {
      const addr = BASE + s * SLOT;
      let d: Insn | null = null;
      try {
        d = dec.decode(addr);
      } catch (err) {
        if (!(err instanceof GuestFault)) throw err;
      }
      icedDecoder.position = s * SLOT;
      icedDecoder.ip = BigInt(addr);
      icedDecoder.decodeOut(ins);
      tally.streams++;
      const valid = !ins.isInvalid;
      const icedName = iced.Mnemonic[ins.mnemonic].toLowerCase();
      if (!d) {
        if (valid) {
          const key = staleRex(buf, s * SLOT, ins.length) ? 'REX before another prefix (the CPU ignores that REX)' : iced.Code[ins.code];
          tally.lacking.set(key, (tally.lacking.get(key) ?? 0) + 1);
          if (key.startsWith('REX') && (tally.lackingExamples.get(key)?.length ?? 0) < 5) tally.lackingExamples.set(key, [...(tally.lackingExamples.get(key) ?? []), hex(buf.subarray(s * SLOT, s * SLOT + ins.length))]);
        }
        continue;
      }
      tally.decoded++;
      const text = formatInsn(d);
      const where = `${hex(buf.subarray(s * SLOT, s * SLOT + d.len))} [${d.row.id}] colonel: ${text} (${d.len} bytes)`;
      if (!valid) { add('iced: invalid', `${where}; iced: invalid`, d); continue; }
      if (ins.length !== d.len) { add('length', `${where}; iced: ${icedName} (${ins.length} bytes)`, d); continue; }
      const names = [textMnemonic(text), d.row.mnemonic].flatMap((m) => ICED_ALIASES[m] ?? [m]);
      if (!names.includes(icedName)) { add('mnemonic', `${where}; iced: ${icedName}`, d); continue; }
      const ours = colonelOperands(d);
      if (!ours) { tally.operandsSkipped++; tally.agree++; continue; }
      const theirs = icedOperands(iced, ins, d.asize);
      const a = ours.join(', '), b = theirs.join(', ');
      if (a !== b && !sameForm(d, text, ours, theirs)) { add('operands', `${where}\n      colonel: ${a}\n      iced:    ${b}`, d); continue; }
      tally.agree++;
    }
    icedDecoder.free();
  }
  ins.free();
  return tally;
}
