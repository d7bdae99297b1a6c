// Open file descriptions (linux/fs/file_table.c's struct file, much simplified): what a file
// descriptor refers to. Host files pass through to the host's file system; synthetic files (/proc)
// are generated when opened; captured streams collect a guest's output for the library API.

import * as fs from 'node:fs';
import * as tty from 'node:tty';
import { Errno } from '../errno.js';

export interface StatInfo {
  dev: number; ino: number; mode: number; nlink: number; uid: number; gid: number; rdev: number;
  size: number; blksize: number; blocks: number;
  atimeNs: bigint; mtimeNs: bigint; ctimeNs: bigint;
}

export abstract class OpenFile {
  refs = 1;
  /** O_* flags given at open (access mode, O_APPEND, O_NONBLOCK...). */
  flags = 0;
  path = '';
  abstract read(len: number, pos?: number): Uint8Array | number;
  abstract write(data: Uint8Array, pos?: number): number;
  /** lseek: returns the new offset or -errno. */
  seek(_off: number, _whence: number): number {
    return -Errno.ESPIPE;
  }
  abstract stat(): StatInfo;
  isatty(): boolean {
    return false;
  }
  close(): void {}
  /** The host fd behind this file, if any (for mmap of host files and ioctl). */
  hostFd(): number | null {
    return null;
  }
}

const S_IFREG = 0o100000;
const S_IFCHR = 0o020000;
const S_IFIFO = 0o010000;
export const S_IFDIR = 0o040000;

function statFromHost(st: fs.BigIntStats): StatInfo {
  return {
    dev: Number(st.dev), ino: Number(st.ino), mode: Number(st.mode), nlink: Number(st.nlink), uid: Number(st.uid), gid: Number(st.gid),
    rdev: Number(st.rdev), size: Number(st.size), blksize: Number(st.blksize), blocks: Number(st.blocks),
    atimeNs: st.atimeNs, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs,
  };
}

export function hostStat(path: string, follow = true): StatInfo | number {
  try {
    return statFromHost(follow ? fs.statSync(path, { bigint: true }) : fs.lstatSync(path, { bigint: true }));
  } catch (e) {
    return -errnoOf(e);
  }
}

/** Map a Node.js fs error to -errno's magnitude. */
export function errnoOf(e: unknown): number {
  const code = (e as NodeJS.ErrnoException)?.code;
  return (code && (Errno as Record<string, number>)[code]) || Errno.EIO;
}

/** A file on the host, opened by path or inherited (fd 0/1/2 of `colonel run`). */
export class HostFile extends OpenFile {
  private pos = 0;
  constructor(
    private readonly fd: number,
    path: string,
    flags: number,
    private readonly owned = true,
  ) {
    super();
    this.path = path;
    this.flags = flags;
  }
  /**
   * Files colonel opened keep their own offset (Node has no lseek); inherited descriptors (0, 1, 2)
   * use the host's offset, which they share with the shell that opened them.
   */
  private tracked(): boolean {
    return this.owned && this.seekable();
  }
  read(len: number, pos?: number): Uint8Array | number {
    const buf = new Uint8Array(Math.min(len, 1 << 24));
    try {
      const n = fs.readSync(this.fd, buf, 0, buf.length, pos ?? (this.tracked() ? this.pos : null));
      if (pos === undefined && this.tracked()) this.pos += n;
      return buf.subarray(0, n);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return -Errno.EAGAIN;
      if ((e as NodeJS.ErrnoException).code === 'EOF') return new Uint8Array(0);
      return -errnoOf(e);
    }
  }
  write(data: Uint8Array, pos?: number): number {
    try {
      let done = 0;
      const append = (this.flags & 0o2000) !== 0;
      while (done < data.length) {
        // O_APPEND (even one set later with F_SETFL, which the host fd does not know) writes at the end.
        const at = pos !== undefined ? pos + done : !this.tracked() ? null : append ? Number(fs.fstatSync(this.fd).size) : this.pos;
        const n = fs.writeSync(this.fd, data, done, data.length - done, at);
        done += n;
        if (pos === undefined && this.tracked()) this.pos = append ? Number(fs.fstatSync(this.fd).size) : this.pos + n;
      }
      return done;
    } catch (e) {
      return -errnoOf(e);
    }
  }
  private seekable(): boolean {
    try {
      const st = fs.fstatSync(this.fd);
      return st.isFile() || st.isBlockDevice();
    } catch {
      return false;
    }
  }
  override seek(off: number, whence: number): number {
    if (!this.tracked()) return -Errno.ESPIPE;
    const base = whence === 0 ? 0 : whence === 1 ? this.pos : whence === 2 ? Number(fs.fstatSync(this.fd).size) : NaN;
    if (Number.isNaN(base)) return -Errno.EINVAL;
    if (base + off < 0) return -Errno.EINVAL;
    this.pos = base + off;
    return this.pos;
  }
  stat(): StatInfo {
    return statFromHost(fs.fstatSync(this.fd, { bigint: true }));
  }
  override isatty(): boolean {
    try {
      return tty.isatty(this.fd);
    } catch {
      return false;
    }
  }
  override hostFd(): number {
    return this.fd;
  }
  override close(): void {
    if (this.owned) {
      try { fs.closeSync(this.fd); } catch { /* already closed */ }
    }
  }
}


