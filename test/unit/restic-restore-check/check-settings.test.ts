import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { InputError } from '../../../shared/errors.js';
import { readInputs } from '../../../shared/inputs.js';
import { isSecretText, redact, resetSecretsForTest } from '../../../shared/secrets.js';
import { buildPlan, prepare } from '../../../actions/restic-restore-check/src/check-settings.js';
import { inputs } from '../../../actions/restic-restore-check/src/inputs.js';
import { repositoryLabel } from '../../../actions/restic-restore-check/src/restic/restic-environment.js';
import { thrown } from '../../support/thrown.js';

const DEFAULTS: Record<string, string> = {
  'max-age': '26h',
  check: 'structure',
  'read-data-subset': '5%',
  'sample-files': '20',
  'compare-tolerance': '0',
  'no-lock': 'false',
  'unreachable-after': '5m',
  timeout: '30m',
  'restic-binary': 'restic',
};

function settings(raw: Record<string, string>) {
  const all: Record<string, string> = { ...DEFAULTS, repository: '/srv/restic', password: 'pw', ...raw };
  return readInputs(inputs, (n) => all[n] ?? '', { HOME: '/home/op', GITHUB_WORKSPACE: '/ws' }).settings;
}

const inputErrorOf = (fn: () => unknown) => thrown(fn, InputError);

describe('single inputs', () => {
  test.each([
    ['paths', 'relative/path'],
    ['restore-include', '/ok\nnot/absolute'],
    ['tags', 'a,b c'],
    ['host', 'two words'],
    ['check', 'full'],
    ['read-data-subset', '5 %'],
    ['sample-files', '-1'],
    ['sample-files', '1001'],
    ['sample-seed', '4294967296'],
    ['max-age', 'yesterday'],
    ['compare-tolerance', '101'],
    ['no-lock', 'yes'],
    ['timeout', '1s'],
    ['env', 'NO_EQUALS_SIGN'],
  ])('%s rejects %j', (name, value) => {
    expect(inputErrorOf(() => settings({ [name]: value })).input).toBe(name);
  });

  test('paths are normalised', () => {
    expect(settings({ paths: '/srv//forgejo/\n/var/./db.sql' }).paths).toEqual([
      '/srv/forgejo',
      '/var/db.sql',
    ]);
  });
});

