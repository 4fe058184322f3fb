import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { ActionError } from '../../../shared/errors.js';
import { sha256 } from '../../../shared/fsx.js';
import type { ResticCli } from '../../../actions/restic-restore-check/src/restic/restic-cli.js';
import type { Snapshot } from '../../../actions/restic-restore-check/src/restic/restic-json.js';
import {
  parseResticVersion,
  type ResticVersion,
} from '../../../actions/restic-restore-check/src/restic/restic-version.js';
import { restoredLocation } from '../../../actions/restic-restore-check/src/verification/restore-verification.js';
import {
  runRestoreCheck,
  type CheckContext,
  type CheckPlan,
} from '../../../actions/restic-restore-check/src/restore-check.js';
import { isUnder } from '../../../actions/restic-restore-check/src/snapshot/tree-scan.js';
import type { VerifyCommandRunner } from '../../../actions/restic-restore-check/src/verification/verify-command.js';

const NOW = new Date('2026-11-21T12:00:00Z');
const SNAP: Snapshot = {
  id: 'ab'.repeat(32),
  shortId: 'abababab',
  time: new Date('2026-11-21T03:00:00Z'),
  timeText: '2026-11-21T03:00:00Z',
  paths: ['/srv'],
  hostname: 'forgejo',
  tags: ['daily'],
};
const FILES: Record<string, string> = {
  '/srv/data/a.txt': 'alpha',
  '/srv/data/b.txt': 'bravo',
  '/srv/data/c.txt': 'charlie',
  '/srv/dump/db.sql': 'CREATE TABLE t;',
};

const MTIME = new Date('2026-11-20T22:00:00.5Z');
const REPO_ID = 'cd'.repeat(32);

interface FakeOptions {
  snapshots?: Snapshot[];
  checkErrors?: string[];
  /** Runs after the fake restore wrote its files: how a broken restore is simulated. */
  afterRestore?: (target: string) => void;
  /** What restic's --verify reports having verified (default: every file it wrote). */
  verifiedFiles?: number;
}

/** An in-memory repository behind the ResticCli interface; restore really writes files. */
function fakeRestic(o: FakeOptions = {}) {
  const calls: string[] = [];
  const restoreIncludes: string[][] = [];
  const cli: ResticCli = {
    async version() {
      calls.push('version');
      return parseResticVersion('restic 0.18.1')!;
    },
    async openRepository() {
      calls.push('open');
      return { id: REPO_ID };
    },
    async snapshots() {
      calls.push('snapshots');
      return o.snapshots ?? [SNAP];
    },
    async listTree(_id, onNode) {
      calls.push('ls');
      const dirs = new Set<string>();
      for (const p of Object.keys(FILES))
        for (let d = path.posix.dirname(p); d !== '/'; d = path.posix.dirname(d)) dirs.add(d);
      for (const d of [...dirs].sort()) onNode({ path: d, type: 'dir', size: 0 });
      for (const [p, c] of Object.entries(FILES))
        onNode({ path: p, type: 'file', size: Buffer.byteLength(c), mtimeMs: MTIME.getTime() });
    },
    async check() {
      calls.push('check');
      return { ok: !o.checkErrors, errors: o.checkErrors ?? [] };
    },
    async restore(_id, target, includes) {
      calls.push('restore');
      restoreIncludes.push([...includes]);
      let written = 0;
      for (const [p, c] of Object.entries(FILES)) {
        if (!includes.some((inc) => isUnder(p, inc))) continue;
        const to = restoredLocation(target, p);
        fs.mkdirSync(path.dirname(to), { recursive: true });
        fs.writeFileSync(to, c);
        // restic gives a restored file the recorded modification time.
        fs.utimesSync(to, MTIME, MTIME);
        written++;
      }
      o.afterRestore?.(target);
      return { verifiedFiles: o.verifiedFiles ?? written };
    },
  };
  return { cli, calls, restoreIncludes };
}

function fakeContext() {
  const steps: string[] = [];
  const outputs: Record<string, string> = {};
  const results: Record<string, unknown> = {};
  const warnings: string[] = [];
  const ctx: CheckContext = {
    async step(name, fn) {
      steps.push(name);
      return fn();
    },
    skip: (name) => steps.push(`${name} (skipped)`),
    result: (v) => Object.assign(results, v),
    output: (n, v) => (outputs[n] = String(v)),
    warning: (m) => warnings.push(m),
  };
  return { ctx, steps, outputs, results, warnings };
}

const passingVerifier: VerifyCommandRunner = { run: async () => undefined };

function deps(restic: ResticCli, verifier: VerifyCommandRunner = passingVerifier, events: string[] = []) {
  return {
    restic,
    cache: {
      async prepare(id: string | undefined, version: ResticVersion) {
        events.push(`prepare cache ${id} ${version.text}`);
        return { mode: 'local' as const, dir: '/cache', repository: id, hit: false };
      },
    },
    verifier,
    removeResticFiles: async () => {
      events.push('remove restic files');
    },
    now: () => NOW,
  };
}

