import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import {
  buildManifest,
  MANIFEST_FILE,
  parseManifest,
  sameContent,
  verifyManifest,
  type CacheManifest,
} from './cache-manifest.js';
import { serviceMessage } from './credentials.js';
import { errorMessage, InputError } from './errors.js';
import { describeFsError, ensurePrivateDir, sha256, writeFileAtomic } from './fsx.js';
import * as log from './log.js';

/**
 * A directory kept between runs, for tools that would otherwise fetch the same data every time
 * (OpenTofu's provider plugins, restic's repository cache). Two stores, one interface:
 *
 * - **local** — a runner-local directory the caller names (an input), outside the workspace: for the
 *   persistent Mac mini. Entries are copied in and out (cloned where the file system can), each beside
 *   its manifest.
 * - **actions** — the Actions cache through `@actions/cache`, loaded only when first used: GitHub's
 *   cache service, or forgejo-runner's cache server (v1 protocol at `ACTIONS_CACHE_URL`). Used only
 *   when `isFeatureAvailable()` says a service exists; without one the step works without a cache and
 *   says so once.
 *
 * Whatever happens, the caller's result does not depend on the cache: a restore is verified against
 * the manifest written at save time and anything that does not match is discarded (a clean miss, said
 * once in a warning); a service that is down or answers 5xx costs one warning for the whole step and
 * is not asked again.
 *
 * Keys are composed by the caller with `cacheKey()`: purpose, OS, architecture, tool and version, and
 * a content hash (the sha256 of `.terraform.lock.hcl`, restic's repository id). Entries are never
 * overwritten: each save stores a new entry under `<key>-<stamp>` and a restore takes the newest entry
 * under the key (then under each fallback prefix), so a corrupt entry is superseded by the next save.
 */
export type CacheBackendKind = 'actions' | 'local';

export interface CacheEntry {
  /** What is cached, for messages and the report ("OpenTofu providers"). */
  readonly label: string;
  /**
   * The directory restored into and saved from (absolute). With the Actions cache it must be the same
   * path on every run: `@actions/cache` versions entries by their path and stores them relative to
   * the workspace (toolkit packages/cache/src/internal/cacheUtils.ts resolvePaths, tar.ts).
   */
  readonly dir: string;
  /** From `cacheKey()`. */
  readonly key: string;
  /** Older entries worth starting from when `key` misses (from `cacheKeyPrefix()`), most specific first. */
  readonly fallbackPrefixes?: readonly string[];
}

export type RestoreStatus =
  | 'hit' // the newest entry under the key, verified
  | 'fallback' // an entry under a fallback prefix, verified: save after the tool ran
  | 'miss'
  | 'corrupt' // an entry was found but did not verify: discarded, the directory is empty
  | 'present' // the directory already had content (an earlier run in this job): left as it was
  | 'unavailable' // no cache service, or it failed earlier in this step
  | 'error'; // the service failed now (one warning)
export type SaveStatus = 'saved' | 'unchanged' | 'empty' | 'exists' | 'unavailable' | 'error';

export interface CacheOutcome<S extends string = RestoreStatus | SaveStatus> {
  backend: CacheBackendKind;
  status: S;
  /** The entry restored or stored (the stored key carries a stamp after `key`). */
  entryKey?: string;
  files: number;
  bytes: number;
  durationMs: number;
  note?: string;
}

export interface Cache {
  readonly backend: CacheBackendKind;
  restore(entry: CacheEntry): Promise<CacheOutcome<RestoreStatus>>;
  save(entry: CacheEntry): Promise<CacheOutcome<SaveStatus>>;
}

/** The part of `@actions/cache` used here (injected by tests). */
export interface CacheToolkit {
  isFeatureAvailable(): boolean;
  restoreCache(
    paths: string[],
    primaryKey: string,
    restoreKeys?: string[],
    options?: { lookupOnly?: boolean },
  ): Promise<string | undefined>;
  saveCache(paths: string[], key: string): Promise<number>;
}

