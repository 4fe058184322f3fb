import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseFileCommands } from './file-commands.js';
import { LogCommandParser, type LogCommand } from './log-commands.js';

/**
 * Runs a bundled action exactly as forgejo-runner / the GitHub runner do: inputs as INPUT_<NAME>
 * (upper-cased, spaces to `_`, hyphens kept, defaults from action.yml filled in), file commands in
 * RUNNER_TEMP, then the post step with STATE_* when action.yml declares `post`.
 */
export const REPO_ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

export interface RunActionOptions {
  /** An action of this repository (actions/<name>/action.yml, bundle in dist/<name>/). */
  action?: string;
  /** Or any directory with an action.yml (fixtures). */
  actionDir?: string;
  inputs?: Record<string, string>;
  env?: Record<string, string | undefined>;
  /** Defaults to a fresh temp directory. */
  workspace?: string;
  /** Defaults to a fresh temp directory; reuse one to run two steps in one job. */
  runnerTemp?: string;
  forge?: 'github' | 'forgejo';
  /** Run the post step (default: when action.yml declares one). */
  post?: boolean;
  timeoutMs?: number;
  /** Runs after main and before post, as the job's later steps would (they may change files). */
  betweenPhases?: (main: PhaseRun) => void | Promise<void>;
  /** Called with the main process once started (signal tests). */
  onMainStarted?: (child: ChildProcess) => void;
  /** Node binary; defaults to the one running the tests (so CI's Node 24 pass covers the bundles). */
  node?: string;
}

export interface PhaseRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  log: string;
  /** Workflow commands the runner would have found in this phase's stdout and stderr. */
  commands: LogCommand[];
  /** What those commands did (`set-output`, `save-state`, `add-mask`), as the runner applies them. */
  effects: ReturnType<LogCommandParser['effects']>;
}

export interface ActionRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  outputs: Record<string, string>;
  exportedEnv: Record<string, string>;
  state: Record<string, string>;
  addedPath: string[];
  summary: string;
  /** Main and post logs together. */
  log: string;
  main: PhaseRun;
  post?: PhaseRun;
  runnerTemp: string;
  workspace: string;
  /** Values masked by `::add-mask::` in main and post. */
  masks: string[];
  /** Parsed report.json when the action wrote one. */
  report?: Record<string, unknown> & { status?: string; failure?: { reason: string; message: string } };
}

interface ActionYml {
  inputs?: Record<string, { default?: unknown }>;
  runs: { using: string; main: string; post?: string; 'post-if'?: string };
}

export function loadActionYml(dir: string): ActionYml {
  return parseYaml(fs.readFileSync(path.join(dir, 'action.yml'), 'utf8')) as ActionYml;
}

export function inputEnvName(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

function baseEnv(o: {
  workspace: string;
  runnerTemp: string;
  forge: 'github' | 'forgejo';
}): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? os.homedir(),
    LANG: 'C.UTF-8',
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: o.workspace,
    GITHUB_RUN_ID: String(1000 + Math.floor(Math.random() * 9000)),
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_REPOSITORY: 'ops/infra',
    GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
    GITHUB_SERVER_URL: 'http://127.0.0.1:3000',
    GITHUB_API_URL: 'http://127.0.0.1:3000/api/v1',
    RUNNER_TEMP: o.runnerTemp,
    RUNNER_OS: process.platform === 'darwin' ? 'macOS' : 'Linux',
  };
  if (o.forge === 'forgejo') Object.assign(env, { FORGEJO_ACTIONS: 'true', GITEA_ACTIONS: 'true' });
  return env;
}

function runPhase(
  node: string,
  script: string,
  env: Record<string, string>,
  cwd: string,
  timeoutMs: number,
  onStarted?: (child: ChildProcess) => void,
): Promise<PhaseRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(node, [script], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    // The runner reads commands line by line from both streams (one parser: stop-commands is shared).
    const parser = new LogCommandParser();
    const partial = { stdout: '', stderr: '' };
    const feed = (stream: 'stdout' | 'stderr') => (c: Buffer) => {
      const text = c.toString('utf8');
      log += text;
      const parts = (partial[stream] + text).split(/\r?\n/);
      partial[stream] = parts.pop() ?? '';
      for (const l of parts) parser.line(l);
    };
    child.stdout.on('data', feed('stdout'));
    child.stderr.on('data', feed('stderr'));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      for (const rest of [partial.stdout, partial.stderr]) if (rest) parser.line(rest);
      resolve({ exitCode, signal, log, commands: parser.commands, effects: parser.effects() });
    });
    onStarted?.(child);
  });
}

