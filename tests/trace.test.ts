// colonel trace (issue 5): strace for the three roads.
//
//  - syscall lines against native strace -f, live where strace runs and against the recordings in
//    fixtures/trace/expected everywhere, after tests/helpers/strace.ts normalize() (the differences by
//    design are listed there and in README.md);
//  - -c totals against programs that count their own calls (fixtures/trace/counts);
//  - --json: every line parses and carries the same events as the text;
//  - the vDSO's nested fallback, -e filters, -k stacks, -T/-i/-t, the cost model's order;
//  - the command line: --insns, colour, and bad input (one line, status 2, before the guest runs).

import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadManifest, runUnderColonel, type FixtureCase } from './helpers/fixtures.js';
import { traceUnderColonel, straceNative, normalize, HAVE_STRACE } from './helpers/strace.js';
import { TraceFilter, FilterError } from '../kernel/trace/filter.js';
import { quoteBytes, quoteBuffer, quoteCString } from '../kernel/trace/quote.js';
import { xflags, OPEN_FLAGS, MAP_FLAGS } from '../kernel/trace/xlat.js';
import { sigsetText } from '../kernel/trace/kinds.js';
import { SYSCALL_ENTRY_EXIT, SYSCALL_DISPATCH, VSYSCALL_EMULATION, RDTSC } from '../kernel/trace/costs.js';
import { parseInsnSpec, InsnSpecError } from '../lib/insntrace.js';
import { createProcess } from '../lib/api.js';
import { vdsoFunctions } from '../kernel/trace/vdsosyms.js';
import { vdsoSignature } from '../kernel/trace/tracer.js';
import { vdso } from '../kernel/vdso/vdso.js';
import { splitTraceArgs } from '../lib/trace.js';
import { symbols as elfSymbols } from '../kernel/elf/elf.js';

const CASES = loadManifest('fixtures/trace/manifest.json');
const CLI = 'dist/lib/cli.js';
const HAVE_CLI = fs.existsSync(CLI);

/** A case with its $SCRATCH argument made real (a fresh directory), and the cleanup. */
function withScratch(c: FixtureCase): { c: FixtureCase; scratch: string; reset(): void; done(): void } {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'colonel-trace-'));
  return {
    c: { ...c, args: c.args.map((a) => a.replace('$SCRATCH', scratch)) },
    scratch,
    reset: () => { fs.rmSync(scratch, { recursive: true, force: true }); fs.mkdirSync(scratch); },
    done: () => fs.rmSync(scratch, { recursive: true, force: true }),
  };
}

const byName = (name: string) => CASES.find((c) => c.name === name)!;

function cli(args: string[], opts: { env?: Record<string, string> } = {}) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...opts.env } });
}

// ---- strace agreement ----

t.test('syscall lines match native strace -f line for line (normalized)', async (t) => {
  for (const c0 of CASES) {
    t.test(c0.name, async (t) => {
      const s = withScratch(c0);
      try {
        const colonel = normalize(traceUnderColonel(s.c).text.split(s.scratch).join('$SCRATCH'));
        const recorded = normalize(fs.readFileSync(`fixtures/trace/expected/${c0.name}.strace`, 'utf8'));
        t.same(colonel, recorded, 'as the recorded native strace');
        if (HAVE_STRACE) {
          s.reset();
          const native = normalize(straceNative(s.c).text.split(s.scratch).join('$SCRATCH'));
          t.same(colonel, native, 'as strace -f now');
        }
      } finally {
        s.done();
      }
    });
  }
});

// ---- signals: the --- lines, the +++ line and interrupted calls, against strace on fixtures/signals ----

/** The lines strace writes about signals: `--- SIG {siginfo} ---`, `+++ ... +++`, and `= ? ERESTART...`. */
function signalLines(text: string): string[] {
  return normalize(text).filter((l) => l.startsWith('--- ') || l.startsWith('+++ ') || / = \? ERESTART/.test(l) || l.startsWith('nanosleep('));
}

const SIGNAL_CASES = (JSON.parse(fs.readFileSync('fixtures/signals/cases.json', 'utf8')) as (FixtureCase & { vsyscall?: 'xonly' | 'emulate' | 'none' })[])
  .filter((c) => fs.existsSync(`fixtures/signals/expected/${c.name}.strace`));

