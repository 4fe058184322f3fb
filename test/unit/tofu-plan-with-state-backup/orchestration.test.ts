import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { ActionError } from '../../../shared/errors.js';
import type { ActionContext } from '../../../shared/run.js';
import { readInputs } from '../../../shared/inputs.js';
import { inputs } from '../../../actions/tofu-plan-with-state-backup/src/inputs.js';
import { checkSettings } from '../../../actions/tofu-plan-with-state-backup/src/input-rules.js';
import type { ActionSettings } from '../../../actions/tofu-plan-with-state-backup/src/inputs.js';
import {
  orchestrate,
  type Clients,
} from '../../../actions/tofu-plan-with-state-backup/src/run/orchestrate.js';
import { stackTarget } from '../../../actions/tofu-plan-with-state-backup/src/stacks/stack-target.js';
import { computeOutputs } from '../../../actions/tofu-plan-with-state-backup/src/run/outputs.js';
import type { ShowPlanJson } from '../../../actions/tofu-plan-with-state-backup/src/tofu/plan-summary.js';
import type { RcloneCli } from '../../../actions/tofu-plan-with-state-backup/src/archive/rclone-cli.js';
import type { TofuCli } from '../../../actions/tofu-plan-with-state-backup/src/tofu/tofu-cli.js';
import { createStateArchive } from '../../../actions/tofu-plan-with-state-backup/src/archive/state-archive.js';
import { stateIdentity } from '../../../actions/tofu-plan-with-state-backup/src/archive/state-identity.js';

/** An rclone whose remote is a map `remote:dir/name` → bytes (uploads and downloads copy real files). */
function fakeRclone() {
  const files = new Map<string, Buffer>();
  const join = (dir: string, name: string) => (dir.endsWith(':') ? `${dir}${name}` : `${dir}/${name}`);
  const cli: RcloneCli = {
    upload: async (localDir, names, remoteDir) => {
      for (const n of names) files.set(join(remoteDir, n), fs.readFileSync(path.join(localDir, n)));
    },
    sha256Of: async (remoteFile) => {
      const b = files.get(remoteFile);
      return b && createHash('sha256').update(b).digest('hex');
    },
    sizeOf: async (remoteFile) => files.get(remoteFile)?.length,
    list: async (remoteDir) =>
      [...files.entries()]
        .filter(([k]) => k.startsWith(join(remoteDir, '')))
        .map(([k, b]) => ({ name: path.basename(k), size: b.length })),
    download: async (remoteDir, names, localDir) => {
      for (const n of names) {
        const b = files.get(join(remoteDir, n));
        if (b) fs.writeFileSync(path.join(localDir, n), b);
      }
    },
  };
  return { cli, files };
}

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

/** The state's outputs, as state v4 stores them (`sensitive` omitted when false). */
const OUTPUTS = {
  ip: { value: '10.0.0.1', type: 'string' },
  tok: { value: 'secret-token-x', type: 'string', sensitive: true },
};

function writeState(file: string, serial: number) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(
    file,
    JSON.stringify({ version: 4, serial, lineage: 'L1', outputs: OUTPUTS, resources: [] }),
  );
}

/**
 * A tofu that plans `plan` (exit 2 when it has resource changes, else 0, like -detailed-exitcode) and,
 * on apply, bumps the serial of the state its init was pointed at. Its backend record goes to
 * `dataDir` (TF_DATA_DIR) or `<cwd>/.terraform`.
 */