function readCommands(file: string): Record<string, string> {
  return fs.existsSync(file) ? parseFileCommands(fs.readFileSync(file, 'utf8')) : {};
}

export async function runAction(o: RunActionOptions): Promise<ActionRun> {
  const actionDir = o.actionDir ?? path.join(REPO_ROOT, 'actions', o.action ?? '');
  const yml = loadActionYml(actionDir);
  const runnerTemp = o.runnerTemp ?? fs.mkdtempSync(path.join(os.tmpdir(), 'runner-temp-'));
  const workspace = o.workspace ?? fs.mkdtempSync(path.join(os.tmpdir(), 'workspace-'));
  fs.mkdirSync(runnerTemp, { recursive: true });
  const files = fs.mkdtempSync(path.join(runnerTemp, '_runner_file_commands-'));
  const f = (n: string) => path.join(files, n);
  for (const n of ['output', 'env', 'state', 'summary', 'path']) fs.writeFileSync(f(n), '');

  const env: Record<string, string> = {
    ...baseEnv({ workspace, runnerTemp, forge: o.forge ?? 'github' }),
    GITHUB_OUTPUT: f('output'),
    GITHUB_ENV: f('env'),
    GITHUB_STATE: f('state'),
    GITHUB_STEP_SUMMARY: f('summary'),
    GITHUB_PATH: f('path'),
  };
  for (const [k, v] of Object.entries(o.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  // The runner fills in action.yml defaults for inputs the workflow did not give.
  for (const [name, def] of Object.entries(yml.inputs ?? {})) {
    if (def?.default !== undefined) env[inputEnvName(name)] = String(def.default);
  }
  for (const [name, value] of Object.entries(o.inputs ?? {})) env[inputEnvName(name)] = value;

  const node = o.node ?? process.execPath;
  const timeoutMs = o.timeoutMs ?? 120_000;
  const main = await runPhase(
    node,
    path.resolve(actionDir, yml.runs.main),
    env,
    workspace,
    timeoutMs,
    o.onMainStarted,
  );
  // The runner applies stdout commands too (`save-state`, `set-output` are deprecated but honoured).
  const state = { ...main.effects.state, ...readCommands(f('state')) };

  await o.betweenPhases?.(main);
  let post: PhaseRun | undefined;
  const wantPost = o.post ?? Boolean(yml.runs.post);
  if (wantPost && yml.runs.post) {
    const postEnv = { ...env };
    for (const [k, v] of Object.entries(state)) postEnv[`STATE_${k}`] = v;
    post = await runPhase(node, path.resolve(actionDir, yml.runs.post), postEnv, workspace, timeoutMs);
  }

  const outputs = { ...main.effects.outputs, ...readCommands(f('output')) };
  let report: ActionRun['report'];
  if (outputs['report-file'] && fs.existsSync(outputs['report-file'])) {
    report = JSON.parse(fs.readFileSync(outputs['report-file'], 'utf8'));
  }
  return {
    exitCode: main.exitCode,
    signal: main.signal,
    outputs,
    exportedEnv: readCommands(f('env')),
    state,
    addedPath: fs.readFileSync(f('path'), 'utf8').split('\n').filter(Boolean),
    summary: fs.readFileSync(f('summary'), 'utf8'),
    log: main.log + (post ? post.log : ''),
    main,
    post,
    runnerTemp,
    workspace,
    masks: [...main.effects.masks, ...(post?.effects.masks ?? [])],
    report,
  };
}

/** The single `::error::` line of a failed run (the suite's one failure path prints exactly one). */
export function errorLines(log: string): string[] {
  return log.split(/\r?\n/).filter((l) => l.startsWith('::error::'));
}

/** The `::warning::` lines of a run (best-effort services must cost at most one). */
export function warningLines(log: string): string[] {
  return log.split(/\r?\n/).filter((l) => l.startsWith('::warning::'));
}

/**
 * The log as a person sees it: the runner consumes `::add-mask::<value>` commands and never displays them,
 * so canary checks look at everything else (the mask commands are the one place a secret must appear).
 */
export function withoutMaskCommands(log: string): string {
  return log
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n');
}
