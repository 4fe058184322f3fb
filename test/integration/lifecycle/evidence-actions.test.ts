import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, expect, test } from '@jest/globals';
import { REPO_ROOT, errorLines, loadActionYml, runAction, warningLines } from '../../support/run-action.js';
import {
  startActionsServices,
  type ActionsServices,
} from '../../support/standins/actions-services/server.js';

/**
 * Every shipped action (its dist bundle) uploads its evidence through the shared lifecycle, also when it
 * fails before doing anything: here each one gets an invalid boolean and `report-artifact`, on Forgejo.
 */
const actions = fs
  .readdirSync(path.join(REPO_ROOT, 'actions'))
  .filter((a) => fs.existsSync(path.join(REPO_ROOT, 'actions', a, 'action.yml')))
  .sort();
const services: ActionsServices[] = [];
afterAll(async () => {
  for (const s of services) await s.stop();
});

test('there are six actions and each declares report-artifact', () => {
  expect(actions).toHaveLength(6);
  for (const a of actions) {
    const names = Object.keys(loadActionYml(path.join(REPO_ROOT, 'actions', a)).inputs ?? {});
    expect([a, names.includes('report-artifact')]).toEqual([a, true]);
  }
});

test.each(actions)(
  '%s: a failing step uploads report.json and summary.md and keeps its failure',
  async (action) => {
    const yml = loadActionYml(path.join(REPO_ROOT, 'actions', action));
    const bool = Object.entries(yml.inputs ?? {}).find(
      ([, d]) => d?.default === 'false' || d?.default === 'true',
    );
    expect(bool).toBeDefined();
    const s = await startActionsServices('forgejo');
    services.push(s);
    const r = await runAction({
      action,
      forge: 'forgejo',
      env: s.env({ cache: 'none' }),
      inputs: { [bool![0]]: 'maybe', 'report-artifact': `evidence-${action}` },
    });
    expect(r.exitCode).toBe(1);
    expect(r.outputs['failure-reason']).toBe('invalid-input');
    expect(errorLines(r.log)).toHaveLength(1);
    expect(warningLines(r.log)).toEqual([]);
    const files = s.artifactFiles(`evidence-${action}`);
    expect(files.map((f) => f.name).sort()).toEqual(['report.json', 'summary.md']);
    const report = JSON.parse(files.find((f) => f.name === 'report.json')!.data.toString('utf8'));
    expect(report).toMatchObject({ action, status: 'failed', failure: { reason: 'invalid-input' } });
  },
);
