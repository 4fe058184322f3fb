import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ActionError } from '../../../shared/errors.js';
import { execFileSync } from 'node:child_process';
import {
  createResticCli,
  escapePattern,
  lockHolderState,
} from '../../../actions/restic-restore-check/src/restic/restic-cli.js';

/**
 * The client's wiring (version → exit-code family, argv, env, streaming, retry bound, timeout) against a
 * small shell stand-in that answers like restic 0.18 or 0.14 would. Real restic 0.14 runs in the
 * integration tests; 0.17+ cannot be installed here, so its exit codes are replayed by the stand-in.
 */
let dir: string;
let bin: string;
const argvLog = () => fs.readFileSync(path.join(dir, 'argv.log'), 'utf8').trim().split('\n');

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rrc-cli-'));
  bin = path.join(dir, 'restic');
  fs.writeFileSync(
    bin,
    `#!/bin/sh
printf '%s|' "$@" >> "${dir}/argv.log"; printf 'PW=%s\\n' "$RESTIC_PASSWORD_FILE" >> "${dir}/argv.log"
[ "$1" = "--no-lock" ] && shift
case "$1" in
  version) echo "restic $FAKE_VERSION compiled with go1.24.4 on linux/amd64"; exit 0 ;;
  cat) case "$FAKE_MODE" in
         wrong-password) echo "Fatal: wrong password or no key found" >&2; exit "$FAKE_CODE" ;;
         locked) printf 'unable to create lock in backend: repository is already locked exclusively by PID 77 on mini by runner (UID 501, GID 20)\\nlock was created at 2026-11-21 03:00:00 (2h0m0s ago)\\nstorage ID abcd1234\\nthe \`unlock\` command can be used to remove stale locks\\n' >&2; exit "$FAKE_CODE" ;;
         no-repo) printf 'Fatal: repository does not exist: unable to open config file: stat /x/config: no such file or directory\\nIs there a repository at the following location?\\n/x\\n' >&2; exit "$FAKE_CODE" ;;
         weird) echo "something new" >&2; exit 42 ;;
         retry) while :; do echo "Load(<config/0000000000>, 0, 0) returned error, retrying after 300ms: dial tcp 127.0.0.1:1: connect: connection refused" >&2; sleep 0.3; done ;;
         hang) exec sleep 30 ;;
       esac
       [ "$FAKE_CONFIG" = "odd" ] && { echo 'repository 1234 opened'; exit 0; }
       printf '{\n  "version": 2,\n  "id": "%s",\n  "chunker_polynomial": "2696c2554fa58d"\n}\n' "${'${FAKE_ID:-'}${'5'.repeat(64)}}"; exit 0 ;;
  snapshots) case "$FAKE_SNAPSHOTS" in
         v14) echo 'could not load snapshot 36e9b411: load <snapshot/36e9b41100>: invalid data returned' >&2 ;;
         v18) echo 'Ignoring "36e9b411001fb75b5a39e0a1dfd029759667ab6b3b3ca6057828b4a518dc0554": load <snapshot/36e9b41100>: ciphertext verification failed' >&2 ;;
       esac
       echo '[{"time":"2026-11-21T03:00:00Z","id":"${'c'.repeat(64)}","paths":["/srv"],"hostname":"forgejo"}]'; exit 0 ;;
  ls) echo '{"time":"2026-11-21T03:00:00Z","id":"x","message_type":"snapshot","struct_type":"snapshot"}'
      echo '{"name":"a","type":"file","path":"/srv/a","size":13,"message_type":"node","struct_type":"node"}'
      echo '{"name":"srv","type":"dir","path":"/srv","message_type":"node","struct_type":"node"}'; exit 0 ;;
  check) echo "Pack ID does not match, want 4a3b, got 9f1e"; echo "Fatal: repository contains errors" >&2; exit 1 ;;
  restore) t="$4"
    case "$FAKE_RESTORE" in
      silent) exit 0 ;;
      read-error) echo "restoring <Snapshot x of [/srv]> to $t"
        echo "ignoring error for /srv/a: load <data/1d2e3f4a>: ciphertext verification failed" >&2
        echo "Fatal: There were 1 errors" >&2; exit 1 ;;
      mismatch) echo "restoring <Snapshot x of [/srv]> to $t"; echo "verifying files in $t"
        echo "ignoring error for $t/srv/a: Invalid file size for $t/srv/a: expected 13, got 0" >&2
        echo "ignoring error for $t/srv/b: Unexpected content in $t/srv/b, starting at offset 0" >&2
        echo "Fatal: There were 2 errors" >&2; exit 1 ;;
    esac
    echo "restoring <Snapshot x of [/srv]> to $t"; echo "verifying files in $t"
    echo "finished verifying 2 files in $t (took 3ms)"; exit 0 ;;
esac
exit 1
`,
    { mode: 0o755 },
  );
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function cli(
  env: Record<string, string>,
  o: { noLock?: boolean; timeoutMs?: number; unreachableAfterMs?: number } = {},
) {
  fs.writeFileSync(path.join(dir, 'argv.log'), '');
  const timeoutMs = o.timeoutMs ?? 20_000;
  return createResticCli({
    bin,
    env: { FAKE_VERSION: '0.18.1', RESTIC_PASSWORD_FILE: '/private/pw', ...env },
    noLock: o.noLock ?? false,
    deadline: Date.now() + timeoutMs,
    timeoutMs,
    unreachableAfterMs: o.unreachableAfterMs ?? 60_000,
    repositoryLabel: 'rest:https://u:***@backup/',
  });
}

