import { execFileSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHive, STANDIN_DIR } from '../support/colmena-apply-hive.js';
import { startGitServer, type GitServer } from '../support/push-mirror-git-server.js';
import { commit, createSourceRepos, git, refsOf } from '../support/push-mirror-repos.js';
import {
  fillUp,
  filesUnder,
  liveGroupMembers,
  mountReadOnly,
  mountTmpfs,
  processesMatching,
  recorder,
  unmount,
  type Recorder,
  removeRunDirs,
} from '../support/reliability-tools.js';
import { PASSWORD, backup, initRepo, makeSource, restic } from '../support/restic-restore-check-fixtures.js';
import { errorLines, runAction, type ActionRun } from '../support/run-action.js';
import { ageKeygen } from '../support/sops-stage-age-key-fixtures.js';
import { startSshd, type TestSshd } from '../support/sops-stage-age-key-sshd.js';
import { rustdeskScenario } from '../support/standins/kube-apiserver/scenarios.js';
import { startKubeApiServer } from '../support/standins/kube-apiserver/server.js';
import { k3sKubeconfig, makeServingCert } from '../support/standins/kube-apiserver/tls.js';
import {
  archivesIn,
  readState,
  setupEnv as setupTofuEnv,
  sha256sumCheck,
  type Env as TofuEnv,
} from '../support/tofu-plan-with-state-backup-fixtures.js';
import { requireTool } from '../support/tools.js';

/**
 * Faults across the suite: SIGTERM/SIGINT in the middle of a tofu apply, a state backup, a push and a
 * restic restore; full and read-only file systems (tmpfs and read-only bind mounts, so these tests need
 * root) for the backup directory, RUNNER_TEMP and the key directory; and tools that hang until the
 * action's own timeout kills them.
 *
 * "During" is made reliable with a wrapper first on PATH that writes its pid (the tool's process group
 * leader, as every tool runs in its own group) to a marker and sleeps before exec'ing the real tool; the
 * signal goes to the action once the marker exists, exactly as the runner sends it to the main process.
 */
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rel-faults-'));
const recorders: Recorder[] = [];
const mounts: string[] = [];
const runs: ActionRun[] = [];

afterAll(() => {
  for (const m of mounts.reverse()) unmount(m);
  for (const r of recorders) r.cleanup();
  for (const r of runs) removeRunDirs(r);
  fs.rmSync(root, { recursive: true, force: true });
});

let n = 0;
function dir(name: string): string {
  const d = path.join(root, `${name}-${++n}`);
  fs.mkdirSync(d, { recursive: true });
  return d;
}

/** A wrapper for `tool` that, when `word` is one of its arguments, records its pid in `marker` and sleeps. */
function slowTool(tool: string, word: string, marker: string, searchPath?: string): Recorder {
  const rec = recorder([tool], {
    exec: true,
    searchPath,
    before: {
      [tool]: `for a in "$@"; do if [ "$a" = ${JSON.stringify(word)} ]; then echo $$ > ${JSON.stringify(marker)}; sleep 47; break; fi; done`,
    },
  });
  recorders.push(rec);
  return rec;
}

/** Sends `signal` to the action's main process once `marker` exists. */
function signalWhen(marker: string, signal: NodeJS.Signals): (child: ChildProcess) => void {
  return (child) => {
    const poll = setInterval(() => {
      if (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8').trim() !== '') {
        clearInterval(poll);
        child.kill(signal);
      }
    }, 50);
    child.on('exit', () => clearInterval(poll));
  };
}

function markerPid(marker: string): number {
  return Number(fs.readFileSync(marker, 'utf8').trim());
}

function expectCancelled(r: ActionRun, marker: string): void {
  runs.push(r);
  if (process.env.REL_DEBUG) console.log(errorLines(r.log).join('\n'), r.outputs['failure-reason']);
  expect(fs.existsSync(marker)).toBe(true);
  expect(r.exitCode).toBe(1);
  expect(errorLines(r.log)).toHaveLength(1);
  expect(r.log).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);
  // The tool's whole process group (the wrapper and its sleep) is gone.
  expect(liveGroupMembers(markerPid(marker))).toEqual([]);
}

