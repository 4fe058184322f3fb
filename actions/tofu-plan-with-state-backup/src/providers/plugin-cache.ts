import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import {
  cacheKey,
  formatBytes,
  localCacheDirProblem,
  openCache,
  type Cache,
  type CacheEntry,
  type CacheOutcome,
  type RestoreStatus,
  type SaveStatus,
} from '../../../../shared/cache.js';
import { InputError } from '../../../../shared/errors.js';
import { ensurePrivateDir, sha256, withLock, type LockOptions } from '../../../../shared/fsx.js';
import * as log from '../../../../shared/log.js';
import { PluginCacheInitError, type TofuCli } from '../tofu/tofu-cli.js';
import { LOCK_FILE, compareSnapshots, parseLockFile, snapshotPackages, type CacheUse } from './lock-file.js';

/**
 * The provider plugin cache (issue 16.1): providers are fetched at most once per lock-file content.
 *
 * - **Runner-local** (`plugin-cache-dir`, outside the workspace): tofu's own `TF_PLUGIN_CACHE_DIR`.
 *   On the persistent Mac mini it simply stays; tofu links cached packages into `.terraform` and checks
 *   each against the lock file's hashes first (a package that does not match is downloaded again —
 *   verified with Terraform 1.11: a changed or emptied package directory is reinstalled).
 * - **Actions cache** (`plugin-cache: auto`, when the runner has a cache service): only when that
 *   directory is empty at the start of the step — an ephemeral runner, or the first run on a persistent
 *   one — it is restored from the entry keyed by OS, architecture, tool and version and the sha256 of
 *   the lock file(s), and saved after the run (shared/cache.ts verifies entries against their manifest,
 *   so a corrupt or partial entry is discarded with one warning and init downloads as on a miss). A
 *   non-empty directory already serves as the cache and may hold other stacks' providers: it is never
 *   uploaded. Without a lock file there is no key: no Actions cache, with a note.
 *
 * `TF_PLUGIN_CACHE_DIR` is only "best effort" safe under concurrent inits (two jobs on one runner may
 * both install into it), so every init and restore that uses the directory holds the runner-local lock
 * `<plugin-cache-dir>.lock`. A cache tofu cannot use at all (a file where a directory belongs, no
 * permission) does not break init either: init runs once more without the cache (a download), with
 * one warning.
 */
export const PLUGIN_CACHE_MODES = ['auto', 'local', 'off'] as const;
export type PluginCacheMode = (typeof PLUGIN_CACHE_MODES)[number];

export type ProviderCacheStatus = 'hit' | 'miss' | 'partial' | 'bypassed' | 'off' | 'unmeasured';

/** What one stack's init did with the cache. */
export interface ProviderInit extends CacheUse {
  status: ProviderCacheStatus;
}

export interface PluginCacheReport {
  mode: PluginCacheMode;
  dir?: string;
  /** The Actions cache, when it was consulted. */
  restore?: CacheOutcome<RestoreStatus>;
  save?: CacheOutcome<SaveStatus>;
  /** Why the Actions cache was not consulted. */
  note?: string;
}

export interface PluginCache {
  /** Runs `init` for one stack with the cache, serialized with other inits on this runner. */
  init(tofu: TofuCli, workingDir: string): Promise<ProviderInit>;
  /** Stores what this run installed in the Actions cache (when it was consulted). Never throws. */
  save(): Promise<void>;
  report(): PluginCacheReport;
}

export interface PluginCacheOptions {
  mode: PluginCacheMode;
  dir?: string;
  /** Working directories of the stacks this run inits (their lock files key the Actions cache). */
  workingDirs: readonly string[];
  /** `tofu`/`terraform`, for the key. */
  tool: string;
  /** The tool's version, asked only when the Actions cache is consulted (it is part of the key). */
  version: () => Promise<string>;
  lock: Omit<LockOptions, 'purpose'>;
  warn: (message: string) => void;
  env?: NodeJS.ProcessEnv;
  /** The Actions cache (tests inject one); default shared/cache.ts openCache(). */
  openActionsCache?: () => Cache;
}

