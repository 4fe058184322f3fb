import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { bundleEntry } from '../../support/bundle-worker.js';
import { startFixtureRegistry, type FixtureRegistry } from '../../support/fixture-registry.js';
import { REPO_ROOT, errorLines, runAction, warningLines } from '../../support/run-action.js';
import {
  startActionsServices,
  unreachableUrl,
  type ActionsServices,
} from '../../support/standins/actions-services/server.js';

/**
 * shared/cache.ts through a fixture action shaped like the tofu provider cache (test/fixtures/cache-action):
 * the real `@actions/cache` against the cache stand-in — v1 as forgejo-runner serves it (Forgejo host)
 * and v2 as github.com does (ACTIONS_CACHE_SERVICE_V2) — and the runner-local store. "No download" is
 * counted at the fixture's registry.
 */
let actionDir: string;
let registry: FixtureRegistry;
const roots: string[] = [];
const services: ActionsServices[] = [];

beforeAll(async () => {
  actionDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cache-fixture-'));
  roots.push(actionDir);
  fs.copyFileSync(
    path.join(REPO_ROOT, 'test/fixtures/cache-action/action.yml'),
    path.join(actionDir, 'action.yml'),
  );
  await bundleEntry('test/fixtures/cache-action/src/main.ts', path.join(actionDir, 'dist'));
  registry = await startFixtureRegistry({
    'provider-a.bin': Buffer.alloc(300_000, 'a'),
    'provider-b.bin': Buffer.from('b'.repeat(70_000)),
    'provider-c.bin': Buffer.from('c'.repeat(5_000)),
  });
}, 1_200_000);

