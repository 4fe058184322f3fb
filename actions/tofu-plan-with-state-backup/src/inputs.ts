import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  Invalid,
  bool,
  duration,
  filePath,
  int,
  list,
  oneOf,
  resolvePath,
  text,
  type Settings,
} from '../../../shared/inputs.js';
import { rcloneCredentials } from './archive/rclone-remote.js';
import { reportArtifactInput } from '../../../shared/evidence.js';

import { forgeInputs } from '../../../shared/forge.js';

export const ACTION = 'tofu-plan-with-state-backup';

export const MODES = ['plan', 'apply', 'drift', 'backup', 'restore', 'rehearse'] as const;
export type Mode = (typeof MODES)[number];

/**
 * rclone destinations: `name:path` or an on-the-fly backend `:local:/srv/offsite`, optionally with
 * connection-string parameters (never a flag). The grammar of archive/rclone-remote.ts as one pattern;
 * which parameters are refused is checked in input-rules.ts, after their values were registered.
 */
const RCLONE_DEST =
  /^(?::[A-Za-z0-9]+|[A-Za-z0-9_][A-Za-z0-9_. +@-]*)(?:,[A-Za-z0-9_.]+(?:=(?:"(?:[^"]|"")*"|'(?:[^']|'')*'|[^,:]*))?)*:[^\r\n]*$/;
const OUTPUT_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const BINARY = /^[^\s-][^\r\n]*$/;

function existingVarFile(item: string): string | Invalid {
  const resolved = resolvePath(item);
  const st = fs.statSync(resolved, { throwIfNoEntry: false });
  if (!st?.isFile()) return new Invalid(`an existing file (${path.basename(resolved)} was not found)`);
  return resolved;
}

export const inputs = {
  'working-directory': filePath({ mustExist: 'dir' }).default('.'),
  mode: oneOf(MODES).default('plan'),
  'state-path': filePath({
    expected: 'the path of the local state file on the runner (~ allowed; {stack} with terramate)',
  }).required(),
  'var-files': list({ item: existingVarFile, itemExpected: 'paths of existing .tfvars files' }),
  'backup-dir': filePath({ expected: 'a directory path for state archives ({stack} allowed)' }),
  'backup-keep': int({ min: 1, max: 100000 }).default('30'),
  'max-archive-size-mb': int({ min: 1, max: 65536 }).default('256'),
  'backup-remote': text({
    pattern: RCLONE_DEST,
    expected: 'an rclone destination remote:path (e.g. pcloud:infra/state or :local:/srv/offsite)',
  }).withCredentials(rcloneCredentials),
  'rclone-config': filePath({ mustExist: 'file' }),
  'plan-file': filePath({ expected: 'a plan file path ({stack} allowed)' }),
  'lock-timeout': duration({ max: 86_400_000 }).default('5m'),
  'tofu-binary': text({
    pattern: BINARY,
    expected: 'a binary name or path such as tofu or terraform',
  }).default('tofu'),
  'handoff-outputs': list({
    separator: 'newline-or-comma',
    item: (s) => (OUTPUT_NAME.test(s) ? s : new Invalid('an output name')),
    itemExpected: 'output names',
  }),
  'handoff-file': filePath({ expected: 'a path for the handoff JSON file' }).fallbackTo((env) =>
    env.RUNNER_TEMP ? path.join(env.RUNNER_TEMP, ACTION, 'handoff.json') : undefined,
  ),
  terramate: bool().default('false'),
  'terramate-binary': text({ pattern: BINARY, expected: 'a binary name or path such as terramate' }).default(
    'terramate',
  ),
  'restore-from': text({
    pattern: /^\S.*$/,
    expected: "'latest', 'remote', an archive path or an rclone path of an archive",
  }).withCredentials(rcloneCredentials),
  'allow-lineage-change': bool().default('false'),
  'max-archive-age': duration({ min: 60_000, max: 366 * 86_400_000 }),
  'report-artifact': reportArtifactInput,

  ...forgeInputs,
};

export type ActionSettings = Settings<typeof inputs>;
