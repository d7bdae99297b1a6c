// CPUID (SDM vol. 2A: CPUID; AMD APM vol. 3 appendix E): what colonel tells a program about itself.
//
// Rule: advertise only what colonel implements. A few features are always on: the x86-64 baseline
// (fpu, tsc, cx8, cmov, fxsr, sse, sse2, and syscall, nx, lm in the extended leaf), which every
// x86-64 program may assume, and two performance hints that describe string.ts honestly (erms, fsrm:
// rep movsb/stosb are the fastest way to copy or fill memory here, by far). Every other bit comes
// from the ISA table: a row with `feature: 'popcnt'` turns on CPUID.1:ECX.POPCNT, and so on, through
// FEATURE_BITS below. A feature that no row declares stays off (rdrand, rdseed: not implemented). A
// feature that names several instructions (bmi1 is andn, bextr, blsi, blsmsk, blsr and tzcnt; ssse3
// is sixteen) is advertised only when every one of them has a row declaring it (FEATURE_INSNS): a
// program that sees the bit may use any of them, and glibc picks whole code paths by these bits.
//
// Vendor: "AuthenticAMD". colonel's behaviour where the SDM leaves room (undefined flags, the
// register effects of 67-prefixed string instructions, ...) follows the AMD Zen host its tests are
// checked against (docs/ARCHITECTURE.md), so a program that dispatches on the vendor gets the answer
// that matches what it will observe. It is also the vendor whose extended leaf 0x80000001 defines the
// lahf_lm and abm/lzcnt bits we report. Family 0x17 (Zen) model 0 stepping 0 is not a real part, so
// no model-specific erratum workaround triggers. Unknown leaves return zeros: AMD's rule; Intel's
// rule (the highest basic leaf's data) gives the same here, since leaf 0xD is all zeros.

import type { Cpu } from '../cpu.js';
import type { IsaRow } from './types.js';
import { ISA } from './index.js'; // a cycle (index -> misc -> cpuid -> index): ISA is read lazily only

export type CpuidRegister = 'eax' | 'ebx' | 'ecx' | 'edx';

/** Where a feature lives: leaf (subleaf 0 where the leaf has subleaves), register, bit. */
export interface FeatureBit {
  leaf: number;
  reg: CpuidRegister;
  bit: number;
}

const L1 = 1, L7 = 7, E1 = 0x80000001;
const f = (leaf: number, reg: CpuidRegister, bit: number): FeatureBit => ({ leaf, reg, bit });

/** Feature names (as Linux's /proc/cpuinfo spells them, mostly) and their CPUID bits. */
export const FEATURE_BITS: Readonly<Record<string, FeatureBit>> = {
  // CPUID.1:EDX
  fpu: f(L1, 'edx', 0), tsc: f(L1, 'edx', 4), cx8: f(L1, 'edx', 8), cmov: f(L1, 'edx', 15),
  clflush: f(L1, 'edx', 19), mmx: f(L1, 'edx', 23), fxsr: f(L1, 'edx', 24), sse: f(L1, 'edx', 25),
  sse2: f(L1, 'edx', 26),
  // CPUID.1:ECX
  sse3: f(L1, 'ecx', 0), pclmulqdq: f(L1, 'ecx', 1), ssse3: f(L1, 'ecx', 9), fma: f(L1, 'ecx', 12),
  cx16: f(L1, 'ecx', 13), sse4_1: f(L1, 'ecx', 19), sse4_2: f(L1, 'ecx', 20), movbe: f(L1, 'ecx', 22),
  popcnt: f(L1, 'ecx', 23), aes: f(L1, 'ecx', 25), xsave: f(L1, 'ecx', 26), avx: f(L1, 'ecx', 28),
  f16c: f(L1, 'ecx', 29), rdrand: f(L1, 'ecx', 30),
  // CPUID.(7,0):EBX, ECX, EDX
  fsgsbase: f(L7, 'ebx', 0), bmi1: f(L7, 'ebx', 3), avx2: f(L7, 'ebx', 5), bmi2: f(L7, 'ebx', 8),
  erms: f(L7, 'ebx', 9), rdseed: f(L7, 'ebx', 18), adx: f(L7, 'ebx', 19), clflushopt: f(L7, 'ebx', 23),
  clwb: f(L7, 'ebx', 24), sha: f(L7, 'ebx', 29),
  rdpid: f(L7, 'ecx', 22),
  fsrm: f(L7, 'edx', 4),
  // CPUID.80000001h:ECX, EDX
  lahf_lm: f(E1, 'ecx', 0), lzcnt: f(E1, 'ecx', 5), sse4a: f(E1, 'ecx', 6), prefetchw: f(E1, 'ecx', 8),
  syscall: f(E1, 'edx', 11), nx: f(E1, 'edx', 20), rdtscp: f(E1, 'edx', 27), lm: f(E1, 'edx', 29),
};

