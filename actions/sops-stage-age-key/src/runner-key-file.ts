import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { InputError } from '../../../shared/errors.js';
import { fileId, makePrivateDir, stageFile, syncDir } from '../../../shared/fsx.js';

/**
 * Where the key lives on the runner. By default a fresh 0700 directory under RUNNER_TEMP; a user-chosen
 * `key-file` must sit in a directory nobody else can read, and directories we create are 0700.
 *
 * The key file is the operator's as soon as it existed before this run (`~/.config/sops/age/keys.txt`
 * holds their own keys): it is never written over unless `replace-key-file` allows it, and then it is
 * set aside next to itself for the job and put back by post. Post removes only the file this run wrote
 * (same inode) and only directories this run created that are empty again.
 */
export interface KeyLocation {
  readonly file: string;
  /** The top-most directory this run created; removed by post once empty. */
  readonly createdDir?: string;
  /** Where the file that was at `file` before this run waits to be put back (replace-key-file). */
  readonly setAside?: string;
}

const REPLACE_HINT =
  "a path where no file exists yet (or set 'replace-key-file: true' to stage over it for this job: the existing file is set aside and put back by the post step)";

export async function prepareKeyLocation(keyFile: string | undefined, replace = false): Promise<KeyLocation> {
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
  if (target && !replace)
    throw new InputError('key-file', REPLACE_HINT, `'${keyFile}', which already exists`);
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
  if (!target) return { file: keyFile };
  const setAside = path.join(
    dir,
    `.${path.basename(keyFile)}.before-sops-stage-${randomBytes(4).toString('hex')}`,
  );
  return { file: keyFile, setAside };
}

/**
 * Writes the key file without ever writing over another file. `record` receives the new file's identity
 * before it becomes visible, so post can always recognise (and remove) exactly this file.
 */
export async function placeKeyFile(
  loc: KeyLocation,
  content: string,
  record: (id: string) => void,
): Promise<void> {
  const staged = await stageFile(loc.file, content, 0o600);
  record(staged.id);
  if (loc.setAside) await fsp.rename(loc.file, loc.setAside);
  try {
    await staged.place();
  } catch (e) {
    // Fail closed and lose nothing: the operator's file goes back where it was.
    if (loc.setAside) await fsp.rename(loc.setAside, loc.file).catch(() => undefined);
    throw e;
  }
}

export interface Removal {
  removed: string[];
  /** What was left in place, and why. */
  kept: string[];
  restored?: string;
}

/** Removes what this run wrote and created, puts a set-aside file back; touches nothing else. */
export async function removeKeyFile(loc: KeyLocation, id: string | undefined): Promise<Removal> {
  const out: Removal = { removed: [], kept: [] };
  const current = await fileId(loc.file);
  if (current !== undefined && current === id) {
    await fsp.rm(loc.file, { force: true });
    out.removed.push(loc.file);
  } else if (current !== undefined) {
    out.kept.push(`${loc.file} (changed after this run wrote it: left in place)`);
  }
  if (loc.setAside && (await fileId(loc.setAside)) !== undefined) {
    if ((await fileId(loc.file)) === undefined) {
      await fsp.rename(loc.setAside, loc.file);
      await syncDir(path.dirname(loc.file));
      out.restored = loc.file;
    } else {
      out.kept.push(`${loc.setAside} (the original of ${loc.file}; another file is there now)`);
    }
  }
  if (loc.createdDir) out.removed.push(...(await removeEmptyDirs(path.dirname(loc.file), loc.createdDir)));
  return out;
}

/** rmdir from `from` up to and including `top`, stopping at the first directory that is not empty. */
async function removeEmptyDirs(from: string, top: string): Promise<string[]> {
  const removed: string[] = [];
  for (let dir = from; dir === top || dir.startsWith(top + path.sep); dir = path.dirname(dir)) {
    const ok = await fsp.rmdir(dir).then(
      () => true,
      () => false,
    );
    if (!ok) break;
    removed.push(dir);
    if (dir === top) break;
  }
  return removed.length > 0 ? [removed[removed.length - 1]] : [];
}
