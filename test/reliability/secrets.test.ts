import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { createHive, STANDIN_DIR } from '../support/colmena-apply-hive.js';
import { startGitServer } from '../support/push-mirror-git-server.js';
import { createSourceRepos } from '../support/push-mirror-repos.js';
import {
  filesUnder,
  leakForms,
  leaksIn,
  recorder,
  removeRunDirs,
  type Recorder,
} from '../support/reliability-tools.js';
import { makeSource } from '../support/restic-restore-check-fixtures.js';
import { runAction, withoutMaskCommands, type ActionRun } from '../support/run-action.js';
import { ageKeygen, sopsFile } from '../support/sops-stage-age-key-fixtures.js';
import { readAsRoot } from '../support/privileged.js';
import { startSshd } from '../support/sops-stage-age-key-sshd.js';
import { rustdeskScenario } from '../support/standins/kube-apiserver/scenarios.js';
import { startKubeApiServer } from '../support/standins/kube-apiserver/server.js';
import { k3sKubeconfig, makeServingCert } from '../support/standins/kube-apiserver/tls.js';
import {
  CANARY as TOFU_CANARY,
  setupEnv as setupTofuEnv,
} from '../support/tofu-plan-with-state-backup-fixtures.js';
import { requireTool } from '../support/tools.js';

/**
 * Per action, representative scenarios with a canary in EVERY secret input (and, for tofu, a sensitive
 * variable and a sensitive output). After the run, post step included, no canary and no base64 form of it
 * may appear in the log as shown (the `::add-mask::` commands are consumed by the runner), the step
 * summary, the reports, GITHUB_OUTPUT, GITHUB_ENV values, any file left under RUNNER_TEMP or the
 * workspace (the runner's file-command files and `.git/config` included), or the argv of any child
 * process (recording wrappers first on PATH for every tool the action starts).
 */
const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

function canary(tag: string): string {
  return `CANARY-${tag}-${Math.random().toString(36).slice(2, 10)}-7f3a9c`;
}

/** Every place a run leaves text, after its post step. */
function placesOf(run: ActionRun, argv: string[][]): [string, string][] {
  return [
    ['log', withoutMaskCommands(run.log)],
    ['summary', run.summary],
    ['report', JSON.stringify(run.report ?? {})],
    ['outputs', JSON.stringify(run.outputs)],
    ['GITHUB_ENV values', JSON.stringify(Object.values(run.exportedEnv))],
    ['argv', JSON.stringify(argv)],
    ...[...filesUnder(run.runnerTemp), ...filesUnder(run.workspace)].map((f): [string, string] => [
      f,
      fs.readFileSync(f, 'latin1'),
    ]),
  ];
}

function expectNoLeaks(runs: ActionRun[], rec: Recorder | { calls(): string[][] }, needles: string[]): void {
  expect(runs.length).toBeGreaterThan(0);
  const hits = runs.flatMap((r) => leaksIn(placesOf(r, rec.calls()), needles));
  expect(hits).toEqual([]);
}

