import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { parseFileCommands } from '../support/file-commands.js';
import { REPO_ROOT, runAction, type ActionRun } from '../support/run-action.js';

/**
 * Runs one job of an example workflow the way a runner does, so the end-to-end tests exercise the
 * workflows themselves: `${{ … }}` expressions, `run:` steps in bash with GITHUB_OUTPUT/GITHUB_ENV,
 * the suite's `uses:` steps through the runner harness (same RUNNER_TEMP and workspace for the whole
 * job), values exported with GITHUB_ENV reaching later steps. Steps using other actions (checkout,
 * setup-terraform, upload-artifact) are handed to `external`; a step with an `if:` other than
 * `always()` is not supported on purpose (the examples use none).
 */
export interface JobOptions {
  workflow: string;
  job: string;
  event: { name: string; inputs?: Record<string, string> };
  secrets?: Record<string, string>;
  workspace: string;
  runnerTemp: string;
  env?: Record<string, string>;
  /** Explicit, documented deviations from the workflow for what cannot exist here (e.g. github.com). */
  overrides?: Record<string, Record<string, string>>;
  external?: (uses: string, inputs: Record<string, string>) => void;
}

export interface StepResult {
  id: string;
  kind: 'run' | 'action' | 'external';
  exitCode: number | null;
  outputs: Record<string, string>;
  log: string;
  action?: ActionRun;
}

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}
interface Workflow {
  env?: Record<string, unknown>;
  jobs: Record<string, { env?: Record<string, unknown>; steps: Step[] }>;
}

const SUITE = [/^https:\/\/[^/]+\/[^/]+\/[^/]+\/actions\/([a-z0-9-]+)@v\d+$/, /^\.\/actions\/([a-z0-9-]+)$/];

interface Context {
  steps: Record<string, Record<string, string>>;
  env: Record<string, string>;
  o: JobOptions;
}

function lookup(expr: string, c: Context): string {
  const e = expr.trim();
  const alternatives = e.split('||').map((s) => s.trim());
  if (alternatives.length > 1) {
    for (const a of alternatives) {
      const v = lookup(a, c);
      if (v !== '') return v;
    }
    return '';
  }
  // `a == b` / `a != b`: GitHub compares strings ignoring case (docs: "Expressions", Operators).
  const cmp = /^(.+?)\s*(==|!=)\s*(.+)$/.exec(e);
  if (cmp) {
    const equal = lookup(cmp[1], c).toLowerCase() === lookup(cmp[3], c).toLowerCase();
    return String(cmp[2] === '==' ? equal : !equal);
  }
  const literal = /^'(.*)'$/.exec(e);
  if (literal) return literal[1].replace(/''/g, "'");
  let m: RegExpExecArray | null;
  if ((m = /^steps\.([\w-]+)\.outputs\.([\w-]+)$/.exec(e))) return c.steps[m[1]]?.[m[2]] ?? '';
  if ((m = /^secrets\.([\w-]+)$/.exec(e))) return c.o.secrets?.[m[1]] ?? '';
  if ((m = /^inputs\.([\w-]+)$/.exec(e))) return c.o.event.inputs?.[m[1]] ?? '';
  if ((m = /^env\.([\w-]+)$/.exec(e))) return c.env[m[1]] ?? '';
  if (e === 'runner.temp') return c.o.runnerTemp;
  if (e === 'github.workspace') return c.o.workspace;
  if (e === 'github.event_name') return c.o.event.name;
  throw new Error(`expression not supported by the test job runner: ${e}`);
}

function evaluate(value: unknown, c: Context): string {
  return String(value ?? '').replace(/\$\{\{(.*?)\}\}/g, (_, expr: string) => lookup(expr, c));
}

function evaluateMap(map: Record<string, unknown> | undefined, c: Context): Record<string, string> {
  return Object.fromEntries(Object.entries(map ?? {}).map(([k, v]) => [k, evaluate(v, c)]));
}

function runShell(
  script: string,
  env: Record<string, string>,
  o: JobOptions,
): StepResult & { exported: Record<string, string> } {
  const files = fs.mkdtempSync(path.join(o.runnerTemp, '_run_step-'));
  const output = path.join(files, 'output');
  const exported = path.join(files, 'env');
  fs.writeFileSync(output, '');
  fs.writeFileSync(exported, '');
  const scriptFile = path.join(files, 'step.sh');
  fs.writeFileSync(scriptFile, script);
  // GitHub's default shell for run steps: bash --noprofile --norc -eo pipefail {0}
  const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', scriptFile], {
    cwd: o.workspace,
    env: {
      ...env,
      GITHUB_OUTPUT: output,
      GITHUB_ENV: exported,
      RUNNER_TEMP: o.runnerTemp,
      GITHUB_WORKSPACE: o.workspace,
    },
    encoding: 'utf8',
  });
  return {
    id: '',
    kind: 'run',
    exitCode: r.status,
    outputs: parseFileCommands(fs.readFileSync(output, 'utf8')),
    exported: parseFileCommands(fs.readFileSync(exported, 'utf8')),
    log: `${r.stdout}${r.stderr}`,
  };
}

export async function runJob(o: JobOptions): Promise<StepResult[]> {
  const wf = parse(
    fs.readFileSync(path.join(REPO_ROOT, 'workflows-examples', o.workflow), 'utf8'),
  ) as Workflow;
  const job = wf.jobs[o.job];
  if (!job) throw new Error(`${o.workflow} has no job ${o.job}`);
  const c: Context = { steps: {}, env: { ...(o.env ?? {}) }, o };
  Object.assign(c.env, evaluateMap(wf.env, c), evaluateMap(job.env, c));
  const results: StepResult[] = [];
  let failed = false;
  for (const [i, step] of job.steps.entries()) {
    if (step.if && step.if !== 'always()')
      throw new Error(`step if: ${step.if} is not supported by the test job runner`);
    if (failed && step.if !== 'always()') continue;
    const id = step.id ?? `step-${i}`;
    const env = { ...c.env, ...evaluateMap(step.env, c) };
    let result: StepResult;
    if (step.run !== undefined) {
      const r = runShell(evaluate(step.run, c), env, o);
      Object.assign(c.env, r.exported);
      result = { ...r, id };
    } else {
      const uses = String(step.uses);
      const name = SUITE.map((re) => re.exec(uses)?.[1]).find(Boolean);
      const inputs = { ...evaluateMap(step.with, c), ...(o.overrides?.[id] ?? {}) };
      if (!name) {
        o.external?.(uses, inputs);
        result = { id, kind: 'external', exitCode: 0, outputs: {}, log: '' };
      } else {
        const run = await runAction({
          action: name,
          inputs,
          env,
          workspace: o.workspace,
          runnerTemp: o.runnerTemp,
        });
        Object.assign(c.env, run.exportedEnv);
        result = {
          id,
          kind: 'action',
          exitCode: run.exitCode,
          outputs: run.outputs,
          log: run.log,
          action: run,
        };
      }
    }
    c.steps[id] = result.outputs;
    results.push(result);
    if (result.exitCode !== 0) failed = true;
  }
  return results;
}