function fakeTofu(cwd: string, calls: string[], plan: ShowPlanJson, dataDir?: string): TofuCli {
  let statePath = '';
  const data = dataDir ?? path.join(cwd, '.terraform');
  return {
    bin: 'tofu',
    version: async () => '1.9.0',
    knowVersion: () => undefined,
    init: async () => {
      const override = fs.readFileSync(path.join(cwd, 'zz_tofu_state_backup_override.tf'), 'utf8');
      statePath = JSON.parse(/path = (".*")/.exec(override)![1]);
      fs.mkdirSync(data, { recursive: true });
      fs.writeFileSync(
        path.join(data, 'terraform.tfstate'),
        JSON.stringify({ backend: { type: 'local', config: { path: statePath } } }),
      );
      calls.push(dataDir ? `init ${cwd} data-dir` : `init ${cwd}`);
    },
    plan: async ({ out }) => {
      fs.writeFileSync(out, `plan for ${statePath}`);
      calls.push(dataDir ? `plan ${statePath}` : 'plan');
      return { exitCode: (plan.resource_changes ?? []).length > 0 ? 2 : 0, text: 'Plan: …' };
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
    tofu: (cwd, _label, dataDir) => fakeTofu(cwd, calls, plan, dataDir),
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
    const rclone: RcloneCli = { ...fakeRclone().cli, sha256Of: async () => 'f'.repeat(64) };
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
    const remote = fakeRclone();
    const s = settings({ mode: 'apply', 'state-path': state, 'backup-remote': 'pcloud:x' });
    const r = await orchestrate(fakeCtx(), s, clients(calls, CHANGES, remote.cli));
    const o = r.outcomes[0];
    expect(o.backup?.remoteArchive).toMatch(
      /^pcloud:x\/edge\.tfstate\.[0-9a-f]{12}\.\d{8}T\d{6}Z\.serial-5\.tar\.gz$/,
    );
    expect(calls).toEqual([`init ${ws}`, 'plan', `apply ${state}`]);
    expect(o.state.serial).toBe(6);
    // After the apply, the state it wrote is archived and copied off-site too (issue 14 A2).
    expect(o.afterApply?.remoteArchive).toMatch(/\.serial-6\.tar\.gz$/);
    expect([...remote.files.keys()].filter((k) => k.endsWith('.tar.gz')).length).toBe(2);
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

describe('after the apply (issue 14 A2)', () => {
  test('a failed off-site copy of the new state fails the step loudly, after the outputs', async () => {
    const state = path.join(stateDir, 'edge.tfstate');
    writeState(state, 5);
    const calls: string[] = [];
    const remote = fakeRclone();
    let hashes = 0;
    // The copy before the apply verifies; the one after it comes back different.
    const rclone: RcloneCli = {
      ...remote.cli,
      sha256Of: async (f) => (++hashes === 1 ? remote.cli.sha256Of(f) : 'e'.repeat(64)),
    };
    const s = settings({ mode: 'apply', 'state-path': state, 'backup-remote': 'pcloud:x' });
    const r = await orchestrate(fakeCtx(), s, clients(calls, CHANGES, rclone));
    expect(calls).toContain(`apply ${state}`);
    expect(r.failure?.reason).toBe('after-apply-backup-failed');
    expect(r.failure?.message).toMatch(/apply of .* succeeded, but archiving the state it wrote failed/);
    expect(r.failure?.hint).toMatch(/off-site copy no longer describe the infrastructure/);
    const out = computeOutputs(r, false);
    expect(out).toMatchObject({ 'state-serial': '6', 'has-changes': 'true' });
    expect(out['backup-archive']).toBeDefined();
    expect(JSON.parse(r.handoffJson!)).toEqual({ ip: '10.0.0.1' });
  });

  test('without a remote the new state is still archived locally, and counted by retention', async () => {
    const state = path.join(stateDir, 'edge.tfstate');
    writeState(state, 5);
    const calls: string[] = [];
    const s = settings({ mode: 'apply', 'state-path': state, 'backup-keep': '1' });
    const r = await orchestrate(fakeCtx(), s, clients(calls, CHANGES));
    const o = r.outcomes[0];
    expect(o.afterApply?.archive).toMatch(/\.serial-6\.tar\.gz$/);
    expect(o.afterApply?.deleted).toEqual([path.basename(o.backup!.archive)]);
    expect(fs.readdirSync(path.join(stateDir, 'backups')).filter((n) => n.endsWith('.tar.gz'))).toEqual([
      path.basename(o.afterApply!.archive),
    ]);
    expect(computeOutputs(r, false)['after-apply-archive']).toBe(o.afterApply!.archive);
  });
});

describe('two states sharing one backup directory (issue 14 A)', () => {
  test("each one's retention keeps the other's archives; latest restores each its own", async () => {
    const shared = path.join(stateDir, 'shared-backups');
    const a = path.join(stateDir, 'a', 'terraform.tfstate');
    const b = path.join(stateDir, 'b', 'terraform.tfstate');
    fs.mkdirSync(path.dirname(a), { mode: 0o700 });
    fs.mkdirSync(path.dirname(b), { mode: 0o700 });
    const write = (f: string, serial: number, lineage: string) =>
      fs.writeFileSync(f, JSON.stringify({ version: 4, serial, lineage, resources: [] }));
    const backup = (f: string) =>
      orchestrate(
        fakeCtx(),
        settings({ mode: 'backup', 'state-path': f, 'backup-dir': shared, 'backup-keep': '1' }),
        clients([], {}),
      );
    write(a, 3, 'AAA');
    await backup(a);
    write(b, 9, 'BBB');
    await backup(b);
    write(b, 10, 'BBB');
    await backup(b);
    const names = fs.readdirSync(shared).filter((n) => n.endsWith('.tar.gz'));
    expect(names.map((n) => /serial-(\d+)/.exec(n)![1]).sort()).toEqual(['10', '3']);
    fs.rmSync(a);
    const restore = (f: string, from = 'latest') =>
      orchestrate(
        fakeCtx(),
        settings({ mode: 'restore', 'state-path': f, 'backup-dir': shared, 'restore-from': from }),
        clients([], {}),
      );
    await restore(a);
    expect(JSON.parse(fs.readFileSync(a, 'utf8'))).toMatchObject({ serial: 3, lineage: 'AAA' });
    // B's archive given by path to A: refused naming both states, A untouched.
    const bArchive = path.join(
      shared,
      names.find((n) => n.includes('serial-10'))!,
    );
    const err = await restore(a, bArchive).then(
      () => undefined,
      (e: ActionError) => e,
    );
    expect(err?.reason).toBe('restore-failed');
    expect(err?.message).toContain(`it is an archive of the state '${b}', not of '${a}'`);
    expect(JSON.parse(fs.readFileSync(a, 'utf8')).serial).toBe(3);
  });
});

describe('encrypted states (issue 14.1: the lineage guard cannot run)', () => {
  test("another state's archive is refused by its metadata, not by lineage", async () => {
    const enc = (tag: string) =>
      JSON.stringify({ meta: { key_provider: 'pbkdf2' }, encrypted_data: tag, encryption_version: 'v0' });
    const a = path.join(stateDir, 'a', 'terraform.tfstate');
    const b = path.join(stateDir, 'b', 'terraform.tfstate');
    for (const [f, tag] of [
      [a, 'AAAA'],
      [b, 'BBBB'],
    ]) {
      fs.mkdirSync(path.dirname(f), { mode: 0o700 });
      fs.writeFileSync(f, enc(tag));
    }
    const shared = path.join(stateDir, 'shared');
    const made = await orchestrate(
      fakeCtx(),
      settings({ mode: 'backup', 'state-path': b, 'backup-dir': shared }),
      clients([], {}),
    );
    const archive = made.outcomes[0].backup!.archive;
    expect(archive).toMatch(/\.serial-unknown\.tar\.gz$/);
    const err = await orchestrate(
      fakeCtx(),
      settings({ mode: 'restore', 'state-path': a, 'backup-dir': shared, 'restore-from': archive }),
      clients([], {}),
    ).then(
      () => undefined,
      (e: ActionError) => e,
    );
    expect(err?.reason).toBe('restore-failed');
    expect(err?.message).toContain(`it is an archive of the state '${b}', not of '${a}'`);
    expect(fs.readFileSync(a, 'utf8')).toBe(enc('AAAA'));
  });
});

describe('rehearse (issue 14 C)', () => {
  let runnerTemp: string;
  let savedTemp: string | undefined;
  beforeEach(() => {
    runnerTemp = fs.mkdtempSync(path.join(root, 'rt-'));
    savedTemp = process.env.RUNNER_TEMP;
    process.env.RUNNER_TEMP = runnerTemp;
  });
  afterEach(() => {
    if (savedTemp === undefined) delete process.env.RUNNER_TEMP;
    else process.env.RUNNER_TEMP = savedTemp;
  });

  /** A live state (serial 5) with one archive copied off-site; returns what must stay untouched. */
  async function liveWithOffsiteArchive(remote: ReturnType<typeof fakeRclone>) {
    const state = path.join(stateDir, 'edge.tfstate');
    writeState(state, 5);
    await orchestrate(
      fakeCtx(),
      settings({ mode: 'backup', 'state-path': state, 'backup-remote': 'pcloud:x' }),
      clients([], {}, remote.cli),
    );
    const backups = path.join(stateDir, 'backups');
    const snapshot = () =>
      Object.fromEntries(
        [state, ...fs.readdirSync(backups).map((n) => path.join(backups, n))].map((f) => [
          f,
          fs.readFileSync(f).toString('base64'),
        ]),
      );
    return { state, snapshot, before: snapshot() };
  }

  test('passes on a matching archive; the live state, its lock and archives are untouched; no scratch left', async () => {
    const remote = fakeRclone();
    const live = await liveWithOffsiteArchive(remote);
    const calls: string[] = [];
    const s = settings({ mode: 'rehearse', 'state-path': live.state, 'backup-remote': 'pcloud:x' });
    const r = await orchestrate(fakeCtx(), s, clients(calls, {}, remote.cli));
    expect(r.failure).toBeUndefined();
    const o = r.outcomes[0];
    expect(o.archive).toMatchObject({ source: 'remote', serial: 5, lineage: 'L1' });
    // tofu ran against a scratch copy with its own data directory, never the live file.
    const planned = calls.find((c) => c.startsWith('plan '))!;
    expect(planned).not.toContain(live.state);
    expect(planned.startsWith(`plan ${runnerTemp}`)).toBe(true);
    expect(calls).toEqual([`init ${ws} data-dir`, planned]);
    expect(live.snapshot()).toEqual(live.before);
    expect(fs.existsSync(`${live.state}.lock`)).toBe(false);
    expect(fs.readdirSync(runnerTemp)).toEqual([]);
    expect(fs.existsSync(path.join(ws, '.terraform'))).toBe(false);
    expect(fs.existsSync(path.join(ws, 'zz_tofu_state_backup_override.tf'))).toBe(false);
    const out = computeOutputs(r, false);
    expect(out).toMatchObject({
      'has-changes': 'false',
      'archive-source': 'remote',
      'archive-serial': '5',
      'archive-lineage': 'L1',
    });
    expect(out['archive-path']).toMatch(
      /^pcloud:x\/edge\.tfstate\.[0-9a-f]{12}\.\d{8}T\d{6}Z\.serial-5\.tar\.gz$/,
    );
    expect(Number(out['archive-age-seconds'])).toBeGreaterThanOrEqual(0);
  });

  test('changes against the archive fail with rehearsal-drift and the counts; scratch removed', async () => {
    const remote = fakeRclone();
    const live = await liveWithOffsiteArchive(remote);
    const s = settings({ mode: 'rehearse', 'state-path': live.state, 'backup-remote': 'pcloud:x' });
    const r = await orchestrate(fakeCtx(), s, clients([], CHANGES, remote.cli));
    expect(r.failure?.reason).toBe('rehearsal-drift');
    expect(r.failure?.message).toMatch(/finds 0 to add, 1 to change, 0 to destroy/);
    expect(computeOutputs(r, false)).toMatchObject({ 'has-changes': 'true', 'to-change': '1' });
    expect(live.snapshot()).toEqual(live.before);
    expect(fs.readdirSync(runnerTemp)).toEqual([]);
  });

  test('an archive older than max-archive-age fails with archive-too-old before any plan', async () => {
    const remote = fakeRclone();
    const state = path.join(stateDir, 'edge.tfstate');
    writeState(state, 5);
    const old = await createStateArchive({
      identity: stateIdentity(state),
      backupDir: path.join(stateDir, 'backups'),
      context: {
        tool: 'tofu',
        toolVersion: 'x',
        runId: '1',
        commitSha: '',
        repository: '',
        host: '',
        purpose: '',
      },
      maxBytes: 1 << 20,
      now: () => new Date(Date.now() - 9 * 86_400_000),
    });
    await remote.cli.upload(
      path.dirname(old.archive),
      [path.basename(old.archive), path.basename(old.checksumFile)],
      'pcloud:x',
    );
    const calls: string[] = [];
    const s = settings({
      mode: 'rehearse',
      'state-path': state,
      'backup-remote': 'pcloud:x',
      'max-archive-age': '8d',
    });
    const r = await orchestrate(fakeCtx(), s, clients(calls, {}, remote.cli));
    expect(r.failure?.reason).toBe('archive-too-old');
    expect(r.failure?.message).toMatch(/, 9d ago: older than max-archive-age 8d/);
    expect(calls).toEqual([]);
    expect(Number(computeOutputs(r, false)['archive-age-seconds'])).toBeGreaterThan(8 * 86400);
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

  test('one backup-dir without {stack} for several stacks: archives never mix', async () => {
    for (const st of ['stacks/net', 'stacks/edge']) {
      fs.mkdirSync(path.join(ws, st), { recursive: true });
      fs.writeFileSync(path.join(ws, st, 'main.tf'), '');
    }
    const shared = path.join(stateDir, 'all-backups');
    const s = settings({
      mode: 'apply',
      terramate: 'true',
      'state-path': path.join(stateDir, '{stack}', 'terraform.tfstate'),
      'backup-dir': shared,
      'backup-keep': '1',
    });
    for (let i = 0; i < 2; i++)
      await orchestrate(fakeCtx(), s, clients([], CHANGES, undefined, ['stacks/net', 'stacks/edge']));
    const names = fs.readdirSync(shared).filter((n) => n.endsWith('.tar.gz'));
    // keep 1 each: the newest of each stack's state, both serial 2 (the second apply's state).
    expect(names).toHaveLength(2);
    expect(new Set(names.map((n) => n.split('.')[2])).size).toBe(2);
    for (const n of names) expect(n).toMatch(/\.serial-2\.tar\.gz$/);
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
    [{ mode: 'rehearse' }, 'backup-remote'],
    [{ mode: 'rehearse', 'restore-from': 'remote' }, 'backup-remote'],
    [{ mode: 'restore', 'restore-from': 'remote' }, 'backup-remote'],
    [{ mode: 'rehearse', 'restore-from': 'latest' }, undefined],
    [{ mode: 'rehearse', 'backup-remote': 'pcloud:x' }, undefined],
    [{ mode: 'rehearse', 'backup-remote': 'pcloud:x', 'max-archive-age': '8d' }, undefined],
    [{ mode: 'plan', 'max-archive-age': '8d' }, 'max-archive-age'],
    [
      { mode: 'rehearse', terramate: 'true', 'state-path': '/s/{stack}.tfstate', 'backup-remote': 'p:x' },
      'terramate',
    ],
    [{ 'backup-remote': ':s3,secret_access_key=abc:bucket' }, 'backup-remote'],
    [{ 'backup-remote': ':sftp,ssh=evil:dir' }, 'backup-remote'],
    [{ 'backup-remote': ':s3,env_auth,region=eu-central-1:bucket' }, undefined],
    [{ mode: 'restore', 'restore-from': ':crypt,remote=/x,password=abc:a.tar.gz' }, 'restore-from'],
    [{ mode: 'restore', 'restore-from': 'pcloud:infra/a.tar.gz' }, undefined],
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
