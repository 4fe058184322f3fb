import { describe, expect, test } from '@jest/globals';
import {
  classifyFailure,
  describeLock,
  failureToError,
  lockHint,
  parseLockHolder,
  tellingLine,
  type FailureKind,
  type LockHolder,
} from '../../../actions/restic-restore-check/src/restic/restic-failure.js';
import {
  exitCodesOf,
  parseResticVersion,
} from '../../../actions/restic-restore-check/src/restic/restic-version.js';

// stderr as restic prints it. 0.14.0 texts were captured from Debian's restic 0.14.0; 0.17/0.18 texts are
// built from the format strings in cmd/restic/main.go, cmd/restic/global.go and internal/restic/lock.go.
const LOCKED_014 = [
  'unable to create lock in backend: repository is already locked exclusively by PID 8520 on vm by root (UID 0, GID 0)',
  'lock was created at 2026-11-21 14:16:48 (1.658604498s ago)',
  'storage ID 3d51dac0',
  'the `unlock` command can be used to remove stale locks',
].join('\n');
const LOCKED_018 = [
  'unable to create lock in backend: repository is already locked by PID 4242 on mini.local by runner (UID 501, GID 20)',
  'lock was created at 2026-11-20 03:00:01 (26h1m2.512345s ago)',
  'storage ID 0a1b2c3d',
  'the `unlock` command can be used to remove stale locks',
].join('\n');
const NO_REPO_014 = [
  'Fatal: unable to open config file: stat /srv/nope/config: no such file or directory',
  'Is there a repository at the following location?',
  '/srv/nope',
].join('\n');
const NO_REPO_018 = [
  'Fatal: repository does not exist: unable to open config file: stat /srv/nope/config: no such file or directory',
  'Is there a repository at the following location?',
  '/srv/nope',
].join('\n');
const REFUSED = [
  'Fatal: unable to open config file: client.Head: Head "http://127.0.0.1:1/config": dial tcp 127.0.0.1:1: connect: connection refused',
  'Is there a repository at the following location?',
  'rest:http://127.0.0.1:1/',
].join('\n');
const RETRIED = [
  'Load(<data/8c2a1f0e36>, 0, 0) returned error, retrying after 552.330144ms: client.Do: Get "http://127.0.0.1:36581/r1/data/8c2a1f0e36": dial tcp 127.0.0.1:36581: connect: connection refused',
  'Fatal: config cannot be loaded: client.Do: Get "http://127.0.0.1:36581/r1/config": dial tcp 127.0.0.1:36581: connect: connection refused',
].join('\n');
const SFTP =
  'Fatal: unable to open repository at sftp:backup@nas:/srv/restic: unable to start the sftp session, error: EOF';
const WRONG_PASSWORD = 'Fatal: wrong password or no key found';
const CHECK_DAMAGE = 'Pack ID does not match, want 4a3b…, got 9f1e…\nFatal: repository contains errors';

const v014 = exitCodesOf(parseResticVersion('restic 0.14.0 compiled with go1.19.8 on linux/amd64')!);
const v0170 = exitCodesOf(parseResticVersion('restic 0.17.0 compiled with go1.22.5 on darwin/arm64')!);
const v018 = exitCodesOf(parseResticVersion('restic 0.18.1 compiled with go1.24.4 on darwin/arm64')!);

describe('classifyFailure on restic 0.14–0.16 (exit 1 for everything, stderr decides)', () => {
  test.each<[string, number | null, string, FailureKind]>([
    ['wrong password', 1, WRONG_PASSWORD, 'wrong-password'],
    ['stale exclusive lock', 1, LOCKED_014, 'locked'],
    ['missing local repository', 1, NO_REPO_014, 'no-repository'],
    ['REST server down', 1, REFUSED, 'unreachable'],
    ['server died mid-run', 1, RETRIED, 'unreachable'],
    ['sftp backend cannot start', 1, SFTP, 'unreachable'],
    ['check found damage', 1, CHECK_DAMAGE, 'other'],
    ['exit 10 is not a code 0.14 knows', 10, NO_REPO_014, 'unknown-exit'],
    ['exit 12 is not a code 0.14 knows', 12, WRONG_PASSWORD, 'unknown-exit'],
    ['exit 2', 2, 'something', 'unknown-exit'],
    ['killed by a signal', null, '', 'unknown-exit'],
    ['interrupted', 130, 'signal interrupt received, cleaning up', 'interrupted'],
  ])('%s', (_name, code, stderr, kind) => {
    expect(classifyFailure(v014, code, stderr).kind).toBe(kind);
  });
});

