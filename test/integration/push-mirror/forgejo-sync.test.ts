import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startGitServer, type GitServer } from '../../support/push-mirror-git-server.js';
import { createSourceRepos, refsOf, type SourceRepos } from '../../support/push-mirror-repos.js';
import { errorLines, runAction, withoutMaskCommands, type ActionRun } from '../../support/run-action.js';
import {
  forgejoTime,
  pushMirror,
  startForgejoApi,
  type ForgejoStandin,
  type SyncBehaviour,
} from '../../support/standins/forgejo-api/server.js';
import { requireTool } from '../../support/tools.js';

/**
 * forgejo-sync against the Forgejo API stand-in; the "GitHub" side is the real git server, and a
 * successful sync really pushes there (as Forgejo's push mirror would), so verification is real too.
 */
const MIRROR_TOKEN = 'ghp_CANARYmirror0b1c2d3e4f5a6b7c8d9e0f1a2b3c';
const FORGEJO_TOKEN = 'fj_CANARYforgejo9a8b7c6d5e4f3a2b1c0d9e8f7a6';
const CANARIES = [
  MIRROR_TOKEN,
  FORGEJO_TOKEN,
  Buffer.from(`x-access-token:${MIRROR_TOKEN}`).toString('base64'),
];
const execFileP = promisify(execFile);

let server: GitServer;
let repos: SourceRepos;
const runs: ActionRun[] = [];
const standins: ForgejoStandin[] = [];

beforeAll(async () => {
  requireTool('git');
  server = await startGitServer({ token: MIRROR_TOKEN });
  repos = createSourceRepos();
});

afterAll(async () => {
  for (const s of standins) await s.stop();
  await server?.stop();
  if (repos) fs.rmSync(repos.base, { recursive: true, force: true });
  for (const run of runs) fs.rmSync(run.runnerTemp, { recursive: true, force: true });
});

/** What Forgejo's push mirror does on sync: push branches and tags of the canonical repository. */
function realPush(repo: string): SyncBehaviour {
  return async () => {
    const header = `AUTHORIZATION: basic ${Buffer.from(`mirror:${MIRROR_TOKEN}`).toString('base64')}`;
    try {
      await execFileP(
        'git',
        [
          'push',
          '--quiet',
          '--prune',
          server.url(repo),
          '+refs/heads/*:refs/heads/*',
          '+refs/tags/*:refs/tags/*',
        ],
        {
          cwd: repos.canonical,
          env: {
            ...process.env,
            GIT_TERMINAL_PROMPT: '0',
            GIT_CONFIG_COUNT: '1',
            GIT_CONFIG_KEY_0: `http.${server.baseUrl}/.extraheader`,
            GIT_CONFIG_VALUE_0: header,
          },
        },
      );
      return {};
    } catch (e) {
      return { error: String((e as { stderr?: string }).stderr ?? e) };
    }
  };
}

async function standin(mirrors: ReturnType<typeof pushMirror>[], sync: Record<string, SyncBehaviour>) {
  const s = await startForgejoApi({ token: FORGEJO_TOKEN, repository: 'ops/infra', mirrors, sync });
  standins.push(s);
  return s;
}

async function syncRun(fj: ForgejoStandin, inputs: Record<string, string>): Promise<ActionRun> {
  const run = await runAction({
    action: 'push-mirror',
    forge: 'forgejo',
    inputs: { mode: 'forgejo-sync', retries: '1', ...inputs },
    workspace: repos.clone,
    // The run's server URL and token are the defaults of forgejo-url and forgejo-token.
    env: {
      GITHUB_SERVER_URL: fj.url,
      GITHUB_REPOSITORY: 'ops/infra',
      FORGEJO_TOKEN,
      GITHUB_TOKEN: FORGEJO_TOKEN,
    },
    timeoutMs: 60_000,
  });
  runs.push(run);
  return run;
}

function expectFailure(run: ActionRun, reason: string): void {
  expect(run.exitCode).toBe(1);
  expect(run.outputs['failure-reason']).toBe(reason);
  expect(errorLines(run.log)).toHaveLength(1);
}