/** Called last in a test, so that the consistency checks run even when an action reports a failure instead. */
function expectReportedCancelled(r: ActionRun): void {
  expect({ status: r.report?.status, error: errorLines(r.log)[0] }).toEqual({
    status: 'cancelled',
    error: expect.stringMatching(/cancelled/),
  });
}

function expectClearFailure(r: ActionRun): string {
  runs.push(r);
  if (process.env.REL_DEBUG) console.log(errorLines(r.log).join('\n'), r.outputs['failure-reason']);
  expect(r.exitCode).toBe(1);
  const errors = errorLines(r.log);
  expect(errors).toHaveLength(1);
  expect(r.log).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);
  return errors[0];
}

/** An expected failure has a reason; "Unexpected error" (internal-error) means nobody handled it. Called last. */
function expectHandled(r: ActionRun): void {
  expect(errorLines(r.log)[0]).not.toMatch(/Unexpected error/);
}

const SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

describe('tofu-plan-with-state-backup', () => {
  let env: TofuEnv;
  beforeAll(() => {
    env = setupTofuEnv('rel-faults-tofu');
  });
  afterAll(() => env?.cleanup());

  async function appliedStack(name: string, extraFiles: Record<string, string> = {}) {
    const ws = env.workspace(extraFiles);
    const state = path.join(env.runnerHome, name, 'terraform.tfstate');
    const r = await env.run(
      { mode: 'apply', 'state-path': state, 'var-files': env.varFile('a.tfvars', 'alpha') },
      { workspace: ws },
    );
    expect(r.exitCode).toBe(0);
    runs.push(r);
    return { ws, state, bytes: fs.readFileSync(state) };
  }

  test.each(SIGNALS)(
    '%s during apply: group gone, lock released, override removed, state consistent',
    async (signal) => {
      const marker = path.join(dir('tofu-apply'), 'marker');
      const { ws, state } = await appliedStack(`apply-${signal}`);
      const before = readState(state);
      fs.writeFileSync(
        path.join(ws, 'slow.tf'),
        `resource "terraform_data" "slow" {\n  input = var.name\n  provisioner "local-exec" {\n    command = "echo $PPID > ${marker}.p; sleep 53"\n  }\n}\n`,
      );
      let pgid = 0;
      const r = await env.run(
        { mode: 'apply', 'state-path': state, 'var-files': env.varFile('b.tfvars', 'bravo') },
        {
          workspace: ws,
          onMainStarted: (child) => {
            const poll = setInterval(() => {
              const [pid] = processesMatching('sleep 53');
              if (pid === undefined) return;
              clearInterval(poll);
              const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
              pgid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
              fs.writeFileSync(marker, String(pgid));
              child.kill(signal);
            }, 50);
            child.on('exit', () => clearInterval(poll));
          },
        },
      );
      expectCancelled(r, marker);
      expect(processesMatching('sleep 53')).toEqual([]);
      expect(fs.existsSync(`${state}.lock`)).toBe(false);
      expect(fs.existsSync(path.join(ws, 'zz_tofu_state_backup_override.tf'))).toBe(false);
      const after = readState(state);
      expect(after.lineage).toBe(before.lineage);
      expect(after.serial).toBeGreaterThanOrEqual(before.serial);
      expect(filesUnder(ws).filter((f) => f.endsWith('errored.tfstate'))).toEqual([]);
      expectReportedCancelled(r);
    },
  );

  test.each(SIGNALS)(
    '%s during the state backup: apply never starts, state unchanged, archives complete',
    async (signal) => {
      const marker = path.join(dir('tofu-backup'), 'marker');
      const { ws, state, bytes } = await appliedStack(`backup-${signal}`);
      const slow = slowTool('rclone', 'copy', marker);
      const calls = env.recorder.calls().length;
      const r = await env.run(
        {
          mode: 'apply',
          'state-path': state,
          'var-files': env.varFile('b.tfvars', 'bravo'),
          'backup-remote': `:local:${dir('offsite')}`,
        },
        {
          workspace: ws,
          env: { PATH: `${slow.binDir}:${env.recorder.path}` },
          onMainStarted: signalWhen(marker, signal),
        },
      );
      expectCancelled(r, marker);
      expect(fs.readFileSync(state).equals(bytes)).toBe(true);
      expect(fs.existsSync(`${state}.lock`)).toBe(false);
      expect(
        env.recorder
          .calls()
          .slice(calls)
          .filter((c) => c.includes('apply')),
      ).toEqual([]);
      // Whatever the backup directory holds is complete: every archive's checksum verifies.
      const backups = path.join(path.dirname(state), 'backups');
      for (const a of archivesIn(backups)) expect(sha256sumCheck(path.join(backups, a))).toContain(': OK');
      expect(
        fs.readdirSync(fs.existsSync(backups) ? backups : root).filter((f) => f.includes('.tmp-')),
      ).toEqual([]);
      expectReportedCancelled(r);
    },
  );

  describe('backup directory on a full or read-only file system', () => {
    test.each(['full', 'read-only'])(
      '%s: backup-failed, apply not started, no archive presented',
      async (kind) => {
        const { ws, state, bytes } = await appliedStack(`disk-${kind}`);
        const mnt = dir(`backup-${kind}`);
        if (kind === 'full') {
          mountTmpfs(mnt, '1m');
          mounts.push(mnt);
          fillUp(mnt);
        } else {
          mountReadOnly(mnt);
          mounts.push(mnt);
        }
        const calls = env.recorder.calls().length;
        const r = await env.run(
          {
            mode: 'apply',
            'state-path': state,
            'var-files': env.varFile('b.tfvars', 'bravo'),
            'backup-dir': mnt,
          },
          { workspace: ws },
        );
        expectClearFailure(r);
        expect(r.outputs['failure-reason']).toBe('backup-failed');
        expect(fs.readFileSync(state).equals(bytes)).toBe(true);
        expect(fs.existsSync(`${state}.lock`)).toBe(false);
        expect(
          env.recorder
            .calls()
            .slice(calls)
            .filter((c) => c.includes('apply')),
        ).toEqual([]);
        expect(r.outputs['backup-archive']).toBeUndefined();
        expect(archivesIn(mnt)).toEqual([]);
        expect(fs.readdirSync(mnt).filter((f) => f !== 'filler')).toEqual([]);
      },
    );
  });
});

