// `colonel trace -c`: strace's summary table (src/count.c), with modeled cycles in place of seconds and
// one row per road and name, so the cost of a vDSO call sits next to the syscall it replaces. Rows are
// sorted as strace sorts them by default: by total cost, most expensive first (then by calls, name).
// A total line per road that was used and a grand total close the table.

import type { Road } from './filter.js';
import type { SummaryRow } from './events.js';

export class Summary {
  private readonly rows = new Map<string, SummaryRow>();

  add(road: Road, name: string, error: boolean, insns: number, cycles: number): void {
    const key = `${road}\0${name}`;
    let r = this.rows.get(key);
    if (!r) this.rows.set(key, (r = { road, name, calls: 0, errors: 0, insns: 0, cycles: 0 }));
    r.calls++;
    if (error) r.errors++;
    r.insns += insns;
    r.cycles += cycles;
  }

  sorted(): SummaryRow[] {
    return [...this.rows.values()].sort((a, b) => b.cycles - a.cycles || b.calls - a.calls || a.name.localeCompare(b.name));
  }

  /** Calls per road (for tests and the JSON summary). */
  totals(): Record<Road, number> {
    const t: Record<Road, number> = { syscall: 0, vdso: 0, vsyscall: 0 };
    for (const r of this.rows.values()) t[r.road] += r.calls;
    return t;
  }

  table(): string {
    const rows = this.sorted();
    const all = rows.reduce((s, r) => s + r.cycles, 0);
    const pct = (c: number) => (all ? (100 * c) / all : 0).toFixed(2).padStart(6);
    const line = (p: string, cycles: number, perCall: string, insnsPerCall: string, calls: number, errors: number, road: string, name: string) =>
      `${p} ${String(cycles).padStart(11)} ${perCall.padStart(11)} ${insnsPerCall.padStart(10)} ${String(calls).padStart(9)} ` +
      `${(errors ? String(errors) : '').padStart(9)} ${road.padEnd(9)} ${name}`.trimEnd();
    const rule = '------ ----------- ----------- ---------- --------- --------- --------- ----------------';
    const out = ['% cost       cycles cycles/call insns/call     calls    errors road      name', rule];
    for (const r of rows) {
      out.push(line(pct(r.cycles), r.cycles, String(Math.round(r.cycles / r.calls)), String(Math.round(r.insns / r.calls)), r.calls, r.errors, r.road, r.name));
    }
    out.push(rule);
    const roads: Road[] = ['syscall', 'vdso', 'vsyscall'];
    for (const road of roads) {
      const rs = rows.filter((r) => r.road === road);
      if (!rs.length) continue;
      const c = rs.reduce((s, r) => s + r.cycles, 0), n = rs.reduce((s, r) => s + r.calls, 0), e = rs.reduce((s, r) => s + r.errors, 0);
      const i = rs.reduce((s, r) => s + r.insns, 0);
      out.push(line(pct(c), c, String(Math.round(c / n)), String(Math.round(i / n)), n, e, road, 'total'));
    }
    const n = rows.reduce((s, r) => s + r.calls, 0), e = rows.reduce((s, r) => s + r.errors, 0);
    const i = rows.reduce((s, r) => s + r.insns, 0);
    out.push(line(all ? '100.00' : '  0.00', all, n ? String(Math.round(all / n)) : '0', n ? String(Math.round(i / n)) : '0', n, e, '', 'total'));
    return out.join('\n') + '\n';
  }
}
