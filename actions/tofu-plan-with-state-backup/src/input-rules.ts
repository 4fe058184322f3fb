import * as path from 'node:path';
import { InputError } from '../../../shared/errors.js';
import type { ActionSettings } from './inputs.js';
import { STACK } from './stacks/stack-target.js';

/** Cross-input rules (single inputs were checked by the schema). Pure. */
export function checkSettings(s: ActionSettings): void {
  if (s.mode === 'restore' && !s.restoreFrom)
    throw new InputError('restore-from', "an archive path or 'latest' in restore mode", 'nothing');
  if (s.terramate) {
    if (!s.statePath.includes(STACK))
      throw new InputError(
        'state-path',
        `a path containing ${STACK} when terramate is true (one state per stack)`,
        `'${s.statePath}'`,
      );
    if (s.mode === 'restore')
      throw new InputError('terramate', "'false' in restore mode (restore one stack at a time)", "'true'");
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