describe('push-mirror', () => {
  let server: GitServer;
  const TOKEN = 'ghp_faults0123456789abcdef0123456789abcd';
  beforeAll(async () => {
    requireTool('git');
    server = await startGitServer({ token: TOKEN });
  });
  afterAll(async () => server?.stop());

  test.each(SIGNALS)(
    '%s during the push: git group gone, mirror unchanged, no token left behind',
    async (signal) => {
      const repos = createSourceRepos();
      try {
        const mirror = `cancel-${signal}`;
        server.createRepo(mirror);
        const first = await runAction({
          action: 'push-mirror',
          workspace: repos.clone,
          inputs: { 'remote-url': server.url(mirror), token: TOKEN },
          timeoutMs: 60_000,
        });
        runs.push(first);
        expect(first.exitCode).toBe(0);
        const mirrorDir = path.join(server.root, `${mirror}.git`);
        const before = refsOf(mirrorDir);
        commit(repos.clone, 'src/app.txt', `moved ${signal}\n`);
        const marker = path.join(dir('push'), 'marker');
        const slow = slowTool('git', 'push', marker);
        const r = await runAction({
          action: 'push-mirror',
          workspace: repos.clone,
          inputs: { 'remote-url': server.url(mirror), token: TOKEN },
          env: { PATH: slow.path },
          timeoutMs: 60_000,
          onMainStarted: signalWhen(marker, signal),
        });
        expectCancelled(r, marker);
        expect(refsOf(mirrorDir)).toEqual(before);
        expect(git(mirrorDir, ['fsck', '--no-progress'])).toBe('');
        for (const f of filesUnder(r.runnerTemp)) expect(fs.readFileSync(f, 'latin1')).not.toContain(TOKEN);
        expect(fs.readFileSync(path.join(repos.clone, '.git', 'config'), 'utf8')).not.toMatch(
          /extraheader|ghp_/i,
        );
        expectReportedCancelled(r);
      } finally {
        fs.rmSync(repos.base, { recursive: true, force: true });
      }
    },
  );
});

