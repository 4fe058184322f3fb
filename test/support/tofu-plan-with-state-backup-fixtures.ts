import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createArgvRecorder, type ArgvRecorder } from './argv-recorder.js';
import { runAction, type ActionRun, type RunActionOptions } from './run-action.js';
import { requireTool, tofuBinary } from './tools.js';
import { filesUnder } from './files.js';

/**
 * Fixtures for the tofu-plan-with-state-backup integration tests: stacks made only of the built-in
 * `terraform_data` resource (init needs no provider download), runner-local var files outside the
 * checkout, and a canary secret (sensitive variable and sensitive output) that must never leak.
 */
export const ACTION = 'tofu-plan-with-state-backup';
export const CANARY = 'canary-tofu-7f3a9c2e5b81';
export const CANARY_B64 = Buffer.from(CANARY).toString('base64');

export const STACK_TF = `
variable "name" {
  type = string
}

variable "admin_token" {
  type      = string
  sensitive = true
}

resource "terraform_data" "host" {
  input = var.name
}

output "host_id" {
  value = terraform_data.host.id
}

output "host_name" {
  value = terraform_data.host.output
}

output "admin_token" {
  value     = var.admin_token
  sensitive = true
}
`;

export interface Env {
  root: string;
  /** Outside the checkout and RUNNER_TEMP, like ~/infra on the runner. */
  runnerHome: string;
  tofu: string;
  recorder: ArgvRecorder;
  runs: ActionRun[];
  /** A fresh checkout holding the stack. */
  workspace(extraFiles?: Record<string, string>): string;
  /** A runner-local var file (outside any checkout). */
  varFile(name: string, hostName: string): string;
  run(inputs: Record<string, string>, o?: Partial<RunActionOptions>): Promise<ActionRun>;
  cleanup(): void;
}

export function setupEnv(prefix: string): Env {
  const tofu = tofuBinary();
  requireTool('rclone');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  const runnerHome = path.join(root, 'runner-home');
  fs.mkdirSync(runnerHome, { recursive: true });
  const recorder = createArgvRecorder([tofu, 'rclone', 'terramate']);
  const runs: ActionRun[] = [];
  let n = 0;
  return {
    root,
    runnerHome,
    tofu,
    recorder,
    runs,
    workspace(extraFiles = {}) {
      const ws = path.join(root, `ws-${++n}`);
      fs.mkdirSync(ws, { recursive: true });
      fs.writeFileSync(path.join(ws, 'main.tf'), STACK_TF);
      for (const [f, content] of Object.entries(extraFiles)) {
        fs.mkdirSync(path.dirname(path.join(ws, f)), { recursive: true });
        fs.writeFileSync(path.join(ws, f), content);
      }
      return ws;
    },
    varFile(name, hostName) {
      const f = path.join(runnerHome, 'vars', name);
      fs.mkdirSync(path.dirname(f), { recursive: true });
      fs.writeFileSync(f, `name = "${hostName}"\nadmin_token = "${CANARY}"\n`);
      return f;
    },
    async run(inputs, o = {}) {
      const r = await runAction({
        action: ACTION,
        timeoutMs: 60_000,
        ...o,
        env: { PATH: recorder.path, HOME: runnerHome, ...(o.env ?? {}) },
        inputs: { 'tofu-binary': tofu, 'lock-timeout': '20s', ...inputs },
      });
      runs.push(r);
      return r;
    },
    cleanup() {
      fs.rmSync(root, { recursive: true, force: true });
      fs.rmSync(recorder.binDir, { recursive: true, force: true });
    },
  };
}

/**
 * Every place a canary could leak from a run: log (without `::add-mask::` lines, which the runner
 * consumes and never shows), summary, report, outputs, exported env, files left under RUNNER_TEMP and
 * the workspace. Returns "where: excerpt" for each hit.
 */
export function canaryLeaks(
  runs: ActionRun[],
  recorder: ArgvRecorder,
  needles = [CANARY, CANARY_B64],
): string[] {
  const hits: string[] = [];
  const check = (where: string, text: string) => {
    for (const needle of needles) if (text.includes(needle)) hits.push(`${where} contains ${needle}`);
  };
  for (const r of runs) {
    check(
      'log',
      r.log
        .split('\n')
        .filter((l) => !l.startsWith('::add-mask::'))
        .join('\n'),
    );
    check('summary', r.summary);
    check('outputs', JSON.stringify(r.outputs));
    check('exported env', JSON.stringify(r.exportedEnv));
    for (const f of [...filesUnder(r.runnerTemp), ...filesUnder(r.workspace)]) {
      // The runner's own file-command files are checked above through their parsed values.
      if (f.includes(`${path.sep}_runner_file_commands-`)) continue;
      check(f, fs.readFileSync(f).toString('utf8'));
    }
  }
  check('argv', JSON.stringify(recorder.calls()));
  return hits;
}

/** `sha256sum -c` (GNU) on an archive's checksum file, run in its directory as an operator would. */
export function sha256sumCheck(archive: string): string {
  return execFileSync('sha256sum', ['-c', `${path.basename(archive)}.sha256`], {
    cwd: path.dirname(archive),
    encoding: 'utf8',
  });
}

export function readState(file: string): { serial: number; lineage: string } {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

export function archivesIn(dir: string): string[] {
  return fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((n) => n.endsWith('.tar.gz'))
        .sort()
    : [];
}
