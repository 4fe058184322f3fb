import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createArgvRecorder, type ArgvRecorder } from '../../support/argv-recorder.js';
import { runAction } from '../../support/run-action.js';
import { ageKeygen, sopsFile, type AgeKeyPair } from '../../support/sops-stage-age-key-fixtures.js';
import { requireTool } from '../../support/tools.js';
import { SOPS_BAD_INPUTS } from '../../support/bad-input-cases.js';
import { ACTION, expectNowhere, expectOneError, keyFileContent, shownLog, workspace } from './helpers.js';

/**
 * The runner side: key file, SOPS_AGE_KEY_FILE, the .sops.yaml recipient check, in-process verification
 * against files built with the real `age` CLI, the post step, and a bad value for every input.
 */
let ours: AgeKeyPair;
let second: AgeKeyPair;
let other: AgeKeyPair;
let recorder: ArgvRecorder;
const dirs: string[] = [];

beforeAll(() => {
  requireTool('age');
  requireTool('age-keygen');
  ours = ageKeygen();
  second = ageKeygen();
  other = ageKeygen();
  recorder = createArgvRecorder(['ssh', 'age', 'sops']);
});

afterAll(() => {
  for (const d of [...dirs, recorder.binDir]) fs.rmSync(d, { recursive: true, force: true });
});

function ws(files: Record<string, string>): string {
  const d = workspace(files);
  dirs.push(d);
  return d;
}

const sopsYaml = (...recipients: string[]) =>
  `creation_rules:\n  - path_regex: secrets/.*\\.yaml$\n    age: >-\n      ${recipients.join(',\n      ')}\n`;

const run = (inputs: Record<string, string>, workspaceDir: string, post?: boolean) =>
  runAction({
    action: ACTION,
    inputs,
    workspace: workspaceDir,
    post,
    env: { PATH: recorder.path },
    timeoutMs: 30_000,
  });

test('single key: key file 0600 in a 0700 dir, SOPS_AGE_KEY_FILE exported, recipient and file verified', async () => {
  const dir = ws({
    '.sops.yaml': sopsYaml(other.recipient, ours.recipient),
    'secrets/app.yaml': sopsFile({
      values: { password: 'hunter2' },
      recipients: [other.recipient, ours.recipient],
    }),
  });
  const r = await run({ 'age-key': ours.identity, 'verify-files': 'secrets/*.yaml' }, dir, false);
  expect(r.exitCode).toBe(0);
  expect(r.outputs['public-keys']).toBe(ours.recipient);
  expect(r.outputs['verified-files']).toBe('1');
  const keyFile = r.outputs['key-file'];
  expect(r.exportedEnv.SOPS_AGE_KEY_FILE).toBe(keyFile);
  expect(keyFile.startsWith(r.runnerTemp)).toBe(true);
  expect(fs.readFileSync(keyFile, 'utf8')).toBe(keyFileContent([ours]));
  expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
  expect(fs.statSync(path.dirname(keyFile)).mode & 0o777).toBe(0o700);
  expect(r.report?.status).toBe('success');
  // In-process: neither age nor sops was run, and nothing was decrypted.
  expect(recorder.calls().filter((c) => c[0] !== 'ssh')).toEqual([]);
  expect(r.log).not.toContain('hunter2');
  fs.rmSync(path.dirname(keyFile), { recursive: true, force: true });
});

test('multiple keys with comments: each opens its own files, key groups and JSON; post removes the copy', async () => {
  const dir = ws({
    '.sops.yaml': 'creation_rules:\n  - key_groups:\n      - age:\n          - ' + second.recipient + '\n',
    'secrets/a.yaml': sopsFile({ values: { a: '1' }, recipients: [ours.recipient] }),
    'secrets/b.yaml': sopsFile({ values: { b: '2' }, recipients: [second.recipient, other.recipient] }),
    'secrets/grouped.yaml': sopsFile({
      values: { c: '3' },
      groups: [[ours.recipient], [second.recipient, other.recipient]],
    }),
    'hosts/edge.json': sopsFile({ values: { d: '4' }, recipients: [second.recipient], format: 'json' }),
    'secrets/archive/old.yaml': sopsFile({ values: { e: '5' }, recipients: [other.recipient] }),
  });
  const key = `# created: 2026-01-01T00:00:00Z\n# public key: ${ours.recipient}\n${ours.identity}\n\n# second\n${second.identity}\n`;
  const r = await run(
    { 'age-key': key, 'verify-files': 'secrets/**/*.yaml\n!secrets/archive/**\nhosts/*.json' },
    dir,
  );
  expect(r.exitCode).toBe(0);
  expect(r.outputs['public-keys']).toBe(`${ours.recipient},${second.recipient}`);
  expect(r.outputs['verified-files']).toBe('4');
  const keyFile = r.outputs['key-file'];
  expect(fs.existsSync(keyFile)).toBe(false);
  expect(fs.existsSync(path.dirname(keyFile))).toBe(false);
  expect(r.post?.exitCode).toBe(0);
  for (const k of [ours, second]) expectNowhere(r, k.identity, recorder.calls());
});

