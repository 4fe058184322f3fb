/**
 * Exponential backoff with jitter, pure apart from the injected sleep and random source so tests never
 * wait. Only failures the caller calls retryable are retried: a bad token stays bad however often it is
 * sent, and every extra attempt against GitHub with a bad token counts towards its abuse limits.
 */
export interface RetryOptions {
  /** Retries after the first attempt (0 = one attempt). */
  retries: number;
  baseMs: number;
  maxMs: number;
  sleep: (ms: number) => Promise<void>;
  /** In [0, 1). */
  random: () => number;
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
}

/** Delay before retry `n` (1-based): base·2^(n-1), capped, then "equal jitter" (half fixed, half random). */
export function backoffDelay(retry: number, baseMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, retry - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

export async function withRetry<T>(
  attempt: (n: number) => Promise<T>,
  isRetryable: (error: unknown) => boolean,
  opts: RetryOptions,
): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (n > opts.retries || !isRetryable(error)) throw error;
      const delayMs = backoffDelay(n, opts.baseMs, opts.maxMs, opts.random);
      opts.onRetry?.({ attempt: n, delayMs, error });
      await opts.sleep(delayMs);
    }
  }
}
