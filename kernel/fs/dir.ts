// Open directories: what getdents64 reads (linux/fs/readdir.c). A host directory lists the host's
// entries (with '.' and '..' first, as most file systems return them); /proc directories list what
// kernel/proc.ts generates. The position is an entry index, which lseek(fd, 0, SEEK_SET) rewinds.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { Errno } from '../errno.js';
import { HostFile, OpenFile, S_IFDIR, type StatInfo } from './file.js';

/** d_type values (include/linux/fs_types.h DT_*). */
export const DT = { UNKNOWN: 0, FIFO: 1, CHR: 2, DIR: 4, BLK: 6, REG: 8, LNK: 10, SOCK: 12 } as const;

export interface DirEntry {
  name: string;
  ino: number;
  type: number;
}

/** An open file that getdents64 can list. */
export interface Directory {
  /** Entries from index `pos` on (the caller advances dirPos by what fits in its buffer). */
  entries(): DirEntry[];
  dirPos: number;
}

export function isDirectory(f: OpenFile): f is OpenFile & Directory {
  return 'dirPos' in f && typeof (f as unknown as Directory).entries === 'function';
}

export function dtypeOfMode(mode: number): number {
  switch (mode & 0o170000) {
    case 0o010000: return DT.FIFO;
    case 0o020000: return DT.CHR;
    case 0o040000: return DT.DIR;
    case 0o060000: return DT.BLK;
    case 0o100000: return DT.REG;
    case 0o120000: return DT.LNK;
    case 0o140000: return DT.SOCK;
    default: return DT.UNKNOWN;
  }
}

/** A directory on the host, opened by path. The listing is read on first use and on rewind. */
export class HostDir extends HostFile implements Directory {
  dirPos = 0;
  private listing: DirEntry[] | null = null;
  constructor(fd: number, guestPath: string, flags: number, private readonly host: string) {
    super(fd, guestPath, flags);
  }
  entries(): DirEntry[] {
    if (this.listing) return this.listing;
    const ino = (p: string) => {
      try { return Number(fs.lstatSync(p, { bigint: true }).ino); } catch { return 0; }
    };
    const out: DirEntry[] = [
      { name: '.', ino: ino(this.host), type: DT.DIR },
      { name: '..', ino: ino(path.dirname(this.host)), type: DT.DIR },
    ];
    try {
      for (const d of fs.readdirSync(this.host, { withFileTypes: true })) {
        const type = d.isFile() ? DT.REG : d.isDirectory() ? DT.DIR : d.isSymbolicLink() ? DT.LNK : d.isFIFO() ? DT.FIFO
          : d.isCharacterDevice() ? DT.CHR : d.isBlockDevice() ? DT.BLK : d.isSocket() ? DT.SOCK : DT.UNKNOWN;
        out.push({ name: d.name, ino: ino(path.join(this.host, d.name)), type });
      }
    } catch { /* removed while open: just . and .. */ }
    this.listing = out;
    return out;
  }
  override read(): number {
    return -Errno.EISDIR;
  }
  override write(): number {
    return -Errno.EBADF;
  }
  override seek(off: number, whence: number): number {
    const base = whence === 0 ? 0 : whence === 1 ? this.dirPos : NaN;
    if (Number.isNaN(base) || base + off < 0) return -Errno.EINVAL;
    this.dirPos = base + off;
    if (this.dirPos === 0) this.listing = null; // rewinddir sees new entries
    return this.dirPos;
  }
}

/** A directory whose entries are generated (/proc and its subdirectories). */
export class MemoryDir extends OpenFile implements Directory {
  dirPos = 0;
  constructor(
    path: string,
    private readonly list: () => DirEntry[],
    private readonly ino = 1,
  ) {
    super();
    this.path = path;
    this.flags = 0o200000; // O_DIRECTORY
  }
  entries(): DirEntry[] {
    return this.list();
  }
  read(): number {
    return -Errno.EISDIR;
  }
  write(): number {
    return -Errno.EBADF;
  }
  override seek(off: number, whence: number): number {
    const base = whence === 0 ? 0 : whence === 1 ? this.dirPos : NaN;
    if (Number.isNaN(base) || base + off < 0) return -Errno.EINVAL;
    return (this.dirPos = base + off);
  }
  stat(): StatInfo {
    return { dev: 0x16, ino: this.ino, mode: S_IFDIR | 0o555, nlink: 2, uid: 0, gid: 0, rdev: 0, size: 0, blksize: 1024, blocks: 0, atimeNs: 0n, mtimeNs: 0n, ctimeNs: 0n };
  }
}
