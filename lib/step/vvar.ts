// The vvar page decoded for the step view, entirely from the layout table in kernel/vdso/datapage.ts:
// which field a byte offset falls in (basetime[1].nsec, seq, vnotb), and every field's value.

import type { Kernel } from '../../kernel/kernel.js';
import {
  CLOCK, FIELD_SIZE, VDSO_COARSE, VDSO_DATA_FIELDS, VDSO_HRES, VVAR_SEQ, VVAR_VDSO_DATA_OFFSET, VVAR_VNOTB, type FieldType, type VvarField,
} from '../../kernel/vdso/datapage.js';

const FIELDS = VDSO_DATA_FIELDS as readonly VvarField[];
const CLOCK_NAMES = new Map<number, string>(Object.entries(CLOCK).map(([n, v]) => [v, `CLOCK_${n}`]));

export interface FieldHit {
  /** seq, basetime[1].nsec, vnotb... */
  name: string;
  /** Offset of the (scalar) item from the start of the page, and its size and signedness. */
  offset: number;
  size: number;
  signed: boolean;
  doc: string;
  /** For basetime: the clock the slot belongs to. */
  clock?: string;
}

function scalar(t: FieldType): { size: number; signed: boolean } {
  return t === 'timestamp' ? { size: 8, signed: false } : { size: FIELD_SIZE[t], signed: t[0] === 's' };
}

/** The field holding page offset `off`, or null for bytes outside struct vdso_data. */
export function fieldAt(off: number): FieldHit | null {
  const rel = off - VVAR_VDSO_DATA_OFFSET;
  for (const f of FIELDS) {
    const each = FIELD_SIZE[f.type];
    const total = each * (f.count ?? 1);
    if (rel < f.offset || rel >= f.offset + total) continue;
    const { size, signed } = scalar(f.type);
    const idx = Math.floor((rel - f.offset) / each);
    const inner = rel - f.offset - idx * each;
    if (f.type === 'timestamp') {
      const member = inner < 8 ? 'sec' : 'nsec';
      return { name: `${f.name}[${idx}].${member}`, offset: VVAR_VDSO_DATA_OFFSET + f.offset + idx * each + (inner < 8 ? 0 : 8), size, signed, doc: f.doc, clock: CLOCK_NAMES.get(idx) };
    }
    return { name: f.count ? `${f.name}[${idx}]` : f.name, offset: VVAR_VDSO_DATA_OFFSET + f.offset + idx * each, size, signed, doc: f.doc };
  }
  return null;
}

/** Read a scalar from the kernel's vvar bytes. */
export function readVvar(k: Kernel, off: number, size: number, signed: boolean): bigint {
  const v = new DataView(k.vvar.buffer, k.vvar.byteOffset, k.vvar.byteLength);
  if (size === 8) return signed ? v.getBigInt64(off, true) : v.getBigUint64(off, true);
  if (size === 4) return BigInt(signed ? v.getInt32(off, true) : v.getUint32(off, true));
  if (size === 2) return BigInt(v.getUint16(off, true));
  return BigInt(v.getUint8(off));
}

export function vvarSeq(k: Kernel): number {
  return Number(readVvar(k, VVAR_SEQ, 4, false));
}

export function vvarVnotb(k: Kernel): bigint {
  const f = fieldAt(VVAR_VNOTB)!;
  return readVvar(k, f.offset, f.size, f.signed);
}

/** Every field with its value, one line each (`vvar` command and the view's vvar pane). */
export function decodeVvar(k: Kernel, opts: { all?: boolean } = {}): string[] {
  const out: string[] = [];
  for (const f of FIELDS) {
    if (f.name.startsWith('__')) continue;
    const base = VVAR_VDSO_DATA_OFFSET + f.offset;
    if (f.type === 'timestamp') {
      for (let i = 0; i < (f.count ?? 1); i++) {
        const sec = readVvar(k, base + 16 * i, 8, false), nsec = readVvar(k, base + 16 * i + 8, 8, false);
        const hres = (VDSO_HRES as readonly number[]).includes(i), coarse = (VDSO_COARSE as readonly number[]).includes(i);
        if (!opts.all && !hres && !coarse && sec === 0n && nsec === 0n) continue;
        const shift = Number(readVvar(k, VVAR_VDSO_DATA_OFFSET + FIELDS.find((x) => x.name === 'shift')!.offset, 4, false));
        const ns = hres ? `nsec ${nsec} (${nsec >> BigInt(shift)} ns << shift)` : `nsec ${nsec}`;
        out.push(`${`${f.name}[${i}]`.padEnd(13)} ${(CLOCK_NAMES.get(i) ?? '').padEnd(22)} sec ${sec}  ${ns}`);
      }
      continue;
    }
    const { size, signed } = scalar(f.type);
    const v = readVvar(k, base, size, signed);
    const extra = f.name === 'seq' ? (v & 1n ? '  (odd: update in progress)' : '  (even: stable)') : f.name === 'mask' || f.name === 'cycle_last' || f.name === 'max_cycles' ? `  0x${BigInt.asUintN(64, v).toString(16)}` : '';
    out.push(`${f.name.padEnd(13)} ${String(v)}${extra}`);
  }
  return out;
}
