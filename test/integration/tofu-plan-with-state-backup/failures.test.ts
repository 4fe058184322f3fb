import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { errorLines } from '../../support/run-action.js';
import {
  archivesIn,
  canaryLeaks,
  readState,
  setupEnv,
  sha256sumCheck,
  type Env,
} from '../../support/tofu-plan-with-state-backup-fixtures.js';

/**
 * Fail-closed behaviour with the real tools: a remote that cannot take the copy and an unwritable backup
 * directory both stop the apply with the state untouched; two applies on one state serialize; a held
 * lock times out naming its holder; drift fails the step; a stack with another backend is refused.
 */
let env: Env;
let varsA: string;
let varsB: string;
let varsC: string;

beforeAll(() => {
  env = setupEnv('tofu-failures');
  varsA = env.varFile('a.tfvars', 'alpha');
  varsB = env.varFile('b.tfvars', 'bravo');
  varsC = env.varFile('c.tfvars', 'charlie');
});
afterAll(() => env.cleanup());

/** A stack with an applied state (serial 2) in its own state directory. */
async function appliedStack(name: string) {
  const ws = env.workspace();
  const state = path.join(env.runnerHome, name, 'terraform.tfstate');
  const r = await env.run({ mode: 'apply', 'state-path': state, 'var-files': varsA }, { workspace: ws });
  expect(r.exitCode).toBe(0);
  return { ws, state, bytes: fs.readFileSync(state) };
}

function expectFailed(r: Awaited<ReturnType<Env['run']>>, reason: string, message: RegExp) {
  expect(r.exitCode).toBe(1);
  expect(r.outputs['failure-reason']).toBe(reason);
  const errors = errorLines(r.log);
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatch(message);
  expect(r.log).not.toMatch(/\n\s+at .+\(.*:\d+:\d+\)/);
}

describe('fail closed', () => {
  test('an off-machine copy that fails stops the apply; the state is unchanged', async () => {
    const { ws, state, bytes } = await appliedStack('remote-fails');
    const blocker = path.join(env.root, 'not-a-directory');
    fs.writeFileSync(blocker, 'x');
    const calls = env.recorder.calls().length;
    const r = await env.run(
      {
        mode: 'apply',
        'state-path': state,
        'var-files': varsB,
        'backup-remote': `:local:${blocker}/offsite`,
      },
      { workspace: ws },
    );
    expectFailed(r, 'backup-failed', /State backup failed: the off-machine copy .* Apply was not started\./);
    expect(fs.readFileSync(state).equals(bytes)).toBe(true);
    const applies = env.recorder
      .calls()
      .slice(calls)
      .filter((c) => c[1] === 'apply');
    expect(applies).toEqual([]);
    expect(r.summary).toContain('backup-failed');
  });

  test('an unwritable backup directory stops the apply; the state is unchanged', async () => {
    const { ws, state, bytes } = await appliedStack('backup-dir-fails');
    const blocker = path.join(env.root, 'backup-blocker');
    fs.writeFileSync(blocker, 'x');
    const r = await env.run(
      { mode: 'apply', 'state-path': state, 'var-files': varsB, 'backup-dir': `${blocker}/backups` },
      { workspace: ws },
    );
    expectFailed(
      r,
      'backup-failed',
      /could not write an archive in .*backup-blocker\/backups.*Apply was not started\./,
    );
    expect(fs.readFileSync(state).equals(bytes)).toBe(true);
    expect((r.report?.steps as { name: string }[]).map((s) => s.name)).not.toContain(
      `apply ${path.basename(ws)}`,
    );
  });
});

describe('serialization', () => {
  test('two concurrent applies on one state serialize and leave two valid archives', async () => {
    const { state } = await appliedStack('concurrent');
    const [a, b] = await Promise.all([
      env.run({ mode: 'apply', 'state-path': state, 'var-files': varsB }, { workspace: env.workspace() }),
      env.run({ mode: 'apply', 'state-path': state, 'var-files': varsC }, { workspace: env.workspace() }),
    ]);
    expect([a.exitCode, b.exitCode]).toEqual([0, 0]);
    const archives = archivesIn(path.join(path.dirname(state), 'backups'));
    // Whichever ran second saw the first one's state: both found changes, each archived the state
    // before and after its apply. With the first apply's archive: 5 archives of 3 distinct serials.
    expect(archives).toHaveLength(5);
    expect(new Set(archives.map((n) => /serial-(\d+)/.exec(n)![1])).size).toBe(3);
    for (const n of archives)
      expect(sha256sumCheck(path.join(path.dirname(state), 'backups', n))).toContain(': OK');
    expect(readState(state).serial).toBeGreaterThanOrEqual(4);
    expect(fs.existsSync(`${state}.lock`)).toBe(false);
    // Several action runs, each starting tofu and rclone several times: slow on a loaded machine.
  }, 180_000);

  test('a held lock times out with state-locked and names its holder', async () => {
    const { ws, state, bytes } = await appliedStack('locked');
    const calls = env.recorder.calls().length;
    const since = new Date().toISOString();
    // A live holder on this host: the test process itself.
    fs.writeFileSync(
      `${state}.lock`,
      JSON.stringify({ pid: process.pid, host: os.hostname(), runId: 'run-4711-1', since }),
    );
    try {
      const r = await env.run(
        { mode: 'apply', 'state-path': state, 'var-files': varsB, 'lock-timeout': '2s' },
        { workspace: ws },
      );
      expectFailed(
        r,
        'state-locked',
        new RegExp(`held by run run-4711-1 .* since ${since.replace(/[.]/g, '\\.')}`),
      );
      expect(fs.readFileSync(state).equals(bytes)).toBe(true);
      // Nothing ran: the lock is taken before init.
      expect(env.recorder.calls().slice(calls)).toEqual([]);
    } finally {
      fs.rmSync(`${state}.lock`, { force: true });
    }
  });
});

