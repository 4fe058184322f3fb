import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { errorLines, runAction, warningLines, type ActionRun } from '../../support/run-action.js';
import {
  startActionsServices,
  type ActionsServices,
} from '../../support/standins/actions-services/server.js';
import { requireTool } from '../../support/tools.js';
import {
  PASSWORD,
  backup,
  fetched,
  initRepo,
  makeSource,
  makeWideSource,
  restic,
  startCountingProxy,
  startRestServer,
  tempDir,
  type BackendRequest,
  type CountingProxy,
  type RestServer,
} from '../../support/restic-restore-check-fixtures.js';

/**
 * restic's cache between runs (issue 16), measured from the outside: the real restic against a REST
 * repository (`rclone serve restic`) behind a proxy that records every file restic fetches. What the
 * cache holds is what the second run does not fetch. `check: none` so that only the commands that use
 * the cache read the repository (`restic check` always makes its own temporary cache).
 */
const LIMIT = 300_000;
let root: string;
let server: RestServer;
let proxy: CountingProxy;
let repository: string;
let repoId: string;
const services: ActionsServices[] = [];
const timings: string[] = [];

beforeAll(async () => {
  requireTool('restic');
  requireTool('rclone');
  root = tempDir('cache');
  const src = makeSource(root);
  const wide = makeWideSource(root, 1500);
  const served = path.join(root, 'served');
  fs.mkdirSync(served);
  server = await startRestServer(served);
  // The fixtures run restic synchronously: straight to the server, not through this process's proxy.
  const direct = `rest:${server.url}/forgejo`;
  initRepo(direct);
  // A few snapshots: several index files and tree packs, as a repository that has been in use.
  for (let i = 0; i < 4; i++) {
    fs.writeFileSync(path.join(wide, 'd0', `changed-${i}.txt`), `run ${i}\n`);
    backup(direct, [src, wide], { tags: ['daily'] });
  }
  repoId = (JSON.parse(restic(direct, ['cat', 'config'])) as { id: string }).id;
  proxy = await startCountingProxy(server);
  repository = `rest:${proxy.url}/forgejo`;
}, LIMIT);

afterAll(async () => {
  await proxy?.close();
  await server?.stop();
  for (const s of services) await s.stop();
  if (timings.length) console.log(`restic cache timings (not asserted):\n${timings.join('\n')}`);
  fs.rmSync(root, { recursive: true, force: true });
});

interface Measured extends ActionRun {
  requests: BackendRequest[];
  cache: {
    hit?: boolean;
    source?: string;
    repository?: string;
    damaged?: unknown[];
    actions?: { restore?: { status: string }; save?: { status: string } };
  };
}

async function check(o: {
  cacheDir?: string;
  cache?: string;
  env?: Record<string, string>;
  workspace?: string;
  label: string;
}): Promise<Measured> {
  const from = proxy.requests.length;
  const started = Date.now();
  const r = await runAction({
    action: 'restic-restore-check',
    inputs: {
      repository,
      password: PASSWORD,
      tags: 'daily',
      check: 'none',
      'sample-files': '5',
      'sample-seed': '7',
      timeout: '120s',
      ...(o.cache ? { cache: o.cache } : {}),
      ...(o.cacheDir ? { 'cache-dir': o.cacheDir } : {}),
    },
    env: o.env,
    workspace: o.workspace,
    timeoutMs: LIMIT - 30_000,
  });
  const requests = proxy.requests.slice(from);
  const wall = Date.now() - started;
  const index = fetched(requests, 'index');
  const data = fetched(requests, 'data');
  timings.push(
    `${o.label}: ${wall} ms wall; index ${index.count} GETs/${index.bytes} B, packs ${data.count} GETs/${data.bytes} B`,
  );
  const cache = ((r.report?.result ?? {}) as { cache?: Measured['cache'] }).cache ?? {};
  return { ...r, requests, cache };
}

function job(): { dir: string; cacheDir: string; workspace: string } {
  const dir = fs.mkdtempSync(path.join(root, 'job-'));
  const workspace = path.join(dir, 'workspace');
  fs.mkdirSync(workspace);
  return { dir, cacheDir: path.join(dir, 'home', 'restic-cache'), workspace };
}

/** Files restic keeps for this repository: `<cache-dir>/<id>/{index,snapshots,data}/…`. */
function cachedFiles(cacheDir: string, type: string): string[] {
  const dir = path.join(cacheDir, repoId, type);
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) =>
    fs.statSync(path.join(dir, f)).isFile(),
  );
}

