import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { createArgvRecorder, type ArgvRecorder } from '../../support/argv-recorder.js';
import { listAsRoot, readAsRoot, removeAsRoot, statAsRoot } from '../../support/privileged.js';
import { runAction } from '../../support/run-action.js';
import { ageKeygen, sopsFile, type AgeKeyPair } from '../../support/sops-stage-age-key-fixtures.js';
import { otherHostKey, startSshd, type TestSshd } from '../../support/sops-stage-age-key-sshd.js';
import { hostileLines, injected } from '../../support/log-commands.js';
import { ACTION, expectNowhere, expectOneError, keyFileContent, workspace } from './helpers.js';

/**
 * Staging on a target over a real OpenSSH sshd on 127.0.0.1 (throwaway host and user keys). The target
 * path always lies in a temp directory; the canary is an age key generated here.
 */
let sshd: TestSshd;
let canary: AgeKeyPair;
let recorder: ArgvRecorder;
let targetRoot: string;
let ws: string;

beforeAll(async () => {
  sshd = await startSshd();
  canary = ageKeygen();
  recorder = createArgvRecorder(['ssh', 'age', 'sops']);
  targetRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'sops-stage-target-'));
  ws = workspace({
    '.sops.yaml': `creation_rules:\n  - age: ${canary.recipient}\n`,
    'secrets/app.yaml': sopsFile({ values: { token: 'abc' }, recipients: [canary.recipient] }),
  });
});

afterAll(async () => {
  await sshd?.stop();
  for (const d of [ws, recorder?.binDir]) if (d) fs.rmSync(d, { recursive: true, force: true });
  // The target's files were written by sshd's root session.
  if (targetRoot) removeAsRoot(targetRoot);
});

function stage(inputs: Record<string, string>) {
  return runAction({
    action: ACTION,
    workspace: ws,
    env: { PATH: recorder.path },
    timeoutMs: 40_000,
    inputs: {
      'age-key': `# deploy key\n${canary.identity}\n`,
      'verify-files': 'secrets/*.yaml',
      'target-host': 'root@127.0.0.1',
      'target-port': String(sshd.port),
      'target-timeout': '20s',
      'ssh-key': sshd.userKey,
      'known-hosts': sshd.knownHostsLine,
      ...inputs,
    },
  });
}

const uidOf = (user: string) => Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
const gidOf = (group: string) =>
  Number(execFileSync('getent', ['group', group], { encoding: 'utf8' }).split(':')[2]);

test('stages the key with mode, owner and a matching sha256; no secret anywhere, not even in argv', async () => {
  const dir = path.join(targetRoot, 'existing');
  fs.mkdirSync(dir, { mode: 0o755 });
  const target = path.join(dir, 'key.txt');
  const before = recorder.calls().length;
  const r = await stage({ 'target-path': target, 'target-mode': '0640', 'target-owner': 'nobody:nogroup' });
  expect(r.exitCode).toBe(0);
  const expected = keyFileContent([canary]);
  expect(readAsRoot(target)).toBe(expected);
  const st = statAsRoot(target);
  expect(st.mode & 0o777).toBe(0o640);
  expect([st.uid, st.gid]).toEqual([uidOf('nobody'), gidOf('nogroup')]);
  // An existing directory keeps its mode; only missing ones are created 0700.
  expect(fs.statSync(dir).mode & 0o777).toBe(0o755);
  expect(listAsRoot(dir)).toEqual(['key.txt']);
  const sha = createHash('sha256').update(expected).digest('hex');
  expect(r.outputs['target-sha256']).toBe(sha);
  expect(r.outputs['verified-files']).toBe('1');
  expect(r.report?.result).toMatchObject({ target: { path: target, sha256: sha } });
  expect(r.report?.inputs).toMatchObject({ 'ssh-key': '***', 'known-hosts': '***', 'age-key': '***' });
  // The ssh material and the runner copy are gone after post.
  expect(fs.existsSync(r.state['ssh-dir'])).toBe(false);
  expect(fs.existsSync(r.outputs['key-file'])).toBe(false);
  const calls = recorder.calls().slice(before);
  expect(calls.map((c) => c[0])).toEqual(['ssh']);
  expect(calls[0]).toContain('StrictHostKeyChecking=yes');
  expectNowhere(r, canary.identity, calls);
  for (const line of sshd.userKey.split('\n').filter((l) => l.length > 40)) expectNowhere(r, line, calls);
});

test('a missing target directory is created 0700; re-running replaces the file atomically', async () => {
  const target = path.join(targetRoot, 'var', 'lib', 'sops-nix', 'key.txt');
  const first = await stage({ 'target-path': target });
  expect(first.exitCode).toBe(0);
  expect(statAsRoot(path.dirname(target)).mode & 0o777).toBe(0o700);
  expect(statAsRoot(target).mode & 0o777).toBe(0o600);
  const second = await stage({ 'target-path': target });
  expect(second.exitCode).toBe(0);
  expect(second.outputs['target-sha256']).toBe(first.outputs['target-sha256']);
  expect(listAsRoot(path.dirname(target))).toEqual(['key.txt']);
});

