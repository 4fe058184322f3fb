import { describe, expect, test } from '@jest/globals';
import { ActionError, CancelledError } from '../../../shared/errors.js';
import { ForgeApiError, type ForgeClient, type ForgeIssue } from '../../../shared/forge.js';
import { registerSecret, resetSecretsForTest } from '../../../shared/secrets.js';
import {
  issueMarker,
  issueRepositoryName,
  issueTitle,
  syncFailureIssue,
} from '../../../actions/restic-restore-check/src/failure-issue.js';
import type { RestoreCheckResult } from '../../../actions/restic-restore-check/src/restore-check.js';

/** An in-memory forge: just the issue calls syncIssue makes. */
function fakeForge(o: { failWith?: () => Error } = {}) {
  const issues: ForgeIssue[] = [];
  const comments: Array<{ issue: number; body: string }> = [];
  const calls: string[] = [];
  const guard = (what: string) => {
    calls.push(what);
    if (o.failWith) throw o.failWith();
  };
  const client = {
    target: {
      kind: 'forgejo',
      apiUrl: 'http://forge/api/v1',
      serverUrl: 'http://forge',
      repository: 'ops/infra',
    },
    async identity() {
      guard('identity');
      return 'ci-bot';
    },
    async listOpenIssues() {
      guard('list');
      return issues.filter((i) => i.state === 'open');
    },
    async createIssue({ title, body }: { title: string; body: string }) {
      guard('create');
      const issue: ForgeIssue = { number: issues.length + 1, title, body, state: 'open', author: 'ci-bot' };
      issues.push(issue);
      return { issue, skippedLabels: [] };
    },
    async updateIssue(n: number, change: Partial<Pick<ForgeIssue, 'title' | 'body' | 'state'>>) {
      guard('update');
      const issue = issues.find((i) => i.number === n)!;
      Object.assign(issue, change);
      return issue;
    },
    async createComment(issue: number, body: string) {
      guard('comment');
      comments.push({ issue, body });
      return { id: comments.length, body, author: 'ci-bot' };
    },
  } as unknown as ForgeClient;
  return { client, issues, comments, calls };
}

const REPO = 'rest:https://backup:s3cr3t-pw@borg.example/forgejo';
const ENV = { GITHUB_RUN_NUMBER: '17' };
const passed: RestoreCheckResult = {
  snapshot: {
    id: 'ab'.repeat(32),
    shortId: 'abababab',
    time: new Date('2026-11-28T03:00:00Z'),
    timeText: '2026-11-28T03:00:00Z',
    paths: ['/srv'],
    hostname: 'forgejo',
    tags: [],
  },
  checkResult: 'ok',
  verified: [],
};

describe('names', () => {
  test('the title names the repository without user or password', () => {
    expect(issueTitle(REPO)).toBe('restic-restore-check: rest:https://borg.example/forgejo failing');
    expect(issueRepositoryName('sftp:backup@nas:/srv/restic')).toBe('sftp:nas:/srv/restic');
    expect(issueRepositoryName('/srv/restic')).toBe('/srv/restic');
  });

  test('one marker per repository, whatever the credentials', () => {
    expect(issueMarker(REPO)).toBe(issueMarker('rest:https://other:pw2@borg.example/forgejo'));
    expect(issueMarker(REPO)).not.toBe(issueMarker('rest:https://borg.example/gitea'));
    expect(issueMarker(REPO)).toMatch(/^restic-restore-check:repository-[0-9a-f]{16}$/);
  });
});