let restoreDir: string;
beforeEach(() => {
  restoreDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rrc-orch-'));
});
afterEach(() => {
  fs.rmSync(restoreDir, { recursive: true, force: true });
});

function plan(overrides: Partial<CheckPlan> = {}): CheckPlan {
  return {
    filter: { host: 'forgejo', tags: ['daily'] },
    expectedPaths: ['/srv/data'],
    maxAgeMs: 26 * 3_600_000,
    check: 'structure',
    readDataSubset: '5%',
    sampleFiles: 2,
    seed: 42,
    includes: ['/srv/dump'],
    restoreDir,
    ...overrides,
  };
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

describe('runRestoreCheck', () => {
  test('a healthy repository: phases in the fixed order, outputs and report filled', async () => {
    const fake = fakeRestic();
    const c = fakeContext();
    await runRestoreCheck(plan({ verifyCommand: 'true' }), deps(fake.cli), c.ctx);
    expect(c.steps).toEqual([
      'restic version',
      'open repository',
      'restic cache',
      'find latest snapshot',
      'freshness',
      'expected paths',
      'check',
      'restore',
      'verify restored files',
      'spot check (skipped)',
      'verify-command',
    ]);
    const restored = Object.entries(FILES).filter(([p]) =>
      fake.restoreIncludes[0].some((inc) => isUnder(p, inc)),
    );
    expect(c.outputs).toEqual({
      'snapshot-id': SNAP.id,
      'snapshot-time': '2026-11-21T03:00:00.000Z',
      'snapshot-age-seconds': String(9 * 3600),
      'check-result': 'ok',
      'files-restored': '3',
      'bytes-restored': String(restored.reduce((n, [, content]) => n + content.length, 0)),
    });
    expect(c.results).toMatchObject({
      seed: 42,
      resticVersion: '0.18.1',
      cache: { repository: REPO_ID },
      restore: { filesVerified: 3, verifiedByRestic: 3, mismatches: [] },
    });
    const hashes = (c.results.restore as { files: { sha256: string }[] }).files.map((f) => f.sha256);
    expect(hashes.sort()).toEqual(restored.map(([, content]) => sha256(content)).sort());
    // One restic call per phase, however many files are sampled (no per-file restic process).
    expect(fake.calls).toEqual(['version', 'open', 'snapshots', 'ls', 'check', 'restore']);
  });

  test('the same seed restores the same sample', async () => {
    const a = fakeRestic();
    const b = fakeRestic();
    await runRestoreCheck(plan(), deps(a.cli), fakeContext().ctx);
    fs.rmSync(restoreDir, { recursive: true, force: true });
    fs.mkdirSync(restoreDir);
    await runRestoreCheck(plan(), deps(b.cli), fakeContext().ctx);
    expect(a.restoreIncludes).toEqual(b.restoreIncludes);
    expect(a.restoreIncludes[0]).toHaveLength(3);
  });

  test('restic --verify verifying none of the restored files is restore-mismatch', async () => {
    const c = fakeContext();
    expect(await reasonOf(runRestoreCheck(plan(), deps(fakeRestic({ verifiedFiles: 0 }).cli), c.ctx))).toBe(
      'restore-mismatch',
    );
  });

  test.each<[string, (target: string) => void]>([
    [
      'a restored file altered after restore returned (its time moves)',
      (t) => fs.writeFileSync(restoredLocation(t, '/srv/dump/db.sql'), 'DROP TABLE t;'),
    ],
    ['a restored file truncated', (t) => fs.truncateSync(restoredLocation(t, '/srv/dump/db.sql'), 3)],
    ['a restored file missing', (t) => fs.rmSync(restoredLocation(t, '/srv/dump/db.sql'))],
  ])('%s is restore-mismatch, even though restore succeeded', async (_name, afterRestore) => {
    const fake = fakeRestic({ afterRestore });
    const c = fakeContext();
    const reason = await reasonOf(runRestoreCheck(plan(), deps(fake.cli), c.ctx));
    expect(reason).toBe('restore-mismatch');
    expect(c.results).toMatchObject({ restore: { mismatches: [{ path: '/srv/dump/db.sql' }] } });
  });

  test('check errors: integrity, check-result errors, nothing restored', async () => {
    const fake = fakeRestic({ checkErrors: ['Pack ID does not match'] });
    const c = fakeContext();
    expect(await reasonOf(runRestoreCheck(plan(), deps(fake.cli), c.ctx))).toBe('integrity');
    expect(c.outputs['check-result']).toBe('errors');
    expect(fake.calls).not.toContain('restore');
  });

  test('a missing expected path stops before check', async () => {
    const fake = fakeRestic();
    const c = fakeContext();
    const reason = await reasonOf(
      runRestoreCheck(plan({ expectedPaths: ['/srv/data', '/srv/keys'] }), deps(fake.cli), c.ctx),
    );
    expect(reason).toBe('missing-path');
    expect(fake.calls).not.toContain('check');
  });

  test('a stale snapshot stops before listing it, with its id in the outputs', async () => {
    const fake = fakeRestic({ snapshots: [{ ...SNAP, time: new Date('2026-11-01T00:00:00Z') }] });
    const c = fakeContext();
    expect(await reasonOf(runRestoreCheck(plan(), deps(fake.cli), c.ctx))).toBe('stale');
    expect(c.outputs['snapshot-id']).toBe(SNAP.id);
    expect(fake.calls).not.toContain('ls');
  });

  test('no snapshot', async () => {
    const fake = fakeRestic({ snapshots: [] });
    expect(await reasonOf(runRestoreCheck(plan(), deps(fake.cli), fakeContext().ctx))).toBe('no-snapshot');
  });

  test('verify-command runs in the restore directory after verification; its failure is the result', async () => {
    const seen: string[] = [];
    const verifier: VerifyCommandRunner = {
      run: async (command, dir, id) => {
        seen.push(command, dir, id, String(fs.existsSync(restoredLocation(dir, '/srv/dump/db.sql'))));
        throw new ActionError('verify-command', 'verify-command failed');
      },
    };
    const reason = await reasonOf(
      runRestoreCheck(
        plan({ verifyCommand: 'sqlite3 …' }),
        deps(fakeRestic().cli, verifier),
        fakeContext().ctx,
      ),
    );
    expect(reason).toBe('verify-command');
    expect(seen).toEqual(['sqlite3 …', restoreDir, SNAP.id, 'true']);
  });

  test("restic's password file (and a per-run cache) is removed before verify-command, and it does not run if that fails", async () => {
    const events: string[] = [];
    const verifier: VerifyCommandRunner = { run: async () => void events.push('verify-command') };
    await runRestoreCheck(
      plan({ verifyCommand: 'true' }),
      deps(fakeRestic().cli, verifier, events),
      fakeContext().ctx,
    );
    // The cache is prepared with the id `cat config` printed and the detected version, before anything else.
    expect(events).toEqual([`prepare cache ${REPO_ID} 0.18.1`, 'remove restic files', 'verify-command']);

    events.length = 0;
    const failing = {
      ...deps(fakeRestic().cli, verifier, events),
      removeResticFiles: async () => {
        throw new ActionError(
          'verify-command',
          'verify-command was not run: the password file could not be removed',
        );
      },
    };
    expect(await reasonOf(runRestoreCheck(plan({ verifyCommand: 'true' }), failing, fakeContext().ctx))).toBe(
      'verify-command',
    );
    expect(events).toEqual([`prepare cache ${REPO_ID} 0.18.1`]);
  });

  test('spot check beyond tolerance is restore-mismatch; within tolerance passes', async () => {
    const live = fs.mkdtempSync(path.join(os.tmpdir(), 'rrc-live-'));
    try {
      for (const [p, c] of Object.entries(FILES)) {
        if (!p.startsWith('/srv/data/')) continue;
        fs.writeFileSync(path.join(live, path.basename(p)), c);
      }
      const compare = { localDir: live, snapshotPath: '/srv/data', tolerancePercent: 0 };
      const fakeDeps = () => deps(fakeRestic().cli);
      const fresh = () => {
        fs.rmSync(restoreDir, { recursive: true, force: true });
        fs.mkdirSync(restoreDir);
      };
      expect(
        await reasonOf(runRestoreCheck(plan({ compare, sampleFiles: 3 }), fakeDeps(), fakeContext().ctx)),
      ).toBe('success');
      fs.writeFileSync(path.join(live, 'new-file'), 'x');
      fresh();
      expect(
        await reasonOf(runRestoreCheck(plan({ compare, sampleFiles: 3 }), fakeDeps(), fakeContext().ctx)),
      ).toBe('restore-mismatch');
      fresh();
      expect(
        await reasonOf(
          runRestoreCheck(
            plan({ compare: { ...compare, tolerancePercent: 30 }, sampleFiles: 3 }),
            fakeDeps(),
            fakeContext().ctx,
          ),
        ),
      ).toBe('success');
    } finally {
      fs.rmSync(live, { recursive: true, force: true });
    }
  });

  test('nothing to restore: restore and verification are skipped, not failed', async () => {
    const fake = fakeRestic();
    const c = fakeContext();
    await runRestoreCheck(plan({ sampleFiles: 0, includes: [], check: 'none' }), deps(fake.cli), c.ctx);
    expect(c.steps).toContain('restore (skipped)');
    expect(c.steps).toContain('check (skipped)');
    expect(c.outputs['check-result']).toBe('skipped');
    expect(c.outputs['files-restored']).toBe('0');
    expect(fake.calls).not.toContain('restore');
  });
});
