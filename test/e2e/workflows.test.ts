import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { REPO_ROOT, withoutMaskCommands } from '../support/run-action.js';
import { tofuBinary, which } from '../support/tools.js';
import { startGitServer, type GitServer } from '../support/push-mirror-git-server.js';
import { createSourceRepos, refsOf } from '../support/push-mirror-repos.js';
import { runJob, type StepResult } from './job-runner.js';

/**
 * The example workflows, run job by job through the runner harness with the real tools. Deviations
 * from the files are only what cannot exist here, each named where it happens:
 *  - HOME is a sandbox, so the runner-local paths (`~/infra/...`, `~/.config/rclone/...`) live there;
 *  - `tofu` is a shim for `terraform` when OpenTofu is not installed (CLI-compatible for local state);
 *  - `sudo` is a pass-through shim: tests run as root, GitHub's runner has passwordless sudo;
 *  - checkout / setup-terraform / upload-artifact are not run (the workspace is prepared by the test,
 *    terraform is installed, and the artifact step's `path` is checked to exist);
 *  - the mirror's github.com URL is replaced by a loopback smart-HTTP git server.
 */
let sandbox: string;
let shims: string;
let baseEnv: Record<string, string>;

function ok(results: StepResult[]): void {
  for (const r of results) {
    if (r.exitCode !== 0) throw new Error(`step ${r.id} failed (exit ${r.exitCode}):\n${r.log.slice(-3000)}`);
  }
}

beforeAll(() => {
  sandbox = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-'));
  shims = path.join(sandbox, 'shims');
  fs.mkdirSync(shims);
  if (!which('tofu'))
    fs.writeFileSync(path.join(shims, 'tofu'), `#!/bin/sh\nexec ${tofuBinary()} "$@"\n`, { mode: 0o755 });
  if (!which('sudo')) fs.writeFileSync(path.join(shims, 'sudo'), '#!/bin/sh\nexec "$@"\n', { mode: 0o755 });
  const home = path.join(sandbox, 'home');
  fs.mkdirSync(home);
  baseEnv = { PATH: `${shims}:${process.env.PATH}`, HOME: home, LANG: 'C.UTF-8' };
});

afterAll(() => fs.rmSync(sandbox, { recursive: true, force: true }));

function job(name: string) {
  const runnerTemp = fs.mkdtempSync(path.join(sandbox, `${name}-temp-`));
  return { runnerTemp };
}

describe('suite-ci.yml', () => {
  test('job actions: tofu → handoff check → restic → colmena (stand-in), outputs handed between steps', async () => {
    const external: string[] = [];
    const results = await runJob({
      workflow: 'suite-ci.yml',
      job: 'actions',
      event: { name: 'push' },
      workspace: REPO_ROOT,
      ...job('suite-ci'),
      env: baseEnv,
      external: (uses) => external.push(uses),
    });
    ok(results);
    expect(external).toEqual(['actions/checkout@v4', 'hashicorp/setup-terraform@v3']);
    const byId = Object.fromEntries(results.map((r) => [r.id, r]));
    expect(JSON.parse(byId.tofu.outputs['handoff-json']).edge_host_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(byId.restic.outputs['files-restored'])).toBeGreaterThanOrEqual(2);
    expect(byId.colmena.outputs.succeeded).toBe('edge-1,edge-2');
  }, 180_000);
});

