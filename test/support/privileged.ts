import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

/**
 * The few test steps that need root (mounting a tmpfs, sshd that accepts root logins and chowns files
 * to other users): run directly when the tests run as root, through `sudo -n` otherwise — the GitHub
 * mirror's CI runs the suite as the unprivileged `runner` user with passwordless sudo, and `.ci/run`
 * runs it as a fresh non-root user the same way. Without passwordless sudo they fail saying so.
 */
export const isRoot = process.getuid?.() === 0;

function argv(cmd: string, args: readonly string[]): [string, string[]] {
  return isRoot ? [cmd, [...args]] : ['sudo', ['-n', '--', cmd, ...args]];
}

export function execAsRoot(cmd: string, args: readonly string[], why: string): string {
  const [bin, full] = argv(cmd, args);
  try {
    return execFileSync(bin, full, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(
      `${why} needs root${isRoot ? '' : ' (passwordless sudo)'}: ${cmd} failed: ${String(err.stderr || err.message).trim()}`,
    );
  }
}

/** A long-running root process (sshd). Signals sent to the returned child reach it: sudo relays them. */
export function spawnAsRoot(cmd: string, args: readonly string[], opts: SpawnOptions): ChildProcess {
  const [bin, full] = argv(cmd, args);
  return spawn(bin, full, opts);
}

/** Reads a file only root (or its owner) may read, as the test's assertions need to. */
export function readAsRoot(file: string): string {
  return isRoot
    ? execFileSync('cat', [file], { encoding: 'utf8' })
    : execAsRoot('cat', [file], `reading ${file}`);
}

/** Mode, owner and group of a path under a directory only root may enter. */
export function statAsRoot(p: string): { mode: number; uid: number; gid: number } {
  const [mode, uid, gid] = execAsRoot('stat', ['-c', '%a %u %g', p], `stat of ${p}`).trim().split(' ');
  return { mode: parseInt(mode, 8), uid: Number(uid), gid: Number(gid) };
}

/** Entry names of a directory only root may read, sorted as readdirSync sorts them. */
export function listAsRoot(dir: string): string[] {
  return execAsRoot('ls', ['-A', dir], `listing ${dir}`).split('\n').filter(Boolean).sort();
}

/** Removes a tree that holds files a root process created. */
export function removeAsRoot(p: string): void {
  if (isRoot) execFileSync('rm', ['-rf', '--', p]);
  else execAsRoot('rm', ['-rf', '--', p], `removing ${p}`);
}
