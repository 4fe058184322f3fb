import { describe, expect, test } from '@jest/globals';
import { backoffDelay, withRetry } from '../../../actions/push-mirror/src/retry.js';

describe('backoffDelay', () => {
  test.each([
    // retry, random, expected: half of base·2^(n-1) fixed, the other half scaled by random
    [1, 0, 1000],
    [1, 0.999, 1999],
    [2, 0, 2000],
    [3, 0.5, 6000],
    [10, 0, 30_000], // capped at maxMs 60 s
    [10, 0.999, 59_970],
  ])('retry %d with random %d → %d ms', (retry, random, want) => {
    expect(backoffDelay(retry, 2000, 60_000, () => random)).toBe(want);
  });
});

class Flaky extends Error {
  constructor(readonly retryable: boolean) {
    super(retryable ? 'flaky' : 'fatal');
  }
}

function opts(retries: number, sleeps: number[]) {
  return {
    retries,
    baseMs: 100,
    maxMs: 1000,
    sleep: async (ms: number) => void sleeps.push(ms),
    random: () => 0.5,
  };
}
const retryable = (e: unknown) => e instanceof Flaky && e.retryable;

describe('withRetry', () => {
  test('retries retryable failures with growing delays, then succeeds', async () => {
    const sleeps: number[] = [];
    let calls = 0;
    const out = await withRetry(
      async (n) => {
        calls++;
        if (n < 3) throw new Flaky(true);
        return 'ok';
      },
      retryable,
      opts(3, sleeps),
    );
    expect(out).toBe('ok');
    expect(calls).toBe(3);
    expect(sleeps).toEqual([75, 150]);
  });

  test.each([
    ['a non-retryable failure is thrown at once', false, 5, 1],
    ['retryable failures stop after the retries', true, 2, 3],
    ['zero retries means one attempt', true, 0, 1],
  ])('%s', async (_what, isRetryable, retries, attempts) => {
    let calls = 0;
    const sleeps: number[] = [];
    await expect(
      withRetry(
        async () => {
          calls++;
          throw new Flaky(isRetryable);
        },
        retryable,
        opts(retries, sleeps),
      ),
    ).rejects.toBeInstanceOf(Flaky);
    expect(calls).toBe(attempts);
    expect(sleeps).toHaveLength(attempts - 1);
  });

  test('tells each retry', async () => {
    const told: number[] = [];
    await withRetry(
      async (n) => {
        if (n === 1) throw new Flaky(true);
      },
      retryable,
      { ...opts(1, []), onRetry: ({ attempt }) => told.push(attempt) },
    );
    expect(told).toEqual([1]);
  });
});
