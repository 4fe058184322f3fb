import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { ActionError, errorMessage } from '../../../../shared/errors.js';
import { resolvePath } from '../../../../shared/inputs.js';
import { sha256, writeFileAtomic } from '../../../../shared/fsx.js';
import { latestArchive } from '../archive/archive-naming.js';
import {
  backupState,
  type BackupDeps,
  type BackupRequest,
  type BackupResult,
} from '../archive/state-backup.js';
import { verifyArchive } from '../archive/state-archive.js';
import { describeState, readStateInfo, type StateInfo } from '../archive/state-file.js';

/**
 * The explicit restore path: verify the archive's checksum and content, refuse another lineage unless
 * allowed, archive the current state first (fail closed, like apply), then replace the state file
 * atomically and read it back.
 */
export interface RestoreRequest extends Omit<BackupRequest, 'consequence'> {
  from: string;
  allowLineageChange: boolean;
}

export interface RestoreResult {
  archive: string;
  before: StateInfo;
  after: StateInfo;
  preRestoreBackup?: BackupResult;
}

function failed(message: string, hint: string): ActionError {
  return new ActionError('restore-failed', message, hint);
}

export async function resolveRestoreSource(
  from: string,
  backupDir: string,
  stateName: string,
): Promise<string> {
  if (from !== 'latest') return resolvePath(from);
  const names = await fsp.readdir(backupDir).catch(() => [] as string[]);
  const latest = latestArchive(names, stateName);
  if (!latest)
    throw failed(
      `Restore failed: no archive of '${stateName}' with a checksum file was found in '${backupDir}'.`,
      "Set 'restore-from' to an archive path.",
    );
  return path.join(backupDir, latest);
}

export async function restoreState(req: RestoreRequest, deps: BackupDeps): Promise<RestoreResult> {
  const stateName = path.basename(req.statePath);
  const archive = await resolveRestoreSource(req.from, req.backupDir, stateName);
  let verified;
  try {
    verified = await verifyArchive(archive);
  } catch (e) {
    throw failed(
      `Restore refused: the archive '${archive}' did not verify (${errorMessage(e)}).`,
      'The state was not touched; pick another archive (or fetch the off-machine copy).',
    );
  }
  const before = await readStateInfo(req.statePath);
  const target = verified.stateInfo;
  if (
    before.exists &&
    before.lineage &&
    target.lineage &&
    before.lineage !== target.lineage &&
    !req.allowLineageChange
  )
    throw failed(
      `Restore refused: the archive holds lineage ${target.lineage}, the current state is lineage ${before.lineage}.`,
      "This would replace the state with another state's history; set 'allow-lineage-change: true' if that is intended.",
    );
  if (before.exists && (before.encrypted || target.encrypted))
    deps.warning('The current or archived state is encrypted: its lineage could not be compared.');
  const preRestoreBackup = before.exists
    ? await backupState({ ...req, consequence: 'The state was not restored.' }, deps)
    : undefined;
  try {
    await fsp.mkdir(path.dirname(req.statePath), { recursive: true, mode: 0o700 });
    await writeFileAtomic(req.statePath, verified.state, { mode: 0o600 });
  } catch (e) {
    throw failed(
      `Restore failed: could not write '${req.statePath}' (${errorMessage(e)}).`,
      'The previous state is unchanged.',
    );
  }
  const after = await readStateInfo(req.statePath);
  if (after.sha256 !== sha256(verified.state))
    throw failed(
      `Restore failed: '${req.statePath}' does not read back as the archived state.`,
      'Check the disk.',
    );
  return { archive, before, after, preRestoreBackup };
}

export function describeRestore(r: RestoreResult): string {
  return `${describeState(r.before)} → ${describeState(r.after)}`;
}
