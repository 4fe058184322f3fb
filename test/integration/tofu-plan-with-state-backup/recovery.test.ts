import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
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
 * Issue 14 A, A2, B and C with the real terraform and rclone (`:local:` remotes): archive identity
 * with two states in one backup directory, the first release's archive names, the off-site copy after
 * an apply, "the runner is gone" restore from the remote, and the recovery drill (`mode: rehearse`).
 * Archives of the first release and hand-dated ones are written with GNU tar and sha256sum, in the
 * documented layout (metadata.json + the state file, `.sha256` beside).
 */
let env: Env;
const SLOW = 400_000;

beforeAll(() => {
  env = setupEnv('tofu-recovery');
});
afterAll(() => env.cleanup());

const home = (rel: string) => path.join(env.runnerHome, rel);
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** The state id of a path under HOME, as README documents it: sha256 of `~/…`, 12 hex digits. */
const stateIdOf = (rel: string) => sha256(Buffer.from(`~/${rel}`)).slice(0, 12);
const stamp = (d: Date) =>
  d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');

/** Every file under `dir` with its bytes, to prove a run left it exactly as it was. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = sha256(fs.readFileSync(p));
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out;
}

/** Writes an archive with GNU tar: metadata.json and the state, `.sha256` beside; returns its path. */
function tarArchive(dir: string, name: string, metadata: object, state: Buffer): string {
  const staging = fs.mkdtempSync(path.join(env.root, 'staging-'));
  const meta = { ...metadata, stateSha256: sha256(state) };
  fs.writeFileSync(path.join(staging, 'metadata.json'), JSON.stringify(meta, null, 2) + '\n');
  fs.writeFileSync(path.join(staging, 'terraform.tfstate'), state);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  execFileSync('tar', ['czf', path.join(dir, name), '-C', staging, 'metadata.json', 'terraform.tfstate']);
  fs.writeFileSync(
    path.join(dir, `${name}.sha256`),
    `${sha256(fs.readFileSync(path.join(dir, name)))}  ${name}\n`,
  );
  fs.rmSync(staging, { recursive: true });
  return path.join(dir, name);
}

function stateBytes(serial: number, lineage: string): Buffer {
  return Buffer.from(JSON.stringify({ version: 4, serial, lineage, outputs: {}, resources: [] }) + '\n');
}

/** The state file inside an archive, read with GNU tar. */
function stateIn(archive: string): Buffer {
  return execFileSync('tar', ['xzOf', archive, 'terraform.tfstate']);
}

function scratchLeftovers(runnerTemp: string): string[] {
  return fs.readdirSync(runnerTemp).filter((n) => /^tofu-(rehearse|fetch)-/.test(n));
}