function tmp(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `rel-sec-${prefix}-`));
  cleanups.push(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

function track(run: ActionRun): ActionRun {
  cleanups.push(() => removeRunDirs(run));
  return run;
}

describe('push-mirror', () => {
  test('token and forgejo-token in a real push over HTTP leak nowhere (.git/config included)', async () => {
    requireTool('git');
    const token = canary('pm-token');
    const forgejoToken = canary('pm-forgejo');
    const server = await startGitServer({ token });
    cleanups.push(() => server.stop());
    const repos = createSourceRepos();
    cleanups.push(() => fs.rmSync(repos.base, { recursive: true, force: true }));
    server.createRepo('mirror');
    const rec = recorder(['git', 'ssh', 'curl'], { exec: true });
    cleanups.push(rec.cleanup);
    const run = track(
      await runAction({
        action: 'push-mirror',
        workspace: repos.clone,
        inputs: { 'remote-url': server.url('mirror'), token, 'forgejo-token': forgejoToken },
        env: { PATH: rec.path },
        timeoutMs: 60_000,
      }),
    );
    expect(run.exitCode).toBe(0);
    expect(run.outputs.verified).toBe('true');
    expect(rec.calls().length).toBeGreaterThan(2);
    const needles = [
      ...leakForms(token, [Buffer.from(`x-access-token:${token}`).toString('base64')]),
      ...leakForms(forgejoToken),
    ];
    expectNoLeaks([run], rec, needles);
    expect(fs.readFileSync(path.join(repos.clone, '.git', 'config'), 'utf8')).not.toMatch(/extraheader/i);
  });
});

describe('sops-stage-age-key', () => {
  test('age-key, ssh-key and known-hosts staged on the runner and over ssh leak nowhere', async () => {
    requireTool('age');
    const sshd = await startSshd();
    cleanups.push(() => sshd.stop());
    const key = ageKeygen();
    const hostsCanary = canary('sops-kh');
    const target = tmp('target');
    const ws = tmp('ws');
    fs.writeFileSync(path.join(ws, '.sops.yaml'), `creation_rules:\n  - age: ${key.recipient}\n`);
    fs.mkdirSync(path.join(ws, 'secrets'));
    fs.writeFileSync(
      path.join(ws, 'secrets', 'app.yaml'),
      sopsFile({ values: { token: 'abc' }, recipients: [key.recipient] }),
    );
    const rec = recorder(['ssh', 'scp', 'age', 'sops', 'sudo'], { exec: true });
    cleanups.push(rec.cleanup);
    const run = track(
      await runAction({
        action: 'sops-stage-age-key',
        workspace: ws,
        env: { PATH: rec.path },
        timeoutMs: 40_000,
        inputs: {
          'age-key': `# deploy key\n${key.identity}\n`,
          'verify-files': 'secrets/*.yaml',
          'target-host': 'root@127.0.0.1',
          'target-port': String(sshd.port),
          'target-path': path.join(target, 'key.txt'),
          'target-timeout': '20s',
          'ssh-key': sshd.userKey,
          'known-hosts': `${sshd.knownHostsLine} ${hostsCanary}`,
        },
      }),
    );
    expect(run.exitCode).toBe(0);
    expect(run.post?.exitCode).toBe(0);
    expect(rec.calls().some((c) => c[0] === 'ssh')).toBe(true);
    // The private key's body lines (the header/footer lines are not secret).
    const sshKeyLines = sshd.userKey.split('\n').filter((l) => l.length >= 16 && !l.startsWith('-----'));
    const needles = [
      ...leakForms(key.identity),
      ...leakForms(hostsCanary),
      ...leakForms(sshd.userKey),
      ...sshKeyLines,
    ];
    expectNoLeaks([run], rec, needles);
    // The one deliberate copy is the target file itself.
    expect(readAsRoot(path.join(target, 'key.txt'))).toContain(key.identity);
  });
});

describe('restic-restore-check', () => {
  test('password and env values through a sampled restore leak nowhere', async () => {
    const restic = requireTool('restic');
    const password = canary('restic-pw');
    const envSecret = canary('restic-env');
    const root = tmp('restic');
    const src = makeSource(root);
    const repo = path.join(root, 'repo');
    const env = { ...process.env, RESTIC_REPOSITORY: repo, RESTIC_PASSWORD: password };
    execFileSync(restic, ['init'], { env, stdio: 'ignore' });
    execFileSync(restic, ['backup', '--host', 'forgejo', src], { env, stdio: 'ignore' });
    const rec = recorder(['restic', 'sh', 'rclone'], { exec: true });
    cleanups.push(rec.cleanup);
    const run = track(
      await runAction({
        action: 'restic-restore-check',
        inputs: {
          repository: repo,
          password,
          env: `AWS_SECRET_ACCESS_KEY=${envSecret}`,
          'sample-files': '3',
          'compare-with': src,
          'compare-path': src,
          timeout: '60s',
        },
        env: { PATH: rec.path },
        timeoutMs: 90_000,
      }),
    );
    expect(run.exitCode).toBe(0);
    expect(rec.calls().some((c) => c[0] === 'restic')).toBe(true);
    expectNoLeaks([run], rec, [...leakForms(password), ...leakForms(envSecret)]);
  });
});

describe('k3s-verify', () => {
  const token = canary('k3s-token');
  let cert: ReturnType<typeof makeServingCert>;

  async function scenarioRun(
    scenario: Parameters<typeof rustdeskScenario>[0],
    inputs: Record<string, string>,
    shape: (kubeconfig: string) => string = (kc) => kc,
  ) {
    requireTool('kubectl');
    cert ??= makeServingCert();
    const api = await startKubeApiServer({
      scenario: rustdeskScenario(scenario),
      tls: { cert: cert.cert, key: cert.key },
      token,
    });
    cleanups.push(() => api.close());
    const rec = recorder(['kubectl'], { exec: true });
    cleanups.push(rec.cleanup);
    const run = track(
      await runAction({
        action: 'k3s-verify',
        inputs: {
          'kubeconfig-content': shape(k3sKubeconfig({ server: api.url, caData: cert.caData, token })),
          interval: '1s',
          timeout: '20s',
          ...inputs,
        },
        env: { PATH: rec.path },
        timeoutMs: 90_000,
      }),
    );
    return { run, rec };
  }

  test('a large valid kubeconfig-content (40 KB: many users, as an admin kubeconfig has) works and leaks nowhere', async () => {
    const users = Array.from(
      { length: 100 },
      (_, i) => `- name: ops-${i}\n  user:\n    token: ${canary(`k3s-extra-${i}`)}${'0'.repeat(330)}\n`,
    ).join('');
    const { run, rec } = await scenarioRun({}, { nodes: '1' }, (kc) => `${kc}${users}`);
    expect(run.exitCode).toBe(0);
    expectNoLeaks([run], rec, leakForms(token));
  });

  test('kubeconfig-content (bearer token) leaks nowhere, on success and on a crash loop with diagnostics', async () => {
    const ok = await scenarioRun({}, { workloads: 'deployment/rustdesk/hbbs', nodes: '1' });
    expect(ok.run.exitCode).toBe(0);
    const bad = await scenarioRun({ hbbsCrashLoop: true }, { workloads: 'deployment/rustdesk/hbbs' });
    expect(bad.run.exitCode).toBe(1);
    for (const { run, rec } of [ok, bad]) {
      expect(rec.calls().length).toBeGreaterThan(0);
      expectNoLeaks([run], rec, leakForms(token));
    }
  });
});

describe('colmena-apply', () => {
  test('a secret known-hosts (with a canary comment) leaks nowhere, colmena and ssh argv included', async () => {
    const KEY = 'AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';
    const hostsCanary = canary('colmena-kh');
    const h = createHive({
      nodes: {
        alpha: { tags: ['edge'], targetHost: 'alpha.example' },
        beta: { tags: ['edge'], targetHost: 'beta.example' },
      },
    });
    cleanups.push(() => h.cleanup());
    const rec = recorder(['colmena', 'ssh'], {
      exec: true,
      searchPath: `${STANDIN_DIR}:${process.env.PATH}`,
    });
    cleanups.push(rec.cleanup);
    const run = await h.run(
      {
        on: '@edge',
        'known-hosts': `alpha.example ssh-ed25519 ${KEY} ${hostsCanary}\nbeta.example ssh-ed25519 ${KEY}`,
      },
      { env: { PATH: rec.path } },
    );
    track(run);
    expect(run.exitCode).toBe(0);
    expect(rec.calls().some((c) => c[0] === 'colmena')).toBe(true);
    expectNoLeaks([run], rec, leakForms(hostsCanary));
  });
});

describe('tofu-plan-with-state-backup', () => {
  test('a sensitive variable and a sensitive output through apply, backup with an off-site copy and plan leak nowhere', async () => {
    const env = setupTofuEnv('rel-sec-tofu');
    cleanups.push(() => env.cleanup());
    const ws = env.workspace();
    const state = path.join(env.runnerHome, 'state', 'terraform.tfstate');
    const inputs = {
      'state-path': state,
      'backup-remote': `:local:${path.join(env.root, 'offsite')}`,
    };
    const first = await env.run(
      { ...inputs, mode: 'apply', 'var-files': env.varFile('a.tfvars', 'alpha') },
      { workspace: ws },
    );
    const second = await env.run(
      { ...inputs, mode: 'apply', 'var-files': env.varFile('b.tfvars', 'bravo') },
      { workspace: ws },
    );
    const plan = await env.run(
      { ...inputs, mode: 'plan', 'var-files': env.varFile('c.tfvars', 'charlie') },
      { workspace: ws },
    );
    for (const r of [first, second, plan]) track(r);
    expect([first.exitCode, second.exitCode, plan.exitCode]).toEqual([0, 0, 0]);
    expect(second.outputs['backup-archive']).toBeTruthy();
    expectNoLeaks([first, second, plan], env.recorder, leakForms(TOFU_CANARY));
    // Three action runs, each starting tofu and rclone several times: minutes on a loaded 2-core machine.
  }, 180_000);
});
