import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import {
  cacheKey,
  formatBytes,
  type Cache,
  type CacheEntry,
  type CacheOutcome,
  type RestoreStatus,
  type SaveStatus,
} from '../../../../shared/cache.js';
import { errorMessage } from '../../../../shared/errors.js';
import { describeFsError, ensurePrivateDir, LockTimeoutError, withLock } from '../../../../shared/fsx.js';
import * as log from '../../../../shared/log.js';
import type { ActionContext } from '../../../../shared/run.js';
import { cancellation } from '../../../../shared/tool.js';
import type { ResticVersion } from '../restic/restic-version.js';
import {
  cacheSize,
  listCacheFiles,
  verifyCacheFiles,
  type CacheSize,
  type VerifyOutcome,
} from './cache-files.js';

/**
 * restic's cache between runs (issue 16). restic caches a repository's index, snapshots and tree packs
 * under `<cache-dir>/<repository id>/`; without it every check reads them all from the repository again.
 *
 * - `local` and `auto`: RESTIC_CACHE_DIR is `cache-dir`, kept between runs (the persistent Mac mini).
 * - `auto` only: when `cache-dir` holds nothing yet for this repository (an ephemeral runner, or the first
 *   run) and the runner has an Actions cache service, the repository's cache files come from the Actions
 *   cache before restic reads anything, and go back after the check when they changed. A directory kept
 *   from an earlier job is the runner-local cache and is never uploaded.
 * - `off`: a cache private to this run, in its scratch directory (restic reads everything again).
 *
 * Before restic runs, every cached file is checked against its name (cache-files.ts): a damaged file is
 * dropped and restic fetches it again. `restic check` never reads this cache (it makes its own temporary
 * one, cmd_check.go prepareCheckCache, unless --with-cache), so the structural check always reads the
 * repository itself.
 *
 * Concurrency: restic itself shares a cache directory between processes (downloads go to a temporary
 * file renamed into place since 0.13, changelog 0.13.0 issue-2345; a concurrent cleanup race prints an
 * "error clearing … in cache" line and goes on, 0.14 repository.go PrepareCache, fixed in 0.17.0/0.17.2),
 * so two checks of one repository need no lock for restic's sake. The one thing the action itself
 * shares is the Actions cache's staging directory — a fixed path, because `@actions/cache` keys entries
 * by path — under `cache-dir/.edge-actions-cache/`: its transfers take a runner-local lock. Restored files
 * move into the repository's directory one by one (rename), so a restic of another job using it meanwhile
 * only ever sees whole files, identical to what it would have fetched.
 */
export type CacheMode = 'auto' | 'local' | 'off';

export interface ResticCacheReport {
  mode: CacheMode;
  /** restic's cache directory (RESTIC_CACHE_DIR). */
  dir: string;
  repository?: string;
  /** What `cache-dir` held for this repository when the check started. */
  before?: CacheSize;
  /** Where the files restic started from came from. */
  source?: 'runner-local' | 'actions-cache' | 'none';
  /** True when restic started with this repository's cache (kept or restored), false on a miss. */
  hit?: boolean;
  actions?: { restore?: CacheOutcome<RestoreStatus>; save?: CacheOutcome<SaveStatus>; skipped?: string };
  /** Files dropped before restic ran, because their content did not match their name. */
  damaged?: VerifyOutcome['removed'];
  verifyMs?: number;
  /** What it holds when the check is done. */
  after?: CacheSize;
}

export interface ResticCache {
  /** RESTIC_CACHE_DIR for every restic command. */
  readonly dir: string;
  /** After `cat config` told the repository id, before restic reads anything else. */
  prepare(repositoryId: string | undefined, version: ResticVersion): Promise<ResticCacheReport>;
  /** After restic's last command: saves to the Actions cache when that is where the files came from. */
  finish(o: { deadline: number }): Promise<ResticCacheReport>;
  report(): ResticCacheReport;
}

