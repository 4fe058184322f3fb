// 1. Bundle size of every dist/<name> entry file and of the lazily loaded chunks beside it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { builtActions, ALL_ACTIONS, notBuilt } from '../lib/actions.mjs';
import { bundleParts } from '../lib/bundle-parts.mjs';
import { mb } from '../lib/measure.mjs';

export const id = '1';
export const name = 'bundle-size';
export const title = 'Bundle size';
export const method =
  'Size on disk of each `dist/<name>/` entry file (`index.js`, and `post.js` where there is one) and of ' +
  'every other `.js` file ncc wrote beside it (chunks split off by dynamic `import()`, loaded only when ' +
  'that code path runs). Read from whatever is in `dist/` when the benchmark runs. Target: entry ≤ 1.5 MB.';

const ENTRIES = ['index.js', 'post.js'];
const LIMIT_MB = 1.5;
const TARGET = { on: 'value', op: '<=', limit: LIMIT_MB, text: `entry ≤ ${LIMIT_MB} MB` };

export async function run(ctx) {
  const rows = [];
  const built = builtActions(ctx);
  for (const action of built) {
    const dir = path.join(ctx.dist, action);
    const files = fs.readdirSync(dir).filter((f) => /\.(c|m)?js$/.test(f));
    const chunks = files.filter((f) => !ENTRIES.includes(f)).sort();
    const chunkSizes = chunks.map((f) => ({ file: f, bytes: fs.statSync(path.join(dir, f)).size }));
    for (const entry of ENTRIES.filter((e) => files.includes(e))) {
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
                'Why: everything the entry imports statically is in this one file (no chunk beside it is ' +
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
    rows.push(notBuilt(`${action}/index.js`, TARGET));
  return rows;
}