export interface CacheOptions {
  /** A runner-local store (persistent runners), named by the action's input `input`. */
  local?: { dir: string; input: string };
  /** Reports a warning (the lifecycle's `ctx.warning`, so it reaches the report too). */
  warn: (message: string) => void;
  env?: NodeJS.ProcessEnv;
  /** Loads `@actions/cache`; tests inject a stand-in client. */
  loadToolkit?: () => Promise<CacheToolkit>;
}

// ---------------------------------------------------------------------------------------------------
// Keys

const PART = /^[A-Za-z0-9._+]{1,64}$/;
const CONTENT = /^[A-Za-z0-9._]{1,128}$/;

export interface CacheKeyParts {
  /** What the entry is for: `tofu-providers`, `restic-cache` (letters, digits, `._+-`). */
  purpose: string;
  tool: string;
  version: string;
  /** Defaults to this process's platform and architecture (`darwin`/`linux`, `arm64`/`x64`). */
  os?: string;
  arch?: string;
}

/** `<purpose>-<os>-<arch>-<tool>@<version>-`: every entry of this tool build, whatever its content. */
export function cacheKeyPrefix(parts: CacheKeyParts): string {
  const os = parts.os ?? process.platform;
  const arch = parts.arch ?? process.arch;
  if (!/^[A-Za-z0-9._+-]{1,64}$/.test(parts.purpose))
    throw new Error(`bad cache key purpose '${parts.purpose}'`);
  for (const [name, value] of Object.entries({ os, arch, tool: parts.tool, version: parts.version }))
    if (!PART.test(value)) throw new Error(`bad cache key ${name} '${value}'`);
  return `${parts.purpose}-${os}-${arch}-${parts.tool}@${parts.version}-`;
}

/** The full key: the prefix plus a hash of what determines the content (a lock file's sha256). */
export function cacheKey(parts: CacheKeyParts & { content: string }): string {
  if (!CONTENT.test(parts.content)) throw new Error(`bad cache key content '${parts.content}'`);
  return `${cacheKeyPrefix(parts)}${parts.content}`;
}

