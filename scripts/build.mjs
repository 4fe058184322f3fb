// npm run build [-- <action> …]: bundles every (or the named) action into dist/<name>/ (committed;
// CI rebuilds and compares).
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildAll } from './bundle.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
await buildAll(root, path.join(root, 'dist'), process.argv.slice(2));
