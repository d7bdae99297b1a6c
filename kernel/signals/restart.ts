// Restarting interrupted syscalls (include/linux/errno.h, arch/x86/kernel/signal.c handle_signal and
// arch_do_signal_or_restart). A syscall that a signal interrupts returns one of these internal codes,
// never seen by the program: on the way out, if a handler runs, the code becomes -EINTR (or, for
// ERESTARTSYS with SA_RESTART, the call is restarted); if no handler runs, the call is restarted:
// rax gets the syscall number back and rip moves back over the 2-byte syscall instruction.

export const ERESTARTSYS = 512;
export const ERESTARTNOINTR = 513;
export const ERESTARTNOHAND = 514;
export const ERESTART_RESTARTBLOCK = 516;

export function isRestart(result: number): boolean {
  return result === -ERESTARTSYS || result === -ERESTARTNOINTR || result === -ERESTARTNOHAND || result === -ERESTART_RESTARTBLOCK;
}

/** How strace shows a call that returned one of these: `= ? NAME (message)`. */
export const RESTART_NAMES: Readonly<Record<number, { name: string; message: string }>> = {
  [ERESTARTSYS]: { name: 'ERESTARTSYS', message: 'To be restarted if SA_RESTART is set' },
  [ERESTARTNOINTR]: { name: 'ERESTARTNOINTR', message: 'To be restarted' },
  [ERESTARTNOHAND]: { name: 'ERESTARTNOHAND', message: 'To be restarted if no handler' },
  [ERESTART_RESTARTBLOCK]: { name: 'ERESTART_RESTARTBLOCK', message: 'Interrupted by signal' },
};
