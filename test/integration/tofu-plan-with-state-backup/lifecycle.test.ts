import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { errorLines } from '../../support/run-action.js';
import {
  CANARY,
  archivesIn,
  canaryLeaks,
  readState,
  setupEnv,
  sha256sumCheck,
  type Env,
} from '../../support/tofu-plan-with-state-backup-fixtures.js';

/**
 * One state through its life, with the real tofu (or terraform) and rclone: first apply, plan without
 * changes, plan → apply of the saved plan (backup + verified off-machine copy first), a stale plan,
 * restore round-trip, a corrupt archive, retention, and the canary never leaking.
 */
let env: Env;
let ws: string;
let state: string;
let backups: string;
let offsite: string;
let varsH1: string;
let varsH2: string;

beforeAll(() => {
  env = setupEnv('tofu-lifecycle');
  ws = env.workspace();
  state = path.join(env.runnerHome, 'infra', 'state', 'edge', 'terraform.tfstate');
  backups = path.join(path.dirname(state), 'backups');
  offsite = path.join(env.root, 'offsite');
  varsH1 = env.varFile('edge-h1.tfvars', 'h1');
  varsH2 = env.varFile('edge-h2.tfvars', 'h2');
});
afterAll(() => env.cleanup());

const base = () => ({
  'state-path': '~/infra/state/edge/terraform.tfstate',
  'backup-remote': `:local:${offsite}`,
});

