// What exists in the working tree right now: built actions, their action.yml, a runner-like environment.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';

export const ALL_ACTIONS = [
  'colmena-apply',
  'k3s-verify',
  'push-mirror',
  'restic-restore-check',
  'sops-stage-age-key',
  'tofu-plan-with-state-backup',
];

/** Names of dist/<name>/ folders that hold an index.js. */
export function builtActions(ctx) {
  if (!fs.existsSync(ctx.dist)) return [];
  return fs
    .readdirSync(ctx.dist, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(ctx.dist, d.name, 'index.js')))
    .map((d) => d.name)
    .sort();
}

/** An action counts as landed when its bundle, its action.yml and its sources are all there. */
export function landed(ctx, name) {
  return (
    fs.existsSync(path.join(ctx.dist, name, 'index.js')) &&
    fs.existsSync(path.join(ctx.root, 'actions', name, 'action.yml')) &&
    fs.existsSync(path.join(ctx.root, 'actions', name, 'src', 'main.ts'))
  );
}

export function notBuilt(subject, target, extra = {}) {
  return { subject, status: 'not measured', reason: 'action not built yet', target, ...extra };
}

export function actionYml(ctx, name) {
  const file = path.join(ctx.root, 'actions', name, 'action.yml');
  if (!fs.existsSync(file)) return undefined;
  return parseYaml(fs.readFileSync(file, 'utf8'));
}

export function inputEnvName(name) {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

/**
 * The environment a runner gives a step (the same conventions as test/support/run-action.ts): inputs as
 * INPUT_<NAME> with action.yml defaults filled in, file-command files in RUNNER_TEMP, a workspace.
 */
export function runnerEnv(ctx, name, { inputs = {}, omit = [], dir }) {
  const yml = actionYml(ctx, name) ?? {};
  fs.mkdirSync(dir, { recursive: true });
  const runnerTemp = path.join(dir, 'runner-temp');
  const workspace = path.join(dir, 'workspace');
  const files = path.join(runnerTemp, '_runner_file_commands');
  fs.mkdirSync(files, { recursive: true });
  fs.mkdirSync(workspace, { recursive: true });
  const f = (n) => path.join(files, n);
  for (const n of ['output', 'env', 'state', 'summary', 'path']) fs.writeFileSync(f(n), '');
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    LANG: 'C.UTF-8',
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: workspace,
    GITHUB_RUN_ID: '4242',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_REPOSITORY: 'ops/infra',
    GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
    GITHUB_SERVER_URL: 'http://127.0.0.1:3000',
    GITHUB_API_URL: 'http://127.0.0.1:3000/api/v1',
    RUNNER_TEMP: runnerTemp,
    RUNNER_OS: process.platform === 'darwin' ? 'macOS' : 'Linux',
    GITHUB_OUTPUT: f('output'),
    GITHUB_ENV: f('env'),
    GITHUB_STATE: f('state'),
    GITHUB_STEP_SUMMARY: f('summary'),
    GITHUB_PATH: f('path'),
  };
  for (const [input, def] of Object.entries(yml.inputs ?? {})) {
    if (def?.default !== undefined && !omit.includes(input)) env[inputEnvName(input)] = String(def.default);
  }
  for (const [input, value] of Object.entries(inputs)) env[inputEnvName(input)] = value;
  return { env, runnerTemp, workspace, outputFile: f('output'), stateFile: f('state') };
}

/** Reads `name=value` and heredoc (`name<<DELIM`) file commands. */
export function readFileCommands(file) {
  const out = {};
  if (!fs.existsSync(file)) return out;
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const body = [];
      for (i++; i < lines.length && lines[i] !== heredoc[2]; i++) body.push(lines[i]);
      out[heredoc[1]] = body.join('\n');
    } else if (line.includes('=')) {
      out[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return out;
}

/**
 * Runs an action as a runner does (main, then post when action.yml declares one, with STATE_*), timed
 * from the first spawn to the last exit. Returns the time, exit code, outputs and parsed report.
 */
export async function runActionTimed(ctx, name, { inputs = {}, dir, env: extraEnv = {}, workspace }) {
  const { timeCommand } = await import('./measure.mjs');
  const yml = actionYml(ctx, name);
  fs.rmSync(dir, { recursive: true, force: true });
  const r = runnerEnv(ctx, name, { inputs, dir });
  const env = { ...r.env, ...extraEnv };
  if (workspace) env.GITHUB_WORKSPACE = workspace;
  const cwd = workspace ?? r.workspace;
  const main = path.resolve(ctx.root, 'actions', name, yml.runs.main);
  const first = await timeCommand(process.execPath, [main], { env, cwd });
  let ms = first.ms;
  let log = first.stdout + first.stderr;
  if (yml.runs.post) {
    const postEnv = { ...env };
    for (const [k, v] of Object.entries(readFileCommands(r.stateFile))) postEnv[`STATE_${k}`] = v;
    const post = await timeCommand(
      process.execPath,
      [path.resolve(ctx.root, 'actions', name, yml.runs.post)],
      {
        env: postEnv,
        cwd,
      },
    );
    ms += post.ms;
    log += post.stdout + post.stderr;
  }
  const outputs = readFileCommands(r.outputFile);
  let report;
  if (outputs['report-file'] && fs.existsSync(outputs['report-file']))
    report = JSON.parse(fs.readFileSync(outputs['report-file'], 'utf8'));
  const error = log.split('\n').find((l) => l.startsWith('::error::'));
  return { ms, code: first.code, outputs, report, error, log };
}
