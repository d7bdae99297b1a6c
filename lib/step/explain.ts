// The explanation pane: what the last command's instructions did at the borders between the program,
// the vDSO and the kernel, in sentences, from the events the machine recorded (lib/step/events.ts);
// and, for the instruction at rip, what is about to happen when it is a crossing.
//
// The facts follow Linux: SYSCALL saves rip in rcx and rflags in r11 and enters at MSR_LSTAR
// (entry_SYSCALL_64); SYSRET restores both (arch/x86/entry/entry_64.S). The vsyscall page's fetch
// fault goes to emulate_vsyscall() (arch/x86/entry/vsyscall/vsyscall_64.c). The vDSO's readers follow
// the seqlock of lib/vdso/gettimeofday.c; update_vsyscall() is kernel/time/vsyscall.c.

import { i386Name } from '../../kernel/ia32.js';
import { Reg } from '../../cpu/cpu.js';
import { PFErr } from '../../cpu/fault.js';
import type { Insn } from '../../cpu/insn.js';
import { SYSCALLS } from '../../kernel/syscalls/table.js';
import { VSYSCALL_ADDR, VSYSCALL_SLOTS } from '../../kernel/vsyscall.js';
import { HZ, VVAR_SIZE } from '../../kernel/vdso/datapage.js';
import type { StepEvent } from './events.js';
import type { Machine } from './machine.js';
import { effectiveAddress } from './observe.js';
import { decodeAt, hexAddr, peek64 } from './peek.js';
import { formatCall } from './sysfmt.js';
import { toAddr } from './symbols.js';
import { fieldAt, readVvar } from './vvar.js';

const h = (a: number) => '0x' + hexAddr(a);
const hb = (v: bigint) => '0x' + BigInt.asUintN(64, v).toString(16);

function where(m: Machine, a: number): string {
  const s = m.symbols.symbolize(a);
  return s ? `${h(a)} <${s}>` : h(a);
}

/** Page-fault error code bits in words (SDM vol. 3A 4.7). */
export function pfErrText(code: number): string {
  const parts = [
    code & PFErr.PRESENT ? 'protection violation' : 'page not present',
    code & PFErr.FETCH ? 'instruction fetch' : code & PFErr.WRITE ? 'write' : 'read',
    code & PFErr.USER ? 'user mode' : 'kernel mode',
  ];
  return `error code 0x${code.toString(16)}: ${parts.join(', ')}`;
}

/** The seq values the current (or last) vDSO call read, from its entry up to event index `end`. */
function seqReads(events: readonly StepEvent[], end: number): number[] {
  const out: number[] = [];
  for (let i = end - 1; i >= 0; i--) {
    const e = events[i];
    if (e.kind === 'vdso') break;
    if (e.kind === 'vvar' && e.field === 'seq') out.unshift(Number(e.value));
  }
  return out;
}

const KIND_NAMES: Record<string, string> = {
  syscall: 'syscalls', vsyscall: 'vsyscall calls', vdso: 'vDSO calls', 'vdso-return': 'vDSO returns', vvar: 'vvar loads', rdtsc: 'rdtsc', tick: 'timer ticks', fault: 'faults', set: 'settings', exit: 'exit',
};

/** One line for an event, when many happened in one command. */
function brief(m: Machine, e: StepEvent): string {
  switch (e.kind) {
    case 'syscall': return `#${e.at} syscall ${e.call} = ${e.resultText}`;
    case 'vsyscall': return `#${e.at} vsyscall ${e.name}, emulated by the kernel = ${e.result}`;
    case 'vdso': return `#${e.at} call into the vDSO: ${e.symbol} from ${where(m, e.from)}`;
    case 'vdso-return': return `#${e.at} ret from the vDSO (${e.symbol}): rax = ${e.rax}`;
    case 'vvar': return `#${e.at} load vvar.${e.field} = ${e.value}`;
    case 'rdtsc': return `#${e.at} rdtsc = ${e.value}`;
    case 'tick': return `#${e.at} timer tick: update_vsyscall, seq ${e.seqBefore} -> ${e.seqAfter}`;
    case 'fault': return `#${e.at} page fault at ${h(e.addr)}: ${e.outcome === 'grown' ? 'the stack grew' : e.outcome}`;
    case 'set': return `#${e.at} set ${e.name}=${e.value}`;
    case 'exit': return `#${e.at} the process ended: ${e.how}`;
  }
}