describe('cancellation', () => {
  test('SIGTERM during apply reaches tofu, releases the lock and removes the override', async () => {
    const marker = path.join(env.root, 'slow-started');
    const ws = env.workspace({
      'slow.tf': [
        'resource "terraform_data" "slow" {',
        '  input = var.name',
        '  provisioner "local-exec" {',
        `    command = "touch ${marker}; sleep 30"`,
        '  }',
        '}',
        '',
      ].join('\n'),
    });
    const state = path.join(env.runnerHome, 'cancel', 'terraform.tfstate');
    let poll: NodeJS.Timeout | undefined;
    const r = await env.run(
      { mode: 'apply', 'state-path': state, 'var-files': varsA },
      {
        workspace: ws,
        onMainStarted: (child) => {
          poll = setInterval(() => {
            if (fs.existsSync(marker)) {
              clearInterval(poll);
              child.kill('SIGTERM');
            }
          }, 100);
        },
      },
    );
    clearInterval(poll);
    expect(fs.existsSync(marker)).toBe(true);
    expect(r.exitCode).toBe(1);
    expect(r.report?.status).toBe('cancelled');
    expect(errorLines(r.log)).toHaveLength(1);
    expect(fs.existsSync(`${state}.lock`)).toBe(false);
    expect(fs.existsSync(path.join(ws, 'zz_tofu_state_backup_override.tf'))).toBe(false);
    // The provisioner's sleep (tofu's grandchild) was stopped with its process group.
    expect(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })).not.toContain(
      `touch ${marker}; sleep 30`,
    );
  });
});

describe('other refusals', () => {
  test('drift: changes fail the step with drift-detected and leave no plan behind', async () => {
    const { ws, state } = await appliedStack('drift');
    const clean = await env.run(
      { mode: 'drift', 'state-path': state, 'var-files': varsA },
      { workspace: ws },
    );
    expect(clean.exitCode).toBe(0);
    expect(clean.outputs['has-changes']).toBe('false');
    const r = await env.run({ mode: 'drift', 'state-path': state, 'var-files': varsB }, { workspace: ws });
    expectFailed(r, 'drift-detected', /Drift detected/);
    expect(r.outputs).toMatchObject({ 'has-changes': 'true', 'to-change': '1' });
    expect(fs.readdirSync(r.runnerTemp).filter((n) => n.startsWith('tofu-drift'))).toEqual([]);
    // The apply that made the state removed its plan; drift wrote none there.
    expect(fs.readdirSync(path.join(path.dirname(state), 'plans'))).toEqual([]);
    // Several action runs, each starting tofu and rclone several times: slow on a loaded machine.
  }, 180_000);

  test('a stack that configures another backend is refused before tofu runs', async () => {
    const ws = env.workspace({ 'backend.tf': 'terraform {\n  backend "s3" {\n    bucket = "b"\n  }\n}\n' });
    const calls = env.recorder.calls().length;
    const r = await env.run(
      { mode: 'plan', 'state-path': path.join(env.runnerHome, 's3', 'terraform.tfstate') },
      { workspace: ws },
    );
    expectFailed(
      r,
      'invalid-input',
      /Input 'state-path' is invalid: .*backend\.tf configures the 's3' backend/,
    );
    expect(env.recorder.calls().slice(calls)).toEqual([]);
    expect(fs.existsSync(path.join(ws, 'zz_tofu_state_backup_override.tf'))).toBe(false);
  });

  test('a sensitive output named in handoff-outputs is an input error before anything is applied', async () => {
    const { ws, state, bytes } = await appliedStack('handoff');
    const r = await env.run(
      { mode: 'apply', 'state-path': state, 'var-files': varsB, 'handoff-outputs': 'host_id\nadmin_token' },
      { workspace: ws },
    );
    expectFailed(r, 'invalid-input', /Input 'handoff-outputs' is invalid: .*admin_token/);
    expect(fs.readFileSync(state).equals(bytes)).toBe(true);
  });

  test('a tofu binary that is not installed is an input error naming tofu-binary; the override is removed', async () => {
    const ws = env.workspace();
    const r = await env.run(
      {
        mode: 'plan',
        'state-path': path.join(env.runnerHome, 'nobin', 'terraform.tfstate'),
        'tofu-binary': 'no-such-tofu',
      },
      { workspace: ws },
    );
    expectFailed(
      r,
      'invalid-input',
      /"no-such-tofu" was not found on PATH; install it or set the 'tofu-binary' input\./,
    );
    expect(fs.readdirSync(ws)).toEqual(['main.tf']);
  });

  test('no failure leaks the canary', () => {
    expect(canaryLeaks(env.runs, env.recorder)).toEqual([]);
  });
});
