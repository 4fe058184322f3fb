import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { withoutUrlPassword } from '../../../../shared/credentials.js';
import { InputError } from '../../../../shared/errors.js';
import { makePrivateDir, writeFileAtomic } from '../../../../shared/fsx.js';
import { splitList } from '../../../../shared/inputs.js';
import { rcloneParameters } from './repository-credentials.js';

/**
 * How restic gets its secrets: the repository through RESTIC_REPOSITORY (a `rest:https://user:pass@…` URL
 * must not show in `ps`), the password through a 0600 file in a 0700 directory (or the user's own file or
 * command), backend credentials from the secret-aware `env` input, and a cache private to this run so that
 * nothing read during the check comes from an earlier run's cache.
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

/**
 * Every value of the `env` input, for registration before any input is parsed (the input is secret as a
 * whole, but a value alone is what a tool would print), and the HTTP Basic form restic's REST backend
 * sends when RESTIC_REST_USERNAME and RESTIC_REST_PASSWORD are set (0.16.1+).
 */
export function envCredentials(raw: string): string[] {
  const pairs = splitList(raw, 'newline')
    .filter((l) => l.indexOf('=') > 0)
    .map((l) => [l.slice(0, l.indexOf('=')).trim(), l.slice(l.indexOf('=') + 1).trim()] as const);
  const values = pairs.map(([, v]) => v).filter((v) => v.length > 0);
  const env = Object.fromEntries(pairs);
  const basic =
    env.RESTIC_REST_USERNAME && env.RESTIC_REST_PASSWORD
      ? [Buffer.from(`${env.RESTIC_REST_USERNAME}:${env.RESTIC_REST_PASSWORD}`).toString('base64')]
      : [];
  return [...values, ...basic];
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

export interface Scratch {
  dir: string;
  cacheDir: string;
  restoreDir: string;
  passwordFile?: string;
}

/** The run's private directory: password file, restic cache and restore target. Removed on every path. */
export async function makeScratch(password: PasswordSource, parent?: string): Promise<Scratch> {
  const dir = await makePrivateDir('restic-restore-check', parent);
  const scratch: Scratch = { dir, cacheDir: path.join(dir, 'cache'), restoreDir: path.join(dir, 'restore') };
  await fsp.mkdir(scratch.cacheDir, { mode: 0o700 });
  await fsp.mkdir(scratch.restoreDir, { mode: 0o700 });
  if (password.kind === 'value') {
    scratch.passwordFile = path.join(dir, 'password');
    await writeFileAtomic(scratch.passwordFile, password.value, { mode: 0o600 });
  }
  return scratch;
}

export async function removeScratch(dir: string | undefined): Promise<void> {
  if (dir) await fsp.rm(dir, { recursive: true, force: true });
}

export function resticEnv(
  repository: string,
  password: PasswordSource,
  scratch: Scratch,
  backend: Record<string, string>,
): Record<string, string | undefined> {
  return {
    ...backend,
    RESTIC_REPOSITORY: repository,
    RESTIC_REPOSITORY_FILE: undefined,
    RESTIC_PASSWORD: undefined,
    RESTIC_PASSWORD_FILE:
      password.kind === 'value' ? scratch.passwordFile : password.kind === 'file' ? password.file : undefined,
    RESTIC_PASSWORD_COMMAND: password.kind === 'command' ? password.command : undefined,
    RESTIC_CACHE_DIR: scratch.cacheDir,
  };
}