test('key not a recipient of .sops.yaml: fails naming the expected recipients; post removes the key file', async () => {
  const dir = ws({ '.sops.yaml': sopsYaml(other.recipient) });
  const r = await run({ 'age-key': ours.identity }, dir);
  expectOneError(
    r,
    new RegExp(`${ours.recipient}\\) is not a recipient.*the rules expect ${other.recipient}\\.`),
  );
  expect(r.outputs['failure-reason']).toBe('not-a-recipient');
  // Main failed after writing the key: post still removed it and its directory.
  expect(r.outputs['key-file']).toBeTruthy();
  expect(fs.existsSync(r.outputs['key-file'])).toBe(false);
  expect(fs.existsSync(path.dirname(r.outputs['key-file']))).toBe(false);
  expect(r.state['key-file']).toBe(r.outputs['key-file']);
  expectNowhere(r, ours.identity, recorder.calls());
});

test('a file encrypted to someone else fails naming the file and its recipients', async () => {
  const dir = ws({
    '.sops.yaml': sopsYaml(ours.recipient),
    'secrets/ok.yaml': sopsFile({ values: { a: '1' }, recipients: [ours.recipient] }),
    'secrets/theirs.yaml': sopsFile({ values: { a: '1' }, recipients: [other.recipient] }),
  });
  const r = await run({ 'age-key': ours.identity, 'verify-files': 'secrets/*.yaml' }, dir);
  expectOneError(
    r,
    new RegExp(`secrets/theirs\\.yaml is encrypted to ${other.recipient}, not to the staged key`),
  );
  expect(r.outputs['failure-reason']).toBe('cannot-decrypt');
  expect(r.outputs['verified-files']).toBe('1');
  expect(fs.existsSync(r.outputs['key-file'])).toBe(false);
  expectNowhere(r, ours.identity);
});

test('key groups: opening fewer groups than sops needs fails', async () => {
  const dir = ws({
    'secrets/split.yaml': sopsFile({ values: { a: '1' }, groups: [[ours.recipient], [other.recipient]] }),
  });
  const r = await run({ 'age-key': ours.identity, 'verify-files': 'secrets/split.yaml' }, dir);
  expectOneError(r, /opens 1 of 2 key groups with the staged key, sops needs 2/);
  expect(r.outputs['failure-reason']).toBe('cannot-decrypt');
});

test('an unreadable .sops.yaml and a file without sops metadata fail with their own reasons', async () => {
  const broken = await run(
    { 'age-key': ours.identity },
    ws({ '.sops.yaml': 'creation_rules:\n  - age: {x: 1}\n' }),
  );
  expectOneError(
    broken,
    /Cannot read the recipients of \.sops\.yaml: creation_rules\[0\]\.age must be a string or a list/,
  );
  expect(broken.outputs['failure-reason']).toBe('sops-config-invalid');
  const plain = await run(
    { 'age-key': ours.identity, 'require-recipient': 'false', 'verify-files': 'config/*.yaml' },
    ws({ 'config/plain.yaml': 'password: not-encrypted\n' }),
  );
  expectOneError(
    plain,
    /config\/plain\.yaml is not a SOPS file the action can read: it has no sops metadata block/,
  );
  expect(plain.outputs['failure-reason']).toBe('not-a-sops-file');
});

test('no .sops.yaml in the workspace: the recipient check is skipped with a warning', async () => {
  const dir = ws({ 'README.md': 'no sops here\n' });
  const r = await run({ 'age-key': ours.identity }, dir);
  expect(r.exitCode).toBe(0);
  expect(r.log).toMatch(/::warning::No \.sops\.yaml in the workspace/);
});

