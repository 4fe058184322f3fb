import { afterAll, describe, expect, test } from '@jest/globals';
import { bestEffort, createForgeClient, type ForgeClient } from '../../../shared/forge.js';
import {
  BODY_LIMIT,
  findReviewedComment,
  hiddenData,
  markerLine,
  readHiddenData,
  upsertComment,
} from '../../../shared/forge-comments.js';
import { syncIssue } from '../../../shared/forge-issues.js';
import {
  startForgejoApi,
  type ForgejoStandin,
  type StandinOptions,
} from '../../support/standins/forgejo-api/server.js';

/**
 * The forge building blocks (comments, reviewed comment, issues) against the API stand-in on loopback,
 * in Forgejo's and GitHub's flavour: real HTTP, the stand-in records every request.
 */
const TOKEN = 'tok_CANARYforgeapi1f2e3d4c5b6a79880a1b2c3d4e';
const standins: ForgejoStandin[] = [];

afterAll(async () => {
  for (const s of standins) await s.stop();
});

async function forge(
  flavour: 'forgejo' | 'github',
  extra: Partial<StandinOptions> = {},
): Promise<{ api: ForgejoStandin; client: ForgeClient; sleeps: number[] }> {
  const api = await startForgejoApi({ token: TOKEN, repository: 'ops/infra', flavour, ...extra });
  standins.push(api);
  const sleeps: number[] = [];
  const client = createForgeClient({
    target: { kind: flavour, apiUrl: api.apiUrl, serverUrl: api.url, repository: 'ops/infra' },
    token: TOKEN,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
  return { api, client, sleeps };
}

const pr = (number: number, pull?: { merged: boolean; merge_commit_sha?: string; head_sha: string }) => ({
  number,
  title: `PR ${number}`,
  body: '',
  state: (pull?.merged ? 'closed' : 'open') as 'open' | 'closed',
  author: 'alice',
  labels: [],
  pull: pull ?? { merged: false, head_sha: 'a'.repeat(40) },
});

const writes = (api: ForgejoStandin) =>
  api.requests
    .filter((q) => q.method !== 'GET')
    .map((q) => `${q.method} ${q.path.replace(/^\/api\/v1/, '')}`);

describe.each(['forgejo', 'github'] as const)('%s', (flavour) => {
  test('upsertComment: created once, then updated in place, never duplicated; unchanged is not rewritten', async () => {
    const { api, client } = await forge(flavour, { issues: [pr(7)] });
    const first = await upsertComment(client, 7, 'tofu-plan:stacks/web', 'plan: +1 ~0 -0');
    const second = await upsertComment(client, 7, 'tofu-plan:stacks/web', 'plan: +2 ~1 -0');
    const third = await upsertComment(client, 7, 'tofu-plan:stacks/web', 'plan: +2 ~1 -0');
    expect([first.action, second.action, third.action]).toEqual(['created', 'updated', 'unchanged']);
    const mine = api.comments.filter((c) => c.issue === 7);
    expect(mine).toHaveLength(1);
    expect(mine[0].body).toBe(`plan: +2 ~1 -0\n\n${markerLine('tofu-plan:stacks/web')}`);
    expect(writes(api)).toEqual([
      'POST /repos/ops/infra/issues/7/comments',
      `PATCH /repos/ops/infra/issues/comments/${mine[0].id}`,
    ]);
  });

  test('another stack has its own comment; a marker typed by someone else is not ours', async () => {
    const { api, client } = await forge(flavour, {
      issues: [pr(7)],
      comments: [
        { id: 5, issue: 7, author: 'mallory', body: `fake\n\n${markerLine('tofu-plan:stacks/web')}` },
      ],
    });
    await upsertComment(client, 7, 'tofu-plan:stacks/web', 'web');
    await upsertComment(client, 7, 'tofu-plan:stacks/db', 'db');
    await upsertComment(client, 7, 'tofu-plan:stacks/web', 'web 2');
    const bodies = api.comments.map((c) => [c.author, c.body.split('\n')[0]]);
    const bot = flavour === 'github' ? 'github-actions[bot]' : 'forgejo-actions';
    expect(bodies).toEqual([
      ['mallory', 'fake'],
      [bot, 'web 2'],
      [bot, 'db'],
    ]);
  });

  test('a long pull request thread is read to the end (GitHub pages of 100; Forgejo at once)', async () => {
    const bot = flavour === 'github' ? 'github-actions[bot]' : 'forgejo-actions';
    const chatter = Array.from({ length: 230 }, (_, i) => ({
      id: i + 1,
      issue: 7,
      author: 'alice',
      body: `lgtm ${i}`,
    }));
    const ours = { id: 999, issue: 7, author: bot, body: `old\n\n${markerLine('m')}` };
    const { api, client } = await forge(flavour, { issues: [pr(7)], comments: [...chatter, ours] });
    expect((await upsertComment(client, 7, 'm', 'new')).action).toBe('updated');
    const reads = api.requests.filter((q) => q.method === 'GET' && q.path.includes('/comments'));
    expect(reads.map((q) => q.path.replace(/^\/api\/v1/, ''))).toEqual(
      flavour === 'github'
        ? [1, 2, 3].map((p) => `/repos/ops/infra/issues/7/comments?per_page=100&page=${p}`)
        : ['/repos/ops/infra/issues/7/comments'],
    );
    expect(api.comments).toHaveLength(231);
  });

  test('a body over the forge limit is cut below it, with a note, the marker kept, fences closed', async () => {
    const { api, client } = await forge(flavour, { issues: [pr(7)] });
    const plan =
      '<details><summary>plan</summary>\n\n```\n' + '  + resource "x" {}\n'.repeat(8000) + '```\n</details>';
    const out = await upsertComment(client, 7, 'tofu-plan:stacks/web', plan);
    expect(out.truncated).toBe(true);
    const body = api.comments[0].body;
    expect(body.length).toBeLessThanOrEqual(BODY_LIMIT);
    expect(body.endsWith(markerLine('tofu-plan:stacks/web'))).toBe(true);
    expect(body).toMatch(/\*\*Truncated\*\*: [\d,]+ characters did not fit/);
    expect((body.match(/^```/gm) ?? []).length % 2).toBe(0);
    expect(body).toContain('</details>');
    // The update of an over-long body is cut the same way (GitHub would answer 422 otherwise).
    expect((await upsertComment(client, 7, 'tofu-plan:stacks/web', plan + 'x')).action).toBe('updated');
    expect(api.requests.every((q) => q.status < 400)).toBe(true);
  });

  test('findReviewedComment: the comment on the pull request a merged commit came from', async () => {
    const merge = 'c'.repeat(40);
    const bot = flavour === 'github' ? 'github-actions[bot]' : 'forgejo-actions';
    const data = hiddenData('plan', { sha256: 'ab'.repeat(32) });
    const { client } = await forge(flavour, {
      issues: [pr(3), pr(9, { merged: true, merge_commit_sha: merge, head_sha: 'd'.repeat(40) })],
      comments: [
        {
          id: 1,
          issue: 9,
          author: 'mallory',
          body: `${hiddenData('plan', { sha256: 'evil' })}\n\n${markerLine('tofu-plan:web')}`,
        },
        { id: 2, issue: 9, author: bot, body: `plan\n${data}\n\n${markerLine('tofu-plan:web')}` },
      ],
    });
    const found = await findReviewedComment(client, merge, 'tofu-plan:web');
    expect(found?.pullRequest).toMatchObject({ number: 9, merged: true, mergeCommitSha: merge });
    expect(found?.comment?.id).toBe(2);
    expect(readHiddenData(found!.comment!.body, 'plan')).toEqual({ sha256: 'ab'.repeat(32) });
    expect(await findReviewedComment(client, 'e'.repeat(40), 'tofu-plan:web')).toBeUndefined();
  });

  test('syncIssue: opened once, updated by later failing runs, closed with a comment when fixed', async () => {
    const { api, client } = await forge(flavour, {
      issues: [pr(1)],
      labels: [
        { id: 11, name: 'drift' },
        { id: 12, name: 'infra' },
      ],
    });
    const marker = 'drift:stacks/web';
    const opened = await syncIssue(client, marker, {
      title: 'Drift in stacks/web',
      body: '+1 ~0 -0',
      open: true,
      labels: ['drift', 'no-such-label'],
    });
    expect(opened.action).toBe('opened');
    const n = opened.issue!.number;
    const issue = api.issues.find((i) => i.number === n)!;
    // GitHub takes label names; Forgejo ids, resolved by name, unknown names skipped.
    expect(issue.labels).toEqual(flavour === 'github' ? ['drift', 'no-such-label'] : [11]);
    expect(opened.skippedLabels).toEqual(flavour === 'github' ? [] : ['no-such-label']);
    expect(
      (await syncIssue(client, marker, { title: 'Drift in stacks/web', body: '+2 ~0 -0', open: true }))
        .action,
    ).toBe('updated');
    expect(
      (await syncIssue(client, marker, { title: 'Drift in stacks/web', body: '+2 ~0 -0', open: true }))
        .action,
    ).toBe('unchanged');
    expect(api.issues.filter((i) => !i.pull)).toHaveLength(1);
    expect(issue.body.startsWith('+2 ~0 -0')).toBe(true);
    expect((await syncIssue(client, marker, { title: 'x', body: 'fixed', open: false })).action).toBe(
      'closed',
    );
    expect(issue.state).toBe('closed');
    expect(api.comments.filter((c) => c.issue === n).map((c) => c.body)).toEqual([
      'A later run found this fixed; closing. It reopens as a new issue if it comes back.',
    ]);
    expect((await syncIssue(client, marker, { title: 'x', body: 'fixed', open: false })).action).toBe('none');
    expect((await syncIssue(client, marker, { title: 'Drift again', body: 'x', open: true })).action).toBe(
      'opened',
    );
    expect(api.issues.filter((i) => !i.pull)).toHaveLength(2);
  });

  test('syncIssue reads every page of open issues (Forgejo caps pages at 50)', async () => {
    const bot = flavour === 'github' ? 'github-actions[bot]' : 'forgejo-actions';
    const many = Array.from({ length: 120 }, (_, i) => ({
      number: i + 1,
      title: `t${i}`,
      body: 'x',
      state: 'open' as const,
      author: 'alice',
      labels: [],
    }));
    many[0] = { ...many[0], author: bot, body: `old\n\n${markerLine('restic:nas')}` };
    const { api, client } = await forge(flavour, { issues: many });
    expect(
      (await syncIssue(client, 'restic:nas', { title: 'Restore check failing', body: 'new', open: true }))
        .action,
    ).toBe('updated');
    expect(api.issues).toHaveLength(120);
  });

  test('500 then recovery: retried; 403: one warning through bestEffort, nothing retried', async () => {
    const { api, client, sleeps } = await forge(flavour, { issues: [pr(7)] });
    api.faults.push({
      method: 'POST',
      path: /\/comments$/,
      status: 500,
      times: 2,
      body: { message: 'boom' },
    });
    expect((await upsertComment(client, 7, 'm', 'hello')).action).toBe('created');
    expect(sleeps).toHaveLength(2);
    api.faults.push({
      method: 'PATCH',
      path: /\/comments\//,
      status: 403,
      body: { message: 'Resource not accessible by integration' },
    });
    const warnings: string[] = [];
    const out = await bestEffort(
      'Plan comment',
      () => upsertComment(client, 7, 'm', 'changed'),
      (m) => warnings.push(m),
    );
    expect(out).toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('HTTP 403');
    expect(api.requests.filter((q) => q.method === 'PATCH')).toHaveLength(1);
  });

  test('a rate limit is honoured: the wait the forge asks for, then the same request again', async () => {
    const { api, client, sleeps } = await forge(flavour, { issues: [pr(7)] });
    api.faults.push({
      path: /\/comments$/,
      status: 429,
      times: 1,
      headers: { 'Retry-After': '2' },
      body: { message: 'You have exceeded a secondary rate limit' },
    });
    expect((await upsertComment(client, 7, 'm', 'hello')).action).toBe('created');
    expect(sleeps).toEqual([2000]);
  });

  test('identity falls back to the job token user when GET /user is refused', async () => {
    const { client } = await forge(flavour, { userEndpoint: 'refuse' });
    expect(await client.identity()).toBe(flavour === 'github' ? 'github-actions[bot]' : 'forgejo-actions');
  });

  test('the token appears only in the Authorization header', async () => {
    const { api, client } = await forge(flavour, { issues: [pr(7)] });
    await upsertComment(client, 7, 'm', `a comment`);
    await syncIssue(client, 'i', { title: 't', body: 'b', open: true });
    for (const q of api.requests) {
      expect(q.authorization).toBe(`token ${TOKEN}`);
      expect(q.path + q.body).not.toContain(TOKEN);
    }
  });
});