/**
 * The instructions (mnemonics) a feature stands for, where it is more than one or two: the feature is
 * advertised only when each has a row declaring the feature. Features not listed need one row.
 * avx..f16c also need the OS side (xsave, xgetbv), so they list it.
 */
export const FEATURE_INSNS: Readonly<Record<string, readonly string[]>> = {
  mmx: ['emms', 'movd', 'movq', 'packsswb', 'packssdw', 'packuswb', 'paddb', 'paddw', 'paddd', 'paddsb', 'paddsw',
    'paddusb', 'paddusw', 'pand', 'pandn', 'pcmpeqb', 'pcmpeqw', 'pcmpeqd', 'pcmpgtb', 'pcmpgtw', 'pcmpgtd', 'pmaddwd',
    'pmulhw', 'pmullw', 'por', 'psllw', 'pslld', 'psllq', 'psraw', 'psrad', 'psrlw', 'psrld', 'psrlq', 'psubb', 'psubw',
    'psubd', 'psubsb', 'psubsw', 'psubusb', 'psubusw', 'punpckhbw', 'punpckhwd', 'punpckhdq', 'punpcklbw', 'punpcklwd',
    'punpckldq', 'pxor'],
  sse3: ['addsubpd', 'addsubps', 'haddpd', 'haddps', 'hsubpd', 'hsubps', 'lddqu', 'movddup', 'movshdup', 'movsldup', 'fisttp'],
  ssse3: ['pabsb', 'pabsw', 'pabsd', 'palignr', 'phaddw', 'phaddd', 'phaddsw', 'phsubw', 'phsubd', 'phsubsw', 'pmaddubsw',
    'pmulhrsw', 'pshufb', 'psignb', 'psignw', 'psignd'],
  sse4_1: ['blendpd', 'blendps', 'blendvpd', 'blendvps', 'dppd', 'dpps', 'extractps', 'insertps', 'movntdqa', 'mpsadbw',
    'packusdw', 'pblendvb', 'pblendw', 'pcmpeqq', 'pextrb', 'pextrd', 'pextrq', 'phminposuw', 'pinsrb', 'pinsrd', 'pinsrq',
    'pmaxsb', 'pmaxsd', 'pmaxud', 'pmaxuw', 'pminsb', 'pminsd', 'pminud', 'pminuw', 'pmovsxbw', 'pmovsxbd', 'pmovsxbq',
    'pmovsxwd', 'pmovsxwq', 'pmovsxdq', 'pmovzxbw', 'pmovzxbd', 'pmovzxbq', 'pmovzxwd', 'pmovzxwq', 'pmovzxdq', 'pmuldq',
    'pmulld', 'ptest', 'roundpd', 'roundps', 'roundsd', 'roundss'],
  sse4_2: ['crc32', 'pcmpestri', 'pcmpestrm', 'pcmpistri', 'pcmpistrm', 'pcmpgtq'],
  sse4a: ['extrq', 'insertq', 'movntsd', 'movntss'],
  aes: ['aesdec', 'aesdeclast', 'aesenc', 'aesenclast', 'aesimc', 'aeskeygenassist'],
  sha: ['sha1msg1', 'sha1msg2', 'sha1nexte', 'sha1rnds4', 'sha256msg1', 'sha256msg2', 'sha256rnds2'],
  bmi1: ['andn', 'bextr', 'blsi', 'blsmsk', 'blsr', 'tzcnt'],
  bmi2: ['bzhi', 'mulx', 'pdep', 'pext', 'rorx', 'sarx', 'shlx', 'shrx'],
  adx: ['adcx', 'adox'],
  fsgsbase: ['rdfsbase', 'rdgsbase', 'wrfsbase', 'wrgsbase'],
  lahf_lm: ['lahf', 'sahf'],
  fxsr: ['fxsave', 'fxrstor'],
  xsave: ['xsave', 'xrstor', 'xgetbv'],
  avx: ['vzeroupper', 'vzeroall', 'vmovups', 'vmovaps', 'vmovdqu', 'vmovdqa', 'vbroadcastss', 'vinsertf128', 'vextractf128', 'vperm2f128', 'xgetbv'],
  avx2: ['vpbroadcastb', 'vpermq', 'vpermd', 'vperm2i128', 'vinserti128', 'vextracti128', 'vpmaskmovd', 'vpsllvd', 'xgetbv'],
  fma: ['vfmadd132ps', 'vfmadd213ps', 'vfmadd231ps', 'vfmadd132pd', 'vfmadd213pd', 'vfmadd231pd', 'xgetbv'],
  f16c: ['vcvtph2ps', 'vcvtps2ph', 'xgetbv'],
};

