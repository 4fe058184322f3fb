import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import {
  classifySshFailure,
  enforcedOptions,
  parseRemoteSha256,
  remoteCommand,
  renderSshConfig,
  sshArgs,
  sshDestination,
  type SshPlan,
  type TargetSpec,
} from '../../../actions/sops-stage-age-key/src/ssh-command.js';

const plan = (extra: Partial<SshPlan> = {}): SshPlan => ({
  destination: 'root@edge-1',
  port: 2222,
  configFile: '/priv/ssh_config',
  connectTimeoutSec: 15,
  ...extra,
});
const target: TargetSpec = {
  path: '/var/lib/sops-nix/key.txt',
  mode: '0600',
  owner: 'root:root',
  sudo: 'never',
};

describe('sshArgs', () => {
  test('without a user config: -F none and every enforced option on the command line', () => {
    const args = sshArgs(plan({ knownHostsFile: '/priv/known_hosts', identityFile: '/priv/id_key' }), target);
    expect(args.slice(0, 2)).toEqual(['-F', 'none']);
    const opts = args.filter((_, i) => args[i - 1] === '-o');
    expect(opts).toEqual(
      expect.arrayContaining([
        'BatchMode=yes',
        'StrictHostKeyChecking=yes',
        'UserKnownHostsFile=/priv/known_hosts',
        'GlobalKnownHostsFile=/dev/null',
        'IdentityFile=/priv/id_key',
        'IdentitiesOnly=yes',
        'ControlMaster=no',
      ]),
    );
    const dd = args.indexOf('--');
    expect(args.slice(dd - 2, dd + 2)).toEqual(['-p', '2222', '--', 'root@edge-1']);
    expect(args).toHaveLength(dd + 3);
  });

  test('with a user config: -F generated, options in the file before the Include', () => {
    const p = plan({ userConfig: '/ws/ssh config%', knownHostsFile: '/priv/known_hosts' });
    const args = sshArgs(p, target);
    expect(args.slice(0, 2)).toEqual(['-F', '/priv/ssh_config']);
    expect(args).not.toContain('-o');
    const cfg = renderSshConfig(p).split('\n');
    const include = cfg.indexOf('Include "/ws/ssh config%%"');
    expect(include).toBeGreaterThan(cfg.indexOf('StrictHostKeyChecking yes'));
    expect(include).toBeGreaterThan(cfg.indexOf('BatchMode yes'));
  });

  test('no pinned known_hosts: the runner files stay in effect, strict checking still on', () => {
    const keys = enforcedOptions(plan()).map(([k]) => k);
    expect(keys).toContain('StrictHostKeyChecking');
    expect(keys).not.toContain('UserKnownHostsFile');
    expect(keys).not.toContain('GlobalKnownHostsFile');
  });
});

test.each([
  ['root@[::1]', 'root@::1'],
  ['[fe80::1]', 'fe80::1'],
  ['deploy@edge-1.example', 'deploy@edge-1.example'],
])('sshDestination(%s) = %s', (given, want) => {
  expect(sshDestination(given)).toBe(want);
});

test.each([
  ['banner\nsha256=' + 'a'.repeat(64) + '\n', 'a'.repeat(64)],
  ['sha256=' + 'a'.repeat(63), undefined],
  ['', undefined],
])('parseRemoteSha256 %#', (out, want) => {
  expect(parseRemoteSha256(out)).toBe(want);
});

test.each([
  [
    255,
    '@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\nHost key verification failed.',
    'host-key-mismatch',
  ],
  [
    255,
    'No ED25519 host key is known for [127.0.0.1]:2222 and you have requested strict checking.\nHost key verification failed.',
    'host-key-unknown',
  ],
  [255, 'root@127.0.0.1: Permission denied (publickey).', 'auth'],
  [255, 'ssh: connect to host 127.0.0.1 port 1: Connection refused', 'connect'],
  [1, 'chown: invalid user: nosuchuser', 'remote'],
])('classifySshFailure(%s, …) = %s', (code, stderr, kind) => {
  expect(classifySshFailure(code, stderr)).toBe(kind);
});

describe('the remote command, run by a local sh as the login shell would', () => {
  const run = (t: TargetSpec, input: string) =>
    execFileSync('sh', ['-c', remoteCommand(t)], {
      input,
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
    });

  test('creates the directory 0700, writes the file with its mode, prints the sha256, leaves no temp file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'remote-'));
    const file = path.join(dir, "it's new", 'key.txt');
    const owner = `${process.getuid!()}:${process.getgid!()}`;
    const out = run({ path: file, mode: '0640', owner, sudo: 'never' }, 'KEY CONTENT\n');
    expect(parseRemoteSha256(out)).toBe(createHash('sha256').update('KEY CONTENT\n').digest('hex'));
    expect(fs.readFileSync(file, 'utf8')).toBe('KEY CONTENT\n');
    expect(fs.statSync(file).mode & 0o777).toBe(0o640);
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['key.txt']);
    // Replacing keeps it atomic and idempotent.
    run({ path: file, mode: '0600', owner, sudo: 'never' }, 'OTHER\n');
    expect(fs.readFileSync(file, 'utf8')).toBe('OTHER\n');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('refuses a directory as the target and cleans up after a failed chown', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'remote-'));
    expect(() => run({ path: dir, mode: '0600', owner: 'root', sudo: 'never' }, 'x')).toThrow(
      /is a directory/,
    );
    const file = path.join(dir, 'key.txt');
    expect(() => run({ path: file, mode: '0600', owner: 'no-such-user-xyz', sudo: 'never' }, 'x')).toThrow();
    expect(fs.readdirSync(dir)).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
