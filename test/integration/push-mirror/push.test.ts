import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createArgvRecorder, type ArgvRecorder } from '../../support/argv-recorder.js';
import { startGitServer, type GitServer } from '../../support/push-mirror-git-server.js';
import { commit, createSourceRepos, git, refsOf, type SourceRepos } from '../../support/push-mirror-repos.js';
import { errorLines, runAction, withoutMaskCommands, type ActionRun } from '../../support/run-action.js';
import { requireTool } from '../../support/tools.js';

/**
 * The bundle against real git over real HTTP: `git http-backend` behind a Basic-auth front on loopback.
 * Every run uses the canary token, and every run is checked for it afterwards.
 */
const CANARY = 'ghp_CANARY7f3a9c1e5b2d4f6a8c0e2a4b6d8f0a1c';
const CANARY_B64 = Buffer.from(`x-access-token:${CANARY}`).toString('base64');

let server: GitServer;
let recorder: ArgvRecorder;
const runs: ActionRun[] = [];
/** Each run's source .git/config, read right after the run (the repositories are removed later). */
const gitConfigs: string[] = [];

beforeAll(async () => {
  requireTool('git');
  server = await startGitServer({ token: CANARY });
  recorder = createArgvRecorder(['git']);
});

afterAll(async () => {
  await server?.stop();
  if (recorder) fs.rmSync(recorder.binDir, { recursive: true, force: true });
  for (const run of runs) fs.rmSync(run.runnerTemp, { recursive: true, force: true });
});

async function mirror(
  repos: SourceRepos,
  repo: string,
  inputs: Record<string, string> = {},
): Promise<ActionRun> {
  const run = await runAction({
    action: 'push-mirror',
    inputs: { 'remote-url': server.url(repo), token: CANARY, retries: '2', ...inputs },
    workspace: repos.clone,
    env: { PATH: recorder.path },
    timeoutMs: 60_000,
  });
  record(run);
  return run;
}

function record(run: ActionRun): void {
  runs.push(run);
  gitConfigs.push(fs.readFileSync(path.join(run.workspace, '.git', 'config'), 'utf8'));
  if (process.env.PM_DEBUG) console.log(errorLines(run.log).join('\n') || 'ok');
}

function inScope(refs: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(refs).filter(([r]) => r.startsWith('refs/heads/') || r.startsWith('refs/tags/')),
  );
}

/** The mirror must hold exactly the canonical repository's branches and tags (peeled tags too). */
function expectMirrorEqualsCanonical(repos: SourceRepos, repo: string): void {
  expect(inScope(refsOf(path.join(server.root, `${repo}.git`)))).toEqual(inScope(refsOf(repos.canonical)));
}

function expectFailure(run: ActionRun, reason: string): void {
  expect(run.exitCode).toBe(1);
  expect(run.outputs['failure-reason']).toBe(reason);
  expect(errorLines(run.log)).toHaveLength(1);
  expect(run.log).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/);
}

function pushesTo(repo: string, from: number): number {
  return server.requests.slice(from).filter((r) => r.path.startsWith(`/${repo}.git/git-receive-pack`)).length;
}

