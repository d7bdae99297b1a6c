// The timeline behind reverse stepping: snapshots of the whole machine (lib/step/snapshot.ts) taken
// every `interval` instructions as the program runs, thinned out with age so that a long run keeps a
// bounded number of them (recent ones close together, old ones far apart).
//
// Going back to instruction count T restores the last snapshot at or before T and re-executes from it
// up to T. Re-execution is exact because colonel is deterministic: time is a virtual clock driven by
// the instruction count, timer ticks fall at fixed instruction boundaries (lib/step/machine.ts stops
// after every syscall and checks the tick there), input comes from a recorded tape (lib/step/io.ts),
// and kernel parameter changes made from the step prompt are recorded with their instruction count
// and made again at the same point.

import type { Kernel } from '../../kernel/kernel.js';
import { captureMachine, restoreMachine, type MachineState } from './snapshot.js';

export interface Snapshot {
  at: number;
  state: MachineState;
  /** Length of the event log, and how many recorded settings were applied, when it was taken. */
  eventsLen: number;
  settingsApplied: number;
}

/** What a snapshot records besides the machine, supplied by the session. */
export interface TimelineMarks {
  eventsLen: number;
  settingsApplied: number;
}

export class History {
  readonly snaps: Snapshot[] = [];

  constructor(
    private readonly k: Kernel,
    /** Objects outside the machine's state (the input tape, the output log). */
    private readonly outside: ReadonlySet<object>,
    /** Instructions between snapshots. */
    readonly interval = 65536,
    /** Snapshots kept at most (older ones are thinned to make room). */
    readonly max = 128,
  ) {}

  last(): Snapshot | undefined {
    return this.snaps[this.snaps.length - 1];
  }

  /** The instruction count at which the next snapshot is due. */
  nextDue(): number {
    const l = this.last();
    return l ? l.at + this.interval : this.k.cpu.icount;
  }

  /** Take a snapshot if one is due (at least `interval` instructions since the last one). */
  maybeTake(marks: TimelineMarks): void {
    const l = this.last();
    if (!l || this.k.cpu.icount >= l.at + this.interval) this.take(marks);
  }

  take(marks: TimelineMarks): Snapshot {
    const l = this.last();
    if (l && l.at === this.k.cpu.icount) this.snaps.pop();
    const s: Snapshot = { at: this.k.cpu.icount, state: captureMachine(this.k, this.last()?.state ?? null, this.outside), ...marks };
    this.snaps.push(s);
    this.thin();
    return s;
  }

  /**
   * Keep at most `max`: drop every other snapshot of the older half (never the first, the state at
   * exec), so spacing grows with age.
   */
  private thin(): void {
    if (this.snaps.length <= this.max) return;
    const half = this.snaps.length >> 1;
    const kept = this.snaps.filter((s, i) => i === 0 || i >= half || i % 2 === 0);
    this.snaps.length = 0;
    this.snaps.push(...kept);
  }

  /** The index of the last snapshot at or before `at` (-1 if none). */
  indexAtOrBefore(at: number): number {
    for (let i = this.snaps.length - 1; i >= 0; i--) if (this.snaps[i].at <= at) return i;
    return -1;
  }

  /** Restore the machine to snapshot i (later snapshots stay; see dropAfter). */
  restore(i: number): Snapshot {
    const s = this.snaps[i];
    restoreMachine(this.k, s.state);
    return s;
  }

  /** Forget the snapshots after `at`: the timeline goes on from there, maybe differently. */
  dropAfter(at: number): void {
    while (this.snaps.length > 1 && this.last()!.at > at) this.snaps.pop();
  }

  /** The earliest point that can be returned to. */
  start(): number {
    return this.snaps[0]?.at ?? 0;
  }
}
