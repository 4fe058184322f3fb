/**
 * `npm run demo`: the suite's main job, locally, with no cloud account. In a sandbox directory it
 * provisions a terraform_data stack with local state (plan → verified backup to a local dir and an
 * rclone remote → apply → handoff file), stages and verifies an age key against a SOPS-format file,
 * restore-checks a fresh restic repository, and mirrors a sample repository to a loopback smart-HTTP
 * git server. Every action runs from its dist/ bundle exactly as a runner runs it. Steps whose tool
 * cannot exist here (colmena, a K3s cluster) are listed as not run — never as passed.
 *
 * The terminal shows one progress line per step and then the table; every step's full log goes to
 * `demo.log` in the sandbox (printed at the end), and to the terminal too with `--verbose`.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT, runAction, type ActionRun } from '../test/support/run-action.js';
import { tofuBinary, which } from '../test/support/tools.js';
import { ageKeygen, sopsFile } from '../test/support/sops-stage-age-key-fixtures.js';
import { PASSWORD, backup, initRepo, makeSource } from '../test/support/restic-restore-check-fixtures.js';
import { startGitServer } from '../test/support/push-mirror-git-server.js';
import { createSourceRepos } from '../test/support/push-mirror-repos.js';
import { createProgress } from './progress.js';

interface Row {
  step: string;
  result: string;
  report: string;
}

const STACK = `
variable "node_name" {
  type    = string
  default = "edge-1"
}

resource "terraform_data" "edge" {
  input = { name = var.node_name, region = "eu-central", subnet = "10.0.0.0/24" }
}

output "edge_host_id" {
  value = terraform_data.edge.id
}

output "edge_private_ip" {
  value = "10.0.0.10"
}

output "edge_region" {
  value = terraform_data.edge.output.region
}
`;

function outcome(r: ActionRun, detail: string): string {
  if (r.exitCode === 0) return `passed — ${detail}`;
  return `FAILED (${r.report?.failure?.reason ?? `exit ${r.exitCode}`}): ${r.report?.failure?.message ?? 'see the log above'}`;
}

/** The step's log as the runner would show it (the runner consumes `::add-mask::` lines). */
function shownLog(title: string, r: ActionRun): string {
  const lines = r.log.split('\n').filter((l) => !l.startsWith('::add-mask::'));
  return `\n── ${title} ──\n${lines.join('\n')}\n`;
}

/** Steps the demo runs (the progress lines count them). */
const STEPS = 6;

