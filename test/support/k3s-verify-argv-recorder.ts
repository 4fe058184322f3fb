import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { which } from './tools.js';

/**
 * Like argv-recorder.ts, for a tool the action runs several times in parallel (k3s-verify starts one
 * kubectl per resource kind at once): each call's line is built first and appended with one write, so
 * parallel calls cannot interleave inside a line (the shared recorder writes piece by piece).
 */
export interface ParallelArgvRecorder {
  binDir: string;
  path: string;
  calls(): string[][];
}

export function createParallelArgvRecorder(
  tool: string,
  basePath = process.env.PATH ?? '',
): ParallelArgvRecorder {
  const real = which(tool);
  if (!real) throw new Error(`'${tool}' is not installed`);
  const binDir = fs.mkdtempSync(path.join(os.tmpdir(), 'argv-rec-par-'));
  const log = path.join(binDir, 'calls.log');
  fs.writeFileSync(log, '');
  const script = [
    '#!/bin/sh',
    `line=$(printf '%s' ${JSON.stringify(tool)}; for a in "$@"; do printf ' '; printf '%s' "$a" | base64 | tr -d '\\n'; done)`,
    `printf '%s\\n' "$line" >> ${JSON.stringify(log)}`,
    `exec ${JSON.stringify(real)} "$@"`,
    '',
  ].join('\n');
  fs.writeFileSync(path.join(binDir, tool), script, { mode: 0o755 });
  return {
    binDir,
    path: `${binDir}:${basePath}`,
    calls: () =>
      fs
        .readFileSync(log, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const [name, ...args] = line.split(' ');
          return [name, ...args.map((a) => Buffer.from(a, 'base64').toString('utf8'))];
        }),
  };
}
