import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { errorLines } from '../../support/run-action.js';
import {
  archivesIn,
  readState,
  setupEnv,
  type Env,
} from '../../support/tofu-plan-with-state-backup-fixtures.js';

/**
 * Issue 14 D with the real bundle: hostile archives (a tar header with a negative size, a zero bomb)
 * fail at once with one clear error, the lock released and nothing restored; the state directory and
 * files are private after every mode. The hostile archives are built here byte by byte from the POSIX
 * ustar layout (pax "ustar Interchange Format"), independently of the action's own tar code.
 */
let env: Env;
let vars: string;

beforeAll(() => {
  env = setupEnv('tofu-hardening');
  vars = env.varFile('h.tfvars', 'hardened');
});
afterAll(() => env.cleanup());

const BLOCK = 512;

/** A ustar header with the size field written as given (12 bytes), checksum computed over it. */
function header(name: string, sizeField: string): Buffer {
  const h = Buffer.alloc(BLOCK, 0);
  h.write(name, 0, 'utf8');
  h.write('0000600\0', 100, 'ascii');
  h.write('0000000\0', 108, 'ascii');
  h.write('0000000\0', 116, 'ascii');
  h.write(sizeField.padEnd(11, '\0').slice(0, 11) + '\0', 124, 'latin1');
  h.write('15123456700\0', 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write('0', 156, 'ascii');
  h.write('ustar\u000000', 257, 'ascii');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
  return h;
}

function entry(name: string, data: Buffer): Buffer {
  const pad = (BLOCK - (data.length % BLOCK)) % BLOCK;
  return Buffer.concat([header(name, data.length.toString(8).padStart(11, '0')), data, Buffer.alloc(pad)]);
}

function metadata(stateBytes: Buffer | { sha256: string }): Buffer {
  const stateSha256 = Buffer.isBuffer(stateBytes)
    ? createHash('sha256').update(stateBytes).digest('hex')
    : stateBytes.sha256;
  return Buffer.from(
    JSON.stringify({ format: 1, stateFile: 'terraform.tfstate', statePath: '/x', stateSha256 }) + '\n',
  );
}

/** Writes `<dir>/<name>` from gzip chunks and a matching `.sha256` beside it; returns the path. */
async function writeArchive(dir: string, name: string, chunks: AsyncIterable<Buffer>): Promise<string> {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  await pipeline(chunks, zlib.createGzip({ level: 9 }), fs.createWriteStream(file));
  const sha = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  fs.writeFileSync(`${file}.sha256`, `${sha}  ${name}\n`);
  return file;
}

/** A private state directory with a state file (serial 3) the restore must leave alone. */
function existingState(name: string): { state: string; bytes: Buffer } {
  const state = path.join(env.runnerHome, name, 'terraform.tfstate');
  fs.mkdirSync(path.dirname(state), { recursive: true, mode: 0o700 });
  const bytes = Buffer.from(
    JSON.stringify({ version: 4, serial: 3, lineage: 'L-hardening', outputs: {}, resources: [] }),
  );
  fs.writeFileSync(state, bytes, { mode: 0o600 });
  return { state, bytes };
}

function expectRefused(r: Awaited<ReturnType<Env['run']>>, state: string, bytes: Buffer, message: RegExp) {
  // The harness kills a run after its timeout: a hang shows up as a null exit code here.
  expect(r.exitCode).toBe(1);
  expect(r.outputs['failure-reason']).toBe('restore-failed');
  const errors = errorLines(r.log);
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatch(message);
  expect(fs.existsSync(`${state}.lock`)).toBe(false);
  expect(fs.readFileSync(state).equals(bytes)).toBe(true);
  // Refused before the pre-restore archive: nothing was written beside the state either.
  expect(archivesIn(path.join(path.dirname(state), 'backups'))).toEqual([]);
}

describe('hostile archives', () => {
  test('a tar header with a negative size fails with one clear error; lock released, nothing restored', async () => {
    const { state, bytes } = existingState('negative-size');
    async function* tar() {
      const meta = metadata({ sha256: '0'.repeat(64) });
      yield entry('metadata.json', meta);
      yield header('terraform.tfstate', '-0001000');
      yield Buffer.alloc(BLOCK * 3);
    }
    const archive = await writeArchive(
      path.join(env.root, 'hostile'),
      'terraform.tfstate.20261121T100000Z.serial-3.tar.gz',
      tar(),
    );
    expect(fs.statSync(archive).size).toBeLessThan(1024);
    const r = await env.run(
      { mode: 'restore', 'state-path': state, 'restore-from': archive },
      { timeoutMs: 90_000 },
    );
    expectRefused(r, state, bytes, /did not verify .*size "-0001000" is not an octal number/);
  }, 150_000);

  test('a zero bomb (400 MiB of zeros in a small archive) is refused at the size limit', async () => {
    const { state, bytes } = existingState('zero-bomb');
    const size = 400 * 1024 * 1024;
    const zeros = Buffer.alloc(1024 * 1024);
    const hash = createHash('sha256');
    for (let i = 0; i < size / zeros.length; i++) hash.update(zeros);
    const sha256 = hash.digest('hex');
    async function* tar() {
      yield entry('metadata.json', metadata({ sha256 }));
      yield header('terraform.tfstate', size.toString(8).padStart(11, '0'));
      for (let i = 0; i < size / zeros.length; i++) yield zeros;
      yield Buffer.alloc(BLOCK * 2);
    }
    const archive = await writeArchive(
      path.join(env.root, 'hostile'),
      'terraform.tfstate.20261121T100001Z.serial-3.tar.gz',
      tar(),
    );
    expect(fs.statSync(archive).size).toBeLessThan(1024 * 1024);
    const r = await env.run(
      { mode: 'restore', 'state-path': state, 'restore-from': archive },
      { timeoutMs: 90_000 },
    );
    expectRefused(r, state, bytes, /inflates to more than 256 MiB \(max-archive-size-mb\)/);
  }, 150_000);
});

describe('file modes', () => {
  const mode = (p: string) => fs.statSync(p).mode & 0o777;

  test.each(['plan', 'apply', 'backup', 'restore'])(
    '%s: a group- or world-accessible state directory is refused before anything runs',
    async (m) => {
      const state = path.join(env.runnerHome, `open-${m}`, 'terraform.tfstate');
      fs.mkdirSync(path.dirname(state), { recursive: true });
      fs.chmodSync(path.dirname(state), 0o755);
      fs.writeFileSync(state, JSON.stringify({ version: 4, serial: 1, lineage: 'L', resources: [] }));
      const before = fs.readdirSync(path.dirname(state));
      const calls = env.recorder.calls().length;
      const r = await env.run(
        { mode: m, 'state-path': state, 'var-files': vars, 'restore-from': 'latest' },
        { workspace: env.workspace() },
      );
      expect(r.exitCode).toBe(1);
      expect(r.outputs['failure-reason']).toBe('invalid-input');
      expect(errorLines(r.log)[0]).toMatch(
        /Input 'state-path' is invalid: .*directory only its owner can access.*mode 0755.*chmod 700/,
      );
      expect(env.recorder.calls().slice(calls)).toEqual([]);
      expect(fs.readdirSync(path.dirname(state))).toEqual(before);
      expect(mode(path.dirname(state))).toBe(0o755);
    },
  );

  test('after apply, plan and restore the state directory is 0700, the state and its .backup 0600', async () => {
    const ws = env.workspace();
    const state = path.join(env.runnerHome, 'modes', 'edge', 'terraform.tfstate');
    const dir = path.dirname(state);
    const expectPrivate = () => {
      expect(mode(dir).toString(8)).toBe('700');
      expect(mode(state).toString(8)).toBe('600');
      if (fs.existsSync(`${state}.backup`)) expect(mode(`${state}.backup`).toString(8)).toBe('600');
    };
    const first = await env.run({ mode: 'apply', 'state-path': state, 'var-files': vars }, { workspace: ws });
    expect(first.exitCode).toBe(0);
    expectPrivate();
    const second = await env.run(
      { mode: 'apply', 'state-path': state, 'var-files': env.varFile('h2.tfvars', 'hardened-2') },
      { workspace: ws },
    );
    expect(second.exitCode).toBe(0);
    expect(fs.existsSync(`${state}.backup`)).toBe(true);
    expectPrivate();

    // Loosened by hand (or by an older release): every mode tightens the files it runs against.
    fs.chmodSync(state, 0o644);
    fs.chmodSync(`${state}.backup`, 0o644);
    const plan = await env.run({ mode: 'plan', 'state-path': state, 'var-files': vars }, { workspace: ws });
    expect(plan.exitCode).toBe(0);
    expectPrivate();

    fs.chmodSync(state, 0o644);
    const restored = await env.run({
      mode: 'restore',
      'state-path': state,
      'restore-from': second.outputs['backup-archive'],
    });
    expect(restored.exitCode).toBe(0);
    expect(readState(state).serial).toBe(Number(first.outputs['state-serial']));
    expectPrivate();
  }, 240_000);
});
