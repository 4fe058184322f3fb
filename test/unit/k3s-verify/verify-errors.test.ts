import { describe, expect, test } from '@jest/globals';
import { checksError } from '../../../actions/k3s-verify/src/verify.js';
import type { Evaluation } from '../../../actions/k3s-verify/src/checks/evaluation.js';
import { result } from '../../../actions/k3s-verify/src/checks/result.js';

function evaluation(results: Evaluation['results']): Evaluation {
  return {
    status: results.some((r) => r.status === 'fail')
      ? 'fail'
      : results.some((r) => r.status === 'pending')
        ? 'pending'
        : 'pass',
    results,
    nodes: [],
    nodesReady: '1/1',
    nodeCount: 1,
    workloads: [],
    system: [],
    containers: [],
    ports: [],
    volumes: [],
    conditions: [],
    hazards: [],
    memory: new Map(),
  } as Evaluation;
}

describe('checksError', () => {
  test('a timeout names what was still pending', () => {
    const e = checksError(
      {
        kind: 'timeout',
        polls: 4,
        evaluation: evaluation([
          result('node', 'node/edge-1', 'pending', 'NotReady', 'Ready=Unknown'),
          result('workload', 'deployment/rustdesk/hbbs', 'pass', 'rolled-out', '1/1 available'),
        ]),
      },
      20_000,
    );
    expect(e.reason).toBe('timeout');
    expect(e.message).toBe(
      'The cluster did not become healthy within 20s (4 polls): node/edge-1 NotReady (Ready=Unknown).',
    );
  });

  test('a pass whose confirming poll the deadline cut off says so (the message was empty)', () => {
    const e = checksError(
      {
        kind: 'timeout',
        polls: 2,
        evaluation: evaluation([
          result('workload', 'deployment/rustdesk/hbbs', 'pass', 'rolled-out', '1/1 available'),
        ]),
      },
      20_000,
    );
    expect(e.reason).toBe('timeout');
    expect(e.message).toBe(
      'The cluster did not become healthy within 20s (2 polls): every check passed at the last finished poll, ' +
        'but the poll that had to confirm it did not finish before the deadline (kubectl was still listing).',
    );
  });
});
