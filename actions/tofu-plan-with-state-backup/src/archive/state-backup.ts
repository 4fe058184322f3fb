import * as path from 'node:path';
import { ActionError, CancelledError, errorMessage } from '../../../../shared/errors.js';
import { CHECKSUM_SUFFIX } from './archive-naming.js';
import type { RcloneCli } from './rclone-cli.js';
import { remoteJoin } from './rclone-cli.js';
import { applyRetention, createStateArchive, verifyArchive, type ArchiveContext } from './state-archive.js';
import type { StateInfo } from './state-file.js';

/**
 * One verified backup of the state: local archive → re-read and checksum-verified → (optional) copied
 * off the machine and the remote copy's sha256 compared with the local one → retention. Any failure
 * before retention is `backup-failed`; the caller has not touched the state and must not.
 */
export interface BackupRequest {
  statePath: string;
  backupDir: string;
  keep: number;
  remote?: string;
  context: ArchiveContext;
  /** Appended to the failure message: what did not happen because of it. */
  consequence: string;
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

function failed(why: string, consequence: string): ActionError {
  return new ActionError(
    'backup-failed',
    `State backup failed: ${why}. ${consequence}`,
    'Fix the backup directory or remote and re-run; nothing was changed.',
  );
}

export async function backupState(req: BackupRequest, deps: BackupDeps): Promise<BackupResult> {
  let made;
  try {
    made = await createStateArchive({
      statePath: req.statePath,
      backupDir: req.backupDir,
      context: req.context,
      now: deps.now,
    });
  } catch (e) {
    throw failed(`could not write an archive in '${req.backupDir}' (${errorMessage(e)})`, req.consequence);
  }
  try {
    const v = await verifyArchive(made.archive, path.basename(req.statePath));
    if (v.sha256 !== made.sha256) throw new Error('the archive changed after it was written');
  } catch (e) {
    throw failed(`the archive '${made.archive}' did not verify (${errorMessage(e)})`, req.consequence);
  }
  let remoteArchive: string | undefined;
  if (req.remote) {
    const name = path.basename(made.archive);
    remoteArchive = remoteJoin(req.remote, name);
    if (!deps.rclone) throw new Error('backup-remote is set but no rclone client was given');
    try {
      await deps.rclone.copyTo(made.archive, remoteArchive);
      await deps.rclone.copyTo(made.checksumFile, remoteJoin(req.remote, name + CHECKSUM_SUFFIX));
      const remoteSum = await deps.rclone.sha256Of(remoteArchive);
      if (remoteSum !== made.sha256)
        throw new Error(
          remoteSum
            ? `the remote copy's sha256 ${remoteSum} differs from ${made.sha256}`
            : 'the remote copy could not be found after the upload',
        );
    } catch (e) {
      if (e instanceof CancelledError) throw e;
      throw failed(
        `the off-machine copy to '${req.remote}' was not verified: ${errorMessage(e)}`,
        req.consequence,
      );
    }
  }
  let deleted: string[] = [];
  try {
    deleted = await applyRetention(
      req.backupDir,
      path.basename(req.statePath),
      req.keep,
      path.basename(made.archive),
    );
  } catch (e) {
    // The new archive is verified; a retention hiccup must not block the apply it protects.
    deps.warning(`Backup retention in '${req.backupDir}' did not complete: ${errorMessage(e)}`);
  }
  return { ...made, remoteArchive, deleted };
}
