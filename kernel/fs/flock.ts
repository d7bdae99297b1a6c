// flock(2) (linux/fs/locks.c, the BSD-style whole-file locks): a lock belongs to an open file
// description, so descriptors made by dup share it and two open()s of one file are two owners, which
// conflict even inside one process. A lock lasts until LOCK_UN or the description's last close.
// colonel's single process can still conflict with itself that way: LOCK_NB then fails with
// EWOULDBLOCK, and a blocking request is a wait nothing can end (common.ts wouldBlockForever).

import { Errno } from '../errno.js';
import { HostFile, type OpenFile } from './file.js';
import { PipeEnd } from './pipe.js';
import type { Kernel } from '../kernel.js';

const O_PATH = 0o10000000;
export const LOCK_SH = 1, LOCK_EX = 2, LOCK_NB = 4, LOCK_UN = 8, LOCK_MAND = 32;

type Kind = 'sh' | 'ex';

/** Per kernel: the file a lock is on (host dev:ino, a pipe, or the synthetic file itself) -> owners. */
const tables = new WeakMap<Kernel, Map<unknown, Map<OpenFile, Kind>>>();

/** What two descriptions lock in common: the same host file, the same pipe; else the description. */
function lockKey(f: OpenFile): unknown {
  if (f instanceof HostFile) {
    const st = f.stat();
    return `${st.dev}:${st.ino}`;
  }
  if (f instanceof PipeEnd) return f.pipe;
  return f;
}

/**
 * flock(fd's description, cmd): 0, or -errno (EINVAL for a bad command, EBADF, EWOULDBLOCK for a
 * conflict under LOCK_NB), or `block()`'s answer for a conflict that would wait. As in Linux, a
 * conversion (shared <-> exclusive) first drops the old lock, so a failed one leaves none.
 */
export function flockFile(k: Kernel, f: OpenFile | undefined, cmd: number, block: () => number): number {
  if (cmd & LOCK_MAND) return 0; // Linux ignores LOCK_MAND requests (they never worked) and succeeds
  const op = cmd & ~LOCK_NB;
  if (op !== LOCK_SH && op !== LOCK_EX && op !== LOCK_UN) return -Errno.EINVAL; // checked before the fd
  // fdget() does not see O_PATH descriptions: EBADF for them too, even for LOCK_UN.
  if (!f || (f.flags & O_PATH) !== 0) return -Errno.EBADF;
  const kind: Kind | null = op === LOCK_SH ? 'sh' : op === LOCK_EX ? 'ex' : null;

  let table = tables.get(k);
  if (!table) tables.set(k, (table = new Map()));
  const key = lockKey(f);
  let owners = table.get(key);
  if (owners) for (const [o] of owners) if (o.refs <= 0) owners.delete(o); // closed since: released
  const held = owners?.get(f);
  if (held === kind) return 0;
  if (held !== undefined) owners!.delete(f);
  if (kind === null) return 0;
  for (const [, other] of owners ?? []) {
    if (other === 'ex' || kind === 'ex') return cmd & LOCK_NB ? -Errno.EAGAIN : block();
  }
  if (!owners) table.set(key, (owners = new Map()));
  owners.set(f, kind);
  return 0;
}