const LABEL = 'OpenTofu providers';

/** Undefined when `dir` may hold provider binaries that tofu will execute; else what is wrong. */
export async function pluginCacheDirProblem(
  dir: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  const where = localCacheDirProblem(dir, env);
  if (where) return where;
  const st = await fsp.stat(dir).catch(() => undefined);
  if (!st) return undefined;
  if (!st.isDirectory()) return 'a directory (it is a file)';
  // tofu executes what it finds there: nobody else may be able to put a binary in it.
  if ((st.mode & 0o022) !== 0)
    return `a directory only its owner can write to (it is mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}; chmod go-w it)`;
  if (typeof process.getuid === 'function' && st.uid !== process.getuid())
    return 'a directory owned by the user the runner runs as';
  return undefined;
}

async function isEmptyDir(dir: string): Promise<boolean> {
  return (await fsp.readdir(dir).catch(() => [] as string[])).length === 0;
}

function initMessage(u: ProviderInit, dir: string): string {
  const n = (list: string[]) => `${list.length} provider${list.length === 1 ? '' : 's'}`;
  switch (u.status) {
    case 'hit':
      return `Provider plugin cache hit: ${n(u.reused)} (${formatBytes(u.reusedBytes)}) used from '${dir}', nothing downloaded.`;
    case 'miss':
      return `Provider plugin cache miss: ${n(u.fetched)} (${formatBytes(u.fetchedBytes)}) downloaded into '${dir}'.`;
    case 'partial':
      return `Provider plugin cache: ${n(u.reused)} (${formatBytes(u.reusedBytes)}) used from '${dir}', ${n(u.fetched)} (${formatBytes(u.fetchedBytes)}) downloaded.`;
    case 'unmeasured':
      return `Provider plugin cache '${dir}' in use (no ${LOCK_FILE}: what was downloaded is not measured).`;
    default:
      return '';
  }
}

class Session implements PluginCache {
  private restored?: CacheOutcome<RestoreStatus>;
  private saved?: CacheOutcome<SaveStatus>;
  private note?: string;
  private actions?: { cache: Cache; entry: CacheEntry };

  constructor(
    private readonly o: PluginCacheOptions,
    private readonly dir: string,
  ) {}