t.test('signals as strace shows them: siginfo by si_code class, restart codes, the end', async (t) => {
  t.ok(SIGNAL_CASES.length >= 10, 'recordings of fixtures/signals');
  for (const c0 of SIGNAL_CASES) {
    t.test(c0.name, async (t) => {
      const c: FixtureCase = { ...c0, env: {}, expect: '' };
      const colonel = signalLines(traceUnderColonel(c, { vsyscall: c0.vsyscall }).text);
      t.same(colonel, signalLines(fs.readFileSync(`fixtures/signals/expected/${c0.name}.strace`, 'utf8')), 'as the recorded native strace');
      if (HAVE_STRACE && (!c0.vsyscall || c0.vsyscall === hostVsyscall())) t.same(colonel, signalLines(straceNative(c).text), 'as strace -f now');
    });
  }
  // Whole traces of the musl programs (glibc's start-up and vsys's CPU list depend on the host), less
  // what is the host's: rt_sigreturn returns the interrupted rax (a loop counter, an address, a pid),
  // and the host's CPUs are not colonel's one (sched_getaffinity).
  const whole = (text: string) => normalize(text)
    .filter((l) => !l.startsWith('sched_getaffinity('))
    .map((l) => l.replace(/^(rt_sigreturn\(.*\) =) (?!-1 E)-?\d+$/, '$1 RAX').replace(/^(process_vm_(?:readv|writev)|rt_sigqueueinfo|rt_tgsigqueueinfo)\(\d+,/, '$1(PID,'));
  for (const c0 of SIGNAL_CASES.filter((c) => !c.name.includes('glibc') && !c.name.startsWith('vsys'))) {
    const c: FixtureCase = { ...c0, env: {}, expect: '' };
    t.same(whole(traceUnderColonel(c).text), whole(fs.readFileSync(`fixtures/signals/expected/${c0.name}.strace`, 'utf8')), `${c0.name}: the whole trace as the recorded native strace`);
  }
  // The classes, each as print_si_info prints it.
  const timers = traceUnderColonel({ name: 'timers', binary: 'fixtures/signals/timers', args: [], env: {}, expect: '' }).text;
  t.match(timers, /^--- SIGALRM \{si_signo=SIGALRM, si_code=SI_KERNEL\} ---$/m, 'a timer: SI_KERNEL, no pid or uid');
  t.match(timers, /^--- SIGUSR1 \{si_signo=SIGUSR1, si_code=SI_TKILL, si_pid=1000, si_uid=0\} ---$/m, 'tkill: SI_TKILL with the sender');
  t.match(timers, /^pause\(\) += \? ERESTARTNOHAND \(To be restarted if no handler\)$/m, 'pause interrupted');
  t.match(timers, /^nanosleep\(\{tv_sec=5, tv_nsec=0\}, \{tv_sec=4, tv_nsec=\d+\}\) = \? ERESTART_RESTARTBLOCK \(Interrupted by signal\)$/m, 'nanosleep: the time left, printed only for a restart code');
  t.match(timers, /^read\(3, 0x[0-9a-f]+, 1\) += \? ERESTARTSYS \(To be restarted if SA_RESTART is set\)$/m, 'read of an empty pipe');
  t.notMatch(timers, /ERRNO_51\d/, 'no restart code as a plain errno');
  const faults = traceUnderColonel({ name: 'faults', binary: 'fixtures/signals/faults', args: [], env: {}, expect: '' }).text;
  t.match(faults, /^--- SIGSEGV \{si_signo=SIGSEGV, si_code=SI_KERNEL, si_addr=NULL\} ---$/m, '#GP: SI_KERNEL with si_addr');
  t.match(faults, /^--- SIGTRAP \{si_signo=SIGTRAP, si_code=SI_KERNEL, si_addr=NULL\} ---$/m, 'int3: SI_KERNEL with si_addr');
  const frame = traceUnderColonel({ name: 'frame', binary: 'fixtures/signals/frame', args: [], env: {}, expect: '' }).text;
  t.match(frame, /^--- SIGRT_4 \{si_signo=SIGRT_4, si_code=SI_QUEUE, si_pid=1000, si_uid=0, si_int=42, si_ptr=0x2a\} ---$/m, 'sigqueue: SI_QUEUE with si_value');
  const json = traceUnderColonel({ name: 'timers', binary: 'fixtures/signals/timers', args: [], env: {}, expect: '' }).json.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const paused = json.find((o) => o.type === 'call' && o.name === 'pause');
  t.same([paused.result, paused.errno, paused.result_text], [-514, 'ERESTARTNOHAND', '? ERESTARTNOHAND (To be restarted if no handler)'], '--json: the restart code');
});

/** The host's vsyscall= mode, from its own maps line. */
function hostVsyscall(): string {
  const m = fs.readFileSync('/proc/self/maps', 'utf8').split('\n').find((l) => l.endsWith('[vsyscall]'));
  return m ? (m.split(/\s+/)[1].startsWith('r') ? 'emulate' : 'xonly') : 'none';
}

// ---- int $0x80: the i386 table from 64-bit code, and strace's personality notices ----

t.test('int $0x80 runs i386 syscalls; trace names them and notes the switch as strace does', async (t) => {
  const INT80 = 'fixtures/trace/int80';
  const r = runUnderColonel({ name: 'int80', binary: INT80, args: [], env: {}, expect: '' });
  t.equal(r.stdout, 'hello\nok\n', 'write (4) through int $0x80; -ENOSYS sign-extended in rax and r8 preserved ("ok")');
  t.equal(r.status, 7, 'exit (1) with ebx');
  t.same(r.diagnostics, ['colonel: unknown i386 syscall 30583 (int $0x80), returning -ENOSYS'], 'an unknown call: one line');
  const off = runUnderColonel({ name: 'int80', binary: INT80, args: [], env: {}, expect: '' }, { ia32: false });
  t.equal(off.status, 139, 'without IA32 emulation the gate is closed: #GP, SIGSEGV');
  const traced = traceUnderColonel({ name: 'int80', binary: INT80, args: [], env: {}, expect: '' });
  t.match(traced.text, /^getpid\(\) += 1000\nwrite\(1, "hello\\n", 6\) += 6\nread\(0, "", 0\) += 0\nsyscall_0x7777\(0, 0x[0-9a-f]+, 0, 0, 0, 0\) = -1 ENOSYS/m, 'i386 names and registers');
  t.notMatch(traced.text, /Process PID/, 'as strace -o: the notices are not in the trace');
  const json = traced.json.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  t.same(json.filter((o) => o.type === 'personality').map((o) => o.bits), [32, 64, 32], '--json: personality objects');
  t.same(json.filter((o) => o.type === 'call').map((o) => `${o.name}/${o.nr}`), ['execve/59', 'getpid/20', 'write/4', 'read/3', 'syscall_0x7777/30583', 'write/1', 'exit/1'], 'i386 numbers for int $0x80 calls');
  if (HAVE_CLI) {
    const c = cli(['trace', INT80]);
    const notices = c.stderr.split('\n').filter((l) => l.startsWith('[ Process'));
    t.same(notices, ['[ Process PID=1000 runs in 32 bit mode. ]', '[ Process PID=1000 runs in 64 bit mode. ]', '[ Process PID=1000 runs in 32 bit mode. ]'], 'on stderr: into 32-bit mode, back, and again');
    t.match(c.stderr, /^\[ Process PID=1000 runs in 32 bit mode\. \]\ngetpid\(\)/m, 'before the first 32-bit call');
    const insns = cli(['trace', '--insns', INT80]);
    t.match(insns.stderr, /^ *40100f <_start\+0xf>: +cd 80 +int +0x80 +; rax=0x3e8\n\[ Process PID=1000 runs in 32 bit mode\. \]\ngetpid\(\) += 1000$/m, '--insns: int $0x80 retires, then its call');
    // The other traps complete their instruction too: int3 and int $3 retire before their SIGTRAP.
    const syms = elfSymbols(fs.readFileSync('fixtures/signals/faults'));
    const at = (name: string) => '0x' + syms.find((x) => x.name === name)!.value.toString(16);
    const traps = cli(['trace', `--insns=${at('int3short_at')}-${at('int3long_resume')}`, '-e', 'trace=none', 'fixtures/signals/faults']).stderr;
    t.match(traps, /<int3short_at>: +cc +int3 .*\n--- SIGTRAP \{si_signo=SIGTRAP, si_code=SI_KERNEL, si_addr=NULL\} ---\n/, 'int3 retires');
    t.match(traps, /<int3long_at>: +cd 03 +int +0x3 .*\n--- SIGTRAP /, 'int $3 retires');
    if (HAVE_STRACE) {
      const native = spawnSync('strace', [INT80], { encoding: 'utf8' });
      const mine = c.stderr.split('\n').filter((l) => !l.startsWith('colonel: ')).join('\n');
      t.same(normalize(mine), normalize(native.stderr), 'as native strace (no -o) shows it');
    }
  }
});

// ---- counts: -c against the program's own count ----

function ownCounts(stdout: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of stdout.trim().split('\n')) {
    const [road, name, n] = line.split(' ');
    m.set(`${road} ${name}`, Number(n));
  }
  return m;
}

