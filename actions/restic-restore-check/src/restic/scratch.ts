import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { ActionError } from '../../../../shared/errors.js';
import { describeFsError, makePrivateDir, writeFileAtomic } from '../../../../shared/fsx.js';

export interface Scratch {
  dir: string;
  /** Only with `cache: off`: a cache for this run alone, removed with the rest. */
  cacheDir?: string;
  restoreDir: string;
  passwordFile?: string;
}

/**
 * The run's private directory: the password file (when the password was given as a value), the restore
 * target and, with `cache: off` only, restic's cache for this run. Removed on every path. A kept cache
 * (`cache-dir`) never lives here: it holds only restic's encrypted files, never the password or a
 * restored file.
 */
export async function makeScratch(
  password: string | undefined,
  o: { perRunCache?: boolean; parent?: string } = {},
): Promise<Scratch> {
  const dir = await makePrivateDir('restic-restore-check', o.parent);
  const scratch: Scratch = { dir, restoreDir: path.join(dir, 'restore') };
  if (o.perRunCache) {
    scratch.cacheDir = path.join(dir, 'cache');
    await fsp.mkdir(scratch.cacheDir, { mode: 0o700 });
  }
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
 * Once restic has finished, its password file goes, and the per-run cache with `cache: off`:
 * `verify-command` runs next, as the same user, in the restore directory beside them (issue 15:
 * `base64 ../password` printed the password). Fails closed: the command must not run while either is
 * still there. A kept cache (`cache-dir`) is never touched here: the action did not create it, and it
 * holds only ciphertext.
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
