// npm run build: bundles every action into dist/<name>/ (committed; CI rebuilds and compares).
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildAll } from './bundle.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const only = process.argv.slice(2);
if (only.length > 0) {
  // Build selected actions only (faster while working on one action).
  const { bundle, actionEntries } = await import('./bundle.mjs');
  const fs = await import('node:fs/promises');
  for (const name of only) await fs.rm(path.join(root, 'dist', name), { recursive: true, force: true });
  for (const e of (await actionEntries(root)).filter((e) => only.includes(e.name))) {
    await bundle(e.file, path.join(root, 'dist', e.name), e.out);
    console.log(`built dist/${e.name}/${e.out}`);
  }
} else {
  await buildAll(root, path.join(root, 'dist'));
}