describe('restic-restore-check', () => {
  let repo: string;
  beforeAll(() => {
    requireTool('restic');
    const d = dir('restic');
    const src = makeSource(d);
    repo = path.join(d, 'repo');
    initRepo(repo);
    backup(repo, [src]);
  });

  test.each(SIGNALS)(
    '%s during the restore: restic group gone, scratch removed, no lock, repository checks',
    async (signal) => {
      const marker = path.join(dir('restore'), 'marker');
      const slow = slowTool('restic', 'restore', marker);
      const r = await runAction({
        action: 'restic-restore-check',
        inputs: { repository: repo, password: PASSWORD, 'sample-files': '3', check: 'none', timeout: '60s' },
        env: { PATH: slow.path },
        timeoutMs: 60_000,
        onMainStarted: signalWhen(marker, signal),
      });
      expectCancelled(r, marker);
      // The scratch directory held the password file and the restored files.
      expect(fs.readdirSync(r.runnerTemp).filter((f) => f.startsWith('restic-restore-check-'))).toEqual([]);
      expect(fs.readdirSync(path.join(repo, 'locks'))).toEqual([]);
      restic(repo, ['check']);
      expectReportedCancelled(r);
    },
  );

  test('a hanging restic is killed when timeout fires and reported as timeout', async () => {
    const marker = path.join(dir('restic-hang'), 'marker');
    const slow = slowTool('restic', 'snapshots', marker);
    const r = await runAction({
      action: 'restic-restore-check',
      inputs: { repository: repo, password: PASSWORD, check: 'none', timeout: '10s' },
      env: { PATH: slow.path },
      timeoutMs: 60_000,
    });
    expectClearFailure(r);
    expect(r.outputs['failure-reason']).toBe('timeout');
    expect(liveGroupMembers(markerPid(marker))).toEqual([]);
    expect(fs.readdirSync(r.runnerTemp).filter((f) => f.startsWith('restic-restore-check-'))).toEqual([]);
  });
});

