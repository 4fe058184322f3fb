import * as fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startGitServer, type GitServer } from '../../support/push-mirror-git-server.js';
import { lfsPointer } from '../../support/push-mirror-lfs-server.js';
import {
  commitLfsFiles,
  createLfsSource,
  createSourceRepos,
  type LfsSource,
  type SourceRepos,
} from '../../support/push-mirror-repos.js';
import { errorLines, runAction, type ActionRun } from '../../support/run-action.js';
import {
  pushMirror,
  startForgejoApi,
  type ForgejoStandin,
} from '../../support/standins/forgejo-api/server.js';
import { requireTool } from '../../support/tools.js';

/**
 * Issue 15 item 4 for push-mirror: text the remote controls (the git server's hook output, the LFS
 * server's error messages, which git-lfs prints verbatim at a line start, and the Forgejo API's
 * last_error) carries workflow commands. The run's outputs, state and masks must be exactly what the
 * action set itself, and its one `::error::` line its own.
 */
const TOKEN = 'ghp_CANARYinject1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c';
const FORGEJO_TOKEN = 'fj_CANARYinject9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d';
const FORGED = [
  '::save-state name=isPost::forged',
  '::save-state name=forged-state::/home/ops',
  '::set-output name=verified::forged',
  '::set-output name=forged-output::1',
  '::add-mask::a',
  '::add-mask::forged-mask',
  '::error::forged error from the remote',
  '  ::warning::forged warning',
  '##[set-output name=created;]forged',
  '::stop-commands::forgedtoken',
].join('\n');

const OUTPUTS = new Set([
  'created',
  'updated',
  'deleted',
  'unchanged',
  'verified',
  'mirror-head',
  'lfs-uploaded',
  'lfs-present',
  'failure-reason',
  'report-file',
]);

let server: GitServer;
let repos: SourceRepos;
let lfsSource: LfsSource;
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  requireTool('git');
  requireTool('git-lfs');
  server = await startGitServer({ token: TOKEN });
  repos = createSourceRepos();
  const canonical = server.createRepo('inject-src');
  lfsSource = createLfsSource(canonical, server.url('inject-src'), (work) => {
    const big = randomBytes(4096);
    commitLfsFiles(work, { 'big.bin': big }, lfsPointer);
    server.lfs.put('inject-src', big);
  });
});

afterAll(async () => {
  for (const c of cleanups) await c();
  await server?.stop();
  fs.rmSync(repos.base, { recursive: true, force: true });
  fs.rmSync(lfsSource.base, { recursive: true, force: true });
});

async function run(workspace: string, inputs: Record<string, string>, env: Record<string, string> = {}) {
  const r = await runAction({
    action: 'push-mirror',
    inputs: { token: TOKEN, retries: '0', ...inputs },
    workspace,
    env,
    timeoutMs: 120_000,
  });
  cleanups.push(() => fs.rmSync(r.runnerTemp, { recursive: true, force: true }));
  if (process.env.PM_DEBUG) console.log(r.log);
  return r;
}

/** Nothing the remote printed acted as a command; the forged text did reach the log (neutralised). */
function expectUnaffected(r: ActionRun, opts: { failed: boolean; secrets: string[] }): void {
  expect(r.log).toContain('forged');
  // The lifecycle records its phase through the state file; nothing reached the state through stdout.
  expect(r.state).toEqual({ isPost: 'true' });
  expect(r.main.effects.state).toEqual({});
  // Post had nothing recorded to act on (main saves no state here): it ended cleanly and issued nothing.
  expect(r.post?.exitCode).toBe(0);
  expect(r.post?.commands ?? []).toEqual([]);
  for (const [name, value] of Object.entries(r.outputs)) {
    expect(OUTPUTS.has(name)).toBe(true);
    expect(value).not.toContain('forged');
  }
  const secrets = new Set(
    opts.secrets.flatMap((t) => [t, Buffer.from(`x-access-token:${t}`).toString('base64')]),
  );
  for (const m of r.masks) expect(secrets.has(m)).toBe(true);
  // The only command that may quote the remote's text is the action's own failure line (one line,
  // its data escaped by the toolkit).
  const own = r.main.commands.filter((c) => c.command === 'error');
  expect(own).toHaveLength(opts.failed ? 1 : 0);
  if (opts.failed) expect(own[0].data).not.toMatch(/^forged/);
  for (const c of r.main.commands.filter((c) => c.command !== 'error'))
    expect(c.line).not.toContain('forged');
  expect(r.main.commands.some((c) => c.command === 'stop-commands')).toBe(false);
  expect(errorLines(r.log)).toHaveLength(opts.failed ? 1 : 0);
}