describe('archive identity', () => {
  test(
    "two states sharing one backup-dir: each one's retention keeps the other's archives, latest restores each its own, another's archive is refused",
    async () => {
      const shared = home('infra/backups');
      const a = home('infra/state/a/terraform.tfstate');
      const b = home('infra/state/b/terraform.tfstate');
      const ws = { a: env.workspace(), b: env.workspace() };
      const apply = (which: 'a' | 'b', host: string) =>
        env.run(
          {
            mode: 'apply',
            'state-path': which === 'a' ? a : b,
            'backup-dir': shared,
            'backup-keep': '2',
            'var-files': env.varFile(`${which}-${host}.tfvars`, host),
          },
          { workspace: ws[which] },
        );
      for (const [which, host] of [
        ['a', 'a1'],
        ['b', 'b1'],
        ['a', 'a2'],
        ['b', 'b2'],
        ['a', 'a3'],
      ] as const)
        expect((await apply(which, host)).exitCode).toBe(0);

      // Each state's retention (backup-keep 2) kept the other's archives: two of each.
      expect(archivesIn(shared)).toHaveLength(4);
      const byState = (rel: string) => archivesIn(shared).filter((n) => n.includes(`.${stateIdOf(rel)}.`));
      // Each kept its newest two (names carry the state id); neither deleted the other's.
      expect(byState('infra/state/a/terraform.tfstate')).toHaveLength(2);
      expect(byState('infra/state/b/terraform.tfstate')).toHaveLength(2);

      const bArchive = path.join(shared, byState('infra/state/b/terraform.tfstate')[0]);
      const liveA = fs.readFileSync(a);
      const liveB = readState(b);
      fs.rmSync(a);
      fs.rmSync(`${a}.backup`);
      const restoredA = await env.run({
        mode: 'restore',
        'state-path': a,
        'backup-dir': shared,
        'restore-from': 'latest',
      });
      expect(restoredA.exitCode).toBe(0);
      expect(fs.readFileSync(a).equals(liveA)).toBe(true);
      const restoredB = await env.run({
        mode: 'restore',
        'state-path': b,
        'backup-dir': shared,
        'restore-from': 'latest',
      });
      expect(restoredB.exitCode).toBe(0);
      expect(readState(b)).toEqual(liveB);

      const refused = await env.run({
        mode: 'restore',
        'state-path': a,
        'backup-dir': shared,
        'restore-from': bArchive,
      });
      expect(refused.outputs['failure-reason']).toBe('restore-failed');
      expect(errorLines(refused.log)).toHaveLength(1);
      expect(errorLines(refused.log)[0]).toContain(
        "it is an archive of the state '~/infra/state/b/terraform.tfstate', not of '~/infra/state/a/terraform.tfstate'",
      );
      expect(fs.readFileSync(a).equals(liveA)).toBe(true);
    },
    SLOW,
  );

  test(
    "an archive in the first release's naming is restorable by path, and by latest when its metadata names the state",
    async () => {
      const state = home('legacy/terraform.tfstate');
      const dir = path.join(path.dirname(state), 'backups');
      const ours = stateBytes(7, 'L-legacy');
      const old = tarArchive(
        dir,
        'terraform.tfstate.20261101T080000Z.serial-7.tar.gz',
        { format: 1, stateFile: 'terraform.tfstate', statePath: state, serial: 7, lineage: 'L-legacy' },
        ours,
      );
      // Newer, same file name, another state's (its metadata says so): latest must pass over it.
      tarArchive(
        dir,
        'terraform.tfstate.20261102T080000Z.serial-9.tar.gz',
        {
          format: 1,
          stateFile: 'terraform.tfstate',
          statePath: home('elsewhere/terraform.tfstate'),
          serial: 9,
        },
        stateBytes(9, 'L-elsewhere'),
      );
      const byPath = await env.run({ mode: 'restore', 'state-path': state, 'restore-from': old });
      expect(byPath.exitCode).toBe(0);
      expect(fs.readFileSync(state).equals(ours)).toBe(true);
      expect(byPath.outputs).toMatchObject({
        'archive-serial': '7',
        'archive-lineage': 'L-legacy',
        'archive-source': 'local',
      });

      fs.rmSync(state);
      const latest = await env.run({ mode: 'restore', 'state-path': state, 'restore-from': 'latest' });
      expect(latest.exitCode).toBe(0);
      expect(latest.outputs['archive-path']).toBe(old);
      expect(fs.readFileSync(state).equals(ours)).toBe(true);
    },
    SLOW,
  );
});

