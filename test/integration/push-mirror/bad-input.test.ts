import * as fs from 'node:fs';
import { afterAll, expect, test } from '@jest/globals';
import { inputs } from '../../../actions/push-mirror/src/inputs.js';
import { badValues, type BadValue } from '../../reliability/bad-input-values.js';
import { createArgvRecorder } from '../../support/argv-recorder.js';
import { errorLines, runAction } from '../../support/run-action.js';
import { requireTool } from '../../support/tools.js';

/**
 * Every input, given a bad value, fails validation alone: exit 1, one error line naming the input,
 * no stack trace, and not a single git process started.
 */
requireTool('git');
const recorder = createArgvRecorder(['git']);
afterAll(() => fs.rmSync(recorder.binDir, { recursive: true, force: true }));

const VALID = { 'remote-url': 'https://github.com/ex/infra.git', token: 'ghp_valid_looking_token' };

/** The generated kinds, without NUL (no runner can put NUL into an environment variable). */
const generated = badValues(inputs).filter((b) => !b.value.includes('\u0000'));
const specific: Array<BadValue & { extra?: Record<string, string> }> = [
  { input: 'token', value: 'line1\nline2', why: 'a multi-line token' },
  { input: 'token', value: '', why: 'push without a token' },
  { input: 'remote-url', value: '', why: 'push without a mirror URL' },
  { input: 'remote-url', value: 'http://github.com/ex/infra.git', why: 'a token over plain http' },
  { input: 'username', value: 'x-access-token:evil', why: 'a colon in the user name' },
  { input: 'source-dir', value: '/nonexistent/push-mirror-src', why: 'a missing directory' },
  { input: 'refs', value: 'refs/heads/* refs/pull/*', why: 'pull request refs' },
  { input: 'refs', value: 'refs/heads/../main', why: 'a .. in a pattern' },
  { input: 'repository', value: 'just-a-name', why: 'no owner' },
  { input: 'forgejo-token', value: 'a\nb', why: 'a multi-line token' },
  {
    input: 'forgejo-token',
    value: '',
    why: 'forgejo-sync without any token',
    extra: { mode: 'forgejo-sync' },
  },
  { input: 'wait-timeout', value: '7h', why: 'above 6h' },
  { input: 'lfs', value: 'yes', why: 'neither true, false nor auto' },
  { input: 'source-token', value: 'a\nb', why: 'a multi-line token' },
];
const cases = [...generated, ...specific];

test('every input has a bad-value case', () => {
  const covered = new Set(cases.map((c) => c.input));
  expect(Object.keys(inputs).filter((i) => !covered.has(i))).toEqual([]);
});

test('each bad value fails with one error line naming the input and starts no git', async () => {
  const failures: string[] = [];
  const queue = [...cases];
  const worker = async () => {
    for (let c = queue.shift(); c; c = queue.shift()) {
      const extra = 'extra' in c ? (c.extra ?? {}) : {};
      const run = await runAction({
        action: 'push-mirror',
        inputs: { ...VALID, ...extra, [c.input]: c.value },
        env: { PATH: recorder.path, FORGEJO_TOKEN: undefined, GITHUB_TOKEN: undefined },
        timeoutMs: 30_000,
        // Post only finishes a commit status main had set; these runs set none (commit-status is off).
        post: false,
      });
      fs.rmSync(run.runnerTemp, { recursive: true, force: true });
      fs.rmSync(run.workspace, { recursive: true, force: true });
      const errors = errorLines(run.log);
      const ok =
        run.exitCode === 1 &&
        run.outputs['failure-reason'] === 'invalid-input' &&
        errors.length === 1 &&
        errors[0].includes(`'${c.input}'`) &&
        !/\n\s+at .+:\d+:\d+\)?\n/.test(run.log);
      if (!ok)
        failures.push(
          `${c.input} (${c.why}): exit ${run.exitCode}, ${errors.join(' | ') || 'no error line'}`,
        );
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  expect(failures).toEqual([]);
  expect(recorder.calls()).toEqual([]);
  // About 50 bundle starts, three at a time; 77 s alone on this loaded 2-core machine, more beside
  // other suites. The limit only stops a hung run.
}, 300_000);