describe('forgejo-sync', () => {
  test('success: the chosen mirror reports a newer sync, then the mirror is verified', async () => {
    server.createRepo('fj-ok');
    const github = pushMirror('infra', server.url('fj-ok'), '2026-01-05T09:00:00Z');
    const other = pushMirror('infra', 'https://codeberg.org/example/infra.git', null);
    const fj = await standin([github, other], {
      [github.remote_address]: realPush('fj-ok'),
      [other.remote_address]: async () => 'never-updates',
    });
    const run = await syncRun(fj, {
      mirror: '127.0.0.1',
      'remote-url': server.url('fj-ok'),
      token: MIRROR_TOKEN,
      'wait-timeout': '20s',
    });
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ created: '4', deleted: '0', verified: 'true' });
    expect(run.outputs['mirror-head']).toBe(refsOf(repos.canonical)['refs/heads/main']);
    expect(Date.parse(github.last_update!)).toBeGreaterThan(Date.parse('2026-01-05T09:00:00Z'));
    expect(fj.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    // Forgejo's API takes `Authorization: token <t>`.
    expect(fj.requests.every((r) => r.authorization === `token ${FORGEJO_TOKEN}`)).toBe(true);
    expect(run.summary).toContain('passed');
  });

  test('without remote-url the sync is waited for but not verified', async () => {
    server.createRepo('fj-noverify');
    const github = pushMirror('infra', server.url('fj-noverify'), null);
    const fj = await standin([github], { [github.remote_address]: realPush('fj-noverify') });
    const run = await syncRun(fj, { 'wait-timeout': '20s' });
    expect(run.exitCode).toBe(0);
    expect(run.outputs.verified).toBe('false');
    expect(run.summary).toMatch(/skipped/);
  });

  test("a sync that sets last_error fails with Forgejo's error", async () => {
    const github = pushMirror('infra', 'https://github.com/example/infra.git', '2026-01-05T09:00:00Z');
    github.last_error = '';
    const fj = await standin([github], {
      [github.remote_address]: async () => ({
        error:
          "remote: Invalid username or password.\nfatal: Authentication failed for 'https://github.com/example/infra.git/'",
      }),
    });
    const run = await syncRun(fj, { 'wait-timeout': '20s' });
    expectFailure(run, 'forgejo-sync-failed');
    expect(errorLines(run.log)[0]).toContain('Authentication failed');
    expect(errorLines(run.log)[0]).toContain('https://github.com/example/infra.git');
  });

  test('a mirror that never reports a new sync times out after wait-timeout', async () => {
    const github = pushMirror(
      'infra',
      'https://github.com/example/infra.git',
      forgejoTime(new Date('2026-02-01T10:00:00Z')),
    );
    const fj = await standin([github], { [github.remote_address]: async () => 'never-updates' });
    const run = await syncRun(fj, { 'wait-timeout': '3s' });
    expectFailure(run, 'timeout');
    expect(errorLines(run.log)[0]).toContain('within 3s');
    expect(fj.requests.filter((r) => r.method === 'GET').length).toBeGreaterThanOrEqual(2);
  });

  test('a mirror filter that matches nothing names the existing mirrors', async () => {
    const github = pushMirror('infra', 'https://github.com/example/infra.git', null);
    const fj = await standin([github], {});
    const run = await syncRun(fj, { mirror: 'gitlab.com' });
    expectFailure(run, 'forgejo-sync-failed');
    expect(errorLines(run.log)[0]).toContain('https://github.com/example/infra.git');
    expect(fj.requests.filter((r) => r.method === 'POST')).toHaveLength(0);
  });

  test('a Forgejo token that is refused is auth, not retried', async () => {
    const github = pushMirror('infra', 'https://github.com/example/infra.git', null);
    const fj = await standin([github], {});
    const run = await syncRun(fj, { 'forgejo-token': 'fj_wrong_token_value', retries: '3' });
    expectFailure(run, 'auth');
    expect(fj.requests).toHaveLength(1);
  });

  test('no token reaches a log, summary, output or report', () => {
    expect(runs.length).toBeGreaterThanOrEqual(5);
    for (const run of runs) {
      const texts = [
        withoutMaskCommands(run.log),
        run.summary,
        JSON.stringify(run.outputs),
        JSON.stringify(run.report ?? {}),
      ];
      for (const t of texts) for (const c of CANARIES) expect(t).not.toContain(c);
      for (const f of fs.readdirSync(run.runnerTemp, { recursive: true }) as string[]) {
        const p = path.join(run.runnerTemp, f);
        if (!fs.statSync(p).isFile()) continue;
        const content = fs.readFileSync(p, 'utf8');
        for (const c of CANARIES) expect(content).not.toContain(c);
      }
    }
  });
});