describe('push mode against a real smart-HTTP server', () => {
  let repos: SourceRepos;
  beforeAll(() => {
    repos = createSourceRepos();
    server.createRepo('main-mirror');
  });
  afterAll(() => fs.rmSync(repos.base, { recursive: true, force: true }));

  test('first mirror: every branch and tag, nothing else, verified', async () => {
    const run = await mirror(repos, 'main-mirror');
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({
      created: '4',
      updated: '0',
      deleted: '0',
      unchanged: '0',
      verified: 'true',
    });
    expect(run.outputs['mirror-head']).toBe(git(repos.canonical, ['rev-parse', 'main']));
    expectMirrorEqualsCanonical(repos, 'main-mirror');
    // refs/pull/* (and the clone's refs/remotes/*) exist in the source but never reach the mirror.
    const mirrorRefs = Object.keys(refsOf(path.join(server.root, 'main-mirror.git')));
    expect(mirrorRefs.filter((r) => !/^refs\/(heads|tags)\//.test(r))).toEqual([]);
    expect(Object.keys(refsOf(repos.clone))).toContain('refs/pull/1/head');
    expect(run.summary).toContain('4 created, 0 updated, 0 deleted, 0 unchanged');
    expect(run.summary).toContain('passed');
  });

  test('incremental push: new commits update one branch, the rest is unchanged', async () => {
    commit(repos.clone, 'src/app.txt', 'v2\n');
    commit(repos.clone, 'src/app.txt', 'v3\n');
    git(repos.clone, ['push', '--quiet', 'origin', 'main']);
    const run = await mirror(repos, 'main-mirror');
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({
      created: '0',
      updated: '1',
      deleted: '0',
      unchanged: '3',
      verified: 'true',
    });
    expect(run.outputs['mirror-head']).toBe(git(repos.clone, ['rev-parse', 'main']));
    expectMirrorEqualsCanonical(repos, 'main-mirror');
  });

  test('an incremental run makes two round trips to the mirror: one push, one read to verify', async () => {
    commit(repos.clone, 'src/app.txt', 'v3b\n');
    git(repos.clone, ['push', '--quiet', 'origin', 'main']);
    const from = server.requests.length;
    const run = await mirror(repos, 'main-mirror');
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ updated: '1', unchanged: '3', verified: 'true' });
    const mine = server.requests.slice(from).filter((r) => r.path.startsWith('/main-mirror.git/'));
    // Each round trip starts with a ref advertisement (GET info/refs): the push's, then the verification's.
    const discoveries = mine.filter((r) => r.method === 'GET' && r.path.includes('/info/refs'));
    expect(discoveries.map((r) => new URL(r.path, 'http://x').searchParams.get('service'))).toEqual([
      'git-receive-pack',
      'git-upload-pack',
    ]);
    expect(mine.filter((r) => r.path.endsWith('/git-receive-pack'))).toHaveLength(1);
    // The verification is the mirror's answer after the push: the read comes after the receive-pack.
    const push = mine.find((r) => r.path.endsWith('/git-receive-pack'))!;
    expect(discoveries[1].seq).toBeGreaterThan(push.seq);
    expectMirrorEqualsCanonical(repos, 'main-mirror');
  });

  test('a moved tag is force-updated and its peeled commit verified', async () => {
    git(repos.clone, ['tag', '-f', '-a', 'v1.0', '-m', 'release 1.0 (re-tagged)', 'main']);
    git(repos.clone, ['push', '--quiet', '--force', 'origin', 'refs/tags/v1.0']);
    const run = await mirror(repos, 'main-mirror');
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ updated: '1', verified: 'true' });
    const mirrorRefs = refsOf(path.join(server.root, 'main-mirror.git'));
    expect(mirrorRefs['refs/tags/v1.0^{}']).toBe(git(repos.clone, ['rev-parse', 'main']));
    expectMirrorEqualsCanonical(repos, 'main-mirror');
  });

  test('dry run reports the deletion but changes nothing', async () => {
    git(repos.canonical, ['branch', '-D', 'feature']);
    git(repos.clone, ['fetch', '--quiet', '--prune', 'origin']);
    const before = refsOf(path.join(server.root, 'main-mirror.git'));
    const run = await mirror(repos, 'main-mirror', { 'dry-run': 'true' });
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ deleted: '1', verified: 'false' });
    expect(refsOf(path.join(server.root, 'main-mirror.git'))).toEqual(before);
    expect(run.summary).toContain('Would change');
  });

  test('a deleted branch is kept with prune: false and pruned by default', async () => {
    const kept = await mirror(repos, 'main-mirror', { prune: 'false' });
    expect(kept.exitCode).toBe(0);
    expect(kept.outputs).toMatchObject({ deleted: '0', verified: 'true' });
    expect(refsOf(path.join(server.root, 'main-mirror.git'))['refs/heads/feature']).toBeDefined();

    const pruned = await mirror(repos, 'main-mirror');
    expect(pruned.exitCode).toBe(0);
    expect(pruned.outputs).toMatchObject({ deleted: '1', verified: 'true' });
    expect(refsOf(path.join(server.root, 'main-mirror.git'))['refs/heads/feature']).toBeUndefined();
    expectMirrorEqualsCanonical(repos, 'main-mirror');
  });

  test('a flaky server (two 503s) succeeds after retries', async () => {
    commit(repos.clone, 'src/app.txt', 'v4\n');
    const from = server.requests.length;
    server.failNext(2);
    const run = await mirror(repos, 'main-mirror');
    expect(run.exitCode).toBe(0);
    expect(server.requests.slice(from).filter((r) => r.status === 503)).toHaveLength(2);
    expect(run.log).toMatch(/attempt 1 of 3 failed .*503.*retrying/);
    expect(run.outputs).toMatchObject({ updated: '1', verified: 'true' });
  });

  test('a server that keeps failing gives up as network after the configured retries', async () => {
    const from = server.requests.length;
    server.failNext(50);
    const run = await mirror(repos, 'main-mirror', { retries: '1' });
    server.failNext(0);
    expectFailure(run, 'network');
    expect(server.requests.slice(from).filter((r) => r.status === 503)).toHaveLength(2);
  });

  test('a wrong token fails as auth at once, without retries', async () => {
    const from = server.requests.length;
    const run = await runAction({
      action: 'push-mirror',
      inputs: { 'remote-url': server.url('main-mirror'), token: 'ghp_wrongwrongwrongwrong', retries: '3' },
      workspace: repos.clone,
      env: { PATH: recorder.path },
      timeoutMs: 60_000,
    });
    if (process.env.PM_DEBUG) console.log(errorLines(run.log).join('\n'));
    expectFailure(run, 'auth');
    const attempts = server.requests.slice(from);
    expect(attempts.length).toBeGreaterThan(0);
    expect(attempts.every((r) => r.status === 401)).toBe(true);
    // One ls-remote: git gives up after the first 401 and the action does not try again.
    expect(attempts.filter((r) => r.path.includes('info/refs'))).toHaveLength(1);
    expect(run.log).not.toMatch(/retrying/);
  });
});

