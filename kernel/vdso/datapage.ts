// The vvar page: the data the kernel shares, read-only, with the vDSO code mapped just above it.
//
// This file is THE definition of its layout. The TypeScript writer (kernel/time/vsyscall.ts) uses the
// offsets exported here, and gen-vvar-header.ts turns the same rows into kernel/vdso/src/vvar.h, which
// the C code of the vDSO includes; that header also carries a _Static_assert per field, so a C
// compiler rejects any drift between the struct and the table.
//
// Follows Linux 6.12 include/vdso/datapage.h (struct vdso_data), field for field up to hrtimer_res,
// with two simplifications: x86 keeps an array of two vdso_data (CS_HRES_COARSE and CS_RAW, the
// latter for CLOCK_MONOTONIC_RAW); colonel keeps one, at offset 0 of the page, and serves
// MONOTONIC_RAW by the real syscall. Real 6.12 also puts the data at offset 128 of a four-page
// [vvar]; colonel's [vvar] is one page. After the Linux fields colonel adds `vnotb`, the variable of
// the seed article's number_of_the_beast() ("Creating a vDSO: the Colonel's Other Chicken").
//
// The CPU number for getcpu() is not in the page: the vDSO reads it with RDPID from IA32_TSC_AUX,
// which the kernel loads with (node << 12) | cpu, as Linux does.

/** Page size of the guest. */
export const PAGE_SIZE = 4096;
/** Pages of [vvar], mapped directly below [vdso] (the linker script places vvar there too). */
export const VVAR_PAGES = 1;
export const VVAR_SIZE = VVAR_PAGES * PAGE_SIZE;
/** Where struct vdso_data starts inside the vvar page (Linux 6.12 x86 uses 128; colonel uses 0). */
export const VVAR_VDSO_DATA_OFFSET = 0;

/** Clock ids, include/uapi/linux/time.h. */
export const CLOCK = {
  REALTIME: 0,
  MONOTONIC: 1,
  PROCESS_CPUTIME_ID: 2,
  THREAD_CPUTIME_ID: 3,
  MONOTONIC_RAW: 4,
  REALTIME_COARSE: 5,
  MONOTONIC_COARSE: 6,
  BOOTTIME: 7,
  REALTIME_ALARM: 8,
  BOOTTIME_ALARM: 9,
  /** 10 was CLOCK_SGI_CYCLE, never used and removed. */
  TAI: 11,
} as const;
export type ClockName = keyof typeof CLOCK;
export const CLOCK_REALTIME = CLOCK.REALTIME;
export const CLOCK_MONOTONIC = CLOCK.MONOTONIC;
export const CLOCK_PROCESS_CPUTIME_ID = CLOCK.PROCESS_CPUTIME_ID;
export const CLOCK_THREAD_CPUTIME_ID = CLOCK.THREAD_CPUTIME_ID;
export const CLOCK_MONOTONIC_RAW = CLOCK.MONOTONIC_RAW;
export const CLOCK_REALTIME_COARSE = CLOCK.REALTIME_COARSE;
export const CLOCK_MONOTONIC_COARSE = CLOCK.MONOTONIC_COARSE;
export const CLOCK_BOOTTIME = CLOCK.BOOTTIME;
export const CLOCK_REALTIME_ALARM = CLOCK.REALTIME_ALARM;
export const CLOCK_BOOTTIME_ALARM = CLOCK.BOOTTIME_ALARM;
export const CLOCK_TAI = CLOCK.TAI;

/** Number of basetime slots: one per clock id up to CLOCK_TAI (Linux VDSO_BASES). */
export const VDSO_BASES = CLOCK_TAI + 1;
/** Clocks the vDSO reads from the TSC (Linux VDSO_HRES). */
export const VDSO_HRES = [CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_TAI] as const;
/** Clocks the vDSO reads as plain tick-time values (Linux VDSO_COARSE). */
export const VDSO_COARSE = [CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE] as const;

