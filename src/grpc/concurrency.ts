/**
 * The entry concurrency limit (`[server].max_concurrency`, RustBill's ConcurrencyLimitLayer):
 * at most `limit` calls run at once; excess calls wait in FIFO order instead of failing.
 */
export class ConcurrencyLimiter {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  private readonly limit: number;
  private readonly onChange: (active: number, queued: number) => void;

  /**
   * @param limit maximum calls running at once (≥ 1)
   * @param onChange told the running and waiting counts whenever either changes (for metrics)
   */
  constructor(limit: number, onChange: (active: number, queued: number) => void = () => undefined) {
    this.limit = limit;
    this.onChange = onChange;
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency limit must be a positive integer, got ${limit}`);
  }

  /** Calls currently running. */
  get active(): number {
    return this.running;
  }

  /** Calls waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Runs `task` when a slot is free; the slot is released when it settles. Rejections pass through. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) {
      const turn = new Promise<void>((resolve) => this.waiting.push(resolve));
      this.onChange(this.running, this.waiting.length);
      await turn;
    } else {
      this.running += 1;
      this.onChange(this.running, this.waiting.length);
    }
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running -= 1;
      this.onChange(this.running, this.waiting.length);
    }
  }
}
