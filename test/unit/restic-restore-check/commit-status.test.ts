import { describe, expect, test } from '@jest/globals';
import { commitStatus } from '../../../actions/restic-restore-check/src/commit-status.js';
import type { Report } from '../../../shared/report.js';

const report = (
  status: Report['status'],
  result: Record<string, unknown>,
  failure?: Report['failure'],
): Report => ({
  action: 'restic-restore-check',
  version: '1',
  status,
  startedAt: '',
  finishedAt: '',
  durationMs: 0,
  inputs: {},
  steps: [],
  result,
  ...(failure ? { failure } : {}),
});

describe('restic commit status', () => {
  test.each([
    ['rest:https://backup:s3cret@nas.example:8000/edge', 'rest:https://nas.example:8000/edge'],
    ['rest:https://nas.example:8000/edge', 'rest:https://nas.example:8000/edge'],
    ['/srv/restic/edge', '/srv/restic/edge'],
    ['sftp:backup@nas:/srv/restic', 'sftp:backup@nas:/srv/restic'],
  ])('target of %s leaves the credentials out: %s', (repository, want) => {
    expect(commitStatus.target((n) => (n === 'repository' ? repository : ''))).toBe(want);
  });

  test.each([
    [
      report('success', { snapshotAgeSeconds: 3 * 3600 + 100, restore: { filesVerified: 20 } }),
      'restore verified: 20 files, 3h old',
    ],
    [
      report('success', { snapshotAgeSeconds: 600, restore: { filesVerified: 1 } }),
      'restore verified: 1 files, 10m old',
    ],
    [
      report('success', {
        snapshotAgeSeconds: 5 * 86_400,
        snapshot: { shortId: 'ab12cd34' },
        restore: { filesVerified: 0 },
      }),
      'snapshot ab12cd34 checked, 5d old',
    ],
    [
      report('failed', {}, { reason: 'stale', message: 'The latest snapshot is 3d old.' }),
      'stale: The latest snapshot is 3d old.',
    ],
  ])('%#: %s', (r, want) => {
    expect(commitStatus.describe(r)).toBe(want);
  });
});
