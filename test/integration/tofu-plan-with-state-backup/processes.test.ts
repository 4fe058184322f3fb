import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { setupEnv, type Env } from '../../support/tofu-plan-with-state-backup-fixtures.js';

/**
 * How many tofu processes each mode starts (issue 21.2), counted by the PATH recorder in front of the
 * real binary: the version is read from init's backend record, outputs from the state file, and the
 * saved plan's JSON (`show -json`) only when tofu's `-detailed-exitcode` says there are changes (its
 * counts, change lists and sensitive values are needed then). Before issue 21.2 every apply started six:
 * init, plan, show -json, version -json, apply, output -json.
 */
let env: Env;
let ws: string;
let varsA: string;
let varsB: string;

beforeAll(() => {
  env = setupEnv('tofu-processes');
  ws = env.workspace();
  varsA = env.varFile('a.tfvars', 'a');
  varsB = env.varFile('b.tfvars', 'b');
});
afterAll(() => env.cleanup());

const state = () => path.join(env.runnerHome, 'infra', 'state', 'procs', 'terraform.tfstate');

/** The tofu subcommands one run started, in order (`show -json` and `version -json` as such). */
async function tofuCalls(
  inputs: Record<string, string>,
): Promise<{ exitCode: number | null; calls: string[]; outputs: Record<string, string> }> {
  const before = env.recorder.calls().length;
  const r = await env.run({ 'state-path': state(), ...inputs }, { workspace: ws });
  const calls = env.recorder
    .calls()
    .slice(before)
    .filter(([tool]) => tool === env.tofu)
    .map(([, sub, next]) => (next === '-json' ? `${sub} -json` : sub));
  return { exitCode: r.exitCode, calls, outputs: r.outputs };
}

describe('tofu processes per mode', () => {
  test('apply (first, with changes): init, plan, show -json, apply', async () => {
    const r = await tofuCalls({ mode: 'apply', 'var-files': varsA });
    expect(r.exitCode).toBe(0);
    expect(r.calls).toEqual(['init', 'plan', 'show -json', 'apply']);
  });

  test('plan without changes: init, plan', async () => {
    const r = await tofuCalls({ mode: 'plan', 'var-files': varsA });
    expect(r.exitCode).toBe(0);
    expect(r.calls).toEqual(['init', 'plan']);
  });

  test('apply without changes: init, plan', async () => {
    const r = await tofuCalls({ mode: 'apply', 'var-files': varsA });
    expect(r.exitCode).toBe(0);
    expect(r.calls).toEqual(['init', 'plan']);
  });

  test('drift without changes: init, plan', async () => {
    const r = await tofuCalls({ mode: 'drift', 'var-files': varsA });
    expect(r.exitCode).toBe(0);
    expect(r.calls).toEqual(['init', 'plan']);
  });

  test('drift with changes: init, plan, show -json', async () => {
    const r = await tofuCalls({ mode: 'drift', 'var-files': varsB });
    expect(r.exitCode).not.toBe(0);
    expect(r.calls).toEqual(['init', 'plan', 'show -json']);
  });

  test('plan with changes, then apply of the saved plan: init, plan, show -json | init, show -json, apply', async () => {
    const planned = await tofuCalls({ mode: 'plan', 'var-files': varsB });
    expect(planned.exitCode).toBe(0);
    expect(planned.calls).toEqual(['init', 'plan', 'show -json']);
    const applied = await tofuCalls({ mode: 'apply', 'plan-file': planned.outputs['plan-file'] });
    expect(applied.exitCode).toBe(0);
    expect(applied.calls).toEqual(['init', 'show -json', 'apply']);
  }, 120_000);
});
