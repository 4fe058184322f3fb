import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from './run-action.js';

/** Bundles a TypeScript entry (a worker or a fixture action) with the suite's own ncc bundler. */
export async function bundleEntry(entry: string, outDir?: string): Promise<string> {
  const dir = outDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-'));
  const { bundle } = (await import(path.join(REPO_ROOT, 'scripts', 'bundle.mjs'))) as {
    bundle: (entry: string, outDir: string, outName?: string) => Promise<string[]>;
  };
  await bundle(path.join(REPO_ROOT, entry), dir, 'index.js');
  return path.join(dir, 'index.js');
}