/** A new entry's key: never reused, later stamps sort after earlier ones (newest wins on restore). */
function stamped(key: string): string {
  return `${key}-${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

// ---------------------------------------------------------------------------------------------------
// Messages

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

const WHERE: Record<CacheBackendKind, string> = {
  actions: 'the Actions cache',
  local: 'the runner-local cache',
};

function describe(label: string, o: CacheOutcome, verb: 'restore' | 'save'): string {
  const secs = `${(o.durationMs / 1000).toFixed(1)}s`;
  const size = `${o.files} files, ${formatBytes(o.bytes)}`;
  const where = WHERE[o.backend];
  switch (o.status) {
    case 'hit':
    case 'fallback':
      return `Cache ${o.status === 'hit' ? 'hit' : 'hit (older entry)'}: ${label} restored from ${where} and verified (${size}, ${secs}).`;
    case 'miss':
      return `Cache miss: no ${label} in ${where} yet; the tool fetches them.`;
    case 'saved':
      return `Cache saved: ${label} stored in ${where} (${size}, ${secs}).`;
    case 'unchanged':
      return `Cache unchanged: ${label} are as restored; nothing saved.`;
    case 'empty':
      return `Cache not saved: ${label} directory is empty.`;
    case 'exists':
      return `Cache not saved: ${where} refused a new entry for ${label} (${o.note ?? 'another job may be writing it'}).`;
    case 'present':
      return `Cache not restored: the ${label} directory already has content (an earlier run in this job); used as it is.`;
    default:
      return `Cache ${verb} of ${label}: ${o.status}${o.note ? ` (${o.note})` : ''}.`;
  }
}

// ---------------------------------------------------------------------------------------------------
// Process-wide state: "say so once" and "do not ask a failed service again" hold for the whole step.

const state = { saidUnavailable: false, serviceFailed: undefined as string | undefined };

/** For tests only. */
export function resetCacheStateForTest(): void {
  state.saidUnavailable = false;
  state.serviceFailed = undefined;
}

async function isEmptyDir(dir: string): Promise<boolean> {
  try {
    return (await fsp.readdir(dir)).length === 0;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw e;
  }
}

/** Empties a directory this module filled (a discarded entry), leaving the directory itself. */
async function emptyDir(dir: string): Promise<void> {
  await fsp.rm(dir, { recursive: true, force: true });
  await ensurePrivateDir(dir);
}

function isInside(child: string, parent: string | undefined): boolean {
  if (!parent) return false;
  const rel = path.relative(path.resolve(parent), path.resolve(child));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Undefined when `dir` can hold a runner-local cache, else what is wrong with it. */
export function localCacheDirProblem(dir: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (!path.isAbsolute(dir)) return 'an absolute path';
  if (path.resolve(dir) === path.parse(path.resolve(dir)).root)
    return 'a directory, not the file system root';
  if (isInside(dir, env.GITHUB_WORKSPACE))
    return 'a directory outside the workspace (the checkout is re-cloned)';
  if (isInside(dir, env.RUNNER_TEMP))
    return 'a directory outside RUNNER_TEMP (it is emptied after every job)';
  return undefined;
}

// ---------------------------------------------------------------------------------------------------

abstract class Store implements Cache {
  abstract readonly backend: CacheBackendKind;
  /** Manifests of what this process restored, so a save of unchanged content can be skipped. */
  private readonly restored = new Map<string, { key: string; manifest: CacheManifest }>();

  constructor(protected readonly o: CacheOptions) {}

  /**
   * Builds an operation's outcome, timed from now, and logs its one line — except for the statuses that
   * already said their piece as the step's one warning (or need no line at all).
   */
  private finisher<S extends RestoreStatus | SaveStatus>(
    entry: CacheEntry,
    op: 'restore' | 'save',
    quiet: readonly S[],
  ): (status: S, extra?: Extra) => CacheOutcome<S> {
    const started = Date.now();
    return (status, extra = {}) => {
      const outcome = {
        backend: this.backend,
        files: 0,
        bytes: 0,
        ...extra,
        status,
        durationMs: Date.now() - started,
      };
      if (!quiet.includes(status)) log.info(describe(entry.label, outcome, op));
      return outcome;
    };
  }

  async restore(entry: CacheEntry): Promise<CacheOutcome<RestoreStatus>> {
    const done = this.finisher<RestoreStatus>(entry, 'restore', ['unavailable', 'error', 'corrupt']);
    // Only what this call put into the directory is ever removed: it must be empty (or absent) first.
    let ours = false;
    try {
      if (!(await isEmptyDir(entry.dir))) return done('present');
      ours = true;
      const found = await this.fetch(entry);
      if (found.status !== 'found') return done(found.status, { note: found.note });
      const why = found.manifest ? await verifyManifest(entry.dir, found.manifest) : found.note;
      if (why || !found.manifest) {
        await emptyDir(entry.dir);
        await found.discard?.();
        this.o.warn(
          `The cached ${entry.label} (${found.entryKey}) did not verify: ${why}. The entry was discarded; the step continues as on a cache miss.`,
        );
        return done('corrupt', { entryKey: found.entryKey, note: why });
      }
      await fsp.rm(path.join(entry.dir, MANIFEST_FILE), { force: true });
      this.restored.set(entry.dir, { key: entry.key, manifest: found.manifest });
      // forgejo-runner's server lower-cases keys (act handler.go reserve); compare as it does.
      const exact = found.entryKey.toLowerCase().startsWith(`${entry.key.toLowerCase()}-`);
      return done(exact ? 'hit' : 'fallback', {
        entryKey: found.entryKey,
        files: found.manifest.files.length,
        bytes: found.manifest.bytes,
      });
    } catch (e) {
      // A local file-system problem (not the service): the caller still runs, without the cache.
      if (ours) await emptyDir(entry.dir).catch(() => undefined);
      this.o.warn(
        `Could not restore ${entry.label} from ${WHERE[this.backend]}: ${describeFsError(e)}. The step continues without the cache.`,
      );
      return done('error', { note: describeFsError(e) });
    }
  }

  async save(entry: CacheEntry): Promise<CacheOutcome<SaveStatus>> {
    const done = this.finisher<SaveStatus>(entry, 'save', ['unavailable', 'error']);
    try {
      const manifest = await buildManifest(entry.dir, entry.key).catch((e) => {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw e;
      });
      if (!manifest || manifest.files.length === 0) return done('empty');
      const before = this.restored.get(entry.dir);
      if (before?.key === entry.key && sameContent(before.manifest, manifest)) return done('unchanged');
      const entryKey = stamped(entry.key);
      const stored = await this.store(entry, { ...manifest, key: entryKey });
      if (stored.status !== 'saved') return done(stored.status, { note: stored.note });
      this.restored.set(entry.dir, { key: entry.key, manifest });
      return done('saved', { entryKey, files: manifest.files.length, bytes: manifest.bytes });
    } catch (e) {
      this.o.warn(
        `Could not save ${entry.label} to ${WHERE[this.backend]}: ${describeFsError(e)}. The step's result is unaffected.`,
      );
      return done('error', { note: describeFsError(e) });
    }
  }

  /** Finds and unpacks the newest matching entry into `entry.dir` (empty on entry). */
  protected abstract fetch(entry: CacheEntry): Promise<Fetched>;
  /** Stores `entry.dir` as a new entry with `manifest` (whose key is the stamped entry key). */
  protected abstract store(
    entry: CacheEntry,
    manifest: CacheManifest,
  ): Promise<{ status: 'saved' | 'exists' | 'unavailable' | 'error'; note?: string }>;
}