test('cleanup false keeps the runner copy; a chosen key-file in a new directory gets 0700', async () => {
  const dir = ws({ '.sops.yaml': sopsYaml(ours.recipient) });
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'sops-stage-keys-'));
  dirs.push(base);
  fs.chmodSync(base, 0o700);
  const keyFile = path.join(base, 'sops', 'age', 'keys.txt');
  const r = await run(
    { 'age-key': ours.identity, 'key-file': keyFile, cleanup: 'false', 'export-env': 'false' },
    dir,
  );
  expect(r.exitCode).toBe(0);
  expect(r.outputs['key-file']).toBe(keyFile);
  expect(r.exportedEnv.SOPS_AGE_KEY_FILE).toBeUndefined();
  expect(fs.readFileSync(keyFile, 'utf8')).toBe(keyFileContent([ours]));
  expect(fs.statSync(path.join(base, 'sops')).mode & 0o777).toBe(0o700);
  expect(r.post?.log).toContain(`Kept ${keyFile}: cleanup is false.`);
});

describe("an existing key file is the operator's: never overwritten unasked, never deleted (issue 15 #5)", () => {
  const operatorKeys = "# the operator's own keys\nAGE-SECRET-KEY-1OPERATOROWNKEYSMUSTSURVIVE\n";
  function existingKeyFile(): string {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'sops-stage-existing-'));
    dirs.push(base);
    fs.chmodSync(base, 0o700);
    const file = path.join(base, 'keys.txt');
    fs.writeFileSync(file, operatorKeys, { mode: 0o600 });
    return file;
  }

  test('refused by default: one error naming key-file, the file untouched after main and post', async () => {
    const keyFile = existingKeyFile();
    const r = await run({ 'age-key': ours.identity, 'key-file': keyFile }, ws({}));
    expectOneError(r, /Input 'key-file' is invalid: expected .*replace-key-file/);
    expect(r.outputs['failure-reason']).toBe('invalid-input');
    expect(fs.readFileSync(keyFile, 'utf8')).toBe(operatorKeys);
    expect(fs.readdirSync(path.dirname(keyFile))).toEqual(['keys.txt']);
  });

  test('replace-key-file: the staged key for the job, the original back byte for byte after post', async () => {
    const keyFile = existingKeyFile();
    const inode = fs.statSync(keyFile).ino;
    let duringJob = '';
    const r = await runAction({
      action: ACTION,
      inputs: { 'age-key': ours.identity, 'key-file': keyFile, 'replace-key-file': 'true' },
      workspace: ws({}),
      env: { PATH: recorder.path },
      betweenPhases: () => {
        duringJob = fs.readFileSync(keyFile, 'utf8');
      },
    });
    expect(r.exitCode).toBe(0);
    expect(r.post?.exitCode).toBe(0);
    expect(duringJob).toBe(keyFileContent([ours]));
    expect(fs.readFileSync(keyFile, 'utf8')).toBe(operatorKeys);
    expect(fs.statSync(keyFile).ino).toBe(inode);
    expect(fs.readdirSync(path.dirname(keyFile))).toEqual(['keys.txt']);
    expectNowhere(r, ours.identity);
  });

  test('post leaves a key file alone that was changed after staging (not the one this run wrote)', async () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'sops-stage-changed-'));
    dirs.push(base);
    fs.chmodSync(base, 0o700);
    const keyFile = path.join(base, 'keys.txt');
    const r = await runAction({
      action: ACTION,
      inputs: { 'age-key': ours.identity, 'key-file': keyFile },
      workspace: ws({}),
      env: { PATH: recorder.path },
      betweenPhases: () => {
        // A later step of the job replaces the file (a new inode) before post runs.
        fs.rmSync(keyFile);
        fs.writeFileSync(keyFile, operatorKeys, { mode: 0o600 });
      },
    });
    expect(r.exitCode).toBe(0);
    expect(r.post?.log).toMatch(/left in place/);
    expect(fs.readFileSync(keyFile, 'utf8')).toBe(operatorKeys);
  });
});

describe('a bad value for each input: one error naming it, no tool spawned', () => {
  let dir: string;
  beforeAll(() => {
    dir = ws({ '.sops.yaml': sopsYaml(ours.recipient), 'secrets/a.yaml': 'a: 1\n' });
  });
  test.each(SOPS_BAD_INPUTS)('%s %j', async (input, bad) => {
    const before = recorder.calls().length;
    const r = await run({ 'age-key': ours.identity, ...bad }, dir);
    expectOneError(r, new RegExp(`Input '${input}' is invalid`));
    expect(r.outputs['failure-reason']).toBe('invalid-input');
    expect(recorder.calls().slice(before)).toEqual([]);
    if (bad['age-key']) expect(shownLog(r)).not.toContain(bad['age-key']);
    expectNowhere(r, ours.identity);
  });
});
