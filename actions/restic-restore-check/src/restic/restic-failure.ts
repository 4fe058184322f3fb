import { ActionError } from '../../../../shared/errors.js';
import { redact } from '../../../../shared/secrets.js';
import type { ExitCodes } from './restic-version.js';

/**
 * Tells restic's failures apart. From 0.17 restic exits 10/11/12 for a missing repository, a lock it could
 * not take and (0.17.1+) a wrong password; 0.14–0.16 exit 1 for all of them, so stderr decides. The texts
 * matched here are restic's own, unchanged from v0.14.0 to v0.18.1:
 *  - "wrong password or no key found"  internal/repository/key.go (ErrNoKeyFound), printed as "Fatal: …"
 *  - "repository is already locked [exclusively ]by PID … on … by … (UID …, GID …)\nlock was created at …
 *    (… ago)\nstorage ID …" + "\nthe `unlock` command can be used to remove stale locks"
 *    internal/restic/lock.go (alreadyLockedError, Lock.String) and cmd/restic/main.go
 *  - "unable to open config file: …\nIs there a repository at the following location?\n…"
 *    cmd/restic/global.go (OpenRepository); 0.17+ prefixes "repository does not exist" when the backend
 *    says so (exit 10) and keeps exit 1 when it could not ask (network)
 *  - "unable to open repository at …" cmd/restic/global.go (backend could not be created, e.g. sftp)
 *  - "… returned error, retrying after …: …" cmd/restic/global.go (backend retry report)
 */
export type FailureKind =
  'no-repository' | 'unreachable' | 'wrong-password' | 'locked' | 'unknown-exit' | 'interrupted' | 'other';

export interface LockHolder {
  exclusive: boolean;
  pid: string;
  host: string;
  user: string;
  createdAt?: string;
  age?: string;
  lockId?: string;
  /** Filled in by the caller, who can look at this host's processes. */
  holder?: 'running' | 'gone' | 'elsewhere';
}

export interface ClassifiedFailure {
  kind: FailureKind;
  exitCode: number | null;
  /** The most telling line of stderr, redacted. */
  detail: string;
  lock?: LockHolder;
}

const WRONG_PASSWORD = /wrong password or no key found/;
const LOCKED = /repository is already locked (exclusively )?by/;
const NO_CONFIG = /Is there a repository at the following location\?|unable to open config file/;
const NOT_FOUND =
  /no such file or directory|repository does not exist|404 Not Found|\bNotFound\b|status code 404|does not exist/i;
const BACKEND_OPEN = /unable to open repository at|config cannot be loaded/;
const NETWORK =
  /returned error, retrying after|connection refused|no such host|i\/o timeout|network is unreachable|connection reset|no route to host|TLS handshake|EOF$|ssh: |server unexpectedly closed/;

/** The line that says what went wrong: restic's `Fatal:` line when there is one, else the last line. */
export function tellingLine(stderr: string): string {
  const lines = stderr.split(/\r?\n/).filter((l) => l.trim().length > 0);
  const fatal = lines.find((l) => l.startsWith('Fatal:') || LOCKED.test(l));
  const line = fatal ?? lines[lines.length - 1] ?? '';
  return redact(line.replace(/^Fatal:\s*/, '')).slice(0, 300);
}

export function parseLockHolder(stderr: string): LockHolder | undefined {
  const who = /repository is already locked (exclusively )?by PID (\d+) on (\S+) by (.+?) \(UID/.exec(stderr);
  if (!who) return undefined;
  const when = /lock was created at (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) \(([^)]*?) ago\)/.exec(stderr);
  const id = /storage ID ([0-9a-f]+)/.exec(stderr);
  return {
    exclusive: Boolean(who[1]),
    pid: who[2],
    host: who[3],
    user: who[4],
    createdAt: when?.[1],
    // Go prints durations with nanoseconds ("4.546883302s"); a tenth of a second is plenty.
    age: when?.[2].replace(/\.(\d)\d+/g, '.$1'),
    lockId: id?.[1],
  };
}

function fromStderr(stderr: string): FailureKind {
  if (WRONG_PASSWORD.test(stderr)) return 'wrong-password';
  if (LOCKED.test(stderr)) return 'locked';
  if (NO_CONFIG.test(stderr))
    return NOT_FOUND.test(stderr) && !NETWORK.test(stderr) ? 'no-repository' : 'unreachable';
  if (BACKEND_OPEN.test(stderr) || NETWORK.test(stderr)) return 'unreachable';
  return 'other';
}

