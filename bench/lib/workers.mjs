// Bundles the TypeScript workers in bench/workers/ with the suite's own bundler (scripts/bundle.mjs,
// the same way test/support/bundle-worker.ts does), so the timed code is the shipped code, bundled.
// ncc is single-threaded and slow to start, so the workers a run needs are bundled up front, each in its
// own process, all at once, and the run waits for them before measuring anything (so bundling never
// competes with a measurement); a worker that fails to bundle only fails the benchmarks that need it.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const builds = new Map();

function bundleInChild(ctx, entry, outDir) {
  const script =
    `const { bundle } = await import(${JSON.stringify(path.join(ctx.root, 'scripts', 'bundle.mjs'))});` +
    `await bundle(${JSON.stringify(entry)}, ${JSON.stringify(outDir)}, 'index.js');`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: ctx.root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout.on('data', (c) => (log += c));
    child.stderr.on('data', (c) => (log += c));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) return resolve();
      // ncc prints its whole minified source on some errors: keep only the readable tail.
      const lines = log.split('\n').filter((l) => l.trim() && l.length < 400);
      reject(new Error(`bundling ${path.relative(ctx.root, entry)} failed: ${lines.slice(-6).join(' / ')}`));
    });
  });
}

/** Starts bundling every entry (paths relative to the repository) in parallel. */
export function prebundle(ctx, entries) {
  for (const entry of entries) {
    const key = path.resolve(ctx.root, entry);
    if (builds.has(key)) continue;
    const outDir = path.join(ctx.tmp, 'workers', path.basename(entry).replace(/\.ts$/, ''));
    const done = bundleInChild(ctx, key, outDir).then(() => {
      // ncc's ESM output needs the package.json it emits; write one if this ncc version did not.
      const pkg = path.join(outDir, 'package.json');
      if (!fs.existsSync(pkg)) fs.writeFileSync(pkg, '{"type":"module"}\n');
      return path.join(outDir, 'index.js');
    });
    done.catch(() => undefined); // reported when a benchmark awaits it
    builds.set(key, done);
  }
}

/** Resolves when every bundle started so far is done (or failed): nothing is measured while ncc runs. */
export async function bundlesSettled() {
  await Promise.allSettled([...builds.values()]);
}

/** The bundled worker's index.js (bundling it now if it was not started up front). */
export async function bundleWorker(ctx, entry) {
  prebundle(ctx, [entry]);
  return builds.get(path.resolve(ctx.root, entry));
}
