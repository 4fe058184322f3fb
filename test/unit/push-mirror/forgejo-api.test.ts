import { describe, expect, test } from '@jest/globals';
import { createForgejoApi, ForgejoApiError } from '../../../actions/push-mirror/src/forgejo-api.js';

const SWAGGER = 'https://forgejo.example.org/api/swagger';

function api(respond: (url: string, init: RequestInit) => Response | Promise<Response>) {
  const calls: Array<{ url: string; init: RequestInit }> = [];
  const client = createForgejoApi({
    baseUrl: new URL('https://forgejo.example.org/'),
    repository: 'ops/infra',
    token: 'fj-token',
    fetchImpl: (async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      return respond(url, init);
    }) as unknown as typeof fetch,
  });
  return { client, calls };
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

describe('Forgejo API client', () => {
  test('lists push mirrors with `Authorization: token`', async () => {
    const mirrors = [
      { remote_name: 'r', remote_address: 'https://github.com/a/b.git', last_update: null, last_error: '' },
    ];
    const { client, calls } = api(() => json(200, mirrors));
    expect(await client.listPushMirrors()).toEqual(mirrors);
    expect(calls[0].url).toBe('https://forgejo.example.org/api/v1/repos/ops/infra/push_mirrors?limit=50');
    expect((calls[0].init.headers as Record<string, string>).Authorization).toBe('token fj-token');
  });

  test.each([
    [401, 'auth', false],
    [403, 'auth', false],
    [404, 'forgejo-sync-failed', false],
    [400, 'forgejo-sync-failed', false],
    [502, 'network', true],
  ])('a listing answered %d is %s (retryable %s)', async (status, reason, retryable) => {
    const { client } = api(() => json(status, { message: 'nope', url: SWAGGER }));
    const err = await client.listPushMirrors().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ForgejoApiError);
    expect(err).toMatchObject({ reason, retryable });
    expect((err as Error).message).toContain(`HTTP ${status}`);
  });

  test.each([
    [200, 200, ''],
    [500, 500, ''],
  ])('the sync answered %d is handed back (a 500 means: read last_error)', async (status, want, message) => {
    const { client, calls } = api(() =>
      status === 200 ? new Response(null, { status }) : json(status, { message, url: SWAGGER }),
    );
    expect(await client.syncPushMirrors()).toEqual({ status: want, message });
    expect(calls[0].init.method).toBe('POST');
    expect(calls[0].url).toBe('https://forgejo.example.org/api/v1/repos/ops/infra/push_mirrors-sync');
  });

  test('the sync answered 403 is auth', async () => {
    const { client } = api(() => json(403, { message: 'reqAdmin', url: SWAGGER }));
    await expect(client.syncPushMirrors()).rejects.toMatchObject({ reason: 'auth' });
  });

  test('an unreachable Forgejo is a retryable network failure', async () => {
    const { client } = api(() => {
      throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
    });
    await expect(client.listPushMirrors()).rejects.toMatchObject({
      reason: 'network',
      retryable: true,
      message: expect.stringContaining('ECONNREFUSED'),
    });
  });

  test('no answer in time is a timeout', async () => {
    const { client } = api(() => {
      throw new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    });
    await expect(client.syncPushMirrors()).rejects.toMatchObject({ reason: 'timeout', retryable: false });
  });

  test('a body that is not a list is refused', async () => {
    const { client } = api(() => json(200, { message: 'hi' }));
    await expect(client.listPushMirrors()).rejects.toMatchObject({ reason: 'forgejo-sync-failed' });
  });
});
