import { describe, expect, test } from '@jest/globals';
import { commitStatus } from '../../../actions/k3s-verify/src/commit-status.js';
import type { Report } from '../../../shared/report.js';

const w = (object: string, status: string, available = 1, desired = 1) => ({
  object,
  desired,
  updated: available,
  available,
  status,
  reason: '',
  detail: '',
});
const report = (
  status: Report['status'],
  result: Record<string, unknown>,
  failure?: Report['failure'],
): Report => ({
  action: 'k3s-verify',
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

describe('k3s commit status', () => {
  test.each([
    [{ context: 'edge-prod', server: 'https://10.0.0.1:6443' }, 'edge-prod'],
    [{ server: 'https://k3s.example:6443' }, 'k3s.example:6443'],
    [{}, 'cluster'],
  ])('target of %j is %s', (given, want) => {
    expect(commitStatus.target((n) => (given as Record<string, string>)[n] ?? '')).toBe(want);
  });

  test.each([
    [
      report('success', {
        nodesReady: '1/1',
        workloads: [w('deployment/rustdesk/hbbs', 'pass'), w('deployment/rustdesk/hbbr', 'pass')],
      }),
      'rustdesk ready (2/2), nodes 1/1',
    ],
    [
      report('success', {
        nodesReady: '3/3',
        workloads: [w('deployment/a/x', 'pass'), w('daemonset/b/y', 'pass')],
      }),
      'workloads ready (2/2), nodes 3/3',
    ],
    [report('success', { nodesReady: '1/1', workloads: [] }), 'cluster ready, nodes 1/1'],
    [
      report(
        'failed',
        {
          workloads: [w('deployment/rustdesk/hbbs', 'fail', 0), w('deployment/rustdesk/hbbr', 'pass')],
          failures: [
            {
              check: 'workload',
              object: 'deployment/rustdesk/hbbs',
              reason: 'rollout-incomplete',
              detail: '',
            },
            { check: 'port', object: '10.0.0.1:21116/tcp', reason: 'closed', detail: '' },
          ],
        },
        { reason: 'not-ready', message: 'x' },
      ),
      'rustdesk not ready (1/2): hbbs rollout-incomplete (+1 more)',
    ],
    [
      report(
        'failed',
        { failures: [{ check: 'api', object: 'https://k3s:6443', reason: 'unreachable', detail: '' }] },
        { reason: 'api-unreachable', message: 'x' },
      ),
      'cluster not ready: k3s:6443 unreachable',
    ],
  ])('%#: %s', (r, want) => {
    expect(commitStatus.describe(r)).toBe(want);
  });
});
