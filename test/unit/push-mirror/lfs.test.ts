import { createHash } from 'node:crypto';
import { describe, expect, test } from '@jest/globals';
import { createBatchApi, lfsEndpoint } from '../../../actions/push-mirror/src/lfs/batch-api.js';
import { classifyLfsAnswer, LfsError } from '../../../actions/push-mirror/src/lfs/errors.js';
import {
  formatBytes,
  hasLfsFilter,
  parsePointer,
  pointerCandidates,
  pointersFromBatch,
} from '../../../actions/push-mirror/src/lfs/pointers.js';

/** The LfsError a promise rejects with (anything else fails the test). */
async function rejected(fn: () => Promise<unknown>): Promise<LfsError> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof LfsError) return e;
    throw e;
  }
  throw new Error('expected an LfsError');
}

const OID = createHash('sha256').update('hello').digest('hex');
const POINTER = `version https://git-lfs.github.com/spec/v1\noid sha256:${OID}\nsize 5\n`;

describe('pointers (git-lfs docs/spec.md)', () => {
  test.each([
    [POINTER, { oid: OID, size: 5 }],
    [POINTER.replace('\nsize 5\n', '\nsize 5'), { oid: OID, size: 5 }],
    [
      `version https://git-lfs.github.com/spec/v1\next-0-foo sha256:${OID}\noid sha256:${OID}\nsize 12345\n`,
      { oid: OID, size: 12345 },
    ],
    [
      POINTER.replace('version https://git-lfs.github.com/spec/v1', 'version https://example.org/v9'),
      undefined,
    ],
    [POINTER.replace(`sha256:${OID}`, `md5:${OID}`), undefined],
    [POINTER.replace('size 5', 'size -5'), undefined],
    [`oid sha256:${OID}\nversion https://git-lfs.github.com/spec/v1\nsize 5\n`, undefined],
    ['# just a small text file\n', undefined],
    [POINTER + 'x'.repeat(1100), undefined],
  ])('parsePointer %#', (text, want) => {
    expect(parsePointer(text)).toEqual(want);
  });

  test('candidates are the small blobs of rev-list | cat-file --batch-check, with their path', () => {
    const check = [
      `${'a'.repeat(40)} commit 250`,
      `${'b'.repeat(40)} tree 120 `,
      `${'c'.repeat(40)} blob 132 assets/logo.bin`,
      `${'d'.repeat(40)} blob 40 README.md`,
      `${'e'.repeat(40)} blob 1023 docs/with space.bin`,
    ].join('\n');
    expect(pointerCandidates(check)).toEqual([
      { sha: 'c'.repeat(40), size: 132, path: 'assets/logo.bin' },
      { sha: 'e'.repeat(40), size: 1023, path: 'docs/with space.bin' },
    ]);
  });

  test('cat-file --batch output is split by bytes: a binary blob does not shift the next one', () => {
    const binary = Buffer.from([0xff, 0xfe, 0x0a, 0x00, 0xc3, 0x28, 0x0a, 0x0a]);
    const pointer = Buffer.from(POINTER);
    const raw = Buffer.concat([
      Buffer.from(`${'1'.repeat(40)} blob ${binary.length}\n`),
      binary,
      Buffer.from('\n'),
      Buffer.from(`${'2'.repeat(40)} blob ${pointer.length}\n`),
      pointer,
      Buffer.from('\n'),
      Buffer.from(`${'3'.repeat(40)} blob ${pointer.length}\n`),
      pointer,
      Buffer.from('\n'),
    ]);
    const found = pointersFromBatch(raw, [
      { sha: '2'.repeat(40), size: pointer.length, path: 'a/first.bin' },
      { sha: '3'.repeat(40), size: pointer.length, path: 'b/copy.bin' },
    ]);
    // The same object under two paths is one object (named by the first path).
    expect(found).toEqual([{ oid: OID, size: 5, path: 'a/first.bin' }]);
  });

  test.each([
    ['*.bin filter=lfs diff=lfs merge=lfs -text\n', true],
    ['# *.bin filter=lfs\n*.txt text\n', false],
    ['*.psd   filter=lfs  -text', true],
    ['*.bin filter=lfsx\n', false],
  ])('hasLfsFilter(%j) is %s', (text, want) => {
    expect(hasLfsFilter(text)).toBe(want);
  });

  test.each([
    [999, '999 B'],
    [1500, '1.50 kB'],
    [200_000_000, '200 MB'],
  ])('formatBytes(%d)', (n, want) => {
    expect(formatBytes(n)).toBe(want);
  });
});

