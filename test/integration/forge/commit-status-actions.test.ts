import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHive, type Hive } from '../../support/colmena-apply-hive.js';
import { startGitServer, type GitServer } from '../../support/push-mirror-git-server.js';
import { createSourceRepos, type SourceRepos } from '../../support/push-mirror-repos.js';
import {
  PASSWORD,
  backup,
  initRepo,
  makeSource,
  tempDir,
} from '../../support/restic-restore-check-fixtures.js';
import { runAction, withoutMaskCommands, type ActionRun } from '../../support/run-action.js';
import { ageKeygen } from '../../support/sops-stage-age-key-fixtures.js';
import { forgeEnv, startForgejoApi, type ForgejoStandin } from '../../support/standins/forgejo-api/server.js';
import { rustdeskScenario } from '../../support/standins/kube-apiserver/scenarios.js';
import { setupEnv, type Env } from '../../support/tofu-plan-with-state-backup-fixtures.js';
import { requireTool } from '../../support/tools.js';
import { startCluster, verify, type TestCluster } from '../k3s-verify/cluster.js';

/**
 * Every action, run for real through the runner harness (real tools, or the colmena and K3s API
 * stand-ins), with `commit-status: 'true'` against the forge API stand-in: pending, then the final
 * state with the action's context and one-line description, and the token in no other channel.
 */
/** Real tools on a shared 2-core machine: generous limits, never an assertion on time. */
const LIMIT = 300_000;
const TOKEN = 'fj_CANARYactions0a9b8c7d6e5f4a3b2c1d0e9f8a7b';
const SHA = '0123456789abcdef0123456789abcdef01234567';
let api: ForgejoStandin;
const runs: ActionRun[] = [];
const cleanups: Array<() => unknown> = [];

beforeAll(async () => {
  api = await startForgejoApi({ token: TOKEN, repository: 'ops/infra' });
}, LIMIT);

afterAll(async () => {
  await api?.stop();
  for (const c of cleanups) await c();
  for (const r of runs) fs.rmSync(r.runnerTemp, { recursive: true, force: true });
});

/** The runner environment of a Forgejo job on the stand-in, with the job token. */
function env(): Record<string, string> {
  const out: Record<string, string> = { FORGEJO_ACTIONS: 'true', FORGEJO_TOKEN: TOKEN };
  for (const [k, v] of Object.entries(forgeEnv(api))) if (v !== undefined) out[k] = v;
  return out;
}

/** The statuses set since `from` (the stand-in is shared by the tests), optionally of one context only. */
function statusesSince(from: number, context?: string): Array<[string, string, string]> {
  return api.statuses
    .slice(from)
    .filter((s) => !context || s.context === context)
    .map((s) => [s.state, s.context, s.description]);
}

function expectNoToken(r: ActionRun): void {
  runs.push(r);
  for (const text of [
    withoutMaskCommands(r.log),
    JSON.stringify(r.outputs),
    JSON.stringify(r.state),
    r.summary,
  ])
    expect(text).not.toContain(TOKEN);
  if (r.outputs['report-file'])
    expect(fs.readFileSync(r.outputs['report-file'], 'utf8')).not.toContain(TOKEN);
  for (const q of api.requests) expect(q.path + q.body).not.toContain(TOKEN);
  expect(api.statuses.every((s) => s.sha === SHA)).toBe(true);
}

describe('colmena-apply (colmena stand-in)', () => {
  let hive: Hive;
  beforeAll(() => {
    hive = createHive({
      version: '0.4.0',
      nodes: {
        alpha: { tags: ['edge'], targetHost: 'alpha.example' },
        beta: { tags: ['edge'], targetHost: 'beta.example', fail: 'build' },
        gamma: { tags: ['core'], targetHost: 'gamma.example' },
      },
    });
    cleanups.push(() => hive.cleanup());
  }, LIMIT);

  test(
    'success: `2/2 hosts converged`',
    async () => {
      const from = api.statuses.length;
      const r = await hive.run(
        { on: 'alpha,gamma', 'commit-status': 'true' },
        { env: env(), timeoutMs: 240_000 },
      );
      expect(r.exitCode).toBe(0);
      expect(statusesSince(from, 'edge/colmena-apply/alpha,gamma')).toEqual([
        ['pending', 'edge/colmena-apply/alpha,gamma', 'running…'],
        ['success', 'edge/colmena-apply/alpha,gamma', '2/2 hosts converged'],
      ]);
      expectNoToken(r);
    },
    LIMIT,
  );

  test(
    'a node fails: `failure`, naming it',
    async () => {
      const from = api.statuses.length;
      const r = await hive.run({ on: '@edge', 'commit-status': 'true' }, { env: env(), timeoutMs: 240_000 });
      expect(r.outputs['failure-reason']).toBe('deploy-failed');
      expect(statusesSince(from, 'edge/colmena-apply/@edge')).toEqual([
        ['pending', 'edge/colmena-apply/@edge', 'running…'],
        ['failure', 'edge/colmena-apply/@edge', '1/2 hosts failed: beta'],
      ]);
      expectNoToken(r);
    },
    LIMIT,
  );
});

