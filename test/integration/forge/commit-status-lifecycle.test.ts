import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { bundleEntry } from '../../support/bundle-worker.js';
import { filesUnder } from '../../support/files.js';
import {
  REPO_ROOT,
  errorLines,
  runAction,
  withoutMaskCommands,
  type ActionRun,
} from '../../support/run-action.js';
import { forgeEnv, startForgejoApi, type ForgejoStandin } from '../../support/standins/forgejo-api/server.js';

/**
 * The shared commit-status lifecycle (shared/run.ts + shared/commit-status.ts) through the runner
 * harness, with a fixture action and the forge API stand-in on loopback, on both forges.
 */
const TOKEN = 'fj_CANARYstatus5e4d3c2b1a09f8e7d6c5b4a39281';
const SHA = '0123456789abcdef0123456789abcdef01234567';
let actionDir: string;
const standins: ForgejoStandin[] = [];
const runs: ActionRun[] = [];

beforeAll(async () => {
  actionDir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-status-action-'));
  fs.copyFileSync(
    path.join(REPO_ROOT, 'test/fixtures/forge-status-action/action.yml'),
    path.join(actionDir, 'action.yml'),
  );
  await bundleEntry('test/fixtures/forge-status-action/src/main.ts', path.join(actionDir, 'dist'));
  // ncc type-checks the whole project while bundling: minutes on a loaded 2-core machine.
}, 300_000);

afterAll(async () => {
  for (const s of standins) await s.stop();
  for (const r of runs) fs.rmSync(r.runnerTemp, { recursive: true, force: true });
  if (actionDir) fs.rmSync(actionDir, { recursive: true, force: true });
});

async function standin(flavour: 'forgejo' | 'github' = 'forgejo', extra = {}): Promise<ForgejoStandin> {
  const s = await startForgejoApi({ token: TOKEN, repository: 'ops/infra', flavour, ...extra });
  standins.push(s);
  return s;
}

async function step(
  api: ForgejoStandin,
  inputs: Record<string, string>,
  more: Parameters<typeof runAction>[0] = {},
): Promise<ActionRun> {
  const r = await runAction({
    actionDir,
    forge: api.flavour,
    inputs: { message: 'stacks/web', 'commit-status': 'true', ...inputs },
    ...more,
    env: {
      ...forgeEnv(api),
      GITHUB_RUN_ID: '90210',
      ...(api.flavour === 'forgejo' ? { FORGEJO_TOKEN: TOKEN } : {}),
      ...more.env,
    },
  });
  runs.push(r);
  return r;
}

const warnings = (log: string) => log.split('\n').filter((l) => l.startsWith('::warning::'));

