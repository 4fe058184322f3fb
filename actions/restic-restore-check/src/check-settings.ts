import { randomInt } from 'node:crypto';
import * as path from 'node:path';
import { InputError } from '../../../shared/errors.js';
import type { Settings } from '../../../shared/inputs.js';
import { isSecretText } from '../../../shared/secrets.js';
import { READ_DATA_SUBSET, subsetInRange, type inputs } from './inputs.js';
import {
  assertNoRcloneParameters,
  backendEnv,
  passwordSource,
  repositoryLabel,
  type PasswordSource,
} from './restic/restic-environment.js';
import type { CheckPlan } from './restore-check.js';
import { checkCacheDir } from './cache/cache-location.js';

export type RestoreCheckSettings = Settings<typeof inputs>;

export interface Prepared {
  password: PasswordSource;
  backend: Record<string, string>;
  label: string;
  seed: number;
  /** restic's kept cache directory (undefined with `cache: off`). */
  cacheDir?: string;
}

/**
 * Rules across inputs, checked before any tool runs. Every credential in the inputs was registered
 * before they were parsed (inputs.ts), so none of these errors can show one.
 */
export function prepare(s: RestoreCheckSettings, env: NodeJS.ProcessEnv = process.env): Prepared {
  assertNoRcloneParameters(s.repository);
  assertNoSecretIn('verify-command', s.verifyCommand);
  assertNoSecretIn('password-command', s.passwordCommand);
  const password = passwordSource(s);
  const backend = backendEnv(s.env);
  if (!READ_DATA_SUBSET.test(s.readDataSubset) || !subsetInRange(s.readDataSubset))
    throw new InputError(
      'read-data-subset',
      'n/t (1 ≤ n ≤ t), a percentage above 0 up to 100%, or a size like 500M',
      `'${s.readDataSubset}'`,
    );
  if (s.comparePath !== undefined && s.compareWith === undefined)
    throw new InputError(
      'compare-path',
      "'compare-with' to be set as well",
      `'${s.comparePath}' without 'compare-with'`,
    );
  return {
    password,
    backend,
    label: repositoryLabel(s.repository),
    // A random seed by default, recorded in the report: 'sample-seed' replays the same sample.
    seed: s.sampleSeed ?? randomInt(0, 2 ** 32),
    cacheDir: s.cache === 'off' ? undefined : checkCacheDir(s.cacheDir, env),
  };
}

/**
 * A command line is visible to every process on the runner (ps), so the tool runner refuses secrets in
 * it; say so here, naming the input, rather than as an unexpected error when the command starts.
 */
function assertNoSecretIn(input: string, command: string | undefined): void {
  if (command === undefined || !isSecretText(command)) return;
  throw new InputError(
    input,
    'a command without the value of a secret input in it (a command line is visible to every process on the runner; read the value from a file instead)',
    'a command that contains a secret value',
  );
}

export function buildPlan(s: RestoreCheckSettings, seed: number, restoreDir: string): CheckPlan {
  return {
    filter: { host: s.host, tags: s.tags ?? [] },
    expectedPaths: s.paths ?? [],
    maxAgeMs: s.maxAge,
    check: s.check,
    readDataSubset: s.readDataSubset,
    sampleFiles: s.sampleFiles,
    seed,
    includes: s.restoreInclude ?? [],
    compare: s.compareWith
      ? {
          localDir: s.compareWith,
          snapshotPath: path.posix.normalize(s.comparePath ?? s.compareWith).replace(/(.)\/$/, '$1'),
          tolerancePercent: s.compareTolerance,
        }
      : undefined,
    verifyCommand: s.verifyCommand,
    restoreDir,
  };
}
