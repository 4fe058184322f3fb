import { describe, expect, test } from '@jest/globals';
import { commitStatus } from '../../../actions/sops-stage-age-key/src/commit-status.js';
import type { Report } from '../../../shared/report.js';

const report = (
  status: Report['status'],
  result: Record<string, unknown>,
  failure?: Report['failure'],
): Report => ({
  action: 'sops-stage-age-key',
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

describe('sops commit status', () => {
  test.each([
    ['deploy@edge-1', 'edge-1'],
    ['[fd00::1]', '[fd00::1]'],
    ['', 'runner'],
  ])('target of target-host=%j is %s', (host, want) => {
    expect(commitStatus.target((n) => (n === 'target-host' ? host : ''))).toBe(want);
  });

  test.each([
    [report('success', { keyFile: '/x' }), 'age key staged on runner'],
    [report('success', { verifiedFiles: [{}, {}, {}] }), 'age key staged on runner, 3 files verified'],
    [
      report('success', { target: { host: 'root@edge-1' }, verifiedFiles: [{}] }),
      'age key staged on runner and edge-1, 1 files verified',
    ],
    [
      report('failed', {}, { reason: 'cannot-decrypt', message: 'The staged key cannot open secrets.yaml.' }),
      'cannot-decrypt: The staged key cannot open secrets.yaml.',
    ],
  ])('%#: %s', (r, want) => {
    expect(commitStatus.describe(r)).toBe(want);
  });
});
