import { expect, test } from '@jest/globals';
import { CancelledError } from '../../../shared/errors.js';
import { createForgeClient } from '../../../shared/forge.js';
import { forwardSignal } from '../../../shared/tool.js';

/**
 * Own file: forwardSignal marks this whole process as cancelled (module state), as the lifecycle does on
 * SIGTERM. A retry wait uses pause(), so the cancelled call ends at once instead of sitting out a
 * rate-limit wait of an hour: if it did not, this test would run into jest's timeout.
 */
test('a retry wait ends as soon as the job is cancelled', async () => {
  let calls = 0;
  const client = createForgeClient({
    target: { kind: 'github', apiUrl: 'https://api.github.com', serverUrl: '', repository: 'o/r' },
    token: 't0k3n-value',
    budgetMs: 2 * 3_600_000,
    fetchImpl: (async () => {
      calls++;
      setImmediate(() => forwardSignal('SIGTERM'));
      return new Response(JSON.stringify({ message: 'slow down' }), {
        status: 429,
        headers: { 'retry-after': '3600' },
      });
    }) as unknown as typeof fetch,
  });
  const outcome = await client
    .setStatus('0'.repeat(40), { state: 'pending', context: 'c', description: 'd' })
    .then(
      () => 'resolved',
      (e: unknown) => e,
    );
  expect(outcome).toBeInstanceOf(CancelledError);
  expect(calls).toBe(1);
}, 20_000);