async function reasonOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'success';
  } catch (e) {
    if (e instanceof ActionError) return e.reason;
    throw e;
  }
}

describe('exit codes follow the detected version', () => {
  test.each([
    ['0.18.1', 'wrong-password', '12', 'wrong-password'],
    ['0.18.1', 'locked', '11', 'locked'],
    ['0.18.1', 'no-repo', '10', 'unreachable'],
    ['0.17.0', 'wrong-password', '1', 'wrong-password'],
    ['0.14.0', 'locked', '1', 'locked'],
    ['0.14.0', 'wrong-password', '12', 'unreachable'],
    ['0.18.1', 'weird', '0', 'unreachable'],
  ])('restic %s, %s, exit %s → %s', async (version, mode, code, reason) => {
    const c = cli({ FAKE_VERSION: version, FAKE_MODE: mode, FAKE_CODE: code });
    await c.version();
    expect(await reasonOf(c.openRepository())).toBe(reason);
  });
});

test('a version older than 0.14 is refused before anything else runs', async () => {
  expect(await reasonOf(cli({ FAKE_VERSION: '0.13.1' }).version())).toBe('invalid-input');
});

test('--no-lock goes first; the password file travels in the environment', async () => {
  const c = cli({}, { noLock: true });
  await c.version();
  await c.openRepository();
  expect(argvLog()).toEqual([
    '--no-lock|version|PW=/private/pw',
    '--no-lock|cat|config|--no-cache|PW=/private/pw',
  ]);
});

test("openRepository reads the repository id from cat config's JSON; anything else gives none", async () => {
  const c = cli({});
  await c.version();
  expect(await c.openRepository()).toEqual({ id: '5'.repeat(64) });
  expect(await cli({ FAKE_CONFIG: 'odd' }).openRepository()).toEqual({ id: undefined });
  expect(await cli({ FAKE_ID: '../../etc' }).openRepository()).toEqual({ id: undefined });
});