describe('classifyLfsAnswer', () => {
  test.each([
    [
      403,
      'This repository is over its data quota. Account responsible for LFS bandwidth should purchase more data packs to restore access.',
      'lfs-quota',
    ],
    [
      undefined,
      'batch response: This repository is over its data quota. Purchase more data packs to restore access.',
      'lfs-quota',
    ],
    [403, 'Git LFS is disabled for this repository.', 'lfs-disabled'],
    [422, 'Size must be less than or equal to 2147483648', 'lfs-too-large'],
    [
      undefined,
      '[3683a61e] Size must be less than 2147483648: [422] Size must be less than 2147483648',
      'lfs-too-large',
    ],
    [413, 'Request too large', 'lfs-too-large'],
    [undefined, 'LFS: Request Entity Too Large', 'lfs-too-large'],
    [507, 'x', 'lfs-quota'],
    [509, 'x', 'lfs-quota'],
    [undefined, 'LFS: Insufficient Storage', 'lfs-quota'],
    [401, 'Credentials needed', 'auth'],
    [403, 'Forbidden', 'auth'],
    [undefined, 'batch response: Authentication required: Credentials needed', 'auth'],
    [503, 'Service Unavailable', 'network'],
    [429, 'slow down', 'network'],
    [
      403,
      'This repository exceeded its LFS budget. The account responsible for the budget should increase it to restore access.',
      'lfs-quota',
    ],
    // Forgejo's quota answer (services/lfs/server.go): 413, which would otherwise read as too large.
    [413, 'quota exceeded', 'lfs-quota'],
    // Forgejo/Gitea with LFS_START_SERVER = false: a bare 404 for the batch request.
    [404, 'Not Found', 'lfs-disabled'],
    [
      undefined,
      'batch response: Repository or object not found: https://forgejo.example.org/ops/infra.git/info/lfs/objects/batch\nCheck that it exists and that you have proper access to it',
      'lfs-disabled',
    ],
    [undefined, 'Repository or object not found: https://forgejo.example.org/ops/infra.git', 'push-failed'],
  ])('%s %j → %s', (status, message, kind) => {
    const cls = classifyLfsAnswer(status, message);
    expect(cls.kind).toBe(kind);
    expect(cls.retryable).toBe(kind === 'network');
  });

  test("one object's 404 inside a batch answer is that object missing, not LFS switched off", () => {
    expect(classifyLfsAnswer(404, 'Object does not exist', 'object').kind).toBe('push-failed');
    expect(classifyLfsAnswer(404, 'Object does not exist').kind).toBe('lfs-disabled');
  });
});

describe('the batch API client', () => {
  test.each([
    ['https://github.com/org/repo.git', 'https://github.com/org/repo.git/info/lfs'],
    ['https://github.com/org/repo', 'https://github.com/org/repo.git/info/lfs'],
    ['https://github.com/org/repo/', 'https://github.com/org/repo.git/info/lfs'],
    ['http://127.0.0.1:3000/m.git', 'http://127.0.0.1:3000/m.git/info/lfs'],
  ])('endpoint of %s (docs/api/server-discovery.md)', (url, want) => {
    expect(lfsEndpoint(new URL(url))).toBe(want);
  });

  function fakeFetch(status: number, body: unknown) {
    const calls: Array<{ url: string; init: RequestInit }> = [];
    const impl = (async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      return new Response(typeof body === 'string' ? body : JSON.stringify(body), { status });
    }) as unknown as typeof fetch;
    return { calls, impl };
  }

  test('asks in chunks of 100 with the spec headers, the credential, no redirects', async () => {
    const objects = Array.from({ length: 150 }, (_, i) => ({ oid: String(i).padStart(64, '0'), size: i }));
    const f = fakeFetch(200, { transfer: 'basic', objects: [{ oid: objects[0].oid, size: 0 }] });
    const api = createBatchApi({
      endpoint: 'https://h/r.git/info/lfs',
      credential: 'Y3JlZA==',
      fetchImpl: f.impl,
    });
    await api.batch('upload', objects);
    expect(f.calls.map((c) => JSON.parse(String(c.init.body)).objects.length)).toEqual([100, 50]);
    const { url, init } = f.calls[0];
    expect(url).toBe('https://h/r.git/info/lfs/objects/batch');
    expect(init.headers).toMatchObject({
      Accept: 'application/vnd.git-lfs+json',
      'Content-Type': 'application/vnd.git-lfs+json',
      Authorization: 'Basic Y3JlZA==',
    });
    expect(init.redirect).toBe('error');
    expect(JSON.parse(String(init.body))).toMatchObject({ operation: 'upload', transfers: ['basic'] });
  });

  test('an object without actions is present; per-object errors are kept', async () => {
    const f = fakeFetch(200, {
      objects: [
        { oid: 'a', size: 1 },
        { oid: 'b', size: 2, actions: { upload: { href: 'x' }, verify: { href: 'y' } } },
        { oid: 'c', size: 3, error: { code: 404, message: 'Object does not exist' } },
      ],
    });
    const answers = await createBatchApi({ endpoint: 'https://h/r.git/info/lfs', fetchImpl: f.impl }).batch(
      'download',
      [{ oid: 'a', size: 1 }],
    );
    expect(answers).toEqual([
      { oid: 'a', size: 1, actions: [] },
      { oid: 'b', size: 2, actions: ['upload', 'verify'] },
      { oid: 'c', size: 3, actions: [], error: { code: 404, message: 'Object does not exist' } },
    ]);
  });

  test.each([
    [403, { message: 'Git LFS is disabled for this repository.' }, 'lfs-disabled'],
    [507, '<html>Insufficient Storage</html>', 'lfs-quota'],
    [401, { message: 'Credentials needed' }, 'auth'],
    [502, 'Bad gateway', 'network'],
  ])('HTTP %d becomes %s', async (status, body, kind) => {
    const f = fakeFetch(status, body);
    const e = await rejected(() =>
      createBatchApi({ endpoint: 'https://h/r.git/info/lfs', fetchImpl: f.impl }).batch('upload', [
        { oid: 'a', size: 1 },
      ]),
    );
    expect(e.kind).toBe(kind);
    expect(e.message).toContain(`HTTP ${status}`);
  });

  test('a connection failure is a retryable network error', async () => {
    const impl = (async () => {
      throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:1') });
    }) as unknown as typeof fetch;
    const e = await rejected(() =>
      createBatchApi({ endpoint: 'http://127.0.0.1:1/r.git/info/lfs', fetchImpl: impl }).batch('upload', [
        { oid: 'a', size: 1 },
      ]),
    );
    expect(e.kind).toBe('network');
    expect(e.retryable).toBe(true);
    expect(e.message).toContain('ECONNREFUSED');
  });
});
