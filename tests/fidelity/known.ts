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
];

/** The known issue a disagreeing case falls under, if any. */
export function knownIssue(c: Case): KnownIssue | undefined {
  return KNOWN_ISSUES.find((k) => k.rows.test(c.row) && k.when(c));
}
