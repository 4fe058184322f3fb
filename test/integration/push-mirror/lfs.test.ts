import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createArgvRecorder, type ArgvRecorder } from '../../support/argv-recorder.js';
import { filesUnder as walk } from '../../support/files.js';
import { startGitServer, type GitServer } from '../../support/push-mirror-git-server.js';
import { lfsOid, lfsPointer } from '../../support/push-mirror-lfs-server.js';
import {
  commitLfsFiles,
  createLfsSource,
  git,
  refsOf,
  refreshClone,
  type LfsSource,
} from '../../support/push-mirror-repos.js';
import { errorLines, runAction, withoutMaskCommands, type ActionRun } from '../../support/run-action.js';
import { requireTool } from '../../support/tools.js';

/**
 * `lfs: true` against real git and git-lfs: the source and the mirror are repositories of the test git
 * server, their LFS endpoints the LFS stand-in behind the same Basic-auth front (uploads and downloads
 * go to its separate storage origin, as GitHub's do). The job's checkout has pointer files only, and
 * its second branch exists only as refs/remotes/origin/feature (issue 19's case).
 */
const MIRROR_TOKEN = 'ghp_CANARYlfs5b1e0c3a7d9f2e4b6a8c0d1e3f5a7b9c';
const SOURCE_TOKEN = 'forgejo_CANARYsrc9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4';
const TOKENS = [MIRROR_TOKEN, SOURCE_TOKEN].flatMap((t) => [
  t,
  Buffer.from(`x-access-token:${t}`).toString('base64'),
]);

let server: GitServer;
let recorder: ArgvRecorder;
const runs: ActionRun[] = [];
const sources: LfsSource[] = [];
const gitConfigs: string[] = [];

beforeAll(async () => {
  requireTool('git');
  requireTool('git-lfs');
  server = await startGitServer({ token: MIRROR_TOKEN, tokens: [SOURCE_TOKEN] });
  recorder = createArgvRecorder(['git', 'git-lfs']);
});

afterAll(async () => {
  await server?.stop();
  recorder?.cleanup();
  for (const run of runs) fs.rmSync(run.runnerTemp, { recursive: true, force: true });
  for (const s of sources) fs.rmSync(s.base, { recursive: true, force: true });
});

const blob = (kb: number) => randomBytes(kb * 1024);

/** A source `name` with LFS files on main and on a branch the checkout has only as a remote-tracking ref. */
function source(
  name: string,
  opts: { withhold?: string } = {},
): LfsSource & { files: Record<string, Buffer> } {
  const files: Record<string, Buffer> = {
    'assets/logo.bin': blob(6),
    'assets/model.bin': blob(40),
    'data/feature.bin': blob(12),
  };
  const canonical = server.createRepo(name);
  const src = createLfsSource(canonical, server.url(name), (work) => {
    commitLfsFiles(
      work,
      { 'assets/logo.bin': files['assets/logo.bin'], 'assets/model.bin': files['assets/model.bin'] },
      lfsPointer,
    );
    git(work, ['tag', '-a', 'v1', '-m', 'release 1']);
    git(work, ['checkout', '--quiet', '-b', 'feature']);
    commitLfsFiles(work, { 'data/feature.bin': files['data/feature.bin'] }, lfsPointer);
    git(work, ['checkout', '--quiet', 'main']);
  });
  for (const [file, content] of Object.entries(files))
    if (file !== opts.withhold) server.lfs.put(name, content);
  sources.push(src);
  return { ...src, files };
}

async function mirror(src: LfsSource, repo: string, inputs: Record<string, string> = {}): Promise<ActionRun> {
  const run = await runAction({
    action: 'push-mirror',
    inputs: {
      'remote-url': server.url(repo),
      token: MIRROR_TOKEN,
      'source-token': SOURCE_TOKEN,
      lfs: 'true',
      retries: '1',
      ...inputs,
    },
    workspace: src.clone,
    env: { PATH: recorder.path },
    timeoutMs: 120_000,
  });
  runs.push(run);
  gitConfigs.push(fs.readFileSync(path.join(src.clone, '.git', 'config'), 'utf8'));
  if (process.env.PM_DEBUG) console.log(run.log);
  return run;
}

function expectFailure(run: ActionRun, reason: string): void {
  expect(run.exitCode).toBe(1);
  expect(run.outputs['failure-reason']).toBe(reason);
  expect(errorLines(run.log)).toHaveLength(1);
}

const receivePacks = (repo: string, from = 0) =>
  server.requests
    .slice(from)
    .filter((r) => r.method === 'POST' && r.path === `/${repo}.git/git-receive-pack`);
const uploads = (repo: string, from = 0) =>
  server.lfs.requests.slice(from).filter((r) => r.repo === repo && r.kind === 'upload' && r.status === 200);
const mirrorRefs = (repo: string) => refsOf(path.join(server.root, `${repo}.git`));

