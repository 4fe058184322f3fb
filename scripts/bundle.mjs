// Bundles one action entry point with ncc. Shared by the build, the dist check and the fixture test.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import ncc from '@vercel/ncc';

/** Bundles `entry` into `outDir/<outName>` plus its chunks; returns the files written (relative to outDir). */
export async function bundle(entry, outDir, outName = 'index.js') {
  const { code, assets } = await ncc(path.resolve(entry), {
    minify: false,
    sourceMap: false,
    quiet: true,
    // Licenses of bundled packages travel with the bundle.
    license: 'licenses.txt',
    // Deterministic output: no cache, no timestamps.
    cache: false,
  });
  await fs.mkdir(outDir, { recursive: true });
  const written = [outName];
  await fs.writeFile(path.join(outDir, outName), code);
  for (const [name, asset] of Object.entries(assets)) {
    const target = path.join(outDir, name);
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.writeFile(target, asset.source);
    written.push(name);
  }
  return written;
}

/** Every action's entry points: actions/<name>/src/main.ts → index.js, post.ts → post.js. */
export async function actionEntries(root) {
  const names = (await fs.readdir(path.join(root, 'actions'), { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  const entries = [];
  for (const name of names) {
    for (const [src, out] of [
      ['main.ts', 'index.js'],
      ['post.ts', 'post.js'],
    ]) {
      const file = path.join(root, 'actions', name, 'src', src);
      if (await fs.stat(file).catch(() => undefined)) entries.push({ name, file, out });
    }
  }
  return entries;
}

/** Builds every action into `distDir/<name>/`, replacing what was there. */
export async function buildAll(root, distDir) {
  const entries = await actionEntries(root);
  const names = [...new Set(entries.map((e) => e.name))];
  for (const name of names) await fs.rm(path.join(distDir, name), { recursive: true, force: true });
  for (const e of entries) {
    const files = await bundle(e.file, path.join(distDir, e.name), e.out);
    console.log(`built dist/${e.name}/${e.out} (${files.length - 1} extra files)`);
  }
  return names;
}
