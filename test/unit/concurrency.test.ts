import { describe, expect, it } from 'vitest';
import { ConcurrencyLimiter } from '../../src/grpc/concurrency.ts';

describe('ConcurrencyLimiter (max_concurrency)', () => {
  it('queues excess calls in FIFO order instead of failing them', async () => {
    const limiter = new ConcurrencyLimiter(2);
    const releases: Array<() => void> = [];
    const started: number[] = [];
    const finished: number[] = [];
    const calls = [0, 1, 2, 3, 4].map((n) =>
      limiter.run(async () => {
        started.push(n);
        await new Promise<void>((resolve) => releases.push(resolve));
        finished.push(n);
        return n;
      }),
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([0, 1]);
    expect(limiter.active).toBe(2);
    expect(limiter.queued).toBe(3);
    while (finished.length < 5) {
      releases.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await Promise.all(calls)).toEqual([0, 1, 2, 3, 4]);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(limiter.active).toBe(0);
  });

  it('reports running and waiting counts on every change', async () => {
    const seen: Array<[number, number]> = [];
    const limiter = new ConcurrencyLimiter(1, (active, queued) => seen.push([active, queued]));
    let release: () => void = () => undefined;
    const first = limiter.run(() => new Promise<void>((resolve) => (release = resolve)));
    const second = limiter.run(async () => undefined);
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual([[1, 0], [1, 1]]);
    release();
    await Promise.all([first, second]);
    expect(seen).toEqual([[1, 0], [1, 1], [1, 0], [0, 0]]);
  });

  it('releases the slot when a call fails', async () => {
    const limiter = new ConcurrencyLimiter(1);
    await expect(limiter.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(limiter.run(async () => 'next')).resolves.toBe('next');
  });

  it('rejects a limit below 1', () => {
    expect(() => new ConcurrencyLimiter(0)).toThrow(RangeError);
  });
});
