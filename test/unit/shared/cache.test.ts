import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, jest, test } from '@jest/globals';
import {
  cacheKey,
  cacheKeyPrefix,
  localCacheDirProblem,
  openCache,
  resetCacheStateForTest,
  type CacheToolkit,
} from '../../../shared/cache.js';
import { MANIFEST_FILE } from '../../../shared/cache-manifest.js';
import { InputError } from '../../../shared/errors.js';
import { thrown } from '../../support/thrown.js';
import { captureStdout } from '../../support/stdout-capture.js';

/**
 * shared/cache.ts with an injected toolkit (the real `@actions/cache` runs against the stand-in in
 * test/integration/lifecycle/cache.test.ts): statuses, warnings, what is touched on disk.
 */
const roots: string[] = [];
const out = captureStdout(resetCacheStateForTest);
afterAll(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'cache-unit-'));
  roots.push(d);
  return d;
}

/** A toolkit holding entries in memory; it prints like @actions/core does (annotations on stdout). */
function fakeToolkit(o: { available?: boolean; lookupFails?: string; unpackFails?: string } = {}) {
  const entries = new Map<string, Map<string, Buffer>>();
  const calls: string[] = [];
  const say = (line: string) => process.stdout.write(line + '\n');
  const toolkit: CacheToolkit = {
    isFeatureAvailable: () => o.available ?? true,
    async restoreCache(paths, primaryKey, restoreKeys = [], options = {}) {
      calls.push(`${options.lookupOnly ? 'lookup' : 'restore'} ${primaryKey}`);
      if (options.lookupOnly && o.lookupFails) {
        say(`::warning::Failed to restore: ${o.lookupFails}`);
        return undefined;
      }
      const keys = [...entries.keys()].sort().reverse();
      const hit = [primaryKey, ...restoreKeys].map((p) => keys.find((k) => k.startsWith(p))).find(Boolean);
      if (!hit || options.lookupOnly) return hit;
      say('Cache Size: ~0 MB');
      if (o.unpackFails) {
        fs.writeFileSync(path.join(paths[0], 'partial'), 'half');
        say(`::error::Failed to restore: ${o.unpackFails}`);
        return undefined;
      }
      for (const [name, data] of entries.get(hit)!) {
        fs.mkdirSync(path.dirname(path.join(paths[0], name)), { recursive: true });
        fs.writeFileSync(path.join(paths[0], name), data);
      }
      return hit;
    },
    async saveCache(paths, key) {
      calls.push(`save ${key}`);
      const files = new Map<string, Buffer>();
      const walk = (rel: string) => {
        for (const e of fs.readdirSync(path.join(paths[0], rel), { withFileTypes: true })) {
          const r = path.join(rel, e.name);
          if (e.isDirectory()) walk(r);
          else files.set(r, fs.readFileSync(path.join(paths[0], r)));
        }
      };
      walk('');
      entries.set(key, files);
      return entries.size;
    },
  };
  return { toolkit, entries, calls };
}

const KEY = cacheKey({
  purpose: 'tofu-providers',
  tool: 'tofu',
  version: '1.8.1',
  content: 'ab12',
  os: 'darwin',
  arch: 'arm64',
});

test('keys: purpose, OS, architecture, tool@version, content; bad parts are refused', () => {
  expect(KEY).toBe('tofu-providers-darwin-arm64-tofu@1.8.1-ab12');
  expect(
    cacheKeyPrefix({ purpose: 'restic-cache', tool: 'restic', version: '0.17.3', os: 'linux', arch: 'x64' }),
  ).toBe('restic-cache-linux-x64-restic@0.17.3-');
  expect(() => cacheKey({ purpose: 'x', tool: 'to,fu', version: '1', content: 'a' })).toThrow(
    /bad cache key tool/,
  );
  expect(() => cacheKey({ purpose: 'x', tool: 'tofu', version: '1', content: 'a b' })).toThrow(/content/);
});

function entryIn(workspace: string) {
  const dir = path.join(tmp(), 'providers');
  return { entry: { label: 'OpenTofu providers', dir, key: KEY }, env: { GITHUB_WORKSPACE: workspace } };
}

