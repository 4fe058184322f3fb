import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeEach, describe, expect, test } from '@jest/globals';
import { ActionError } from '../../../shared/errors.js';
import type { ActionContext } from '../../../shared/run.js';
import { readInputs } from '../../../shared/inputs.js';
import { inputs } from '../../../actions/tofu-plan-with-state-backup/src/inputs.js';
import {
  checkSettings,
  orchestrate,
  stackTarget,
  type ActionSettings,
  type Clients,
} from '../../../actions/tofu-plan-with-state-backup/src/orchestrate.js';
import { computeOutputs } from '../../../actions/tofu-plan-with-state-backup/src/outputs.js';
import type { ShowPlanJson } from '../../../actions/tofu-plan-with-state-backup/src/plan-summary.js';
import type { RcloneCli } from '../../../actions/tofu-plan-with-state-backup/src/rclone-cli.js';
import type { TofuCli } from '../../../actions/tofu-plan-with-state-backup/src/tofu-cli.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tofu-orch-unit-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

let ws: string;
let stateDir: string;
beforeEach(() => {
  ws = fs.mkdtempSync(path.join(root, 'ws-'));
  stateDir = fs.mkdtempSync(path.join(root, 'state-'));
  fs.writeFileSync(path.join(ws, 'main.tf'), 'resource "terraform_data" "x" {}\n');
});

function settings(raw: Record<string, string>): ActionSettings {
  return readInputs(inputs, (n) => raw[n] ?? '', {
    HOME: root,
    GITHUB_WORKSPACE: ws,
    RUNNER_TEMP: root,
  }).settings;
}

function writeState(file: string, serial: number) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ version: 4, serial, lineage: 'L1', outputs: {}, resources: [] }));
}

/** A tofu that plans `plan` and, on apply, bumps the serial of the state its init was pointed at. */
function fakeTofu(cwd: string, calls: string[], plan: ShowPlanJson): TofuCli {
  let statePath = '';
  return {
    bin: 'tofu',
    version: async () => '1.9.0',
    init: async () => {
      const override = fs.readFileSync(path.join(cwd, 'zz_tofu_state_backup_override.tf'), 'utf8');
      statePath = JSON.parse(/path = (".*")/.exec(override)![1]);
      fs.mkdirSync(path.join(cwd, '.terraform'), { recursive: true });
      fs.writeFileSync(
        path.join(cwd, '.terraform', 'terraform.tfstate'),
        JSON.stringify({ backend: { type: 'local', config: { path: statePath } } }),
      );
      calls.push(`init ${cwd}`);
    },
    plan: async ({ out }) => {
      fs.writeFileSync(out, `plan for ${statePath}`);
      calls.push('plan');
      return { exitCode: 2 };
    },
    showPlan: async () => plan,
    apply: async () => {
      const serial = fs.existsSync(statePath) ? JSON.parse(fs.readFileSync(statePath, 'utf8')).serial + 1 : 1;
      writeState(statePath, serial);
      calls.push(`apply ${statePath}`);
    },
    outputs: async () => ({
      ip: { sensitive: false, value: '10.0.0.1' },
      tok: { sensitive: true, value: 'secret-token-x' },
    }),
  };
}

const CHANGES: ShowPlanJson = {
  resource_changes: [{ address: 'terraform_data.x', change: { actions: ['update'] } }],
  configuration: { root_module: { outputs: { ip: {}, tok: { sensitive: true } } } },
};

function fakeCtx(): ActionContext & { results: Record<string, unknown> } {
  const results: Record<string, unknown> = {};
  return {
    action: 'tofu-plan-with-state-backup',
    platform: {
      forge: 'github',
      os: 'linux',
      runId: '42',
      runAttempt: '1',
      sha: 'abc',
      repository: 'ops/infra',
      serverUrl: '',
      apiUrl: '',
      workspace: ws,
    },
    inputs: () => {
      throw new Error('not used');
    },
    step: (_n, fn) => fn(),
    skip: () => undefined,
    result: (v) => Object.assign(results, v),
    output: () => undefined,
    saveState: () => undefined,
    getState: () => '',
    warning: () => undefined,
    attach: () => undefined,
    results,
  };
}

function clients(calls: string[], plan: ShowPlanJson, rclone?: RcloneCli, stacks: string[] = []): Clients {
  return {
    tofu: (cwd) => fakeTofu(cwd, calls, plan),
    rclone: () => rclone!,
    terramate: () => ({ listChangedStacks: async () => stacks }),
  };
}

async function reasonOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ActionError) return e.reason;
    throw e;
  }
  return 'none';
}

