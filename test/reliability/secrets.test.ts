import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import type { InputSpecs } from '../../shared/inputs.js';
import {
  COLMENA_BAD_VALUES,
  COLMENA_CROSS_INPUT,
  COLMENA_KEY,
  K3S_BAD_INPUTS,
  K3S_EXPECT_YML,
  PUSH_MIRROR_BAD_INPUTS,
  RESTIC_BAD_INPUTS,
  SOPS_BAD_INPUTS,
  TOFU_BAD_INPUTS,
} from '../support/bad-input-cases.js';
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
import { makeSource, startRestServer } from '../support/restic-restore-check-fixtures.js';
import {
  errorLines,
  REPO_ROOT,
  runAction,
  withoutMaskCommands,
  type ActionRun,
} from '../support/run-action.js';
import { ageKeygen, sopsFile } from '../support/sops-stage-age-key-fixtures.js';
import { readAsRoot } from '../support/privileged.js';
import { startSshd } from '../support/sops-stage-age-key-sshd.js';
import { forgeEnv, startForgejoApi, type ForgejoStandin } from '../support/standins/forgejo-api/server.js';
import { rustdeskScenario } from '../support/standins/kube-apiserver/scenarios.js';
import { startKubeApiServer } from '../support/standins/kube-apiserver/server.js';
import { k3sKubeconfig, makeServingCert } from '../support/standins/kube-apiserver/tls.js';
import {
  CANARY as TOFU_CANARY,
  setupEnv as setupTofuEnv,
} from '../support/tofu-plan-with-state-backup-fixtures.js';
import { requireTool } from '../support/tools.js';
import { badValues } from './bad-input-values.js';
import { baselines } from './baselines.js';

/**
 * Issue 15 "also required": a canary in EVERY secret input and in every credential-bearing position of
 * the non-secret inputs (URL user-info, rclone connection strings, Nix access tokens), driven down each
 * action's success path and down every validation-failure path. After each run, post step included, no
 * canary and no base64 form of it may appear in the log as shown (the `::add-mask::` commands are
 * consumed by the runner), the step summary, the report, the outputs, the saved state, GITHUB_ENV
 * values, any file left under RUNNER_TEMP or the workspace (the runner's file-command files and
 * `.git/config` included), the argv of any child process (recording wrappers first on PATH for every
 * tool the action may start) or, with commit statuses on, a request the forge API stand-in received
 * (path and body; the token travels only in the Authorization header).
 *
 * Both lists are taken from the actions' input specs, never written down by hand: an action that
 * declares a secret input (`secretText()`, `.secret()`) or a credential-bearing one (`withCredentials`,
 * every `url()` input) fails the inventory tests below until this file feeds it a canary.
 */
const ACTIONS_DIR = path.join(REPO_ROOT, 'actions');
const ACTIONS = fs
  .readdirSync(ACTIONS_DIR)
  .filter((a) => fs.existsSync(path.join(ACTIONS_DIR, a, 'action.yml')))
  .sort();
const specsOf: Record<string, InputSpecs> = {};
for (const a of ACTIONS) {
  specsOf[a] = (
    (await import(path.join(ACTIONS_DIR, a, 'src', 'inputs.ts'))) as { inputs: InputSpecs }
  ).inputs;
}
const secretInputs = (a: string) => Object.keys(specsOf[a]).filter((n) => specsOf[a][n].isSecret);
const credentialInputs = (a: string) =>
  Object.keys(specsOf[a]).filter((n) => specsOf[a][n].credentials || specsOf[a][n].kind === 'url');

const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

const CANARIES = /CANARY-[a-z0-9-]+-7f3a9c/g;
const HAS_CANARY = /CANARY-[a-z0-9-]+-7f3a9c/;
function canary(tag: string): string {
  return `CANARY-${tag}-${Math.random().toString(36).slice(2, 10)}-7f3a9c`;
}

/** Every canary a run was given, with the forms a tool or our code may print it in. */
function needlesOf(inputs: Record<string, string>, extra: string[] = []): string[] {
  const text = [...Object.values(inputs), ...extra].join('\n');
  const found = new Set(text.match(CANARIES) ?? []);
  const pairs = [...text.matchAll(/\/\/([^/@:\s]*):(CANARY-[a-z0-9-]+-7f3a9c)@/g)].map(([, u, p]) =>
    Buffer.from(`${u}:${p}`).toString('base64'),
  );
  return [...[...found].flatMap((c) => leakForms(c)), ...pairs];
}