describe('lfs: true mirrors the LFS objects before the refs', () => {
  let src: ReturnType<typeof source>;
  beforeAll(() => {
    src = source('lfs-src');
    server.createRepo('lfs-mirror');
  });

  test('first run: every object is fetched from the source, uploaded, then the refs are pushed, verified', async () => {
    // The checkout holds only pointers, and feature only as refs/remotes/origin/feature.
    expect(Object.keys(refsOf(src.clone))).not.toContain('refs/heads/feature');
    const lfsFrom = server.lfs.requests.length;
    const run = await mirror(src, 'lfs-mirror');
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({
      created: '3',
      verified: 'true',
      'lfs-uploaded': '3',
      'lfs-present': '0',
    });
    const want = Object.values(src.files).map(lfsOid).sort();
    expect(server.lfs.oids('lfs-mirror').sort()).toEqual(want);
    expect(mirrorRefs('lfs-mirror')['refs/heads/feature']).toBe(git(src.canonical, ['rev-parse', 'feature']));
    // Order: every upload was done before the mirror received a ref.
    const pushes = receivePacks('lfs-mirror');
    expect(pushes).toHaveLength(1);
    const ups = uploads('lfs-mirror', lfsFrom);
    expect(ups).toHaveLength(3);
    expect(Math.max(...ups.map((u) => u.seq))).toBeLessThan(pushes[0].seq);
    // The verification asked the mirror for a download action per object, after the push.
    const verify = server.lfs.requests
      .slice(lfsFrom)
      .filter((r) => r.repo === 'lfs-mirror' && r.kind === 'batch' && r.operation === 'download');
    expect(verify).toHaveLength(1);
    expect(verify[0].oids.sort()).toEqual(want);
    expect(verify[0].seq).toBeGreaterThan(pushes[0].seq);
    expect(run.report?.result).toMatchObject({
      lfs: { objects: 3, uploaded: 3, fetched: 3, verified: true },
    });
    expect(run.summary).toMatch(/3 objects .*3 uploaded/);
  });

  test('second run with one new LFS file uploads exactly that object', async () => {
    const extra = blob(9);
    commitLfsFiles(src.work, { 'assets/new.bin': extra }, lfsPointer, 'one more');
    server.lfs.put('lfs-src', extra);
    refreshClone(src);
    const lfsFrom = server.lfs.requests.length;
    const run = await mirror(src, 'lfs-mirror');
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({
      updated: '1',
      verified: 'true',
      'lfs-uploaded': '1',
      'lfs-present': '3',
    });
    const ups = uploads('lfs-mirror', lfsFrom);
    expect(ups.map((u) => u.oids[0])).toEqual([lfsOid(extra)]);
    // Only the new object was missing locally, so only it was downloaded from the source.
    expect(server.lfs.requests.slice(lfsFrom).filter((r) => r.kind === 'download')).toHaveLength(1);
  });

  test('a third run with nothing new uploads nothing and still verifies every object', async () => {
    const lfsFrom = server.lfs.requests.length;
    const run = await mirror(src, 'lfs-mirror');
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({
      unchanged: '3',
      verified: 'true',
      'lfs-uploaded': '0',
      'lfs-present': '4',
    });
    expect(uploads('lfs-mirror', lfsFrom)).toHaveLength(0);
  });

  test('lfs: auto finds the filter in .gitattributes and mirrors the objects too', async () => {
    server.createRepo('lfs-auto');
    const run = await mirror(src, 'lfs-auto', { lfs: 'auto' });
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ verified: 'true', 'lfs-uploaded': '4' });
  });
});