/** vdso_data.clock_mode, include/vdso/clocksource.h and arch/x86/include/asm/vdso/clocksource.h. */
export const VDSO_CLOCKMODE = {
  /** No vDSO clock: high-resolution reads take the real syscall. */
  NONE: 0,
  /** Read the TSC with rdtsc. */
  TSC: 1,
} as const;
export const VDSO_CLOCKMODE_NONE = VDSO_CLOCKMODE.NONE;
export const VDSO_CLOCKMODE_TSC = VDSO_CLOCKMODE.TSC;

/**
 * The timer tick rate (Linux CONFIG_HZ). It is a build-time constant in Linux as here, because the
 * vDSO's clock_getres answers LOW_RES_NSEC for coarse clocks without reading the page. colonel picks
 * 250, the common distribution default; the timekeeper (kernel/time/timekeeping.ts) ticks at it.
 */
export const HZ = 250;
export const NSEC_PER_SEC = 1_000_000_000;
/** TICK_NSEC = (NSEC_PER_SEC + HZ/2) / HZ: 4 ms at HZ=250, the resolution of coarse clocks. */
export const LOW_RES_NSEC = Math.floor((NSEC_PER_SEC + Math.floor(HZ / 2)) / HZ);
/** Resolution of the high-resolution clocks (hrtimer_resolution with CONFIG_HIGH_RES_TIMERS). */
export const HIGH_RES_NSEC = 1;
/** Linux stores (node << VDSO_CPUNODE_BITS) | cpu in IA32_TSC_AUX. */
export const VDSO_CPUNODE_BITS = 12;
export const VDSO_CPUNODE_MASK = 0xfff;

/** Field types, as in the kernel's <linux/types.h>. `timestamp` is struct vdso_timestamp {u64 sec; u64 nsec}. */
export type FieldType = 'u32' | 's32' | 'u64' | 's64' | 'timestamp';
export const FIELD_SIZE: Record<FieldType, number> = { u32: 4, s32: 4, u64: 8, s64: 8, timestamp: 16 };

export interface VvarField {
  readonly name: string;
  /** Byte offset from the start of struct vdso_data. */
  readonly offset: number;
  readonly type: FieldType;
  /** Array length; absent for a scalar. */
  readonly count?: number;
  readonly doc: string;
}

/**
 * struct vdso_data, in order. The legend: `offset` is from the start of the struct (which sits at
 * VVAR_VDSO_DATA_OFFSET in the page), `type` a fixed-size kernel type, `count` an array length.
 * Reorder nothing: the first eleven rows are Linux 6.12's ABI-shaped layout.
 */
export const VDSO_DATA_FIELDS = [
  { name: 'seq', offset: 0, type: 'u32',
    doc: 'Seqlock count: odd while update_vsyscall() writes; readers retry if odd or if it changed.' },
  { name: 'clock_mode', offset: 4, type: 's32',
    doc: 'VDSO_CLOCKMODE_*: TSC lets the vDSO read high-resolution clocks; NONE sends them to the syscall.' },
  { name: 'cycle_last', offset: 8, type: 'u64',
    doc: 'TSC value at the last timekeeping update; the reader measures from here.' },
  { name: 'max_cycles', offset: 16, type: 'u64',
    doc: 'Largest TSC delta whose delta*mult fits in 64 bits; beyond it the reader multiplies in 128 bits.' },
  { name: 'mask', offset: 24, type: 'u64',
    doc: 'Clocksource mask applied to (tsc - cycle_last); all ones for the 64-bit TSC.' },
  { name: 'mult', offset: 32, type: 'u32',
    doc: 'Cycle to nanosecond multiplier: ns = (cycles * mult) >> shift.' },
  { name: 'shift', offset: 36, type: 'u32',
    doc: 'Cycle to nanosecond shift, see mult.' },
  { name: 'basetime', offset: 40, type: 'timestamp', count: 12,
    doc: 'Per clock id at cycle_last: seconds, and nanoseconds << shift for high-resolution clocks (plain nanoseconds for coarse clocks).' },
  { name: 'tz_minuteswest', offset: 232, type: 's32',
    doc: 'sys_tz.tz_minuteswest, returned by gettimeofday(tv, tz).' },
  { name: 'tz_dsttime', offset: 236, type: 's32',
    doc: 'sys_tz.tz_dsttime, returned by gettimeofday(tv, tz).' },
  { name: 'hrtimer_res', offset: 240, type: 'u32',
    doc: 'clock_getres() answer in ns for the high-resolution clocks (1 with high-res timers).' },
  { name: '__unused', offset: 244, type: 'u32',
    doc: 'Padding, as in Linux; keeps what follows 8-byte aligned.' },
  { name: 'vnotb', offset: 248, type: 's64',
    doc: 'colonel: the "number of the beast" returned by __vdso_number_of_the_beast() (666 unless the kernel parameter says otherwise).' },
] as const satisfies readonly VvarField[];

