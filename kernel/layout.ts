// Where things go in a new process (arch/x86/mm/mmap.c, fs/binfmt_elf.c). The default is the layout
// Linux gives with randomization off (`setarch -R`), so runs repeat exactly; a seed gives a repeatable
// randomized layout, as ASLR would, for users who want one.

export interface Layout {
  /** Top of the stack (the first byte above it is unmapped). */
  stackTop: number;
  /** mmap allocates top-down from here (the vDSO is the first thing placed). */
  mmapBase: number;
  /** Load address of an ET_DYN (static-pie) program (ELF_ET_DYN_BASE). */
  pieBase: number;
  /** Random offset added to the start of the heap. */
  brkOffset: number;
  /** The 16 bytes AT_RANDOM points at (glibc and musl seed the stack protector from them). */
  random: Uint8Array;
}

const PAGE = 4096;

/** A small deterministic PRNG (xorshift64*), so a seed names one layout forever. */
function prng(seed: number): () => number {
  let s = BigInt.asUintN(64, BigInt(seed) * 0x9e3779b97f4a7c15n + 1n);
  return () => {
    s ^= s >> 12n; s ^= BigInt.asUintN(64, s << 25n); s ^= s >> 27n;
    return Number(BigInt.asUintN(64, s * 0x2545f4914f6cdd1dn) >> 11n) / 2 ** 53;
  };
}

export function chooseLayout(seed: number | null): Layout {
  const rand = prng(seed ?? 0);
  const random = new Uint8Array(16);
  for (let i = 0; i < 16; i++) random[i] = Math.floor(rand() * 256);
  if (seed === null) {
    return { stackTop: 0x7ffffffff000, mmapBase: 0x7ffff7fff000, pieBase: 0x555555554000, brkOffset: 0, random };
  }
  // Entropy as x86-64 Linux: 22 bits of pages for the stack, 28 bits for mmap, 28 for the PIE base
  // (load_elf_binary: ELF_ET_DYN_BASE + arch_mmap_rnd(), so 0x555555554000 up to 1 TiB higher, a whole
  // number of pages: the segments are mapped page by page at their offsets from it), 13 bits (32 MiB) for brk.
  const pages = (bits: number) => Math.floor(rand() * 2 ** bits) * PAGE;
  return {
    stackTop: 0x7ffffffff000 - pages(22),
    mmapBase: 0x7ffff7fff000 - pages(28) - 0x100000000,
    pieBase: 0x555555554000 + pages(28),
    brkOffset: pages(13),
    random,
  };
}
