import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { errorLines, loadActionYml, REPO_ROOT } from '../../support/run-action.js';
import { ACTION, setupEnv, type Env } from '../../support/tofu-plan-with-state-backup-fixtures.js';

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

const cases: [string, Record<string, string>][] = [
  ['working-directory', { 'working-directory': '/nonexistent/stack' }],
  ['mode', { mode: 'destroy' }],
  ['state-path', { 'state-path': '' }],
  ['var-files', { 'var-files': '/nonexistent/edge.tfvars' }],
  ['backup-dir', { 'backup-dir': 'a\nb' }],
  ['backup-keep', { 'backup-keep': '0' }],
  ['max-archive-size-mb', { 'max-archive-size-mb': '256MB' }],
  ['backup-remote', { 'backup-remote': '--config=/tmp/x' }],
  ['rclone-config', { 'rclone-config': '/nonexistent/rclone.conf' }],
  ['plan-file', { 'plan-file': 'plans/a\nb.tfplan' }],
  ['lock-timeout', { 'lock-timeout': '5 minutes' }],
  ['tofu-binary', { 'tofu-binary': '-rf' }],
  ['handoff-outputs', { 'handoff-outputs': 'host_id\nnot a name!' }],
  ['handoff-file', { 'handoff-file': 'a\nb.json' }],
  ['terramate', { terramate: 'yes' }],
  ['terramate-binary', { 'terramate-binary': '--help' }],
  ['restore-from', { mode: 'restore' }],
  ['allow-lineage-change', { 'allow-lineage-change': 'maybe' }],
  ['max-archive-age', { 'max-archive-age': '8 days' }],
  ['report-artifact', { 'report-artifact': 'evidence/plan' }],
];

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
