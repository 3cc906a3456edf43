/**
 * Progress bars of the long CLI commands (db backup, db restore, plugin scan, ledger check):
 * cli-progress on stderr, drawn only when stderr is a terminal, so pipes, log files and tests
 * get the commands' plain output and nothing else.
 */
import cliProgress from 'cli-progress';

/** A progress bar, or a no-op when there is no terminal to draw on. */
export interface Progress {
  /** Advances by `step` (default 1), never beyond the total. */
  tick(step?: number): void;
  /** Sets the total (when it is learnt late). */
  setTotal(total: number): void;
  /** Fills the bar to its total and removes it from the terminal; idempotent. */
  stop(): void;
}

const NONE: Progress = { tick: () => undefined, setTotal: () => undefined, stop: () => undefined };

/**
 * Starts a bar `label [====    ] 40% | 4/10` of `total` units on `stream` (default stderr) when
 * that stream is a TTY and `total` > 0; otherwise returns a bar that draws nothing.
 */
export function startProgress(label: string, total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY || total <= 0) return NONE;
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {percentage}% | {value}/{total}`, stream, clearOnComplete: true, hideCursor: true, fps: 10 },
    cliProgress.Presets.shades_classic,
  );
  let value = 0;
  let limit = total;
  let stopped = false;
  bar.start(limit, 0);
  return {
    tick(step = 1) {
      if (stopped) return;
      value = Math.min(limit, value + step);
      bar.update(value);
    },
    setTotal(next) {
      if (stopped || next <= 0) return;
      limit = next;
      value = Math.min(value, limit);
      bar.setTotal(limit);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      bar.update(limit);
      bar.stop();
    },
  };
}
