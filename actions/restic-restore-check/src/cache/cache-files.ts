import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { sha256File } from '../../../../shared/fsx.js';

/**
 * restic's cache of one repository, `<cache-dir>/<repository id>/`, holds `index/`, `snapshots/` and
 * `data/` (the packs holding tree blobs), each file at `<type>/<first two hex digits>/<id>`, plus a
 * `version` file (restic internal/backend/cache/cache.go cacheLayoutPaths, file.go filename). Every one
 * of these files is content-addressed: its name is the SHA-256 of its bytes, as in the repository — the
 * file itself is ciphertext, authenticated by restic's key when it is read.
 *
 * restic 0.14 does not recover from a damaged cached file: a flipped byte in a cached index or tree pack
 * fails `ls` and `restore` on every run ("ciphertext verification failed", "invalid data returned"), and a
 * damaged cached snapshot is silently left out of `snapshots` (tried here). 0.15 drops damaged index and
 * snapshot files and fetches them again (changelog 0.15.0 issue-2533), 0.17 damaged tree packs too
 * (repository.go LoadBlob → Cache.Forget). So the action checks each file against its name before
 * restic runs, whatever the version, and drops those that do not match: restic fetches them again.
 * The same check makes an Actions cache entry harmless whoever wrote it: nothing can be put under an id
 * restic will ask for unless it is those very bytes.
 */
export const LAYOUT = ['data', 'index', 'snapshots'] as const;

const HEX64 = /^[0-9a-f]{64}$/;
const HEX2 = /^[0-9a-f]{2}$/;

export interface CacheFile {
  /** `data/ab/ab…` (POSIX, relative to the repository's cache directory). */
  rel: string;
  abs: string;
  size: number;
  name: string;
}

export interface CacheSize {
  files: number;
  bytes: number;
}

/**
 * The content-addressed files under `repoDir` (restic's own names, regular files only). Anything else
 * (restic's `tmp-*` downloads in progress, the `version` file) is not listed. Symbolic links found in
 * the layout are reported in `links`: restic never makes one.
 */
export async function listCacheFiles(repoDir: string): Promise<{ files: CacheFile[]; links: string[] }> {
  const files: CacheFile[] = [];
  const links: string[] = [];
  for (const type of LAYOUT) {
    const typeDir = path.join(repoDir, type);
    const st = await fsp.lstat(typeDir).catch(() => undefined);
    if (st?.isSymbolicLink()) links.push(type);
    if (!st?.isDirectory()) continue;
    for (const sub of await readdir(typeDir)) {
      const subDir = path.join(typeDir, sub.name);
      if (sub.isSymbolicLink()) links.push(`${type}/${sub.name}`);
      if (!sub.isDirectory() || !HEX2.test(sub.name)) continue;
      for (const e of await readdir(subDir)) {
        const rel = `${type}/${sub.name}/${e.name}`;
        if (e.isSymbolicLink()) links.push(rel);
        if (!e.isFile() || !HEX64.test(e.name) || !e.name.startsWith(sub.name)) continue;
        const abs = path.join(subDir, e.name);
        const fst = await fsp.lstat(abs).catch(() => undefined);
        // Removed meanwhile by a concurrent restic (it clears files no longer in the repository).
        if (fst?.isFile()) files.push({ rel, abs, size: fst.size, name: e.name });
      }
    }
  }
  return { files, links };
}

async function readdir(dir: string) {
  return fsp.readdir(dir, { withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [];
    throw e;
  });
}

export async function cacheSize(repoDir: string): Promise<CacheSize> {
  const { files } = await listCacheFiles(repoDir);
  return { files: files.length, bytes: files.reduce((n, f) => n + f.size, 0) };
}

export interface VerifyOutcome extends CacheSize {
  /** What was dropped and why (relative paths). */
  removed: { path: string; why: string }[];
  durationMs: number;
}

/** Hashes run this many at a time: the disk, not one core, is the limit on a runner. */
const PARALLEL = 4;

/**
 * Drops every cached file whose bytes do not match its name, and every symbolic link in the layout
 * (a link would make restic read or write outside its cache). Nothing else is touched: not restic's
 * other files, not the directory itself. A file that vanishes meanwhile was removed by a concurrent
 * restic and is simply not counted.
 */
export async function verifyCacheFiles(repoDir: string): Promise<VerifyOutcome> {
  const started = Date.now();
  const { files, links } = await listCacheFiles(repoDir);
  const removed: VerifyOutcome['removed'] = [];
  for (const link of links) {
    await fsp.rm(path.join(repoDir, link), { force: true });
    removed.push({ path: link, why: 'a symbolic link' });
  }
  const good: CacheFile[] = [];
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const f = files[next++];
      const sum = await sha256File(f.abs).catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') return undefined;
        throw e;
      });
      if (sum === undefined) continue;
      if (sum === f.name) {
        good.push(f);
        continue;
      }
      await fsp.rm(f.abs, { force: true });
      removed.push({ path: f.rel, why: 'its content does not match its name' });
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  return {
    files: good.length,
    bytes: good.reduce((n, f) => n + f.size, 0),
    removed: removed.sort((a, b) => (a.path < b.path ? -1 : 1)),
    durationMs: Date.now() - started,
  };
}
