// Pipes (linux/fs/pipe.c): a 64 KiB in-kernel buffer with a read end and a write end.
//
// colonel runs one single-threaded process, so nobody else can ever fill an empty pipe or drain a full
// one: where Linux would put the caller to sleep forever, the ends return -EDEADLK (the syscall layer
// says why, once), and -EAGAIN under O_NONBLOCK as Linux does. Writing with no reader left is EPIPE
// (the syscall layer raises SIGPIPE).

import { Errno } from '../errno.js';
import { OpenFile, type StatInfo } from './file.js';

const S_IFIFO = 0o010000;
export const PIPE_BUF = 4096;
export const O_NONBLOCK = 0o4000;
let nextIno = 0x10000;

export class Pipe {
  readonly ino = nextIno++;
  capacity = 65536;
  private chunks: Uint8Array[] = [];
  size = 0;
  readers = 0;
  writers = 0;

  take(len: number): Uint8Array {
    const out = new Uint8Array(Math.min(len, this.size));
    let done = 0;
    while (done < out.length) {
      const c = this.chunks[0];
      const n = Math.min(c.length, out.length - done);
      out.set(c.subarray(0, n), done);
      done += n;
      if (n === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(n);
    }
    this.size -= out.length;
    return out;
  }

  put(data: Uint8Array): void {
    this.chunks.push(Uint8Array.from(data));
    this.size += data.length;
  }
}

export class PipeEnd extends OpenFile {
  constructor(
    readonly pipe: Pipe,
    readonly end: 'read' | 'write',
  ) {
    super();
    this.path = `pipe:[${pipe.ino}]`;
    this.flags = end === 'read' ? 0 : 1;
    if (end === 'read') pipe.readers++;
    else pipe.writers++;
  }

  read(len: number): Uint8Array | number {
    if (this.end !== 'read') return -Errno.EBADF;
    if (len === 0) return new Uint8Array(0);
    if (this.pipe.size === 0) {
      if (this.pipe.writers === 0) return new Uint8Array(0); // end of file
      return this.flags & O_NONBLOCK ? -Errno.EAGAIN : -Errno.EDEADLK;
    }
    return this.pipe.take(len);
  }

  write(data: Uint8Array): number {
    if (this.end !== 'write') return -Errno.EBADF;
    if (this.pipe.readers === 0) return -Errno.EPIPE;
    const room = this.pipe.capacity - this.pipe.size;
    // Writes of at most PIPE_BUF bytes are atomic: all or (would block) nothing.
    if (room === 0 || (data.length <= PIPE_BUF && room < data.length)) return this.flags & O_NONBLOCK ? -Errno.EAGAIN : -Errno.EDEADLK;
    const n = Math.min(room, data.length);
    this.pipe.put(data.subarray(0, n));
    return n;
  }

  /** poll(2) readiness: POLLIN, POLLOUT, POLLHUP, POLLERR bits. */
  pollMask(): number {
    if (this.end === 'read') return (this.pipe.size > 0 ? 1 : 0) | (this.pipe.writers === 0 ? 0x10 : 0);
    return (this.pipe.readers === 0 ? 8 : 0) | (this.pipe.capacity - this.pipe.size >= PIPE_BUF ? 4 : 0);
  }

  stat(): StatInfo {
    return { dev: 0xd, ino: this.pipe.ino, mode: S_IFIFO | 0o600, nlink: 1, uid: 0, gid: 0, rdev: 0, size: 0, blksize: 4096, blocks: 0, atimeNs: 0n, mtimeNs: 0n, ctimeNs: 0n };
  }

  override close(): void {
    if (this.end === 'read') this.pipe.readers--;
    else this.pipe.writers--;
  }
}
