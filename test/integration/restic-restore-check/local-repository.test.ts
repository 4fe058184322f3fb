import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createArgvRecorder } from '../../support/argv-recorder.js';
import { errorLines, runAction, type ActionRun } from '../../support/run-action.js';
import { requireTool } from '../../support/tools.js';
import {
  PASSWORD,
  backup,
  copyDir,
  corruptLargestPack,
  initRepo,
  leaveStaleExclusiveLock,
  leakPlaces,
  leaks,
  makeSource,
  passwordForms,
  skippingRestic,
  tamperingRestic,
  tempDir,
} from '../../support/restic-restore-check-fixtures.js';

/** The real restic (Debian's 0.14 here) against local repositories, through the runner harness. */
let root: string;
let src: string;
let base: string;
let copies = 0;

beforeAll(() => {
  requireTool('restic');
  root = tempDir('local');
  src = makeSource(root);
  base = path.join(root, 'base');
  initRepo(base);
  backup(base, [src]);
});

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

/** A private copy of the healthy repository for tests that break it. */
function repoCopy(): string {
  return copyDir(base, path.join(root, `copy-${++copies}`));
}

function check(inputs: Record<string, string>, env?: Record<string, string>): Promise<ActionRun> {
  return runAction({
    action: 'restic-restore-check',
    inputs: { repository: base, password: PASSWORD, 'sample-files': '3', timeout: '60s', ...inputs },
    env,
    timeoutMs: 60_000,
  });
}

function expectFailure(r: ActionRun, reason: string): string {
  expect(r.exitCode).toBe(1);
  expect(r.outputs['failure-reason']).toBe(reason);
  expect(r.report?.failure?.reason).toBe(reason);
  const errors = errorLines(r.log);
  expect(errors).toHaveLength(1);
  expect(r.log).not.toMatch(/\n\s+at .*\.js:\d+/);
  return errors[0];
}

const SEED = '123456';
let healthySample: string[] = [];

function sampledFiles(r: ActionRun): string[] {
  const result = r.report?.result as { restore: { files: { path: string }[] } };
  return result.restore.files
    .map((f) => f.path)
    .filter((p) => !p.startsWith(`${src}/db/`) && p !== `${src}/canary.txt`);
}

function leftovers(r: ActionRun): string[] {
  return fs.readdirSync(r.runnerTemp).filter((n) => n.startsWith('restic-restore-check-'));
}

describe('healthy repository', () => {
  test('restores, verifies, spot-checks and runs verify-command; outputs and report say so; nothing left behind', async () => {
    const r = await check({
      paths: `${src}/db\n${src}/repos`,
      'restore-include': `${src}/db\n${src}/canary.txt`,
      'compare-with': src,
      'verify-command':
        'grep -q "CREATE TABLE" "$RESTORE_DIR"/*/*/*/*/db/forgejo.sql || grep -rq "CREATE TABLE" .',
      check: 'read-data-subset',
      'read-data-subset': '100%',
      'sample-seed': SEED,
    });
    healthySample = sampledFiles(r);
    expect(r.exitCode).toBe(0);
    expect(errorLines(r.log)).toEqual([]);
    expect(r.outputs['snapshot-id']).toMatch(/^[0-9a-f]{64}$/);
    expect(Number(r.outputs['snapshot-age-seconds'])).toBeGreaterThanOrEqual(0);
    expect(r.outputs['check-result']).toBe('ok');
    // 2 include files (db/forgejo.sql, canary.txt) + 3 sampled.
    expect(r.outputs['files-restored']).toBe('5');
    const result = r.report?.result as {
      restore: { filesVerified: number; bytesRestored: number };
      seed: number;
      resticVersion: string;
    };
    expect(result.restore.filesVerified).toBe(5);
    expect(String(result.restore.bytesRestored)).toBe(r.outputs['bytes-restored']);
    expect(Number.isInteger(result.seed)).toBe(true);
    expect(result.resticVersion).toMatch(/^0\.\d+\.\d+/);
    expect(r.summary).toContain('restored and verified');
    expect(r.summary).toContain(String(result.seed));
    expect(leftovers(r)).toEqual([]);
  });
});