describe('prepare: rules across inputs', () => {
  test.each([
    [{ password: '' }, 'password', 'none of them'],
    [{ 'password-command': 'pass show restic' }, 'password-command', "'password' and 'password-command'"],
  ])('password sources %j', (raw, input, given) => {
    const e = inputErrorOf(() => prepare(settings(raw)));
    expect(e.input).toBe(input);
    expect(e.message).toContain(given);
  });

  test.each(['RESTIC_PASSWORD', 'RESTIC_REPOSITORY', 'RESTIC_CACHE_DIR', 'RESTIC_PASSWORD_COMMAND'])(
    'env may not set %s',
    (key) => {
      const e = inputErrorOf(() => prepare(settings({ env: `AWS_REGION=x\n${key}=y` })));
      expect(e.input).toBe('env');
      expect(e.message).not.toContain('=y');
    },
  );

  test.each(['0%', '3/2', '0/5'])('read-data-subset %s is refused', (v) => {
    expect(inputErrorOf(() => prepare(settings({ 'read-data-subset': v }))).input).toBe('read-data-subset');
  });

  test.each(['1/5', '5%', '2.5%', '100%', '500M', '1G', '1024'])('read-data-subset %s is accepted', (v) => {
    expect(() => prepare(settings({ 'read-data-subset': v }))).not.toThrow();
  });

  test('compare-path needs compare-with', () => {
    expect(inputErrorOf(() => prepare(settings({ 'compare-path': '/srv' }))).input).toBe('compare-path');
  });

  test('every env value becomes a secret before any rule is checked, with the REST Basic auth form', () => {
    resetSecretsForTest();
    const env =
      'AWS_SECRET_ACCESS_KEY=very/secret+key\nRESTIC_REST_USERNAME=backup\nRESTIC_REST_PASSWORD=rest-pw';
    inputErrorOf(() => settings({ env: `${env}\nRESTIC_PASSWORD=x`, 'max-age': 'bad' }));
    expect(isSecretText('very/secret+key')).toBe(true);
    expect(isSecretText('rest-pw')).toBe(true);
    expect(isSecretText(Buffer.from('backup:rest-pw').toString('base64'))).toBe(true);
  });

  test('flags and small numbers in env are not secrets (they would mask every true or 3)', () => {
    resetSecretsForTest();
    settings({ env: 'RCLONE_S3_NO_CHECK_BUCKET=true\nRCLONE_TRANSFERS=8\nB2_ACCOUNT_KEY=K001secret' });
    expect(redact('ok: true, 8 files')).toBe('ok: true, 8 files');
    expect(isSecretText('K001secret')).toBe(true);
  });

  test.each([
    [
      'verify-command',
      { 'verify-command': 'check-db --token very/secret+key', env: 'TOKEN=very/secret+key' },
    ],
    ['password-command', { password: '', 'password-command': 'echo Zq9-canary', env: 'X=Zq9-canary' }],
  ])('%s holding a secret value is an input error, not an unexpected one', (input, raw) => {
    const e = inputErrorOf(() => prepare(settings(raw)));
    expect(e.input).toBe(input);
    expect(e.message).not.toMatch(/very\/secret|Zq9/);
  });

  test('the password and its base64 forms are registered; so is the content of password-file', () => {
    resetSecretsForTest();
    const long = 'L'.repeat(70);
    settings({ password: long });
    const b64 = Buffer.from(`${long}\n`).toString('base64');
    // base64 wraps at 76 columns: each printed line is masked on its own.
    expect(isSecretText(b64.slice(0, 76))).toBe(true);
    expect(isSecretText(Buffer.from(long).toString('base64'))).toBe(true);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rrc-pwfile-'));
    try {
      fs.writeFileSync(path.join(dir, 'pass'), 'file-password-9\n');
      settings({ password: '', 'password-file': path.join(dir, 'pass') });
      expect(isSecretText('file-password-9')).toBe(true);
      expect(isSecretText(Buffer.from('file-password-9\n').toString('base64'))).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test.each([
    ['rclone::s3,access_key_id=AKIAX,secret_access_key=sec/ret:bucket/edge', ['AKIAX', 'sec/ret']],
    ['rclone:pcloud,password="a:b,c""d":edge', ['a:b,c"d', '"a:b,c""d"']],
    ["rclone:pcloud,pass='x',shared_with_me:edge", ['x']],
  ])('an rclone connection string %s is refused, its values registered first', (repository, values) => {
    resetSecretsForTest();
    const e = inputErrorOf(() => prepare(settings({ repository })));
    expect(e.input).toBe('repository');
    expect(e.message).toContain('RCLONE_CONFIG_<REMOTE>_<OPTION>');
    for (const v of values) expect(isSecretText(v)).toBe(true);
    expect(redact(repository)).not.toMatch(/AKIAX|sec\/ret|a:b|'x'/);
  });

  test.each(['rclone:pcloud:edge', 'rclone::local:/srv/restic', 'rclone:pcloud:dir,with,commas'])(
    'an rclone remote without parameters (%s) is accepted',
    (repository) => {
      expect(() => prepare(settings({ repository }))).not.toThrow();
    },
  );

  test('a given seed is used, otherwise a random one', () => {
    expect(prepare(settings({ 'sample-seed': '12345' })).seed).toBe(12345);
    expect(Number.isInteger(prepare(settings({})).seed)).toBe(true);
  });
});

test.each([
  [
    'rest:https://user:s3cr%40t@backup.example.org/repo',
    'rest:https://user:***@backup.example.org/repo',
    's3cr@t',
  ],
  ['/srv/restic', '/srv/restic', undefined],
  ['sftp:backup@nas:/srv/restic', 'sftp:backup@nas:/srv/restic', undefined],
])('repository %s: password registered when inputs are read, label without it', (repo, label, secret) => {
  resetSecretsForTest();
  settings({ repository: repo });
  expect(repositoryLabel(repo)).toBe(label);
  if (secret) expect(isSecretText(secret)).toBe(true);
});

test('buildPlan maps compare-with onto the same snapshot path unless compare-path says otherwise', () => {
  const s = settings({ 'compare-with': '/tmp', tags: 'daily, forgejo' });
  const plan = buildPlan(s, 7, '/r');
  expect(plan.compare).toEqual({ localDir: '/tmp', snapshotPath: '/tmp', tolerancePercent: 0 });
  expect(plan.filter).toEqual({ host: undefined, tags: ['daily', 'forgejo'] });
  expect(
    buildPlan(settings({ 'compare-with': '/tmp', 'compare-path': '/srv/data/' }), 7, '/r').compare
      ?.snapshotPath,
  ).toBe('/srv/data');
});