export type VdsoDataFieldName = (typeof VDSO_DATA_FIELDS)[number]['name'];

/** Size of struct vdso_data (rounded to its 8-byte alignment). */
export const VDSO_DATA_SIZE = (() => {
  const last = VDSO_DATA_FIELDS[VDSO_DATA_FIELDS.length - 1];
  return Math.ceil((last.offset + fieldBytes(last)) / 8) * 8;
})();

export function fieldBytes(f: VvarField): number {
  return FIELD_SIZE[f.type] * (f.count ?? 1);
}

function field(name: VdsoDataFieldName): VvarField {
  const f = VDSO_DATA_FIELDS.find((r) => r.name === name);
  if (!f) throw new Error(`datapage: no field ${name}`);
  return f;
}

/** Page offsets (from the start of [vvar]) of each field; what the TypeScript writer uses. */
const at = (name: VdsoDataFieldName): number => VVAR_VDSO_DATA_OFFSET + field(name).offset;
export const VVAR_SEQ = at('seq');
export const VVAR_CLOCK_MODE = at('clock_mode');
export const VVAR_CYCLE_LAST = at('cycle_last');
export const VVAR_MAX_CYCLES = at('max_cycles');
export const VVAR_MASK = at('mask');
export const VVAR_MULT = at('mult');
export const VVAR_SHIFT = at('shift');
export const VVAR_BASETIME = at('basetime');
export const VVAR_TZ_MINUTESWEST = at('tz_minuteswest');
export const VVAR_TZ_DSTTIME = at('tz_dsttime');
export const VVAR_HRTIMER_RES = at('hrtimer_res');
export const VVAR_VNOTB = at('vnotb');
/** Page offset of basetime[clockid].sec; .nsec is 8 bytes further. */
export function vvarBasetime(clockid: number): number {
  if (!Number.isInteger(clockid) || clockid < 0 || clockid >= VDSO_BASES) {
    throw new Error(`datapage: no basetime slot for clock ${clockid}`);
  }
  return VVAR_BASETIME + 16 * clockid;
}

/** Check the table itself: ascending, naturally aligned, non-overlapping, inside the page. */
export function checkLayout(): void {
  let end = 0;
  for (const f of VDSO_DATA_FIELDS as readonly VvarField[]) {
    const align = f.type === 'timestamp' ? 8 : FIELD_SIZE[f.type];
    if (f.offset % align !== 0) throw new Error(`datapage: ${f.name} @${f.offset} is not ${align}-aligned`);
    if (f.offset < end) throw new Error(`datapage: ${f.name} @${f.offset} overlaps the field before it`);
    end = f.offset + fieldBytes(f);
  }
  if (VVAR_VDSO_DATA_OFFSET + VDSO_DATA_SIZE > VVAR_SIZE) throw new Error('datapage: vdso_data does not fit in [vvar]');
  if (field('basetime').count !== VDSO_BASES) throw new Error('datapage: basetime[] must have VDSO_BASES slots');
}
checkLayout();

// ---------------------------------------------------------------------------------------------
// The C header.

function clockName(id: number): string {
  const e = Object.entries(CLOCK).find(([, v]) => v === id);
  if (!e) throw new Error(`datapage: no clock ${id}`);
  return `CLOCK_${e[0]}`;
}

