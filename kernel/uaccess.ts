// Copying between kernel and user memory (arch/x86/include/asm/uaccess.h): every access goes through
// the guest's page permissions, and a bad pointer throws GuestFault, which the syscall dispatcher turns
// into -EFAULT, as copy_from_user's failure does in Linux.

import type { Kernel } from './kernel.js';

export function copyFromUser(k: Kernel, addr: number, len: number): Uint8Array {
  return len === 0 ? new Uint8Array(0) : k.mem.readBytes(addr, len);
}

export function copyToUser(k: Kernel, addr: number, bytes: Uint8Array): void {
  if (bytes.length) k.mem.writeBytes(addr, bytes);
}

/** A NUL-terminated string from user memory, as strncpy_from_user (PATH_MAX = 4096). */
export function strFromUser(k: Kernel, addr: number, max = 4096): string | null {
  const raw = k.mem.readCString(addr, max);
  return raw === null ? null : Buffer.from(raw).toString('utf8');
}

export function putUser64(k: Kernel, addr: number, v: bigint | number): void {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, BigInt(v)), true);
  copyToUser(k, addr, b);
}

export function putUser32(k: Kernel, addr: number, v: number): void {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, v | 0, true);
  copyToUser(k, addr, b);
}

export function getUser64(k: Kernel, addr: number): bigint {
  return new DataView(copyFromUser(k, addr, 8).buffer).getBigUint64(0, true);
}

/** A little-endian struct writer for kernel structures copied out (stat, timespec, utsname...). */
export class StructWriter {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }
  u16(off: number, v: number): this { this.view.setUint16(off, v, true); return this; }
  u32(off: number, v: number): this { this.view.setUint32(off, v >>> 0, true); return this; }
  i32(off: number, v: number): this { this.view.setInt32(off, v, true); return this; }
  u64(off: number, v: bigint | number): this { this.view.setBigUint64(off, BigInt.asUintN(64, BigInt(v)), true); return this; }
  str(off: number, s: string, max: number): this {
    const b = Buffer.from(s, 'utf8').subarray(0, max - 1);
    this.bytes.set(b, off);
    return this;
  }
}
