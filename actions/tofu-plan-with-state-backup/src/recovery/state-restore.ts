import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { ActionError, CancelledError } from '../../../../shared/errors.js';
import { sha256, writeFileAtomic } from '../../../../shared/fsx.js';
import { cancellation } from '../../../../shared/tool.js';
import {
  backupFailed,
  backupState,
  type BackupDeps,
  type BackupRequest,
  type BackupResult,
} from '../archive/state-backup.js';
import { describeState, readStateInfo, type StateInfo } from '../archive/state-file.js';
import {
  ArchiveSourceError,
  obtainArchive,
  type ObtainedArchive,
  type RestoreSource,
  type SourceDeps,
} from './archive-source.js';

/**
 * Restore: obtain and verify the archive (local or off-site, this state's only), refuse another
 * lineage unless allowed, archive the current state first (fail closed, like apply), then replace the
 * state file atomically and read it back.
 */
export interface RestoreRequest extends BackupRequest {
  from: RestoreSource;
  allowLineageChange: boolean;
}

export interface RestoreResult {
  obtained: ObtainedArchive;
  before: StateInfo;
  after: StateInfo;
  preRestoreBackup?: BackupResult;
}

function failed(message: string, hint: string): ActionError {
  return new ActionError('restore-failed', message, hint);
}

/** Obtains the archive for a restore or a rehearsal; any problem with it is `restore-failed`. */
export async function obtainForRestore(
  req: Omit<RestoreRequest, 'allowLineageChange' | 'keep' | 'context'>,
  deps: SourceDeps,
  what = 'Restore',
): Promise<ObtainedArchive> {
  try {
    return await obtainArchive(req, deps);
  } catch (e) {
    if (!(e instanceof ArchiveSourceError)) throw e;
    throw failed(
      `${what} refused: ${e.message}.`,
      'The state was not touched; pick an archive of this state (restore-from: latest, remote or a path of one).',
    );
  }
}

export async function restoreState(
  req: RestoreRequest,
  deps: BackupDeps & SourceDeps,
): Promise<RestoreResult> {
  const { statePath } = req.identity;
  const obtained = await obtainForRestore(req, deps);
  const verified = obtained.verified;
  const before = await readStateInfo(statePath);
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
    deps.warning(
      'The current or archived state is encrypted: its lineage could not be compared (the archive is this state’s by its metadata).',
    );
  let preRestoreBackup: BackupResult | undefined;
  if (before.exists) {
    try {
      preRestoreBackup = await backupState(req, deps);
    } catch (e) {
      throw backupFailed(e, 'The state was not restored.');
    }
  }
  // Verification can take a while on a large archive: a job cancelled meanwhile must not restore.
  const signal = cancellation();
  if (signal) throw new CancelledError(signal);
  try {
    await fsp.mkdir(path.dirname(statePath), { recursive: true, mode: 0o700 });
    await writeFileAtomic(statePath, verified.state, { mode: 0o600 });
  } catch (e) {
    throw failed(
      `Restore failed: could not write '${statePath}' (${(e as Error).message}).`,
      'The previous state is unchanged.',
    );
  }
  const after = await readStateInfo(statePath);
  if (after.sha256 !== sha256(verified.state))
    throw failed(
      `Restore failed: '${statePath}' does not read back as the archived state.`,
      'Check the disk.',
    );
  return { obtained, before, after, preRestoreBackup };
}

export function describeRestore(r: RestoreResult): string {
  return `${describeState(r.before)} → ${describeState(r.after)}`;
}