/** Every place a run leaves text, after its post step. */
function placesOf(run: ActionRun, argv: string[][], forge?: ForgejoStandin): [string, string][] {
  return [
    ['log', withoutMaskCommands(run.log)],
    ['summary', run.summary],
    ['report', JSON.stringify(run.report ?? {})],
    ['outputs', JSON.stringify(run.outputs)],
    ['state', JSON.stringify(run.state)],
    ['GITHUB_ENV values', JSON.stringify(Object.values(run.exportedEnv))],
    ['argv', JSON.stringify(argv)],
    ['forge requests', JSON.stringify((forge?.requests ?? []).map((q) => [q.path, q.body]))],
    ...[...filesUnder(run.runnerTemp), ...filesUnder(run.workspace)].map((f): [string, string] => [
      f,
      fs.readFileSync(f, 'latin1'),
    ]),
  ];
}

function expectNoLeaks(
  runs: ActionRun[],
  rec: Recorder | { calls(): string[][] },
  needles: string[],
  forge?: ForgejoStandin,
): void {
  expect(runs.length).toBeGreaterThan(0);
  expect(needles.length).toBeGreaterThan(0);
  const hits = runs.flatMap((r) => leaksIn(placesOf(r, rec.calls(), forge), needles));
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

// ---------------------------------------------------------------------------------------------------
// Success paths: one run per action (tofu: three, k3s: a passing and a failing check) with every secret
// input holding a canary and commit statuses on, so the forge token is used for real.
// ---------------------------------------------------------------------------------------------------

/** The inputs each success run was given, for the inventory check at the end. */
const fedOnSuccess: Record<string, Record<string, string>[]> = {};
function fed(action: string, inputs: Record<string, string>): Record<string, string> {
  (fedOnSuccess[action] ??= []).push(inputs);
  return inputs;
}

/** A forge API stand-in that accepts only `token`, and the runner environment pointing at it. */
async function forgeFor(
  token: string,
): Promise<{ api: ForgejoStandin; env: Record<string, string>; token: string }> {
  const api = await startForgejoApi({ token, repository: 'ops/infra' });
  cleanups.push(() => api.stop());
  const env: Record<string, string> = { FORGEJO_ACTIONS: 'true', GITHUB_REPOSITORY: 'ops/infra' };
  for (const [k, v] of Object.entries(forgeEnv(api))) if (v !== undefined) env[k] = v;
  return { api, env, token };
}

/** The forge token did its job: the action set its commit statuses with it. */
function expectStatusesSet(api: ForgejoStandin): void {
  expect(api.statuses.length).toBeGreaterThanOrEqual(2);
}

describe('success paths', () => {
  test('push-mirror: token, source-token, forgejo-token and forge-token through a real push over HTTP', async () => {
    requireTool('git');
    const token = canary('pm-token');
    const forge = await forgeFor(canary('pm-forge'));
    const server = await startGitServer({ token });
    cleanups.push(() => server.stop());
    const repos = createSourceRepos();
    cleanups.push(() => fs.rmSync(repos.base, { recursive: true, force: true }));
    server.createRepo('mirror');
    const rec = recorder(['git', 'git-lfs', 'ssh', 'curl'], { exec: true });
    cleanups.push(rec.cleanup);
    const inputs = fed('push-mirror', {
      'remote-url': server.url('mirror'),
      token,
      'source-token': canary('pm-source'),
      'forgejo-token': canary('pm-forgejo'),
      'commit-status': 'true',
      'forge-token': forge.token,
    });
    const run = track(
      await runAction({
        action: 'push-mirror',
        workspace: repos.clone,
        inputs,
        env: { ...forge.env, PATH: rec.path },
        timeoutMs: 60_000,
      }),
    );
    expect(run.exitCode).toBe(0);
    expect(run.outputs.verified).toBe('true');
    expect(rec.calls().length).toBeGreaterThan(2);
    expectStatusesSet(forge.api);
    const needles = [...needlesOf(inputs), Buffer.from(`x-access-token:${token}`).toString('base64')];
    expectNoLeaks([run], rec, needles, forge.api);
    expect(fs.readFileSync(path.join(repos.clone, '.git', 'config'), 'utf8')).not.toMatch(/extraheader/i);
  });

  test('sops-stage-age-key: age-key, ssh-key, known-hosts and forge-token, staged on the runner and over ssh', async () => {
    requireTool('age');
    const sshd = await startSshd();
    cleanups.push(() => sshd.stop());
    const key = ageKeygen();
    const forge = await forgeFor(canary('sops-forge'));
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
    const inputs = fed('sops-stage-age-key', {
      'age-key': `# deploy key\n${key.identity}\n`,
      'verify-files': 'secrets/*.yaml',
      'target-host': 'root@127.0.0.1',
      'target-port': String(sshd.port),
      'target-path': path.join(target, 'key.txt'),
      'target-timeout': '20s',
      'ssh-key': sshd.userKey,
      'known-hosts': `${sshd.knownHostsLine} ${canary('sops-kh')}`,
      'commit-status': 'true',
      'forge-token': forge.token,
    });
    const run = track(
      await runAction({
        action: 'sops-stage-age-key',
        workspace: ws,
        env: { ...forge.env, PATH: rec.path },
        timeoutMs: 40_000,
        inputs,
      }),
    );
    expect(run.exitCode).toBe(0);
    expect(run.post?.exitCode).toBe(0);
    expect(rec.calls().some((c) => c[0] === 'ssh')).toBe(true);
    expectStatusesSet(forge.api);
    // The private key's body lines (the header/footer lines are not secret).
    const sshKeyLines = sshd.userKey.split('\n').filter((l) => l.length >= 16 && !l.startsWith('-----'));
    const needles = [
      ...needlesOf(inputs),
      ...leakForms(key.identity),
      ...leakForms(sshd.userKey),
      ...sshKeyLines,
    ];
    expectNoLeaks([run], rec, needles, forge.api);
    // The one deliberate copy is the target file itself.
    expect(readAsRoot(path.join(target, 'key.txt'))).toContain(key.identity);
  });

  test('restic-restore-check: the password in a rest: URL, password, env and forge-token through a sampled restore', async () => {
    requireTool('restic');
    requireTool('rclone');
    const urlPassword = canary('restic-url');
    const password = canary('restic-pw');
    const root = tmp('restic');
    const src = makeSource(root);
    const served = path.join(root, 'served');
    fs.mkdirSync(served);
    // The repository is made through the REST server (no auth yet), then served with a canary password.
    const open = await startRestServer(served);
    try {
      execFileSync('restic', ['init', '--repo', `rest:${open.url}/edge`], {
        env: { ...process.env, RESTIC_PASSWORD: password },
        stdio: 'ignore',
      });
      execFileSync('restic', ['backup', '--repo', `rest:${open.url}/edge`, '--host', 'forgejo', src], {
        env: { ...process.env, RESTIC_PASSWORD: password },
        stdio: 'ignore',
      });
    } finally {
      await open.stop();
    }
    const server = await startRestServer(served, { user: 'backup', pass: urlPassword });
    cleanups.push(() => server.stop());
    const forge = await forgeFor(canary('restic-forge'));
    const rec = recorder(['restic', 'sh', 'rclone'], { exec: true });
    cleanups.push(rec.cleanup);
    const inputs = fed('restic-restore-check', {
      repository: `rest:${server.url.replace('http://', 'http://backup:' + urlPassword + '@')}/edge`,
      password,
      env: `AWS_SECRET_ACCESS_KEY=${canary('restic-env')}`,
      'sample-files': '3',
      'compare-with': src,
      'compare-path': src,
      timeout: '60s',
      'commit-status': 'true',
      'forge-token': forge.token,
    });
    const run = track(
      await runAction({
        action: 'restic-restore-check',
        inputs,
        env: { ...forge.env, PATH: rec.path },
        timeoutMs: 90_000,
      }),
    );
    expect(run.exitCode).toBe(0);
    expect(rec.calls().some((c) => c[0] === 'restic')).toBe(true);
    expect(run.report?.inputs).toMatchObject({ repository: expect.stringContaining('backup:***@') });
    expectStatusesSet(forge.api);
    expectNoLeaks([run], rec, needlesOf(inputs), forge.api);
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
      const forge = await forgeFor(canary('k3s-forge'));
      const rec = recorder(['kubectl'], { exec: true });
      cleanups.push(rec.cleanup);
      const given = fed('k3s-verify', {
        'kubeconfig-content': shape(k3sKubeconfig({ server: api.url, caData: cert.caData, token })),
        interval: '1s',
        timeout: '20s',
        'commit-status': 'true',
        'forge-token': forge.token,
        ...inputs,
      });
      const run = track(
        await runAction({
          action: 'k3s-verify',
          inputs: given,
          env: { ...forge.env, PATH: rec.path },
          timeoutMs: 90_000,
        }),
      );
      expectStatusesSet(forge.api);
      return { run, rec, forge, needles: needlesOf(given) };
    }

    test('a large valid kubeconfig-content (40 KB: many users, as an admin kubeconfig has) works and leaks nowhere', async () => {
      const users = Array.from(
        { length: 100 },
        (_, i) => `- name: ops-${i}\n  user:\n    token: ${canary(`k3s-extra-${i}`)}${'0'.repeat(330)}\n`,
      ).join('');
      const { run, rec, forge, needles } = await scenarioRun({}, { nodes: '1' }, (kc) => `${kc}${users}`);
      expect(run.exitCode).toBe(0);
      expectNoLeaks([run], rec, needles, forge.api);
    });

    test('kubeconfig-content (bearer token) leaks nowhere, on success and on a crash loop with diagnostics', async () => {
      const ok = await scenarioRun({}, { workloads: 'deployment/rustdesk/hbbs', nodes: '1' });
      expect(ok.run.exitCode).toBe(0);
      const bad = await scenarioRun({ hbbsCrashLoop: true }, { workloads: 'deployment/rustdesk/hbbs' });
      expect(bad.run.exitCode).toBe(1);
      for (const { run, rec, forge, needles } of [ok, bad]) {
        expect(rec.calls().length).toBeGreaterThan(0);
        expectNoLeaks([run], rec, needles, forge.api);
      }
    });
  });

  test('colmena-apply: a secret known-hosts and forge-token, colmena and ssh argv included', async () => {
    const h = createHive({
      nodes: {
        alpha: { tags: ['edge'], targetHost: 'alpha.example' },
        beta: { tags: ['edge'], targetHost: 'beta.example' },
      },
    });
    cleanups.push(() => h.cleanup());
    const forge = await forgeFor(canary('colmena-forge'));
    const rec = recorder(['colmena', 'ssh'], {
      exec: true,
      searchPath: `${STANDIN_DIR}:${process.env.PATH}`,
    });
    cleanups.push(rec.cleanup);
    const inputs = fed('colmena-apply', {
      on: '@edge',
      'known-hosts': `alpha.example ssh-ed25519 ${COLMENA_KEY} ${canary('colmena-kh')}\nbeta.example ssh-ed25519 ${COLMENA_KEY}`,
      'commit-status': 'true',
      'forge-token': forge.token,
    });
    const run = await h.run(inputs, { env: { ...forge.env, PATH: rec.path } });
    track(run);
    expect(run.exitCode).toBe(0);
    expect(rec.calls().some((c) => c[0] === 'colmena')).toBe(true);
    expectStatusesSet(forge.api);
    expectNoLeaks([run], rec, needlesOf(inputs), forge.api);
  });

  test('tofu-plan-with-state-backup: forge-token, a sensitive variable and a sensitive output through apply, backup with an off-site copy and plan', async () => {
    const env = setupTofuEnv('rel-sec-tofu');
    cleanups.push(() => env.cleanup());
    const forge = await forgeFor(canary('tofu-forge'));
    const ws = env.workspace();
    const state = path.join(env.runnerHome, 'state', 'terraform.tfstate');
    const inputs = fed('tofu-plan-with-state-backup', {
      'state-path': state,
      'backup-remote': `:local:${path.join(env.root, 'offsite')}`,
      'commit-status': 'true',
      'forge-token': forge.token,
    });
    const o = { workspace: ws, env: forge.env };
    const first = await env.run(
      { ...inputs, mode: 'apply', 'var-files': env.varFile('a.tfvars', 'alpha') },
      o,
    );
    const second = await env.run(
      { ...inputs, mode: 'apply', 'var-files': env.varFile('b.tfvars', 'bravo') },
      o,
    );
    const plan = await env.run(
      { ...inputs, mode: 'plan', 'var-files': env.varFile('c.tfvars', 'charlie') },
      o,
    );
    for (const r of [first, second, plan]) track(r);
    expect([first.exitCode, second.exitCode, plan.exitCode]).toEqual([0, 0, 0]);
    expect(second.outputs['backup-archive']).toBeTruthy();
    expectStatusesSet(forge.api);
    expectNoLeaks(
      [first, second, plan],
      env.recorder,
      [...needlesOf(inputs), ...leakForms(TOFU_CANARY)],
      forge.api,
    );
    // Three action runs, each starting tofu and rclone several times: minutes on a loaded 2-core machine.
  }, 180_000);

  test('every secret input of every action was given a canary on its success path', () => {
    const missing = ACTIONS.flatMap((a) =>
      secretInputs(a)
        .filter(
          (n) =>
            !(fedOnSuccess[a] ?? []).some(
              (inputs) => HAS_CANARY.test(inputs[n] ?? '') || isSecretFixture(a, n, inputs[n]),
            ),
        )
        .map((n) => `${a}: ${n}`),
    );
    expect(missing).toEqual([]);
  });
});