type Extra = Partial<Pick<CacheOutcome, 'entryKey' | 'files' | 'bytes' | 'note'>>;

type Fetched =
  | {
      status: 'found';
      entryKey: string;
      manifest?: CacheManifest;
      note?: string;
      discard?: () => Promise<void>;
    }
  | { status: 'miss' | 'unavailable' | 'error' | 'corrupt'; note?: string };

// ---------------------------------------------------------------------------------------------------
// The Actions cache

class ActionsStore extends Store {
  readonly backend = 'actions' as const;
  private toolkit?: Promise<CacheToolkit | undefined>;
  private readonly env: NodeJS.ProcessEnv;

  constructor(o: CacheOptions) {
    super(o);
    this.env = o.env ?? process.env;
  }

  /** The toolkit when a cache service is there; undefined (said once) when not. */
  private service(): Promise<CacheToolkit | undefined> {
    this.toolkit ??= (async () => {
      const load = this.o.loadToolkit ?? (async () => (await import('@actions/cache')) as CacheToolkit);
      const toolkit = await load();
      if (toolkit.isFeatureAvailable()) return toolkit;
      if (!state.saidUnavailable) {
        state.saidUnavailable = true;
        log.info(
          'No Actions cache service on this runner (ACTIONS_CACHE_URL / ACTIONS_RESULTS_URL not set): working without a cache.',
        );
      }
      return undefined;
    })();
    return this.toolkit;
  }

  /**
   * Entries are keyed by where the directory lies relative to the workspace as well: the toolkit stores
   * and extracts paths relative to GITHUB_WORKSPACE, so an entry made from elsewhere would unpack
   * somewhere else — it must not match at all.
   */
  private located(key: string, dir: string): string {
    const workspace = this.env.GITHUB_WORKSPACE ?? process.cwd();
    return `edge-v1-${sha256(path.relative(workspace, dir)).slice(0, 10)}-${key}`;
  }

  /** One warning for the whole step; later calls are not tried. */
  private failed(entry: CacheEntry, what: string, annotation: string): { status: 'error'; note: string } {
    const note = serviceMessage(annotation);
    state.serviceFailed = note;
    this.o.warn(
      `The Actions cache service failed while ${what} ${entry.label}: ${note}. The step continues without the cache; it is not used again in this step.`,
    );
    return { status: 'error', note };
  }

