// Going back in time: put the machine in the state it had at an earlier instruction count, by
// restoring the last snapshot before it (lib/step/history.ts) and re-executing up to it, and find the
// last breakpoint reached before now (reverse-continue) by re-running the stretches between
// snapshots, newest first, noting where breakpoints are reached without stopping there.

import type { Machine } from './machine.js';
import { replayKey } from './events.js';

/**
 * Put the machine in the state it had at instruction count `target` (at or after the earliest
 * snapshot): restore the last snapshot before it and re-execute, observing the last `tail`
 * instructions so the view can explain them. Returns a warning if the re-execution did not see
 * what the first execution saw (the host's files changed under it), else null.
 */
export function land(m: Machine, target: number, tail = 64): string | null {
  const before = m.events.map(replayKey);
  const i = m.history.indexAtOrBefore(target);
  const snap = m.history.restore(Math.max(i, 0));
  m.history.dropAfter(target);
  m.events.length = snap.eventsLen;
  m.settingsApplied = snap.settingsApplied;
  m.resetStops();
  let stop = m.run({ stopAt: Math.max(snap.at, target - tail) });
  if (stop.kind === 'done' && m.icount < target) stop = m.run({ stopAt: target, observe: true });
  // The kernel-side events the replay produced must be the ones the first run produced there.
  const was = before.slice(snap.eventsLen).filter((x) => x !== null);
  const now = m.events.slice(snap.eventsLen).map(replayKey).filter((x) => x !== null);
  for (let j = 0; j < now.length && j < was.length; j++) {
    if (now[j] !== was[j]) return `replay diverged at ${now[j]} (was ${was[j]}): the host's files changed since the first run`;
  }
  if (m.icount !== target && !m.kernel.exit) return `replay stopped at #${m.icount}, not #${target} (${stop.kind})`;
  return null;
}

/** The last instruction count before `now` at which a breakpoint was reached, or null. */
export function findPreviousHit(m: Machine, now: number): number | null {
  for (let i = m.history.indexAtOrBefore(now - 1); i >= 0; i--) {
    const s = m.history.restore(i);
    m.events.length = s.eventsLen;
    m.settingsApplied = s.settingsApplied;
    const hits: number[] = [];
    const end = m.history.snaps[i + 1]?.at ?? now;
    m.run({ stopAt: Math.min(end, now), hits });
    const before = hits.filter((h) => h < now);
    if (before.length) return before[before.length - 1];
  }
  return null;
}