/**
 * Secret inputs whose success-path value is a real secret the test generated rather than a canary (an
 * age identity, an ssh private key): those are searched for themselves.
 */
function isSecretFixture(action: string, input: string, value: string | undefined): boolean {
  if (!value) return false;
  if (action === 'sops-stage-age-key' && input === 'age-key') return /AGE-SECRET-KEY-1/.test(value);
  if (action === 'sops-stage-age-key' && input === 'ssh-key') return /PRIVATE KEY-----/.test(value);
  return false;
}

// ---------------------------------------------------------------------------------------------------
// Validation-failure paths: every action's valid baseline (baselines.ts) plus a canary in every secret
// input, then each failure case on top. The cases: the action's bad-input table (one bad value per input
// and the rules across inputs, shared with its own bad-input test), a generated bad value for every input
// the table leaves out, canary-bearing bad values for every secret input, and a canary in every
// credential-bearing position (most of which the action refuses, so they are failure paths too).
// ---------------------------------------------------------------------------------------------------

interface FailureCase {
  /** The input the one error line must name. */
  input: string;
  why: string;
  inputs: Record<string, string>;
}

interface Fixture {
  root: string;
  workspace: string;
  inputs: Record<string, string>;
  env: Record<string, string | undefined>;
  searchPath?: string;
}

