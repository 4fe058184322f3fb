import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from './run-action.js';

/**
 * Everything a bundle of `entry` can contain: the shared library, the actions, the entry's own directory,
 * the lock file (dependencies, ncc) and the bundler. Bundles with `@actions/*` chunks take minutes on a
 * loaded machine, and several test files bundle the same fixture: the same content is bundled once.
 */
function bundleKey(entry: string): string {
  const hash = createHash('sha256').update(process.version);
  const add = (file: string) =>
    hash.update(path.relative(REPO_ROOT, file)).update('\0').update(fs.readFileSync(file));
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory() && e.name !== 'node_modules' && e.name !== 'dist') walk(p);
      else if (e.isFile()) add(p);
    }
  };
  walk(path.join(REPO_ROOT, 'shared'));
  walk(path.join(REPO_ROOT, 'actions'));
  walk(path.dirname(path.join(REPO_ROOT, entry)));
  for (const f of ['package-lock.json', 'tsconfig.json', 'scripts/bundle.mjs']) add(path.join(REPO_ROOT, f));
  hash.update(entry);
  return hash.digest('hex').slice(0, 32);
}

/** Bundles a TypeScript entry (a worker or a fixture action) with the suite's own ncc bundler. */
export async function bundleEntry(entry: string, outDir?: string): Promise<string> {
  const dir = outDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-'));
  // Per user: a cache left in the shared /tmp by another user (root on a CI machine) is not writable.
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  const cacheRoot = path.join(os.tmpdir(), `edge-actions-test-bundles-${uid}`);
  const cached = path.join(cacheRoot, bundleKey(entry));
  if (!fs.existsSync(path.join(cached, '.complete'))) {
    fs.mkdirSync(cacheRoot, { recursive: true });
    const staging = fs.mkdtempSync(path.join(cacheRoot, '.staging-'));
    const { bundle } = (await import(path.join(REPO_ROOT, 'scripts', 'bundle.mjs'))) as {
      bundle: (entry: string, outDir: string, outName?: string) => Promise<string[]>;
    };
    await bundle(path.join(REPO_ROOT, entry), staging, 'index.js');
    fs.writeFileSync(path.join(staging, '.complete'), '');
    try {
      fs.renameSync(staging, cached);
    } catch {
      // Another test worker finished the same bundle first: use its copy.
      fs.rmSync(staging, { recursive: true, force: true });
    }
  }
  fs.mkdirSync(dir, { recursive: true });
  for (const name of fs.readdirSync(cached).filter((n) => n !== '.complete'))
    fs.cpSync(path.join(cached, name), path.join(dir, name), { recursive: true });
  return path.join(dir, 'index.js');
}
