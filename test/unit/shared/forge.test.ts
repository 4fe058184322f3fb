import { afterEach, describe, expect, test } from '@jest/globals';
import {
  bestEffort,
  connectForge,
  createForgeClient,
  ForgeApiError,
  forgeTargetFromEnv,
  rateLimitWait,
  runUrl,
  type ForgeClientOptions,
  type ForgeTarget,
} from '../../../shared/forge.js';
import { registerSecret, resetSecretsForTest } from '../../../shared/secrets.js';

const FORGEJO: ForgeTarget = {
  kind: 'forgejo',
  apiUrl: 'https://forgejo.example.org/api/v1',
  serverUrl: 'https://forgejo.example.org',
  repository: 'ops/infra',
};
const GITHUB: ForgeTarget = {
  kind: 'github',
  apiUrl: 'https://api.github.com',
  serverUrl: 'https://github.com',
  repository: 'ops/infra',
};
const SHA = '0123456789abcdef0123456789abcdef01234567';

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });

/** A client over a scripted fetch; sleeps are recorded, never waited. */
function scripted(
  answers: Array<Response | Error>,
  extra: Partial<ForgeClientOptions> = {},
  target: ForgeTarget = FORGEJO,
) {
  const calls: Array<{ url: string; init: RequestInit }> = [];
  const sleeps: number[] = [];
  let clock = 1_000_000;
  const client = createForgeClient({
    target,
    token: 'tok-123456',
    fetchImpl: (async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      const next = answers.shift();
      if (!next) throw new Error('no more scripted answers');
      if (next instanceof Error) throw next;
      return next;
    }) as unknown as typeof fetch,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    now: () => clock,
    random: () => 0.5,
    ...extra,
  });
  return { client, calls, sleeps };
}

const status = { state: 'success' as const, context: 'edge/x/y', description: 'ok' };

afterEach(() => resetSecretsForTest());

/** The ForgeApiError a call rejects with (anything else, or no rejection, fails the test). */
async function thrown(fn: () => Promise<unknown>, kind: typeof ForgeApiError): Promise<ForgeApiError> {
  const e = await fn().then(
    () => new Error('expected a rejection'),
    (err: unknown) => err,
  );
  if (e instanceof kind) return e;
  throw e;
}

describe('where the forge is', () => {
  test.each([
    [
      'GitHub',
      {
        GITHUB_ACTIONS: 'true',
        GITHUB_API_URL: 'https://api.github.com',
        GITHUB_REPOSITORY: 'o/r',
        GITHUB_SERVER_URL: 'https://github.com',
      },
      {
        kind: 'github',
        apiUrl: 'https://api.github.com',
        serverUrl: 'https://github.com',
        repository: 'o/r',
      },
    ],
    [
      'Forgejo (AppURL with its trailing slash)',
      {
        FORGEJO_ACTIONS: 'true',
        GITHUB_API_URL: 'https://git.example/api/v1',
        GITHUB_REPOSITORY: 'o/r',
        GITHUB_SERVER_URL: 'https://git.example/',
      },
      {
        kind: 'forgejo',
        apiUrl: 'https://git.example/api/v1',
        serverUrl: 'https://git.example',
        repository: 'o/r',
      },
    ],
    [
      'Forgejo recognised by /api/v1 alone, FORGEJO_API_URL',
      { FORGEJO_API_URL: 'https://git.example/api/v1/', GITHUB_REPOSITORY: 'o/r' },
      { kind: 'forgejo', apiUrl: 'https://git.example/api/v1', serverUrl: '', repository: 'o/r' },
    ],
    ['no API URL', { GITHUB_ACTIONS: 'true', GITHUB_REPOSITORY: 'o/r' }, { missing: 'GITHUB_API_URL' }],
    ['no repository', { GITHUB_API_URL: 'https://api.github.com' }, { missing: 'GITHUB_REPOSITORY' }],
  ])('%s', (_name, env, want) => {
    expect(forgeTargetFromEnv(env)).toEqual(want);
  });

  test('the run page: GitHub by run_id, Forgejo by run_number (its web routes take the run index)', () => {
    const env = { GITHUB_RUN_ID: '4242', GITHUB_RUN_NUMBER: '17' };
    expect(runUrl(GITHUB, env)).toBe('https://github.com/ops/infra/actions/runs/4242');
    expect(runUrl(FORGEJO, env)).toBe('https://forgejo.example.org/ops/infra/actions/runs/17');
    expect(runUrl(FORGEJO, { GITHUB_RUN_ID: '4242' })).toBeUndefined();
  });

  test('no token: connectForge says how to pass one, per forge', () => {
    const env = {
      GITHUB_ACTIONS: 'true',
      GITHUB_API_URL: 'https://api.github.com',
      GITHUB_REPOSITORY: 'o/r',
    };
    expect(connectForge(undefined, env)).toEqual({
      unavailable:
        "no token: pass 'forge-token: ${{ github.token }}' (GitHub does not put the job token in the environment)",
    });
    expect('setStatus' in (connectForge('t', env) as object)).toBe(true);
  });
});