/** Canaries in every secret input, on top of the baseline: still a valid run. */
const SECRET_CANARIES: Record<string, (f: Fixture) => Record<string, string>> = {
  'colmena-apply': () => ({
    'known-hosts': `alpha ssh-ed25519 ${COLMENA_KEY} ${canary('colmena-kh')}`,
    'forge-token': canary('colmena-forge'),
  }),
  'k3s-verify': () => ({
    'kubeconfig-content': k3sKubeconfig({
      server: 'https://127.0.0.1:6443',
      caData: 'Y2E=',
      token: canary('k3s-token'),
    }),
    'forge-token': canary('k3s-forge'),
  }),
  'push-mirror': () => ({
    token: canary('pm-token'),
    'source-token': canary('pm-source'),
    'forgejo-token': canary('pm-forgejo'),
    'forge-token': canary('pm-forge'),
  }),
  'restic-restore-check': () => ({
    password: canary('restic-pw'),
    env: `AWS_SECRET_ACCESS_KEY=${canary('restic-env')}\nRESTIC_REST_PASSWORD=${canary('restic-rest')}`,
    'forge-token': canary('restic-forge'),
  }),
  'sops-stage-age-key': () => ({
    'ssh-key': `-----BEGIN OPENSSH PRIVATE KEY-----\n${canary('sops-ssh')}\n-----END OPENSSH PRIVATE KEY-----\n`,
    'known-hosts': `[127.0.0.1]:1 ssh-ed25519 ${COLMENA_KEY} ${canary('sops-kh')}`,
    'forge-token': canary('sops-forge'),
  }),
  'tofu-plan-with-state-backup': () => ({ 'forge-token': canary('tofu-forge') }),
};

