import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { InputError } from '../../shared/errors.js';
import { readInputs, type InputSpecs } from '../../shared/inputs.js';
import { resetSecretsForTest } from '../../shared/secrets.js';
import { recorder, snapshot, snapshotDiff, type Recorder } from '../support/reliability-tools.js';
import { errorLines, loadActionYml, REPO_ROOT, runAction } from '../support/run-action.js';
import { badValues, type BadValue } from './bad-input-values.js';
import { baselines } from './baselines.js';

/**
 * Every input of every action (both discovered, never listed), given each value generated from its spec
 * kind, fails by validation alone: exit 1, exactly one `::error::` line naming the input, no stack trace,
 * no tool started (recording wrappers for all the action's tools are first on PATH and record nothing),
 * and nothing created or changed outside RUNNER_TEMP (the workspace, HOME and the baseline's own files
 * are snapshotted before and after).
 */
const ACTIONS_DIR = path.join(REPO_ROOT, 'actions');
const actions = fs
  .readdirSync(ACTIONS_DIR)
  .filter((a) => fs.existsSync(path.join(ACTIONS_DIR, a, 'action.yml')))
  .sort();

const specsOf: Record<string, InputSpecs> = {};
for (const a of actions) {
  const mod = (await import(path.join(ACTIONS_DIR, a, 'src', 'inputs.ts'))) as { inputs: InputSpecs };
  specsOf[a] = mod.inputs;
}

/** Parallel harness runs per action: enough to keep two cores busy, few enough not to starve the other worker. */
const PARALLEL = 4;
const PWNED = '/tmp/pwned';
const STACK = /\n\s+at .+:\d+:\d+\)?(\n|$)/;

const roots: string[] = [];
const recorders: Recorder[] = [];
afterAll(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
  for (const r of recorders) r.cleanup();
});

test('the suite has actions to check', () => {
  expect(actions.length).toBeGreaterThanOrEqual(6);
});

test('every action has a valid baseline', () => {
  const missing = actions.filter((a) => !baselines[a]);
  expect(missing.map((a) => `${a}: add a baseline to test/reliability/baselines.ts`)).toEqual([]);
});

function defaultsOf(action: string): Record<string, string> {
  const yml = loadActionYml(path.join(ACTIONS_DIR, action));
  const out: Record<string, string> = {};
  for (const [name, def] of Object.entries(yml.inputs ?? {}))
    if (def?.default !== undefined) out[name] = String(def.default);
  return out;
}

describe.each(actions)('%s', (action) => {
  const specs = specsOf[action];
  const cases = badValues(specs);
  // No runner can put NUL into an environment variable (execve ends the string there): those values are
  // checked against the same parser in-process instead.
  const viaRunner = cases.filter((c) => !c.value.includes('\u0000'));
  const inProcess = cases.filter((c) => c.value.includes('\u0000'));

  function prepare() {
    const baseline = baselines[action];
    if (!baseline)
      throw new Error(`${action} has no baseline: add a baseline to test/reliability/baselines.ts`);
    const root = fs.mkdtempSync(path.join(os.tmpdir(), `rel-bad-${action}-`));
    roots.push(root);
    const home = path.join(root, 'home');
    fs.mkdirSync(home);
    const setup = baseline.setup(root);
    const searchPath = [setup.searchPath, process.env.PATH].filter(Boolean).join(':');
    const rec = recorder(baseline.tools, { exec: false, searchPath });
    recorders.push(rec);
    return { root, home, setup, rec };
  }

  test('the baseline passes validation', () => {
    const { root, setup } = prepare();
    const given = { ...defaultsOf(action), ...setup.inputs };
    const env = { ...process.env, GITHUB_WORKSPACE: setup.workspace, RUNNER_TEMP: root, ...setup.env };
    try {
      expect(() => readInputs(specs, (n) => given[n] ?? '', env)).not.toThrow();
    } finally {
      resetSecretsForTest();
    }
  });

  test('every input has generated bad values', () => {
    const covered = new Set(cases.map((c) => c.input));
    expect(Object.keys(specs).filter((i) => !covered.has(i))).toEqual([]);
  });

  test('NUL values (unreachable through a runner) are refused by the parser naming the input', () => {
    const { setup } = prepare();
    const problems: string[] = [];
    for (const c of inProcess) {
      const given: Record<string, string> = { ...defaultsOf(action), ...setup.inputs, [c.input]: c.value };
      try {
        readInputs(specs, (n) => given[n] ?? '', { ...process.env, GITHUB_WORKSPACE: setup.workspace });
        problems.push(`${c.input} (${c.why}): accepted`);
      } catch (e) {
        if (!(e instanceof InputError) || e.input !== c.input)
          problems.push(`${c.input} (${c.why}): ${String(e)}`);
      } finally {
        resetSecretsForTest();
      }
    }
    expect(problems).toEqual([]);
  });

  test(`${viaRunner.length} bad values through the runner harness`, async () => {
    const { root, home, setup, rec } = prepare();
    const before = snapshot(root);
    const pwnedBefore = fs.existsSync(PWNED);
    const failures: string[] = [];
    const queue: BadValue[] = [...viaRunner];
    const worker = async () => {
      for (let c = queue.shift(); c; c = queue.shift()) {
        const run = await runAction({
          action,
          workspace: setup.workspace,
          inputs: { ...setup.inputs, [c.input]: c.value },
          env: { ...setup.env, PATH: rec.path, HOME: home },
          timeoutMs: 30_000,
        });
        fs.rmSync(run.runnerTemp, { recursive: true, force: true });
        const errors = errorLines(run.log);
        const problems = [
          run.exitCode !== 1 && `exit ${run.exitCode}`,
          errors.length !== 1 && `${errors.length} error lines`,
          errors.length === 1 && !errors[0].includes(`Input '${c.input}'`) && `error does not name it`,
          STACK.test(run.log) && 'stack trace in the log',
          run.outputs['failure-reason'] !== 'invalid-input' &&
            `failure-reason ${run.outputs['failure-reason']}`,
        ].filter(Boolean);
        if (problems.length > 0)
          failures.push(
            `${c.input} = ${JSON.stringify(c.value.slice(0, 40))} (${c.why}): ${problems.join(', ')} — ${errors.join(' | ').slice(0, 300)}`,
          );
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    expect(failures).toEqual([]);
    expect(rec.calls()).toEqual([]);
    expect(snapshotDiff(before, snapshot(root))).toEqual([]);
    if (!pwnedBefore) expect(fs.existsSync(PWNED)).toBe(false);
  }, 240_000);
});
