// Runs a TypeScript script of this repository: node scripts/ts-run.mjs <file.ts> [args…]
import { register } from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

register('./ts-hooks.mjs', import.meta.url);
const [file, ...args] = process.argv.slice(2);
process.argv = [process.argv[0], path.resolve(file), ...args];
await import(pathToFileURL(path.resolve(file)).href);