/**
 * A canary in every credential-bearing position of a non-secret input (and in the parts of a secret
 * input that are registered as derived forms). Each value must be one the input's spec registers the
 * canary from (`withCredentials`), checked below, so dropping a registration fails this file twice.
 */
const CREDENTIAL_POSITIONS: Record<string, Record<string, (f: Fixture) => FailureCase[]>> = {
  'colmena-apply': {
    config: () => [
      {
        input: 'config',
        why: 'a flake URI with a password',
        inputs: { config: `git+https://ops:${canary('flake-pw')}@forgejo.example.org/ops/hive` },
      },
      {
        input: 'config',
        why: 'a flake URI with a token as the user',
        inputs: { config: `git+https://${canary('flake-user')}@forgejo.example.org/ops/hive` },
      },
    ],
    'nix-options': () => [
      nix(
        'access-tokens',
        `max-jobs=4\naccess-tokens=github.com=${canary('nix-at')} gitlab.com=PAT:${canary('nix-gl')}`,
      ),
      nix('extra-access-tokens', `extra-access-tokens = github.com=${canary('nix-eat')}`),
      nix(
        'a substituter URL with a password',
        `substituters = https://cache:${canary('nix-url')}@cache.example.org`,
      ),
    ],
  },
  'k3s-verify': {
    server: () => [
      {
        input: 'server',
        why: 'a password in the URL',
        inputs: { server: `https://admin:${canary('k3s-url')}@127.0.0.1:6443` },
      },
      {
        input: 'server',
        why: 'a token as the URL user',
        inputs: { server: `https://${canary('k3s-user')}@127.0.0.1:6443` },
      },
    ],
  },
  'push-mirror': {
    'remote-url': () => [
      {
        input: 'remote-url',
        why: 'a password in the URL',
        inputs: {
          'remote-url': `https://x-access-token:${canary('pm-url')}@mirror.example.org/ops/infra.git`,
        },
      },
      {
        input: 'remote-url',
        why: 'a token as the URL user',
        inputs: { 'remote-url': `https://${canary('pm-url-user')}@mirror.example.org/ops/infra.git` },
      },
    ],
    'forgejo-url': () => [
      {
        input: 'forgejo-url',
        why: 'a password in the Forgejo URL',
        inputs: {
          mode: 'forgejo-sync',
          'forgejo-url': `https://ops:${canary('pm-fj-url')}@forgejo.example.org`,
        },
      },
    ],
  },
  'restic-restore-check': {
    repository: () => [
      // Issue 15.1's reproduction, and the other checks that used to run before the URL was registered.
      ...[
        ['no password input', { password: '' }, 'password'],
        ['a reserved variable in env', { env: `RESTIC_PASSWORD=${canary('restic-reserved')}` }, 'env'],
        ['compare-path without compare-with', { 'compare-path': '/srv' }, 'compare-path'],
        ['a bad read-data-subset', { 'read-data-subset': '3/2' }, 'read-data-subset'],
      ].map(([why, extra, input]) => ({
        input: input as string,
        why: `rest: URL with a password, ${why as string}`,
        inputs: {
          repository: `rest:https://backup:${canary('restic-url')}@restic.example.net:8000/edge`,
          ...(extra as Record<string, string>),
        },
      })),
      {
        input: 'repository',
        why: 'an rclone: connection string with a secret (refused)',
        inputs: {
          repository: `rclone::s3,access_key_id=AKIAEXAMPLE,secret_access_key=${canary('restic-rclone')}:bucket/edge`,
        },
      },
    ],
    password: () => [
      {
        input: 'password',
        why: 'a password with a newline',
        inputs: { password: `${canary('restic-pw1')}\n${canary('restic-pw2')}` },
      },
    ],
    'password-file': (f) => {
      const file = path.join(f.root, 'restic-password');
      fs.writeFileSync(file, `${canary('restic-pwfile')}\n`, { mode: 0o600 });
      return [
        {
          input: 'password',
          why: 'two password inputs (the file holds a canary)',
          inputs: { 'password-file': file },
        },
      ];
    },
    env: () => [
      {
        input: 'env',
        why: 'a reserved variable beside a secret value',
        inputs: { env: `B2_ACCOUNT_KEY=${canary('restic-b2')}\nRESTIC_PASSWORD_FILE=/etc/hostname` },
      },
    ],
  },
  'tofu-plan-with-state-backup': {
    'backup-remote': () => [
      tofu('backup-remote', 's3 keys in a connection string', {
        'backup-remote': `:s3,provider=AWS,access_key_id=AKIAEXAMPLE,secret_access_key=${canary('tofu-s3')}:bucket/state`,
      }),
      tofu('backup-remote', 'a crypt password', {
        'backup-remote': `:crypt,remote=/srv/x,password=${canary('tofu-crypt')}:`,
      }),
      tofu('backup-remote', 'a URL with a password inside a parameter', {
        'backup-remote': `:webdav,url='https://ops:${canary('tofu-dav')}@dav.example.org',vendor=other:state`,
      }),
    ],
    'restore-from': () => [
      tofu('restore-from', 'an sftp password in the archive path', {
        mode: 'restore',
        'restore-from': `:sftp,host=backup.example.org,pass=${canary('tofu-sftp')}:archives/x.tar.gz`,
      }),
    ],
  },
};