describe('syncFailureIssue', () => {
  test('failing opens, failing again updates the same issue, passing closes it with a comment', async () => {
    const f = fakeForge();
    const warnings: string[] = [];
    const failed = new ActionError(
      'stale-snapshot',
      'The latest snapshot is 30h old.',
      'Check the backup job.',
    );
    const first = await syncFailureIssue({
      forge: f.client,
      repository: REPO,
      outcome: { failed },
      warn: (m) => warnings.push(m),
      now: new Date('2026-11-28T04:00:00Z'),
      env: ENV,
    });
    expect(first?.action).toBe('opened');
    expect(f.issues).toHaveLength(1);
    expect(f.issues[0].title).toBe('restic-restore-check: rest:https://borg.example/forgejo failing');
    expect(f.issues[0].body).toContain('**Reason:** `stale-snapshot`');
    expect(f.issues[0].body).toContain('The latest snapshot is 30h old.');
    expect(f.issues[0].body).toContain(
      '[this run](http://forge/ops/infra/actions/runs/17) (2026-11-28T04:00:00Z)',
    );

    const second = await syncFailureIssue({
      forge: f.client,
      repository: REPO,
      outcome: { failed: new ActionError('unreachable', 'The repository did not answer.') },
      warn: (m) => warnings.push(m),
      now: new Date('2026-11-29T04:00:00Z'),
      env: ENV,
    });
    expect(second?.action).toBe('updated');
    expect(f.issues).toHaveLength(1);
    expect(f.issues[0].body).toContain('`unreachable`');

    const third = await syncFailureIssue({
      forge: f.client,
      repository: REPO,
      outcome: { passed },
      warn: (m) => warnings.push(m),
      env: ENV,
    });
    expect(third?.action).toBe('closed');
    expect(f.issues[0].state).toBe('closed');
    expect(f.comments).toHaveLength(1);
    expect(f.comments[0].body).toContain('passed in [this run]');
    expect(f.comments[0].body).toContain('snapshot `abababab`');
    expect(warnings).toEqual([]);
    for (const text of [...f.issues.map((i) => i.title + i.body), ...f.comments.map((c) => c.body)])
      expect(text).not.toContain('s3cr3t-pw');
  });

  test('a passing run with no open issue writes nothing', async () => {
    const f = fakeForge();
    const r = await syncFailureIssue({
      forge: f.client,
      repository: REPO,
      outcome: { passed },
      warn: () => {},
      env: ENV,
    });
    expect(r?.action).toBe('none');
    expect(f.calls).toEqual(['identity', 'list']);
  });

  test('a cancelled run says nothing about the backup: no forge call', async () => {
    const f = fakeForge();
    const r = await syncFailureIssue({
      forge: f.client,
      repository: REPO,
      outcome: { failed: new CancelledError('SIGTERM') },
      warn: () => {},
    });
    expect(r).toBeUndefined();
    expect(f.calls).toEqual([]);
  });

  test('a forge failure is one warning, nothing thrown', async () => {
    const f = fakeForge({
      failWith: () => new ForgeApiError('list issues', 'server', 500, 'boom'),
    });
    const warnings: string[] = [];
    const r = await syncFailureIssue({
      forge: f.client,
      repository: REPO,
      outcome: { failed: new ActionError('integrity', 'x') },
      warn: (m) => warnings.push(m),
    });
    expect(r).toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^Failure issue skipped: .*The step's own result is unchanged\.$/);
  });

  test('no forge: one warning saying why', async () => {
    const warnings: string[] = [];
    await syncFailureIssue({
      forge: { unavailable: 'no token' },
      repository: REPO,
      outcome: { failed: new ActionError('integrity', 'x') },
      warn: (m) => warnings.push(m),
    });
    expect(warnings).toEqual(['No failure issue: no token.']);
  });

  test('a secret in the failure message is redacted in the body', async () => {
    resetSecretsForTest();
    registerSecret('s3cr3t-pw');
    const f = fakeForge();
    await syncFailureIssue({
      forge: f.client,
      repository: REPO,
      outcome: {
        failed: new ActionError('unreachable', 'GET https://backup:s3cr3t-pw@borg.example failed ```'),
      },
      warn: () => {},
    });
    expect(f.issues[0].body).not.toContain('s3cr3t-pw');
    // The quoted text cannot close its code block.
    expect((f.issues[0].body.match(/```/g) ?? []).length).toBe(2);
    resetSecretsForTest();
  });
});
