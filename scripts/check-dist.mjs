// Fails when dist/ differs from a fresh build, or when a bundle holds an unresolved-module stub
// (ncc emits `webpackMissingModule` when it cannot resolve an ESM-only package: it would throw at run time).
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildAll } from './bundle.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fresh = await fs.mkdtemp(path.join(os.tmpdir(), 'dist-check-'));

async function listFiles(dir, base = dir) {
  const out = [];
  for (const d of await fs.readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) out.push(...(await listFiles(p, base)));
    else out.push(path.relative(base, p));
  }
  return out.sort();
}

const problems = [];
try {
  await buildAll(root, fresh);
  const want = await listFiles(fresh);
  const have = await listFiles(path.join(root, 'dist'));
  for (const f of want) if (!have.includes(f)) problems.push(`missing in dist/: ${f}`);
  for (const f of have) if (!want.includes(f)) problems.push(`not produced by the build: dist/${f}`);
  for (const f of want.filter((f) => have.includes(f))) {
    const [a, b] = await Promise.all([
      fs.readFile(path.join(fresh, f)),
      fs.readFile(path.join(root, 'dist', f)),
    ]);
    if (!a.equals(b)) problems.push(`differs from a fresh build: dist/${f}`);
    if (f.endsWith('.js') && b.includes('webpackMissingModule'))
      problems.push(`unresolved module stub in dist/${f}`);
  }
} finally {
  await fs.rm(fresh, { recursive: true, force: true });
}
if (problems.length > 0) {
  console.error(problems.join('\n'));
  console.error('dist/ is out of date: run `npm run build` and commit dist/.');
  process.exit(1);
}
console.log('dist/ matches a fresh build and has no unresolved-module stubs.');
