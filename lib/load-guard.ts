// Imported first by lib/cli.ts: a module that throws while loading (a vDSO image that fails its
// checks in kernel/vdso/vdso.ts, say) would otherwise end colonel with a Node stack trace, because
// ES module imports run before any of cli.ts's own code. This turns such an error into the one line
// and the status (70, EX_SOFTWARE) that cli.ts gives any internal error. COLONEL_DEBUG=1 keeps the trace.

process.on('uncaughtException', (e: unknown) => {
  if (process.env.COLONEL_DEBUG) {
    process.stderr.write(`${(e as Error)?.stack ?? String(e)}\n`);
  } else {
    process.stderr.write(`colonel: cannot start: ${(e as Error)?.message ?? String(e)} (set COLONEL_DEBUG=1 for details)\n`);
  }
  process.exit(70);
});

export {};
