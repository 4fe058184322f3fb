import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { errorLines, warningLines } from '../../support/run-action.js';
import {
  startActionsServices,
  type ActionsServices,
} from '../../support/standins/actions-services/server.js';
import {
  CANARY,
  CANARY_B64,
  setupEnv,
  type Env,
} from '../../support/tofu-plan-with-state-backup-fixtures.js';

/**
 * The evidence artifact of a plan and an apply (issue 16.2): the plan as tofu printed it and its counts
 * per stack, besides report.json and summary.md — never the binary plan, the state or a sensitive value
 * (the stack has a sensitive variable and a sensitive output holding the canary).
 */
let env: Env;
const services: ActionsServices[] = [];

beforeAll(() => {
  env = setupEnv('tofu-evidence');
});
afterAll(async () => {
  for (const s of services) await s.stop();
  env.cleanup();
});

describe.each(['github', 'forgejo'] as const)('evidence artifact on %s', (forge) => {
  test('apply, then a plan with changes: plan text and counts per stack, nothing secret', async () => {
    const s = await startActionsServices(forge);
    services.push(s);
    const ws = env.workspace();
    const state = path.join(env.runnerHome, 'infra', 'state', `evidence-${forge}`, 'terraform.tfstate');
    const run = (mode: string, vars: string, name: string) =>
      env.run(
        { mode, 'state-path': state, 'var-files': vars, 'report-artifact': name },
        { workspace: ws, forge, env: s.env({ cache: 'none', artifacts: true }) },
      );

    const applied = await run('apply', env.varFile(`ev-${forge}-1.tfvars`, 'h1'), `apply-${forge}`);
    expect(applied.exitCode).toBe(0);
    expect(warningLines(applied.log)).toEqual([]);
    const planned = await run('plan', env.varFile(`ev-${forge}-2.tfvars`, 'h2'), `plan-${forge}`);
    expect(planned.exitCode).toBe(0);
    expect(errorLines(planned.log)).toEqual([]);

    for (const [name, counts, text] of [
      [
        `apply-${forge}`,
        { toAdd: 1, toChange: 0, toDestroy: 0 },
        [/terraform_data\.host will be created/, /admin_token\s*=\s*\(sensitive value\)/],
      ],
      [
        `plan-${forge}`,
        { toAdd: 0, toChange: 1, toDestroy: 0 },
        [/terraform_data\.host will be updated in-place/, /Plan: 0 to add, 1 to change, 0 to destroy/],
      ],
    ] as const) {
      const files = s.artifactFiles(name);
      const names = files.map((f) => f.name).sort();
      const txt = names.find((n) => /^plan-.+\.txt$/.test(n));
      const json = names.find((n) => /^plan-.+\.json$/.test(n));
      expect([txt, json].every(Boolean)).toBe(true);
      expect(names).toEqual(['report.json', 'summary.md', json, txt].sort());
      const planText = files.find((f) => f.name === txt)!.data.toString('utf8');
      for (const t of text) expect(planText).toMatch(t);
      const doc = JSON.parse(files.find((f) => f.name === json)!.data.toString('utf8'));
      expect(doc).toMatchObject({ hasChanges: true, counts });
      for (const f of files) {
        const content = f.data.toString('utf8');
        expect([f.name, content.includes(CANARY) || content.includes(CANARY_B64)]).toEqual([f.name, false]);
        // Neither the binary plan (a zip) nor a state document.
        expect([f.name, f.data.subarray(0, 2).toString('latin1') === 'PK']).toEqual([f.name, false]);
        expect([f.name, /"lineage"\s*:/.test(content)]).toEqual([f.name, false]);
      }
    }
  }, 240_000);
});
