import { createHash } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Which state an archive belongs to (issue 14 A). The key is the absolute state path with the home
 * directory written as `~`, so a runner rebuilt with another home directory (or user name) still
 * recognises the archives of `~/infra/state/edge/terraform.tfstate`. The id — 12 hex digits of the
 * key's sha256 — goes into archive names, so two states that share a backup directory or a remote
 * never count, keep or restore each other's archives; metadata.json carries the key itself, which is
 * what a restore checks. Pure.
 */
export interface StateIdentity {
  /** Absolute path of the state file on this runner. */
  statePath: string;
  /** Its file name, the first part of every archive name. */
  stateName: string;
  /** `~/…` when under the home directory, else the absolute path. */
  key: string;
  id: string;
}

export const STATE_ID_LENGTH = 12;

export function homeDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.HOME || os.homedir();
}

export function stateKey(statePath: string, home = homeDir()): string {
  const h = path.resolve(home);
  const p = path.resolve(statePath);
  return h !== path.sep && p.startsWith(h + path.sep) ? `~${p.slice(h.length)}` : p;
}

export function stateId(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, STATE_ID_LENGTH);
}

export function stateIdentity(statePath: string, home = homeDir()): StateIdentity {
  const key = stateKey(statePath, home);
  return { statePath: path.resolve(statePath), stateName: path.basename(statePath), key, id: stateId(key) };
}

/** The key an archive's metadata names: format 2 records it, format 1 only the absolute path. */
export function metadataKey(
  meta: { stateKey?: unknown; statePath?: unknown },
  home = homeDir(),
): string | undefined {
  if (typeof meta.stateKey === 'string') return meta.stateKey;
  return typeof meta.statePath === 'string' ? stateKey(meta.statePath, home) : undefined;
}

/** Undefined when the archive's metadata names this state; otherwise why not, naming both states. */
export function identityProblem(
  meta: { stateKey?: unknown; statePath?: unknown },
  identity: StateIdentity,
  home = homeDir(),
): string | undefined {
  const theirs = metadataKey(meta, home);
  if (theirs === identity.key) return undefined;
  return theirs === undefined
    ? `its metadata names no state path, so it cannot be told to belong to '${identity.key}'`
    : `it is an archive of the state '${theirs}', not of '${identity.key}'`;
}
