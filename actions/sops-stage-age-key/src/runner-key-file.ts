import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { InputError } from '../../../shared/errors.js';
import { makePrivateDir, writeFileAtomic } from '../../../shared/fsx.js';

/**
 * Where the key lives on the runner. By default a fresh 0700 directory under RUNNER_TEMP; a user-chosen
 * `key-file` must sit in a directory nobody else can read, and directories we create are 0700 and are
 * the ones post removes (never a directory that existed before).
 */
export interface KeyLocation {
  readonly file: string;
  /** The top-most directory this run created, removed whole by post; undefined when none was created. */
  readonly createdDir?: string;
}

export async function prepareKeyLocation(keyFile: string | undefined): Promise<KeyLocation> {
  if (!keyFile) {
    const dir = await makePrivateDir('sops-age-key');
    return { file: path.join(dir, 'keys.txt'), createdDir: dir };
  }
  const dir = path.dirname(keyFile);
  const target = await fsp.lstat(keyFile).catch(() => undefined);
  if (target && !target.isFile()) {
    throw new InputError(
      'key-file',
      'the path of a regular file',
      `'${keyFile}', which is not a regular file`,
    );
  }
  const st = await fsp.stat(dir).catch(() => undefined);
  if (!st) {
    const created = await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
    await fsp.chmod(dir, 0o700);
    return { file: keyFile, createdDir: created };
  }
  if (!st.isDirectory()) {
    throw new InputError(
      'key-file',
      'a path inside a directory',
      `'${keyFile}', whose parent is not a directory`,
    );
  }
  if ((st.mode & 0o077) !== 0) {
    const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
    throw new InputError(
      'key-file',
      'a path in a private (0700) directory, or nothing for a private directory under RUNNER_TEMP',
      `'${keyFile}', whose directory has mode ${mode}`,
    );
  }
  return { file: keyFile };
}

export async function writeKeyFile(file: string, content: string): Promise<void> {
  await writeFileAtomic(file, content, { mode: 0o600 });
}

/** Removes the key file and the directory this run created for it; returns what was removed. */
export async function removeKeyFile(loc: KeyLocation): Promise<string[]> {
  const removed: string[] = [];
  if (await exists(loc.file)) {
    await fsp.rm(loc.file, { force: true });
    removed.push(loc.file);
  }
  if (loc.createdDir && (await exists(loc.createdDir))) {
    await fsp.rm(loc.createdDir, { recursive: true, force: true });
    removed.push(loc.createdDir);
  }
  return removed;
}

async function exists(p: string): Promise<boolean> {
  return (await fsp.lstat(p).catch(() => undefined)) !== undefined;
}