/** Classifies a failed restic run (exit code ≠ 0) by exit code where the version has one, else by stderr. */
export function classifyFailure(
  codes: ExitCodes,
  exitCode: number | null,
  stderr: string,
): ClassifiedFailure {
  const base = { exitCode, detail: tellingLine(stderr) };
  let kind: FailureKind;
  if (exitCode !== null && exitCode === codes.noRepository) kind = 'no-repository';
  else if (exitCode !== null && exitCode === codes.locked) kind = 'locked';
  else if (exitCode !== null && exitCode === codes.wrongPassword) kind = 'wrong-password';
  else if (exitCode === 130) kind = 'interrupted';
  // Exit 1 is "any failure" in every version; new versions still use it for network errors.
  else if (exitCode === 1) kind = fromStderr(stderr);
  else kind = 'unknown-exit';
  return { ...base, kind, lock: kind === 'locked' ? parseLockHolder(stderr) : undefined };
}

export function describeLock(lock: LockHolder | undefined): string {
  if (!lock) return 'The repository is locked by another restic process';
  const notes = [
    lock.age ? `${lock.age} ago` : undefined,
    lock.lockId ? `lock ${lock.lockId}` : undefined,
  ].filter(Boolean);
  const since = lock.createdAt ? ` since ${lock.createdAt}` : '';
  const extra = notes.length > 0 ? ` (${notes.join('; ')})` : '';
  const state = lock.holder ? `; ${HOLDER_STATE[lock.holder]}` : '';
  return `The repository is locked${lock.exclusive ? ' exclusively' : ''} by restic PID ${lock.pid} on host ${lock.host} (user ${lock.user})${since}${extra}${state}`;
}

const HOLDER_STATE: Record<NonNullable<LockHolder['holder']>, string> = {
  gone: 'that process is no longer running on this host, so the lock is stale',
  running: 'that process is still running on this host',
  elsewhere: 'that host is not this runner',
};

/** How to get rid of the lock, depending on whether its holder still runs. */
export function lockHint(lock: LockHolder | undefined): string {
  const readOnly = 'for read-only checks of an append-only repository set no-lock: true.';
  if (lock?.holder === 'running') return `Wait for PID ${lock.pid} to finish; ${readOnly}`;
  if (lock?.holder === 'gone')
    return `Remove it with \`restic unlock\` (it removes only stale locks); ${readOnly}`;
  return `If that process is no longer running, remove the stale lock with \`restic unlock\` (it removes only stale locks); ${readOnly}`;
}

export interface FailureContext {
  /** What ran, e.g. `restic snapshots`. */
  command: string;
  /** The repository as shown to users (credentials stripped). */
  repository: string;
  /** The failure-reason when restic failed for a reason that is not about access (e.g. check → integrity). */
  fallbackReason: string;
  versionText: string;
}

/** One ActionError per failure class: what failed, why, what to do. */
export function failureToError(f: ClassifiedFailure, c: FailureContext): ActionError {
  const exit = f.exitCode === null ? 'killed' : `exit ${f.exitCode}`;
  switch (f.kind) {
    case 'no-repository':
      return new ActionError(
        'unreachable',
        `There is no restic repository at '${c.repository}' (${c.command}, ${exit}: ${f.detail}).`,
        "Check the 'repository' input and the backend credentials in 'env'; a new repository needs `restic init`.",
      );
    case 'unreachable':
      return new ActionError(
        'unreachable',
        `The restic repository '${c.repository}' could not be reached (${c.command}, ${exit}: ${f.detail}).`,
        "Check that the backend is up and reachable from this runner and that the credentials in 'env' are valid.",
      );
    case 'wrong-password':
      return new ActionError(
        'wrong-password',
        `restic could not open '${c.repository}' with the given password: no key matches it (${c.command}, ${exit}).`,
        "Check 'password', 'password-file' or 'password-command' against the repository's keys (`restic key list` with a working password).",
      );
    case 'locked':
      return new ActionError(
        'locked',
        `${describeLock(f.lock)}, so ${c.command} could not take its lock.`,
        lockHint(f.lock),
      );
    case 'interrupted':
      return new ActionError(
        c.fallbackReason,
        `${c.command} was interrupted by a signal from outside the action (${exit}).`,
        'Re-run the check; look for whatever stops processes on this runner.',
      );
    case 'unknown-exit':
      return new ActionError(
        c.fallbackReason,
        `${c.command} exited with code ${f.exitCode ?? 'none'}, which restic ${c.versionText} does not document: ${f.detail || 'no message'}.`,
        'Treating it as a failure; look at the restic output above.',
      );
    default:
      return new ActionError(
        c.fallbackReason,
        `${c.command} failed (${exit}): ${f.detail || 'no message'}.`,
        'See the restic output above.',
      );
  }
}