describe('failures the mirror host causes', () => {
  let repos: SourceRepos;
  beforeAll(() => {
    repos = createSourceRepos();
  });
  afterAll(() => fs.rmSync(repos.base, { recursive: true, force: true }));

  test('a protected branch refusing a force push is protected-branch, not retried', async () => {
    server.createRepo('protected');
    expect((await mirror(repos, 'protected')).exitCode).toBe(0);
    server.protect('protected', 'refs/heads/main');
    git(repos.clone, ['commit', '--quiet', '--amend', '-m', 'rewritten history']);
    const from = server.requests.length;
    const run = await mirror(repos, 'protected');
    expectFailure(run, 'protected-branch');
    expect(errorLines(run.log)[0]).toMatch(/GH006|protected branch/i);
    expect(pushesTo('protected', from)).toBe(1);
  });

  test('history touching .github/workflows without the Workflows permission is permission-workflows', async () => {
    server.createRepo('workflows');
    server.blockWorkflows('workflows');
    const fresh = createSourceRepos();
    try {
      commit(fresh.clone, '.github/workflows/ci.yml', 'on: push\n');
      const run = await mirror(fresh, 'workflows');
      expectFailure(run, 'permission-workflows');
      expect(errorLines(run.log)[0]).toMatch(/workflow/);
    } finally {
      fs.rmSync(fresh.base, { recursive: true, force: true });
    }
  });

  test('a mirror that differs after the push fails verification listing the ref', async () => {
    server.createRepo('tampered');
    server.tamperAfterPush('tampered');
    const run = await mirror(repos, 'tampered');
    expectFailure(run, 'verify-mismatch');
    expect(run.outputs.verified).toBe('false');
    expect(errorLines(run.log)[0]).toContain('refs/heads/rogue');
    expect(run.summary).toContain('refs/heads/rogue');
  });

  test('a server without the atomic capability still gets the mirror, with a warning', async () => {
    server.createRepo('no-atomic');
    server.withoutAtomic('no-atomic');
    const run = await mirror(repos, 'no-atomic');
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ created: '4', verified: 'true' });
    expect(run.log).toMatch(/::warning::The mirror does not support atomic pushes/);
  });

  test('lfs: true without git-lfs on PATH fails naming git-lfs, before talking to the mirror', async () => {
    // PATH holds git alone, so the result does not depend on whether this machine has git-lfs.
    const bin = fs.mkdtempSync(path.join(repos.base, 'bin-'));
    fs.symlinkSync(requireTool('git'), path.join(bin, 'git'));
    const from = server.requests.length;
    const run = await runAction({
      action: 'push-mirror',
      inputs: { 'remote-url': server.url('tampered'), token: CANARY, lfs: 'true' },
      workspace: repos.clone,
      env: { PATH: bin },
      timeoutMs: 60_000,
    });
    record(run);
    expectFailure(run, 'invalid-input');
    expect(errorLines(run.log)[0]).toMatch(/'lfs'.*git-lfs/);
    expect(server.requests.length).toBe(from);
  });

  test('a shallow source is refused before anything is pushed', async () => {
    server.createRepo('shallow');
    const shallow = path.join(repos.base, 'shallow');
    git(repos.base, ['clone', '--quiet', '--depth', '1', `file://${repos.canonical}`, shallow]);
    const from = server.requests.length;
    const run = await runAction({
      action: 'push-mirror',
      inputs: { 'remote-url': server.url('shallow'), token: CANARY },
      workspace: shallow,
      env: { PATH: recorder.path },
      timeoutMs: 60_000,
    });
    record(run);
    expectFailure(run, 'shallow-clone');
    expect(errorLines(run.log)[0]).toContain('fetch-depth: 0');
    expect(server.requests.length).toBe(from);
  });
});

