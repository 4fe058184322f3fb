import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { createArgvRecorder, type ArgvRecorder } from '../../support/argv-recorder.js';
import { errorLines, runAction, withoutMaskCommands } from '../../support/run-action.js';
import { requireTool } from '../../support/tools.js';
import { PASSWORD, tempDir } from '../../support/restic-restore-check-fixtures.js';
import { RESTIC_BAD_INPUTS, type BadInputCase } from '../../support/bad-input-cases.js';

/**
 * One bad value per input (and the rules across inputs): exit 1, `failure-reason` invalid-input, exactly
 * one `::error::` line naming the input, no stack trace, and restic never started.
 */
let root: string;
let recorder: ArgvRecorder;

beforeAll(() => {
  requireTool('restic');
  root = tempDir('inputs');
  recorder = createArgvRecorder(['restic', 'sh']);
});

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(recorder.binDir, { recursive: true, force: true });
});

test.each<BadInputCase>(RESTIC_BAD_INPUTS)('%s: %j', async (input, bad) => {
  const before = recorder.calls().length;
  const r = await runAction({
    action: 'restic-restore-check',
    inputs: { repository: path.join(root, 'repo'), password: PASSWORD, ...bad },
    env: { PATH: recorder.path },
    // Inputs are refused before the temporary directory exists, so post has nothing to do; the other
    // integration tests run it. Skipping it keeps this 27-case matrix quick.
    post: false,
    timeoutMs: 30_000,
  });
  expect(r.exitCode).toBe(1);
  expect(r.outputs['failure-reason']).toBe('invalid-input');
  const errors = errorLines(r.log);
  expect(errors).toHaveLength(1);
  expect(errors[0]).toContain(`'${input}'`);
  expect(r.log).not.toMatch(/\n\s+at .*:\d+:\d+/);
  expect(withoutMaskCommands(r.log)).not.toContain('line-two-9c1f');
  expect(recorder.calls().slice(before)).toEqual([]);
});
