import { withoutUrlPassword } from '../../../../shared/credentials.js';
import { InputError } from '../../../../shared/errors.js';
import { rcloneParameters } from './input-credentials.js';
import type { Scratch } from './scratch.js';

/**
 * How restic gets its secrets: the repository through RESTIC_REPOSITORY (a `rest:https://user:pass@…` URL
 * must not show in `ps`), the password through a 0600 file in a 0700 directory (or the user's own file or
 * command), backend credentials from the secret-aware `env` input, and the cache directory the action
 * chose (cache/restic-cache.ts): restic's kept cache, or one private to the run with `cache: off`.
 */
export const RESERVED_ENV = [
  'RESTIC_REPOSITORY',
  'RESTIC_REPOSITORY_FILE',
  'RESTIC_PASSWORD',
  'RESTIC_PASSWORD_FILE',
  'RESTIC_PASSWORD_COMMAND',
  'RESTIC_CACHE_DIR',
];

export type PasswordSource =
  { kind: 'value'; value: string } | { kind: 'file'; file: string } | { kind: 'command'; command: string };

/** Exactly one of the three password inputs. */
export function passwordSource(s: {
  password?: string;
  passwordFile?: string;
  passwordCommand?: string;
}): PasswordSource {
  const given = [
    s.password !== undefined ? 'password' : undefined,
    s.passwordFile !== undefined ? 'password-file' : undefined,
    s.passwordCommand !== undefined ? 'password-command' : undefined,
  ].filter((x): x is string => x !== undefined);
  if (given.length !== 1) {
    throw new InputError(
      given[1] ?? 'password',
      "exactly one of 'password', 'password-file' or 'password-command'",
      given.length === 0 ? 'none of them' : given.map((g) => `'${g}'`).join(' and '),
    );
  }
  if (s.password !== undefined) return { kind: 'value', value: s.password };
  if (s.passwordFile !== undefined) return { kind: 'file', file: s.passwordFile };
  return { kind: 'command', command: s.passwordCommand as string };
}

/** Refuses variables the action sets itself (the values were registered as secrets with the input). */
export function backendEnv(env: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env ?? {})) {
    if (RESERVED_ENV.includes(k))
      throw new InputError(
        'env',
        `backend variables only (${k} is set by the action from its own inputs)`,
        `a line setting ${k}`,
      );
    out[k] = v;
  }
  return out;
}

/**
 * Refuses an `rclone:` repository with connection-string parameters: restic would put them in rclone's
 * arguments (see repository-credentials.ts). rclone reads a remote's options from its environment as
 * well, and `env` reaches restic (and the rclone it starts) as secrets.
 */
export function assertNoRcloneParameters(repository: string): void {
  if (!rcloneParameters(repository)) return;
  throw new InputError(
    'repository',
    "an rclone remote without connection-string parameters (restic passes the remote to rclone in its arguments, which any process on the runner can read): define the remote in rclone's config file, or set its options in 'env' as RCLONE_CONFIG_<REMOTE>_<OPTION>=… lines",
    'a remote with parameters (not shown: they may hold credentials)',
  );
}

/** The repository as messages show it (a URL's password replaced; registered secrets are redacted anyway). */
export function repositoryLabel(repository: string): string {
  return withoutUrlPassword(repository);
}

export function resticEnv(
  repository: string,
  password: PasswordSource,
  scratch: Scratch,
  backend: Record<string, string>,
  cacheDir: string,
): Record<string, string | undefined> {
  return {
    ...backend,
    RESTIC_REPOSITORY: repository,
    RESTIC_REPOSITORY_FILE: undefined,
    RESTIC_PASSWORD: undefined,
    RESTIC_PASSWORD_FILE:
      password.kind === 'value' ? scratch.passwordFile : password.kind === 'file' ? password.file : undefined,
    RESTIC_PASSWORD_COMMAND: password.kind === 'command' ? password.command : undefined,
    RESTIC_CACHE_DIR: cacheDir,
  };
}