function nix(why: string, value: string): FailureCase {
  return { input: 'nix-options', why, inputs: { 'nix-options': value } };
}

function tofu(input: string, why: string, inputs: Record<string, string>): FailureCase {
  return { input, why, inputs };
}

/** Bad values for a secret input that carry canaries: more lines than it takes, too long, malformed. */
function secretBadValues(action: string, input: string): FailureCase[] {
  const multiline = `${canary(`${input}-l1`)}\n${canary(`${input}-l2`)}`;
  const out: FailureCase[] = [
    { input, why: 'two canary lines (malformed)', inputs: { [input]: multiline } },
    {
      input,
      why: 'a canary, then too long',
      inputs: { [input]: `${canary(`${input}-long`)}${'x'.repeat(70_000)}` },
    },
  ];
  // Malformed the way each format can be, with a canary where a secret part would be.
  const malformed: Record<string, string> = {
    // Parsed, but its context names a cluster it does not have: refused after parsing.
    'k3s-verify/kubeconfig-content': [
      'apiVersion: v1',
      'current-context: edge',
      'contexts: [{name: edge, context: {cluster: missing, user: ci}}]',
      `users: [{name: ci, user: {token: ${canary('k3s-partial')}}}]`,
      '',
    ].join('\n'),
    'k3s-verify/kubeconfig-content#yaml': `users: [\n  - {token: ${canary('k3s-broken')}`,
    'sops-stage-age-key/age-key': `AGE-SECRET-KEY-1${canary('age').toUpperCase()}`,
    'sops-stage-age-key/known-hosts': `just garbage ${canary('sops-kh-bad')}`,
    'colmena-apply/known-hosts': `alpha ssh-ed25519 bm90LWEta2V5 ${canary('colmena-kh-bad')}`,
  };
  for (const [key, value] of Object.entries(malformed))
    if (key.split('#')[0] === `${action}/${input}`)
      out.push({ input, why: `malformed ${key}`, inputs: { [input]: value } });
  return out;
}

