// The guest's standard streams in a step session: kept apart from the view, and made replayable.
//
// Output (fds 1 and 2) goes to an output pane, never straight to the terminal. The pane is a log
// outside the snapshotted state; what is in the snapshots is how much of it the guest has written
// (a shared cursor). Going back moves the cursor back, and re-executing forward writes the same bytes
// over the same place, so nothing the guest prints is ever shown twice.
//
// Input (fd 0) comes from a tape: entries of bytes (or end-of-file), each with the instruction count
// at which it became available. The tape too lives outside the snapshots; the read position is in
// them. A read finds the entries available at the current instruction count. When there is nothing
// yet and no end-of-file, the read blocks: colonel restarts the syscall as Linux does for an
// interrupted read (rip back onto the syscall instruction, rax = the syscall number) and the session
// asks for input (`input TEXT`, `eof`). A replay reaches the same read at the same count and sees
// exactly what the first run saw, so input typed once is replayed, never asked for again.

import { OpenFile, type StatInfo } from '../../kernel/fs/file.js';
import { Errno } from '../../kernel/errno.js';

const S_IFIFO = 0o010000;

function pipeStat(ino: number): StatInfo {
  return { dev: 0xc, ino, mode: S_IFIFO | 0o600, nlink: 1, uid: 0, gid: 0, rdev: 0, size: 0, blksize: 4096, blocks: 0, atimeNs: 0n, mtimeNs: 0n, ctimeNs: 0n };
}

export interface TapeEntry {
  /** cpu.icount at which the bytes became available. */
  at: number;
  /** null: end of file. */
  bytes: Uint8Array | null;
}

/** The input tape (not part of snapshots). */
export class InputTape {
  readonly entries: TapeEntry[] = [];

  /** Add input typed at `at`, dropping anything recorded for a later point (that future is gone). */
  add(at: number, bytes: Uint8Array | null): void {
    while (this.entries.length && this.entries[this.entries.length - 1].at > at) this.entries.pop();
    this.entries.push({ at, bytes });
  }

  /** Bytes available at `at`, and whether end-of-file is too. */
  available(at: number): { bytes: number; eof: boolean } {
    let bytes = 0, eof = false;
    for (const e of this.entries) {
      if (e.at > at) break;
      if (e.bytes === null) eof = true;
      else if (!eof) bytes += e.bytes.length;
    }
    return { bytes, eof };
  }

  /** Input recorded for a point after `at` (a replay will get it). */
  hasFuture(at: number): boolean {
    return this.entries.some((e) => e.at > at);
  }

  /** Bytes [from, from+len) of the concatenated available input. */
  slice(from: number, len: number): Uint8Array {
    const out: number[] = [];
    let pos = 0;
    for (const e of this.entries) {
      if (!e.bytes) break;
      for (const b of e.bytes) {
        if (pos >= from && out.length < len) out.push(b);
        pos++;
      }
    }
    return Uint8Array.from(out);
  }
}

/** fd 0 of a stepped guest. */
export class StepInput extends OpenFile {
  /** Bytes consumed (snapshotted). */
  pos = 0;
  /** Set by a read that found nothing: the session restarts that syscall. */
  blocked = false;
  constructor(
    private readonly tape: InputTape,
    private readonly now: () => number,
  ) {
    super();
    this.path = 'pipe:[0]';
  }
  read(len: number): Uint8Array | number {
    const avail = this.tape.available(this.now());
    if (this.pos < avail.bytes) {
      const out = this.tape.slice(this.pos, Math.min(len, avail.bytes - this.pos));
      this.pos += out.length;
      return out;
    }
    if (avail.eof || len === 0) return new Uint8Array(0);
    this.blocked = true;
    return -Errno.EAGAIN;
  }
  write(): number {
    return -Errno.EBADF;
  }
  stat(): StatInfo {
    return pipeStat(2);
  }
}

export interface OutputChunk {
  fd: number;
  bytes: Uint8Array;
}

/** What the guest wrote to fds 1 and 2, in order (not part of snapshots). */
export class OutputPane {
  readonly chunks: OutputChunk[] = [];
  /** How many chunks the guest has written at the current point (this object IS snapshotted). */
  readonly cursor = { count: 0 };

  write(fd: number, data: Uint8Array): void {
    if (this.chunks.length > this.cursor.count) this.chunks.length = this.cursor.count;
    this.chunks.push({ fd, bytes: Uint8Array.from(data) });
    this.cursor.count++;
  }

  /** The text written so far (at the current point). */
  text(fd?: number): string {
    const parts = this.chunks.slice(0, this.cursor.count).filter((c) => fd === undefined || c.fd === fd).map((c) => c.bytes);
    return Buffer.concat(parts).toString('utf8');
  }
}

/** fd 1 or 2 of a stepped guest: a pipe into the output pane. */
export class StepOutput extends OpenFile {
  constructor(
    private readonly pane: OutputPane,
    readonly fd: number,
    private readonly cursor: { count: number },
  ) {
    super();
    this.path = `pipe:[${fd}]`;
    this.flags = 1; // O_WRONLY
  }
  read(): number {
    return -Errno.EBADF;
  }
  write(data: Uint8Array): number {
    void this.cursor; // kept so snapshots reach (and restore) the pane's cursor
    this.pane.write(this.fd, data);
    return data.length;
  }
  stat(): StatInfo {
    return pipeStat(this.fd + 2);
  }
}
