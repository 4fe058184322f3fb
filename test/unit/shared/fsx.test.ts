import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import {
  acquireLock,
  LockTimeoutError,
  sha256File,
  writeFileAtomic,
  withLock,
  makePrivateDir,
} from '../../../shared/fsx.js';
import { bundleEntry } from '../../support/bundle-worker.js';

let worker: string;
beforeAll(async () => {
  // ncc type-checks the whole project while bundling: minutes on a loaded 2-core machine.
  worker = await bundleEntry('test/support/workers/fsx-worker.ts');
}, 1_200_000);

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'fsx-'));
}

function startWorker(args: string[]) {
  const child = spawn(process.execPath, [worker, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (out += c));
  const done = new Promise<{ code: number | null; out: string }>((r) =>
    child.on('close', (code) => r({ code, out })),
  );
  return { child, done, output: () => out };
}

describe('writeFileAtomic', () => {
  test('writes content and mode', async () => {
    const file = path.join(tmp(), 'a.json');
    await writeFileAtomic(file, '{"a":1}', { mode: 0o600 });
    expect(fs.readFileSync(file, 'utf8')).toBe('{"a":1}');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  test('a writer killed mid-write leaves the old file whole and nothing that looks complete', async () => {
    const dir = tmp();
    const file = path.join(dir, 'state.tfstate');
    fs.writeFileSync(file, 'OLD');
    const w = startWorker(['write', file, '400']);
    // Kill once the temp file has received data, i.e. really in the middle of the write.
    const partial = () =>
      fs
        .readdirSync(dir)
        .some((f) => f.startsWith('.state.tfstate.tmp-') && fs.statSync(path.join(dir, f)).size > 0);
    while (!partial()) await new Promise((r) => setTimeout(r, 1));
    w.child.kill('SIGKILL');
    await w.done;
    expect(fs.readFileSync(file, 'utf8')).toBe('OLD');
    const others = fs.readdirSync(dir).filter((f) => f !== 'state.tfstate');
    expect(others.length).toBeGreaterThan(0);
    for (const f of others) expect(f).toMatch(/^\.state\.tfstate\.tmp-/);
  });
});

describe('runner-local lock', () => {
  test('two processes contending for one lock never overlap', async () => {
    const dir = tmp();
    const lock = path.join(dir, 'state.lock');
    const log = path.join(dir, 'log');
    const runs = ['a', 'b', 'c'].map((id) => startWorker(['lock', lock, log, '300', '10000', id]));
    const results = await Promise.all(runs.map((r) => r.done));
    expect(results.map((r) => r.code)).toEqual([0, 0, 0]);
    const events = fs
      .readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(' '));
    expect(events).toHaveLength(6);
    // Strict alternation start/end of the same run id means the critical sections were serialized.
    for (let i = 0; i < events.length; i += 2) {
      expect(events[i][0]).toBe('start');
      expect(events[i + 1][0]).toBe('end');
      expect(events[i + 1][1]).toBe(events[i][1]);
    }
    expect(fs.existsSync(lock)).toBe(false);
  });

  test('a waiter that times out names the holder', async () => {
    const dir = tmp();
    const lockFile = path.join(dir, 'state.lock');
    const held = await acquireLock(lockFile, { timeoutMs: 1000, runId: 'run-42' });
    try {
      const w = startWorker(['lock', lockFile, path.join(dir, 'log'), '0', '300', 'run-43']);
      const r = await w.done;
      expect(r.code).toBe(2);
      expect(r.out).toMatch(
        new RegExp(
          `Could not lock '${lockFile.replace(/[.]/g, '\\.')}' within 0s: held by run run-42 \\(pid ${process.pid} on `,
        ),
      );
    } finally {
      await held.release();
    }
  });

  test('the lock of a dead process is broken with a warning', async () => {
    const dir = tmp();
    const lockFile = path.join(dir, 'state.lock');
    // A process that takes the lock and is killed while holding it.
    const holder = startWorker(['lock', lockFile, path.join(dir, 'log'), '60000', '1000', 'run-dead']);
    while (!fs.existsSync(path.join(dir, 'log'))) await new Promise((r) => setTimeout(r, 10));
    holder.child.kill('SIGKILL');
    await holder.done;
    expect(JSON.parse(fs.readFileSync(lockFile, 'utf8')).runId).toBe('run-dead');
    const w = startWorker(['lock', lockFile, path.join(dir, 'log'), '0', '2000', 'run-next']);
    const r = await w.done;
    expect(r.code).toBe(0);
    expect(r.out).toContain('::warning::Broke the stale lock');
    expect(r.out).toContain('of run run-dead');
  });

  test('withLock releases on failure', async () => {
    const lockFile = path.join(tmp(), 'x.lock');
    await expect(
      withLock(lockFile, { timeoutMs: 100, runId: 'r' }, async () => Promise.reject(new Error('boom'))),
    ).rejects.toThrow('boom');
    expect(fs.existsSync(lockFile)).toBe(false);
    const again = await acquireLock(lockFile, { timeoutMs: 100, runId: 'r2' });
    await again.release();
  });

  test('LockTimeoutError carries the configured reason', async () => {
    const lockFile = path.join(tmp(), 'y.lock');
    const held = await acquireLock(lockFile, { timeoutMs: 100, runId: 'one' });
    const e = await acquireLock(lockFile, {
      timeoutMs: 100,
      runId: 'two',
      reason: 'state-locked',
      pollMs: 20,
    }).catch((x) => x);
    await held.release();
    expect(e).toBeInstanceOf(LockTimeoutError);
    expect(e.reason).toBe('state-locked');
  });
});

test('sha256File streams and matches sha256sum', async () => {
  const file = path.join(tmp(), 'f');
  fs.writeFileSync(file, Buffer.alloc(3 * 1024 * 1024, 7));
  const want = spawnSync('sha256sum', [file], { encoding: 'utf8' }).stdout.split(' ')[0];
  expect(await sha256File(file)).toBe(want);
});

test('private dirs are 0700 under RUNNER_TEMP', async () => {
  const parent = tmp();
  const dir = await makePrivateDir('keys', parent);
  expect(path.dirname(dir)).toBe(parent);
  expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
});
