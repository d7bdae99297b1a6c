// Wiring that needs both layers: the kernel may describe a faulting instruction with the CPU's
// disassembler, and maps the vDSO and vsyscall pages at exec. Kept here so that kernel/ never imports
// the decoder's formatter, and cpu/ never imports the kernel.

import type { Kernel } from '../kernel/kernel.js';
import { formatInsn } from '../cpu/disasm.js';

export function installPlatform(k: Kernel): void {
  k.describeInsn = (addr: number) => {
    try {
      const d = k.engine.insnAt(addr);
      return `${Array.from(d.bytes, (b) => b.toString(16).padStart(2, '0')).join(' ')} (${formatInsn(d)})`;
    } catch {
      return '';
    }
  };
}
