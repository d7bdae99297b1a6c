// Disagreements with the host CPU that the harness has found and reported, and that are not fixed
// yet: each entry names the rows, the shape of the encodings it covers (so that any other
// disagreement of the same row still fails), the file to fix and the proposed fix. scripts/fidelity.ts
// counts matching cases as "known" instead of failing; tests/fidelity.test.ts marks them todo.
// Delete an entry once its fix lands: the cases then count as agreeing, or fail if the fix is wrong.

import type { Case } from '../oracle/native.js';

const LEGACY = new Set([0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x2e, 0x3e, 0x26, 0x36, 0x64, 0x65]);

/** The legacy prefixes, the REX byte (0 if none) and the offset of the opcode. */
export function prefixesOf(code: Uint8Array): { legacy: number[]; rex: number; at: number } {
  let i = 0;
  const legacy: number[] = [];
  while (i < code.length && LEGACY.has(code[i])) legacy.push(code[i++]);
  const rex = (code[i] & 0xf0) === 0x40 ? code[i++] : 0;
  return { legacy, rex, at: i };
}

/** Whether a REX byte is followed by another prefix or REX (the CPU ignores such a REX). */
export function staleRex(code: Uint8Array): boolean {
  for (let i = 0; i < code.length - 1; i++) {
    const x = code[i];
    if ((x & 0xf0) === 0x40) { if (LEGACY.has(code[i + 1]) || (code[i + 1] & 0xf0) === 0x40) return true; continue; }
    if (!LEGACY.has(x)) return false;
  }
  return false;
}

/** For a one-byte opcode with ModRM: whether the memory operand is [disp32] through a SIB byte (no base, no index). */
function sibAbsolute(code: Uint8Array): boolean {
  const { at } = prefixesOf(code);
  const modrm = code[at + 1], sib = code[at + 2];
  return (modrm & 0xc7) === 0x04 && (sib & 7) === 5 && ((sib >> 3) & 7) === 4;
}

export interface KnownIssue {
  /** Rows this covers. */
  rows: RegExp;
  /** The encodings it covers. */
  when: (c: Case) => boolean;
  why: string;
  file: string;
  fix: string;
}

export const KNOWN_ISSUES: readonly KnownIssue[] = [
  {
    rows: /./,
    when: (c) => staleRex(c.code),
    why: 'a REX byte followed by a legacy prefix or another REX: the CPU ignores that REX and runs the instruction; colonel\'s decoder takes the next byte for the opcode (#UD)',
    file: 'cpu/decoder.ts (prefix loop)',
    fix: 'read REX inside the prefix loop: `else if ((b & 0xf0) === 0x40) { d.rex = b; b = next(); if (isLegacyPrefix(b) || (b & 0xf0) === 0x40) continue-with-rex-cleared; else break; }`, i.e. a legacy prefix after a REX clears it, and only the REX right before the opcode counts',
  },
  {
    rows: /^lea_r(32|64)_m$/,
    when: (c) => sibAbsolute(c.code),
    why: 'lea with a SIB byte naming neither base nor index ([disp32]): the fast forms read register -1 (lea r32 gives 0, lea r64 does not sign-extend)',
    file: 'cpu/isa/base.ts (lea32, lea64)',
    fix: 'in lea32: `if (d.index < 0 && d.base < 0) return (c, d) => setReg32(c, d.reg, d.disp | 0);` before the index < 0 case; in lea64: `if (d.index < 0 && d.base < 0) return (c, d) => setReg64(c, d.reg, d.disp | 0, d.disp >> 31);`',
  },
  {
    rows: /^(push|pop)(_r16|_r64|_imm8|_imm32|_imm8_16|_imm16|f|fw)$/,
    when: (c) => { const p = prefixesOf(c.code); return p.legacy.includes(0x66) && (p.rex & 8) !== 0; },
    why: '66 with REX.W on a default-64-bit push/pop: REX.W wins (64-bit operand), colonel decodes the 16-bit form (and for push imm16 the wrong length)',
    file: 'cpu/decoder.ts (operand size of d64 rows)',
    fix: '`const eff = e.d64 ? (size16 && !rexW ? 16 : 64) : rexW ? 64 : size16 ? 16 : 32;`',
  },
  {
    rows: /^((push|pop)_rm64|leave)$/,
    when: (c) => { const p = prefixesOf(c.code); return p.legacy.includes(0x66) && (p.rex & 8) === 0; },
    why: '66 FF /6, 66 8F /0 and 66 C9 push, pop and leave with 16 bits (rsp moves by 2); colonel has no 16-bit rows for them and runs the 64-bit ones',
    file: 'cpu/isa/base.ts',
    fix: "rows push_rm16 ('o16 d64 FF /6', push16(readRM16)), pop_rm16 ('o16 d64 8F /0', pop16 then writeRM16 with the address computed after rsp moves) and leavew ('o16 d64 C9': rsp = rbp, then bp = pop16), as push_r16/pop_r16 do",
  },
  {
    rows: /^(j\w+_rel(8|32)|jmp_rm64|call_(rel32|rm64)|ret|ret_imm16|loop\w*_rel8|jrcxz_rel8)$/,
    when: (c) => { const p = prefixesOf(c.code); return p.legacy.includes(0x66) && (p.rex & 8) === 0; },
    why: 'AMD: 66 on a near branch makes its operand size 16: the new rip is truncated to 16 bits (call/ret push/pop 2 bytes). Intel ignores 66 here in 64-bit mode; colonel does as Intel',
    file: 'cpu/decoder.ts and cpu/isa/base.ts',
    fix: 'o16 variants of the near branches that mask the target with 0xffff (call16 pushing 2 bytes, ret16 popping 2), if colonel is to follow its AMD host here; else document the choice',
  },
  {
    rows: /^enter_imm16_imm8$/,
    when: (c) => { const p = prefixesOf(c.code); return p.legacy.includes(0x66) && (p.rex & 8) === 0; },
    why: '66 C8 (enter with a 16-bit frame) runs on the host; colonel leaves that form out (#UD), as cpu/isa/misc.ts says',
    file: 'cpu/isa/misc.ts',
    fix: "a row enterw ('o16 d64 C8 iw ib': push bp, copy words, sp -= size), or keep the #UD and this entry",
  },
  {
    rows: /^movbe_/,
    when: (c) => prefixesOf(c.code).legacy.some((b) => b === 0xf2 || b === 0xf3),
    why: 'movbe with F2 or F3: F2 0F 38 F0/F1 is crc32 and F3 is #UD on the host; colonel runs movbe',
    file: 'cpu/decoder.ts or cpu/isa/bits.ts',
    fix: 'refuse F2/F3 for the movbe rows (the 0F 38 map has no F2/F3-ignoring forms): e.g. in the decoder, a row of map 2 with no mandatory prefix does not match when F2/F3 is present',
  },
];

/** The known issue a disagreeing case falls under, if any. */
export function knownIssue(c: Case): KnownIssue | undefined {
  return KNOWN_ISSUES.find((k) => k.rows.test(c.row) && k.when(c));
}
