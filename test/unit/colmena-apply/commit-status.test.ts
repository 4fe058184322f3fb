import { describe, expect, test } from '@jest/globals';
import { commitStatus } from '../../../actions/colmena-apply/src/commit-status.js';
import type { Report } from '../../../shared/report.js';

const report = (
  status: Report['status'],
  nodes: Array<[string, string]>,
  goal = 'switch',
  failure?: Report['failure'],
): Report => ({
  action: 'colmena-apply',
  version: '1',
  status,
  startedAt: '',
  finishedAt: '',
  durationMs: 0,
  inputs: { goal },
  steps: [],
  result: {
    nodes: nodes.map(([name, result]) => ({
      name,
      result,
      lastPhase: 'activating',
      durationSeconds: 1,
      error: null,
    })),
  },
  ...(failure ? { failure } : {}),
});

describe('colmena commit status', () => {
  test.each([
    ['@edge', '@edge'],
    ['alpha, beta\ngamma', 'alpha,beta,gamma'],
    ['', 'all nodes'],
  ])('target of on=%j is %s', (on, want) => {
    expect(commitStatus.target((n) => (n === 'on' ? on : ''))).toBe(want);
  });

  test.each([
    [
      report('success', [
        ['a', 'succeeded'],
        ['b', 'succeeded'],
        ['c', 'succeeded'],
      ]),
      '3/3 hosts converged',
    ],
    [report('success', [['a', 'succeeded']], 'dry-activate'), '1/1 hosts dry-activated'],
    [
      report(
        'success',
        [
          ['a', 'succeeded'],
          ['b', 'succeeded'],
        ],
        'boot',
      ),
      '2/2 hosts converged (next boot)',
    ],
    [
      report(
        'failed',
        [
          ['a', 'succeeded'],
          ['b', 'failed'],
          ['c', 'timed-out'],
        ],
        'switch',
        { reason: 'deploy-failed', message: 'x' },
      ),
      '2/3 hosts failed: b, c',
    ],
    [
      report('failed', [], 'switch', { reason: 'no-nodes-selected', message: 'none matched' }),
      'no-nodes-selected: none matched',
    ],
    [report('cancelled', [['a', 'succeeded']], 'switch', { reason: 'cancelled', message: 'x' }), 'cancelled'],
  ])('%#: %s', (r, want) => {
    expect(commitStatus.describe(r)).toBe(want);
  });
});