describe('failures', () => {
  test('wrong password', async () => {
    const line = expectFailure(await check({ password: 'not-the-password' }), 'wrong-password');
    expect(line).toContain('no key matches');
  });

  test('missing repository', async () => {
    const line = expectFailure(await check({ repository: path.join(root, 'nope') }), 'unreachable');
    expect(line).toContain('There is no restic repository at');
  });

  test('stale snapshot (a backup made with an old --time)', async () => {
    const repo = path.join(root, 'stale');
    initRepo(repo);
    backup(repo, [src], { time: '2024-01-01 03:00:00' });
    const r = await check({ repository: repo, 'max-age': '26h' });
    expect(expectFailure(r, 'stale')).toContain('more than max-age 26h');
    expect(r.outputs['snapshot-time']).toBe('2024-01-01T03:00:00.000Z');
  });

  test('a snapshot made later but dated before its parent', async () => {
    const repo = path.join(root, 'backdated');
    initRepo(repo);
    const parent = backup(repo, [src]);
    backup(repo, [src], { time: '2024-01-01 03:00:00', parent });
    expect(expectFailure(await check({ repository: repo }), 'stale')).toContain('before its parent');
  });

  test('no snapshot for the host', async () => {
    expectFailure(await check({ host: 'other-host' }), 'no-snapshot');
  });

  test('missing expected path', async () => {
    const line = expectFailure(await check({ paths: `${src}/db\n${src}/keys` }), 'missing-path');
    expect(line).toContain(`'${src}/keys'`);
  });

  test('corrupted pack file: check fails as integrity', async () => {
    const repo = repoCopy();
    corruptLargestPack(repo);
    const r = await check({ repository: repo, check: 'read-data-subset', 'read-data-subset': '100%' });
    expect(expectFailure(r, 'integrity')).toContain('found damage');
    expect(r.outputs['check-result']).toBe('errors');
    expect(r.outputs['files-restored']).toBeUndefined();
  });

  test('stale exclusive lock: says who holds it and how to remove it', async () => {
    const repo = repoCopy();
    const pid = await leaveStaleExclusiveLock(repo);
    const line = expectFailure(await check({ repository: repo }), 'locked');
    expect(line).toContain(`locked exclusively by restic PID ${pid}`);
    expect(line).toContain('no longer running on this host, so the lock is stale');
    expect(line).toContain('Remove it with `restic unlock`');
  });

  test('a restored file changed after restic verified it (wrapper rewrites it after the real restore)', async () => {
    const bin = tamperingRestic(path.join(root, 'tamper-bin'), 'forgejo.sql');
    const r = await check({ 'restore-include': `${src}/db/forgejo.sql`, 'restic-binary': bin });
    expect(expectFailure(r, 'restore-mismatch')).toContain(
      `${src}/db/forgejo.sql: changed after the restore`,
    );
    expect(leftovers(r)).toEqual([]);
  });

  test('a file the restore skipped (restic --verify passes: it checks what it restored)', async () => {
    const bin = skippingRestic(path.join(root, 'skip-bin'), 'forgejo.sql');
    const r = await check({
      'restore-include': `${src}/canary.txt\n${src}/db/forgejo.sql`,
      'restic-binary': bin,
    });
    expect(r.log).toContain('finished verifying');
    expect(expectFailure(r, 'restore-mismatch')).toContain(`${src}/db/forgejo.sql: restore did not write it`);
  });

  test("verify-command failing (and the recorded seed replays the healthy run's sample)", async () => {
    const r = await check({
      'verify-command': 'echo "database is malformed" >&2; exit 3',
      'restore-include': `${src}/db\n${src}/canary.txt`,
      'sample-seed': SEED,
    });
    expect(expectFailure(r, 'verify-command')).toContain('exit 3): database is malformed');
    expect(healthySample.length).toBeGreaterThan(0);
    expect(sampledFiles(r)).toEqual(healthySample);
  });

  test('spot check against a source that changed beyond tolerance', async () => {
    const live = copyDir(src, path.join(root, 'live'));
    fs.writeFileSync(path.join(live, 'repos', 'ops', 'new-1.bin'), 'new');
    fs.writeFileSync(path.join(live, 'repos', 'ops', 'new-2.bin'), 'new');
    const inputs = { 'compare-with': live, 'compare-path': src, 'restore-include': `${src}/canary.txt` };
    const line = expectFailure(await check({ ...inputs, 'compare-tolerance': '5' }), 'restore-mismatch');
    expect(line).toContain('13 files live vs 11 in the snapshot');
    const tolerated = await check({ ...inputs, 'compare-tolerance': '20' });
    expect(tolerated.exitCode).toBe(0);
  }, 180_000);

  test('main killed mid-run: the post step still removes the password file and the restored files', async () => {
    const runnerTemp = tempDir('killed');
    const pidFile = path.join(root, 'restore.pid');
    // restic restore pauses (in the wrapper, before the real restic starts) until the test has looked.
    const paused = createArgvRecorder(['restic'], {
      before: {
        restic: `case " $* " in *" restore "*) echo $$ > ${JSON.stringify(pidFile)}; sleep 60;; esac`,
      },
    });
    const scratch = () => fs.readdirSync(runnerTemp).filter((n) => n.startsWith('restic-restore-check-'));
    let seen: string[] = [];
    let sawPassword = false;
    let sawRestoreDir = false;
    const r = await runAction({
      action: 'restic-restore-check',
      inputs: { repository: base, password: PASSWORD, 'sample-files': '1', check: 'none' },
      env: { PATH: paused.path },
      runnerTemp,
      timeoutMs: 90_000,
      onMainStarted: (child) => {
        const poll = setInterval(() => {
          if (!fs.existsSync(pidFile) || fs.readFileSync(pidFile, 'utf8').trim() === '') return;
          clearInterval(poll);
          seen = scratch();
          const dir = path.join(runnerTemp, seen[0] ?? 'none');
          // The password file: 0600 in a 0700 directory.
          sawPassword =
            seen.length === 1 &&
            (fs.statSync(dir).mode & 0o777) === 0o700 &&
            (fs.statSync(path.join(dir, 'password')).mode & 0o777) === 0o600;
          sawRestoreDir = seen.length === 1 && fs.statSync(path.join(dir, 'restore')).isDirectory();
          child.kill('SIGKILL');
        }, 50);
      },
    });
    // The paused restic runs in its own process group, which the SIGKILL of main does not reach.
    process.kill(-Number(fs.readFileSync(pidFile, 'utf8')), 'SIGKILL');
    paused.cleanup();
    expect(r.main.signal).toBe('SIGKILL');
    expect([seen.length, sawPassword, sawRestoreDir]).toEqual([1, true, true]);
    expect(r.post?.exitCode).toBe(0);
    expect(scratch()).toEqual([]);
    fs.rmSync(runnerTemp, { recursive: true, force: true });
  }, 120_000);

  test('verify-command cannot read the restic password: password file and cache are gone, derived forms masked', async () => {
    const listing = path.join(root, 'scratch-listing');
    const r = await check({
      'verify-command': [
        `ls -A .. > ${JSON.stringify(listing)}`,
        'base64 ../password 2>&1 || true',
        'cat ../password 2>&1 || true',
        'echo "$(cat ../password 2>/dev/null)" | base64',
      ].join('\n'),
    });
    expect(errorLines(r.log)).toEqual([]);
    expect(r.exitCode).toBe(0);
    // Only the restored files are left beside the command's working directory.
    expect(fs.readFileSync(listing, 'utf8').split('\n').filter(Boolean)).toEqual(['restore']);
    expect(leaks(leakPlaces(r), passwordForms(PASSWORD))).toEqual([]);
  });

  test("verify-command printing the operator's password-file: its content and base64 are masked", async () => {
    const file = path.join(root, 'operator.pass');
    fs.writeFileSync(file, `${PASSWORD}\n`, { mode: 0o600 });
    const r = await check({
      password: '',
      'password-file': file,
      'verify-command': `cat ${JSON.stringify(file)}; base64 ${JSON.stringify(file)}; tr -d '\\n' < ${JSON.stringify(file)} | base64`,
    });
    expect(r.exitCode).toBe(0);
    expect(leaks(leakPlaces(r), passwordForms(PASSWORD))).toEqual([]);
  });

  test('timeout: a hanging verify-command is killed with its process group', async () => {
    const r = await check({ 'verify-command': 'sleep 120 & wait', timeout: '10s' });
    expect(expectFailure(r, 'timeout')).toContain('did not finish within 10s');
    expect(leftovers(r)).toEqual([]);
  });
});
