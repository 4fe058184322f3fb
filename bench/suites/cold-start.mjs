// 2. Cold start: each bundle run with inputs that fail validation, vs a bare `node -e 0`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  ALL_ACTIONS,
  actionYml,
  builtActions,
  notBuilt,
  readFileCommands,
  runnerEnv,
} from '../lib/actions.mjs';
import { interleave, timeCommand } from '../lib/measure.mjs';

export const id = '2';
export const name = 'cold-start';
export const title = 'Cold start';
export const method =
  'Wall time from spawn to exit of `node dist/<name>/index.js` in a runner-like environment ' +
  '(INPUT_* with action.yml defaults, RUNNER_TEMP, GITHUB_OUTPUT/STATE/ENV files) with one input made ' +
  'invalid, so the action loads, validates its inputs, fails through the one failure path, writes its ' +
  'report and exits 1 before any tool is spawned; vs `node -e 0` (same node binary). All bundles and the ' +
  'bare node start are interleaved in one round; the ratio is each bundle over the bare start. ' +
  'Target: ≤ 2.5×.';

const LIMIT = 2.5;
const TARGET = { on: 'ratio', op: '<=', limit: LIMIT, text: `≤ ${LIMIT}× node -e 0` };

/** One input change that fails validation, found in action.yml (no domain knowledge needed). */
export function failingInput(yml) {
  const inputs = Object.entries(yml?.inputs ?? {});
  const required = inputs.find(([, d]) => d?.required === true && d?.default === undefined);
  if (required) return { omit: [required[0]], inputs: {}, how: `required input '${required[0]}' not given` };
  const bool = inputs.find(([, d]) => d?.default === 'true' || d?.default === 'false');
  if (bool)
    return { omit: [], inputs: { [bool[0]]: 'maybe' }, how: `boolean input '${bool[0]}' set to 'maybe'` };
  const dur = inputs.find(([, d]) => /^\d+[smhd]$/.test(String(d?.default ?? '')));
  if (dur) return { omit: [], inputs: { [dur[0]]: 'soon' }, how: `duration input '${dur[0]}' set to 'soon'` };
  const int = inputs.find(([, d]) => /^\d+$/.test(String(d?.default ?? '')));
  if (int) return { omit: [], inputs: { [int[0]]: 'many' }, how: `integer input '${int[0]}' set to 'many'` };
  return undefined;
}

export async function run(ctx) {
  const rows = [];
  const subjects = [];
  for (const action of builtActions(ctx)) {
    const yml = actionYml(ctx, action);
    const bad = failingInput(yml);
    if (!yml || !bad) {
      rows.push({ subject: action, status: 'error', reason: 'no action.yml input to make invalid' });
      continue;
    }
    const dir = path.join(ctx.tmp, 'cold-start', action);
    // main is what the runner starts: the path from action.yml (normally ../../dist/<name>/index.js).
    const main = path.resolve(ctx.root, 'actions', action, yml.runs?.main ?? `../../dist/${action}/index.js`);
    subjects.push({ action, bad, dir, main });
  }
  const fresh = (s) => {
    fs.rmSync(s.dir, { recursive: true, force: true });
    return runnerEnv(ctx, s.action, { inputs: s.bad.inputs, omit: s.bad.omit, dir: s.dir });
  };
  const variants = [
    {
      label: 'node -e 0',
      run: async () => {
        const r = await timeCommand(process.execPath, ['-e', '0']);
        if (r.code !== 0) throw new Error(`node -e 0 exited ${r.code}`);
        return { value: r.ms };
      },
    },
    ...subjects.map((s) => ({
      label: s.action,
      run: async () => {
        const { env, workspace, outputFile } = fresh(s);
        const r = await timeCommand(process.execPath, [s.main], { env, cwd: workspace });
        const outputs = readFileCommands(outputFile);
        return {
          value: r.ms,
          code: r.code,
          failureReason: outputs['failure-reason'],
          error: (r.stdout + r.stderr).split('\n').find((l) => l.startsWith('::error::')),
        };
      },
    })),
  ];
  const runs = Math.max(ctx.runs, ctx.smoke ? 1 : 15);
  const results = await interleave(variants, { warmup: ctx.warmup, runs });
  const bare = results[0];
  for (let i = 0; i < subjects.length; i++) {
    const s = subjects[i];
    const r = results[i + 1];
    const d = r.details;
    const row = {
      subject: s.action,
      variants: [
        { ...r, label: 'bundle', details: undefined },
        { ...bare, details: undefined },
      ],
      ratio: r.median / bare.median,
      ratioOf: 'bundle / node -e 0',
      target: TARGET,
      details: [
        `invalid input: ${s.bad.how}`,
        `exit code ${d.code}, failure-reason '${d.failureReason ?? 'none'}'`,
        d.error ? `error line: ${d.error.slice(0, 200)}` : 'no ::error:: line',
        `${runs} interleaved rounds (cheap to run, so more than the minimum of 5)`,
        `bundle ${(fs.statSync(s.main).size / 2 ** 20).toFixed(2)} MB (see section 1)`,
      ],
      ...(r.median / bare.median > LIMIT
        ? {
            note:
              'Why: no tool runs before the failure, so the time over the bare start is node reading and ' +
              'compiling the bundle (section 1 lists what it holds) plus the top-level code of the modules ' +
              'it imports, input validation, the report and the file commands.',
          }
        : {}),
    };
    if (d.code !== 1) {
      row.status = 'error';
      row.reason = `the bundle exited ${d.code} instead of failing validation with 1`;
    }
    rows.push(row);
  }
  for (const action of ALL_ACTIONS.filter((a) => !builtActions(ctx).includes(a)))
    rows.push(notBuilt(action, TARGET));
  return rows;
}