describe('runner-local cache-dir', () => {
  test(
    'the second run fetches no index and fewer pack bytes; cache: off fetches everything again',
    async () => {
      const j = job();
      const first = await check({ cacheDir: j.cacheDir, label: 'runner-local, first run (empty cache-dir)' });
      expect(first.exitCode).toBe(0);
      expect(first.cache).toMatchObject({ repository: repoId, hit: false, source: 'none' });
      expect(first.log).toContain('restic cache miss');
      const firstIndex = fetched(first.requests, 'index');
      expect(firstIndex.count).toBeGreaterThan(0);
      expect(cachedFiles(j.cacheDir, 'index')).toHaveLength(firstIndex.count);
      expect(cachedFiles(j.cacheDir, 'data').length).toBeGreaterThan(0);

      const second = await check({ cacheDir: j.cacheDir, label: 'runner-local, second run (kept cache)' });
      expect(second.exitCode).toBe(0);
      expect(second.cache).toMatchObject({ hit: true, source: 'runner-local' });
      expect(second.log).toContain('restic cache hit');
      expect(fetched(second.requests, 'index').count).toBe(0);
      expect(fetched(second.requests, 'snapshots').count).toBe(0);
      // Only the sampled files' content packs; the tree packs come from the cache.
      expect(fetched(second.requests, 'data').bytes).toBeLessThan(fetched(first.requests, 'data').bytes);
      expect(warningLines(second.log)).toEqual([]);

      // The control: without a kept cache the same check fetches the index again.
      const off = await check({ cache: 'off', cacheDir: j.cacheDir, label: 'cache: off' });
      expect(off.exitCode).toBe(0);
      expect(fetched(off.requests, 'index').count).toBe(firstIndex.count);
      expect(off.summary).toContain('off: a fresh cache for this run only');
    },
    LIMIT,
  );

  test(
    'a damaged and a truncated cached file are dropped with one warning and fetched again; the check passes',
    async () => {
      const j = job();
      expect((await check({ cacheDir: j.cacheDir, label: 'corrupt: fill' })).exitCode).toBe(0);
      const [index] = cachedFiles(j.cacheDir, 'index');
      const [pack] = cachedFiles(j.cacheDir, 'data');
      const indexFile = path.join(j.cacheDir, repoId, 'index', index);
      const bytes = fs.readFileSync(indexFile);
      bytes[Math.floor(bytes.length / 2)] ^= 0xff;
      fs.writeFileSync(indexFile, bytes);
      const packFile = path.join(j.cacheDir, repoId, 'data', pack);
      fs.truncateSync(packFile, Math.floor(fs.statSync(packFile).size / 2));

      const r = await check({ cacheDir: j.cacheDir, label: 'corrupt: damaged cache' });
      expect(r.exitCode).toBe(0);
      expect(r.cache.damaged).toHaveLength(2);
      expect(warningLines(r.log)).toHaveLength(1);
      expect(warningLines(r.log)[0]).toMatch(/held 2 damaged file\(s\)/);
      expect(errorLines(r.log)).toEqual([]);
      // Fetched again, and whole again in the cache.
      expect(fetched(r.requests, 'index').count).toBe(1);
      expect(fs.readFileSync(indexFile)).not.toEqual(bytes);
    },
    LIMIT,
  );
});

describe('Actions cache on an ephemeral runner (forgejo-runner cache server, v1)', () => {
  test(
    'first job saves restic cache files keyed by the repository id; the next job on an empty runner restores them and fetches no index',
    async () => {
      const s = await startActionsServices('forgejo');
      services.push(s);
      const env = s.env({ cache: 'v1' });
      const j = job();

      const first = await check({
        cacheDir: j.cacheDir,
        env,
        workspace: j.workspace,
        label: 'Actions cache, first job',
      });
      expect(first.exitCode).toBe(0);
      expect(first.cache).toMatchObject({
        hit: false,
        actions: { restore: { status: 'miss' }, save: { status: 'saved' } },
      });
      expect(s.cacheEntries.some((e) => e.complete && e.key.includes(repoId))).toBe(true);
      expect(warningLines(first.log)).toEqual([]);

      // The runner is gone: a new one starts with nothing in cache-dir.
      fs.rmSync(j.cacheDir, { recursive: true, force: true });
      const second = await check({
        cacheDir: j.cacheDir,
        env,
        workspace: j.workspace,
        label: 'Actions cache, second job',
      });
      expect(second.exitCode).toBe(0);
      expect(second.cache).toMatchObject({
        hit: true,
        source: 'actions-cache',
        actions: { restore: { status: 'hit' } },
      });
      expect(second.log).toContain('restored from the Actions cache');
      expect(fetched(second.requests, 'index').count).toBe(0);
      expect(warningLines(second.log)).toEqual([]);
      // Nothing of the action's is left in cache-dir: only restic's own directory and tag file.
      expect(fs.readdirSync(j.cacheDir).sort()).toEqual(['CACHEDIR.TAG', repoId].sort());
    },
    LIMIT,
  );

  test(
    'no cache service: said once, no warning, the check passes with the runner-local cache',
    async () => {
      const s = await startActionsServices('forgejo');
      services.push(s);
      const j = job();
      const r = await check({
        cacheDir: j.cacheDir,
        env: s.env({ cache: 'none' }),
        label: 'no cache service',
      });
      expect(r.exitCode).toBe(0);
      expect(r.log.split('No Actions cache service on this runner')).toHaveLength(2);
      expect(warningLines(r.log)).toEqual([]);
      expect(cachedFiles(j.cacheDir, 'index').length).toBeGreaterThan(0);
    },
    LIMIT,
  );

  test(
    'a damaged Actions cache entry: one warning, the check passes and a fresh entry is saved',
    async () => {
      const s = await startActionsServices('forgejo');
      services.push(s);
      const env = s.env({ cache: 'v1' });
      const j = job();
      expect(
        (await check({ cacheDir: j.cacheDir, env, workspace: j.workspace, label: 'damaged entry: fill' }))
          .exitCode,
      ).toBe(0);
      s.damageCacheEntry('edge-v1-', 'truncate');
      fs.rmSync(j.cacheDir, { recursive: true, force: true });
      const r = await check({ cacheDir: j.cacheDir, env, workspace: j.workspace, label: 'damaged entry' });
      expect(r.exitCode).toBe(0);
      expect(r.cache).toMatchObject({
        hit: false,
        actions: { restore: { status: 'corrupt' }, save: { status: 'saved' } },
      });
      expect(warningLines(r.log)).toHaveLength(1);
      expect(fetched(r.requests, 'index').count).toBeGreaterThan(0);
    },
    LIMIT,
  );
});