describe('LFS failures stop the run before any ref is pushed', () => {
  let src: ReturnType<typeof source>;
  beforeAll(() => {
    src = source('lfs-src2');
  });

  test('objects lost by the mirror after the upload fail the verification', async () => {
    server.createRepo('lfs-lossy');
    server.lfs.loseUploads('lfs-lossy');
    const run = await mirror(src, 'lfs-lossy');
    expectFailure(run, 'verify-mismatch');
    expect(run.outputs.verified).toBe('false');
    expect(errorLines(run.log)[0]).toContain('assets/model.bin');
    expect(run.summary).toContain(lfsOid(src.files['assets/model.bin']));
  });

  test.each([
    [
      'over quota (403, GitHub message)',
      (repo: string) =>
        server.lfs.failBatch(repo, {
          status: 403,
          operation: 'upload',
          message:
            'This repository is over its data quota. Account responsible for LFS bandwidth should purchase more data packs to restore access.',
        }),
      'lfs-quota',
    ],
    [
      'LFS disabled (403, GitHub message)',
      (repo: string) =>
        server.lfs.failBatch(repo, { status: 403, message: 'Git LFS is disabled for this repository.' }),
      'lfs-disabled',
    ],
    [
      'over quota (413 "quota exceeded", Forgejo)',
      (repo: string) =>
        server.lfs.failBatch(repo, { status: 413, operation: 'upload', message: 'quota exceeded' }),
      'lfs-quota',
    ],
    [
      'LFS off (plain 404, Forgejo/Gitea LFS_START_SERVER = false)',
      (repo: string) => server.lfs.failBatch(repo, { status: 404, message: '', plain: true }),
      'lfs-disabled',
    ],
    [
      'insufficient storage (507 on the batch)',
      (repo: string) => server.lfs.failBatch(repo, { status: 507, message: 'Insufficient storage' }),
      'lfs-quota',
    ],
    [
      'insufficient storage (507 on the upload)',
      (repo: string) => server.lfs.failUploads(repo, 507),
      'lfs-quota',
    ],
    [
      'entity too large (413 on the upload)',
      (repo: string) => server.lfs.failUploads(repo, 413),
      'lfs-too-large',
    ],
    [
      'object over the size limit (422 per object)',
      (repo: string) => server.lfs.sizeLimit(repo, 20_000),
      'lfs-too-large',
    ],
    [
      'write access refused (403 without a known message)',
      (repo: string) =>
        server.lfs.failBatch(repo, { status: 403, operation: 'upload', message: 'Forbidden' }),
      'auth',
    ],
  ])('%s', async (_what, arrange, reason) => {
    const repo = `lfs-fault-${reason}-${Math.random().toString(36).slice(2, 8)}`;
    server.createRepo(repo);
    arrange(repo);
    const from = server.requests.length;
    const run = await mirror(src, repo);
    expectFailure(run, reason);
    expect(receivePacks(repo, from)).toHaveLength(0);
    expect(mirrorRefs(repo)).toEqual({});
    expect(errorLines(run.log)[0]).toMatch(/No ref was pushed/);
  });

  test('a pointer whose object the source lacks fails naming the file and oid, with no ref pushed', async () => {
    const broken = source('lfs-src-broken', { withhold: 'data/feature.bin' });
    server.createRepo('lfs-broken-mirror');
    const from = server.requests.length;
    const run = await mirror(broken, 'lfs-broken-mirror');
    expectFailure(run, 'lfs-missing-object');
    const line = errorLines(run.log)[0];
    expect(line).toContain('data/feature.bin');
    expect(line).toContain(lfsOid(broken.files['data/feature.bin']));
    expect(receivePacks('lfs-broken-mirror', from)).toHaveLength(0);
    expect(server.lfs.oids('lfs-broken-mirror')).toEqual([]);
  });
});

describe('the token canaries', () => {
  test('appear in no log, summary, report, output, file, .git/config or argv, and never reach the storage host', () => {
    expect(runs.length).toBeGreaterThan(8);
    for (const run of runs) {
      const texts = [
        withoutMaskCommands(run.log),
        run.summary,
        JSON.stringify(run.outputs),
        JSON.stringify(run.exportedEnv),
        JSON.stringify(run.report ?? {}),
        ...walk(run.runnerTemp).map((f) => fs.readFileSync(f, 'utf8')),
      ];
      for (const t of texts) for (const token of TOKENS) expect(t).not.toContain(token);
    }
    for (const config of gitConfigs) {
      for (const token of TOKENS) expect(config).not.toContain(token);
      expect(config).not.toMatch(/extraheader|credential/i);
    }
    for (const s of sources) {
      for (const file of walk(path.join(s.clone, '.git', 'lfs')).filter((f) => !f.includes('/objects/'))) {
        const content = fs.readFileSync(file, 'utf8');
        for (const token of TOKENS) expect(content).not.toContain(token);
      }
    }
    const calls = recorder.calls();
    expect(calls.some((c) => c[0] === 'git' && c[1] === 'lfs')).toBe(true);
    for (const argv of calls) for (const token of TOKENS) expect(argv.join(' ')).not.toContain(token);
    // Each token went only where it belongs: the source's to the source, the mirror's to mirrors.
    const basic = (t: string) =>
      `basic ${Buffer.from(`x-access-token:${t}`).toString('base64')}`.toLowerCase();
    for (const r of server.requests.filter((r) => r.authorization)) {
      const auth = r.authorization!.toLowerCase();
      if (auth === basic(SOURCE_TOKEN)) expect(r.path).toMatch(/^\/lfs-src[^/]*\.git\//);
      if (auth === basic(MIRROR_TOKEN)) expect(r.path).not.toMatch(/^\/lfs-src[^/]*\.git\//);
    }
    expect(server.requests.some((r) => r.authorization?.toLowerCase() === basic(SOURCE_TOKEN))).toBe(true);
    const storage = server.lfs.requests.filter((r) => ['upload', 'download', 'verify'].includes(r.kind));
    expect(storage.length).toBeGreaterThan(5);
    for (const r of storage) expect(r.authorization ?? '').toMatch(/^RemoteAuth /);
  });
});