describe('commit status of a step', () => {
  test('Forgejo: pending, then success, with the context, description and the run page (run_number)', async () => {
    const api = await standin('forgejo');
    const r = await step(api, {});
    expect(r.exitCode).toBe(0);
    expect(api.statuses.map((s) => [s.sha, s.state, s.context, s.description])).toEqual([
      [SHA, 'pending', 'edge/forge-status-fixture/stacks/web', 'running…'],
      [SHA, 'success', 'edge/forge-status-fixture/stacks/web', 'echoed 10 characters'],
    ]);
    // Forgejo's AppURL ends in '/', and its web pages address runs by run_number.
    expect(api.statuses[1].target_url).toBe(`${api.url}/ops/infra/actions/runs/17`);
    expect(api.requests.every((q) => q.path.startsWith('/api/v1/repos/ops/infra/statuses/'))).toBe(true);
    expect(warnings(r.log)).toEqual([]);
    // Post found the final state set and did nothing more.
    expect(api.requests).toHaveLength(2);
  });

  test('GitHub: the token from the input, `state` and the run page by run_id', async () => {
    const api = await standin('github');
    const r = await step(api, { 'forge-token': TOKEN });
    expect(r.exitCode).toBe(0);
    expect(api.statuses.map((s) => s.state)).toEqual(['pending', 'success']);
    expect(api.statuses[1].target_url).toBe(`${api.url}/ops/infra/actions/runs/90210`);
    expect(api.requests[0].path).toBe(`/repos/ops/infra/statuses/${SHA}`);
    expect(api.requests[0].headers['x-github-api-version']).toBe('2022-11-28');
  });

  test('a pull request event: the status goes on the head commit, not the merge commit', async () => {
    const api = await standin('github');
    const head = 'feedfacefeedfacefeedfacefeedfacefeedface';
    const event = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'event-')), 'event.json');
    fs.writeFileSync(
      event,
      JSON.stringify({ action: 'synchronize', number: 7, pull_request: { number: 7, head: { sha: head } } }),
    );
    await step(
      api,
      { 'forge-token': TOKEN },
      { env: { GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: event } },
    );
    expect(api.statuses.map((s) => s.sha)).toEqual([head, head]);
  });

  test('a failed step ends in `failure` with its reason; the action result is the same as without statuses', async () => {
    const api = await standin('forgejo');
    const r = await step(api, { fail: 'true' });
    expect(r.exitCode).toBe(1);
    expect(errorLines(r.log)).toEqual(['::error::fixture failed: as asked. Set fail to false.']);
    expect(r.outputs['failure-reason']).toBe('fixture-failed');
    expect(api.statuses.map((s) => [s.state, s.description])).toEqual([
      ['pending', 'running…'],
      ['failure', 'fixture-failed: fixture failed: as asked.'],
    ]);
  });

  test('an invalid input still ends the status, as a failure naming the input', async () => {
    const api = await standin('forgejo');
    const r = await step(api, { fail: 'yes' });
    expect(r.exitCode).toBe(1);
    expect(api.statuses.map((s) => s.state)).toEqual(['pending', 'failure']);
    expect(api.statuses[1].description).toBe(
      "invalid-input: Input 'fail' is invalid: expected 'true' or 'false', got 'yes'.",
    );
  });

  test("commit-status 'false' (the default): no request at all", async () => {
    const api = await standin('forgejo');
    const r = await step(api, { 'commit-status': 'false' });
    expect(r.exitCode).toBe(0);
    expect(api.requests).toEqual([]);
  });

  test('no token on GitHub: one warning saying how to pass it, the step succeeds', async () => {
    const api = await standin('github');
    const r = await step(api, {});
    expect(r.exitCode).toBe(0);
    expect(warnings(r.log)).toEqual([
      "::warning::No commit status is set: no token: pass 'forge-token: ${{ github.token }}' (GitHub does not put the job token in the environment).",
    ]);
    expect(api.requests).toEqual([]);
  });

  test.each([
    ['500 on every call', { status: 500, body: { message: 'database is locked' } }, 0, 'HTTP 500'],
    [
      '403 (read-only token)',
      { status: 403, body: { message: 'user should have a permission to write to a repo' } },
      0,
      'HTTP 403',
    ],
    [
      '401 (bad token)',
      { status: 401, body: { message: 'user does not exist [uid: 0, name: ]' } },
      0,
      'HTTP 401',
    ],
  ])('API %s: the same action result and exactly one warning', async (_name, fault, exit, text) => {
    const api = await standin('forgejo');
    api.faults.push({ path: /\/statuses\//, ...fault });
    const ok = await step(api, {});
    expect(ok.exitCode).toBe(exit);
    const w = warnings(ok.log);
    expect(w).toHaveLength(1);
    expect(w[0]).toContain("Commit status 'edge/forge-status-fixture/stacks/web' was not set:");
    expect(w[0]).toContain(text);
    expect(w[0]).toContain("The step's own result is unchanged.");
    // A failing step stays failing for its own reason, with no extra warning either.
    const failed = await step(api, { fail: 'true' });
    expect(failed.outputs['failure-reason']).toBe('fixture-failed');
    expect(warnings(failed.log)).toHaveLength(1);
  });

  test('500 twice, then the forge recovers: retried, pending and final set, no warning', async () => {
    const api = await standin('forgejo');
    api.faults.push({ path: /\/statuses\//, status: 502, times: 2, body: { message: 'bad gateway' } });
    const r = await step(api, {});
    expect(r.exitCode).toBe(0);
    expect(warnings(r.log)).toEqual([]);
    expect(api.statuses.map((s) => s.state)).toEqual(['pending', 'success']);
    expect(api.requests.map((q) => q.status)).toEqual([502, 502, 201, 201]);
  });

  test('SIGTERM: main sets the final state `error` (cancelled) before it exits', async () => {
    const api = await standin('forgejo');
    const r = await step(
      api,
      { sleep: '60' },
      {
        onMainStarted: (child) => {
          const wait = setInterval(() => {
            if (api.statuses.length > 0) {
              clearInterval(wait);
              child.kill('SIGTERM');
            }
          }, 50);
        },
      },
    );
    expect(r.report?.status).toBe('cancelled');
    expect(api.statuses.map((s) => [s.state, s.description])).toEqual([
      ['pending', 'running…'],
      ['error', 'cancelled'],
    ]);
  });

  test('main killed outright (SIGKILL): post sets `error` from the saved state', async () => {
    const api = await standin('forgejo');
    const r = await step(
      api,
      { sleep: '60' },
      {
        onMainStarted: (child) => {
          const wait = setInterval(() => {
            if (api.statuses.length > 0) {
              clearInterval(wait);
              child.kill('SIGKILL');
            }
          }, 50);
        },
      },
    );
    expect(r.signal).toBe('SIGKILL');
    expect(r.post?.exitCode).toBe(0);
    expect(api.statuses.map((s) => [s.state, s.description])).toEqual([
      ['pending', 'running…'],
      ['error', 'did not finish: the step was cancelled or stopped before it could report'],
    ]);
    expect(api.statuses[1].context).toBe(api.statuses[0].context);
  });

  test('the token never leaves through logs, outputs, state, files or request paths and bodies', async () => {
    const api = await standin('forgejo');
    const r = await step(api, { message: 'stacks/web' }, { env: { FORGEJO_TOKEN: TOKEN } });
    const failed = await step(api, { fail: 'true' });
    for (const run of [r, failed]) {
      const visible = [
        withoutMaskCommands(run.log),
        JSON.stringify(run.outputs),
        JSON.stringify(run.state),
        run.summary,
        ...filesUnder(run.runnerTemp).map((f) => fs.readFileSync(f, 'utf8')),
      ];
      for (const text of visible) expect(text).not.toContain(TOKEN);
      expect(run.masks).toContain(TOKEN);
    }
    expect(api.requests.length).toBeGreaterThan(0);
    for (const q of api.requests) {
      expect(q.path).not.toContain(TOKEN);
      expect(q.body).not.toContain(TOKEN);
      expect(q.authorization).toBe(`token ${TOKEN}`);
      const others = Object.entries(q.headers).filter(([k]) => k !== 'authorization');
      expect(JSON.stringify(others)).not.toContain(TOKEN);
    }
  });
});
