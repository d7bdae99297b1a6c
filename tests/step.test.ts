// colonel step: scripted sessions over the seed's notb and a time program (the views they print),
// reverse stepping as a true state restore (full state digests), bad input, the command line, and
// the interactive view driven in a real terminal (a pty from script(1), read back through
// @xterm/headless; and tmux when it is installed).
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import xterm from '@xterm/headless';
import { createSession, runScript } from '../lib/step/index.js';
import { machineDigest } from '../lib/step/snapshot.js';
import type { Session } from '../lib/step/session.js';
import { VVAR_VNOTB, VVAR_SEQ } from '../kernel/vdso/datapage.js';
import { createProcess } from '../lib/api.js';

const NOTB = 'fixtures/vdso/notb';
const CLOCK = 'fixtures/step/clock';
const CLI = 'dist/lib/cli.js';

const session = (prog: string, args: string[] = [], extra: { stdin?: Uint8Array; interval?: number } = {}) => createSession(prog, [prog, ...args], { epochNs: 1_700_000_000_000_000_000n, ...extra });
const script = (s: Session, lines: string[]) => runScript(s, lines);
/** The output printed for the nth command of a script (after its `(colonel) cmd` line). */
function after(out: string, n: number): string {
  const parts = out.split(/\n\(colonel\) .*\n/);
  return parts[n] ?? '';
}
const digest = (s: Session) => machineDigest(s.kernel, new Set<object>([s.m.tape, s.m.pane, s.m.events, s.m.settings, s.m.diag]));

