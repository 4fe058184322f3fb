import { describe, expect, test } from '@jest/globals';
import { commitStatus } from '../../../actions/push-mirror/src/commit-status.js';
import type { Report } from '../../../shared/report.js';

const report = (
  status: Report['status'],
  result: Record<string, unknown>,
  failure?: Report['failure'],
): Report => ({
  action: 'push-mirror',
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
const counts = { created: 2, updated: 1, deleted: 0, unchanged: 9 };

describe('push-mirror commit status', () => {
  test.each([
    [{ mode: 'push', 'remote-url': 'https://github.com/ops/infra.git' }, 'github.com/ops/infra'],
    [{ mode: 'forgejo-sync', repository: 'ops/infra' }, 'forgejo-sync ops/infra'],
    [{ mode: 'push' }, 'mirror'],
  ])('target of %j is %s', (given, want) => {
    expect(commitStatus.target((n) => (given as Record<string, string>)[n] ?? '')).toBe(want);
  });

  test.each([
    [report('success', { mode: 'push', counts, verification: 'passed' }), 'mirror verified: 12 refs'],
    [report('success', { mode: 'push', counts, verification: 'skipped' }), 'mirror pushed: +2 ~1 -0'],
    [report('success', { mode: 'push', counts, dryRun: true }), 'dry run: +2 ~1 -0'],
    [report('success', { mode: 'forgejo-sync', forgejoMirrors: [{}, {}] }), 'push mirrors synced: 2'],
    [
      report(
        'failed',
        { mode: 'push', counts },
        { reason: 'verify-mismatch', message: 'refs/heads/main differs.' },
      ),
      'verify-mismatch: refs/heads/main differs.',
    ],
  ])('%#: %s', (r, want) => {
    expect(commitStatus.describe(r)).toBe(want);
  });
});