describe('rate limits (GitHub "Rate limits for the REST API")', () => {
  const h = (o: Record<string, string>) => new Headers(o);
  test.each([
    ['429 with retry-after seconds', 429, { 'retry-after': '7' }, '', 7000],
    ['403 with retry-after', 403, { 'retry-after': '2' }, 'You have exceeded a secondary rate limit', 2000],
    [
      'primary limit: remaining 0, wait until reset (+1s)',
      403,
      { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1030' },
      'API rate limit exceeded',
      31_000,
    ],
    [
      'secondary limit without headers: at least a minute',
      403,
      {},
      'You have exceeded a secondary rate limit',
      60_000,
    ],
    ['429 without headers', 429, {}, '', 60_000],
    ['a plain 403 is a permission problem', 403, {}, 'Resource not accessible by integration', undefined],
    ['a 500 is not a rate limit', 500, { 'retry-after': '3' }, '', undefined],
  ])('%s', (_name, code, headers, message, want) => {
    expect(rateLimitWait(code, h(headers), message, 1_000_000)).toBe(want);
  });
});

describe('retries: only what can succeed later, within the budget', () => {
  test('5xx is retried with backoff until it succeeds', async () => {
    const { client, calls, sleeps } = scripted([json(500, { message: 'x' }), json(502, {}), json(201, {})]);
    await client.setStatus(SHA, status);
    expect(calls).toHaveLength(3);
    expect(sleeps).toEqual([750, 1500]);
  });

  test('a network error is retried', async () => {
    const err = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    const { client, calls } = scripted([err, json(201, {})]);
    await client.setStatus(SHA, status);
    expect(calls).toHaveLength(2);
  });

  test.each([
    [401, 'auth'],
    [403, 'permission'],
    [404, 'not-found'],
    [422, 'rejected'],
  ])('%d is not retried (%s)', async (code, kind) => {
    const { client, calls, sleeps } = scripted([json(code, { message: 'no' })]);
    const err = await thrown(() => client.setStatus(SHA, status), ForgeApiError);
    expect(err.kind).toBe(kind);
    expect(err.retryable).toBe(false);
    expect(calls).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  test('a rate limit honours retry-after, then succeeds', async () => {
    const { client, sleeps } = scripted([
      json(429, { message: 'slow down' }, { 'retry-after': '3' }),
      json(201, {}),
    ]);
    await client.setStatus(SHA, status);
    expect(sleeps).toEqual([3000]);
  });

  test('a rate limit that lasts beyond the budget is not waited for', async () => {
    const { client, calls, sleeps } = scripted(
      [
        json(
          403,
          { message: 'API rate limit exceeded' },
          { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '5000' },
        ),
      ],
      { budgetMs: 60_000 },
    );
    const err = await thrown(() => client.setStatus(SHA, status), ForgeApiError);
    expect(err.kind).toBe('rate-limited');
    expect(calls).toHaveLength(1);
    expect(sleeps).toEqual([]);
    expect(err.describe()).toContain('rate-limiting');
  });

  test('at most maxAttempts, then the last failure with the attempt count', async () => {
    const { client, calls } = scripted([json(500, { message: 'a' }), json(500, { message: 'b' })], {
      maxAttempts: 2,
    });
    const err = await thrown(() => client.setStatus(SHA, status), ForgeApiError);
    expect(calls).toHaveLength(2);
    expect(err.attempts).toBe(2);
    expect(err.describe()).toBe(
      `Setting the commit status 'edge/x/y' failed: HTTP 500 ("b") after 2 attempts; the forge had a server error.`,
    );
  });

  test('a redirect is reported, never followed (it could carry the token elsewhere)', async () => {
    const { client, calls } = scripted([json(301, {}, { location: 'https://elsewhere.example/x' })]);
    const err = await thrown(() => client.setStatus(SHA, status), ForgeApiError);
    expect(err.detail).toBe('redirected to https://elsewhere.example/x');
    expect(calls[0].init.redirect).toBe('manual');
  });
});

describe('requests', () => {
  test('the token only in the Authorization header; bodies are redacted', async () => {
    registerSecret('s3cr3t-value');
    const { client, calls } = scripted([json(201, { id: 1, body: 'x', user: { login: 'a' } })]);
    await client.createComment(3, 'plan mentions s3cr3t-value by mistake');
    expect(calls[0].url).toBe('https://forgejo.example.org/api/v1/repos/ops/infra/issues/3/comments');
    expect((calls[0].init.headers as Record<string, string>).Authorization).toBe('token tok-123456');
    expect(calls[0].init.body).toBe(JSON.stringify({ body: 'plan mentions *** by mistake' }));
  });

  test('GitHub: versioned media type and API version header', async () => {
    const { client, calls } = scripted([json(201, {})], {}, GITHUB);
    await client.setStatus(SHA, { ...status, targetUrl: 'https://github.com/ops/infra/actions/runs/1' });
    const headers = calls[0].init.headers as Record<string, string>;
    expect(headers.Accept).toBe('application/vnd.github+json');
    expect(headers['X-GitHub-Api-Version']).toBe('2022-11-28');
    expect(JSON.parse(String(calls[0].init.body))).toEqual({
      state: 'success',
      context: 'edge/x/y',
      description: 'ok',
      target_url: 'https://github.com/ops/infra/actions/runs/1',
    });
  });

  test('remote error text is one redacted line of at most 200 characters', async () => {
    registerSecret('leaky-token-value');
    const { client } = scripted([json(422, { message: `bad\nthing leaky-token-value ${'x'.repeat(400)}` })]);
    const err = await thrown(() => client.setStatus(SHA, status), ForgeApiError);
    expect(err.detail).not.toContain('\n');
    expect(err.detail).not.toContain('leaky-token-value');
    expect(err.detail.length).toBeLessThanOrEqual(200);
  });

  test('identity: the token user, or the job token bot when /user is refused', async () => {
    expect(await scripted([json(200, { login: 'deploy-bot' })]).client.identity()).toBe('deploy-bot');
    expect(
      await scripted(
        [json(403, { message: 'Resource not accessible by integration' })],
        {},
        GITHUB,
      ).client.identity(),
    ).toBe('github-actions[bot]');
    expect(await scripted([json(404, { message: 'nope' })]).client.identity()).toBe('forgejo-actions');
  });

  test('Forgejo: the pull request of a commit is the one merged as it, 404 means none', async () => {
    const { client, calls } = scripted([json(404, { message: 'pull request does not exist' })]);
    expect(await client.pullRequestsOfCommit(SHA)).toEqual([]);
    expect(calls[0].url).toBe(`https://forgejo.example.org/api/v1/repos/ops/infra/commits/${SHA}/pull`);
  });
});

describe('bestEffort', () => {
  test('a forge failure becomes one warning and undefined', async () => {
    const warnings: string[] = [];
    const out = await bestEffort(
      'Plan comment',
      async () => {
        throw new ForgeApiError(
          'Commenting on #3',
          'permission',
          403,
          'Resource not accessible by integration',
        );
      },
      (m) => warnings.push(m),
    );
    expect(out).toBeUndefined();
    expect(warnings).toEqual([
      'Plan comment skipped: Commenting on #3 failed: HTTP 403 ("Resource not accessible by integration"); the token may not do this (GitHub: grant the job `permissions:` statuses/issues/pull-requests: write; pull requests from forks get a read-only token on both forges). The step\'s own result is unchanged.',
    ]);
  });

  test('success passes the value through without a warning', async () => {
    const warnings: string[] = [];
    expect(
      await bestEffort(
        'x',
        async () => 42,
        (m) => warnings.push(m),
      ),
    ).toBe(42);
    expect(warnings).toEqual([]);
  });
});