  protected async fetch(entry: CacheEntry): Promise<Fetched> {
    if (state.serviceFailed)
      return { status: 'unavailable', note: 'the cache service failed earlier in this step' };
    const toolkit = await this.service();
    if (!toolkit) return { status: 'unavailable', note: 'no cache service' };
    await ensurePrivateDir(entry.dir);
    const prefixes = [entry.key, ...(entry.fallbackPrefixes ?? [])].map((k) => this.located(k, entry.dir));
    // Look up first (one request): a failure here is the service's, a failure while downloading or
    // unpacking below is the entry's.
    const lookup: string[] = [];
    const matched = await log.governed(lookup, () =>
      // GitHub matches the primary key exactly and restore keys by prefix; forgejo-runner's server
      // matches each key exactly, then by prefix (act pkg/artifactcache/handler.go findCache). The
      // primary key never exists (entries carry a stamp), so both take the newest entry under the prefix.
      toolkit.restoreCache([entry.dir], `${prefixes[0]}-`, [`${prefixes[0]}-`, ...prefixes.slice(1)], {
        lookupOnly: true,
      }),
    );
    if (lookup.length > 0) return this.failed(entry, 'looking up', lookup[0]);
    if (!matched) return { status: 'miss' };
    const unpack: string[] = [];
    const got = await log.governed(unpack, () => toolkit.restoreCache([entry.dir], matched));
    const entryKey = this.unlocated(matched, prefixes);
    if (unpack.length > 0 || got !== matched)
      return {
        status: 'found',
        entryKey,
        note: serviceMessage(unpack[0] ?? 'the entry disappeared before it was downloaded'),
      };
    const text = await fsp.readFile(path.join(entry.dir, MANIFEST_FILE), 'utf8').catch(() => undefined);
    const manifest = text === undefined ? 'it has no manifest' : parseManifest(text);
    if (typeof manifest === 'string') return { status: 'found', entryKey, note: manifest };
    return { status: 'found', entryKey, manifest };
  }

  /** The caller's view of a stored key: without the location part. */
  private unlocated(stored: string, prefixes: string[]): string {
    return stored.replace(/^edge-v1-[0-9a-f]{10}-/, '') || prefixes[0];
  }

