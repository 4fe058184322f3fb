import { describe, expect, test } from '@jest/globals';
import {
  CommitStatusReporter,
  finishCommitStatusInPost,
  fitDescription,
  statusContext,
  statusState,
  type ForgeConnect,
  type StatusHook,
} from '../../../shared/commit-status.js';
import { ForgeApiError, forgeInputs, type CommitStatus, type ForgeClient } from '../../../shared/forge.js';
import { text } from '../../../shared/inputs.js';
import type { Report } from '../../../shared/report.js';

const SHA = '0123456789abcdef0123456789abcdef01234567';
const ENV = {
  GITHUB_ACTIONS: 'true',
  FORGEJO_ACTIONS: 'true',
  GITHUB_API_URL: 'https://git.example/api/v1',
  GITHUB_SERVER_URL: 'https://git.example/',
  GITHUB_REPOSITORY: 'ops/infra',
  GITHUB_SHA: SHA,
  GITHUB_RUN_NUMBER: '5',
};
const specs = { stack: text(), ...forgeInputs };
const hook: StatusHook<'stack'> = {
  target: (input) => input('stack'),
  describe: (r) => (r.status === 'success' ? `did ${String(r.result.count)} things` : 'it broke'),
};

function report(status: Report['status'], extra: Partial<Report> = {}): Report {
  return {
    action: 'demo',
    version: '1',
    status,
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: new Date(Date.now() + 1000).toISOString(),
    durationMs: 1,
    inputs: {},
    steps: [],
    result: { count: 3 },
    ...extra,
  };
}

/** A fake forge: answers setStatus from a script (undefined = success), records what it was sent. */
function fakeForge(script: Array<ForgeApiError | undefined> = []) {
  const sent: CommitStatus[] = [];
  const connect: ForgeConnect = (token) => {
    if (!token) return { unavailable: 'no token' };
    return {
      target: {
        kind: 'forgejo',
        apiUrl: ENV.GITHUB_API_URL,
        serverUrl: 'https://git.example',
        repository: 'ops/infra',
      },
      async setStatus(sha: string, s: CommitStatus) {
        expect(sha).toBe(SHA);
        sent.push(s);
        const next = script.shift();
        if (next) throw next;
      },
    } as unknown as ForgeClient;
  };
  return { sent, connect };
}

function start(inputs: Record<string, string>, connect: ForgeConnect) {
  const warnings: string[] = [];
  const state: Record<string, string> = {};
  const reporter = CommitStatusReporter.start({
    action: 'demo',
    hook,
    specs,
    source: (name) => inputs[name] ?? '',
    env: ENV,
    connect,
    warn: (m) => warnings.push(m),
    saveState: (k, v) => {
      state[k] = v;
    },
  });
  return { reporter, warnings, state };
}

const e500 = () => new ForgeApiError("Setting the commit status 'x'", 'server', 500, 'boom', 4);
const e403 = () => new ForgeApiError("Setting the commit status 'x'", 'permission', 403, 'nope');

describe('pure parts', () => {
  test('context: edge/<action>/<target>, one line, no secrets, bounded', () => {
    expect(statusContext('k3s-verify', 'edge-prod')).toBe('edge/k3s-verify/edge-prod');
    expect(statusContext('a', ' two\nlines ')).toBe('edge/a/two lines');
    expect(statusContext('a', '')).toBe('edge/a/default');
    expect(statusContext('a', 'x'.repeat(500))).toHaveLength('edge/a/'.length + 100);
  });

  test('description: one line of at most 140 characters (GitHub refuses longer)', () => {
    expect(fitDescription('a\nb')).toBe('a b');
    const long = fitDescription('y'.repeat(300));
    expect(long).toHaveLength(140);
    expect(long.endsWith('…')).toBe(true);
  });

  test.each([
    [{ status: 'success' as const }, 'success'],
    [{ status: 'failed' as const, failure: { reason: 'drift-detected', message: 'x' } }, 'failure'],
    [{ status: 'failed' as const, failure: { reason: 'internal-error', message: 'x' } }, 'error'],
    [{ status: 'cancelled' as const, failure: { reason: 'cancelled', message: 'x' } }, 'error'],
  ])('state of %j is %s', (r, want) => {
    expect(statusState(r)).toBe(want);
  });
});

