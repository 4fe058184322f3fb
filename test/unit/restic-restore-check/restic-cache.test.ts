import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, test } from '@jest/globals';
import type { Cache, CacheEntry, CacheOutcome, RestoreStatus, SaveStatus } from '../../../shared/cache.js';
import { sha256 } from '../../../shared/fsx.js';
import { InputError } from '../../../shared/errors.js';
import { cacheSize, verifyCacheFiles } from '../../../actions/restic-restore-check/src/cache/cache-files.js';
import {
  checkCacheDir,
  resticDefaultCacheDir,
} from '../../../actions/restic-restore-check/src/cache/cache-location.js';
import { createResticCache, STAGING } from '../../../actions/restic-restore-check/src/cache/restic-cache.js';
import { parseResticVersion } from '../../../actions/restic-restore-check/src/restic/restic-version.js';
import { describeCache } from '../../../actions/restic-restore-check/src/summary.js';
import { thrown } from '../../support/thrown.js';

const ID = 'ab'.repeat(32);
const VERSION = parseResticVersion('restic 0.18.1 compiled with go1.24.4 on darwin/arm64')!;
const roots: string[] = [];

afterEach(() => {
  for (const r of roots.splice(0)) fs.rmSync(r, { recursive: true, force: true });
});

function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'restic-cache-unit-'));
  roots.push(d);
  return d;
}