describe('remote text carrying workflow commands changes nothing', () => {
  test('git server hook output on a successful push', async () => {
    server.createRepo('inject-ok');
    server.hookMessage('inject-ok', FORGED + '\n');
    const r = await run(repos.clone, { 'remote-url': server.url('inject-ok') });
    expect(r.exitCode).toBe(0);
    expect(r.outputs.verified).toBe('true');
    expectUnaffected(r, { failed: false, secrets: [TOKEN] });
  });

  test('git server hook output that refuses the push (it becomes the failure message)', async () => {
    server.createRepo('inject-reject');
    server.hookMessage('inject-reject', FORGED + '\n', { reject: true });
    const r = await run(repos.clone, { 'remote-url': server.url('inject-reject') });
    expect(r.outputs['failure-reason']).toBe('push-failed');
    expectUnaffected(r, { failed: true, secrets: [TOKEN] });
  });

  test('LFS storage error text that git-lfs prints at a line start', async () => {
    server.createRepo('inject-lfs');
    server.lfs.failUploads('inject-lfs', 507);
    server.lfs.messageSuffix = '\n' + FORGED;
    try {
      const r = await run(lfsSource.clone, {
        'remote-url': server.url('inject-lfs'),
        lfs: 'true',
        'source-token': TOKEN,
      });
      expect(r.outputs['failure-reason']).toBe('lfs-quota');
      expectUnaffected(r, { failed: true, secrets: [TOKEN] });
    } finally {
      server.lfs.messageSuffix = '';
    }
  });

  test('LFS batch error text (a request-level answer the action quotes)', async () => {
    server.createRepo('inject-batch');
    server.lfs.failBatch('inject-batch', {
      status: 403,
      message: 'Git LFS is disabled for this repository.\n' + FORGED,
    });
    const r = await run(lfsSource.clone, {
      'remote-url': server.url('inject-batch'),
      lfs: 'true',
      'source-token': TOKEN,
    });
    expect(r.outputs['failure-reason']).toBe('lfs-disabled');
    expectUnaffected(r, { failed: true, secrets: [TOKEN] });
  });

  test("the Forgejo API's last_error of a failed push mirror", async () => {
    const fj: ForgejoStandin = await startForgejoApi({
      token: FORGEJO_TOKEN,
      repository: 'ops/infra',
      mirrors: [pushMirror('infra', 'https://github.com/ops/infra.git', '2026-01-05T09:00:00Z')],
      sync: { 'https://github.com/ops/infra.git': async () => ({ error: `push failed\n${FORGED}` }) },
    });
    cleanups.push(() => fj.stop());
    const r = await runAction({
      action: 'push-mirror',
      forge: 'forgejo',
      inputs: { mode: 'forgejo-sync', retries: '0', 'wait-timeout': '30s' },
      workspace: repos.clone,
      env: {
        GITHUB_SERVER_URL: fj.url,
        GITHUB_REPOSITORY: 'ops/infra',
        FORGEJO_TOKEN,
        GITHUB_TOKEN: FORGEJO_TOKEN,
      },
      timeoutMs: 60_000,
    });
    cleanups.push(() => fs.rmSync(r.runnerTemp, { recursive: true, force: true }));
    expect(r.outputs['failure-reason']).toBe('forgejo-sync-failed');
    expectUnaffected(r, { failed: true, secrets: [FORGEJO_TOKEN] });
  });
});