export interface ResticCacheOptions {
  mode: CacheMode;
  /** `cache-dir` (resolved), or the scratch directory's cache with `off`. */
  dir: string;
  /** The Actions cache (shared/cache.ts `openCache` without a local store); opened on first use. */
  actionsCache: () => Cache;
  warn: (message: string) => void;
  runId: string;
  /** How long to wait for another job's transfer of the same repository's cache. */
  lockWaitMs?: number;
}

const LABEL = 'restic cache files';
export const STAGING = '.edge-actions-cache';

export function createResticCache(o: ResticCacheOptions): ResticCache {
  const report: ResticCacheReport = { mode: o.mode, dir: o.dir };
  let repoDir: string | undefined;
  let entry: CacheEntry | undefined;
  let actions: Cache | undefined;
  const stagingRoot = path.join(o.dir, STAGING);

  /** Runs `fn` holding this repository's transfer lock; undefined (said once) if another job holds it too long. */
  async function locked<T>(id: string, fn: () => Promise<T>): Promise<T | undefined> {
    await ensureCacheDir(o.dir);
    await ensurePrivateDir(stagingRoot);
    try {
      return await transfer(id, fn);
    } finally {
      // Nothing of the action's stays in cache-dir (another job's lock keeps it: then it is not empty).
      await fsp.rmdir(stagingRoot).catch(() => undefined);
    }
  }

  async function transfer<T>(id: string, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await withLock(
        path.join(stagingRoot, `${id}.lock`),
        {
          timeoutMs: o.lockWaitMs ?? 120_000,
          runId: o.runId,
          purpose: 'restic cache transfer (Actions cache)',
          onWait: (holder) =>
            log.info(
              `Waiting for run ${holder?.runId ?? 'unknown'} to finish moving this repository's restic cache through the Actions cache…`,
            ),
        },
        fn,
      );
    } catch (e) {
      if (!(e instanceof LockTimeoutError)) throw e;
      report.actions = { ...report.actions, skipped: e.message };
      o.warn(`${e.message} The check goes on without the Actions cache.`);
      return undefined;
    }
  }

  async function restoreFromActions(id: string, dir: string): Promise<void> {
    const staging = path.join(stagingRoot, id);
    await locked(id, async () => {
      await fsp.rm(staging, { recursive: true, force: true });
      actions ??= o.actionsCache();
      const outcome = await actions.restore({ ...entry!, dir: staging });
      report.actions = { restore: outcome };
      if (outcome.status === 'hit' || outcome.status === 'fallback') await moveInto(staging, dir);
      await fsp.rm(staging, { recursive: true, force: true });
    });
  }

  async function saveToActions(id: string, dir: string): Promise<void> {
    const staging = path.join(stagingRoot, id);
    await locked(id, async () => {
      await fsp.rm(staging, { recursive: true, force: true });
      await linkInto(dir, staging);
      actions ??= o.actionsCache();
      report.actions = { ...report.actions, save: await actions.save({ ...entry!, dir: staging }) };
      await fsp.rm(staging, { recursive: true, force: true });
    });
  }

  return {
    dir: o.dir,
    report: () => report,

    async prepare(id, version) {
      if (o.mode === 'off') return report;
      if (!id) {
        o.warn(
          "restic cat config printed no repository id, so restic's cache could not be checked or taken from the Actions cache; restic uses it as it is.",
        );
        return report;
      }
      report.repository = id;
      repoDir = path.join(o.dir, id);
      entry = {
        label: LABEL,
        dir: path.join(stagingRoot, id),
        key: cacheKey({
          purpose: 'restic-cache',
          tool: 'restic',
          version: `${version.major}.${version.minor}.${version.patch}`,
          content: id,
        }),
      };
      try {
        report.before = await cacheSize(repoDir);
        if (o.mode === 'auto' && report.before.files === 0) await restoreFromActions(id, repoDir);
        const verified = await verifyCacheFiles(repoDir);
        report.verifyMs = verified.durationMs;
        if (verified.removed.length > 0) {
          report.damaged = verified.removed;
          o.warn(
            `restic's cache of this repository held ${verified.removed.length} damaged file(s) (${verified.removed
              .slice(0, 3)
              .map((r) => `${r.path}: ${r.why}`)
              .join(
                '; ',
              )}); they were dropped and restic reads them from the repository again. Damage in a cache on local disk can mean a failing disk.`,
          );
        }
        report.hit = verified.files > 0;
        report.source = !report.hit ? 'none' : report.before.files > 0 ? 'runner-local' : 'actions-cache';
        log.info(describeStart(report, verified));
      } catch (e) {
        // The cache only saves time: a local problem with it never decides the check.
        o.warn(
          `Could not prepare restic's cache in '${o.dir}': ${describeFsError(e)}. restic reads what it needs from the repository.`,
        );
      }
      return report;
    },

    async finish({ deadline }) {
      if (o.mode === 'off' || !repoDir || !report.repository) return report;
      try {
        report.after = await cacheSize(repoDir);
        const fromActions = o.mode === 'auto' && report.before?.files === 0;
        if (!fromActions) return report;
        // A cancelled or timed-out check is over: no upload after it.
        if (cancellation() || Date.now() > deadline) {
          report.actions = { ...report.actions, skipped: 'the check was cancelled or ran out of time' };
          return report;
        }
        await saveToActions(report.repository, repoDir);
      } catch (e) {
        o.warn(
          `Could not save restic's cache to the Actions cache: ${errorMessage(e)}. The check's result is unaffected.`,
        );
      }
      return report;
    },
  };
}