/** Other spellings a row may use: the SDM's or AMD's names. */
export const FEATURE_ALIASES: Readonly<Record<string, string>> = {
  clfsh: 'clflush', pni: 'sse3', abm: 'lzcnt', sha_ni: 'sha', '3dnowprefetch': 'prefetchw',
  'sse4.1': 'sse4_1', 'sse4.2': 'sse4_2', cmpxchg16b: 'cx16', cmpxchg8b: 'cx8', lahf: 'lahf_lm',
};

/** On regardless of rows: the x86-64 baseline and the string-speed hints (see the header). */
export const ALWAYS: readonly string[] = ['fpu', 'tsc', 'cx8', 'cmov', 'fxsr', 'sse', 'sse2', 'syscall', 'nx', 'lm', 'erms', 'fsrm'];

export const VENDOR = 'AuthenticAMD';
export const BRAND = 'colonel x86-64 interpreter';
export const MAX_BASIC_LEAF = 0xd;
export const MAX_EXTENDED_LEAF = 0x80000008;
/** Family 0x17 (base 0xF + extended 0x8), model 0, stepping 0. */
export const SIGNATURE = 0x00800f00;
/** AMD repeats these CPUID.1:EDX bits in CPUID.80000001h:EDX (fpu..apic, mtrr..pse36, mmx, fxsr). */
const AMD_MIRRORED_EDX = 0x0183f3ff;

export function canonicalFeature(name: string): string {
  return FEATURE_ALIASES[name] ?? name;
}

/**
 * Features some rows declare that are not advertised yet, with the instructions still missing (for
 * the tests and whoever completes them).
 */
export function incompleteFeatures(rows: readonly IsaRow[]): Record<string, string[]> {
  const have = declaredMnemonics(rows);
  const out: Record<string, string[]> = {};
  for (const [name, mnemonics] of have) {
    const missing = (FEATURE_INSNS[name] ?? []).filter((m) => !mnemonics.has(m));
    if (missing.length && !ALWAYS.includes(name)) out[name] = missing;
  }
  return out;
}

/** For each declared (canonical) feature, the mnemonics of the rows declaring it. */
function declaredMnemonics(rows: readonly IsaRow[]): Map<string, Set<string>> {
  const have = new Map<string, Set<string>>();
  for (const r of rows) {
    if (!r.feature) continue;
    const n = canonicalFeature(r.feature);
    let set = have.get(n);
    if (!set) have.set(n, (set = new Set()));
    set.add(r.mnemonic);
  }
  return have;
}

/** The feature names the rows declare that FEATURE_BITS does not know (a test keeps this empty). */
export function unknownFeatures(rows: readonly IsaRow[]): string[] {
  const out = new Set<string>();
  for (const r of rows) if (r.feature && !(canonicalFeature(r.feature) in FEATURE_BITS)) out.add(r.feature);
  return [...out];
}

const REG_INDEX: Record<CpuidRegister, number> = { eax: 0, ebx: 1, ecx: 2, edx: 3 };

function str4(s: string, at: number): number {
  let v = 0;
  for (let i = 3; i >= 0; i--) v = (v << 8) | (s.charCodeAt(at + i) || 0);
  return v | 0;
}

/** The answers, as (eax, ebx, ecx, edx) quadruples, computed once from a set of rows. */
export class CpuidTable {
  /** Advertised feature names (canonical). */
  readonly features: ReadonlySet<string>;
  private readonly basic: Int32Array[] = [];
  private readonly ext: Int32Array[] = [];
  private readonly zero = new Int32Array(4);
  private readonly scratch = new Int32Array(4);