t.test('-c totals equal the calls the program made, by road', async (t) => {
  for (const n of [12, 200]) {
    const r = traceUnderColonel({ ...byName('counts'), args: [String(n)] });
    const own = ownCounts(r.stdout);
    const rows = new Map(r.summaryRows.map((x) => [`${x.road} ${x.name}`, x]));
    const calls = (k: string) => rows.get(k)?.calls ?? 0;
    // musl builds clock_gettime, gettimeofday and time on __vdso_clock_gettime.
    const viaCgt = own.get('vdso clock_gettime')! + own.get('vdso gettimeofday')! + own.get('vdso time')! +
      own.get('vdso clock_gettime_cputime')! + own.get('vdso clock_gettime_bad')!;
    t.equal(calls('vdso __vdso_clock_gettime'), viaCgt, `n=${n}: __vdso_clock_gettime`);
    for (const f of ['__vdso_getcpu', '__vdso_time', '__vdso_clock_getres', '__vdso_number_of_the_beast']) {
      t.equal(calls(`vdso ${f}`), own.get(`vdso ${f}`), `n=${n}: ${f}`);
    }
    for (const f of ['time', 'gettimeofday', 'getcpu']) t.equal(calls(`vsyscall ${f}`), own.get(`vsyscall ${f}`), `n=${n}: vsyscall ${f}`);
    t.equal(calls('syscall getppid'), own.get('syscall getppid'), `n=${n}: getppid`);
    t.equal(calls('syscall close'), own.get('syscall close'), `n=${n}: close`);
    t.equal(rows.get('syscall close')?.errors, own.get('syscall close'), 'every close(-1) is an error');
    // The fallbacks the vDSO made: CPU-time clocks and the bad clock are syscalls inside vDSO calls.
    t.equal(calls('syscall clock_gettime'), own.get('vdso clock_gettime_cputime')! + own.get('vdso clock_gettime_bad')!, 'nested fallback syscalls');
    t.equal(rows.get('vdso __vdso_clock_gettime')?.errors, own.get('vdso clock_gettime_bad'), 'the bad clock is the vDSO call that failed');
    t.match(r.summary, /^% cost\s+cycles/, 'the table has its header');
  }
});

