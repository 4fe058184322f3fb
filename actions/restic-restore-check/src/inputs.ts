import * as path from 'node:path';
import {
  bool,
  decimal,
  duration,
  filePath,
  int,
  keyValues,
  list,
  oneOf,
  secretText,
  text,
  Invalid,
} from '../../../shared/inputs.js';
import { withoutUrlPassword } from '../../../shared/credentials.js';
import {
  envCredentials,
  passwordFileCredentials,
  passwordForms,
  repositoryCredentials,
} from './restic/input-credentials.js';
import { reportArtifactInput } from '../../../shared/evidence.js';
import { resticDefaultCacheDir } from './cache/cache-location.js';

import { forgeInputs } from '../../../shared/forge.js';

/**
 * What `restic check --read-data-subset` accepts (cmd/restic/cmd_check.go): `n/t` with 1 ≤ n ≤ t, `x%` with
 * 0 < x ≤ 100, or a size with an optional K/M/G/T suffix. Ranges are checked in the pattern itself so a bad
 * value is an input error here and not a restic usage error later.
 */
const FRACTION = '(?:[1-9]\\d{0,5})/(?:[1-9]\\d{0,5})';
const PERCENT = '(?:100(?:\\.0{1,4})?|[1-9]?\\d(?:\\.\\d{1,4})?)%';
const SIZE = '[1-9]\\d{0,12}[KMGT]?';
export const READ_DATA_SUBSET = new RegExp(`^(?:${FRACTION}|${PERCENT}|${SIZE})$`);

/** `n > t` and `0%` are awkward in a pattern; restic refuses them, so the action does too. */
export function subsetInRange(raw: string): boolean {
  const fraction = /^(\d+)\/(\d+)$/.exec(raw);
  if (fraction) return Number(fraction[1]) <= Number(fraction[2]);
  return !raw.endsWith('%') || Number(raw.slice(0, -1)) > 0;
}

function absolutePath(raw: string): string | Invalid {
  if (!raw.startsWith('/')) return new Invalid('an absolute path inside the snapshot');
  const normal = path.posix.normalize(raw);
  return normal.length > 1 ? normal.replace(/\/$/, '') : normal;
}

export const inputs = {
  repository: text({
    expected: 'a restic repository (path, rest:, sftp:, rclone:, s3:, …)',
    pattern: /^\S.*$/,
  })
    .withCredentials(repositoryCredentials, withoutUrlPassword)
    .required(),
  password: secretText({ expected: 'the repository password' }).withCredentials(passwordForms),
  'password-file': filePath({ mustExist: 'file' }).withCredentials(passwordFileCredentials),
  'password-command': text({ expected: 'a command that prints the repository password' }),
  env: keyValues({
    keyPattern: /^[A-Za-z_][A-Za-z0-9_]*$/,
    keyExpected: 'environment variable names',
  })
    .secret()
    .withCredentials(envCredentials),
  host: text({ pattern: /^[^\s,]+$/, expected: 'a host name as restic records it' }),
  tags: list({
    separator: 'comma',
    itemExpected: 'tags without spaces',
    item: (t) => (/\s/.test(t) ? new Invalid() : t),
  }),
  paths: list({ item: absolutePath, itemExpected: 'absolute paths' }),
  'max-age': duration({ min: 60_000, max: 400 * 86_400_000 }).default('26h'),
  check: oneOf(['none', 'structure', 'read-data-subset'] as const).default('structure'),
  'read-data-subset': text({
    pattern: READ_DATA_SUBSET,
    expected: 'n/t (1 ≤ n ≤ t), a percentage above 0 up to 100% like 5%, or a size like 500M',
  }).default('5%'),
  'sample-files': int({ min: 0, max: 1000 }).default('20'),
  'sample-seed': int({ min: 0, max: 4294967295 }),
  'restore-include': list({ item: absolutePath, itemExpected: 'absolute paths' }),
  'compare-with': filePath({ mustExist: 'dir' }),
  'compare-path': text({ pattern: /^\//, expected: 'an absolute path inside the snapshot' }),
  'compare-tolerance': decimal({ min: 0, max: 100, unit: '%' }).default('0'),
  'verify-command': text({ multiline: true, expected: 'a shell command' }),
  'no-lock': bool().default('false'),
  'unreachable-after': duration({ min: 1000, max: 86_400_000 }).default('5m'),
  timeout: duration({ min: 10_000, max: 2 * 86_400_000 }).default('30m'),
  'restic-binary': text({ expected: 'a restic executable name or path' }).default('restic'),
  'report-artifact': reportArtifactInput,
  cache: oneOf(['auto', 'local', 'off'] as const).default('auto'),
  'cache-dir': filePath({
    expected: "a directory for restic's cache, outside the workspace and RUNNER_TEMP",
  }).fallbackTo((env) => resticDefaultCacheDir(env)),
  'failure-issue': bool().default('false'),

  ...forgeInputs,
};