describe('apply fails closed', () => {
  test('an off-machine copy that cannot be verified stops the apply; the state is unchanged', async () => {
    const state = path.join(stateDir, 'edge.tfstate');
    writeState(state, 5);
    const before = fs.readFileSync(state);
    const calls: string[] = [];
    const rclone: RcloneCli = {
      copyTo: async () => undefined,
      sha256Of: async () => 'f'.repeat(64),
    };
    const s = settings({ mode: 'apply', 'state-path': state, 'backup-remote': 'pcloud:x' });
    expect(await reasonOf(orchestrate(fakeCtx(), s, clients(calls, CHANGES, rclone)))).toBe('backup-failed');
    expect(calls.some((c) => c.startsWith('apply'))).toBe(false);
    expect(fs.readFileSync(state).equals(before)).toBe(true);
    expect(fs.existsSync(path.join(ws, 'zz_tofu_state_backup_override.tf'))).toBe(false);
  });

  test('a verified backup comes first, then the apply; the plan file is removed', async () => {
    const state = path.join(stateDir, 'edge.tfstate');
    writeState(state, 5);
    const calls: string[] = [];
    const uploaded = new Map<string, Buffer>();
    const rclone: RcloneCli = {
      copyTo: async (local, remote) => void uploaded.set(remote, fs.readFileSync(local)),
      sha256Of: async (remote) => {
        const { createHash } = await import('node:crypto');
        return createHash('sha256').update(uploaded.get(remote)!).digest('hex');
      },
    };
    const s = settings({ mode: 'apply', 'state-path': state, 'backup-remote': 'pcloud:x' });
    const r = await orchestrate(fakeCtx(), s, clients(calls, CHANGES, rclone));
    const o = r.outcomes[0];
    expect(o.backup?.remoteArchive).toMatch(/^pcloud:x\/edge\.tfstate\.\d{8}T\d{6}Z\.serial-5\.tar\.gz$/);
    expect(calls).toEqual([`init ${ws}`, 'plan', `apply ${state}`]);
    expect(o.state.serial).toBe(6);
    expect(fs.existsSync(o.planFile!)).toBe(false);
    expect(JSON.parse(r.handoffJson!)).toEqual({ ip: '10.0.0.1' });
    const out = computeOutputs(r, false);
    expect(out).toMatchObject({ 'has-changes': 'true', 'to-change': '1', 'state-serial': '6' });
    expect(out['plan-file']).toBeUndefined();
  });

  test('no changes: neither backup nor apply', async () => {
    const state = path.join(stateDir, 'edge.tfstate');
    writeState(state, 5);
    const calls: string[] = [];
    const r = await orchestrate(
      fakeCtx(),
      settings({ mode: 'apply', 'state-path': state }),
      clients(calls, {}),
    );
    expect(calls).toEqual([`init ${ws}`, 'plan']);
    expect(r.outcomes[0].backup).toBeUndefined();
    expect(fs.existsSync(path.join(stateDir, 'backups'))).toBe(false);
  });

  test('a sensitive output named in handoff-outputs is refused before anything is applied', async () => {
    const state = path.join(stateDir, 'edge.tfstate');
    writeState(state, 5);
    const calls: string[] = [];
    const s = settings({ mode: 'apply', 'state-path': state, 'handoff-outputs': 'ip,tok' });
    expect(await reasonOf(orchestrate(fakeCtx(), s, clients(calls, CHANGES)))).toBe('invalid-input');
    expect(calls).toEqual([`init ${ws}`, 'plan']);
  });

  test('a saved plan whose state moved is stale: no backup, no apply', async () => {
    const state = path.join(stateDir, 'edge.tfstate');
    writeState(state, 5);
    const calls: string[] = [];
    const planned = await orchestrate(
      fakeCtx(),
      settings({ mode: 'plan', 'state-path': state }),
      clients(calls, CHANGES),
    );
    writeState(state, 6);
    const s = settings({ mode: 'apply', 'state-path': state, 'plan-file': planned.outcomes[0].planFile! });
    expect(await reasonOf(orchestrate(fakeCtx(), s, clients(calls, CHANGES)))).toBe('plan-stale');
    expect(calls.filter((c) => c.startsWith('apply'))).toEqual([]);
    expect(fs.existsSync(path.join(stateDir, 'backups'))).toBe(false);
  });

  test('a new plan in the default plans directory deletes plans of this state that went stale', async () => {
    const state = path.join(stateDir, 'edge.tfstate');
    writeState(state, 5);
    const calls: string[] = [];
    const ctxWithRun = (runId: string) => {
      const c = fakeCtx();
      return { ...c, platform: { ...c.platform, runId } };
    };
    const s = settings({ mode: 'plan', 'state-path': state });
    const first = (await orchestrate(ctxWithRun('1'), s, clients(calls, CHANGES))).outcomes[0].planFile!;
    const second = (await orchestrate(ctxWithRun('2'), s, clients(calls, CHANGES))).outcomes[0].planFile!;
    expect([fs.existsSync(first), fs.existsSync(second)]).toEqual([true, true]);
    writeState(state, 6);
    const third = (await orchestrate(ctxWithRun('3'), s, clients(calls, CHANGES))).outcomes[0].planFile!;
    expect(fs.readdirSync(path.dirname(third)).sort()).toEqual([
      path.basename(third),
      `${path.basename(third)}.meta.json`,
    ]);
  });

  test('a stack with another backend is refused before init', async () => {
    fs.writeFileSync(path.join(ws, 'backend.tf'), 'terraform {\n  backend "s3" {}\n}\n');
    const calls: string[] = [];
    const s = settings({ mode: 'plan', 'state-path': path.join(stateDir, 'x.tfstate') });
    expect(await reasonOf(orchestrate(fakeCtx(), s, clients(calls, CHANGES)))).toBe('invalid-input');
    expect(calls).toEqual([]);
  });
});