describe('Actions cache', () => {
  test('miss, save (manifest archived, then removed from the directory), hit, unchanged', async () => {
    const fake = fakeToolkit();
    const warn = jest.fn<(m: string) => void>();
    const { entry, env } = entryIn(tmp());
    const cache = openCache({ warn, env, loadToolkit: async () => fake.toolkit });
    expect((await cache.restore(entry)).status).toBe('miss');
    fs.writeFileSync(path.join(entry.dir, 'provider'), 'p'.repeat(10));
    const saved = await cache.save(entry);
    expect(saved).toMatchObject({ backend: 'actions', status: 'saved', files: 1, bytes: 10 });
    const [stored] = [...fake.entries.keys()];
    expect(stored).toMatch(/^edge-v1-[0-9a-f]{10}-tofu-providers-darwin-arm64-tofu@1\.8\.1-ab12-[0-9a-z]+$/);
    expect([...fake.entries.get(stored)!.keys()].sort()).toEqual([MANIFEST_FILE, 'provider']);
    expect(fs.readdirSync(entry.dir)).toEqual(['provider']);

    fs.rmSync(entry.dir, { recursive: true });
    const again = openCache({ warn, env, loadToolkit: async () => fake.toolkit });
    const hit = await again.restore(entry);
    expect(hit).toMatchObject({
      status: 'hit',
      files: 1,
      bytes: 10,
      entryKey: stored.replace(/^edge-v1-[0-9a-f]+-/, ''),
    });
    expect(fs.readdirSync(entry.dir)).toEqual(['provider']);
    expect((await again.save(entry)).status).toBe('unchanged');
    expect(warn).not.toHaveBeenCalled();
    expect(out.written.join('')).toMatch(
      /Cache hit: OpenTofu providers restored from the Actions cache and verified \(1 files, 10 B/,
    );
  });

  test('the same directory seen from another workspace position is another entry', async () => {
    const fake = fakeToolkit();
    const { entry } = entryIn(tmp());
    const a = openCache({
      warn: () => undefined,
      env: { GITHUB_WORKSPACE: '/w/x' },
      loadToolkit: async () => fake.toolkit,
    });
    fs.mkdirSync(entry.dir, { recursive: true });
    fs.writeFileSync(path.join(entry.dir, 'f'), 'x');
    await a.save(entry);
    fs.rmSync(entry.dir, { recursive: true });
    const b = openCache({
      warn: () => undefined,
      env: { GITHUB_WORKSPACE: '/w/x/y' },
      loadToolkit: async () => fake.toolkit,
    });
    expect((await b.restore(entry)).status).toBe('miss');
  });

  test('no cache service: unavailable, said once for the whole step, no warning, the toolkit not asked', async () => {
    const fake = fakeToolkit({ available: false });
    const warn = jest.fn<(m: string) => void>();
    const { entry, env } = entryIn(tmp());
    for (let i = 0; i < 2; i++) {
      const cache = openCache({ warn, env, loadToolkit: async () => fake.toolkit });
      expect((await cache.restore(entry)).status).toBe('unavailable');
      fs.mkdirSync(entry.dir, { recursive: true });
      fs.writeFileSync(path.join(entry.dir, 'f'), 'x');
      expect((await cache.save(entry)).status).toBe('unavailable');
      fs.rmSync(entry.dir, { recursive: true });
    }
    expect(out.written.join('').split('No Actions cache service').length).toBe(2);
    expect(warn).not.toHaveBeenCalled();
    expect(fake.calls).toEqual([]);
  });

  test('a failing service: one warning, its annotation not issued, no further calls in this step', async () => {
    const fake = fakeToolkit({ lookupFails: 'Cache service responded with 500' });
    const warn = jest.fn<(m: string) => void>();
    const { entry, env } = entryIn(tmp());
    const cache = openCache({ warn, env, loadToolkit: async () => fake.toolkit });
    expect(await cache.restore(entry)).toMatchObject({
      status: 'error',
      note: 'Failed to restore: Cache service responded with 500',
    });
    fs.writeFileSync(path.join(entry.dir, 'f'), 'x');
    expect((await cache.save(entry)).status).toBe('unavailable');
    expect(warn.mock.calls).toEqual([
      [expect.stringMatching(/^The Actions cache service failed while looking up OpenTofu providers: .*500/)],
    ]);
    expect(out.written.join('')).not.toContain('::warning::');
    expect(fake.calls.filter((c) => c.startsWith('save'))).toEqual([]);
  });

  test('an entry that fails to unpack: the directory is emptied, one warning, corrupt', async () => {
    const fake = fakeToolkit();
    const { entry, env } = entryIn(tmp());
    const saver = openCache({ warn: () => undefined, env, loadToolkit: async () => fake.toolkit });
    fs.mkdirSync(entry.dir, { recursive: true });
    fs.writeFileSync(path.join(entry.dir, 'f'), 'x');
    await saver.save(entry);
    fs.rmSync(entry.dir, { recursive: true });

    const broken = fakeToolkit({ unpackFails: 'tar: Unexpected EOF in archive' });
    for (const [k, v] of fake.entries) broken.entries.set(k, v);
    const warn = jest.fn<(m: string) => void>();
    const cache = openCache({ warn, env, loadToolkit: async () => broken.toolkit });
    expect(await cache.restore(entry)).toMatchObject({
      status: 'corrupt',
      note: 'Failed to restore: tar: Unexpected EOF in archive',
    });
    expect(fs.readdirSync(entry.dir)).toEqual([]);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(out.written.join('')).not.toMatch(/::error::/);
  });

  test('a directory with content is left exactly as it is', async () => {
    const fake = fakeToolkit();
    const { entry, env } = entryIn(tmp());
    fs.mkdirSync(entry.dir, { recursive: true });
    fs.writeFileSync(path.join(entry.dir, 'mine'), 'keep');
    const cache = openCache({ warn: () => undefined, env, loadToolkit: async () => fake.toolkit });
    expect((await cache.restore(entry)).status).toBe('present');
    expect(fs.readFileSync(path.join(entry.dir, 'mine'), 'utf8')).toBe('keep');
    expect(fake.calls).toEqual([]);
  });

  test('a directory that cannot be read is reported and never emptied', async () => {
    const fake = fakeToolkit();
    const { entry, env } = entryIn(tmp());
    fs.writeFileSync(entry.dir, 'a file where the directory should be');
    const warn = jest.fn<(m: string) => void>();
    const cache = openCache({ warn, env, loadToolkit: async () => fake.toolkit });
    expect((await cache.restore(entry)).status).toBe('error');
    expect(fs.readFileSync(entry.dir, 'utf8')).toBe('a file where the directory should be');
    expect(warn).toHaveBeenCalledTimes(1);
  });
});

describe('runner-local store', () => {
  test('the store must be an absolute directory outside the workspace and RUNNER_TEMP', () => {
    const env = { GITHUB_WORKSPACE: '/w/repo', RUNNER_TEMP: '/w/_temp' };
    expect(localCacheDirProblem('cache', env)).toBe('an absolute path');
    expect(localCacheDirProblem('/', env)).toBe('a directory, not the file system root');
    expect(localCacheDirProblem('/w/repo/.cache', env)).toMatch(/outside the workspace/);
    expect(localCacheDirProblem('/w/_temp/x', env)).toMatch(/outside RUNNER_TEMP/);
    expect(localCacheDirProblem('/w/repo-cache', env)).toBeUndefined();
    const e = thrown(
      () => openCache({ warn: () => undefined, env, local: { dir: '/w/repo/c', input: 'plugin-cache-dir' } }),
      InputError,
    );
    expect(e.message).toBe(
      "Input 'plugin-cache-dir' is invalid: expected a directory outside the workspace (the checkout is re-cloned), got '/w/repo/c'.",
    );
  });

  test('round trip, fallback prefix, and only the two newest entries of a key are kept', async () => {
    const store = tmp();
    const { entry, env } = entryIn(tmp());
    const cache = () => openCache({ warn: () => undefined, env, local: { dir: store, input: 'store' } });
    for (let i = 0; i < 3; i++) {
      fs.rmSync(entry.dir, { recursive: true, force: true });
      fs.mkdirSync(entry.dir, { recursive: true });
      fs.writeFileSync(path.join(entry.dir, 'gen'), String(i));
      expect((await cache().save(entry)).status).toBe('saved');
    }
    expect(fs.readdirSync(path.join(store, 'edge-cache-v1', 'entries'))).toHaveLength(2);
    expect(fs.readFileSync(path.join(store, 'edge-cache-v1', 'CACHEDIR.TAG'), 'utf8')).toMatch(
      /^Signature: 8a477f597d28d172789f06886806bc55/,
    );
    fs.rmSync(entry.dir, { recursive: true });
    expect((await cache().restore(entry)).status).toBe('hit');
    expect(fs.readFileSync(path.join(entry.dir, 'gen'), 'utf8')).toBe('2');

    fs.rmSync(entry.dir, { recursive: true });
    const newer = {
      ...entry,
      key: `${cacheKeyPrefix({ purpose: 'tofu-providers', tool: 'tofu', version: '1.8.1', os: 'darwin', arch: 'arm64' })}ffff`,
    };
    const fallback = await cache().restore({
      ...newer,
      fallbackPrefixes: [
        cacheKeyPrefix({
          purpose: 'tofu-providers',
          tool: 'tofu',
          version: '1.8.1',
          os: 'darwin',
          arch: 'arm64',
        }),
      ],
    });
    expect(fallback.status).toBe('fallback');
  });
});