describe('tofu-plan-with-state-backup lifecycle', () => {
  test('first apply on an empty state creates the state, hands off only non-sensitive outputs', async () => {
    const r = await env.run({ ...base(), mode: 'apply', 'var-files': varsH1 }, { workspace: ws });
    expect(r.exitCode).toBe(0);
    expect(r.outputs).toMatchObject({
      'has-changes': 'true',
      'to-add': '1',
      'to-destroy': '0',
      'state-serial': '2',
    });
    expect(r.outputs['backup-archive']).toBeUndefined();
    // Nothing to archive before the first apply, but the state it wrote is archived and copied off-site.
    expect(r.outputs['after-apply-remote']).toBe(
      `:local:${offsite}/${path.basename(r.outputs['after-apply-archive'])}`,
    );
    expect(sha256sumCheck(r.outputs['after-apply-archive'])).toContain(': OK');
    expect(r.outputs['state-lineage']).toBe(readState(state).lineage);
    const handoff = JSON.parse(fs.readFileSync(r.outputs['handoff-file'], 'utf8'));
    expect(Object.keys(handoff).sort()).toEqual(['host_id', 'host_name']);
    expect(handoff.host_name).toBe('h1');
    expect(JSON.parse(r.outputs['handoff-json'])).toEqual(handoff);
    // The override is gone and the stack was not otherwise touched.
    expect(fs.readdirSync(ws).filter((f) => f.endsWith('.tf'))).toEqual(['main.tf']);
  });

  test('plan with no changes records the plan and its metadata beside the state', async () => {
    const r = await env.run({ ...base(), mode: 'plan', 'var-files': varsH1 }, { workspace: ws });
    expect(r.exitCode).toBe(0);
    expect(r.outputs).toMatchObject({ 'has-changes': 'false', 'to-add': '0', 'to-change': '0' });
    const planFile = r.outputs['plan-file'];
    expect(path.dirname(planFile)).toBe(path.join(path.dirname(state), 'plans'));
    const meta = JSON.parse(fs.readFileSync(`${planFile}.meta.json`, 'utf8'));
    expect(meta).toMatchObject({
      stateSerial: 2,
      stateLineage: readState(state).lineage,
      planSha256: r.outputs['plan-sha256'],
    });
    expect(fs.statSync(planFile).mode & 0o077).toBe(0);
    expect(r.summary).toContain('| no |');
  });

  let savedPlan: string;
  test('plan → apply of the saved plan backs up, copies off-machine and verifies before applying', async () => {
    const planned = await env.run({ ...base(), mode: 'plan', 'var-files': varsH2 }, { workspace: ws });
    expect(planned.exitCode).toBe(0);
    expect(planned.outputs).toMatchObject({
      'has-changes': 'true',
      'to-add': '0',
      'to-change': '1',
      'to-replace': '0',
    });
    savedPlan = planned.outputs['plan-file'];

    const r = await env.run({ ...base(), mode: 'apply', 'plan-file': savedPlan }, { workspace: ws });
    expect(r.exitCode).toBe(0);
    const archive = r.outputs['backup-archive'];
    expect(path.basename(archive)).toMatch(
      /^terraform\.tfstate\.[0-9a-f]{12}\.\d{8}T\d{6}Z\.serial-2\.tar\.gz$/,
    );
    expect(sha256sumCheck(archive)).toContain(': OK');
    expect(fs.readFileSync(`${archive}.sha256`, 'utf8')).toBe(
      `${r.outputs['backup-sha256']}  ${path.basename(archive)}\n`,
    );
    expect(r.outputs['backup-remote']).toBe(`:local:${offsite}/${path.basename(archive)}`);
    expect(fs.readFileSync(path.join(offsite, path.basename(archive))).equals(fs.readFileSync(archive))).toBe(
      true,
    );
    expect(Number(r.outputs['state-serial'])).toBeGreaterThan(2);
    expect(JSON.parse(r.outputs['handoff-json']).host_name).toBe('h2');
    expect(fs.existsSync(savedPlan)).toBe(false);
    expect(r.summary).toContain(path.basename(archive));
    // The backup step ran, and only then the apply.
    const steps = (r.report?.steps as { name: string }[]).map((s) => s.name.split(' ')[0]);
    expect(steps.indexOf('backup')).toBeLessThan(steps.indexOf('apply'));
    // Several action runs, each starting tofu and rclone several times: slow on a loaded machine.
  }, 180_000);

  test('a saved plan whose state has moved is refused as stale before any backup', async () => {
    const planned = await env.run({ ...base(), mode: 'plan', 'var-files': varsH1 }, { workspace: ws });
    expect(planned.outputs['has-changes']).toBe('true');
    const moved = await env.run({ ...base(), mode: 'apply', 'var-files': varsH1 }, { workspace: ws });
    expect(moved.exitCode).toBe(0);
    const before = fs.readFileSync(state);
    const archives = archivesIn(backups);

    const r = await env.run(
      { ...base(), mode: 'apply', 'plan-file': planned.outputs['plan-file'] },
      { workspace: ws },
    );
    expect(r.exitCode).toBe(1);
    expect(r.outputs['failure-reason']).toBe('plan-stale');
    expect(errorLines(r.log)).toHaveLength(1);
    expect(errorLines(r.log)[0]).toMatch(/cannot be applied: the state serial moved from \d+ to \d+/);
    expect(fs.readFileSync(state).equals(before)).toBe(true);
    expect(archivesIn(backups)).toEqual(archives);
    // Several action runs, each starting tofu and rclone several times: slow on a loaded machine.
  }, 180_000);

  test('restore brings the state back to the archived serial, archiving the current state first', async () => {
    const [oldest] = archivesIn(backups);
    const current = readState(state);
    const r = await env.run({ ...base(), mode: 'restore', 'restore-from': path.join(backups, oldest) });
    expect(r.exitCode).toBe(0);
    expect(r.outputs['state-serial']).toBe('2');
    expect(readState(state)).toMatchObject({ serial: 2, lineage: current.lineage });
    // The pre-restore archive holds the serial we left.
    expect(path.basename(r.outputs['backup-archive'])).toContain(`.serial-${current.serial}.tar.gz`);
    expect(r.summary).toContain(`${current.serial}/${current.lineage}`);
    // tofu agrees: planning against the restored state brings back h2's successor as a change.
    const plan = await env.run({ ...base(), mode: 'plan', 'var-files': varsH2 }, { workspace: ws });
    expect(plan.outputs['has-changes']).toBe('true');
  });

  test('a corrupt archive is refused and the state is not touched', async () => {
    const [first] = archivesIn(backups);
    const copyDir = path.join(env.root, 'tampered');
    fs.mkdirSync(copyDir, { recursive: true });
    const bad = path.join(copyDir, first);
    const bytes = fs.readFileSync(path.join(backups, first));
    bytes[bytes.length - 10] ^= 0xff;
    fs.writeFileSync(bad, bytes);
    fs.copyFileSync(path.join(backups, `${first}.sha256`), `${bad}.sha256`);
    const before = fs.readFileSync(state);
    const r = await env.run({ ...base(), mode: 'restore', 'restore-from': bad });
    expect(r.exitCode).toBe(1);
    expect(r.outputs['failure-reason']).toBe('restore-failed');
    expect(errorLines(r.log)[0]).toMatch(/did not verify \(sha256 mismatch/);
    expect(fs.readFileSync(state).equals(before)).toBe(true);
  });

  test('restore refuses an archive of another lineage unless allowed', async () => {
    // The state at this path was re-created (another lineage) after its archives were taken.
    const [first] = archivesIn(backups);
    const live = fs.readFileSync(state);
    fs.writeFileSync(
      state,
      JSON.stringify({ version: 4, serial: 1, lineage: 'other-lineage', outputs: {}, resources: [] }),
    );
    const refused = await env.run({ ...base(), mode: 'restore', 'restore-from': path.join(backups, first) });
    expect(refused.outputs['failure-reason']).toBe('restore-failed');
    expect(errorLines(refused.log)[0]).toMatch(
      /the current state is lineage other-lineage.*allow-lineage-change/,
    );
    const allowed = await env.run({
      ...base(),
      mode: 'restore',
      'restore-from': path.join(backups, first),
      'allow-lineage-change': 'true',
    });
    expect(allowed.exitCode).toBe(0);
    expect(readState(state).lineage).not.toBe('other-lineage');
    fs.writeFileSync(state, live);
  });

  test('retention keeps the newest backup-keep archives, including the one just made', async () => {
    const dir = path.join(env.root, 'retention');
    for (let i = 0; i < 3; i++) {
      const r = await env.run({ ...base(), mode: 'backup', 'backup-dir': dir, 'backup-keep': '2' });
      expect(r.exitCode).toBe(0);
      expect(archivesIn(dir)).toContain(path.basename(r.outputs['backup-archive']));
    }
    const left = archivesIn(dir);
    expect(left).toHaveLength(2);
    for (const a of left) expect(sha256sumCheck(path.join(dir, a))).toContain(': OK');
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.sha256'))).toHaveLength(2);
  });

  test('the canary (sensitive variable and output) appears in no log, summary, report, output, file or argv', () => {
    expect(env.runs.length).toBeGreaterThan(8);
    // It is really there to leak: in the state on the runner.
    expect(fs.readFileSync(state, 'utf8')).toContain(CANARY);
    expect(canaryLeaks(env.runs, env.recorder)).toEqual([]);
  });
});
