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

/**
 * Builds the named actions (default: all) into `distDir/<name>/`. Each action is bundled into a temp
 * directory first and swapped in only when all its entries built, so a failed build never leaves a
 * half-written or deleted dist/<name>.
 */
export async function buildAll(root, distDir, only = []) {
  const entries = (await actionEntries(root)).filter((e) => only.length === 0 || only.includes(e.name));
  const names = [...new Set(entries.map((e) => e.name))];
  const unknown = only.filter((n) => !names.includes(n));
  if (unknown.length > 0) throw new Error(`no such action: ${unknown.join(', ')}`);
  await fs.mkdir(distDir, { recursive: true });
  for (const name of names) {
    const staging = await fs.mkdtemp(path.join(distDir, `.${name}.build-`));
    try {
      for (const e of entries.filter((x) => x.name === name)) {
        const files = await bundle(e.file, staging, e.out);
        console.log(`built dist/${name}/${e.out} (${files.length - 1} extra files)`);
      }
      await fs.rm(path.join(distDir, name), { recursive: true, force: true });
      await fs.rename(staging, path.join(distDir, name));
    } finally {
      await fs.rm(staging, { recursive: true, force: true });
    }
  }
  return names;
}