describe('terramate', () => {
  test('each changed stack runs in order against its own state', async () => {
    for (const st of ['stacks/net', 'stacks/edge']) {
      fs.mkdirSync(path.join(ws, st), { recursive: true });
      fs.writeFileSync(path.join(ws, st, 'main.tf'), '');
    }
    const calls: string[] = [];
    const s = settings({
      mode: 'apply',
      terramate: 'true',
      'state-path': path.join(stateDir, '{stack}', 'terraform.tfstate'),
    });
    const r = await orchestrate(
      fakeCtx(),
      s,
      clients(calls, CHANGES, undefined, ['stacks/net', 'stacks/edge']),
    );
    expect(calls.filter((c) => c.startsWith('apply'))).toEqual([
      `apply ${path.join(stateDir, 'stacks/net/terraform.tfstate')}`,
      `apply ${path.join(stateDir, 'stacks/edge/terraform.tfstate')}`,
    ]);
    const out = computeOutputs(r, true);
    expect(out['to-change']).toBe('2');
    expect(JSON.parse(out['state-serial'])).toEqual({ 'stacks/net': '1', 'stacks/edge': '1' });
    expect(JSON.parse(out['handoff-json'])).toEqual({
      'stacks/net': { ip: '10.0.0.1' },
      'stacks/edge': { ip: '10.0.0.1' },
    });
  });

  test('no changed stacks: nothing runs, has-changes is false', async () => {
    const calls: string[] = [];
    const s = settings({
      mode: 'plan',
      terramate: 'true',
      'state-path': path.join(stateDir, '{stack}.tfstate'),
    });
    const r = await orchestrate(fakeCtx(), s, clients(calls, CHANGES, undefined, []));
    expect(calls).toEqual([]);
    expect(computeOutputs(r, true)['has-changes']).toBe('false');
  });
});

describe('settings', () => {
  test.each<[Record<string, string>, string | undefined]>([
    [{ mode: 'restore' }, 'restore-from'],
    [{ terramate: 'true' }, 'state-path'],
    [
      { terramate: 'true', 'state-path': '/s/{stack}.tfstate', mode: 'restore', 'restore-from': 'latest' },
      'terramate',
    ],
    [{ terramate: 'true', 'state-path': '/s/{stack}.tfstate', 'plan-file': '/p/x.tfplan' }, 'plan-file'],
    [{ 'state-path': '/s/{stack}.tfstate' }, 'state-path'],
    [{ 'backup-dir': '/b/{stack}' }, 'backup-dir'],
    [{}, undefined],
  ])('%j → error on %s', (raw, input) => {
    const s = settings({ 'state-path': '/s/edge.tfstate', ...raw });
    if (input) expect(() => checkSettings(s)).toThrow(new RegExp(`'${input}'`));
    else expect(() => checkSettings(s)).not.toThrow();
  });

  test('defaults: backups/ and plans/ beside the state file, plan named by run id', () => {
    const t = stackTarget(settings({ 'state-path': '~/infra/edge.tfstate' }), '42-1');
    expect(t.statePath).toBe(path.join(root, 'infra/edge.tfstate'));
    expect(t.backupDir).toBe(path.join(root, 'infra/backups'));
    expect(t.defaultPlanFile).toBe(path.join(root, 'infra/plans/edge.tfstate.run-42-1.tfplan'));
    expect(t.workingDir).toBe(ws);
  });
});
