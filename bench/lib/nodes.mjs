// Which node binaries the start-up benchmark runs: node 20 and node 24 (issue 21 item 5). Found through
// BENCH_NODE20 / BENCH_NODE24 first, then the node running the benchmark, then every `node` on PATH.
// A version that cannot be found is reported as such ("not measured: node 24 not found"), never skipped.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

function version(bin) {
  try {
    return execFileSync(bin, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

function major(v) {
  const m = /^v(\d+)\./.exec(v ?? '');
  return m ? Number(m[1]) : undefined;
}

/** Whether this node has module.enableCompileCache (Node ≥ 22.1): the loader in dist/<name>/index.js uses it. */
function hasCompileCache(bin) {
  try {
    return (
      execFileSync(bin, ['-p', "typeof require('node:module').enableCompileCache"], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim() === 'function'
    );
  } catch {
    return false;
  }
}

/**
 * `{ major, bin, version, compileCache }` when found; `{ major, missing }` (why, with what was tried)
 * when not. An env var that names a binary of another version is an error, not a fallback.
 */
export function findNode(wanted) {
  const envName = `BENCH_NODE${wanted}`;
  const tried = [];
  const found = (bin, v, how) => ({
    major: wanted,
    bin,
    version: v,
    how,
    compileCache: hasCompileCache(bin),
  });
  const fromEnv = process.env[envName];
  if (fromEnv) {
    const v = version(fromEnv);
    if (major(v) === wanted) return found(fromEnv, v, envName);
    return {
      major: wanted,
      missing: `${envName}=${fromEnv} is ${v ? `node ${v}` : 'not a runnable node'}, not node ${wanted}`,
      error: true,
    };
  }
  tried.push(`${envName} unset`);
  if (major(process.version) === wanted) return found(process.execPath, process.version, 'the running node');
  tried.push(`the running node is ${process.version}`);
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const bin = path.join(dir, 'node');
    if (!fs.existsSync(bin)) continue;
    const v = version(bin);
    if (major(v) === wanted) return found(bin, v, 'PATH');
    tried.push(`${bin} is ${v ?? 'not runnable'}`);
  }
  return { major: wanted, missing: `node ${wanted} not found (${tried.join('; ')}; set ${envName})` };
}