  constructor(rows: readonly IsaRow[]) {
    const names = new Set<string>(ALWAYS);
    for (const [n, mnemonics] of declaredMnemonics(rows)) {
      if (n in FEATURE_BITS && (FEATURE_INSNS[n] ?? []).every((m) => mnemonics.has(m))) names.add(n);
    }
    this.features = names;
    for (let i = 0; i <= MAX_BASIC_LEAF; i++) this.basic.push(new Int32Array(4));
    for (let i = 0; i <= MAX_EXTENDED_LEAF - 0x80000000; i++) this.ext.push(new Int32Array(4));
    const leaf = (n: number) => (n >= 0x80000000 ? this.ext[n - 0x80000000] : this.basic[n]);
    for (const n of names) {
      const b = FEATURE_BITS[n];
      leaf(b.leaf)[REG_INDEX[b.reg]] |= 1 << b.bit;
    }
    // Leaf 0: the highest basic leaf and the vendor in ebx, edx, ecx.
    this.basic[0].set([MAX_BASIC_LEAF, str4(VENDOR, 0), str4(VENDOR, 8), str4(VENDOR, 4)]);
    // Leaf 1: signature; ebx = clflush line size 8*8 bytes, one logical processor, APIC id 0.
    this.basic[1][0] = SIGNATURE;
    this.basic[1][1] = (1 << 16) | (names.has('clflush') ? 8 << 8 : 0);
    // Leaf 0xB (extended topology), subleaf 0: the SMT level, one thread; subleaf 1 is built in
    // lookup(). Leaves 4 (Intel's cache parameters), 0xD (xsave: not advertised) stay zero.
    this.basic[0xb].set([0, 1, 1 << 8, 0]);
    // Extended leaves: the highest one and the vendor again (as AMD does), the signature, the
    // mirrored baseline bits, the brand string, 48-bit physical and virtual addresses.
    this.ext[0].set([MAX_EXTENDED_LEAF, str4(VENDOR, 0), str4(VENDOR, 8), str4(VENDOR, 4)]);
    this.ext[1][0] = SIGNATURE;
    this.ext[1][3] |= this.basic[1][3] & AMD_MIRRORED_EDX;
    const brand = BRAND.padEnd(48, '\0');
    for (let i = 0; i < 12; i++) this.ext[2 + (i >> 2)][i & 3] = str4(brand, 4 * i);
    this.ext[8][0] = 0x3030;
  }

  /** The quadruple for (leaf, subleaf), both unsigned. The array is shared: read it at once. */
  lookup(leaf: number, subleaf: number): Int32Array {
    if (leaf <= MAX_BASIC_LEAF) {
      if (leaf === 7) return subleaf === 0 ? this.basic[7] : this.zero;
      if (leaf === 0xb) {
        if (subleaf === 0) return this.basic[0xb];
        const s = this.scratch;
        // Subleaf 1: the core level, one logical processor; above: invalid levels echo the subleaf.
        s[0] = 0; s[1] = subleaf === 1 ? 1 : 0; s[2] = subleaf === 1 ? (2 << 8) | 1 : subleaf & 0xff; s[3] = 0;
        return s;
      }
      return this.basic[leaf];
    }
    if (leaf >= 0x80000000 && leaf <= MAX_EXTENDED_LEAF) return this.ext[leaf - 0x80000000];
    return this.zero;
  }

  /** Is the bit for `name` set in what lookup() returns? */
  has(name: string): boolean {
    const b = FEATURE_BITS[canonicalFeature(name)];
    if (!b) return false;
    return (this.lookup(b.leaf, 0)[REG_INDEX[b.reg]] & (1 << b.bit)) !== 0;
  }
}

let table: CpuidTable | null = null;

/** The table for the ISA colonel runs (built on first use: see the import of ISA above). */
export function cpuidTable(): CpuidTable {
  return (table ??= new CpuidTable(ISA));
}

/** The cpuid instruction: eax = leaf, ecx = subleaf in; eax, ebx, ecx, edx out (zero-extended). */
export function cpuid(c: Cpu): void {
  const v = cpuidTable().lookup(c.r32[0] >>> 0, c.r32[2] >>> 0);
  const r = c.r32;
  r[0] = v[0]; r[1] = 0;
  r[6] = v[1]; r[7] = 0;
  r[2] = v[2]; r[3] = 0;
  r[4] = v[3]; r[5] = 0;
}