describe('the token canary', () => {
  test('appears in no log, summary, report, output, file, .git/config, URL or argv', () => {
    expect(runs.length).toBeGreaterThan(5);
    for (const run of runs) {
      const texts = [
        withoutMaskCommands(run.log),
        run.summary,
        JSON.stringify(run.outputs),
        JSON.stringify(run.exportedEnv),
        JSON.stringify(run.report ?? {}),
      ];
      for (const t of texts) {
        expect(t).not.toContain(CANARY);
        expect(t).not.toContain(CANARY_B64);
      }
      for (const file of walk(run.runnerTemp)) {
        const content = fs.readFileSync(file, 'utf8');
        expect(content).not.toContain(CANARY);
        expect(content).not.toContain(CANARY_B64);
      }
    }
    expect(gitConfigs).toHaveLength(runs.length);
    for (const config of gitConfigs) {
      expect(config).not.toContain(CANARY);
      expect(config).not.toMatch(/extraheader/i);
    }
    const calls = recorder.calls();
    expect(calls.length).toBeGreaterThan(10);
    for (const argv of calls) {
      expect(argv.join(' ')).not.toContain(CANARY);
      expect(argv.join(' ')).not.toContain(CANARY_B64);
    }
    // The token went as an Authorization header, never in a URL.
    expect(
      server.requests.some((r) => r.authorization?.toLowerCase() === `basic ${CANARY_B64.toLowerCase()}`),
    ).toBe(true);
    for (const r of server.requests) expect(r.path).not.toContain(CANARY);
  });
});

function walk(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p) : e.isFile() ? [p] : [];
  });
}