/** A file whose whole content is known when it is opened (/proc files, captured input). */
export class MemoryFile extends OpenFile {
  private pos = 0;
  private bytes: Uint8Array | null;
  /**
   * `content` is the file's bytes, or a function that makes them: /proc files are generated at the
   * first read, as seq_file does, so what happens between open and read (musl's fopen mallocs its
   * FILE) shows in the text.
   */
  constructor(
    private readonly content: Uint8Array | (() => Uint8Array),
    path: string,
    private readonly mode = S_IFREG | 0o444,
  ) {
    super();
    this.path = path;
    this.bytes = typeof content === 'function' ? null : content;
  }
  private get data(): Uint8Array {
    return (this.bytes ??= (this.content as () => Uint8Array)());
  }
  read(len: number, pos?: number): Uint8Array {
    const at = pos ?? this.pos;
    const out = this.data.subarray(Math.min(at, this.data.length), Math.min(at + len, this.data.length));
    if (pos === undefined) this.pos += out.length;
    return out;
  }
  write(): number {
    return -Errno.EBADF;
  }
  override seek(off: number, whence: number): number {
    const base = whence === 0 ? 0 : whence === 1 ? this.pos : whence === 2 ? this.data.length : NaN;
    if (Number.isNaN(base) || base + off < 0) return -Errno.EINVAL;
    this.pos = base + off;
    return this.pos;
  }
  stat(): StatInfo {
    return { dev: 0x16, ino: 1, mode: this.mode, nlink: 1, uid: 0, gid: 0, rdev: 0, size: 0, blksize: 1024, blocks: 0, atimeNs: 0n, mtimeNs: 0n, ctimeNs: 0n };
  }
}

/** A stream the library API captures (the guest's stdout/stderr) or feeds (stdin). */
export class CapturedStream extends OpenFile {
  readonly chunks: Uint8Array[] = [];
  private inPos = 0;
  constructor(
    path: string,
    private readonly input: Uint8Array | null = null,
    private readonly sink: ((b: Uint8Array) => void) | null = null,
  ) {
    super();
    this.path = path;
    this.flags = input ? 0 : 1; // the read end of a pipe (O_RDONLY) or the write end (O_WRONLY)
  }
  read(len: number): Uint8Array | number {
    if (!this.input) return -Errno.EBADF;
    const out = this.input.subarray(this.inPos, Math.min(this.inPos + len, this.input.length));
    this.inPos += out.length;
    return out;
  }
  write(data: Uint8Array): number {
    const copy = Uint8Array.from(data);
    this.chunks.push(copy);
    this.sink?.(copy);
    return data.length;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
  stat(): StatInfo {
    return { dev: 0xc, ino: 3, mode: this.input ? S_IFIFO | 0o600 : S_IFIFO | 0o600, nlink: 1, uid: 0, gid: 0, rdev: 0, size: 0, blksize: 4096, blocks: 0, atimeNs: 0n, mtimeNs: 0n, ctimeNs: 0n };
  }
}

export { S_IFREG, S_IFCHR };
