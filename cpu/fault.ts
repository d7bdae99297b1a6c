// The CPU's exceptions, as the SDM names them (vol. 3A ch. 6). The CPU raises them; only the run loop
// catches them and hands them to whoever drives the CPU (the kernel), which turns them into signals.
// The CPU knows nothing of signals: this is one of the three doors between CPU and kernel.

/** Exception vectors the interpreter raises (SDM vol. 3A table 6-1). */
export const Vector = {
  DE: 0, // divide error
  DB: 1, // debug (single-step with TF)
  BP: 3, // int3
  UD: 6, // invalid opcode
  GP: 13, // general protection (non-canonical address, privileged instruction)
  PF: 14, // page fault
  MF: 16, // x87 floating-point error
  XM: 19, // SIMD floating-point exception
} as const;
export type VectorNumber = (typeof Vector)[keyof typeof Vector];

/** Page-fault error code bits (SDM vol. 3A 4.7). */
export const PFErr = {
  PRESENT: 1, // 0: the page was not present; 1: a protection violation
  WRITE: 2,
  USER: 4,
  FETCH: 16,
} as const;

/**
 * A CPU exception. `addr` is the faulting linear address for #PF (CR2), `errorCode` the code the CPU
 * pushes. `rip` is filled in by the run loop: the address of the instruction that faulted, since x86
 * faults are restartable (the saved rip points at the faulting instruction, not past it).
 */
export class GuestFault extends Error {
  rip = 0;
  constructor(
    readonly vector: VectorNumber,
    readonly addr = 0,
    readonly errorCode = 0,
    readonly detail = '',
  ) {
    super(detail || `vector ${vector}`);
  }
}

export function pageFault(addr: number, errorCode: number): GuestFault {
  return new GuestFault(Vector.PF, addr, errorCode);
}

export function invalidOpcode(detail: string): GuestFault {
  return new GuestFault(Vector.UD, 0, 0, detail);
}

export function generalProtection(detail: string): GuestFault {
  return new GuestFault(Vector.GP, 0, 0, detail);
}

/** Format a guest address the way the kernel's messages do (lower-case hex, no padding). */
export function hex(addr: number): string {
  return addr < 0 ? (BigInt(addr) + (1n << 64n)).toString(16) : addr.toString(16);
}
