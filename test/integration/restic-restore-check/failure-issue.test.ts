import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { runAction, warningLines, withoutMaskCommands, type ActionRun } from '../../support/run-action.js';
import { forgeEnv, startForgejoApi, type ForgejoStandin } from '../../support/standins/forgejo-api/server.js';
import { requireTool } from '../../support/tools.js';
import {
  PASSWORD,
  backup,
  initRepo,
  makeSource,
  startRestServer,
  tempDir,
  type RestServer,
} from '../../support/restic-restore-check-fixtures.js';

/**
 * `failure-issue` (issue 17.4) for real: the real restic against a REST repository whose URL carries a
 * user and password, the forge API stand-in (Forgejo flavour) keeping the issues. A snapshot 20 hours old
 * fails `max-age: 1h` and passes the default 26h, so one repository can fail, fail again and pass.
 */
const LIMIT = 300_000;
const TOKEN = 'fj_CANARYissue5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b';
const REST_PASS = 'canary-rest-pass-71c2';
let root: string;
let server: RestServer;
let api: ForgejoStandin;
let repository: string;
const runs: ActionRun[] = [];

beforeAll(async () => {
  requireTool('restic');
  requireTool('rclone');
  root = tempDir('issue');
  const src = makeSource(root);
  const served = path.join(root, 'served');
  fs.mkdirSync(served);
  server = await startRestServer(served, { user: 'backup', pass: REST_PASS });
  repository = `rest:http://backup:${REST_PASS}@${server.url.slice('http://'.length)}/forgejo`;
  initRepo(repository);
  // 20 hours old (restic reads --time in local time: the margin covers any time zone offset up to 6h).
  const time = new Date(Date.now() - 20 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
  backup(repository, [src], { time });
  api = await startForgejoApi({ token: TOKEN, repository: 'ops/infra' });
}, LIMIT);

afterAll(async () => {
  await api?.stop();
  await server?.stop();
  for (const r of runs) fs.rmSync(r.runnerTemp, { recursive: true, force: true });
  fs.rmSync(root, { recursive: true, force: true });
});

async function check(o: { maxAge: string; runNumber: string; failureIssue?: string }): Promise<ActionRun> {
  const env: Record<string, string> = { FORGEJO_ACTIONS: 'true', FORGEJO_TOKEN: TOKEN };
  for (const [k, v] of Object.entries(forgeEnv(api, o.runNumber))) if (v !== undefined) env[k] = v;
  const r = await runAction({
    action: 'restic-restore-check',
    forge: 'forgejo',
    inputs: {
      repository,
      password: PASSWORD,
      'max-age': o.maxAge,
      'sample-files': '2',
      check: 'none',
      cache: 'off',
      timeout: '120s',
      'failure-issue': o.failureIssue ?? 'true',
    },
    env,
    timeoutMs: LIMIT - 30_000,
  });
  runs.push(r);
  return r;
}

function expectNoSecrets(r: ActionRun): void {
  for (const text of [withoutMaskCommands(r.log), JSON.stringify(r.outputs), r.summary]) {
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(REST_PASS);
  }
  for (const q of api.requests) {
    expect(q.path + q.body).not.toContain(TOKEN);
    expect(q.path + q.body).not.toContain(REST_PASS);
  }
}

const TITLE = () => `restic-restore-check: rest:${server.url}/forgejo failing`;

describe('failure-issue', () => {
  test(
    'a failing check opens one issue, a second failing run updates it, a passing run closes it with a comment',
    async () => {
      const failing = await check({ maxAge: '1h', runNumber: '31' });
      expect(failing.exitCode).toBe(1);
      expect(failing.outputs['failure-reason']).toBe('stale');
      expect(api.issues).toHaveLength(1);
      const [issue] = api.issues;
      expect(issue).toMatchObject({ title: TITLE(), state: 'open' });
      expect(issue.title).not.toContain('backup@');
      expect(issue.body).toContain('**Reason:** `stale`');
      expect(issue.body).toContain(`${api.url}/ops/infra/actions/runs/31`);
      expect(warningLines(failing.log)).toEqual([]);

      const again = await check({ maxAge: '1h', runNumber: '32' });
      expect(again.exitCode).toBe(1);
      expect(api.issues).toHaveLength(1);
      expect(api.issues[0].state).toBe('open');
      expect(api.issues[0].body).toContain('/actions/runs/32');
      expect(api.requests.filter((q) => q.method === 'POST' && /\/issues$/.test(q.path))).toHaveLength(1);

      const passing = await check({ maxAge: '26h', runNumber: '33' });
      expect(passing.exitCode).toBe(0);
      expect(api.issues).toHaveLength(1);
      expect(api.issues[0].state).toBe('closed');
      const closing = api.comments.filter((c) => c.issue === api.issues[0].number);
      expect(closing).toHaveLength(1);
      expect(closing[0].body).toContain('passed in [this run]');
      expect(closing[0].body).toContain('/actions/runs/33');

      // Passing again: nothing to close, nothing written.
      const writesBefore = api.requests.filter((q) => q.method !== 'GET').length;
      expect((await check({ maxAge: '26h', runNumber: '34' })).exitCode).toBe(0);
      expect(api.requests.filter((q) => q.method !== 'GET').length).toBe(writesBefore);

      // Failing after it was closed: a new issue (the closed one keeps its history).
      expect((await check({ maxAge: '1h', runNumber: '35' })).exitCode).toBe(1);
      expect(api.issues.map((i) => i.state)).toEqual(['closed', 'open']);
      for (const r of [failing, again, passing]) expectNoSecrets(r);
    },
    LIMIT,
  );

  test.each([
    [500, /HTTP 500/],
    [403, /HTTP 403/],
  ])(
    'the forge answering %d: the same result and one warning',
    async (status, why) => {
      const opened = api.issues.length;
      api.faults.push({ path: /\/issues/, status });
      try {
        const r = await check({ maxAge: '1h', runNumber: '40' });
        expect(r.exitCode).toBe(1);
        expect(r.outputs['failure-reason']).toBe('stale');
        const warnings = warningLines(r.log);
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).toMatch(/^::warning::Failure issue skipped: /);
        expect(warnings[0]).toMatch(why);
        expect(api.issues.length).toBe(opened);
        expectNoSecrets(r);
      } finally {
        api.faults.length = 0;
      }
    },
    LIMIT,
  );

  test(
    'off by default: a failing check writes nothing to the forge',
    async () => {
      const from = api.requests.length;
      const r = await check({ maxAge: '1h', runNumber: '50', failureIssue: 'false' });
      expect(r.exitCode).toBe(1);
      expect(api.requests.slice(from)).toEqual([]);
    },
    LIMIT,
  );
});
