import { expect, test } from '@jest/globals';
import type { NodeExpectation } from '../../../actions/k3s-verify/src/expect/expectations.js';
import type { Node } from '../../../actions/k3s-verify/src/cluster/kube-types.js';
import { evaluateNodes, nodeProblems } from '../../../actions/k3s-verify/src/checks/nodes.js';
import * as o from '../../support/standins/kube-apiserver/objects.js';

const node = (name: string, opts: o.NodeOptions = {}) => o.node(name, opts) as unknown as Node;

test.each([
  [{}, []],
  [{ ready: false }, ['NotReady']],
  [{ memoryPressure: true }, ['MemoryPressure']],
  [{ diskPressure: true, pidPressure: true }, ['DiskPressure', 'PIDPressure']],
  [{ unschedulable: true }, ['Unschedulable']],
  [{ ready: false, unschedulable: true }, ['NotReady', 'Unschedulable']],
])('node problems %j', (opts, want) => {
  expect(nodeProblems(node('edge-1', opts))).toEqual(want);
});

test('NetworkUnavailable and a missing Ready condition count', () => {
  const n: Node = {
    metadata: { name: 'edge-2' },
    status: { conditions: [{ type: 'NetworkUnavailable', status: 'True', reason: 'NoRouteCreated' }] },
  };
  expect(nodeProblems(n)).toEqual(['NotReady', 'NetworkUnavailable']);
});

test.each([
  ['one healthy node, count 1', [node('edge-1')], { count: 1 }, [], '1/1'],
  ['count mismatch', [node('edge-1')], { count: 2 }, ['nodes node-count'], '1/1'],
  [
    'names: one missing',
    [node('edge-1')],
    { names: ['edge-1', 'edge-2'] },
    ['node/edge-2 node-missing'],
    '1/1',
  ],
  [
    'NotReady node outside the names still counts',
    [node('edge-1'), node('edge-9', { ready: false })],
    { names: ['edge-1'] },
    ['node/edge-9 NotReady'],
    '1/2',
  ],
  [
    'no expectation: every node must be healthy',
    [node('edge-1', { memoryPressure: true })],
    undefined,
    ['node/edge-1 MemoryPressure'],
    '1/1',
  ],
  ['no nodes at all', [], undefined, ['nodes no-nodes'], '0/0'],
] as const)('%s', (_name, nodes, expected, open, ready) => {
  const e = evaluateNodes(nodes, expected as NodeExpectation | undefined);
  expect(e.results.filter((r) => r.status !== 'pass').map((r) => `${r.object} ${r.reason}`)).toEqual(open);
  expect(e.results.every((r) => r.status !== 'fail')).toBe(true);
  expect(`${e.ready}/${e.total}`).toBe(ready);
});

test('the detail quotes the condition', () => {
  const e = evaluateNodes([node('edge-1', { ready: false })]);
  expect(e.results[0].detail).toBe('Ready=Unknown (NodeStatusUnknown: Kubelet stopped posting node status.)');
  expect(e.rows[0]).toEqual({
    name: 'edge-1',
    ready: false,
    problems: ['NotReady'],
    schedulable: true,
    version: 'v1.32.5+k3s1',
  });
});