t.test('-c without a vDSO: libc falls back to the syscall, and the count moves road', async (t) => {
  const r = traceUnderColonel(byName('counts'), { vdso: false });
  const own = ownCounts(r.stdout);
  const rows = new Map(r.summaryRows.map((x) => [`${x.road} ${x.name}`, x.calls]));
  t.notOk([...rows.keys()].some((k) => k.startsWith('vdso ')), 'no vDSO calls');
  const viaCgt = own.get('vdso clock_gettime')! + own.get('vdso gettimeofday')! + own.get('vdso time')! +
    own.get('vdso clock_gettime_cputime')! + own.get('vdso clock_gettime_bad')!;
  t.equal(rows.get('syscall clock_gettime'), viaCgt, 'every clock read is a clock_gettime syscall');
  t.equal(rows.get('vsyscall time'), own.get('vsyscall time'), 'the vsyscall page does not need the vDSO');
});

t.test('the cost model puts the vDSO below the syscall and the emulated vsyscall above it', async (t) => {
  const r = traceUnderColonel(byName('counts'));
  const per = (k: string) => { const x = r.summaryRows.find((y) => `${y.road} ${y.name}` === k)!; return x.cycles / x.calls; };
  t.ok(per('vdso __vdso_getcpu') < per('syscall getppid'), 'vDSO getcpu < a syscall');
  t.ok(per('syscall getppid') < per('vsyscall time'), 'a syscall < an emulated vsyscall');
  t.equal(per('syscall getppid'), SYSCALL_ENTRY_EXIT + SYSCALL_DISPATCH, 'syscall = entry/exit + dispatch');
  t.equal(per('vsyscall time'), VSYSCALL_EMULATION, 'vsyscall = its measured emulation');
  const cgt = r.summaryRows.find((y) => y.name === '__vdso_clock_gettime')!;
  t.ok(cgt.cycles / cgt.calls > RDTSC && cgt.cycles / cgt.calls < SYSCALL_ENTRY_EXIT, 'a vDSO clock read costs its instructions and an rdtsc');
});

// ---- the vDSO and vsyscall lines ----

t.test('vDSO and vsyscall calls appear, marked by road, with the fallback nested', async (t) => {
  const { text } = traceUnderColonel({ ...byName('counts'), args: ['2'] });
  t.match(text, /^\[vdso\] __vdso_clock_gettime\(CLOCK_MONOTONIC, \{tv_sec=\d+, tv_nsec=\d+\}\) += 0$/m, 'a vDSO clock read');
  t.match(text, /^\[vdso\] __vdso_number_of_the_beast\(\) += 666$/m, 'the seed function, found by the image\'s symbols');
  t.match(text, /^\[vsyscall\] time\(NULL\) += \d+ \(\d{4}-/m, 'the vsyscall time slot');
  t.match(text, /^\[vsyscall\] getcpu\(\[0\], \[0\], NULL\) += 0$/m, 'the vsyscall getcpu slot');
  const nested = /^\[vdso\] __vdso_clock_gettime\(CLOCK_PROCESS_CPUTIME_ID, {2}<unfinished \.\.\.>\n {2}clock_gettime\(CLOCK_PROCESS_CPUTIME_ID, \{tv_sec=0, tv_nsec=\d+\}\) += 0\n\[vdso\] <\.\.\. __vdso_clock_gettime resumed>\{tv_sec=0, tv_nsec=\d+\}\) += 0$/m;
  t.match(text, nested, 'the fallback syscall sits inside its vDSO call');
  t.match(text, /^\[vdso\] <\.\.\. __vdso_clock_gettime resumed>0x[0-9a-f]+\) += -1 EINVAL \(Invalid argument\)$/m, 'a failed fallback fails the vDSO call');
});