t.test("the seed's notb: from main into __vdso_number_of_the_beast, the load from vvar, 666", async (t) => {
  const out = script(session(NOTB), ['b main', 'c', 'until vdso', 'si', 'si', 'c']);
  t.notMatch(out, /\x1b\[/, 'plain text: no ANSI escapes');
  t.match(after(out, 1), /^Breakpoint 1 at 0x[0-9a-f]+ <main>/, 'b main');
  t.match(after(out, 2), /Breakpoint 1, 0x[0-9a-f]+ <main>/, 'c stops at main');
  const entry = after(out, 3);
  t.match(entry, /rip [0-9a-f]+ <__vdso_number_of_the_beast>/, 'until vdso stops at the vDSO function');
  t.match(entry, /=> +[0-9a-f]+ +mov +rax,QWORD PTR \[rip-0x[0-9a-f]+\] {2}# <vvar\.vnotb>/, 'the code pane shows the load from vvar, named');
  t.match(entry.replace(/\n/g, ' '), /call entered the vDSO at __vdso_number_of_the_beast .* runs in user mode: no syscall/, 'the entry is explained');
  t.match(entry.replace(/\n/g, ' '), /next: a load from \[vvar\]: vvar\.vnotb = 666/, 'and what comes next');
  const load = after(out, 4);
  t.match(load, new RegExp(`load from \\[vvar\\]\\+0x${VVAR_VNOTB.toString(16)}: vvar\\.vnotb = 666\\.`), 'the load from vvar, at the offset datapage.ts gives');
  t.match(load, /rax 0x000000000000029a\*/, 'rax holds 666 (0x29a), marked as changed');
  t.match(after(out, 5).replace(/\n/g, ' '), /ret left the vDSO \(__vdso_number_of_the_beast\) back to 0x[0-9a-f]+ <main\+0x[0-9a-f]+> with rax = 666/, 'the return to main');
  const end = after(out, 6);
  t.match(end, /His number is 666/, 'the output pane');
  t.match(end, /\[process exited with status 0\]/);
  t.match(end.replace(/\n/g, ' '), /sys_writev.*rcx.*r11/, 'the write syscall is explained');
});

t.test('set vnotb: update_vsyscall publishes it, and going back and forth replays it at the same point', async (t) => {
  const s = session(NOTB);
  const out = script(s, ['until vdso', 'set vnotb=42', 'si', 'rs 20', 'c']);
  t.match(after(out, 2).replace(/\n/g, ' '), /set vnotb=42: the kernel stored the parameter and ran update_vsyscall\(\): vvar\.seq 2 -> 4/, 'set explained');
  t.match(after(out, 3), /vvar\.vnotb = 42\./, 'the vDSO loads the new value');
  t.match(after(out, 5), /His number is 42/, 'replayed: the setting is made again at its instruction');
  const s2 = session(NOTB);
  const out2 = script(s2, ['until vdso', 'set vnotb=42', 'rs 10', 'set vnotb=7', 'c']);
  t.match(after(out2, 5), /His number is 7/, 'a setting made earlier replaces the recorded future');
});

t.test('a time program: a vDSO call (the seqlock and rdtsc), a syscall and a vsyscall, explained', async (t) => {
  const s = session(CLOCK);
  // Step through the vDSO call one instruction at a time (Enter repeats si) until it returns.
  const steps = ['until vdso', 'si'];
  let text = runScript(s, steps);
  for (let i = 0; i < 400 && !/ret left the vDSO/.test(text); i++) text += runScript(s, ['']).split('\n').slice(-200).join('\n');
  const out = text + runScript(s, ['until syscall', 'si', 'until vsyscall', 'si', 'c']);
  const flat = out.replace(/\n/g, ' ');
  t.match(flat, /call entered the vDSO at __vdso_clock_gettime/, 'musl calls __vdso_clock_gettime');
  t.match(flat, new RegExp(`load from \\[vvar\\]\\+0x${VVAR_SEQ.toString(16)}: vvar\\.seq = 2\\. Even: no update in progress`), 'the first seq read');
  t.match(flat, /rdtsc read the time-stamp counter: \d+ cycles/, 'rdtsc');
  t.match(flat, /vvar\.seq = 2\. Unchanged since the first read \(2\)/, 'the seqlock re-read');
  t.match(flat, /ret left the vDSO \(__vdso_clock_gettime\) back to .* The whole call stayed in user mode\. It read seq 2, then 2\./, 'the return');
  const n = out.split('\n(colonel) until syscall\n')[1].split('\n(colonel) ')[0].replace(/\n/g, ' ');
  t.match(n, /stopped before a syscall/, 'until syscall stops before the instruction');
  t.match(n, /=> +[0-9a-f]+ +syscall/, 'rip is on the syscall');
  t.match(n, /next: syscall with rax=228: clock_gettime\(CLOCK_REALTIME, 0x[0-9a-f]+\)\. .*The CPU will save rip in rcx and rflags in r11/, 'what it will do');
  const sc = out.split('\n(colonel) si\n').slice(-2)[0].split('\n(colonel) ')[0];
  t.match(sc.replace(/\n/g, ' '), /syscall: rax=228 selected sys_clock_gettime\. The CPU saved the return address 0x[0-9a-f]+ <syscall\+0x[0-9a-f]+> in rcx and rflags 0x[0-9a-f]+ in r11, switched to ring 0 .* The kernel ran clock_gettime\(CLOCK_REALTIME, \{tv_sec=1700000000, tv_nsec=\d+\}\) = 0/, 'the syscall explained, with its result');
  t.match(sc, /rcx 0x[0-9a-f]{16}\*/, 'rcx changed');
  const vs = out.split('\n(colonel) until vsyscall\n')[1].split('\n(colonel) ')[0].replace(/\n/g, ' ');
  t.match(vs, /next: fetching the instruction at 0xffffffffff600400 \(vsyscall slot 1: time\) will fault/, 'before the vsyscall fetch');
  const ve = out.split('\n(colonel) si\n').slice(-1)[0].split('\n(colonel) ')[0].replace(/\n/g, ' ');
  t.match(ve, /raised a page fault \(#PF, error code 0x15: .*instruction fetch, user mode\).*emulate_vsyscall\(\), which ran sys_time\(NULL\) = 1700000000 into rax, then emulated the slot's ret/, 'the emulation');
  t.match(after(out, out.split('\n(colonel) ').length - 1), /monotonic 0\.\d+ realtime 1700000000 vsyscall time 1700000000/, 'the program agrees');
});

t.test('a timer tick: update_vsyscall rewrites vvar under its seqlock', async (t) => {
  const out = script(session('fixtures/vdso/clockloop', ['1000000', 'vdso']), ['until tick', 'vvar']);
  t.match(after(out, 1).replace(/\n/g, ' '), /timer tick \(HZ=250, jiffies 1\): .*update_vsyscall\(\): vvar\.seq 2 -> 3 \(odd: write in progress\) -> 4 \(even: done\)/, 'the tick');
  t.match(after(out, 2), /^seq +4 +\(even: stable\)/m, 'vvar shows the new seq');
  t.match(after(out, 2), /^vnotb +666$/m);
});

t.test('reverse stepping 1,000 instructions and forward again reproduces every register and byte', async (t) => {
  const s = session('fixtures/core/sort', [], { interval: 4096 });
  // Run to just past the first write, so that the 1,000 instructions cross it.
  let guard = 0;
  do s.execute('until syscall'), s.execute('si');
  while (!/^writev?$/.test(s.m.events.filter((e) => e.kind === 'syscall').slice(-1)[0]?.name ?? '') && ++guard < 100);
  s.execute('si 400');
  const n = s.m.icount;
  const outAtN = s.m.pane.text();
  t.ok(outAtN.length > 0, 'the guest has written output');
  // The state 1,000 instructions earlier, from a second, never-reversed run.
  const ref = session('fixtures/core/sort', [], { interval: 4096 });
  ref.m.run({ stopAt: n - 1000 });
  const earlier = digest(ref);
  const now = digest(s);
  s.execute('rs 1000');
  t.equal(s.m.icount, n - 1000, 'rs 1000');
  t.equal(digest(s), earlier, 'every register, memory byte and kernel field as at #n-1000');
  t.same([...s.registers()], [...ref.registers()], 'registers, one by one');
  t.ok(s.m.pane.text().length < outAtN.length, 'the output written in between is withdrawn');
  s.execute('si 1000');
  t.equal(s.m.icount, n);
  t.equal(digest(s), now, 'and forward again: the same state as before going back');
  t.equal(s.m.pane.text(), outAtN, 'the output is written again, once');
  s.execute('rs 1000');
  s.m.run({ stopAt: n });
  t.equal(digest(s), now, 'forward at full speed gives the same state too');
  // Random round trips over the whole run.
  s.m.run({});
  const points: [number, string][] = [];
  const fresh = session('fixtures/core/sort', [], { interval: 4096 });
  for (let at = 0; !fresh.kernel.exit; at += 37_001) {
    fresh.m.run({ stopAt: at });
    points.push([fresh.m.icount, digest(fresh)]);
  }
  for (const [at, d] of points.reverse().filter((_, i) => i % 7 === 0)) {
    t.equal(s.m.land(at), null, `land at #${at}: no divergence`);
    t.equal(digest(s), d, `#${at} restored exactly`);
  }
});

t.test('rc goes back to the last breakpoint reached; Enter repeats', async (t) => {
  const out = script(session(NOTB), ['b main', 'c', 'until vdso', 'rc', 'si', '', 'rc']);
  t.match(after(out, 4), /Breakpoint reached at #\d+/);
  t.match(after(out, 4), /rip [0-9a-f]+ <main>/, 'back at main');
  t.match(after(out, 6), /#\d+ · .* · rip [0-9a-f]+ <main\+0x[0-9a-f]+>/, 'Enter repeated si');
  t.match(after(out, 7), /Breakpoint reached at #\d+|back at the start/);
});

t.test('bad input is a one-line message and the session goes on', async (t) => {
  const out = script(session(NOTB), ['frobnicate', 'b no_such_symbol', 'b 0x10', 'b 0x400000', 'x/4x 0x10', 'until nowhere', 'set answer=42', 'si zero', 'info nothing', 'delete 9', 'si']);
  const msgs = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((i) => after(out, i).trim());
  t.match(msgs[0], /^unknown command "frobnicate" \(\? lists the commands\)$/);
  t.match(msgs[1], /^no symbol "no_such_symbol"/);
  t.match(msgs[2], /^breakpoint at 0x10 can never hit: no mapping holds that address/);
  t.match(msgs[3], /^breakpoint at 0x400000 can never hit: .* is not executable/);
  t.match(msgs[4], /^Cannot access memory at address 0x10$/);
  t.match(msgs[5], /^until: "nowhere" is not a crossing/);
  t.match(msgs[6], /^set answer: unknown kernel parameter/);
  t.match(msgs[7], /^si takes a positive count/);
  t.match(msgs[8], /^info what\?/);
  t.match(msgs[9], /^No breakpoint number 9$/);
  for (const m of msgs) t.equal(m.split('\n').length, 1, `one line: ${m.slice(0, 40)}`);
  t.match(after(out, 11), /colonel step · notb · #1 ·/, 'the session went on');
});

t.test('info registers as gdb prints them; x; info maps', async (t) => {
  const out = script(session(NOTB), ['until vdso', 'info registers', 'info registers rip', 'x/2gx $rsp', 'x/2i $rip', 'info maps']);
  t.match(after(out, 2), /^rax {12}(0x[0-9a-f]+) +\d+$/m);
  t.match(after(out, 2), /^rcx {12}0x0 {16}0$/m, "gdb's columns: %-15s%-19s%s");
  t.match(after(out, 2), /^rip {12}0x[0-9a-f]+ +0x[0-9a-f]+ <__vdso_number_of_the_beast>$/m);
  t.match(after(out, 2), /^eflags {9}0x[0-9a-f]+ +\[ [A-Z ]+ \]$/m);
  t.equal(after(out, 3).split('\n').filter((l) => l.startsWith('rip')).length, 1);
  t.match(after(out, 4), /^0x7f[0-9a-f]+:\t0x[0-9a-f]{16}\t0x[0-9a-f]{16}$/m);
  t.match(after(out, 5), /^=> 0x[0-9a-f]+ <__vdso_number_of_the_beast>:\tmov +rax,QWORD PTR \[rip\+0x[0-9a-f]+\]/m);
  t.match(after(out, 6), /\[vvar\] +\(kernel data, read-only: update_vsyscall\(\) writes it, the vDSO reads it\)/);
  t.match(after(out, 6), /\[vdso\] +\(the kernel's code, run in user mode\)  <= rip/);
  t.match(after(out, 6), /\[vsyscall\] +\(legacy page: every fetch faults, the kernel emulates the call\)/);
});

t.test('the guest reads stdin from the input command; going back replays it without asking again', async (t) => {
  const out = script(session('fixtures/core/readfile', ['-']), ['c', 'input hello there', 'c', 'eof', 'c', 'rs 3000', 'c']);
  t.match(after(out, 1), /the program waits for input on stdin/);
  t.match(after(out, 5), /bytes 12 lines 1 words 2/);
  t.match(after(out, 7), /bytes 12 lines 1 words 2/, 'replayed from the recorded input');
  const pane = after(out, 7).split('── output (guest stdout and stderr)')[1];
  t.equal((pane.match(/bytes 12 lines/g) ?? []).length, 1, 'the output shown once');
});

t.test('the command line: --script, commands on stdin, a terminal too small', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'colonel-step-'));
  const file = path.join(dir, 'cmds');
  fs.writeFileSync(file, '# a handout\nuntil vdso\nsi\nq\n');
  const r = spawnSync('node', [CLI, 'step', NOTB, '--script', file], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /vvar\.vnotb = 666/);
  t.notMatch(r.stdout, /\x1b/);
  const r2 = spawnSync('node', [CLI, 'step', NOTB], { input: 'until vdso\n', encoding: 'utf8' });
  t.match(r2.stdout, /entered the vDSO: 0x[0-9a-f]+ <__vdso_number_of_the_beast>/, 'commands from stdin when it is not a terminal');
  const r3 = spawnSync('node', [CLI, 'step', NOTB, '--script', file, '--size', '60x20'], { encoding: 'utf8' });
  t.match(r3.stdout, /colonel step needs a terminal of at least 80x24;\nthis one is 60x20\./);
  const r4 = spawnSync('node', [CLI, 'step', 'fixtures/no/such', '--script', file], { encoding: 'utf8' });
  t.equal(r4.status, 127);
  t.match(r4.stderr, /^colonel: fixtures\/no\/such: No such file or directory\n$/);
  const r5 = spawnSync('node', [CLI, 'step', NOTB, '--script', file, '--size', '80x24'], { encoding: 'utf8' });
  const frame = r5.stdout.split('\n(colonel) si\n')[1].split('\n\n(colonel) ')[0].split('\n');
  t.equal(frame.length, 24, 'a fixed-size screen is 24 lines');
  t.ok(frame.every((l) => l.length <= 80), 'of at most 80 columns');
});

/** A terminal: colonel step in a pty (script(1)), its output fed to @xterm/headless. */
async function inPty(t: { fail(msg: string): void }, cols: number, rows: number, prog: string) {
  const term = new xterm.Terminal({ cols, rows, allowProposedApi: true });
  const child = spawn('script', ['-qfec', `stty cols ${cols} rows ${rows}; exec node ${CLI} step ${prog}`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdout.on('data', (d: Buffer) => term.write(d));
  const screen = () => {
    const b = term.buffer.active;
    return Array.from({ length: rows }, (_, i) => b.getLine(i)?.translateToString(true) ?? '').join('\n');
  };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const waitFor = async (re: RegExp, ms = 20000) => {
    for (const t0 = Date.now(); Date.now() - t0 < ms;) {
      await sleep(100);
      await new Promise<void>((r) => term.write('', r));
      if (re.test(screen())) return true;
    }
    t.fail(`the screen never showed ${re}:\n${screen()}`);
    return false;
  };
  const type = (s: string) => child.stdin.write(s);
  const done = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { term, screen, waitFor, type, done, child };
}

const hasScript = spawnSync('script', ['--version']).status === 0;

t.test('the interactive view in a real terminal (pty + @xterm/headless), 80x24', { skip: !hasScript && 'script(1) is missing' }, async (t) => {
  const p = await inPty(t, 80, 24, NOTB);
  await p.waitFor(/\(colonel\)/);
  const first = p.screen().split('\n');
  t.equal(first.length, 24);
  t.match(first[0], /colonel step · notb · #0/);
  p.type('until vdso\r');
  await p.waitFor(/entered the vDSO/);
  p.type('si\r');
  await p.waitFor(/vvar\.vnotb = 666/);
  const sc = p.screen();
  t.match(sc, /=> 7f[0-9a-f]+ +ret/, 'rip moved to the ret');
  t.match(sc, /── explanation ─/);
  t.match(sc, /── output \(guest stdout and stderr\) ─/);
  // The changed register is highlighted (yellow), unchanged ones are not.
  const line = p.term.buffer.active.getLine(1)!;
  const rax = line.translateToString(true).indexOf('0x000000000000029a');
  t.ok(rax > 0, 'rax shows 666');
  t.equal(line.getCell(rax)!.getFgColor(), 3, 'rax is highlighted as changed');
  t.not(line.getCell(line.translateToString(true).indexOf('rcx') + 4)!.getFgColor(), 3, 'rcx is not');
  p.type('c\r');
  await p.waitFor(/His number is 666/);
  t.notMatch(p.screen().split('\n').slice(0, 20).join('\n'), /^His number/m, 'the guest output stays in its pane');
  p.type('q\r');
  t.equal(await p.done, 0);
});

t.test('a terminal too small gets a message; a large one a right column with the map and vvar', { skip: !hasScript && 'script(1) is missing' }, async (t) => {
  const small = await inPty(t, 60, 20, NOTB);
  await small.waitFor(/needs a terminal of at least 80x24/);
  t.match(small.screen(), /this one is 60x20\./);
  small.type('q\r');
  t.equal(await small.done, 0, 'q still quits');
  const big = await inPty(t, 140, 40, NOTB);
  await big.waitFor(/\(colonel\)/);
  big.type('until vdso\r');
  await big.waitFor(/entered the vDSO/);
  const sc = big.screen();
  t.match(sc, /── memory map ─/);
  t.match(sc, /ffffffffff600000 +4K --xp \[vsyscall\] +calls emulated/);
  t.match(sc, /seq +2 +\(even: stable\)/);
  big.type('q\r');
  t.equal(await big.done, 0);
});

const hasTmux = spawnSync('tmux', ['-V']).status === 0;

t.test('the interactive view in tmux, at 150x40: memory map and vvar panes', { skip: !hasTmux && 'tmux is not installed' }, async (t) => {
  const name = `colonel-step-${process.pid}`;
  const tm = (...a: string[]) => spawnSync('tmux', a, { encoding: 'utf8' });
  tm('new-session', '-d', '-s', name, '-x', '150', '-y', '40', `node ${CLI} step ${NOTB}`);
  t.teardown(() => tm('kill-session', '-t', name));
  const capture = () => tm('capture-pane', '-t', name, '-p').stdout;
  const waitFor = async (re: RegExp) => {
    for (let i = 0; i < 200; i++) {
      if (re.test(capture())) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    t.fail(`tmux never showed ${re}:\n${capture()}`);
    return false;
  };
  await waitFor(/\(colonel\)/);
  tm('send-keys', '-t', name, 'until vdso', 'Enter');
  await waitFor(/entered the vDSO/);
  const sc = capture();
  t.match(sc, /── memory map ─/);
  t.match(sc, /> +7f[0-9a-f]+ +4K r-xp \[vdso\] +kernel code, user mode/, "rip's mapping marked");
  t.match(sc, /\[vvar\] +kernel data, read-only/);
  t.match(sc, /── vvar \(update_vsyscall writes, the vDSO reads\)/);
  t.match(sc, /vnotb +666/);
  tm('send-keys', '-t', name, 'q', 'Enter');
});

t.test('snapshots take every part of the CPU, the x87 unit included', async (t) => {
  const { captureCpu, restoreCpu } = await import('../lib/step/snapshot.js');
  const s = session(NOTB);
  const c = s.kernel.cpu;
  c.x87.top = 5;
  c.x87.regs[2] = 7n;
  c.x8[17] = 0xaa;
  c.mxcsr = 0x1fa0;
  const st = captureCpu(c);
  c.x87.top = 1;
  c.x87.regs[2] = 9n;
  c.x8[17] = 0;
  c.mxcsr = 0x1f80;
  restoreCpu(c, st);
  t.same([c.x87.top, c.x87.regs[2], c.x8[17], c.mxcsr], [5, 7n, 0xaa, 0x1fa0]);
});

// ---- timers: the signal arrives at the same instruction whatever drives the machine ----

t.test('timers fire at the same instruction under run, step (however cut) and trace --insns', async (t) => {
  const TIMERSTEP = 'fixtures/signals/timerstep';
  const epochNs = 1_700_000_000_000_000_000n;
  const deliveries = (set: Set<string>) => (k: { cpu: { icount: number; rip: number } }, signo: number) => { set.add(`${signo}@${k.cpu.icount}`); };

  // colonel run: Kernel.run stops at each timer's expiry (timerLimit).
  const runSeen = new Set<string>();
  const p = createProcess(TIMERSTEP, { argv: [TIMERSTEP], env: {}, epochNs });
  p.kernel.observers.push({ sigdeliver: deliveries(runSeen) });
  const exit = p.kernel.run(1e8);
  const runOut = Buffer.concat(p.stdout!.chunks).toString('utf8');
  t.equal(exit.status, 0);
  t.match(runOut, /^SIGALRM: \d+ \d+ \d+\nSIGVTALRM: \d+\nSIGPROF: \d+\n$/, 'three timers, five signals');
  t.equal(runSeen.size, 5, 'five handler entries');

  // colonel step: continue, single steps across an expiry, a breakpoint in the handler, going back.
  const s = session(TIMERSTEP);
  const stepSeen = new Set<string>();
  s.kernel.observers.push({ sigdeliver: deliveries(stepSeen) });
  const out = script(s, ['si 4000', 'b tick', 'c', 'si 30', 'c', 'rs 200', 'si 400', 'c', 'delete', 'c']);
  t.match(out, /\[process exited with status 0\]/);
  t.equal(s.m.pane.text(1), runOut, 'step: the same output');
  t.same([...stepSeen].sort(), [...runSeen].sort(), 'step: each signal at the same instruction count');
  // A run cut at every instruction.
  const s1 = session(TIMERSTEP);
  const oneSeen = new Set<string>();
  s1.kernel.observers.push({ sigdeliver: deliveries(oneSeen) });
  script(s1, ['si 40000', 'si 40000', 'si 40000', 'c']);
  t.same([...oneSeen].sort(), [...runSeen].sort(), 'si N all the way: the same counts');

  // colonel trace --insns: every instruction single-stepped by the tracer's hook.
  if (fs.existsSync(CLI)) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'colonel-timerstep-'));
    const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args, TIMERSTEP], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
    const plain = cli(['trace', '--json', '-o', path.join(dir, 'plain')]);
    const insns = cli(['trace', '--json', '--insns', '-o', path.join(dir, 'insns')]);
    const signals = (file: string) => fs.readFileSync(path.join(dir, file), 'utf8').split('\n').filter((l) => l.includes('"type":"signal"')).map((l) => JSON.parse(l)).map((o) => `${o.signo}@${o.insns}`);
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
    t.equal(insns.stdout, plain.stdout, 'trace --insns: the same output as trace');
    // (The guest's environment moves the stack, and so the absolute counts: compare with the same one.)
    t.equal(cli(['run']).stdout, plain.stdout, 'and as colonel run');
    t.same(signals('insns'), signals('plain'), 'trace --insns: each signal at the same count');
  }
});

t.test('int $0x80 in colonel step: explained as the 32-bit gate, restartable, the same count as run', async (t) => {
  const INT80 = 'fixtures/trace/int80';
  const s = session(INT80);
  const out = script(s, ['si 2', 'si', 'c']);
  t.match(after(out, 1).replace(/\n/g, ' '), /next: int \$0x80 with eax=20: the 32-bit syscall gate, the i386 table \(getpid,/, 'before it: what comes next');
  const call = after(out, 2).replace(/\n/g, ' ');
  t.match(call, /int \$0x80: eax=20 selected the i386 table's getpid/, 'the call, by its i386 number');
  t.match(call, /ran getpid\(\) = 1000 .*iret returned to user mode at 0x401011/, 'and the return after the 2-byte instruction');
  t.notMatch(call, /fault \(vector/, 'not reported as a fault');
  t.equal(s.m.pane.text(1), 'hello\nok\n');
  t.match(after(out, 3), /\[process exited with status 7\]/);
  const r = createProcess(INT80, { argv: [INT80], env: {}, epochNs: 1_700_000_000_000_000_000n });
  r.kernel.run();
  t.equal(s.kernel.cpu.icount, r.kernel.cpu.icount, 'as many instructions as colonel run: each int $0x80 retires');
  t.equal(r.kernel.cpu.icount, 28, 'every instruction of the program, the five int $0x80 included');
});