describe('the reporter', () => {
  test('pending at start, the final state from the report, state saved for post (no token in it)', async () => {
    const forge = fakeForge();
    const { reporter, warnings, state } = start(
      { stack: 'web', 'commit-status': 'true', 'forge-token': 'tkn-abcdef' },
      forge.connect,
    );
    await reporter!.finish(report('success'));
    expect(forge.sent).toEqual([
      {
        state: 'pending',
        context: 'edge/demo/web',
        description: 'running…',
        targetUrl: 'https://git.example/ops/infra/actions/runs/5',
      },
      {
        state: 'success',
        context: 'edge/demo/web',
        description: 'did 3 things',
        targetUrl: 'https://git.example/ops/infra/actions/runs/5',
      },
    ]);
    expect(warnings).toEqual([]);
    expect(state['commit-status-final']).toBe('done');
    expect(state['commit-status']).not.toContain('tkn-abcdef');
  });

  test("off unless asked: 'commit-status' false or absent from the action's inputs", () => {
    const forge = fakeForge();
    expect(start({ stack: 'web', 'forge-token': 'tkn-abcdef' }, forge.connect).reporter).toBeUndefined();
    expect(forge.sent).toEqual([]);
  });

  test('no token: one warning, no status', () => {
    const { reporter, warnings } = start({ 'commit-status': 'true' }, fakeForge().connect);
    expect(reporter).toBeUndefined();
    expect(warnings).toEqual(['No commit status is set: no token.']);
  });

  test('a refused pending (403) skips the final attempt: one warning in all', async () => {
    const forge = fakeForge([e403()]);
    const { reporter, warnings } = start(
      { 'commit-status': 'true', 'forge-token': 'tkn-abcdef' },
      forge.connect,
    );
    await reporter!.finish(report('success'));
    expect(forge.sent.map((s) => s.state)).toEqual(['pending']);
    expect(warnings).toHaveLength(1);
  });

  test('a server error on both: the final is still tried, still one warning', async () => {
    const forge = fakeForge([e500(), e500()]);
    const { reporter, warnings } = start(
      { 'commit-status': 'true', 'forge-token': 'tkn-abcdef' },
      forge.connect,
    );
    await reporter!.finish(report('failed', { failure: { reason: 'x', message: 'y' } }));
    expect(forge.sent.map((s) => s.state)).toEqual(['pending', 'failure']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('after 4 attempts');
  });

  test('a describe that throws still gives a final status', async () => {
    const forge = fakeForge();
    const broken: StatusHook = {
      target: () => 'x',
      describe: () => {
        throw new Error('bug');
      },
    };
    const reporter = CommitStatusReporter.start({
      action: 'demo',
      hook: broken,
      specs,
      source: (n) => ({ 'commit-status': 'true', 'forge-token': 'tkn-abcdef' })[n] ?? '',
      env: ENV,
      connect: forge.connect,
      warn: () => undefined,
      saveState: () => undefined,
    });
    await reporter!.finish(
      report('failed', { failure: { reason: 'no-nodes-selected', message: 'none matched' } }),
    );
    expect(forge.sent[1]).toMatchObject({ state: 'failure', description: 'no-nodes-selected: none matched' });
  });
});

describe('post, the safety net', () => {
  const saved = JSON.stringify({ context: 'edge/demo/web', sha: SHA, at: '2026-01-01T00:00:01.000Z' });
  const post = (state: Record<string, string>, r: Report | undefined, connect: ForgeConnect) => {
    const warnings: string[] = [];
    return finishCommitStatusInPost({
      action: 'demo',
      hook,
      source: (n) => ({ 'commit-status': 'true', 'forge-token': 'tkn-abcdef' })[n] ?? '',
      env: ENV,
      connect,
      warn: (m) => warnings.push(m),
      getState: (k) => state[k] ?? '',
      readReport: async () => r,
    }).then(() => warnings);
  };

  test('main set the final state: post does nothing', async () => {
    const forge = fakeForge();
    await post({ 'commit-status': saved, 'commit-status-final': 'done' }, report('success'), forge.connect);
    expect(forge.sent).toEqual([]);
  });

  test("main wrote its report but was killed before the status: the report's result", async () => {
    const forge = fakeForge();
    await post({ 'commit-status': saved }, report('success'), forge.connect);
    expect(forge.sent).toEqual([
      { state: 'success', context: 'edge/demo/web', description: 'did 3 things', targetUrl: undefined },
    ]);
  });

  test("no report of this step (an earlier step's is older): error", async () => {
    const forge = fakeForge();
    const old = report('success', { finishedAt: '2025-12-31T00:00:00.000Z' });
    await post({ 'commit-status': saved }, old, forge.connect);
    expect(forge.sent[0]).toMatchObject({
      state: 'error',
      description: 'did not finish: the step was cancelled or stopped before it could report',
    });
  });

  test('nothing saved: nothing to do; a failing forge: one warning', async () => {
    const quiet = fakeForge();
    await post({}, undefined, quiet.connect);
    expect(quiet.sent).toEqual([]);
    const failing = fakeForge([e500()]);
    expect(await post({ 'commit-status': saved }, undefined, failing.connect)).toHaveLength(1);
  });
});
