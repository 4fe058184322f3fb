import * as os from 'node:os';
import * as path from 'node:path';
import { localCacheDirProblem } from '../../../../shared/cache.js';
import { InputError } from '../../../../shared/errors.js';

/**
 * Where restic keeps its cache when nobody says otherwise (restic internal/cache/dir.go DefaultDir, the
 * same in 0.14 and 0.18): `$RESTIC_CACHE_DIR`, else Go's `os.UserCacheDir()` + `/restic` — on macOS
 * `$HOME/Library/Caches`, elsewhere `$XDG_CACHE_HOME` when set and absolute, else `$HOME/.cache`
 * (golang/go src/os/file.go UserCacheDir). The action's default is this very place, so the check shares
 * its cache with the operator's own restic commands on the runner and `restic cache --cleanup` manages
 * it. Undefined when it cannot be determined (no HOME): then `cache-dir` must be given.
 */
export function resticDefaultCacheDir(
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform = process.platform,
): string | undefined {
  if (env.RESTIC_CACHE_DIR) return env.RESTIC_CACHE_DIR;
  const home = env.HOME;
  if (platform === 'darwin') return home ? path.join(home, 'Library', 'Caches', 'restic') : undefined;
  const xdg = env.XDG_CACHE_HOME;
  if (xdg) return path.isAbsolute(xdg) ? path.join(xdg, 'restic') : undefined;
  return home ? path.join(home, '.cache', 'restic') : undefined;
}

function isWithin(child: string, parent: string): boolean {
  const rel = path.relative(path.resolve(parent), path.resolve(child));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * The `cache-dir` input (already `~`-expanded and resolved against the workspace by `filePath`) as a
 * directory a cache may be kept in: outside the workspace (re-cloned) and RUNNER_TEMP (emptied after
 * every job), not the file system root, and not around the directory the run's scratch directory (and
 * so the restore directory `verify-command` runs in) is made in: the cache stays apart from both.
 */
export function checkCacheDir(dir: string | undefined, env: NodeJS.ProcessEnv): string {
  if (dir === undefined)
    throw new InputError(
      'cache-dir',
      "a directory for restic's cache (restic's default location needs HOME, which is not set)",
      'nothing',
    );
  const problem = localCacheDirProblem(dir, env);
  if (problem) throw new InputError('cache-dir', problem, `'${dir}'`);
  const temp = env.RUNNER_TEMP || os.tmpdir();
  if (isWithin(temp, dir))
    throw new InputError(
      'cache-dir',
      `a directory that does not contain '${temp}' (the restore directory is made there)`,
      `'${dir}'`,
    );
  return dir;
}