/**
 * One paragraph per event, for the events at indexes [from, to). When there are many, all but the
 * last `full` get one line each.
 */
export function explainEvents(m: Machine, from: number, to: number, full = 3): string[] {
  const out: string[] = [];
  const ev = m.events;
  const firstFull = Math.max(from, to - full);
  if (firstFull > from) {
    const listFrom = Math.max(from, firstFull - 8);
    out.push(`${to - from} crossings and observations; the last ${to - firstFull} are explained below.`);
    if (listFrom > from) {
      const counts = new Map<string, number>();
      for (let i = from; i < listFrom; i++) counts.set(ev[i].kind, (counts.get(ev[i].kind) ?? 0) + 1);
      out.push(`#${ev[from].at}..#${ev[listFrom - 1].at}: ${[...counts].map(([k, n]) => `${n} ${KIND_NAMES[k] ?? k}`).join(', ')}`);
    }
    for (let i = listFrom; i < firstFull; i++) out.push(brief(m, ev[i]));
  }
  for (let i = firstFull; i < to; i++) {
    const e = ev[i];
    switch (e.kind) {
      case 'syscall': {
        const ret = e.int80 ? e.insnAddr + 2 : toAddr(e.rcx);
        const head = e.int80
          ? `int $0x80: eax=${e.nr} selected the i386 table's ${e.name} (the 32-bit gate, open to 64-bit programs on a kernel with IA32 emulation; arguments in ebx, ecx, edx, esi, edi, ebp, cut to 32 bits). The CPU pushed rip, rflags and rsp and entered the kernel through IDT entry 0x80 (entry_INT80_compat).`
          : `syscall: rax=${e.nr} selected sys_${e.name}. The CPU saved the return address ${where(m, toAddr(e.rcx))} in rcx and rflags ${hb(e.r11)} in r11, switched to ring 0 and jumped to the kernel's entry (entry_SYSCALL_64, from MSR_LSTAR).`;
        const back = e.int80 ? `iret returned to user mode at ${where(m, ret)}, every register but rax as it was` : `sysret put rcx back into rip and r11 back into rflags: user mode again at ${where(m, ret)}`;
        if (e.name === 'exit_group' || e.name === 'exit') {
          out.push(`${head} The kernel ran ${e.call}: the process is gone; there is no return to user mode.`);
        } else if (e.restarted) {
          out.push(`${head} The kernel ran ${e.call}: no input yet. Linux would put the process to sleep; colonel restarts the syscall instead (rip back on the ${e.int80 ? 'int $0x80' : 'syscall'} instruction, rax = ${e.nr} again) and waits for you: type \`input TEXT\` or \`eof\`.`);
        } else {
          out.push(`${head} The kernel ran ${e.call} = ${e.resultText} and left the result in rax; ${back}.${e.note && e.note.length < 80 ? ` (colonel's ${e.name}: ${e.note}.)` : ''}`);
        }
        break;
      }
      case 'vsyscall': {
        const slot = (e.addr - VSYSCALL_ADDR) >> 10;
        out.push(`vsyscall: fetching the instruction at ${h(e.addr)} (the legacy vsyscall page, slot ${slot}: ${e.name}) raised a page fault (#PF, ${pfErrText(e.errorCode)}). The page is never executed: the kernel's fault handler saw a fetch at a slot start and called emulate_vsyscall(), which ran sys_${e.name}(${e.args.slice(0, e.name === 'time' ? 1 : e.name === 'getcpu' ? 3 : 2).map((a) => (a === 0 ? 'NULL' : h(a))).join(', ')}) = ${e.result} into rax, then emulated the slot's ret: rip = [rsp] = ${where(m, e.retAddr)}, rsp += 8. No syscall instruction ran.`);
        break;
      }
      case 'vdso':
        out.push(`call entered the vDSO at ${e.symbol} (${h(e.addr)}), from ${where(m, e.from)}. This is code the kernel mapped into the process ([vdso], r-xp) and it runs in user mode: no syscall, no switch to the kernel. It reads the kernel's data from [vvar], the read-only page just below it, which the kernel rewrites on every timer tick (update_vsyscall).`);
        break;
      case 'vvar': {
        const off = e.addr - (m.kernel.vdsoBase - VVAR_SIZE);
        let text = `load from [vvar]+0x${off.toString(16)}: vvar.${e.field} = ${e.value}.`;
        if (e.field === 'seq') {
          const reads = seqReads(ev, i + 1);
          if (reads.length <= 1) text += ` ${e.value & 1n ? 'Odd: the kernel is in the middle of an update, so the reader must retry.' : 'Even: no update in progress. The reader keeps this value and checks seq again after reading the data (a seqlock).'}`;
          else text += reads[reads.length - 2] === Number(e.value) ? ` Unchanged since the first read (${reads[reads.length - 2]}): no tick wrote the page in between, so the values read are consistent.` : ` It changed (${reads[reads.length - 2]} -> ${e.value}): update_vsyscall ran in between, so the reader starts over.`;
        } else text += ` ${e.doc}`;
        out.push(text);
        break;
      }
      case 'rdtsc':
        out.push(`rdtsc read the time-stamp counter: ${e.value} cycles. colonel's TSC is virtual (it counts retired instructions, ${m.kernel.tk.cyclesPerInstruction} cycle each at ${m.kernel.tk.tscHz / 1e9} GHz), so every run reads the same values. The vDSO turns cycles since vvar.cycle_last into nanoseconds with vvar.mult and vvar.shift.`);
        break;
      case 'vdso-return': {
        const reads = seqReads(ev, i);
        const seq = reads.length ? ` It read seq ${reads.join(', then ')}.` : '';
        out.push(`ret left the vDSO (${e.symbol}) back to ${where(m, e.to)} with rax = ${e.rax} (${hb(e.rax)}). The whole call stayed in user mode.${seq}`);
        break;
      }
      case 'tick':
        out.push(`timer tick (HZ=${HZ}, jiffies ${e.jiffies}): the kernel's tick handler advanced the timekeeper and ran update_vsyscall(): vvar.seq ${e.seqBefore} -> ${e.seqBefore + 1} (odd: write in progress) -> ${e.seqAfter} (even: done), with a new cycle_last, the basetime of every clock and vnotb = ${e.vnotb}. A vDSO reader that saw seq ${e.seqBefore} and now sees ${e.seqAfter} retries.`);
        break;
      case 'set':
        out.push(`set ${e.name}=${e.value}: the kernel stored the parameter and ran update_vsyscall(): vvar.seq ${e.seqBefore} -> ${e.seqAfter}, vvar.${e.name} = ${e.value}. The vDSO will return it without a syscall. (Recorded at #${e.at}: going back before this point and forward again applies it again here.)`);
        break;
      case 'fault':
        if (e.outcome === 'grown') out.push(`page fault at ${h(e.addr)} (${pfErrText(e.errorCode)}), just below [stack]: the kernel grew the stack VMA down over it and restarted the instruction at ${where(m, e.rip)}.`);
        else if (e.outcome === 'fatal') out.push(`fault (vector ${e.vector}) at ${where(m, e.rip)}: the kernel could not fix it and killed the process with a signal. ${e.text}`);
        else out.push(`fault (vector ${e.vector}) at ${where(m, e.rip)}, handled by the kernel.`);
        break;
      case 'exit':
        out.push(`the process ended: ${e.how}.`);
        break;
    }
  }
  return out;
}

/** Where a call or jump at d would go (null for other instructions or an unreadable target). */
export function branchTarget(m: Machine, d: Insn): number | null {
  const flow = d.row.flow;
  if (flow !== 'call' && flow !== 'jump') return null;
  if (d.row.operands.some((o) => o.startsWith('rel'))) return d.target;
  const c = m.kernel.cpu;
  if (d.mod3) return toAddr(c.get(d.rm));
  const ea = effectiveAddress(c, d);
  if (ea === null) return null;
  const v = peek64(m.kernel.mem, ea);
  return v === null ? null : toAddr(v);
}

/** What the instruction at rip is about to do, when it is a crossing or touches vvar; else []. */
export function explainNext(m: Machine): string[] {
  const k = m.kernel, c = k.cpu;
  if (k.exit) return [];
  const rip = c.rip;
  if (m.inVsyscall(rip)) {
    const slot = (rip - VSYSCALL_ADDR) >> 10;
    const ok = (rip & 0x3ff) === 0 && slot < VSYSCALL_SLOTS.length;
    return [ok
      ? `next: fetching the instruction at ${h(rip)} (vsyscall slot ${slot}: ${VSYSCALL_SLOTS[slot].name}) will fault: the page is execute-only for the kernel's bookkeeping (--xp in the maps) and not executable to the MMU. The kernel will emulate the call.`
      : `next: fetching at ${h(rip)} faults, and this is not the start of a vsyscall slot: the kernel will send SIGSEGV.`];
  }
  const d = decodeAt(k.mem, rip);
  if (!d) return [];
  if (d.row.id === 'syscall') {
    const nr = Number(c.get(Reg.RAX));
    const row = SYSCALLS[nr];
    const args = [Reg.RDI, Reg.RSI, Reg.RDX, Reg.R10, Reg.R8, Reg.R9].map((r) => c.getS(r));
    return [`next: syscall with rax=${nr}: ${formatCall(k, row, nr, args)}${row ? '' : ' (colonel has no such syscall: -ENOSYS)'}. Arguments go in rdi, rsi, rdx, r10, r8, r9. The CPU will save rip in rcx and rflags in r11 and enter the kernel.`];
  }
  if (d.row.id === 'int_imm8' && (d.imm & 0xff) === 0x80 && k.options.ia32) {
    const nr = c.r32[2 * Reg.RAX];
    const name = i386Name(nr);
    return [`next: int $0x80 with eax=${nr}: the 32-bit syscall gate, the i386 table (${name ? `${name}, arguments in ebx, ecx, edx, esi, edi, ebp cut to 32 bits` : 'a call colonel does not implement: -ENOSYS'}). The CPU will push rip, rflags and rsp and enter the kernel through IDT entry 0x80.`];
  }
  if (d.row.id === 'rdtsc' || d.row.id === 'rdtscp') return ['next: rdtsc reads the time-stamp counter into edx:eax, in user mode.'];
  const t = branchTarget(m, d);
  if (t !== null && d.row.flow === 'call') {
    if (m.inVdso(t)) return [`next: ${d.row.mnemonic} ${where(m, t)}: a call into the vDSO, the kernel's code in this process. It will run in user mode.`];
    if (m.inVsyscall(t)) return [`next: call ${h(t)}: into the legacy vsyscall page. The call itself works; the fetch at the target will fault and the kernel will emulate the function.`];
  }
  const ea = effectiveAddress(c, d);
  if (ea !== null && m.inVvar(ea)) {
    const f = fieldAt(ea - (k.vdsoBase - VVAR_SIZE));
    if (f) return [`next: a load from [vvar]: vvar.${f.name} = ${readVvar(k, f.offset, f.size, f.signed)} right now.`];
  }
  return [];
}
