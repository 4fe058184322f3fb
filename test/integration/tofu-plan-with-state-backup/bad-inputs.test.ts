import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { errorLines, loadActionYml, REPO_ROOT } from '../../support/run-action.js';
import { ACTION, setupEnv, type Env } from '../../support/tofu-plan-with-state-backup-fixtures.js';
import { TOFU_BAD_INPUTS } from '../../support/bad-input-cases.js';

/**
 * One bad value per input: exit 1, exactly one error line that names the input, failure-reason
 * invalid-input, no stack trace, and no tool started (the argv recorder stays empty).
 */
let env: Env;
let ws: string;
let state: string;

beforeAll(() => {
  env = setupEnv('tofu-bad-inputs');
  ws = env.workspace();
  state = path.join(env.runnerHome, 'state', 'terraform.tfstate');
});
afterAll(() => env.cleanup());

const cases = TOFU_BAD_INPUTS;

test('every input of action.yml has a bad-input case', () => {
  const declared = Object.keys(loadActionYml(path.join(REPO_ROOT, 'actions', ACTION)).inputs ?? {});
  expect(cases.map(([name]) => name).sort()).toEqual(declared.sort());
});

describe('bad inputs', () => {
  test.each(cases)('%s', async (input, values) => {
    const before = env.recorder.calls().length;
    const r = await env.run(
      { mode: 'apply', 'state-path': state, ...values },
      { workspace: ws, timeoutMs: 20_000 },
    );
    expect(r.exitCode).toBe(1);
    expect(r.outputs['failure-reason']).toBe('invalid-input');
    const errors = errorLines(r.log);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`Input '${input}' is invalid`);
    expect(r.log).not.toMatch(/\n\s+at .+:\d+:\d+/);
    expect(env.recorder.calls().slice(before)).toEqual([]);
    expect(fs.existsSync(state)).toBe(false);
  });
});