describe('off-site copy and remote restore', () => {
  const rel = 'infra/state/d/terraform.tfstate';
  let ws: string;
  let state: string;
  let offsite: string;
  let lastApply: Awaited<ReturnType<Env['run']>>;
  const remote = () => `:local:${offsite}`;

  beforeAll(() => {
    ws = env.workspace();
    state = home(rel);
    offsite = path.join(env.root, 'pcloud', 'infra', 'state', 'd');
  });

  test(
    'right after an apply, the newest off-site archive holds the state that apply wrote',
    async () => {
      for (const host of ['d1', 'd2']) {
        lastApply = await env.run(
          {
            mode: 'apply',
            'state-path': state,
            'backup-remote': remote(),
            'var-files': env.varFile(`${host}.tfvars`, host),
          },
          { workspace: ws },
        );
        expect(lastApply.exitCode).toBe(0);
      }
      const newest = archivesIn(offsite).at(-1)!;
      expect(lastApply.outputs['after-apply-remote']).toBe(`${remote()}/${newest}`);
      expect(stateIn(path.join(offsite, newest)).equals(fs.readFileSync(state))).toBe(true);
      expect(sha256sumCheck(path.join(offsite, newest))).toContain(': OK');
      // Before, after the first apply; before and after the second.
      expect(archivesIn(offsite)).toHaveLength(3);
    },
    SLOW,
  );

  test(
    '"the runner is gone": with the backup directory and the state deleted, restore-from remote brings the state back byte-identical',
    async () => {
      const archived = fs.readFileSync(state);
      fs.rmSync(path.dirname(state), { recursive: true });
      const r = await env.run({
        mode: 'restore',
        'state-path': state,
        'backup-remote': remote(),
        'restore-from': 'remote',
      });
      expect(r.exitCode).toBe(0);
      expect(fs.readFileSync(state).equals(archived)).toBe(true);
      expect(r.outputs).toMatchObject({
        'archive-source': 'remote',
        'archive-path': lastApply.outputs['after-apply-remote'],
        'archive-serial': String(readState(state).serial),
        'state-serial': String(readState(state).serial),
      });
      expect(Number(r.outputs['archive-age-seconds'])).toBeGreaterThanOrEqual(0);
      // What it fetched is gone; nothing was archived locally (there was no state to archive first).
      expect(scratchLeftovers(r.runnerTemp)).toEqual([]);
      expect(archivesIn(path.join(path.dirname(state), 'backups'))).toEqual([]);
      // "What can I go back to": three archives, all off-site only.
      const inv = (
        r.report?.result as { stacks: { inventory: { entries: object[]; localOnly: string[] } }[] }
      ).stacks[0].inventory;
      expect(inv.entries).toHaveLength(3);
      for (const e of inv.entries) expect(e).toMatchObject({ local: false, remote: true, legacy: false });
      expect(r.summary).toContain('Archives of');
      // tofu agrees the restored state describes the infrastructure.
      const plan = await env.run(
        { mode: 'plan', 'state-path': state, 'var-files': env.varFile('d2.tfvars', 'd2') },
        { workspace: ws },
      );
      expect(plan.outputs['has-changes']).toBe('false');
    },
    SLOW,
  );

  test(
    'an explicit rclone path restores that archive; archives only on this machine are flagged',
    async () => {
      const [oldest] = archivesIn(offsite);
      const r = await env.run({
        mode: 'restore',
        'state-path': state,
        'backup-remote': remote(),
        'restore-from': `${remote()}/${oldest}`,
      });
      expect(r.exitCode).toBe(0);
      expect(fs.readFileSync(state).equals(stateIn(path.join(offsite, oldest)))).toBe(true);
      expect(r.outputs['archive-path']).toBe(`${remote()}/${oldest}`);
      // Put the newest back (from the local pre-restore archive this time).
      const back = await env.run({
        mode: 'restore',
        'state-path': state,
        'restore-from': r.outputs['backup-archive'],
      });
      expect(back.exitCode).toBe(0);

      const localOnly = await env.run({ mode: 'backup', 'state-path': state });
      expect(localOnly.exitCode).toBe(0);
      const listed = await env.run({ mode: 'backup', 'state-path': state, 'backup-remote': remote() });
      const inv = (listed.report?.result as { stacks: { inventory: { localOnly: string[] } }[] }).stacks[0]
        .inventory;
      expect(inv.localOnly).toContain(path.basename(localOnly.outputs['backup-archive']));
      expect(inv.localOnly).not.toContain(path.basename(listed.outputs['backup-archive']));
      expect(listed.summary).toMatch(/archive\(s\) exist only on this machine/);
    },
    SLOW,
  );

  test(
    'rehearse passes on a matching archive; the live state, its lock and archives are untouched; no scratch is left',
    async () => {
      const before = snapshot(path.dirname(state));
      const record = fs.readFileSync(path.join(ws, '.terraform', 'terraform.tfstate'));
      const calls = env.recorder.calls().length;
      const r = await env.run(
        {
          mode: 'rehearse',
          'state-path': state,
          'backup-remote': remote(),
          'var-files': env.varFile('d2.tfvars', 'd2'),
        },
        { workspace: ws },
      );
      expect(r.exitCode).toBe(0);
      expect(r.outputs).toMatchObject({
        'has-changes': 'false',
        'archive-source': 'remote',
        'to-change': '0',
      });
      expect(r.outputs['archive-path']).toBe(`${remote()}/${archivesIn(offsite).at(-1)}`);
      expect(snapshot(path.dirname(state))).toEqual(before);
      expect(fs.existsSync(`${state}.lock`)).toBe(false);
      expect(fs.readFileSync(path.join(ws, '.terraform', 'terraform.tfstate')).equals(record)).toBe(true);
      expect(fs.readdirSync(ws).filter((f) => f.endsWith('.tf'))).toEqual(['main.tf']);
      expect(scratchLeftovers(r.runnerTemp)).toEqual([]);
      // tofu was pointed at a scratch state in RUNNER_TEMP, never at the live one.
      const planned = env.recorder
        .calls()
        .slice(calls)
        .filter((c) => c[1] === 'plan');
      expect(planned).toHaveLength(1);
      expect(r.log).toContain('Rehearsal');
    },
    SLOW,
  );

  test(
    'after a change applied to the live stack without an off-site copy, rehearse fails with rehearsal-drift',
    async () => {
      const changed = await env.run(
        { mode: 'apply', 'state-path': state, 'var-files': env.varFile('d3.tfvars', 'd3') },
        { workspace: ws },
      );
      expect(changed.exitCode).toBe(0);
      const before = snapshot(path.dirname(state));
      const r = await env.run(
        {
          mode: 'rehearse',
          'state-path': state,
          'backup-remote': remote(),
          'var-files': env.varFile('d3.tfvars', 'd3'),
        },
        { workspace: ws },
      );
      expect(r.exitCode).toBe(1);
      expect(r.outputs).toMatchObject({
        'failure-reason': 'rehearsal-drift',
        'has-changes': 'true',
        'to-change': '1',
      });
      expect(errorLines(r.log)).toHaveLength(1);
      expect(errorLines(r.log)[0]).toMatch(
        /finds 0 to add, 1 to change, 0 to destroy, 1 output change\(s\): the archive does not describe what exists/,
      );
      expect(snapshot(path.dirname(state))).toEqual(before);
      expect(scratchLeftovers(r.runnerTemp)).toEqual([]);
    },
    SLOW,
  );

  test(
    'max-archive-age: an off-site archive older than the limit fails with archive-too-old before any plan',
    async () => {
      const relE = 'infra/state/e/terraform.tfstate';
      const stateE = home(relE);
      const remoteE = path.join(env.root, 'pcloud', 'e');
      const taken = new Date(Date.now() - 10 * 86_400_000);
      tarArchive(
        remoteE,
        `terraform.tfstate.${stateIdOf(relE)}.${stamp(taken)}.serial-4.tar.gz`,
        {
          format: 2,
          stateFile: 'terraform.tfstate',
          statePath: stateE,
          stateKey: `~/${relE}`,
          stateId: stateIdOf(relE),
          serial: 4,
          lineage: 'L-e',
          createdAt: taken.toISOString(),
        },
        stateBytes(4, 'L-e'),
      );
      const calls = env.recorder.calls().length;
      const inputs = {
        mode: 'rehearse',
        'state-path': stateE,
        'backup-remote': `:local:${remoteE}`,
        'var-files': env.varFile('e.tfvars', 'e'),
      };
      const old = await env.run({ ...inputs, 'max-archive-age': '8d' }, { workspace: env.workspace() });
      expect(old.exitCode).toBe(1);
      expect(old.outputs['failure-reason']).toBe('archive-too-old');
      expect(errorLines(old.log)[0]).toMatch(/was taken .*, 10d ago: older than max-archive-age 8d/);
      expect(Number(old.outputs['archive-age-seconds'])).toBeGreaterThan(10 * 86_400 - 60);
      expect(
        env.recorder
          .calls()
          .slice(calls)
          .filter((c) => c[1] === 'plan' || c[1] === 'init'),
      ).toEqual([]);
      expect(fs.existsSync(path.dirname(stateE))).toBe(false);

      const young = await env.run({ ...inputs, 'max-archive-age': '30d' }, { workspace: env.workspace() });
      // Within the limit, the drill runs: this hand-made archive describes nothing, so tofu finds changes.
      expect(young.outputs['failure-reason']).toBe('rehearsal-drift');
      expect(fs.existsSync(path.dirname(stateE))).toBe(false);
    },
    SLOW,
  );

  test(
    'max-archive-size-mb applies before the download: an off-site file too large to be a state archive is never fetched',
    async () => {
      const relF = 'infra/state/f/terraform.tfstate';
      const remoteF = path.join(env.root, 'pcloud', 'f');
      fs.mkdirSync(remoteF, { recursive: true });
      const name = `terraform.tfstate.${stateIdOf(relF)}.${stamp(new Date())}.serial-1.tar.gz`;
      // 3 MiB that gzip cannot shrink: no archive of at most 1 MiB content compresses to that.
      fs.writeFileSync(path.join(remoteF, name), randomBytes(3 * 1024 * 1024));
      fs.writeFileSync(path.join(remoteF, `${name}.sha256`), `${'0'.repeat(64)}  ${name}\n`);
      const calls = env.recorder.calls().length;
      const r = await env.run({
        mode: 'restore',
        'state-path': home(relF),
        'restore-from': `:local:${remoteF}/${name}`,
        'max-archive-size-mb': '1',
      });
      expect(r.exitCode).toBe(1);
      expect(r.outputs['failure-reason']).toBe('restore-failed');
      expect(errorLines(r.log)[0]).toMatch(
        /is 3145728 bytes, more than .*max-archive-size-mb.*it was not fetched/,
      );
      const rclone = env.recorder
        .calls()
        .slice(calls)
        .filter((c) => path.basename(c[0]) === 'rclone');
      expect(rclone.map((c) => c.find((a) => a === 'copy' || a === 'lsjson'))).toEqual(['lsjson']);
      expect(scratchLeftovers(r.runnerTemp)).toEqual([]);
      expect(fs.existsSync(home(relF))).toBe(false);
    },
    SLOW,
  );

  test('no run leaked the canary', () => {
    expect(canaryLeaks(env.runs, env.recorder)).toEqual([]);
  });
});