/** The action's bad-input table, as cases. */
function tableCases(action: string): FailureCase[] {
  const pairs = (list: [string, Record<string, string>][]) =>
    list.map(([input, inputs]) => ({ input, why: `table: ${JSON.stringify(inputs).slice(0, 60)}`, inputs }));
  switch (action) {
    case 'colmena-apply':
      return [
        ...COLMENA_BAD_VALUES.map(([i, v]): [string, Record<string, string>] => [i, { [i]: v }]),
        ...COLMENA_CROSS_INPUT,
      ].map(([input, inputs]) => ({ input, why: `table: ${JSON.stringify(inputs).slice(0, 60)}`, inputs }));
    case 'k3s-verify':
      return pairs(K3S_BAD_INPUTS);
    case 'push-mirror':
      return PUSH_MIRROR_BAD_INPUTS.map((c) => ({
        input: c.input,
        why: `table: ${c.why}`,
        inputs: { ...(c.extra ?? {}), [c.input]: c.value },
      }));
    case 'restic-restore-check':
      return pairs(RESTIC_BAD_INPUTS);
    case 'sops-stage-age-key':
      return pairs(SOPS_BAD_INPUTS);
    case 'tofu-plan-with-state-backup':
      return pairs(TOFU_BAD_INPUTS);
    default:
      throw new Error(`${action} has no bad-input table: add one to test/support/bad-input-cases.ts`);
  }
}

function failureCases(action: string, f: Fixture): FailureCase[] {
  const table = tableCases(action);
  const covered = new Set(table.map((c) => c.input));
  // No runner can put NUL into an environment variable: bad-input.test.ts checks those in-process.
  const generated = badValues(specsOf[action])
    .filter((b) => !b.value.includes('\u0000') && !covered.has(b.input))
    .filter((b, i, all) => all.findIndex((o) => o.input === b.input) === i)
    .map((b) => ({ input: b.input, why: `generated: ${b.why}`, inputs: { [b.input]: b.value } }));
  const secrets = secretInputs(action).flatMap((n) => secretBadValues(action, n));
  const credentials = Object.values(CREDENTIAL_POSITIONS[action] ?? {}).flatMap((make) => make(f));
  return [...table, ...generated, ...secrets, ...credentials];
}

function fixtureFor(action: string): Fixture {
  const baseline = baselines[action];
  const root = tmp(`fail-${action}`);
  const setup = baseline.setup(root);
  // What the action's own table expects in the workspace.
  if (action === 'k3s-verify') fs.writeFileSync(path.join(setup.workspace, 'expect.yml'), K3S_EXPECT_YML);
  const f: Fixture = {
    root,
    workspace: setup.workspace,
    inputs: setup.inputs,
    env: setup.env ?? {},
    searchPath: setup.searchPath,
  };
  // kubeconfig-content replaces the baseline's kubeconfig file (both at once is a valid run as well, but
  // the content is what must not leak).
  if (action === 'k3s-verify') delete f.inputs.kubeconfig;
  f.inputs = { ...f.inputs, ...SECRET_CANARIES[action](f) };
  return f;
}

const PARALLEL = 4;
const STACK = /\n\s+at .+:\d+:\d+\)?(\n|$)/;

