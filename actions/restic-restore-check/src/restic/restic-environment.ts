import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { InputError } from '../../../../shared/errors.js';
import { makePrivateDir, writeFileAtomic } from '../../../../shared/fsx.js';
import { registerSecret } from '../../../../shared/secrets.js';

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

/** Registers every value of the `env` input as a secret and refuses variables the action sets itself. */
export function backendEnv(env: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env ?? {})) {
    if (RESERVED_ENV.includes(k))
      throw new InputError(
        'env',
        `backend variables only (${k} is set by the action from its own inputs)`,
        `a line setting ${k}`,
      );
    registerSecret(v);
    out[k] = v;
  }
  return out;
}

/** The repository without credentials, for messages; the password of a URL is registered as a secret. */
export function repositoryLabel(repository: string): string {
  const m = /^(.*?\/\/)([^/@:]*):([^/@]*)@(.*)$/.exec(repository);
  if (!m) return repository;
  registerSecret(decodeURIComponent(m[3]));
  registerSecret(m[3]);
  return `${m[1]}${m[2]}:***@${m[4]}`;
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