  private locked<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return withLock(
      `${this.dir}.lock`,
      {
        ...this.o.lock,
        purpose: what,
        onWait: (h) =>
          log.info(
            `Waiting for the provider plugin cache lock '${this.dir}.lock'` +
              (h ? ` (held by run ${h.runId}, pid ${h.pid}: ${h.purpose ?? 'init'})` : '') +
              '.',
          ),
      },
      fn,
    );
  }

  /** Restores the Actions cache entry into the (empty) directory, when that is possible and allowed. */
  async restore(): Promise<void> {
    if (this.o.mode !== 'auto') return;
    await this.locked('restore provider cache', async () => {
      if (!(await isEmptyDir(this.dir))) return;
      const locks: string[] = [];
      for (const wd of this.o.workingDirs) {
        const text = await fsp.readFile(path.join(wd, LOCK_FILE), 'utf8').catch(() => undefined);
        if (text === undefined) {
          this.note = `no ${LOCK_FILE} in '${wd}'`;
          log.info(
            `No ${LOCK_FILE} in '${wd}': the Actions cache is not used for providers (its key is the lock file's sha256); commit the lock file to cache them.`,
          );
          return;
        }
        locks.push(sha256(text));
      }
      const content = locks.length === 1 ? locks[0] : sha256(JSON.stringify(locks));
      const key = cacheKey({
        purpose: 'tofu-providers',
        tool: this.o.tool.replace(/[^A-Za-z0-9._+]/g, '_').slice(0, 64) || 'tofu',
        version: (await this.o.version()).replace(/[^A-Za-z0-9._+]/g, '_').slice(0, 64) || 'unknown',
        content,
      });
      const cache = this.o.openActionsCache?.() ?? openCache({ warn: this.o.warn, env: this.o.env });
      this.actions = { cache, entry: { label: LABEL, dir: this.dir, key } };
      this.restored = await cache.restore(this.actions.entry);
    });
  }

  async init(tofu: TofuCli, workingDir: string): Promise<ProviderInit> {
    const text = await fsp.readFile(path.join(workingDir, LOCK_FILE), 'utf8').catch(() => '');
    const providers = parseLockFile(text);
    return this.locked('tofu init', async () => {
      await ensurePrivateDir(this.dir);
      const before = await snapshotPackages(this.dir, providers);
      try {
        await tofu.init({ pluginCacheDir: this.dir });
      } catch (e) {
        if (!(e instanceof PluginCacheInitError)) throw e;
        this.o.warn(
          `tofu init could not use the provider plugin cache '${this.dir}' (${e.message}); it ran again without the cache and downloaded the providers. Repair or delete that directory.`,
        );
        await tofu.init({ pluginCacheDir: null });
        return { status: 'bypassed', reused: [], fetched: [], reusedBytes: 0, fetchedBytes: 0 };
      }
      const use = compareSnapshots(before, await snapshotPackages(this.dir, providers));
      const status: ProviderCacheStatus =
        providers.length === 0
          ? 'unmeasured'
          : use.fetched.length === 0
            ? 'hit'
            : use.reused.length === 0
              ? 'miss'
              : 'partial';
      const result = { status, ...use };
      log.info(initMessage(result, this.dir));
      return result;
    });
  }

  async save(): Promise<void> {
    const r = this.restored?.status;
    if (!this.actions || !r || r === 'present' || r === 'unavailable' || r === 'error') return;
    const { cache, entry } = this.actions;
    try {
      this.saved = await this.locked('save provider cache', () => cache.save(entry));
    } catch (e) {
      // The lock could not be had (timeout, cancellation): the cache is an optimisation, the step goes on.
      this.o.warn(`The provider plugin cache was not saved: ${(e as Error).message}`);
    }
  }

  report(): PluginCacheReport {
    return {
      mode: this.o.mode,
      dir: this.dir,
      ...(this.restored ? { restore: this.restored } : {}),
      ...(this.saved ? { save: this.saved } : {}),
      ...(this.note ? { note: this.note } : {}),
    };
  }
}

const OFF: PluginCache = {
  init: async (tofu) => {
    await tofu.init();
    return { status: 'off', reused: [], fetched: [], reusedBytes: 0, fetchedBytes: 0 };
  },
  save: async () => undefined,
  report: () => ({ mode: 'off' }),
};

/** Checks the directory and, on an ephemeral runner, restores the Actions cache entry into it. */
export async function openPluginCache(o: PluginCacheOptions): Promise<PluginCache> {
  if (o.mode === 'off' || !o.dir) return OFF;
  const problem = await pluginCacheDirProblem(o.dir, o.env);
  if (problem) throw new InputError('plugin-cache-dir', problem, `'${o.dir}'`);
  await ensurePrivateDir(o.dir);
  const session = new Session(o, o.dir);
  await session.restore();
  return session;
}

/** The default plugin cache directory: the user's cache directory, outside any checkout. */
export function defaultPluginCacheDir(
  env: NodeJS.ProcessEnv,
  platform = process.platform,
): string | undefined {
  if (env.TF_PLUGIN_CACHE_DIR) return env.TF_PLUGIN_CACHE_DIR;
  const home = env.HOME;
  if (platform === 'darwin')
    return home ? path.join(home, 'Library', 'Caches', 'edge-actions', 'tofu-plugins') : undefined;
  const base =
    env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME)
      ? env.XDG_CACHE_HOME
      : home && path.join(home, '.cache');
  return base ? path.join(base, 'edge-actions', 'tofu-plugins') : undefined;
}