describe('sops-stage-age-key', () => {
  let sshd: TestSshd;
  let identity: string;
  beforeAll(async () => {
    requireTool('age');
    identity = ageKeygen().identity;
    sshd = await startSshd();
  });
  afterAll(async () => sshd?.stop());

  function expectNoKeyLeft(r: ActionRun, where: string): void {
    expect(r.exportedEnv.SOPS_AGE_KEY_FILE).toBeUndefined();
    for (const f of filesUnder(where)) expect(fs.readFileSync(f, 'latin1')).not.toContain(identity);
  }

  test.each([
    ['RUNNER_TEMP', 'full'],
    ['RUNNER_TEMP', 'read-only'],
    ['key directory', 'full'],
    ['key directory', 'read-only'],
  ])('%s %s: a clear failure, no key file presented', async (what, kind) => {
    const mnt = dir(`sops-${kind}`);
    if (kind === 'full') {
      mountTmpfs(mnt, '1m');
      mounts.push(mnt);
      fs.chmodSync(mnt, 0o700);
      fillUp(mnt);
    } else {
      fs.chmodSync(mnt, 0o700);
      mountReadOnly(mnt);
      mounts.push(mnt);
    }
    const r = await runAction({
      action: 'sops-stage-age-key',
      workspace: dir('sops-ws'),
      inputs: {
        'age-key': identity,
        ...(what === 'key directory' ? { 'key-file': path.join(mnt, 'keys.txt') } : {}),
      },
      env: what === 'RUNNER_TEMP' ? { RUNNER_TEMP: mnt } : {},
      timeoutMs: 30_000,
    });
    expectClearFailure(r);
    expect(r.outputs['key-file'] === undefined || !fs.existsSync(r.outputs['key-file'])).toBe(true);
    expectNoKeyLeft(r, mnt);
    expectNoKeyLeft(r, r.runnerTemp);
    expectHandled(r);
  });

  test('a hanging ssh is killed when target-timeout fires and reported as timeout', async () => {
    const marker = path.join(dir('ssh-hang'), 'marker');
    const rec = recorder(['ssh'], {
      exec: true,
      before: { ssh: `echo $$ > ${JSON.stringify(marker)}; sleep 47` },
    });
    recorders.push(rec);
    const r = await runAction({
      action: 'sops-stage-age-key',
      workspace: dir('sops-ws'),
      inputs: {
        'age-key': identity,
        'target-host': 'root@127.0.0.1',
        'target-port': String(sshd.port),
        'target-path': path.join(dir('sops-target'), 'key.txt'),
        'target-timeout': '5s',
        'ssh-key': sshd.userKey,
        'known-hosts': sshd.knownHostsLine,
      },
      env: { PATH: rec.path },
      timeoutMs: 60_000,
    });
    expectClearFailure(r);
    expect(r.outputs['failure-reason']).toBe('timeout');
    expect(liveGroupMembers(markerPid(marker))).toEqual([]);
  });
});

describe('colmena-apply', () => {
  test('a hanging colmena apply is killed when timeout fires and reported as timeout', async () => {
    const h = createHive({ nodes: { alpha: { targetHost: 'alpha.example' } } });
    try {
      const marker = path.join(dir('colmena-hang'), 'marker');
      const slow = slowTool('colmena', 'apply', marker, `${STANDIN_DIR}:${process.env.PATH}`);
      const r = await h.run({ on: 'alpha', timeout: '3s' }, { env: { PATH: slow.path } });
      expectClearFailure(r);
      expect(r.outputs['failure-reason']).toBe('timeout');
      expect(liveGroupMembers(markerPid(marker))).toEqual([]);
    } finally {
      h.cleanup();
    }
  });
});

describe('k3s-verify', () => {
  test('a kubectl that hangs while polling is killed when timeout fires and reported as timeout', async () => {
    requireTool('kubectl');
    const cert = makeServingCert();
    const api = await startKubeApiServer({
      scenario: rustdeskScenario(),
      tls: { cert: cert.cert, key: cert.key },
      token: 'reader-token-faults',
    });
    try {
      const marker = path.join(dir('kubectl-hang'), 'marker');
      // The API answers /readyz; the pod lists of the polls hang.
      const rec = slowTool('kubectl', 'pods', marker);
      const r = await runAction({
        action: 'k3s-verify',
        inputs: {
          'kubeconfig-content': k3sKubeconfig({
            server: api.url,
            caData: cert.caData,
            token: 'reader-token-faults',
          }),
          nodes: '1',
          // Long enough that the first poll's pod list starts even on a loaded machine (node start-up
          // and the /readyz probe come first); the hang is what the deadline must end.
          timeout: '10s',
          interval: '1s',
        },
        env: { PATH: rec.path },
        timeoutMs: 60_000,
      });
      expectClearFailure(r);
      expect(r.outputs['failure-reason']).toBe('timeout');
      expect(liveGroupMembers(markerPid(marker))).toEqual([]);
      expect(processesMatching('sleep 47')).toEqual([]);
    } finally {
      await api.close();
    }
  });
});

test('no wrapper sleep survives the file', () => {
  expect(processesMatching('sleep 47')).toEqual([]);
  expect(execFileSync('sh', ['-c', 'echo ok'], { encoding: 'utf8' })).toBe('ok\n');
});