describe('infra-tofu.yml', () => {
  let workspace: string;
  let home: string;
  const uploads: Record<string, string>[] = [];

  beforeAll(() => {
    home = baseEnv.HOME;
    workspace = path.join(sandbox, 'infra-ws');
    fs.mkdirSync(path.join(workspace, 'stacks', 'edge'), { recursive: true });
    fs.writeFileSync(
      path.join(workspace, 'stacks', 'edge', 'main.tf'),
      [
        'variable "node_name" { type = string }',
        'variable "api_token" {',
        '  type      = string',
        '  sensitive = true',
        '}',
        'resource "terraform_data" "edge" { input = { name = var.node_name } }',
        'output "edge_host_id" { value = terraform_data.edge.id }',
        'output "edge_private_ip" { value = "10.0.0.10" }',
        'output "edge_volume_attachment" { value = "vol-1:/dev/sdb" }',
        'output "edge_region" { value = "eu-frankfurt-1" }',
        'output "edge_subnet" { value = "10.0.0.0/24" }',
        'output "api_token" {',
        '  value     = var.api_token',
        '  sensitive = true',
        '}',
        '',
      ].join('\n'),
    );
    fs.mkdirSync(path.join(home, 'infra', 'vars'), { recursive: true });
    fs.mkdirSync(path.join(home, '.config', 'rclone'), { recursive: true });
    // `pcloud:` is an alias of a local directory: the real rclone code path, no cloud account.
    fs.writeFileSync(
      path.join(home, '.config', 'rclone', 'rclone.conf'),
      `[pcloud]\ntype = alias\nremote = ${path.join(sandbox, 'pcloud')}\n`,
    );
  });

  const vars = (node: string) =>
    fs.writeFileSync(
      path.join(home, 'infra', 'vars', 'edge.tfvars'),
      `node_name = "${node}"\napi_token = "canary-e2e-token-91"\n`,
    );

  async function applyJob() {
    return runJob({
      workflow: 'infra-tofu.yml',
      job: 'apply',
      event: { name: 'workflow_dispatch', inputs: { confirm: 'apply' } },
      workspace,
      ...job('apply'),
      env: baseEnv,
      external: (uses, inputs) => {
        if (uses.includes('upload-artifact')) uploads.push(inputs);
      },
    });
  }

  test('apply job twice: verified backup before the second apply, handoff installed and published', async () => {
    vars('edge-1');
    ok(await applyJob());
    vars('edge-2');
    const results = await applyJob();
    ok(results);
    const apply = results.find((r) => r.id === 'apply')!;
    const archive = apply.outputs['backup-archive'];
    expect(path.dirname(archive)).toBe(path.join(home, 'infra', 'state', 'edge', 'backups'));
    expect(apply.outputs['backup-remote']).toMatch(/^pcloud:infra\/state\/edge\//);
    expect(
      fs.readFileSync(path.join(sandbox, 'pcloud', 'infra', 'state', 'edge', path.basename(archive))),
    ).toEqual(fs.readFileSync(archive));
    const installed = JSON.parse(fs.readFileSync(path.join(home, 'infra', 'handoff', 'edge.json'), 'utf8'));
    expect(Object.keys(installed).sort()).toEqual([
      'edge_host_id',
      'edge_private_ip',
      'edge_region',
      'edge_subnet',
      'edge_volume_attachment',
    ]);
    expect(uploads.at(-1)).toEqual(
      expect.objectContaining({ name: 'edge-handoff', path: apply.outputs['handoff-file'] }),
    );
    expect(fs.existsSync(uploads.at(-1)!.path)).toBe(true);
    for (const r of results) expect(withoutMaskCommands(r.log)).not.toContain('canary-e2e-token-91');
  }, 180_000);

  test('plan job after the applies: no changes', async () => {
    const results = await runJob({
      workflow: 'infra-tofu.yml',
      job: 'plan',
      event: { name: 'push' },
      workspace,
      ...job('plan'),
      env: baseEnv,
    });
    ok(results);
    expect(results.find((r) => r.id === 'plan')!.outputs['has-changes']).toBe('false');
  }, 120_000);

  test('drift job fails with drift-detected once the runner-local variables moved', async () => {
    vars('edge-3');
    const results = await runJob({
      workflow: 'infra-tofu.yml',
      job: 'drift',
      event: { name: 'schedule' },
      workspace,
      ...job('drift'),
      env: baseEnv,
    });
    const drift = results.find((r) => r.kind === 'action')!;
    expect(drift.exitCode).toBe(1);
    expect(drift.outputs['failure-reason']).toBe('drift-detected');
    vars('edge-2');
  }, 120_000);

  test('backup-verify.yml state-drill job: the newest pCloud archive, restored into scratch, plans without changes', async () => {
    const stateDir = path.join(home, 'infra', 'state', 'edge');
    const live = fs.readFileSync(path.join(stateDir, 'terraform.tfstate'));
    const archives = fs.readdirSync(path.join(stateDir, 'backups')).sort();
    const checkouts: Record<string, string>[] = [];
    const results = await runJob({
      workflow: 'backup-verify.yml',
      job: 'state-drill',
      event: { name: 'workflow_dispatch' },
      workspace,
      ...job('drill'),
      env: baseEnv,
      external: (uses, inputs) => {
        if (uses.includes('checkout')) checkouts.push(inputs);
      },
    });
    ok(results);
    expect(results[0].log).toMatch(/: OK/);
    expect(checkouts).toEqual([{ repository: 'ops/infra' }]);
    const drill = results.find((r) => r.id === 'drill')!;
    expect(drill.outputs).toMatchObject({ 'has-changes': 'false', 'archive-source': 'remote' });
    expect(drill.outputs['archive-path']).toMatch(/^pcloud:infra\/state\/edge\/terraform\.tfstate\./);
    expect(results.at(-1)!.log).toMatch(/drill archive=pcloud:.* changes=false failure=$/m);
    // The drill never touched the live state or its archives.
    expect(fs.readFileSync(path.join(stateDir, 'terraform.tfstate'))).toEqual(live);
    expect(fs.readdirSync(path.join(stateDir, 'backups')).sort()).toEqual(archives);
  }, 180_000);
});

describe('mirror.yml', () => {
  let server: GitServer;
  beforeAll(async () => {
    server = await startGitServer({ token: 'e2e-mirror-token-3c1' });
  });
  afterAll(async () => server.stop());

  test('mirror job pushes branches and tags and verifies them', async () => {
    server.createRepo('edge-actions');
    const src = createSourceRepos();
    const results = await runJob({
      workflow: 'mirror.yml',
      job: 'mirror',
      event: { name: 'push' },
      secrets: { GITHUB_MIRROR_TOKEN: 'e2e-mirror-token-3c1' },
      workspace: src.clone,
      ...job('mirror'),
      env: baseEnv,
      overrides: { mirror: { 'remote-url': server.url('edge-actions') } },
    });
    ok(results);
    const mirror = results.find((r) => r.id === 'mirror')!;
    expect(mirror.outputs.verified).toBe('true');
    const mirrored = refsOf(path.join(server.root, 'edge-actions.git'));
    expect(Object.keys(mirrored).filter((r) => r.startsWith('refs/pull/'))).toEqual([]);
    expect(mirrored['refs/heads/main']).toBe(refsOf(src.canonical)['refs/heads/main']);
  }, 120_000);
});