  protected async store(
    entry: CacheEntry,
    manifest: CacheManifest,
  ): Promise<{ status: 'saved' | 'exists' | 'unavailable' | 'error'; note?: string }> {
    if (state.serviceFailed)
      return { status: 'unavailable', note: 'the cache service failed earlier in this step' };
    const toolkit = await this.service();
    if (!toolkit) return { status: 'unavailable', note: 'no cache service' };
    const manifestFile = path.join(entry.dir, MANIFEST_FILE);
    await writeFileAtomic(manifestFile, JSON.stringify(manifest, null, 1) + '\n', { mode: 0o600 });
    const annotations: string[] = [];
    try {
      const id = await log.governed(annotations, () =>
        toolkit.saveCache([entry.dir], this.located(manifest.key, entry.dir)),
      );
      if (annotations.length > 0) return this.failed(entry, 'saving', annotations[0]);
      // -1 without a complaint: the service refused the reservation (the toolkit logged why).
      if (id === -1) return { status: 'exists', note: 'the service refused the reservation' };
      return { status: 'saved' };
    } catch (e) {
      return this.failed(entry, 'saving', errorMessage(e));
    } finally {
      await fsp.rm(manifestFile, { force: true });
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// The runner-local store: <dir>/edge-cache-v1/entries/<sha256 of the entry key>/{manifest.json,data/}

const LOCAL_LAYOUT = 'edge-cache-v1';
/** Entries of one key kept after a save (the newest first); older ones are removed. */
const KEEP_PER_KEY = 2;
/** Entries not restored or saved for this long are removed. */
const UNUSED_MS = 30 * 86_400_000;

class LocalStore extends Store {
  readonly backend = 'local' as const;
  private readonly root: string;

  constructor(o: CacheOptions & { local: { dir: string; input: string } }) {
    super(o);
    const problem = localCacheDirProblem(o.local.dir, o.env ?? process.env);
    if (problem) throw new InputError(o.local.input, problem, `'${o.local.dir}'`);
    this.root = path.join(o.local.dir, LOCAL_LAYOUT);
  }

  private get entries(): string {
    return path.join(this.root, 'entries');
  }

  private async prepare(): Promise<void> {
    await ensurePrivateDir(this.entries);
    await ensurePrivateDir(path.join(this.root, 'tmp'));
    // Backup tools skip directories tagged like this (https://bford.info/cachedir/).
    const tag = path.join(this.root, 'CACHEDIR.TAG');
    if (!fs.existsSync(tag))
      await writeFileAtomic(tag, 'Signature: 8a477f597d28d172789f06886806bc55\n# edge-actions cache\n');
  }

  /** Every stored entry with its manifest (unreadable ones are reported as corrupt by `why`). */
  private async list(): Promise<{ dir: string; manifest?: CacheManifest; why?: string; mtime: number }[]> {
    const names = await fsp.readdir(this.entries).catch(() => [] as string[]);
    const out = [];
    for (const name of names.filter((n) => /^[0-9a-f]{64}$/.test(n))) {
      const dir = path.join(this.entries, name);
      const file = path.join(dir, 'manifest.json');
      const st = await fsp.stat(file).catch(() => undefined);
      const text = await fsp.readFile(file, 'utf8').catch(() => undefined);
      const parsed = text === undefined ? 'it has no manifest' : parseManifest(text);
      out.push(
        typeof parsed === 'string'
          ? { dir, why: parsed, mtime: st?.mtimeMs ?? 0 }
          : { dir, manifest: parsed, mtime: st?.mtimeMs ?? 0 },
      );
    }
    return out;
  }

  protected async fetch(entry: CacheEntry): Promise<Fetched> {
    await this.prepare();
    const all = await this.list();
    for (const prefix of [`${entry.key}-`, ...(entry.fallbackPrefixes ?? [])]) {
      const candidates = all
        .filter((e) => e.manifest?.key.startsWith(prefix))
        .sort((a, b) => (a.manifest!.key < b.manifest!.key ? 1 : -1));
      const newest = candidates[0];
      if (!newest?.manifest) continue;
      const data = path.join(newest.dir, 'data');
      const discard = () => fsp.rm(newest.dir, { recursive: true, force: true });
      const why = await verifyManifest(data, newest.manifest, []);
      if (why) return { status: 'found', entryKey: newest.manifest.key, note: why, discard };
      await ensurePrivateDir(entry.dir);
      await fsp.cp(data, entry.dir, {
        recursive: true,
        mode: fs.constants.COPYFILE_FICLONE,
        verbatimSymlinks: true,
      });
      const now = new Date();
      await fsp.utimes(path.join(newest.dir, 'manifest.json'), now, now).catch(() => undefined);
      return { status: 'found', entryKey: newest.manifest.key, manifest: newest.manifest, discard };
    }
    return { status: 'miss' };
  }

  protected async store(entry: CacheEntry, manifest: CacheManifest): Promise<{ status: 'saved' }> {
    await this.prepare();
    const staging = await fsp.mkdtemp(path.join(this.root, 'tmp', 'entry-'));
    try {
      await fsp.cp(entry.dir, path.join(staging, 'data'), {
        recursive: true,
        mode: fs.constants.COPYFILE_FICLONE,
        verbatimSymlinks: true,
      });
      // The copy is what gets stored: check it against the manifest taken from the source.
      const why = await verifyManifest(path.join(staging, 'data'), manifest, []);
      if (why) throw new Error(`the copy changed while it was made (${why})`);
      await writeFileAtomic(path.join(staging, 'manifest.json'), JSON.stringify(manifest, null, 1) + '\n', {
        mode: 0o600,
      });
      await fsp.rename(staging, path.join(this.entries, sha256(manifest.key)));
    } finally {
      await fsp.rm(staging, { recursive: true, force: true });
    }
    await this.prune(entry.key);
    return { status: 'saved' };
  }

  /** Keeps the newest entries of `key`, drops entries nobody used for a month and broken ones. */
  private async prune(key: string): Promise<void> {
    const all = await this.list();
    const mine = all
      .filter((e) => e.manifest?.key.startsWith(`${key}-`))
      .sort((a, b) => (a.manifest!.key < b.manifest!.key ? 1 : -1));
    const old = all.filter((e) => e.mtime > 0 && Date.now() - e.mtime > UNUSED_MS);
    for (const e of [...mine.slice(KEEP_PER_KEY), ...old])
      await fsp.rm(e.dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/**
 * Opens the cache for this step: the runner-local store when the caller names one, else the Actions
 * cache (which may turn out to be unavailable: every call then answers `unavailable`).
 */
export function openCache(o: CacheOptions): Cache {
  if (o.local) return new LocalStore({ ...o, local: o.local });
  return new ActionsStore(o);
}
