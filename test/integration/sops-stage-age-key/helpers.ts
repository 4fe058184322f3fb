import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from '@jest/globals';
import type { ActionRun } from '../../support/run-action.js';

export const ACTION = 'sops-stage-age-key';

/** A workspace with files written relative to it. */
export function workspace(files: Record<string, string>): string {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'sops-stage-ws-'));
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(ws, rel)), { recursive: true });
    fs.writeFileSync(path.join(ws, rel), content);
  }
  return ws;
}

function allFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? allFiles(p) : e.isFile() ? [p] : [];
  });
}

/** The log as the runner shows it: `::add-mask::` lines are consumed by the runner (that is how a value gets masked). */
export function shownLog(run: ActionRun): string {
  return run.log
    .split(/\r?\n/)
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n');
}

/** The forms a secret could leak in: itself, lower case, base64 with and without a newline. */
export function forms(secret: string): string[] {
  const s = secret.trim();
  return [s, s.toLowerCase(), Buffer.from(s).toString('base64'), Buffer.from(`${s}\n`).toString('base64')];
}

/**
 * Asserts a secret is nowhere a run leaves traces: log, summary, report, outputs, exported env, state,
 * any file under RUNNER_TEMP or the workspace after post, and any recorded argv.
 */
export function expectNowhere(run: ActionRun, secret: string, argv: string[][] = []): void {
  const places: [string, string][] = [
    ['log', shownLog(run)],
    ['summary', run.summary],
    ['report', JSON.stringify(run.report ?? {})],
    ['outputs', JSON.stringify(run.outputs)],
    ['exported env', JSON.stringify(run.exportedEnv)],
    ['state', JSON.stringify(run.state)],
    ['argv', JSON.stringify(argv)],
    ...[...allFiles(run.runnerTemp), ...allFiles(run.workspace)].map(
      (f) => [`file ${f}`, fs.readFileSync(f, 'latin1')] as [string, string],
    ),
  ];
  for (const form of forms(secret)) {
    const leaks = places.filter(([, text]) => text.includes(form)).map(([where]) => where);
    expect({ form: form.slice(0, 24), leaks }).toEqual({ form: form.slice(0, 24), leaks: [] });
  }
}

/** A failed run prints exactly one `::error::` line, with no stack trace. */
export function expectOneError(run: ActionRun, pattern: RegExp): void {
  const errors = run.log.split(/\r?\n/).filter((l) => l.startsWith('::error::'));
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatch(pattern);
  expect(run.log).not.toMatch(/^\s+at .+\(.+:\d+:\d+\)$/m);
  expect(run.exitCode).toBe(1);
}

export function keyFileContent(pairs: { identity: string; recipient: string }[]): string {
  return pairs.map((p) => `# public key: ${p.recipient}\n${p.identity}\n`).join('');
}