afterAll(async () => {
  await registry?.stop();
  for (const s of services) await s.stop();
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

async function standin(forge: 'github' | 'forgejo'): Promise<ActionsServices> {
  const s = await startActionsServices(forge);
  services.push(s);
  return s;
}

/** One "job" directory layout: the cache dir at a fixed path, a fresh workspace per run (same depth). */
function jobRoot(): { root: string; cacheDir: string; lock: (names: string[]) => string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cache-job-'));
  roots.push(root);
  return {
    root,
    cacheDir: path.join(root, 'home', 'providers'),
    lock: (names) => {
      const file = path.join(root, `lock-${names.join('+')}.txt`);
      fs.writeFileSync(file, registry.lockFile(names));
      return file;
    },
  };
}

async function runFixture(o: {
  env: Record<string, string>;
  cacheDir: string;
  lockFile: string;
  localStore?: string;
  workspace?: string;
}) {
  // Ephemeral runner: the directory does not survive between jobs.
  if (!o.localStore) fs.rmSync(o.cacheDir, { recursive: true, force: true });
  const before = registry.downloads.length;
  const run = await runAction({
    actionDir,
    forge: o.env.FORGEJO_ACTIONS === 'true' ? 'forgejo' : 'github',
    env: o.env,
    workspace: o.workspace,
    inputs: {
      'lock-file': o.lockFile,
      'registry-url': registry.url,
      'cache-dir': o.cacheDir,
      ...(o.localStore ? { 'local-store': o.localStore } : {}),
    },
  });
  return { ...run, fetched: registry.downloads.slice(before) };
}

describe.each([
  ['forgejo', 'v1'],
  ['github', 'v2'],
  ['github', 'v1'],
] as const)('Actions cache on %s (%s protocol)', (forge, protocol) => {
  test('a second run on the same lock file downloads nothing; a changed lock file misses', async () => {
    const s = await standin(forge);
    const env = s.env({ cache: protocol });
    const job = jobRoot();
    const lock = job.lock(['provider-a.bin', 'provider-b.bin']);

    const first = await runFixture({ env, cacheDir: job.cacheDir, lockFile: lock });
    expect(first.exitCode).toBe(0);
    expect(first.outputs).toMatchObject({ restore: 'miss', save: 'saved', downloads: '2' });
    expect(first.fetched.sort()).toEqual(['provider-a.bin', 'provider-b.bin']);
    expect(first.log).toContain('Cache miss: no fixture providers in the Actions cache yet');
    expect(s.requests.filter((r) => r.service === `cache-${protocol}`).length).toBeGreaterThan(0);

    const second = await runFixture({ env, cacheDir: job.cacheDir, lockFile: lock });
    expect(second.exitCode).toBe(0);
    expect(second.outputs).toMatchObject({ restore: 'hit', save: 'unchanged', downloads: '0' });
    expect(second.fetched).toEqual([]);
    expect(second.log).toMatch(
      /Cache hit: fixture providers restored from the Actions cache and verified \(2 files, 361\.3 KiB/,
    );
    const restore = (second.report?.result as { cache: { restore: { bytes: number; files: number } } }).cache
      .restore;
    expect(restore).toMatchObject({ files: 2, bytes: 370_000 });

    const changed = await runFixture({
      env,
      cacheDir: job.cacheDir,
      lockFile: job.lock(['provider-a.bin', 'provider-c.bin']),
    });
    expect(changed.outputs).toMatchObject({ restore: 'miss', save: 'saved', downloads: '2' });
    for (const r of [first, second, changed]) {
      expect(warningLines(r.log)).toEqual([]);
      expect(errorLines(r.log)).toEqual([]);
    }
  });

  test('a corrupt entry is discarded with one warning, the files are downloaded and a fresh entry saved', async () => {
    const s = await standin(forge);
    const env = s.env({ cache: protocol });
    const job = jobRoot();
    const lock = job.lock(['provider-a.bin', 'provider-b.bin']);
    await runFixture({ env, cacheDir: job.cacheDir, lockFile: lock });
    // A valid archive whose provider-b.bin changed on the way: only the manifest can tell.
    s.damageCacheEntry('edge-v1-', { corruptFile: 'provider-b.bin' });

    const damaged = await runFixture({ env, cacheDir: job.cacheDir, lockFile: lock });
    expect(damaged.exitCode).toBe(0);
    expect(damaged.outputs).toMatchObject({ restore: 'corrupt', save: 'saved', downloads: '2' });
    expect(warningLines(damaged.log)).toHaveLength(1);
    expect(warningLines(damaged.log)[0]).toMatch(
      /did not verify: 'provider-b\.bin' does not match its sha256\. The entry was discarded/,
    );

    // The fresh entry is newer: the next run hits again.
    const healed = await runFixture({ env, cacheDir: job.cacheDir, lockFile: lock });
    expect(healed.outputs).toMatchObject({ restore: 'hit', downloads: '0' });
  });

  test('a truncated archive is discarded with one warning and the step still succeeds', async () => {
    const s = await standin(forge);
    const env = s.env({ cache: protocol });
    const job = jobRoot();
    const lock = job.lock(['provider-a.bin']);
    await runFixture({ env, cacheDir: job.cacheDir, lockFile: lock });
    s.damageCacheEntry('edge-v1-', 'truncate');
    const r = await runFixture({ env, cacheDir: job.cacheDir, lockFile: lock });
    expect(r.exitCode).toBe(0);
    expect(r.outputs).toMatchObject({ restore: 'corrupt', downloads: '1', save: 'saved' });
    expect(warningLines(r.log)).toHaveLength(1);
    expect(errorLines(r.log)).toEqual([]);
    // Nothing but the verified files is left in the directory.
    expect(fs.readdirSync(job.cacheDir)).toEqual(['provider-a.bin']);
  });
});

describe('service failures never change the result', () => {
  test('cache service answering 500 (v1): one warning, the step succeeds, no further calls', async () => {
    const s = await standin('forgejo');
    s.faults.cache = 'http-500';
    const job = jobRoot();
    const r = await runFixture({
      env: s.env({ cache: 'v1' }),
      cacheDir: job.cacheDir,
      lockFile: job.lock(['provider-c.bin']),
    });
    expect(r.exitCode).toBe(0);
    expect(r.outputs).toMatchObject({ restore: 'error', save: 'unavailable', downloads: '1' });
    expect(warningLines(r.log)).toEqual([
      expect.stringMatching(
        /^::warning::The Actions cache service failed while looking up fixture providers: .*500/,
      ),
    ]);
    expect(errorLines(r.log)).toEqual([]);
    // One lookup (the v1 client retries only 502/503/504: requestUtils.ts isRetryableStatusCode); the
    // save was not tried.
    expect(s.requests.filter((q) => q.service === 'cache-v1').map((q) => q.method)).toEqual(['GET']);
  });

  test('cache service down (v2 on github.com): one warning, the step succeeds', async () => {
    const s = await standin('github');
    const env = { ...s.env({ cache: 'v2' }), ACTIONS_RESULTS_URL: await unreachableUrl() };
    const job = jobRoot();
    const r = await runFixture({ env, cacheDir: job.cacheDir, lockFile: job.lock(['provider-c.bin']) });
    expect(r.exitCode).toBe(0);
    expect(r.outputs).toMatchObject({ restore: 'error', save: 'unavailable', downloads: '1' });
    expect(warningLines(r.log)).toHaveLength(1);
    expect(warningLines(r.log)[0]).toMatch(/ECONNREFUSED|Unable to make request/);
  });

  test('no cache service on the runner: said once, no warning, the step works', async () => {
    const s = await standin('forgejo');
    const job = jobRoot();
    const r = await runFixture({
      env: s.env({ cache: 'none' }),
      cacheDir: job.cacheDir,
      lockFile: job.lock(['provider-c.bin']),
    });
    expect(r.exitCode).toBe(0);
    expect(r.outputs).toMatchObject({ restore: 'unavailable', save: 'unavailable', downloads: '1' });
    expect(r.log.split('No Actions cache service on this runner')).toHaveLength(2);
    expect(warningLines(r.log)).toEqual([]);
  });

  test('an entry saved from another position relative to the workspace never matches', async () => {
    const s = await standin('forgejo');
    const env = s.env({ cache: 'v1' });
    const job = jobRoot();
    const lock = job.lock(['provider-c.bin']);
    await runFixture({ env, cacheDir: job.cacheDir, lockFile: lock });
    const deeper = path.join(job.root, 'a', 'b', 'workspace');
    fs.mkdirSync(deeper, { recursive: true });
    const r = await runFixture({ env, cacheDir: job.cacheDir, lockFile: lock, workspace: deeper });
    expect(r.outputs).toMatchObject({ restore: 'miss', downloads: '1' });
    // The toolkit would have unpacked the old entry relative to the deeper workspace: nothing landed there.
    expect(fs.readdirSync(path.join(job.root, 'a'))).toEqual(['b']);
  });
});

describe('runner-local store', () => {
  test('hit without downloads, corrupt entry discarded with one warning, no service contacted', async () => {
    const s = await standin('forgejo');
    const env = s.env({ cache: 'v1' });
    const job = jobRoot();
    const store = path.join(job.root, 'store');
    const lock = job.lock(['provider-a.bin', 'provider-b.bin']);
    const fresh = () => fs.rmSync(job.cacheDir, { recursive: true, force: true });

    fresh();
    const first = await runFixture({ env, cacheDir: job.cacheDir, lockFile: lock, localStore: store });
    expect(first.outputs).toMatchObject({ restore: 'miss', save: 'saved', downloads: '2' });
    fresh();
    const second = await runFixture({ env, cacheDir: job.cacheDir, lockFile: lock, localStore: store });
    expect(second.outputs).toMatchObject({ restore: 'hit', save: 'unchanged', downloads: '0' });
    expect(second.log).toContain('restored from the runner-local cache and verified');
    expect(fs.statSync(path.join(store, 'edge-cache-v1', 'entries')).mode & 0o777).toBe(0o700);

    // Damage the stored copy of provider-a.bin.
    const entries = path.join(store, 'edge-cache-v1', 'entries');
    const [entry] = fs.readdirSync(entries);
    const victim = path.join(entries, entry, 'data', 'provider-a.bin');
    fs.writeFileSync(victim, Buffer.alloc(300_000, 'x'));
    fresh();
    const damaged = await runFixture({ env, cacheDir: job.cacheDir, lockFile: lock, localStore: store });
    expect(damaged.exitCode).toBe(0);
    expect(damaged.outputs).toMatchObject({ restore: 'corrupt', save: 'saved', downloads: '2' });
    expect(warningLines(damaged.log)).toHaveLength(1);
    expect(fs.existsSync(path.join(entries, entry))).toBe(false);
    expect(s.requests).toEqual([]);
  });

  test('a store inside the workspace is refused as bad input, before anything runs', async () => {
    const job = jobRoot();
    const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'ws-'));
    roots.push(workspace);
    const r = await runFixture({
      env: {},
      cacheDir: job.cacheDir,
      lockFile: job.lock(['provider-c.bin']),
      localStore: path.join(workspace, 'cache'),
      workspace,
    });
    expect(r.exitCode).toBe(1);
    expect(errorLines(r.log)).toEqual([
      expect.stringContaining("Input 'local-store' is invalid: expected a directory outside the workspace"),
    ]);
    expect(r.fetched).toEqual([]);
  });
});
