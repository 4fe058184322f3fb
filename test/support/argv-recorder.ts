import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { which } from './tools.js';

/**
 * Puts wrappers first on PATH that record the argv of every call to the named tools (including calls
 * made by grandchildren, e.g. ssh spawned by git), then exec the real binary. Used to prove that no
 * secret ever reaches a process's arguments.
 */
export interface ArgvRecorder {
  binDir: string;
  /** PATH value with the wrappers first. */
  path: string;
  /** Every recorded call: argv[0] is the tool name. */
  calls(): string[][];
}

export function createArgvRecorder(tools: string[], basePath = process.env.PATH ?? ''): ArgvRecorder {
  const binDir = fs.mkdtempSync(path.join(os.tmpdir(), 'argv-rec-'));
  const log = path.join(binDir, 'calls.log');
  fs.writeFileSync(log, '');
  for (const tool of tools) {
    const real = which(tool);
    if (!real) continue;
    const script = [
      '#!/bin/sh',
      `{ printf '%s' ${JSON.stringify(tool)}; for a in "$@"; do printf ' '; printf '%s' "$a" | base64 | tr -d '\\n'; done; printf '\\n'; } >> ${JSON.stringify(log)}`,
      `exec ${JSON.stringify(real)} "$@"`,
      '',
    ].join('\n');
    fs.writeFileSync(path.join(binDir, tool), script, { mode: 0o755 });
  }
  return {
    binDir,
    path: `${binDir}:${basePath}`,
    calls: () =>
      fs
        .readFileSync(log, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const [tool, ...args] = line.split(' ');
          return [tool, ...args.map((a) => Buffer.from(a, 'base64').toString('utf8'))];
        }),
  };
}
