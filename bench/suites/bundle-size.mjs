// 1. Bundle size of every dist/<name> bundle (action.js behind the loader index.js, post.js where there is
// one) and of the lazily loaded chunks beside it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { builtActions, ALL_ACTIONS, notBuilt } from '../lib/actions.mjs';
import { bundleParts } from '../lib/bundle-parts.mjs';
import { mb } from '../lib/measure.mjs';

export const id = '1';
export const name = 'bundle-size';
export const title = 'Bundle size';
export const method =
  'Size on disk of each `dist/<name>/` bundle: `action.js` (what the runner-started `index.js` loader ' +
  'imports after enabling the compile cache; the loader itself is a few hundred bytes and listed in the ' +
  'details) and `post.js` where there is one, and of every other `.js` file ncc wrote beside it (chunks ' +
  'split off by dynamic `import()`, loaded only when that code path runs). Read from whatever is in ' +
  '`dist/` when the benchmark runs. Target: bundle ≤ 1.5 MB.';

/** The bundles (not the loader): dist/<name>/index.js is a tiny loader that imports action.js. */
const ENTRIES = ['action.js', 'post.js'];
const LOADER = 'index.js';
const LIMIT_MB = 1.5;
const TARGET = { on: 'value', op: '<=', limit: LIMIT_MB, text: `bundle ≤ ${LIMIT_MB} MB` };

export async function run(ctx) {
  const rows = [];
  const built = builtActions(ctx);
  for (const action of built) {
    const dir = path.join(ctx.dist, action);
    const files = fs.readdirSync(dir).filter((f) => /\.(c|m)?js$/.test(f));
    const chunks = files.filter((f) => !ENTRIES.includes(f) && f !== LOADER).sort();
    const chunkSizes = chunks.map((f) => ({ file: f, bytes: fs.statSync(path.join(dir, f)).size }));
    const loaderBytes = fs.statSync(path.join(dir, LOADER)).size;
    const entries = ENTRIES.filter((e) => files.includes(e));
    if (!entries.includes('action.js'))
      rows.push({
        subject: `${action}/action.js`,
        status: 'error',
        reason: `dist/${action}/ has no action.js: rebuild with npm run build (index.js is only the loader)`,
      });
    for (const entry of entries) {
      const bytes = fs.statSync(path.join(dir, entry)).size;
      const parts = bundleParts(fs.readFileSync(path.join(dir, entry), 'utf8'));
      rows.push({
        subject: `${action}/${entry}`,
        value: mb(bytes),
        unit: 'MB',
        bytes,
        target: TARGET,
        details: [
          `${bytes} bytes (1 MB = 2^20 bytes)`,
          ...(entry === 'action.js' ? [`loaded by the runner-started ${LOADER} (${loaderBytes} bytes)`] : []),
          chunkSizes.length
            ? `chunks beside it: ${chunkSizes.map((c) => `${c.file} ${mb(c.bytes).toFixed(2)} MB`).join(', ')}`
            : 'no lazily loaded chunks',
          'largest parts (from the module comments webpack leaves; "unattributed" are CommonJS modules ' +
            `it does not name): ${parts
              .slice(0, 8)
              .map((p) => `${p.name} ${mb(p.bytes).toFixed(2)} MB`)
              .join(', ')}`,
        ],
        parts,
        ...(mb(bytes) > LIMIT_MB
          ? {
              note:
                'Why: everything the bundle imports statically is in this one file (no chunk beside it is ' +
                'loaded lazily); the largest parts listed above are what a lazy `import()` or a smaller ' +
                'dependency could take out of the start-up path.',
            }
          : {}),
      });
    }
    for (const c of chunkSizes) {
      rows.push({ subject: `${action}/${c.file} (chunk)`, value: mb(c.bytes), unit: 'MB', bytes: c.bytes });
    }
  }
  for (const action of ALL_ACTIONS.filter((a) => !built.includes(a)))
    rows.push(notBuilt(`${action}/action.js`, TARGET));
  return rows;
}
