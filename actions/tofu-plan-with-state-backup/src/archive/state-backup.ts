import * as path from 'node:path';
import { ActionError, CancelledError, errorMessage } from '../../../../shared/errors.js';
import { CHECKSUM_SUFFIX } from './archive-naming.js';
import { remoteJoin, type RcloneCli } from './rclone-cli.js';
import { applyRetention, createStateArchive, verifyArchive, type ArchiveContext } from './state-archive.js';
import type { StateInfo } from './state-file.js';
import { identityProblem, type StateIdentity } from './state-identity.js';

/**
 * One verified backup of the state: local archive → re-read and checksum-verified → (optional) copied
 * off the machine and the remote copy's sha256 compared with the local one → retention. Any failure
 * before retention is a BackupError; the caller decides what it means (before an apply: nothing may
 * happen; after an apply: the off-site record lags behind the cloud).
 */
export interface BackupRequest {
  identity: StateIdentity;
  backupDir: string;
  keep: number;
  remote?: string;
  context: ArchiveContext;
  /** Largest uncompressed archive content (max-archive-size-mb). */
  maxBytes: number;
}

export interface BackupResult {
  archive: string;
  checksumFile: string;
  sha256: string;
  remoteArchive?: string;
  deleted: string[];
  state: StateInfo;
}

export interface BackupDeps {
  rclone?: RcloneCli;
  warning: (message: string) => void;
  now?: () => Date;
}

/** Why a backup did not complete, in words that fit "State backup failed: <why>." */
export class BackupError extends Error {}

export async function backupState(req: BackupRequest, deps: BackupDeps): Promise<BackupResult> {
  let made;
  try {
    made = await createStateArchive({
      identity: req.identity,
      backupDir: req.backupDir,
      context: req.context,
      maxBytes: req.maxBytes,
      now: deps.now,
    });
  } catch (e) {
    throw new BackupError(`could not write an archive in '${req.backupDir}' (${errorMessage(e)})`);
  }
  try {
    const v = await verifyArchive(made.archive, { maxBytes: req.maxBytes });
    if (v.sha256 !== made.sha256) throw new Error('the archive changed after it was written');
    const other = identityProblem(v.metadata, req.identity);
    if (other) throw new Error(other);
  } catch (e) {
    throw new BackupError(`the archive '${made.archive}' did not verify (${errorMessage(e)})`);
  }
  const remoteArchive = req.remote
    ? await copyOffsite(made.archive, made.sha256, req.remote, deps.rclone)
    : undefined;
  let deleted: string[] = [];
  try {
    deleted = await applyRetention(req.backupDir, req.identity, req.keep, path.basename(made.archive));
  } catch (e) {
    // The new archive is verified; a retention hiccup must not block the apply it protects.
    deps.warning(`Backup retention in '${req.backupDir}' did not complete: ${errorMessage(e)}`);
  }
  return { ...made, remoteArchive, deleted };
}

/** Copies an archive and its checksum file to `remote` and proves the copy by its downloaded sha256. */
async function copyOffsite(
  archive: string,
  sha256: string,
  remote: string,
  rclone: RcloneCli | undefined,
): Promise<string> {
  if (!rclone) throw new Error('backup-remote is set but no rclone client was given');
  const name = path.basename(archive);
  const remoteArchive = remoteJoin(remote, name);
  try {
    await rclone.upload(path.dirname(archive), [name, name + CHECKSUM_SUFFIX], remote);
    const remoteSum = await rclone.sha256Of(remoteArchive);
    if (remoteSum !== sha256)
      throw new Error(
        remoteSum
          ? `the remote copy's sha256 ${remoteSum} differs from ${sha256}`
          : 'the remote copy could not be found after the upload',
      );
  } catch (e) {
    if (e instanceof CancelledError) throw e;
    throw new BackupError(`the off-machine copy to '${remote}' was not verified: ${errorMessage(e)}`);
  }
  return remoteArchive;
}

/**
 * A failed backup before a change (apply, restore) or on request: `backup-failed`, and nothing was
 * changed. Anything that is not a BackupError (a cancellation, a bug) passes through unchanged.
 */
export function backupFailed(e: unknown, consequence: string): unknown {
  if (!(e instanceof BackupError)) return e;
  return new ActionError(
    'backup-failed',
    `State backup failed: ${e.message}. ${consequence}`,
    'Fix the backup directory or remote and re-run; nothing was changed.',
  );
}
