// The step view: panes laid out for a terminal of a given size (at least 80x24; wider terminals get
// a right column with the memory map and the vvar page, taller ones more code and explanation), or
// at its natural height for a script's plain-text handout. Colors are chalk's; in plain text the
// same information is carried by characters (=> for rip, * after a register the step changed).

import { Chalk, type ChalkInstance } from 'chalk';
import type { Session } from './session.js';
import { codeLines, mapLines, outputLines, plainLine, registerCells, stackLines, vvarLines, type Line, type Style } from './panes.js';
import { hexAddr } from './peek.js';

export const MIN_WIDTH = 80;
export const MIN_HEIGHT = 24;

export interface ViewOptions {
  width: number;
  /** null: as tall as the content needs (scripts). */
  height: number | null;
  color: boolean;
  /** The command being typed (interactive). */
  input?: string;
}

const STYLES = (c: ChalkInstance): Record<Style, (s: string) => string> => ({
  plain: (s) => s,
  dim: c.gray,
  bold: c.bold,
  changed: c.yellow.bold,
  current: c.black.bgGreen,
  bp: c.red.bold,
  label: c.cyan,
  kernel: c.magenta,
  title: c.inverse.bold,
  error: c.red,
  stderr: c.red,
});

/** Word-wrap a paragraph to `width` columns. */
export function wrap(text: string, width: number, indent = ''): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/ +/)) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = indent + word;
    } else line = line ? `${line} ${word}` : word;
    while (line.length > width) {
      out.push(line.slice(0, width));
      line = indent + line.slice(width);
    }
  }
  if (line) out.push(line);
  return out;
}

class Painter {
  readonly st: Record<Style, (s: string) => string>;
  constructor(readonly color: boolean) {
    this.st = STYLES(new Chalk({ level: color ? 2 : 0 }));
  }
  /** Exactly `width` visible columns: cut or padded. */
  fit(line: Line, width: number): string {
    let out = '', used = 0;
    for (const [text, style] of line) {
      if (used >= width) break;
      const t = text.slice(0, width - used);
      out += this.st[style](t);
      used += t.length;
    }
    return out + ' '.repeat(Math.max(0, width - used));
  }
  rule(title: string, width: number, extra = ''): string {
    const head = `── ${title} `;
    const tail = extra ? ` ${extra} ──` : '';
    const fill = Math.max(0, width - head.length - tail.length);
    return this.st.dim((head + '─'.repeat(fill) + tail).slice(0, width));
  }
}

function header(s: Session): Line {
  const k = s.kernel, m = s.m, rip = k.cpu.rip;
  const sym = m.symbols.symbolize(rip);
  const where = m.inVdso(rip) ? '[vdso], user mode' : m.inVsyscall(rip) ? '[vsyscall] page' : 'user mode';
  const state = k.exit ? (k.exit.kind === 'exited' ? `exited ${k.exit.status}` : `killed (${k.exit.status})`) : where;
  return [[` colonel step · ${s.opts.name} · #${m.icount} · ${state} · rip ${hexAddr(rip)}${sym ? ` <${sym}>` : ''} `, 'title']];
}

function registerRows(s: Session, p: Painter, width: number): string[] {
  const cells = registerCells(s);
  const cols = width >= 104 ? 4 : 3;
  const cw = Math.floor(width / cols);
  const rows: string[] = [];
  for (let i = 0; i < cells.length; i += cols) {
    const line: Line = [];
    for (const c of cells.slice(i, i + cols)) {
      const mark = c.changed && !p.color ? '*' : ' ';
      line.push([c.name.padEnd(4), 'dim'], [c.text, c.changed ? 'changed' : 'plain'], [mark.padEnd(cw - 4 - c.text.length), 'plain']);
    }
    rows.push(p.fit(line, width));
  }
  return rows;
}

/** The explanation (or an info command's output) as lines of `width`. */
function explanationLines(s: Session, width: number): string[] {
  if (s.info) return s.info.lines.flatMap((l) => (l.length <= width ? [l] : wrap(l, width, '    ')));
  // Paragraphs are separated by a blank line; one-line summaries (#N ...) follow each other.
  return s.explanation.flatMap((para, i) => [...(i && !para.startsWith('#') ? [''] : []), ...wrap(para, width, para.startsWith('#') ? '    ' : '')]);
}

const marker = (color: boolean) => (cur: boolean, bp: boolean) => (cur ? (bp ? '=>*' : '=> ') : bp ? ' * ' : '   ');