describe('classifyFailure on restic 0.17+ (exit codes 10/11/12)', () => {
  test.each<[string, typeof v018, number, string, FailureKind]>([
    ['exit 10: no repository', v018, 10, NO_REPO_018, 'no-repository'],
    ['exit 11: locked', v018, 11, LOCKED_018, 'locked'],
    ['exit 12: wrong password', v018, 12, WRONG_PASSWORD, 'wrong-password'],
    ['exit 1 with a network error stays unreachable', v018, 1, REFUSED, 'unreachable'],
    ['exit 1 from check damage', v018, 1, CHECK_DAMAGE, 'other'],
    ['0.17.0 has no code 12: wrong password by stderr', v0170, 1, WRONG_PASSWORD, 'wrong-password'],
    ['0.17.0 exit 12 is unknown', v0170, 12, WRONG_PASSWORD, 'unknown-exit'],
    ['exit 3 (incomplete backup) is unknown here', v018, 3, '', 'unknown-exit'],
    ['exit 99', v018, 99, '', 'unknown-exit'],
  ])('%s', (_name, codes, code, stderr, kind) => {
    expect(classifyFailure(codes, code, stderr).kind).toBe(kind);
  });
});

describe('lock holder', () => {
  test.each([
    [
      LOCKED_014,
      {
        exclusive: true,
        pid: '8520',
        host: 'vm',
        user: 'root',
        createdAt: '2026-11-21 14:16:48',
        age: '1.6s',
        lockId: '3d51dac0',
      },
    ],
    [
      LOCKED_018,
      {
        exclusive: false,
        pid: '4242',
        host: 'mini.local',
        user: 'runner',
        createdAt: '2026-11-20 03:00:01',
        age: '26h1m2.5s',
        lockId: '0a1b2c3d',
      },
    ],
  ])('parsed from restic stderr', (stderr, want) => {
    expect(parseLockHolder(stderr)).toEqual(want);
  });

  test('the locked error says who holds the lock and how to remove it', () => {
    const e = failureToError(classifyFailure(v014, 1, LOCKED_014), {
      command: 'restic cat config',
      repository: '/srv/repo',
      fallbackReason: 'unreachable',
      versionText: '0.14.0',
    });
    expect(e.reason).toBe('locked');
    expect(e.message).toBe(
      'The repository is locked exclusively by restic PID 8520 on host vm (user root) since 2026-11-21 14:16:48 (1.6s ago; lock 3d51dac0), so restic cat config could not take its lock.',
    );
    expect(e.hint).toContain('restic unlock');
  });

  test('an unparsable lock message still names the failure', () => {
    expect(describeLock(undefined)).toBe('The repository is locked by another restic process');
  });
});

describe('failureToError', () => {
  const ctx = {
    command: 'restic check',
    repository: 'rest:http://u:***@h/',
    fallbackReason: 'integrity',
    versionText: '0.18.1',
  };
  test.each<[FailureKind, string]>([
    ['no-repository', 'unreachable'],
    ['unreachable', 'unreachable'],
    ['wrong-password', 'wrong-password'],
    ['locked', 'locked'],
    ['unknown-exit', 'integrity'],
    ['interrupted', 'integrity'],
    ['other', 'integrity'],
  ])('%s → %s', (kind, reason) => {
    const e = failureToError({ kind, exitCode: 1, detail: 'x' }, ctx);
    expect(e.reason).toBe(reason);
    expect(e.message).not.toMatch(/\n/);
  });

  test('an unknown exit code is a failure naming the code', () => {
    const e = failureToError(classifyFailure(v018, 42, 'weird'), ctx);
    expect(e.message).toBe('restic check exited with code 42, which restic 0.18.1 does not document: weird.');
  });
});

test.each([
  [NO_REPO_014, 'unable to open config file: stat /srv/nope/config: no such file or directory'],
  [
    LOCKED_014,
    'unable to create lock in backend: repository is already locked exclusively by PID 8520 on vm by root (UID 0, GID 0)',
  ],
  ['line one\nlast line\n\n', 'last line'],
  ['', ''],
])('tellingLine picks the line that explains', (stderr, want) => {
  expect(tellingLine(stderr)).toBe(want);
});

describe('what to do about a lock depends on its holder', () => {
  const lock = parseLockHolder(LOCKED_014)!;
  test.each<[LockHolder['holder'], string, string]>([
    ['gone', 'no longer running on this host, so the lock is stale', 'Remove it with `restic unlock`'],
    ['running', 'still running on this host', 'Wait for PID 8520 to finish'],
    ['elsewhere', 'that host is not this runner', 'If that process is no longer running'],
    [undefined, 'lock 3d51dac0)', 'If that process is no longer running'],
  ])('%s', (holder, inMessage, hintStart) => {
    const e = failureToError(
      { kind: 'locked', exitCode: 11, detail: '', lock: { ...lock, holder } },
      { command: 'restic snapshots', repository: '/r', fallbackReason: 'integrity', versionText: '0.18.1' },
    );
    expect(e.message).toContain(inMessage);
    expect(e.hint?.startsWith(hintStart)).toBe(true);
    expect(e.hint).toContain('no-lock: true');
    expect(lockHint({ ...lock, holder })).toBe(e.hint);
  });
});