async function main(): Promise<number> {
  const verbose = process.argv.includes('--verbose');
  const progress = createProgress(process.stdout, STEPS);
  const tools = await progress.step(
    'test tools: check (and on Debian as root, install) restic, rclone, age, git, sshd',
    async () =>
      spawnSync('bash', [path.join(REPO_ROOT, 'scripts/install-test-tools.sh')], { encoding: 'utf8' }),
    (r) => ({ ok: r.status === 0, text: 'see above' }),
  );
  if (tools.status !== 0 || verbose) process.stdout.write(`${tools.stdout}${tools.stderr}`);
  if (tools.status !== 0) return 1;
  for (const name of [
    'tofu-plan-with-state-backup',
    'sops-stage-age-key',
    'restic-restore-check',
    'push-mirror',
  ]) {
    if (!fs.existsSync(path.join(REPO_ROOT, 'dist', name, 'index.js')))
      throw new Error(`dist/${name} is missing: run npm run build`);
  }

  const sandbox = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-demo-'));
  // One job: one RUNNER_TEMP and one workspace shared by every step, as on the runner.
  const job = { runnerTemp: path.join(sandbox, 'runner-temp'), workspace: path.join(sandbox, 'workspace') };
  fs.mkdirSync(job.workspace, { recursive: true });
  const rows: Row[] = [];
  const logFile = path.join(sandbox, 'demo.log');
  fs.writeFileSync(logFile, '');
  const record = (step: string, r: ActionRun, detail: string) => {
    const log = shownLog(step, r);
    fs.appendFileSync(logFile, log);
    if (verbose) process.stdout.write(log);
    // Steps of one action share RUNNER_TEMP (one job), so each step's report is kept under its own name.
    let report = '—';
    if (r.outputs['report-file']) {
      report = path.join(
        sandbox,
        'reports',
        `${rows.length + 1}-${path.basename(path.dirname(r.outputs['report-file']))}.json`,
      );
      fs.mkdirSync(path.dirname(report), { recursive: true });
      fs.copyFileSync(r.outputs['report-file'], report);
    }
    rows.push({ step, result: outcome(r, detail), report });
  };
  /** Runs one action under a progress line; its row and log are recorded. */
  const action = async (label: string, fn: () => Promise<ActionRun>, detail: (r: ActionRun) => string) => {
    const r = await progress.step(label, fn, (run) => ({
      ok: run.exitCode === 0,
      text: run.report?.failure?.reason ?? `exit ${run.exitCode}`,
    }));
    record(label, r, detail(r));
    return r;
  };

  // 1. OpenTofu (or Terraform) with the state and var file kept on the "runner", outside the checkout.
  //    The first apply creates the state; the second changes a variable, so its state is archived
  //    (local dir + rclone remote, both verified) before tofu may apply.
  fs.mkdirSync(path.join(job.workspace, 'stack'));
  fs.writeFileSync(path.join(job.workspace, 'stack', 'main.tf'), STACK);
  const varFile = path.join(sandbox, 'runner-vars', 'edge.tfvars');
  fs.mkdirSync(path.dirname(varFile), { recursive: true });
  const tofuInputs = {
    'working-directory': 'stack',
    mode: 'apply',
    'state-path': path.join(sandbox, 'runner-state', 'edge', 'terraform.tfstate'),
    'var-files': varFile,
    'backup-remote': `:local:${path.join(sandbox, 'offsite')}`,
    'tofu-binary': tofuBinary(),
    'lock-timeout': '1m',
  };
  for (const [label, nodeName] of [
    ['first apply on an empty state', 'edge-1'],
    ['change applied after a verified backup', 'edge-2'],
  ]) {
    fs.writeFileSync(varFile, `node_name = "${nodeName}"\n`);
    await action(
      `tofu apply: ${label}`,
      () => runAction({ action: 'tofu-plan-with-state-backup', ...job, inputs: tofuInputs }),
      (tofu) => {
        const archive = tofu.outputs['backup-archive']
          ? path.basename(tofu.outputs['backup-archive'])
          : 'none (no state yet)';
        return `serial ${tofu.outputs['state-serial']}, backup ${archive}, remote ${tofu.outputs['backup-remote'] || '—'}, handoff ${tofu.outputs['handoff-json']}`;
      },
    );
  }

  // 2. SOPS + age: the key from a "secret", checked against .sops.yaml and a SOPS-encrypted file.
  const key = ageKeygen();
  fs.writeFileSync(
    path.join(job.workspace, '.sops.yaml'),
    `creation_rules:\n  - path_regex: secrets/.*\\.yaml$\n    age: ${key.recipient}\n`,
  );
  fs.mkdirSync(path.join(job.workspace, 'secrets'));
  fs.writeFileSync(
    path.join(job.workspace, 'secrets', 'edge.yaml'),
    sopsFile({ values: { rustdesk_key: 'demo-value' }, recipients: [key.recipient] }),
  );
  await action(
    'sops-stage-age-key: stage and verify the age key',
    () =>
      runAction({
        action: 'sops-stage-age-key',
        ...job,
        inputs: { 'age-key': `# demo key\n${key.identity}\n`, 'verify-files': 'secrets/*.yaml' },
      }),
    (sops) =>
      `recipient ${sops.outputs['public-keys']}, ${sops.outputs['verified-files']} file(s) opened, key file removed by post: ${!fs.existsSync(sops.outputs['key-file'] ?? '')}`,
  );

  // 3. restic: a repository from sample data, proven restorable.
  const repo = path.join(sandbox, 'restic-repo');
  initRepo(repo);
  const source = makeSource(sandbox);
  backup(repo, [source]);
  await action(
    'restic-restore-check: fresh, intact, restorable',
    () =>
      runAction({
        action: 'restic-restore-check',
        ...job,
        inputs: {
          repository: repo,
          password: PASSWORD,
          paths: source,
          'restore-include': path.join(source, 'canary.txt'),
          'sample-files': '5',
        },
      }),
    (restic) =>
      `snapshot ${restic.outputs['snapshot-id']}, ${restic.outputs['files-restored']} files restored and verified, check ${restic.outputs['check-result']}`,
  );

  // 4. Mirror a sample repository to a loopback smart-HTTP git server (git http-backend) and verify.
  const token = `demo-${Math.random().toString(36).slice(2)}`;
  const server = await startGitServer({ token });
  try {
    server.createRepo('mirror');
    const src = createSourceRepos();
    await action(
      'push-mirror: push branches and tags, verify with ls-remote',
      () =>
        runAction({
          action: 'push-mirror',
          ...job,
          inputs: { 'source-dir': src.clone, 'remote-url': server.url('mirror'), token },
        }),
      (mirror) =>
        `created ${mirror.outputs.created}, verified ${mirror.outputs.verified}, head ${mirror.outputs['mirror-head']?.slice(0, 12)}`,
    );
  } finally {
    await server.stop();
  }

  // 5./6. What needs real NixOS hosts or a cluster.
  rows.push({
    step: 'colmena-apply: converge NixOS hosts',
    result: which('colmena')
      ? 'not run: the demo has no NixOS hosts to deploy to'
      : 'not run: colmena not installed',
    report: '—',
  });
  rows.push({
    step: 'k3s-verify: prove the cluster and RustDesk',
    result: which('k3s')
      ? 'not run: the demo has no cluster of its own'
      : 'not run: k3s not installed (no cluster)',
    report: '—',
  });

  const width = Math.max(...rows.map((r) => r.step.length));
  process.stdout.write(`\nDemo sandbox: ${sandbox}\nFull logs of every step: ${logFile}\n\n`);
  process.stdout.write(`${'step'.padEnd(width)}  result\n${'-'.repeat(width)}  ------\n`);
  for (const r of rows)
    process.stdout.write(`${r.step.padEnd(width)}  ${r.result}\n${' '.repeat(width)}  report: ${r.report}\n`);
  return rows.some((r) => r.result.startsWith('FAILED')) ? 1 : 0;
}

process.exitCode = await main();
