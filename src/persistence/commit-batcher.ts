/**
 * Group commit (issue 8, "actors can batch commits of many customers"): the money commands of many
 * customer actors of one worker wait here for a statement slot; when one frees up, everything
 * waiting (up to `maxBatch`) is committed by ONE statement. At most `maxInFlight` statements run at
 * once, so under load the batches grow by themselves and at low load a write goes at once (no timer
 * adds latency). When a batch statement fails as a whole (a fence of one write, a constraint), its
 * writes are committed one by one, so each gets its own answer and the others are not held back.
 */

/** Options of {@link CommitBatcher}. */
export interface CommitBatcherOptions<W, R> {
  /** Commits `writes` in one statement; resolves with one result per write, in order. Throws when the statement failed as a whole. */
  commitBatch(writes: readonly W[]): Promise<R[]>;
  /** Commits one write on its own (after a failed batch); resolves with its result or throws its error. */
  commitOne(write: W): Promise<R>;
  /** Largest batch. */
  maxBatch: number;
  /** Statements running at once. */
  maxInFlight: number;
  /** Told the size of each batch (metrics). */
  onBatch?: (size: number) => void;
}

interface Waiting<W, R> {
  write: W;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

/** See the file comment. */
export class CommitBatcher<W, R> {
  private readonly options: CommitBatcherOptions<W, R>;
  private readonly queue: Array<Waiting<W, R>> = [];
  private inFlight = 0;

  constructor(options: CommitBatcherOptions<W, R>) {
    if (options.maxBatch < 1 || options.maxInFlight < 1) throw new Error('maxBatch and maxInFlight must be at least 1');
    this.options = options;
  }

  /** Commits `write` with whatever else is waiting; resolves with its own result. */
  submit(write: W): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ write, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.options.maxBatch);
      this.inFlight += 1;
      void this.run(batch).finally(() => {
        this.inFlight -= 1;
        this.pump();
      });
    }
  }

  private async run(batch: Array<Waiting<W, R>>): Promise<void> {
    this.options.onBatch?.(batch.length);
    if (batch.length > 1) {
      try {
        const results = await this.options.commitBatch(batch.map((entry) => entry.write));
        batch.forEach((entry, index) => entry.resolve(results[index] as R));
        return;
      } catch {
        // One write spoiled the statement: each one on its own, to give each its answer.
      }
    }
    await Promise.all(batch.map(async (entry) => {
      try {
        entry.resolve(await this.options.commitOne(entry.write));
      } catch (error) {
        entry.reject(error);
      }
    }));
  }
}
