import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Puts wrappers first on PATH that record the argv of every call to the named tools (including calls
 * made by grandchildren, e.g. ssh spawned by git), then exec the real binary. Used to prove that no
 * secret ever reaches a process's arguments, and (with `exec: false`) that no tool starts at all.
 * Each call's line is built first and appended with one write, so tools an action runs in parallel
 * (k3s-verify starts one kubectl per resource kind) cannot interleave inside a line.
 */
export interface ArgvRecorder {
  binDir: string;
  /** PATH value with the wrappers first. */
  path: string;
  /** Every recorded call: argv[0] is the tool name. */
  calls(): string[][];
  cleanup(): void;
}

export interface ArgvRecorderOptions {
  /** Run the real tool after recording (default). With false, record and exit 127: nothing may start. */
  exec?: boolean;
  /** Where the real tools are looked up (default PATH). */
  searchPath?: string;
  /** Shell lines run after recording and before the real tool, per tool (to slow or observe it). */
  before?: Record<string, string>;
}

function whichIn(tool: string, searchPath: string): string | undefined {
  for (const dir of searchPath.split(':').filter(Boolean)) {
    const p = path.join(dir, tool);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

export function createArgvRecorder(tools: string[], o: ArgvRecorderOptions = {}): ArgvRecorder {
  const searchPath = o.searchPath ?? process.env.PATH ?? '';
  const exec = o.exec ?? true;
  const binDir = fs.mkdtempSync(path.join(os.tmpdir(), 'argv-rec-'));
  const log = path.join(binDir, 'calls.log');
  fs.writeFileSync(log, '');
  for (const tool of tools) {
    const real = exec ? whichIn(tool, searchPath) : undefined;
    // A tool that is not installed stays missing, so the action's own "not found" path is exercised.
    if (exec && !real) continue;
    const script = [
      '#!/bin/sh',
      `line=$(printf '%s' ${JSON.stringify(tool)}; for a in "$@"; do printf ' '; printf '%s' "$a" | base64 | tr -d '\\n'; done)`,
      `printf '%s\\n' "$line" >> ${JSON.stringify(log)}`,
      o.before?.[tool] ?? '',
      real ? `exec ${JSON.stringify(real)} "$@"` : `echo "${tool}: not available in this test" >&2; exit 127`,
      '',
    ].join('\n');
    fs.writeFileSync(path.join(binDir, tool), script, { mode: 0o755 });
  }
  return {
    binDir,
    path: `${binDir}:${searchPath}`,
    calls: () =>
      fs
        .readFileSync(log, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const [tool, ...args] = line.split(' ');
          return [tool, ...args.map((a) => Buffer.from(a, 'base64').toString('utf8'))];
        }),
    cleanup: () => fs.rmSync(binDir, { recursive: true, force: true }),
  };
}
