import { describe, expect, it } from 'vitest';
import { CommitBatcher } from '../../src/persistence/commit-batcher.ts';

/** A statement that takes until `release()` is called, recording the batches it got. */
function gatedStatements() {
  const batches: number[][] = [];
  const singles: number[] = [];
  let open: Array<() => void> = [];
  let running = 0;
  let maxRunning = 0;
  const gate = async (): Promise<void> => {
    running += 1;
    maxRunning = Math.max(maxRunning, running);
    await new Promise<void>((resolve) => open.push(resolve));
    running -= 1;
  };
  return {
    batches, singles,
    get maxRunning() { return maxRunning; },
    release() { const waiting = open; open = []; for (const resolve of waiting) resolve(); },
    async batch(writes: readonly number[]): Promise<string[]> {
      batches.push([...writes]);
      await gate();
      if (writes.includes(13)) throw new Error('constraint violated by 13');
      return writes.map((write) => `ok ${write}`);
    },
    async one(write: number): Promise<string> {
      singles.push(write);
      await gate();
      if (write === 13) throw new Error('13 refused');
      return `alone ${write}`;
    },
  };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('CommitBatcher', () => {
  it('commits a write at once when nothing runs, and batches what arrives while statements run', async () => {
    const db = gatedStatements();
    const batcher = new CommitBatcher<number, string>({ commitBatch: (w) => db.batch(w), commitOne: (w) => db.one(w), maxBatch: 64, maxInFlight: 1 });
    const first = batcher.submit(1);
    await tick();
    const rest = [2, 3, 4, 5].map((write) => batcher.submit(write));
    await tick();
    // A batch of one is committed on its own path, with its own error mapping.
    expect(db.singles).toEqual([1]);
    expect(db.batches).toEqual([]);
    db.release();
    expect(await first).toBe('alone 1');
    await tick();
    expect(db.batches).toEqual([[2, 3, 4, 5]]);
    db.release();
    expect(await Promise.all(rest)).toEqual(['ok 2', 'ok 3', 'ok 4', 'ok 5']);
  });

  it('never runs more than maxInFlight statements, and caps batches at maxBatch', async () => {
    const db = gatedStatements();
    const batcher = new CommitBatcher<number, string>({ commitBatch: (w) => db.batch(w), commitOne: (w) => db.one(w), maxBatch: 3, maxInFlight: 2 });
    const all = Array.from({ length: 10 }, (_, index) => batcher.submit(100 + index));
    for (let round = 0; round < 10; round += 1) {
      await tick();
      db.release();
    }
    await Promise.all(all);
    expect(db.maxRunning).toBeLessThanOrEqual(2);
    expect(Math.max(...db.batches.map((batch) => batch.length))).toBe(3);
    expect(db.batches.flat().sort()).toEqual(Array.from({ length: 10 }, (_, index) => 100 + index).filter((write) => !db.singles.includes(write)).sort());
  });

  it('commits the writes of a failed batch one by one: the bad one fails alone', async () => {
    const db = gatedStatements();
    const batcher = new CommitBatcher<number, string>({ commitBatch: (w) => db.batch(w), commitOne: (w) => db.one(w), maxBatch: 64, maxInFlight: 1 });
    const blocker = batcher.submit(0);
    await tick();
    const writes = [12, 13, 14].map((write) => batcher.submit(write).catch((error: Error) => error.message));
    await tick();
    db.release();
    await blocker;
    await tick();
    db.release();
    await tick();
    db.release();
    expect(await Promise.all(writes)).toEqual(['alone 12', '13 refused', 'alone 14']);
    expect(db.batches).toEqual([[12, 13, 14]]);
    expect(db.singles).toEqual([0, 12, 13, 14]);
  });
});
