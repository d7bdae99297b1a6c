// The interactive view: the whole screen redrawn after every command (alternate screen, so the
// user's terminal comes back as it was), a one-line command editor at the bottom (history on the
// arrow keys, Enter repeats the last step command), and a redraw when the terminal is resized. The
// guest never writes to the terminal: its output is a pane of the view, its input the `input` command.

import type { Session } from './session.js';
import { render } from './view.js';

const ENTER_ALT = '\x1b[?1049h';
const LEAVE_ALT = '\x1b[?1049l';

export function interactive(s: Session): Promise<void> {
  const stdin = process.stdin, stdout = process.stdout;
  let input = '';
  const history: string[] = [];
  let hpos = 0;
  let busy = false;

  const draw = () => {
    const width = stdout.columns || 80, height = stdout.rows || 24;
    const lines = render(s, { width, height, color: true, input });
    let frame = '\x1b[H' + lines.map((l) => l + '\x1b[K').join('\r\n') + '\x1b[J';
    if (lines.length === height) frame += `\x1b[${height};${Math.min(width, 11 + input.length)}H`;
    stdout.write(frame);
  };

  return new Promise((resolve) => {
    const finish = () => {
      stdin.off('data', onData);
      stdout.off('resize', draw);
      stdout.write(LEAVE_ALT + '\x1b[?25h');
      if (stdin.isTTY) stdin.setRawMode(false);
      stdin.pause();
      stdout.write(`colonel step: left at #${s.m.icount}${s.kernel.exit ? ` (the program ${s.kernel.exit.kind === 'exited' ? `exited with status ${s.kernel.exit.status}` : 'was killed'})` : ''}\n`);
      resolve();
    };

    const submit = () => {
      const line = input;
      input = '';
      if (line.trim()) {
        history.push(line);
        hpos = history.length;
      }
      busy = true;
      s.message = 'running...';
      draw();
      s.execute(line);
      busy = false;
      if (s.quit) return finish();
      draw();
    };

    const onData = (buf: Buffer) => {
      if (busy) return;
      const str = buf.toString('utf8');
      for (let i = 0; i < str.length; i++) {
        const ch = str[i];
        if (ch === '\x1b') {
          const seq = str.slice(i, i + 3);
          if (seq === '\x1b[A' || seq === '\x1bOA') {
            if (hpos > 0) input = history[--hpos];
          } else if (seq === '\x1b[B' || seq === '\x1bOB') {
            hpos = Math.min(history.length, hpos + 1);
            input = history[hpos] ?? '';
          }
          // Skip the rest of the escape sequence (CSI ... final byte).
          let j = i + 1;
          if (str[j] === '[' || str[j] === 'O') {
            j++;
            while (j < str.length && !/[@-~]/.test(str[j])) j++;
          }
          i = j;
        } else if (ch === '\r' || ch === '\n') {
          submit();
          if (s.quit) return;
        } else if (ch === '\x7f' || ch === '\b') input = input.slice(0, -1);
        else if (ch === '\x03') {
          s.message = input ? '' : 'q quits';
          input = '';
        } else if (ch === '\x04') {
          if (!input) {
            s.quit = true;
            return finish();
          }
        } else if (ch === '\x15') input = '';
        else if (ch >= ' ') input += ch;
      }
      draw();
    };

    stdout.write(ENTER_ALT);
    if (stdin.isTTY) stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
    stdout.on('resize', draw);
    draw();
  });
}