t.test('vDSO entry points come from the mapped image\'s own symbol table', async (t) => {
  const k = createProcess('fixtures/core/hello', { argv: ['hello'], env: {} }).kernel;
  const fns = vdsoFunctions(k);
  t.same(fns.map((f) => f.name).sort(), vdso.symbols.filter((s) => s.binding === 'GLOBAL').map((s) => s.name).sort(), 'every exported function, by its strong name');
  t.ok(fns.every((f) => f.addr >= k.vdsoBase && f.addr < k.vdsoBase + vdso.mapSize), 'at the mapped base');
  // Rename a function in the mapped image's string table: the tracer sees the new name, so a function
  // added to the image needs no change in the tracer.
  const at = Buffer.from(vdso.bytes).indexOf('__vdso_getcpu\0');
  k.mem.poke(k.vdsoBase + at, new TextEncoder().encode('__vdso_getnew'));
  t.ok(vdsoFunctions(k).some((f) => f.name === '__vdso_getnew'), 'read from guest memory');
  t.same(vdsoSignature('__vdso_getnew').args.map((a) => a.name), ['rdi', 'rsi', 'rdx', 'rcx', 'r8', 'r9'], 'an unknown function: every argument register');
  t.same(vdsoSignature('__vdso_clock_gettime').args.map((a) => a.kind), ['clockid', 'timespec_out'], 'a syscall twin: the syscall row');
  const none = createProcess('fixtures/core/hello', { argv: ['hello'], env: {}, vdso: false }).kernel;
  t.same(vdsoFunctions(none), [], '--no-vdso: nothing to trace');
});

t.test('tracing does not change what the program sees', async (t) => {
  for (const name of ['counts', 'malloc', 'readfile_input']) {
    const c = byName(name);
    const plain = runUnderColonel(c);
    const traced = traceUnderColonel(c, { stacks: true });
    t.equal(traced.stdout, plain.stdout, `${name}: same stdout`);
    t.equal(traced.status, plain.status, `${name}: same status`);
  }
});

// ---- --json ----

