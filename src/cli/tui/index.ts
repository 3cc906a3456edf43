/**
 * `npm run cli -- tui` (issue 14; operations manual §5.2 "TUI 交互模式"): RustBill's eight-tab
 * terminal UI over the database, built with ink (src/cli/tui/app.ts), reading and changing it
 * through src/cli/tui/data.ts.
 *
 * The terminal is always given back as it was found (the RustBill TUI's TerminalGuard): the UI
 * runs in the alternate screen, and on every way out — q / Esc, Ctrl+C, SIGTERM / SIGHUP / SIGINT,
 * an error thrown while rendering, even an uncaught exception (process `exit` hook) — ink unmounts,
 * raw mode is switched off, the cursor is shown again and the alternate screen is left.
 */
import { createElement } from 'react';
import { TuiData } from './data.ts';

const SHOW_CURSOR = '\u001B[?25h';
const ENTER_ALTERNATE_SCREEN = '\u001B[?1049h\u001B[H';
const LEAVE_ALTERNATE_SCREEN = '\u001B[?1049l';

/** Exit codes of the signals the TUI leaves on (128 + signal number). */
const SIGNAL_CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;

/**
 * Runs the TUI on the terminal until the user leaves.
 * @param options.databaseUrl the PostgreSQL URL (`[db] url` / DATABASE_URL, or the embedded one)
 * @returns the process exit code: 0 after q / Esc, 130 after Ctrl+C, 143 after SIGTERM, 129 after
 *   SIGHUP; 1 when the database cannot be reached at start or the UI failed (the error goes to
 *   stderr); 2 when stdin or stdout is not a terminal (nothing is drawn then)
 */
export async function runTui(options: { databaseUrl: string }): Promise<number> {
  if (!process.stdout.isTTY || !process.stdin.isTTY) {
    process.stderr.write(`the TUI needs a terminal: ${process.stdout.isTTY ? 'stdin' : 'stdout'} is not a TTY. Run it in a terminal, or use the line commands instead (npm run cli -- help).\n`);
    return 2;
  }
  // ink draws nothing but the last frame when it believes it runs in CI (the `is-in-ci` package,
  // read once when ink is first imported, looks at CI / CONTINUOUS_INTEGRATION). Both ends are
  // terminals here, so a person is looking at the screen: drop those variables before ink loads.
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
  const [{ render }, { TuiApp }] = await Promise.all([import('ink'), import('./app.ts')]);
  const data = new TuiData(options.databaseUrl);
  try {
    await data.list('dashboard');
  } catch (error) {
    await data.close().catch(() => undefined);
    process.stderr.write(`cannot read the database ${TuiData.describeUrl(options.databaseUrl)}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }

  let restored = false;
  const restoreTerminal = (): void => {
    if (restored) return;
    restored = true;
    try {
      if (process.stdin.isTTY) process.stdin.setRawMode(false);
    } catch {
      // stdin already closed.
    }
    process.stdout.write(SHOW_CURSOR + LEAVE_ALTERNATE_SCREEN);
  };
  // Last resort: an exit that skips the code below (an uncaught exception) still restores the terminal.
  process.once('exit', restoreTerminal);

  process.stdout.write(ENTER_ALTERNATE_SCREEN);
  let code = 0;
  const app = render(createElement(TuiApp, { data, databaseLabel: TuiData.describeUrl(options.databaseUrl), onExit: (exitCode: number) => { code = exitCode; } }), {
    exitOnCtrlC: false,
    patchConsole: true,
  });
  const signalHandlers = Object.entries(SIGNAL_CODES).map(([signal, signalCode]) => {
    const handler = (): void => {
      code = signalCode;
      app.unmount();
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });

  let failure: unknown = null;
  try {
    await app.waitUntilExit();
  } catch (error) {
    failure = error;
    code = 1;
  } finally {
    for (const [signal, handler] of signalHandlers) process.off(signal, handler);
    app.cleanup();
    restoreTerminal();
    process.off('exit', restoreTerminal);
    await data.close().catch(() => undefined);
  }
  if (failure !== null) {
    process.stderr.write(`the TUI stopped on an error: ${failure instanceof Error ? (failure.stack ?? failure.message) : String(failure)}\n`);
  }
  return code;
}
