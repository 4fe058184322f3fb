import * as path from 'node:path';
import { InputError } from '../../../shared/errors.js';
import { describeRefused, parseRclonePath, refusedParams } from './archive/rclone-remote.js';
import type { ActionSettings } from './inputs.js';
import { classifyRestoreFrom } from './recovery/archive-source.js';
import { STACK } from './stacks/stack-target.js';

/**
 * Cross-input rules (single inputs were checked by the schema). Pure. Runs before anything is touched;
 * credentials inside `backup-remote`/`restore-from` were registered as secrets before any of it.
 */
export function checkSettings(s: ActionSettings): void {
  checkModeInputs(s);
  checkRclonePaths(s);
  if (s.terramate) {
    if (!s.statePath.includes(STACK))
      throw new InputError(
        'state-path',
        `a path containing ${STACK} when terramate is true (one state per stack)`,
        `'${s.statePath}'`,
      );
    if (s.mode === 'restore' || s.mode === 'rehearse')
      throw new InputError('terramate', `'false' in ${s.mode} mode (one stack at a time)`, "'true'");
    if (s.planFile && !s.planFile.includes(STACK))
      throw new InputError(
        'plan-file',
        `a path containing ${STACK} when terramate is true`,
        `'${s.planFile}'`,
      );
  } else {
    for (const [name, v] of [
      ['state-path', s.statePath],
      ['backup-dir', s.backupDir],
      ['plan-file', s.planFile],
    ] as const) {
      if (v?.includes(STACK))
        throw new InputError(name, `a path without ${STACK} unless terramate is true`, `'${v}'`);
    }
  }
  if (s.statePath.endsWith('/') || s.statePath.endsWith(path.sep + '.'))
    throw new InputError('state-path', 'the path of a state file, not a directory', `'${s.statePath}'`);
}

function checkModeInputs(s: ActionSettings): void {
  if (s.mode === 'restore' && !s.restoreFrom)
    throw new InputError(
      'restore-from',
      "'latest', 'remote', an archive path or an rclone path of an archive in restore mode",
      'nothing',
    );
  const from = s.restoreFrom ?? (s.mode === 'rehearse' ? 'remote' : undefined);
  if ((s.mode === 'restore' || s.mode === 'rehearse') && from === 'remote' && !s.backupRemote)
    throw new InputError(
      'backup-remote',
      `the rclone destination the off-site archives are in (${s.mode} ${s.restoreFrom ? "with restore-from 'remote'" : 'mode takes the newest off-site archive'})`,
      'nothing',
    );
  if (s.maxArchiveAge !== undefined && s.mode !== 'rehearse')
    throw new InputError('max-archive-age', 'nothing unless mode is rehearse', `a value in ${s.mode} mode`);
  if (s.requireApprovedPlan && s.mode !== 'apply')
    throw new InputError('require-approved-plan', "'false' unless mode is apply", `'true' in ${s.mode} mode`);
  if (s.driftIssue && s.mode !== 'drift')
    throw new InputError('drift-issue', "'false' unless mode is drift", `'true' in ${s.mode} mode`);
}

function checkRclonePaths(s: ActionSettings): void {
  const check = (input: string, value: string | undefined) => {
    const parsed = value === undefined ? undefined : parseRclonePath(value);
    const refused = parsed && describeRefused(refusedParams(parsed));
    if (refused)
      throw new InputError(
        input,
        'an rclone path whose connection string carries no credentials and runs no programs',
        refused,
      );
  };
  check('backup-remote', s.backupRemote);
  if (s.restoreFrom && classifyRestoreFrom(s.restoreFrom).kind === 'rclone')
    check('restore-from', s.restoreFrom);
}
