import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createArgvRecorder, type ArgvRecorder } from '../../support/argv-recorder.js';
import { errorLines, runAction } from '../../support/run-action.js';
import { requireTool } from '../../support/tools.js';
import { PASSWORD, leakPlaces, leaks } from '../../support/restic-restore-check-fixtures.js';

/**
 * Issue 15, item 1: credentials embedded in the inputs are registered before any validation can
 * throw, so no failure path shows them. The repository is never contacted here (every run fails on
 * its inputs): restic must not even start.
 */
const URL_PASSWORD = 'Hunter2-S3cretPw';
const REPOSITORY = `rest:https://backup:${URL_PASSWORD}@restic.example.net:8000/edge`;
const SHOWN = 'rest:https://backup:***@restic.example.net:8000/edge';
const URL_FORMS = [
  URL_PASSWORD,
  `backup:${URL_PASSWORD}`,
  Buffer.from(`backup:${URL_PASSWORD}`).toString('base64'),
];

let recorder: ArgvRecorder;

beforeAll(() => {
  requireTool('restic');
  recorder = createArgvRecorder(['restic', 'rclone', 'sh']);
});

afterAll(() => recorder.cleanup());

async function refused(inputs: Record<string, string>, input: string) {
  const before = recorder.calls().length;
  const r = await runAction({
    action: 'restic-restore-check',
    inputs,
    env: { PATH: recorder.path },
    timeoutMs: 60_000,
  });
  expect(r.exitCode).toBe(1);
  expect(r.outputs['failure-reason']).toBe('invalid-input');
  const errors = errorLines(r.log);
  expect(errors).toHaveLength(1);
  expect(errors[0]).toContain(`'${input}'`);
  expect(recorder.calls().slice(before)).toEqual([]);
  return r;
}

describe('a password in the repository URL', () => {
  test.each<[string, string, Record<string, string>]>([
    ['no password input', 'password', {}],
    ['two password inputs', 'password-command', { password: PASSWORD, 'password-command': 'cat /dev/null' }],
    ['a reserved variable in env', 'env', { password: PASSWORD, env: 'RESTIC_CACHE_DIR=/tmp/cache' }],
    ['compare-path without compare-with', 'compare-path', { password: PASSWORD, 'compare-path': '/srv' }],
    ['read-data-subset out of range', 'read-data-subset', { password: PASSWORD, 'read-data-subset': '3/2' }],
  ])('%s: never shown, the report keeps backup:***@', async (_, input, bad) => {
    const r = await refused({ repository: REPOSITORY, ...bad }, input);
    expect(leaks(leakPlaces(r, recorder.calls()), URL_FORMS)).toEqual([]);
    expect((r.report?.inputs as Record<string, string>).repository).toBe(SHOWN);
    expect(r.masks).toContain(URL_PASSWORD);
  });

  test('a malformed input: never shown, masked from the start', async () => {
    const r = await refused(
      { repository: REPOSITORY, password: PASSWORD, 'max-age': 'yesterday' },
      'max-age',
    );
    expect(leaks(leakPlaces(r, recorder.calls()), URL_FORMS)).toEqual([]);
    expect(r.masks).toContain(URL_PASSWORD);
  });
});

describe('credentials in an rclone connection string', () => {
  // restic hands the remote to rclone in its arguments (internal/backend/rclone/backend.go appends
  // cfg.Remote to rclone's argv), where every process on the runner can read it.
  const KEY_ID = 'AKIACANARY7Q2W';
  const SECRET = 'canary-s3-secret/7Yx+Qw';
  const QUOTED = 'canary-quoted,with:colon';

  test.each<[string, string, string[]]>([
    [
      'on-the-fly backend',
      `rclone::s3,access_key_id=${KEY_ID},secret_access_key=${SECRET}:bucket/edge`,
      [KEY_ID, SECRET],
    ],
    ['named remote with a quoted parameter', `rclone:pcloud,password="${QUOTED}":edge`, [QUOTED]],
  ])('%s: refused before restic or rclone start, values never shown', async (_, repository, secrets) => {
    // Without the refusal, restic would start rclone and try the (unreachable) backend: bounded here.
    const r = await refused(
      { repository, password: PASSWORD, timeout: '20s', 'unreachable-after': '5s' },
      'repository',
    );
    expect(errorLines(r.log)[0]).toContain('RCLONE_CONFIG_');
    expect(leaks(leakPlaces(r, recorder.calls()), secrets)).toEqual([]);
    for (const s of secrets) expect(r.masks).toContain(s);
  });
});

describe('env values', () => {
  test('every value is registered before a reserved variable is refused', async () => {
    const value = 'canary-b2-account-key-4f1c';
    const r = await refused(
      { repository: REPOSITORY, password: PASSWORD, env: `B2_ACCOUNT_KEY=${value}\nRESTIC_PASSWORD=x` },
      'env',
    );
    expect(r.masks).toContain(value);
    expect(leaks(leakPlaces(r, recorder.calls()), [value, ...URL_FORMS])).toEqual([]);
  });
});