describe('inventory', () => {
  test('every secret input of every action gets a canary on the failure paths', () => {
    const missing = ACTIONS.flatMap((a) => {
      const given = SECRET_CANARIES[a]?.({ root: '', workspace: '', inputs: {}, env: {} }) ?? {};
      return secretInputs(a)
        .filter((n) => !HAS_CANARY.test(given[n] ?? '') && !(a === 'sops-stage-age-key' && n === 'age-key'))
        .map((n) => `${a}: ${n} (add it to SECRET_CANARIES)`);
    });
    expect(missing).toEqual([]);
  });

  test('every credential-bearing input has canary positions, and its spec registers each canary', () => {
    const problems: string[] = [];
    const root = tmp('inventory');
    for (const a of ACTIONS) {
      const positions = CREDENTIAL_POSITIONS[a] ?? {};
      for (const n of credentialInputs(a))
        if (!positions[n]) problems.push(`${a}: ${n} bears credentials but has no canary position`);
      for (const [n, make] of Object.entries(positions)) {
        for (const c of make({ root, workspace: root, inputs: {}, env: {} })) {
          for (const [input, value] of Object.entries(c.inputs)) {
            const spec = specsOf[a][input];
            const wanted = value.match(CANARIES) ?? [];
            if (!spec) problems.push(`${a}: ${input} is not an input`);
            else if (wanted.length === 0 || spec.isSecret) continue;
            else if (!spec.credentials) problems.push(`${a}: ${input} (${n}) registers no credentials`);
            else {
              const found = spec.credentials(value).join('\n');
              for (const w of wanted)
                if (!found.includes(w)) problems.push(`${a}: ${input} does not register ${w} (${c.why})`);
            }
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });
});

describe.each(ACTIONS)('validation failures of %s', (action) => {
  test('every failure path, a canary in every secret input and credential position: nothing leaks', async () => {
    const f = fixtureFor(action);
    const baseline = baselines[action];
    const searchPath = [f.searchPath, process.env.PATH].filter(Boolean).join(':');
    const rec = recorder(baseline.tools, { exec: false, searchPath });
    cleanups.push(rec.cleanup);
    const home = path.join(f.root, 'home');
    fs.mkdirSync(home, { recursive: true });
    const cases = failureCases(action, f);
    const problems: string[] = [];
    const queue = [...cases];
    let leakChecks = 0;
    const worker = async () => {
      for (let c = queue.shift(); c; c = queue.shift()) {
        const inputs = { ...f.inputs, ...c.inputs };
        // The table's kubeconfig-file cases are about the file: the content would take its place.
        if (action === 'k3s-verify' && c.inputs.kubeconfig) delete inputs['kubeconfig-content'];
        const run = await runAction({
          action,
          workspace: f.workspace,
          inputs,
          env: { ...f.env, PATH: rec.path, HOME: home, FORGEJO_TOKEN: undefined, GITHUB_TOKEN: undefined },
          timeoutMs: 60_000,
        });
        const needles = [
          ...needlesOf(inputs, action === 'restic-restore-check' ? restFileCanaries(inputs) : []),
          ...secretLines(action, inputs),
        ];
        const errors = errorLines(run.log);
        const where = `${c.input} (${c.why})`;
        if (run.exitCode !== 1 || run.outputs['failure-reason'] !== 'invalid-input')
          problems.push(
            `${where}: exit ${run.exitCode}, ${run.outputs['failure-reason']} — ${errors.join(' | ').slice(0, 200)}`,
          );
        else if (errors.length !== 1 || !errors[0].includes(`'${c.input}'`))
          problems.push(`${where}: error does not name it — ${errors.join(' | ').slice(0, 200)}`);
        if (STACK.test(run.log)) problems.push(`${where}: stack trace in the log`);
        for (const hit of leaksIn(placesOf(run, rec.calls()), needles)) problems.push(`${where}: ${hit}`);
        if (needles.length > 0) leakChecks++;
        removeRunDirs(run);
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    expect(problems).toEqual([]);
    // Every case ran with canaries (the secret inputs hold them even when the case is about another input).
    expect(leakChecks).toBe(cases.length);
    // Validation alone: no tool started, so no argv could carry a canary either.
    expect(rec.calls()).toEqual([]);
  }, 600_000);
});

/**
 * The lines of the secret inputs a run was given (a table's bad value for a secret input carries no
 * canary: its own lines must not show either), except for kubeconfig-content, which is mostly structure
 * (`apiVersion: v1`) and registered by its credential parts.
 */
function secretLines(action: string, inputs: Record<string, string>): string[] {
  return secretInputs(action)
    .filter((n) => specsOf[action][n].secretLines !== false && inputs[n])
    .flatMap((n) => inputs[n].split('\n').map((l) => l.trim()))
    .filter((l) => l.length >= 8 && !l.startsWith('#') && !l.startsWith('-----'));
}

/** The canary inside a password file a case points at (the file's content is what must not leak). */
function restFileCanaries(inputs: Record<string, string>): string[] {
  const file = inputs['password-file'];
  return file && fs.existsSync(file) ? [fs.readFileSync(file, 'utf8')] : [];
}
