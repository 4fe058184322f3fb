import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { ActionError } from '../../../../shared/errors.js';
import { describeFsError, makePrivateDir, writeFileAtomic } from '../../../../shared/fsx.js';

export interface Scratch {
  dir: string;
  cacheDir: string;
  restoreDir: string;
  passwordFile?: string;
}

/**
 * The run's private directory: the password file (when the password was given as a value), restic's
 * cache and the restore target. Removed on every path.
 */
export async function makeScratch(password: string | undefined, parent?: string): Promise<Scratch> {
  const dir = await makePrivateDir('restic-restore-check', parent);
  const scratch: Scratch = { dir, cacheDir: path.join(dir, 'cache'), restoreDir: path.join(dir, 'restore') };
  await fsp.mkdir(scratch.cacheDir, { mode: 0o700 });
  await fsp.mkdir(scratch.restoreDir, { mode: 0o700 });
  if (password !== undefined) {
    scratch.passwordFile = path.join(dir, 'password');
    await writeFileAtomic(scratch.passwordFile, password, { mode: 0o600 });
  }
  return scratch;
}

export async function removeScratch(dir: string | undefined): Promise<void> {
  if (dir) await fsp.rm(dir, { recursive: true, force: true });
}

/**
 * Once restic has finished, its password file and cache go: `verify-command` runs next, as the same
 * user, in the restore directory beside them (issue 15: `base64 ../password` printed the password).
 * Fails closed: the command must not run while either is still there.
 */
export async function removeResticFiles(scratch: Scratch): Promise<void> {
  const files = [scratch.passwordFile, scratch.cacheDir].filter((f): f is string => f !== undefined);
  for (const f of files) {
    try {
      await fsp.rm(f, { recursive: true, force: true });
    } catch (e) {
      throw notRemoved(f, describeFsError(e));
    }
    if (fs.existsSync(f)) throw notRemoved(f, 'it is still there');
  }
}

function notRemoved(file: string, why: string): ActionError {
  return new ActionError(
    'verify-command',
    `verify-command was not run: restic's ${path.basename(file) === 'password' ? 'password file' : 'cache'} '${file}' could not be removed first (${why}).`,
    "Check the permissions of the runner's temporary directory (RUNNER_TEMP).",
  );
}