/** `cache-dir` itself: created 0700 when missing (as restic would), never changed when it exists. */
async function ensureCacheDir(dir: string): Promise<void> {
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
}

/**
 * Moves the restored content-addressed files into the repository's cache, one rename each; anything
 * else the entry held stays behind and is removed with the staging directory.
 */
async function moveInto(staging: string, repoDir: string): Promise<void> {
  const { files } = await listCacheFiles(staging);
  for (const f of files) {
    const to = path.join(repoDir, f.rel);
    await fsp.mkdir(path.dirname(to), { recursive: true, mode: 0o700 });
    await fsp.rename(f.abs, to);
  }
}

/**
 * Puts the repository's content-addressed files into the staging directory for an upload: hard links
 * (restic never rewrites a cache file in place: it writes a new one and renames it), copies where the
 * file system refuses links. restic's downloads in progress (`tmp-*`) and its `version` file stay out.
 */
async function linkInto(repoDir: string, staging: string): Promise<void> {
  const { files } = await listCacheFiles(repoDir);
  for (const f of files) {
    const to = path.join(staging, f.rel);
    await fsp.mkdir(path.dirname(to), { recursive: true, mode: 0o700 });
    try {
      await fsp.link(f.abs, to);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') continue; // removed meanwhile by a concurrent restic
      await fsp.copyFile(f.abs, to, fs.constants.COPYFILE_FICLONE);
    }
  }
}

function size(s: CacheSize): string {
  return `${s.files} files, ${formatBytes(s.bytes)}`;
}

function describeStart(r: ResticCacheReport, verified: VerifyOutcome): string {
  const where = `'${r.dir}'`;
  const checked = `(${size(verified)}, each checked against its name in ${(verified.durationMs / 1000).toFixed(1)}s)`;
  if (r.source === 'runner-local')
    return `restic cache hit: this repository's cache in ${where} was kept from earlier runs ${checked}.`;
  if (r.source === 'actions-cache')
    return `restic cache hit: this repository's cache was restored from the Actions cache into ${where} ${checked}.`;
  return `restic cache miss: ${where} holds nothing for this repository yet; restic reads the index and trees from the repository and keeps them there for the next run.`;
}

/**
 * The check's last word on the cache (main's `finally`, so also after a failed check: what restic fetched
 * is as good either way): its size now, and the save to the Actions cache where the files came from there.
 */
export async function keepCache(
  cache: ResticCache,
  deadline: number,
  ctx: Pick<ActionContext, 'step' | 'result'>,
): Promise<void> {
  if (!cache.report().repository) return;
  await ctx.step('keep restic cache', async () => {
    ctx.result({ cache: await cache.finish({ deadline }) });
  });
}
