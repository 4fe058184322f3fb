// The in-process measurements (bench/workers/*.ts) run from one bundle of bench/workers/index.ts, made
// with the suite's own bundler (scripts/bundle.mjs, the way test/support/bundle-worker.ts does it), so the
// timed code is the shipped TypeScript, bundled. One bundle for all of them because every ncc run
// type-checks the whole project (tens of seconds on a busy machine). The run bundles before it measures
// anything, so ncc never competes with a measurement for the CPUs.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ENTRY = 'bench/workers/index.ts';
let build;

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
      // ncc prints its whole minified source and a stack on some errors: keep the readable message lines.
      const lines = log.split('\n').filter((l) => l.trim() && l.length < 400 && !/^\s+at /.test(l));
      reject(new Error(`bundling ${path.relative(ctx.root, entry)} failed: ${lines.slice(-6).join(' / ')}`));
    });
  });
}

/** Bundles bench/workers/index.ts (once per run); resolves to the bundle's index.js. */
export function workerBundle(ctx) {
  if (!build) {
    const outDir = path.join(ctx.tmp, 'workers');
    const entry = path.join(ctx.root, ENTRY);
    // One retry: a file saved half-way while the bundler read it should not fail the run.
    build = bundleInChild(ctx, entry, outDir)
      .catch(() => bundleInChild(ctx, entry, outDir))
      .then(() => {
        // ncc's ESM output needs the package.json it emits; write one if this ncc version did not.
        const pkg = path.join(outDir, 'package.json');
        if (!fs.existsSync(pkg)) fs.writeFileSync(pkg, '{"type":"module"}\n');
        return path.join(outDir, 'index.js');
      });
    build.catch(() => undefined); // reported by the benchmarks that await it
  }
  return build;
}

/** Waits for the bundle (success or failure) before anything is measured. */
export async function bundleSettled(ctx) {
  await workerBundle(ctx).catch(() => undefined);
}

/**
 * Runs one worker of the bundle in a fresh node process: `node index.js <name> <args…>`; stdout is
 * discarded unless `capture` (the redaction worker's stdout is its log, sent to /dev/null).
 */
export async function runWorker(ctx, name, args, { capture = false, timeoutMs = 600_000 } = {}) {
  const bundle = await workerBundle(ctx);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle, name, ...args], {
      stdio: ['ignore', capture ? 'pipe' : 'ignore', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    if (capture) child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0)
        reject(
          new Error(`worker ${name} ${args[0] ?? ''} exited ${code ?? signal}: ${stderr.trim().slice(-500)}`),
        );
      else resolve(stdout);
    });
  });
}