describe('k3s-verify (K3s API stand-in, real kubectl)', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startCluster(rustdeskScenario({}));
    cleanups.push(() => cluster.close());
  }, LIMIT);

  test(
    'ready: `rustdesk ready (2/2), nodes 1/1`',
    async () => {
      const from = api.statuses.length;
      const r = await verify(
        {
          kubeconfig: cluster.kubeconfigFile,
          nodes: '1',
          workloads: 'deployment/rustdesk/hbbs\ndeployment/rustdesk/hbbr',
          context: 'default',
          'commit-status': 'true',
        },
        { env: env(), timeoutMs: 240_000 },
      );
      expect(r.exitCode).toBe(0);
      expect(statusesSince(from)).toEqual([
        ['pending', 'edge/k3s-verify/default', 'running…'],
        ['success', 'edge/k3s-verify/default', 'rustdesk ready (2/2), nodes 1/1'],
      ]);
      expectNoToken(r);
    },
    LIMIT,
  );

  test(
    'not ready: `failure` with the first failing check',
    async () => {
      const from = api.statuses.length;
      const r = await verify(
        {
          kubeconfig: cluster.kubeconfigFile,
          nodes: '1',
          workloads: 'deployment/rustdesk/hbbs\ndeployment/rustdesk/absent',
          context: 'default',
          timeout: '15s',
          'commit-status': 'true',
        },
        { env: env(), timeoutMs: 240_000 },
      );
      expect(r.exitCode).toBe(1);
      const [pending, final] = statusesSince(from);
      expect(pending[0]).toBe('pending');
      expect(final[0]).toBe('failure');
      expect(final[2]).toMatch(/^rustdesk not ready \(1\/2\): absent /);
      expectNoToken(r);
    },
    LIMIT,
  );
});

describe('restic-restore-check (real restic, local repository)', () => {
  let repo: string;
  let root: string;
  beforeAll(() => {
    requireTool('restic');
    root = tempDir('forge-status');
    cleanups.push(() => fs.rmSync(root, { recursive: true, force: true }));
    const src = makeSource(root);
    repo = path.join(root, 'repo');
    initRepo(repo);
    backup(repo, [src]);
  }, LIMIT);

  test(
    'verified: `restore verified: 3 files, 0m old`',
    async () => {
      const from = api.statuses.length;
      const r = await runAction({
        action: 'restic-restore-check',
        inputs: {
          repository: repo,
          password: PASSWORD,
          'sample-files': '3',
          timeout: '60s',
          'commit-status': 'true',
        },
        env: env(),
        timeoutMs: 240_000,
      });
      expect(r.exitCode).toBe(0);
      expect(statusesSince(from)).toEqual([
        ['pending', `edge/restic-restore-check/${repo}`, 'running…'],
        ['success', `edge/restic-restore-check/${repo}`, 'restore verified: 3 files, 0m old'],
      ]);
      expectNoToken(r);
    },
    LIMIT,
  );

  test(
    'a wrong password: `failure` with the reason, the password in no channel',
    async () => {
      const from = api.statuses.length;
      const r = await runAction({
        action: 'restic-restore-check',
        inputs: { repository: repo, password: 'wrong-password-93x', timeout: '60s', 'commit-status': 'true' },
        env: env(),
        timeoutMs: 240_000,
      });
      expect(r.exitCode).toBe(1);
      const final = statusesSince(from)[1];
      expect(final[0]).toBe('failure');
      expect(final[2].startsWith(`${r.outputs['failure-reason']}: `)).toBe(true);
      expect(JSON.stringify(api.requests)).not.toContain('wrong-password-93x');
      expectNoToken(r);
    },
    LIMIT,
  );
});

describe('sops-stage-age-key (runner only)', () => {
  test(
    'staged: `age key staged on runner`',
    async () => {
      requireTool('age-keygen');
      const key = ageKeygen();
      const from = api.statuses.length;
      const r = await runAction({
        action: 'sops-stage-age-key',
        inputs: { 'age-key': key.identity, 'commit-status': 'true' },
        env: env(),
        timeoutMs: 240_000,
      });
      expect(r.exitCode).toBe(0);
      expect(statusesSince(from)).toEqual([
        ['pending', 'edge/sops-stage-age-key/runner', 'running…'],
        ['success', 'edge/sops-stage-age-key/runner', 'age key staged on runner'],
      ]);
      // The age key is a secret too: nowhere in what went to the forge.
      expect(JSON.stringify(api.requests)).not.toContain(key.identity);
      expectNoToken(r);
    },
    LIMIT,
  );
});