describe('snapshots restic could not load fail the check instead of being left out', () => {
  test.each([
    ['0.14', 'v14', 'could not load snapshot 36e9b411'],
    ['0.15–0.18', 'v18', 'Ignoring "36e9b411'],
  ])('restic %s', async (_v, mode, quoted) => {
    const err = await cli({ FAKE_SNAPSHOTS: mode })
      .snapshots({ tags: [] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ActionError);
    expect((err as ActionError).reason).toBe('integrity');
    expect((err as ActionError).message).toContain('restic snapshots could not read a snapshot');
    expect((err as ActionError).message).toContain(quoted);
  });

  test('a clean listing passes', async () => {
    expect(await cli({}).snapshots({ tags: [] })).toHaveLength(1);
  });
});

test('listTree reads the 0.17+ JSON lines', async () => {
  const c = cli({});
  const nodes: unknown[] = [];
  await c.listTree('x', (n) => nodes.push(n));
  expect(nodes).toEqual([
    { path: '/srv/a', type: 'file', size: 13 },
    { path: '/srv', type: 'dir', size: 0 },
  ]);
});

test('check reports the damage restic found instead of throwing', async () => {
  const c = cli({});
  await c.version();
  expect(await c.check('5%')).toEqual({
    ok: false,
    errors: ['Pack ID does not match, want 4a3b, got 9f1e', 'Fatal: repository contains errors'],
  });
  expect(argvLog()[1]).toBe('check|--read-data-subset=5%|PW=/private/pw');
});

test('restore verifies (--verify) and escapes includes as restic filter patterns', async () => {
  expect(await cli({}).restore('x', '/t', ['/srv/we*ird [x].txt', '/srv/a\\b?'])).toEqual({
    verifiedFiles: 2,
  });
  expect(argvLog()[0]).toBe(
    'restore|x|--target|/t|--verify|--include|/srv/we\\*ird \\[x\\].txt|--include|/srv/a\\\\b\\?|PW=/private/pw',
  );
  expect(escapePattern('/plain/path')).toBe('/plain/path');
});

test.each([
  [
    'differences restic --verify found',
    'mismatch',
    'restore-mismatch',
    'restic restore --verify found restored files that differ from the repository: /srv/a: Invalid file size for /srv/a: expected 13, got 0; /srv/b: Unexpected content in /srv/b, starting at offset 0.',
  ],
  [
    'a read error while restoring',
    'read-error',
    'integrity',
    'restic restore failed (exit 1): There were 1 errors.',
  ],
  [
    'a restic that exits 0 without reporting a verification',
    'silent',
    'restore-mismatch',
    'restic restore --verify exited 0 without reporting that it verified the restored files (restic 0.14.0), so they cannot be confirmed against the repository.',
  ],
])('restore: %s', async (_name, mode, reason, message) => {
  const c = cli({ FAKE_VERSION: '0.14.0', FAKE_RESTORE: mode });
  await c.version();
  const t = path.join(dir, 'target');
  const err = await c.restore('x', t, ['/srv']).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ActionError);
  expect([(err as ActionError).reason, (err as ActionError).message]).toEqual([reason, message]);
});

// Without the bound the stand-in retries for ever and the call ends at the deadline as `timeout` instead.
test('restic retrying a dead backend is stopped after unreachable-after', async () => {
  const c = cli({ FAKE_MODE: 'retry' }, { unreachableAfterMs: 1500 });
  const err = await c.openRepository().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ActionError);
  expect((err as ActionError).reason).toBe('unreachable');
  expect((err as ActionError).message).toContain('restic cat config kept failing to reach');
});

test('a restic that hangs is killed at the deadline: timeout, with the next step', async () => {
  const err = await cli({ FAKE_MODE: 'hang' }, { timeoutMs: 1000 })
    .openRepository()
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ActionError);
  const e = err as ActionError;
  expect([e.reason, e.message]).toEqual([
    'timeout',
    'The restore check (restic cat config) did not finish within 1s; its process group was killed.',
  ]);
  expect(e.hint).toContain("Raise 'timeout'");
});

test.each<[string, () => [string, number], string]>([
  ['this process', () => [os.hostname(), process.pid], 'running'],
  [
    'a process that has exited',
    () => [os.hostname(), Number(execFileSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }))],
    'gone',
  ],
  ['a process on another host', () => ['some-other-host', process.pid], 'elsewhere'],
])('lockHolderState: %s', (_name, holder, want) => {
  const [host, pid] = holder();
  expect(lockHolderState(host, pid)).toBe(want);
});
