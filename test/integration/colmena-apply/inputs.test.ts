import * as fs from 'node:fs';
import { afterAll, describe, expect, test } from '@jest/globals';
import { createHive, listFiles, type HiveRun } from '../../support/colmena-apply-hive.js';
import { errorLines, withoutMaskCommands } from '../../support/run-action.js';
import {
  COLMENA_BAD_VALUES,
  COLMENA_CROSS_INPUT,
  COLMENA_KEY,
  type BadInputCase,
} from '../../support/bad-input-cases.js';

/** Bad inputs fail by validation alone; the canary (a pinned host line from a secret) leaks nowhere. */
const h = createHive({
  nodes: {
    alpha: { tags: ['edge'], targetHost: 'alpha.example' },
    beta: { tags: ['edge'], targetHost: 'beta.example' },
  },
});
afterAll(() => h.cleanup());

const KEY = COLMENA_KEY;

function expectInputFailure(r: HiveRun, input: string): void {
  expect(r.exitCode).toBe(1);
  const errors = errorLines(r.log);
  expect(errors).toHaveLength(1);
  expect(errors[0]).toContain(`'${input}'`);
  expect(r.log).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  expect(r.outputs['failure-reason']).toBe('invalid-input');
  // Validation alone: colmena (the stand-in records every call) never ran.
  expect(r.invocations).toEqual([]);
}

describe('a bad value for each input', () => {
  test.each<[string, string]>(COLMENA_BAD_VALUES)('%s = %j', async (input, value) => {
    const r = await h.run({ on: 'alpha', [input]: value });
    expectInputFailure(r, input);
  });

  test.each<BadInputCase>(COLMENA_CROSS_INPUT)('cross-input rule names %s', async (input, inputs) => {
    const r = await h.run(inputs);
    expectInputFailure(r, input);
  });
});

describe('canary secret', () => {
  const CANARY = 'CANARY-colmena-7d1f0b9e4a2c6e8f';
  const CANARY_B64 = Buffer.from(CANARY).toString('base64');

  test('a secret known-hosts line appears in no log, summary, report, output, file or argv', async () => {
    const r = await h.run({
      on: '@edge',
      'known-hosts': `alpha.example ssh-ed25519 ${KEY} ${CANARY}\nbeta.example ssh-ed25519 ${KEY}`,
    });
    expect(r.exitCode).toBe(0);
    expect(r.outputs.succeeded).toBe('alpha,beta');
    const places: [string, string][] = [
      ['log', withoutMaskCommands(r.log)],
      ['summary', r.summary],
      ['report', JSON.stringify(r.report)],
      ['outputs', JSON.stringify(r.outputs)],
      ['GITHUB_ENV', JSON.stringify(r.exportedEnv)],
      ['argv', JSON.stringify(r.invocations.map((i) => i.argv))],
      ...[...listFiles(r.runnerTemp), ...listFiles(r.workspace)]
        .filter((f) => fs.statSync(f).isFile())
        .map((f): [string, string] => [f, fs.readFileSync(f, 'utf8')]),
    ];
    for (const [where, text] of places) {
      expect({ where, leaks: text.includes(CANARY) || text.includes(CANARY_B64) }).toEqual({
        where,
        leaks: false,
      });
    }
    expect((r.report?.inputs as Record<string, string>)['known-hosts']).toBe('***');
    // The pinned file existed for colmena's ssh and is gone after the step.
    expect(r.invocations[2].sshConfig).toMatch(/UserKnownHostsFile /);
    expect(listFiles(r.runnerTemp).filter((f) => f.includes('known_hosts'))).toEqual([]);
  });
});

describe('credentials in nix-options (issue 15 item 6)', () => {
  // A GitHub token in `access-tokens` and a password in a substituter URL: nix-options is not a secret
  // input, so both would reach colmena's argv, the log and the report. The action refuses them and
  // registers them as secrets before validation, so not even the refusal can show them.
  const TOKEN = 'ghp_CANARYcolmenaAccessToken7f3e9a1b';
  const PASSWORD = 'CANARY-substituter-pw-5c2d';

  function leaks(r: HiveRun, canary: string): string[] {
    const places: [string, string][] = [
      ['log', withoutMaskCommands(r.log)],
      ['summary', r.summary],
      ['report', JSON.stringify(r.report)],
      ['outputs', JSON.stringify(r.outputs)],
      ['argv', JSON.stringify(r.invocations.map((i) => i.argv))],
      ...[...listFiles(r.runnerTemp), ...listFiles(r.workspace)]
        .filter((f) => fs.statSync(f).isFile())
        .map((f): [string, string] => [f, fs.readFileSync(f, 'utf8')]),
    ];
    return places.filter(([, text]) => text.includes(canary)).map(([where]) => where);
  }

  test.each<[string, string, string]>([
    ['access-tokens', `max-jobs=4\naccess-tokens=github.com=${TOKEN} gitlab.com=PAT:glpat-x1y2z3`, TOKEN],
    ['extra-access-tokens', `extra-access-tokens = github.com=${TOKEN}`, TOKEN],
    [
      'a password in a substituter URL',
      `extra-substituters=https://cache:${PASSWORD}@cache.example.org`,
      PASSWORD,
    ],
  ])('%s is refused, naming the safe alternative, and leaks nowhere', async (_what, value, canary) => {
    const r = await h.run({ on: 'alpha', 'nix-options': value });
    expectInputFailure(r, 'nix-options');
    expect(errorLines(r.log)[0]).toMatch(/nix\.conf|NIX_CONFIG|netrc/);
    expect(leaks(r, canary)).toEqual([]);
    expect(r.masks).toContain(canary);
  });
});
