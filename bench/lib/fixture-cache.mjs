// Expensive benchmark data (a 1 GB restic repository, a 20,000-commit git history) is built once and kept
// between runs in a cache directory outside the repository, keyed by the fixture's name, its generator
// version and its parameters. A change to a generator bumps its version, so stale data is never reused.
//
//   BENCH_CACHE_DIR   where (default: $XDG_CACHE_HOME/edge-actions-bench, else ~/.cache/edge-actions-bench)
//
// Smoke runs build their (tiny) fixtures in the run's temp directory and cache nothing.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';

const COMPLETE = '.complete.json';

export function cacheRoot(ctx) {
  const base =
    process.env.BENCH_CACHE_DIR ||
    path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'edge-actions-bench');
  const root = path.resolve(base);
  const repo = path.resolve(ctx.root);
  // The benchmark leaves a clone clean: nothing is cached inside it.
  if (root === repo || root.startsWith(repo + path.sep))
    throw new Error(`BENCH_CACHE_DIR ${root} is inside the repository; choose a directory outside it`);
  return root;
}

/**
 * The directory of fixture `name` built by `build(dir)` (async), from the cache when a complete copy of
 * this version and these parameters is there. Builds into a temporary sibling and renames it into place
 * when done, so an interrupted build is never taken for a complete one; older versions of the same
 * fixture are removed. Returns `{ dir, cached, buildSeconds, info }` (`info` is what `build` returned).
 */
export async function cachedFixture(ctx, name, version, params, build) {
  if (ctx.smoke) {
    const dir = path.join(ctx.tmp, 'fixtures', name);
    fs.mkdirSync(dir, { recursive: true });
    const info = await build(dir);
    return { dir, cached: false, buildSeconds: undefined, info };
  }
  const root = cacheRoot(ctx);
  const key = `${name}-v${version}-${createHash('sha256').update(JSON.stringify(params)).digest('hex').slice(0, 12)}`;
  const dir = path.join(root, key);
  const marker = path.join(dir, COMPLETE);
  if (fs.existsSync(marker)) {
    const done = JSON.parse(fs.readFileSync(marker, 'utf8'));
    ctx.log(`  fixture ${name}: cached in ${dir} (built in ${done.buildSeconds} s)`);
    return { dir, cached: true, buildSeconds: done.buildSeconds, info: done.info };
  }
  fs.mkdirSync(root, { recursive: true });
  for (const old of fs.readdirSync(root)) {
    if ((old.startsWith(`${name}-v`) || old.startsWith(`.building-${name}-v`)) && old !== key) {
      ctx.log(`  fixture ${name}: removing the stale ${old}`);
      fs.rmSync(path.join(root, old), { recursive: true, force: true });
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  const building = path.join(root, `.building-${key}`);
  fs.rmSync(building, { recursive: true, force: true });
  fs.mkdirSync(building, { recursive: true });
  ctx.log(`  fixture ${name}: building in ${building} (cached for later runs)`);
  const t0 = performance.now();
  const info = await build(building);
  const buildSeconds = Math.round((performance.now() - t0) / 100) / 10;
  fs.writeFileSync(
    path.join(building, COMPLETE),
    JSON.stringify({ name, version, params, buildSeconds, info, builtAt: new Date().toISOString() }) + '\n',
  );
  fs.renameSync(building, dir);
  ctx.log(`  fixture ${name}: built in ${buildSeconds} s`);
  return { dir, cached: false, buildSeconds, info };
}

/**
 * Copies a directory tree as hard links (a copy only where linking fails, e.g. across file systems).
 * Safe for restic repositories and git repositories: both write new files (and rename over old ones)
 * rather than changing a file in place, so a run never alters the cached original.
 */
export function linkTree(src, dst) {
  fs.mkdirSync(dst, { recursive: true });
  for (const e of fs.readdirSync(src, { withFileTypes: true })) {
    const from = path.join(src, e.name);
    const to = path.join(dst, e.name);
    if (e.isDirectory()) linkTree(from, to);
    else if (e.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(from), to);
    else {
      try {
        fs.linkSync(from, to);
      } catch {
        fs.copyFileSync(from, to);
      }
    }
  }
}