describe('push-mirror (real git over HTTP)', () => {
  let server: GitServer;
  let repos: SourceRepos;
  const MIRROR_TOKEN = 'ghp_CANARYforgemirror1a2b3c4d5e6f7a8b9c0d1e';
  beforeAll(async () => {
    requireTool('git');
    server = await startGitServer({ token: MIRROR_TOKEN });
    repos = createSourceRepos();
    cleanups.push(() => server.stop());
    cleanups.push(() => fs.rmSync(repos.base, { recursive: true, force: true }));
  }, LIMIT);

  test(
    'mirrored and verified: `mirror verified: N refs`; post runs only the status safety net',
    async () => {
      server.createRepo('mirror');
      const from = api.statuses.length;
      const r = await runAction({
        action: 'push-mirror',
        inputs: { 'remote-url': server.url('mirror'), token: MIRROR_TOKEN, 'commit-status': 'true' },
        workspace: repos.clone,
        env: env(),
        timeoutMs: 240_000,
      });
      expect(r.exitCode).toBe(0);
      const refs = Number(r.outputs.created) + Number(r.outputs.updated) + Number(r.outputs.unchanged);
      const context = `edge/push-mirror/${new URL(server.url('mirror')).host}/mirror`;
      expect(statusesSince(from)).toEqual([
        ['pending', context, 'running…'],
        ['success', context, `mirror verified: ${refs} refs`],
      ]);
      expect(r.post?.exitCode).toBe(0);
      expect(JSON.stringify(api.requests)).not.toContain(MIRROR_TOKEN);
      expectNoToken(r);
    },
    LIMIT,
  );
});

describe('tofu-plan-with-state-backup (real terraform)', () => {
  let tofu: Env;
  let ws: string;
  beforeAll(() => {
    tofu = setupEnv('tofu-forge-status');
    cleanups.push(() => tofu.cleanup());
    ws = tofu.workspace();
  }, LIMIT);

  test(
    'plan: `plan: +1 ~0 -0`, then apply and backup on the same commit have their own contexts',
    async () => {
      const vars = tofu.varFile('edge.tfvars', 'h1');
      const base = {
        'state-path': '~/infra/state/edge/terraform.tfstate',
        'var-files': vars,
        'commit-status': 'true',
      };
      const from = api.statuses.length;
      const plan = await tofu.run(
        { ...base, mode: 'plan' },
        { workspace: ws, env: env(), timeoutMs: 240_000 },
      );
      expect(plan.exitCode).toBe(0);
      const apply = await tofu.run(
        { ...base, mode: 'apply' },
        { workspace: ws, env: env(), timeoutMs: 240_000 },
      );
      expect(apply.exitCode).toBe(0);
      const archive = await tofu.run(
        { ...base, mode: 'backup' },
        { workspace: ws, env: env(), timeoutMs: 240_000 },
      );
      expect(archive.exitCode).toBe(0);
      const serial = archive.outputs['state-serial'];
      expect(statusesSince(from)).toEqual([
        ['pending', 'edge/tofu-plan-with-state-backup/root (plan)', 'running…'],
        ['success', 'edge/tofu-plan-with-state-backup/root (plan)', 'plan: +1 ~0 -0'],
        ['pending', 'edge/tofu-plan-with-state-backup/root (apply)', 'running…'],
        ['success', 'edge/tofu-plan-with-state-backup/root (apply)', 'applied: +1 ~0 -0'],
        ['pending', 'edge/tofu-plan-with-state-backup/root (backup)', 'running…'],
        ['success', 'edge/tofu-plan-with-state-backup/root (backup)', `state archived: serial ${serial}`],
      ]);
      for (const r of [plan, apply, archive]) expectNoToken(r);
    },
    LIMIT,
  );

  test(
    'drift: `failure` with the counts',
    async () => {
      const from = api.statuses.length;
      const vars = tofu.varFile('edge-h2.tfvars', 'h2');
      const r = await tofu.run(
        {
          'state-path': '~/infra/state/edge/terraform.tfstate',
          'var-files': vars,
          mode: 'drift',
          'commit-status': 'true',
        },
        { workspace: ws, env: env(), timeoutMs: 240_000 },
      );
      expect(r.outputs['failure-reason']).toBe('drift-detected');
      expect(statusesSince(from)).toEqual([
        ['pending', 'edge/tofu-plan-with-state-backup/root (drift)', 'running…'],
        [
          'failure',
          'edge/tofu-plan-with-state-backup/root (drift)',
          `drift: +${r.outputs['to-add']} ~${r.outputs['to-change']} -${r.outputs['to-destroy']}`,
        ],
      ]);
      expectNoToken(r);
    },
    LIMIT,
  );
});
