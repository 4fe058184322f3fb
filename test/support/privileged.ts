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
