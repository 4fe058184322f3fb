import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { createArgvRecorder, type ArgvRecorder } from '../../support/argv-recorder.js';
import { runAction } from '../../support/run-action.js';
import { requireTool } from '../../support/tools.js';
import {
  PASSWORD,
  backup,
  initRepo,
  makeWideSource,
  tempDir,
} from '../../support/restic-restore-check-fixtures.js';

/**
 * Issue 21 item 1: the number of restic processes a check starts does not grow with `sample-files`
 * (it was one `restic dump` per sampled file: 26 at 20, 206 at 200). Counted with the PATH recorder,
 * which sees every restic start, the action's and any a tool of it makes.
 */
let root: string;
let repo: string;
let recorder: ArgvRecorder;

beforeAll(() => {
  requireTool('restic');
  root = tempDir('count');
  const src = makeWideSource(root, 240);
  repo = path.join(root, 'repo');
  initRepo(repo);
  backup(repo, [src]);
  recorder = createArgvRecorder(['restic']);
});

afterAll(() => {
  recorder.cleanup();
  fs.rmSync(root, { recursive: true, force: true });
});

async function resticProcesses(sample: number): Promise<string[][]> {
  const before = recorder.calls().length;
  const r = await runAction({
    action: 'restic-restore-check',
    inputs: { repository: repo, password: PASSWORD, 'sample-files': String(sample), timeout: '5m' },
    env: { PATH: recorder.path },
    timeoutMs: 300_000,
  });
  expect(r.exitCode).toBe(0);
  expect(r.outputs['files-restored']).toBe(String(sample));
  expect((r.report?.result as { restore: { filesVerified: number } }).restore.filesVerified).toBe(sample);
  return recorder.calls().slice(before);
}

test('the same restic processes at sample-files 20 and 200', async () => {
  const at20 = await resticProcesses(20);
  const at200 = await resticProcesses(200);
  const commands = (calls: string[][]) => calls.map((c) => c[1]);
  expect(commands(at200)).toEqual(commands(at20));
  expect(commands(at20)).toEqual(['version', 'cat', 'snapshots', 'ls', 'check', 'restore']);
}, 600_000);