t.test('--json: one object per line, the same events as the text', async (t) => {
  const r = traceUnderColonel({ ...byName('counts'), args: ['3'] }, { stacks: true });
  const events = r.json.trim().split('\n').map((l) => JSON.parse(l));
  const textLines = r.text.trim().split('\n').filter((l) => !l.startsWith(' > ') && !l.includes('<unfinished ...>'));
  t.equal(events.length, textLines.length, 'one event per printed line');
  events.forEach((e, i) => {
    const line = textLines[i];
    if (e.type === 'call') {
      const name = e.road === 'syscall' ? e.name : e.name;
      t.ok(line.includes(e.depth ? `<... ${name} resumed>` : name) || line.includes(name), `event ${i} (${e.name}) is line ${i}`);
      t.ok(line.endsWith(`= ${e.result_text}`), `event ${i}: the same result`);
      t.equal(typeof e.insns, 'number');
      t.match(e.rip, /^0x[0-9a-f]+$/);
      t.match(e.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
      if (!e.synthetic) t.ok(Array.isArray(e.stack), 'with -k, a stack');
    } else if (e.type === 'exit') {
      t.equal(line, `+++ exited with ${e.code} +++`);
    }
  });
  const first = events[0];
  t.same({ type: first.type, road: first.road, name: first.name, synthetic: first.synthetic }, { type: 'call', road: 'syscall', name: 'execve', synthetic: true });
  const vdso = events.find((e) => e.road === 'vdso' && e.name === '__vdso_clock_gettime');
  t.same(Object.keys(vdso).sort(), ['args', 'call_insns', 'cycles', 'depth', 'errno', 'insns', 'mono_ns', 'name', 'nr', 'parent', 'result', 'result_text', 'rip', 'road', 'seq', 'stack', 'time', 'type'].sort(), 'the documented fields');
  t.same(vdso.args.map((a: { name: string }) => a.name), ['clockid', 'tp'], 'argument names from the syscall row');
  const nested = events.find((e) => e.depth === 1);
  t.equal(events.find((e) => e.seq === nested.parent)?.name, '__vdso_clock_gettime', 'a nested syscall names its vDSO call');
  const failed = events.find((e) => e.name === 'close');
  t.same([failed.result, failed.errno], [-9, 'EBADF'], 'errors carry the errno name');
});

// ---- filters ----

t.test('-e trace=', async (t) => {
  const only = (filters: string[]) => traceUnderColonel({ ...byName('counts'), args: ['2'] }, { filters }).text.trim().split('\n');
  const vdso = only(['trace=%vdso']);
  t.ok(vdso.filter((l) => !l.startsWith('+++')).every((l) => l.startsWith('[vdso]')), '%vdso: only vDSO calls');
  const vs = only(['trace=%vsyscall']);
  t.ok(vs.filter((l) => !l.startsWith('+++')).every((l) => l.startsWith('[vsyscall]')) && vs.length > 1, '%vsyscall: only vsyscall calls');
  const time = only(['trace=time']);
  t.ok(time.some((l) => l.startsWith('[vsyscall] time(')) && time.some((l) => l.startsWith('[vdso] __vdso_time(')), 'a name selects it on every road');
  const not = only(['trace=!%vdso,%vsyscall']);
  t.ok(not.length > 3 && not.every((l) => !l.startsWith('[')), '! inverts the set');
  const clock = only(['trace=%clock']);
  t.ok(clock.some((l) => l.startsWith('[vdso] __vdso_clock_gettime')) && !clock.some((l) => l.startsWith('getppid')), '%clock includes the vDSO clock functions');
  const f = new TraceFilter();
  t.throws(() => f.add('trace=nosuch'), /unknown syscall 'nosuch'/, 'an unknown name');
  t.throws(() => new TraceFilter().add('trace=%nosuch'), /unknown class %nosuch/, 'an unknown class');
  t.throws(() => new TraceFilter().add('signal=SIGSEGV'), /only -e trace=/, 'an unsupported qualifier');
  t.ok(new FilterError('x') instanceof Error);
  t.doesNotThrow(() => new TraceFilter().add('trace=?nosuch,number_of_the_beast,__vdso_getcpu,open'), 'optional names, vDSO names, syscalls');
});

// ---- -k, -T, -i, -t ----

t.test('-k prints symbolised return addresses', async (t) => {
  const { text, json } = traceUnderColonel(byName('hello'), { stacks: true });
  const block = /^writev\(1, .*\n((?: > .*\n)+)/m.exec(text);
  t.ok(block, 'writev has a stack');
  const frames = block![1].split('\n').filter(Boolean);
  t.match(frames[0], /^ > \/.*fixtures\/core\/hello\((__stdio_write|writev)\+0x[0-9a-f]+\) \[0x[0-9a-f]+\]$/, 'innermost: the libc wrapper');
  t.ok(frames.some((f) => / > .*\(main\+0x[0-9a-f]+\)/.test(f)), 'main is on the stack');
  t.ok(frames.some((f) => /\(__libc_start_main|libc_start_main_stage2/.test(f)), 'so is libc start-up');
  const vd = traceUnderColonel({ ...byName('counts'), args: ['1'] }, { stacks: true }).text;
  t.match(vd, /^\[vdso\] __vdso_clock_gettime\(CLOCK_MONOTONIC.*\n > .*\((__clock_gettime|clock_gettime)\+0x[0-9a-f]+\)/m, 'a vDSO call\'s stack starts at its caller');
  t.ok(json.length > 0);
});

t.test('-T, -i and -t prefixes and suffixes', async (t) => {
  const r = traceUnderColonel(byName('hello_asm'), { cost: true, rip: true, timestamps: 2 });
  const lines = r.text.trim().split('\n');
  t.match(lines[1], /^\d\d:\d\d:\d\d\.\d{6} \[[0-9a-f]{16}\] write\(1, "Hello from assembly!\\n", \d+\) += \d+ <\d+ cycles>$/, 'write with -tt -i -T');
  t.match(lines[2], /^\d\d:\d\d:\d\d\.\d{6} \[[0-9a-f]{16}\] exit_group\(0\) += \? <\d+ cycles>$/);
  const ttt = traceUnderColonel(byName('hello_asm'), { timestamps: 3 }).text.split('\n')[1];
  t.match(ttt, /^1700000000\.\d{6} write\(/, '-ttt: seconds since the epoch of the virtual clock');
});

// ---- printers ----

t.test('strings and flags as strace prints them', async (t) => {
  const enc = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));
  t.equal(quoteBytes(enc('a"b\\c\t\n\r\v\f')), '"a\\"b\\\\c\\t\\n\\r\\v\\f"');
  t.equal(quoteBytes(enc('\x01\xff\x007')), '"\\1\\377\\0007"', 'octal: three digits before a digit');
  t.equal(quoteBuffer(enc('0123456789'), 10, 4), '"0123"...', 'cut at -s with an ellipsis');
  t.equal(quoteCString(enc('abc\0def'), 32), '"abc"');
  t.equal(quoteCString(enc('abcdef'), 3), '"abc"...');
  t.equal(xflags(OPEN_FLAGS, 0o2100000), 'O_LARGEFILE|O_CLOEXEC');
  t.equal(xflags(OPEN_FLAGS, 0o4010000), 'O_SYNC', 'a multi-bit name first');
  t.equal(xflags(MAP_FLAGS, 0x20 | 0x10), 'MAP_FIXED|MAP_ANONYMOUS');
  t.equal(xflags(MAP_FLAGS, 0x80000000, '0', 'MAP_???'), '0x80000000 /* MAP_??? */');
  t.equal(sigsetText(0n), '[]');
  t.equal(sigsetText((1n << 1n) | (1n << 14n)), '[INT TERM]');
  t.equal(sigsetText(~((1n << 31n) | (1n << 32n) | (1n << 33n)) & ((1n << 64n) - 1n)), '~[RTMIN RT_1 RT_2]');
});

// ---- the command line ----

t.test('argument splitting: everything after the program is the program\'s', async (t) => {
  t.same(splitTraceArgs(['-e', 'trace=open', '-s', '64', '-tt', 'prog', '-s', '7', '--json']), { options: ['-e', 'trace=open', '-s', '64', '-tt'], program: 'prog', programArgs: ['-s', '7', '--json'] });
  t.same(splitTraceArgs(['--insns=vdso', '-c', '--', '-weird-name', 'x']), { options: ['--insns=vdso', '-c'], program: '-weird-name', programArgs: ['x'] });
  t.same(splitTraceArgs(['-s32', '-o', 'f', 'p']), { options: ['-s32', '-o', 'f'], program: 'p', programArgs: [] });
});

t.test('--insns specifications', async (t) => {
  t.same(parseInsnSpec(''), { items: null });
  t.same(parseInsnSpec('vdso,main,401000-0x401010'), { items: [{ type: 'vdso' }, { type: 'symbol', name: 'main' }, { type: 'range', start: 0x401000, end: 0x401010 }] });
  t.same(parseInsnSpec('ffffffffff600000-ffffffffff601000'), { items: [{ type: 'range', start: -0xa00000, end: -0x9ff000 }] }, 'kernel-half addresses');
  for (const bad of ['10-5', 'zz-1', '1-2-3', 'a b']) t.throws(() => parseInsnSpec(bad), /bad range|is not vdso/, bad);
  t.ok(new InsnSpecError('x') instanceof Error);
});

t.test('bad input: one line, status 2, before the guest starts', { skip: !HAVE_CLI && 'dist/ not built' }, async (t) => {
  const cases: [string[], RegExp][] = [
    [['-e', 'trace=nosuch'], /unknown syscall 'nosuch'/],
    [['-e', 'trace=%nosuch'], /unknown class %nosuch/],
    [['--insns=10-5'], /bad range '10-5'/],
    [['--insns=zz-0x10'], /bad range/],
    [['--insns=no_such_symbol'], /no symbol 'no_such_symbol'/],
    [['-o', '/nonexistent-dir/trace.txt'], /-o \/nonexistent-dir\/trace.txt: No such file or directory/],
    [['-s', '-1'], /-s -1/],
    [['--color=sometimes'], /color/],
  ];
  for (const [opts, msg] of cases) {
    const r = cli(['trace', ...opts, 'fixtures/core/hello']);
    t.equal(r.status, 2, `${opts.join(' ')}: status 2`);
    t.equal(r.stdout, '', `${opts.join(' ')}: the guest did not run`);
    t.equal(r.stderr.trim().split('\n').length, 1, `${opts.join(' ')}: one line`);
    t.match(r.stderr, msg);
  }
  const missing = cli(['trace', 'fixtures/no-such-program']);
  t.equal(missing.status, 127, 'a missing program: 127, as run');
});

t.test('the command: stderr by default, -o FILE, colour rules, exit status', { skip: !HAVE_CLI && 'dist/ not built' }, async (t) => {
  const r = cli(['trace', 'fixtures/core/exitcode', '5']);
  t.equal(r.status, 5, 'the program\'s status');
  t.notMatch(r.stdout, /exit_group/, 'nothing on stdout but the program\'s output');
  t.match(r.stderr, /^exit_group\(5\) += \?$/m, 'the trace on stderr');
  t.notMatch(r.stderr, /\x1b\[/, 'no colour when stderr is not a terminal');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'colonel-trace-'));
  try {
    const file = path.join(dir, 'out');
    const o = cli(['trace', '-o', file, '--color=always', 'fixtures/core/hello']);
    t.equal(o.status, 0);
    t.notMatch(o.stderr, /writev/, '-o: nothing on stderr');
    t.match(fs.readFileSync(file, 'utf8'), /\x1b\[/, '--color=always colours even a file');
    cli(['trace', '-o', file, 'fixtures/core/hello'], { env: { NO_COLOR: '1' } });
    t.notMatch(fs.readFileSync(file, 'utf8'), /\x1b\[/, 'NO_COLOR');
    const j = cli(['trace', '--json', '-o', file, 'fixtures/core/hello']);
    t.equal(j.status, 0);
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    t.same(lines.at(-1), { ...lines.at(-1), type: 'exit', how: 'exited', status: 0 }, 'JSON ends with the exit event');
    const c = cli(['trace', '-c', '--json', '-o', file, 'fixtures/core/hello']);
    t.equal(c.status, 0);
    const summary = JSON.parse(fs.readFileSync(file, 'utf8').trim().split('\n').at(-1)!);
    t.equal(summary.type, 'summary', '-c --json: the summary as an object');
    const seg = cli(['trace', 'fixtures/core/fault_null']);
    t.equal(seg.status, 139);
    t.match(seg.stderr, /^--- SIGSEGV \{si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=NULL\} ---\n\+\+\+ killed by SIGSEGV \+\+\+$/m);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

t.test('--insns: every retired instruction, or a range of them', { skip: !HAVE_CLI && 'dist/ not built' }, async (t) => {
  const all = cli(['trace', '--insns', 'fixtures/core/hello_asm']);
  const insns = all.stderr.split('\n').filter((l) => /^ *[0-9a-f]+ <.*>:/.test(l));
  t.equal(insns.length, 8, 'hello_asm retires eight instructions (the last exit_group)');
  t.match(insns[0], /^ *401000 <_start>: +b8 01 00 00 00 +mov +eax,0x1 +; rax=0x1$/, 'address, symbol, bytes, objdump text, changes');
  t.match(all.stderr, /syscall *; rax=0x[0-9a-f]+ rcx=0x[0-9a-f]+ r11=0x[0-9a-f]+\nwrite\(1, /, 'the syscall instruction, then its trace line');
  const vd = cli(['trace', '--insns=vdso', '-e', 'trace=%vdso', 'fixtures/trace/counts', '1']);
  const lines = vd.stderr.split('\n').filter((l) => /^ *[0-9a-f]+ <.*>:/.test(l));
  t.ok(lines.length > 50, 'the vDSO\'s instructions');
  t.ok(lines.every((l) => /<__vdso_/.test(l)), 'only the vDSO\'s');
  t.match(vd.stderr, /ret +; rsp=0x[0-9a-f]+\n\[vdso\] __vdso_clock_gettime\(CLOCK_MONOTONIC/, 'the call line after its ret');
  t.equal(vd.status, 0);
  const sym = cli(['trace', '--insns=main', '-e', 'trace=none', 'fixtures/core/hello']);
  const m = sym.stderr.split('\n').filter((l) => /^ *[0-9a-f]+ <.*>:/.test(l));
  t.ok(m.length > 3 && m.every((l) => /<main(\+0x[0-9a-f]+)?>/.test(l)), '--insns=main: main\'s instructions, not its callees\'');
  t.equal(sym.stdout, 'Hello, world!\n', 'the program\'s output is untouched');
});

t.test('flock: the operation by name, as strace prints it', async (t) => {
  const { c, done } = withScratch({ name: 'flock', binary: 'fixtures/syscalls/flock', args: ['$SCRATCH'], env: {}, expect: '' });
  t.teardown(done);
  const lines = normalize(traceUnderColonel(c, { filters: ['trace=flock'] }).text).filter((l) => l.startsWith('flock('));
  t.match(lines[0], /^flock\(3, LOCK_EX\) = 0$/);
  t.ok(lines.some((l) => /^flock\(4, LOCK_SH\|LOCK_NB\) = -1 EAGAIN /.test(l)), 'flags joined with |');
  t.ok(lines.some((l) => /^flock\(4, LOCK_UN\) = 0$/.test(l)), 'LOCK_UN');
  if (HAVE_STRACE) {
    const native = normalize(straceNative(c).text).filter((l) => l.startsWith('flock('));
    t.same(lines, native, 'every flock line as native strace prints it');
  }
});