/** A content-addressed file as restic caches it: `<type>/<first two hex>/<sha256 of the bytes>`. */
function put(repoDir: string, type: 'data' | 'index' | 'snapshots', content: string): string {
  const name = sha256(content);
  const file = path.join(repoDir, type, name.slice(0, 2), name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

function tree(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => fs.statSync(path.join(dir, f)).isFile())
    .sort();
}

/** The Actions cache, in memory: one entry per key, holding a copy of the staged files. */
function fakeActions(o: { entry?: Record<string, string>; failSave?: boolean } = {}) {
  const calls: string[] = [];
  let stored = o.entry;
  const saved: Array<{ key: string; files: string[] }> = [];
  const cache: Cache = {
    backend: 'actions',
    async restore(e: CacheEntry): Promise<CacheOutcome<RestoreStatus>> {
      calls.push(`restore ${path.basename(e.dir)}`);
      if (!stored) return { backend: 'actions', status: 'miss', files: 0, bytes: 0, durationMs: 0 };
      for (const [rel, content] of Object.entries(stored)) {
        fs.mkdirSync(path.dirname(path.join(e.dir, rel)), { recursive: true });
        fs.writeFileSync(path.join(e.dir, rel), content);
      }
      const bytes = Object.values(stored).reduce((n, c) => n + c.length, 0);
      return { backend: 'actions', status: 'hit', files: Object.keys(stored).length, bytes, durationMs: 1 };
    },
    async save(e: CacheEntry): Promise<CacheOutcome<SaveStatus>> {
      calls.push(`save ${path.basename(e.dir)}`);
      if (o.failSave) throw new Error('cache service said 500');
      const files = tree(e.dir);
      saved.push({ key: e.key, files });
      stored = Object.fromEntries(files.map((f) => [f, fs.readFileSync(path.join(e.dir, f), 'utf8')]));
      return { backend: 'actions', status: 'saved', files: files.length, bytes: 0, durationMs: 1 };
    },
  };
  return { cache, calls, saved };
}

function make(mode: 'auto' | 'local' | 'off', dir: string, actions = fakeActions()) {
  const warnings: string[] = [];
  const c = createResticCache({
    mode,
    dir,
    actionsCache: () => actions.cache,
    warn: (m) => warnings.push(m),
    runId: '1',
  });
  return { c, warnings, actions };
}

describe('cache files', () => {
  test('files whose content does not match their name are dropped, and symbolic links; the rest is kept', async () => {
    const repo = path.join(tmp(), ID);
    const good = put(repo, 'index', 'index one');
    const bad = put(repo, 'data', 'tree pack');
    fs.writeFileSync(bad, 'tree pack, one byte flipped');
    fs.mkdirSync(path.join(repo, 'snapshots', 'aa'), { recursive: true });
    fs.symlinkSync('/etc/passwd', path.join(repo, 'snapshots', 'aa', 'a'.repeat(64)));
    fs.writeFileSync(path.join(repo, 'version'), '1');
    fs.writeFileSync(path.join(repo, 'index', 'tmp-123'), 'partial download');

    const out = await verifyCacheFiles(repo);
    expect(out).toMatchObject({ files: 1, bytes: 'index one'.length });
    expect(out.removed.map((r) => r.why)).toEqual(['its content does not match its name', 'a symbolic link']);
    expect(fs.existsSync(good)).toBe(true);
    expect(fs.existsSync(bad)).toBe(false);
    // restic's own other files are not the action's to judge.
    expect(fs.readFileSync(path.join(repo, 'version'), 'utf8')).toBe('1');
    expect(fs.existsSync(path.join(repo, 'index', 'tmp-123'))).toBe(true);
    expect(await cacheSize(repo)).toEqual({ files: 1, bytes: 9 });
  });

  test('a missing directory is an empty cache', async () => {
    expect(await cacheSize(path.join(tmp(), 'nothing'))).toEqual({ files: 0, bytes: 0 });
  });
});

describe('cache location', () => {
  test("the default is restic's own: RESTIC_CACHE_DIR, else the OS user cache directory", () => {
    expect(resticDefaultCacheDir({ HOME: '/Users/ci' }, 'darwin')).toBe('/Users/ci/Library/Caches/restic');
    expect(resticDefaultCacheDir({ HOME: '/home/ci' }, 'linux')).toBe('/home/ci/.cache/restic');
    expect(resticDefaultCacheDir({ HOME: '/home/ci', XDG_CACHE_HOME: '/var/cache/ci' }, 'linux')).toBe(
      '/var/cache/ci/restic',
    );
    expect(resticDefaultCacheDir({ HOME: '/home/ci', RESTIC_CACHE_DIR: '/c' }, 'darwin')).toBe('/c');
    expect(resticDefaultCacheDir({}, 'linux')).toBeUndefined();
  });

  test('refused: inside the workspace or RUNNER_TEMP, around RUNNER_TEMP, the root, no default', () => {
    const env = { GITHUB_WORKSPACE: '/w/repo', RUNNER_TEMP: '/w/_temp' };
    expect(checkCacheDir('/Users/ci/Library/Caches/restic', env)).toBe('/Users/ci/Library/Caches/restic');
    for (const [dir, why] of [
      ['/w/repo/.cache', /outside the workspace/],
      ['/w/_temp/cache', /outside RUNNER_TEMP/],
      ['/w', /does not contain '\/w\/_temp' \(the restore directory is made there\)/],
      ['/', /not the file system root/],
    ] as const) {
      const e = thrown(() => checkCacheDir(dir, env), InputError);
      expect(e.message).toMatch(why);
      expect(e.message).toContain('cache-dir');
    }
    expect(thrown(() => checkCacheDir(undefined, env), InputError).message).toMatch(/needs HOME/);
  });
});

describe('createResticCache', () => {
  test('local: a kept cache is a runner-local hit; the Actions cache is never asked', async () => {
    const dir = tmp();
    put(path.join(dir, ID), 'index', 'kept index');
    const { c, warnings, actions } = make('local', dir);
    const r = await c.prepare(ID, VERSION);
    expect(r).toMatchObject({ hit: true, source: 'runner-local', before: { files: 1 } });
    await c.finish({ deadline: Date.now() + 60_000 });
    expect(actions.calls).toEqual([]);
    expect(warnings).toEqual([]);
    expect(describeCache(c.report())).toBe(
      'hit: kept on this runner (1 files, 10 B); 1 files, 10 B after the check',
    );
  });

  test('auto on an empty cache-dir: restored from the Actions cache (damaged entries dropped), saved back after', async () => {
    const dir = tmp();
    const goodIndex = 'index from the Actions cache';
    const name = sha256(goodIndex);
    const bad = sha256('tree pack');
    const actions = fakeActions({
      entry: {
        [`index/${name.slice(0, 2)}/${name}`]: goodIndex,
        [`data/${bad.slice(0, 2)}/${bad}`]: 'not that tree pack',
      },
    });
    const { c, warnings } = make('auto', dir, actions);
    const r = await c.prepare(ID, VERSION);
    expect(r).toMatchObject({ hit: true, source: 'actions-cache', before: { files: 0 } });
    expect(r.actions?.restore?.status).toBe('hit');
    expect(tree(path.join(dir, ID))).toEqual([`index/${name.slice(0, 2)}/${name}`]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/held 1 damaged file\(s\) \(data\/.*: its content does not match its name\)/);

    // restic fetched a tree pack meanwhile.
    put(path.join(dir, ID), 'data', 'fetched tree pack');
    await c.finish({ deadline: Date.now() + 60_000 });
    expect(actions.calls).toEqual([`restore ${ID}`, `save ${ID}`]);
    expect(actions.saved[0].files).toHaveLength(2);
    expect(actions.saved[0].key).toContain(ID);
    expect(actions.saved[0].key).toContain('restic@0.18.1');
    // Nothing of the action's stays in cache-dir: only the repository's own directory.
    expect(fs.readdirSync(dir)).toEqual([ID]);
    expect(fs.existsSync(path.join(dir, STAGING))).toBe(false);
  });

  test('auto with a kept cache: runner-local, no Actions cache traffic', async () => {
    const dir = tmp();
    put(path.join(dir, ID), 'snapshots', 'a snapshot');
    const { c, actions } = make('auto', dir);
    expect(await c.prepare(ID, VERSION)).toMatchObject({ source: 'runner-local', hit: true });
    await c.finish({ deadline: Date.now() + 60_000 });
    expect(actions.calls).toEqual([]);
  });

  test('auto, Actions cache miss: a miss, then saved', async () => {
    const { c, actions } = make('auto', tmp());
    expect(await c.prepare(ID, VERSION)).toMatchObject({ hit: false, source: 'none' });
    await c.finish({ deadline: Date.now() + 60_000 });
    expect(actions.calls).toEqual([`restore ${ID}`, `save ${ID}`]);
    expect(describeCache(c.report())).toMatch(
      /^miss \(Actions cache: miss\); 0 files, 0 B after the check; Actions cache: saved/,
    );
  });

  test('no upload after the deadline; a failing save is one warning', async () => {
    const late = make('auto', tmp());
    await late.c.prepare(ID, VERSION);
    expect((await late.c.finish({ deadline: Date.now() - 1 })).actions?.skipped).toMatch(/ran out of time/);
    expect(late.actions.calls).toEqual([`restore ${ID}`]);

    const failing = make('auto', tmp(), fakeActions({ failSave: true }));
    await failing.c.prepare(ID, VERSION);
    await failing.c.finish({ deadline: Date.now() + 60_000 });
    expect(failing.warnings).toEqual([
      "Could not save restic's cache to the Actions cache: cache service said 500. The check's result is unaffected.",
    ]);
  });

  test('no repository id: one warning, the cache is left as it is', async () => {
    const dir = tmp();
    const kept = put(path.join(dir, ID), 'index', 'x');
    fs.writeFileSync(kept, 'damaged');
    const { c, warnings, actions } = make('auto', dir);
    expect(await c.prepare(undefined, VERSION)).toEqual({ mode: 'auto', dir });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/printed no repository id/);
    expect(fs.existsSync(kept)).toBe(true);
    expect(actions.calls).toEqual([]);
  });

  test('a cache-dir that cannot be used is one warning, never a failed check', async () => {
    const file = path.join(tmp(), 'a-file');
    fs.writeFileSync(file, 'not a directory');
    const { c, warnings } = make('auto', file);
    const r = await c.prepare(ID, VERSION);
    expect(r.hit).toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^Could not prepare restic's cache in '.*a-file': .*restic reads what it needs from the repository\.$/,
    );
    await c.finish({ deadline: Date.now() + 60_000 });
  });

  test('off: nothing prepared, nothing saved', async () => {
    const { c, actions } = make('off', tmp());
    await c.prepare(ID, VERSION);
    await c.finish({ deadline: Date.now() + 60_000 });
    expect(actions.calls).toEqual([]);
    expect(describeCache(c.report())).toBe('off: a fresh cache for this run only');
  });
});
