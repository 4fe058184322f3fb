import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { requireReviewedPlan } from '../../../actions/tofu-plan-with-state-backup/src/forge/approval.js';
import {
  forgeHooks,
  stackKey,
  stackMarker,
} from '../../../actions/tofu-plan-with-state-backup/src/forge/forge-hooks.js';
import { planCommentBody } from '../../../actions/tofu-plan-with-state-backup/src/forge/review-text.js';
import type { StackOutcome } from '../../../actions/tofu-plan-with-state-backup/src/run/stack-types.js';
import { emptySummary } from '../../../actions/tofu-plan-with-state-backup/src/tofu/plan-summary.js';
import { ForgeApiError, type ForgeClient, type ForgeComment } from '../../../shared/forge.js';
import { fitBody } from '../../../shared/forge-comments.js';

const SHA = '0123456789abcdef0123456789abcdef01234567';
const FP_A = `sha256:${'a'.repeat(64)}`;
const FP_B = `sha256:${'b'.repeat(64)}`;
const MARKER = 'tofu-plan:infra/edge';

/** The narrow client with one merged pull request (#7, merged as SHA) and its comments. */
function fakeForge(comments: ForgeComment[], o: { merged?: boolean; failing?: ForgeApiError } = {}) {
  const calls: string[] = [];
  const client: ForgeClient = {
    target: { kind: 'forgejo', apiUrl: 'http://x/api/v1', serverUrl: 'http://x', repository: 'ops/infra' },
    identity: async () => 'forgejo-actions',
    setStatus: async () => {},
    listComments: async (n) => {
      calls.push(`list ${n}`);
      if (o.failing) throw o.failing;
      return comments;
    },
    createComment: async (n, body) => {
      calls.push(`create ${n}`);
      if (o.failing) throw o.failing;
      const c = { id: comments.length + 1, body, author: 'forgejo-actions' };
      comments.push(c);
      return c;
    },
    updateComment: async (id, body) => {
      calls.push(`update ${id}`);
      const c = comments.find((x) => x.id === id)!;
      c.body = body;
      return c;
    },
    listOpenIssues: async () => [],
    createIssue: async () => {
      throw new Error('not used');
    },
    updateIssue: async () => {
      throw new Error('not used');
    },
    pullRequestsOfCommit: async (sha) => {
      calls.push(`pulls ${sha.slice(0, 7)}`);
      if (o.failing) throw o.failing;
      return o.merged === false ? [] : [{ number: 7, state: 'closed', merged: true, mergeCommitSha: SHA }];
    },
  };
  return { client, calls };
}

function reviewedComment(fingerprint: string, author = 'forgejo-actions'): ForgeComment {
  const body = planCommentBody({ stack: 'infra/edge', tool: 'OpenTofu', commit: SHA }, emptySummary(), {
    fingerprint,
    text: 'No changes.',
  });
  return { id: 1, body: fitBody(body, MARKER).text, author };
}

const current = { fingerprint: FP_A, text: '' };