/** Lines of the view, each exactly `width` columns (or the too-small message). */
export function render(s: Session, o: ViewOptions): string[] {
  const p = new Painter(o.color);
  const W = o.width;
  if (o.height !== null && (W < MIN_WIDTH || o.height < MIN_HEIGHT)) {
    const msg = [`colonel step needs a terminal of at least ${MIN_WIDTH}x${MIN_HEIGHT};`, `this one is ${W}x${o.height}.`, 'Enlarge it, or run with --script FILE.', '(q quits)'];
    const top = Math.max(0, Math.floor((o.height - msg.length) / 2));
    return [...Array(top).fill(''), ...msg.map((l) => l.slice(0, W))];
  }
  const out: string[] = [p.fit(header(s), W)];
  const right = o.height !== null && W >= 130;
  const side = right ? Math.min(70, W - 82) : 0;
  const L = right ? W - side - 2 : W;
  out.push(...registerRows(s, p, W));
  const stackW = L >= 120 ? 40 : L >= 100 ? 31 : 27;
  const codeW = L - stackW - 1;
  const expl = explanationLines(s, L);
  const outLinesAll = outputLines(s, 1000);

  // A tall terminal that is not wide enough for the right column gets the map and vvar below.
  const below = o.height !== null && !right && o.height >= 44 ? [...mapLines(s), ...vvarLines(s).filter((l) => /^(seq|vnotb|cycle_last|basetime\[[01]\])\s/.test(l[0][0]))] : [];
  const belowRows = below.length ? Math.min(below.length, o.height! - 40 + 8) : 0;
  let codeRows: number, explRows: number, outRows: number;
  if (o.height === null) {
    codeRows = 9;
    explRows = expl.length;
    outRows = Math.min(outLinesAll.length, 6);
  } else {
    const flex = o.height - out.length - 5 - (belowRows ? belowRows + 1 : 0); // 3 rules, message, prompt
    outRows = Math.min(Math.max(1, outLinesAll.length), o.height >= 40 ? 8 : 2);
    const rest = flex - outRows;
    const minCode = s.info ? 3 : Math.max(5, Math.floor(rest / 3));
    codeRows = Math.max(minCode, Math.min(rest - expl.length, s.info ? 8 : 16));
    explRows = rest - codeRows;
  }
  const mid: string[] = [];
  mid.push(p.rule('code', codeW) + ' ' + p.rule('stack (rsp)', stackW));
  const code = codeLines(s, codeRows, marker(o.color));
  const stack = stackLines(s, codeRows);
  for (let i = 0; i < codeRows; i++) mid.push(p.fit(code[i] ?? [], codeW) + ' ' + p.fit(stack[i] ?? [], stackW));
  mid.push(p.rule(s.info ? s.info.title : 'explanation', L));
  const shown = expl.slice(0, explRows);
  if (expl.length > explRows && explRows > 0) shown[explRows - 1] = `... ${expl.length - explRows + 1} more lines: ${s.info ? 'a taller terminal, or --script' : '`explain` shows all'}`;
  for (let i = 0; i < explRows; i++) mid.push(p.fit(plainLine(shown[i] ?? ''), L));
  mid.push(p.rule('output (guest stdout and stderr)', L));
  for (const l of outLinesAll.slice(-outRows)) mid.push(p.fit(l, L));
  while (o.height !== null && mid.length < codeRows + explRows + outRows + 3) mid.push(' '.repeat(L));
  if (belowRows) {
    mid.push(p.rule('memory map · vvar (update_vsyscall writes, the vDSO reads)', L));
    for (const l of below.slice(0, belowRows)) mid.push(p.fit(l, L));
  }

  if (right) {
    const col: string[] = [p.rule('memory map', side)];
    for (const l of mapLines(s)) col.push(p.fit(l, side));
    col.push(p.rule('vvar (update_vsyscall writes, the vDSO reads)', side));
    for (const l of vvarLines(s)) col.push(p.fit(l, side));
    for (let i = 0; i < mid.length; i++) out.push(mid[i] + p.st.dim('│') + (col[i] ?? ' '.repeat(side)));
  } else out.push(...mid);

  const msgStyle: Style = /^(error|unknown|no |No |bad|x:|until|info what|break where|set |Invalid|Cannot)/.test(s.message) || s.message.includes('never hit') ? 'error' : 'bold';
  if (o.height === null) {
    if (s.message) out.push(p.fit(plainLine(s.message, msgStyle), W).trimEnd());
    return out.map((l) => l.trimEnd());
  }
  out.push(p.fit(plainLine(s.message, msgStyle), W));
  out.push(p.fit([['(colonel) ', 'bold'], [o.input ?? '', 'plain']], W));
  return out.slice(0, o.height);
}

/** An information command's output, for scripts: a rule, the lines, the message. */
export function renderInfo(s: Session, width: number): string[] {
  const p = new Painter(false);
  const out = s.info ? [p.rule(s.info.title, width), ...s.info.lines] : [];
  if (s.message) out.push(s.message);
  return out.map((l) => l.trimEnd());
}