const C_TYPE: Record<FieldType, string> = {
  u32: '__u32', s32: '__s32', u64: '__u64', s64: '__s64', timestamp: 'struct vdso_timestamp',
};

/**
 * The text of kernel/vdso/src/vvar.h. `generator` names the program that writes it, for the banner.
 * The header is also included by the linker script (cpp with __ASSEMBLY__), so the C parts are
 * guarded and the constants are plain integers.
 */
export function generateVvarHeader(generator = 'kernel/vdso/gen-vvar-header.ts'): string {
  const L: string[] = [];
  L.push(`/* Generated by ${generator} from kernel/vdso/datapage.ts. DO NOT EDIT. */`);
  L.push('/* Regenerate: npm run build && node dist/kernel/vdso/gen-vvar-header.js */');
  L.push('#ifndef COLONEL_VVAR_H');
  L.push('#define COLONEL_VVAR_H');
  L.push('');
  L.push(`#define PAGE_SIZE ${PAGE_SIZE}`);
  L.push(`#define VVAR_PAGES ${VVAR_PAGES}`);
  L.push(`#define VVAR_SIZE ${VVAR_SIZE}`);
  L.push(`#define VVAR_VDSO_DATA_OFFSET ${VVAR_VDSO_DATA_OFFSET}`);
  L.push('');
  for (const [name, v] of Object.entries(CLOCK)) L.push(`#define CLOCK_${name} ${v}`);
  L.push(`#define VDSO_BASES ${VDSO_BASES}`);
  const mask = (ids: readonly number[]) => ids.map((id) => `(1U << ${clockName(id)})`).join(' | ');
  L.push(`#define VDSO_HRES (${mask(VDSO_HRES)})`);
  L.push(`#define VDSO_COARSE (${mask(VDSO_COARSE)})`);
  L.push('');
  for (const [name, v] of Object.entries(VDSO_CLOCKMODE)) L.push(`#define VDSO_CLOCKMODE_${name} ${v}`);
  L.push('');
  L.push(`#define HZ ${HZ}`);
  L.push(`#define NSEC_PER_SEC ${NSEC_PER_SEC}L`);
  L.push(`#define LOW_RES_NSEC ${LOW_RES_NSEC}L`);
  L.push(`#define VDSO_CPUNODE_BITS ${VDSO_CPUNODE_BITS}`);
  L.push(`#define VDSO_CPUNODE_MASK 0x${VDSO_CPUNODE_MASK.toString(16)}`);
  L.push('');
  L.push('#ifndef __ASSEMBLY__');
  L.push('');
  L.push('typedef unsigned int __u32;');
  L.push('typedef signed int __s32;');
  L.push('typedef unsigned long long __u64;');
  L.push('typedef signed long long __s64;');
  L.push('');
  L.push('struct vdso_timestamp {');
  L.push('\t__u64 sec;');
  L.push('\t__u64 nsec;');
  L.push('};');
  L.push('');
  L.push('struct vdso_data {');
  for (const f of VDSO_DATA_FIELDS as readonly VvarField[]) {
    L.push(`\t/* @${f.offset}: ${f.doc} */`);
    L.push(`\t${C_TYPE[f.type]} ${f.name}${f.count ? `[${f.count === VDSO_BASES ? 'VDSO_BASES' : f.count}]` : ''};`);
  }
  L.push('};');
  L.push('');
  for (const f of VDSO_DATA_FIELDS as readonly VvarField[]) {
    L.push(`_Static_assert(__builtin_offsetof(struct vdso_data, ${f.name}) == ${f.offset}, "vdso_data.${f.name}");`);
  }
  L.push(`_Static_assert(sizeof(struct vdso_data) == ${VDSO_DATA_SIZE}, "sizeof(struct vdso_data)");`);
  L.push('');
  L.push('#endif /* !__ASSEMBLY__ */');
  L.push('#endif /* COLONEL_VVAR_H */');
  return L.join('\n') + '\n';
}