describe('require-approved-plan', () => {
  test('the reviewed plan passes', async () => {
    const { client } = fakeForge([reviewedComment(FP_A)]);
    await expect(requireReviewedPlan(client, SHA, MARKER, 'infra/edge', current)).resolves.toMatch(
      /is the one reviewed on pull request #7/,
    );
  });

  test('a different plan is plan-changed', async () => {
    const { client } = fakeForge([reviewedComment(FP_B)]);
    await expect(requireReviewedPlan(client, SHA, MARKER, 'infra/edge', current)).rejects.toMatchObject({
      reason: 'plan-changed',
      message: expect.stringMatching(/differs from the one reviewed on pull request #7/),
    });
  });

  test.each([
    ['no token', { unavailable: 'no token' }, /cannot be looked up: no token/],
    ['no merged pull request', fakeForge([], { merged: false }).client, /was not merged from a pull request/],
    ['no plan comment', fakeForge([]).client, /has no plan comment of infra\/edge/],
    // Anyone can type the marker: only the token user's own comment counts.
    ['a comment by someone else', fakeForge([reviewedComment(FP_A, 'mallory')]).client, /no plan comment/],
    [
      'an API failure',
      fakeForge([], { failing: new ForgeApiError('Finding the pull request', 'server', 502, 'bad gateway') })
        .client,
      /failed: Finding the pull request failed: HTTP 502/,
    ],
  ])('%s refuses the apply as plan-unverified (fail closed)', async (_name, forge, message) => {
    await expect(requireReviewedPlan(forge, SHA, MARKER, 'infra/edge', current)).rejects.toMatchObject({
      reason: 'plan-unverified',
      message: expect.stringMatching(message),
    });
  });
});

describe('forge hooks', () => {
  const outcome: StackOutcome = {
    label: 'edge',
    state: { exists: false, encrypted: false },
    applied: false,
    summary: emptySummary(),
    review: { fingerprint: FP_A, text: 'No changes.' },
  };
  const settings = {
    mode: 'plan',
    prComment: true,
    requireApprovedPlan: false,
    driftIssue: false,
    tofuBinary: 'tofu',
  };

  test('stack key and marker: the directory in the checkout', () => {
    expect(stackKey({ label: 'edge', workingDir: '/w/infra/edge' }, '/w')).toBe('infra/edge');
    expect(stackKey({ label: 'w', workingDir: '/w' }, '/w')).toBe('.');
    expect(stackKey({ label: 'edge', workingDir: '/elsewhere/edge' }, '/w')).toBe('edge');
    expect(stackMarker('tofu-plan', 'infra/my stack!')).toBe('tofu-plan:infra/my-stack-');
  });

  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  function eventFile(payload: unknown): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tofu-forge-event-'));
    dirs.push(dir);
    const f = path.join(dir, 'event.json');
    fs.writeFileSync(f, JSON.stringify(payload));
    return f;
  }

  test('a failing comment warns once for the run, then comments are skipped', async () => {
    const fake = fakeForge([], {
      failing: new ForgeApiError('Listing the comments of #5', 'permission', 403, 'Resource not accessible'),
    });
    const warnings: string[] = [];
    const env = {
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_EVENT_PATH: eventFile({
        action: 'synchronized',
        number: 5,
        pull_request: {
          number: 5,
          head: { sha: SHA, repo: { full_name: 'someone/infra' } },
          base: { repo: { full_name: 'ops/infra' } },
        },
      }),
      GITHUB_WORKSPACE: '/w',
    };
    const hooks = forgeHooks(settings, {
      warning: (m) => warnings.push(m),
      sha: SHA,
      env,
      connect: () => fake.client,
    });
    await hooks.afterStack({ label: 'a', workingDir: '/w/a' }, outcome);
    await hooks.afterStack({ label: 'b', workingDir: '/w/b' }, outcome);
    expect(fake.calls).toEqual(['list 5']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^The plan comment skipped: Listing the comments of #5 failed: HTTP 403/);
    expect(warnings[0]).toMatch(/comes from a fork/);
  });

  test('no pull request event, or pr-comment off: nothing is written', async () => {
    const fake = fakeForge([]);
    const warnings: string[] = [];
    const deps = { warning: (m: string) => warnings.push(m), sha: SHA, connect: () => fake.client };
    await forgeHooks(settings, { ...deps, env: { GITHUB_EVENT_NAME: 'push' } }).afterStack(
      { label: 'a', workingDir: '/w/a' },
      outcome,
    );
    const pr = {
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_EVENT_PATH: eventFile({ number: 5, pull_request: { number: 5 } }),
    };
    await forgeHooks({ ...settings, prComment: false }, { ...deps, env: pr }).afterStack(
      { label: 'a', workingDir: '/w/a' },
      outcome,
    );
    expect(fake.calls).toEqual([]);
    expect(warnings).toEqual([]);
    // The same with pr-comment on does comment (the test above is not vacuous).
    await forgeHooks(settings, { ...deps, env: pr }).afterStack({ label: 'a', workingDir: '/w/a' }, outcome);
    expect(fake.calls).toEqual(['list 5', 'create 5']);
  });

  test('terramate: one comment per stack, each found again by its own marker', async () => {
    const comments: ForgeComment[] = [];
    const fake = fakeForge(comments);
    const env = {
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_EVENT_PATH: eventFile({ number: 5, pull_request: { number: 5 } }),
      GITHUB_WORKSPACE: '/w',
    };
    const deps = { warning: () => {}, sha: SHA, env, connect: () => fake.client };
    for (const round of [1, 2]) {
      const hooks = forgeHooks(settings, deps);
      for (const dir of ['stacks/web', 'stacks/db'])
        await hooks.afterStack(
          { label: dir, workingDir: `/w/${dir}` },
          { ...outcome, review: { fingerprint: FP_A, text: `round ${round}` } },
        );
    }
    expect(comments.map((c) => /edge-actions:(\S+) -->/.exec(c.body)?.[1])).toEqual([
      'tofu-plan:stacks/web',
      'tofu-plan:stacks/db',
    ]);
    expect(comments.every((c) => c.body.includes('round 2'))).toBe(true);
    expect(fake.calls.filter((c) => c.startsWith('create'))).toHaveLength(2);
    expect(fake.calls.filter((c) => c.startsWith('update'))).toHaveLength(2);
  });
});