test('a host key mismatch is refused: nothing reaches the target, post still removes the runner copy', async () => {
  const target = path.join(targetRoot, 'mismatch', 'key.txt');
  const r = await stage({
    'target-path': target,
    'known-hosts': `[127.0.0.1]:${sshd.port} ${otherHostKey(targetRoot)}`,
  });
  expectOneError(r, /host key of root@127\.0\.0\.1 port \d+ does not match the pinned key/);
  expect(r.outputs['failure-reason']).toBe('host-key-mismatch');
  expect(fs.existsSync(path.dirname(target))).toBe(false);
  expect(r.outputs['target-sha256']).toBeUndefined();
  expect(fs.existsSync(r.outputs['key-file'])).toBe(false);
  expect(fs.existsSync(r.state['ssh-dir'])).toBe(false);
  expectNowhere(r, canary.identity, recorder.calls());
});

test('an unknown host is refused, never trusted on first use', async () => {
  const target = path.join(targetRoot, 'unknown', 'key.txt');
  const r = await stage({
    'target-path': target,
    'known-hosts': `other.example ${otherHostKey(targetRoot)}`,
  });
  expectOneError(r, /no known host key for root@127\.0\.0\.1 port \d+ in 'known-hosts'/);
  expect(r.outputs['failure-reason']).toBe('host-key-unknown');
  expect(fs.existsSync(path.dirname(target))).toBe(false);
});

test('a remote failure (unknown owner) names the path and leaves no temp file behind', async () => {
  const dir = path.join(targetRoot, 'badowner');
  fs.mkdirSync(dir);
  const r = await stage({ 'target-path': path.join(dir, 'key.txt'), 'target-owner': 'no-such-user-xyz' });
  expectOneError(r, /Writing .*badowner\/key\.txt on root@127\.0\.0\.1 failed \(exit \d+\)/);
  expect(r.outputs['failure-reason']).toBe('target-write-failed');
  expect(listAsRoot(dir)).toEqual([]);
});

test('ssh-config is layered under the enforced options', async () => {
  const cfg = path.join(targetRoot, 'ssh_config');
  // The user's file may alias the host, but cannot turn strict host key checking off.
  fs.writeFileSync(cfg, `Host edge\n  HostName 127.0.0.1\n  User root\n  StrictHostKeyChecking no\n`);
  const target = path.join(targetRoot, 'via-config', 'key.txt');
  const ok = await stage({ 'target-host': 'edge', 'ssh-config': cfg, 'target-path': target });
  expect(ok.exitCode).toBe(0);
  expect(listAsRoot(path.dirname(target))).toEqual(['key.txt']);
  const refused = await stage({
    'target-host': 'edge',
    'ssh-config': cfg,
    'target-path': path.join(targetRoot, 'via-config-2', 'key.txt'),
    'known-hosts': `[127.0.0.1]:${sshd.port} ${otherHostKey(targetRoot)}`,
  });
  expect(refused.outputs['failure-reason']).toBe('host-key-mismatch');
});

test('a hostile target cannot issue workflow commands through its output (issue 15 #4)', async () => {
  const victim = fs.mkdtempSync(path.join(os.tmpdir(), 'sops-stage-victim-'));
  const script = path.join(targetRoot, 'hostile.sh');
  const lines = hostileLines('INJECTED', victim);
  fs.writeFileSync(
    script,
    `#!/bin/sh\n${lines.map((l) => `printf '%s\\n' '${l}'; printf '%s\\n' '${l}' >&2`).join('\n')}\nexec /bin/sh -c "$SSH_ORIGINAL_COMMAND"\n`,
    { mode: 0o755 },
  );
  const hostile = await startSshd({ forceCommand: script });
  try {
    const target = path.join(targetRoot, 'hostile', 'key.txt');
    const r = await stage({
      'target-path': target,
      'target-port': String(hostile.port),
      'ssh-key': hostile.userKey,
      'known-hosts': hostile.knownHostsLine,
    });
    expect(r.exitCode).toBe(0);
    expect(r.log).toContain('INJECTED forged failure'); // the target's output is shown …
    expect(injected(r, 'INJECTED', victim)).toEqual([]); // … but issued nothing
    expect(r.masks).not.toContain('e');
    expect(Object.keys(r.outputs).filter((k) => k.startsWith('INJECTED'))).toEqual([]);
    expect(r.state['key-dir']).not.toBe(victim);
    expect(fs.existsSync(victim)).toBe(true);
    expect(readAsRoot(target)).toBe(keyFileContent([canary]));
  } finally {
    await hostile.stop();
    fs.rmSync(victim, { recursive: true, force: true });
  }
});
