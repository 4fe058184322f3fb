import { expect, test } from '@jest/globals';
import { evaluateContainers } from '../../../actions/k3s-verify/src/checks/containers.js';
import type { ContainerExpectation } from '../../../actions/k3s-verify/src/expect/expectations.js';
import type { ClusterSnapshot } from '../../../actions/k3s-verify/src/cluster/kube-types.js';
import { indexPods, restartKey, type RestartMemory } from '../../../actions/k3s-verify/src/checks/pods.js';
import * as o from '../../support/standins/kube-apiserver/objects.js';

function cluster(statuses: o.ContainerStatusOptions[][], template = ['hbbs']): ClusterSnapshot {
  const pods = statuses.map((containers, i) =>
    o.pod('rustdesk', `hbbs-5d4f8c7b9-${'abcde'[i]}xxxx`, {
      owner: { kind: 'ReplicaSet', name: 'hbbs-5d4f8c7b9' },
      templateHash: '5d4f8c7b9',
      containers,
    }),
  );
  return {
    nodes: [],
    pods: pods as never[],
    deployments: [
      o.deployment('rustdesk', 'hbbs', { containers: template.map((name) => ({ name })) }),
    ] as never[],
    daemonsets: [],
    persistentvolumeclaims: [],
    resources: {},
    statefulsets: [],
    jobs: [],
  };
}

const want = (containers: string[], kind?: 'deployment' | 'daemonset'): ContainerExpectation => ({
  ...(kind ? { kind } : {}),
  namespace: 'rustdesk',
  workload: 'hbbs',
  containers,
});

test.each([
  ['ready in every pod', [[{ name: 'hbbs' }], [{ name: 'hbbs' }]], ['hbbs'], 'pass', 'ready', '2/2'],
  [
    'not ready in one pod',
    [[{ name: 'hbbs' }], [{ name: 'hbbs', ready: false }]],
    ['hbbs'],
    'pending',
    'not-ready',
    '1/2',
  ],
  ['no pods yet', [], ['hbbs'], 'pending', 'no-pods', '0/0'],
  [
    'missing from the pod template fails at once',
    [[{ name: 'hbbs' }]],
    ['relay'],
    'fail',
    'not-in-template',
    '0/1',
  ],
  ['in the template but not started', [[{ name: 'hbbs' }]], ['sidecar'], 'pending', 'not-started', '0/1'],
] as const)('%s', (_name, statuses, names, status, reason, pods) => {
  const snap = cluster(
    statuses.map((s) => [...s]),
    (names as readonly string[]).includes('sidecar') ? ['hbbs', 'sidecar'] : ['hbbs'],
  );
  const [row] = evaluateContainers(want([...names]), snap, indexPods(snap.pods), new Map());
  expect([row.status, row.reason, row.pods]).toEqual([status, reason, pods]);
});

test('the missing-container detail lists what the template has', () => {
  const snap = cluster([[{ name: 'hbbs' }]]);
  const [row] = evaluateContainers(want(['relay']), snap, indexPods(snap.pods), new Map());
  expect(row.detail).toBe(
    "the pod template of deployment/rustdesk/hbbs has no container 'relay' (it has: hbbs)",
  );
});

test('a container that restarted since the previous poll is not yet stable', () => {
  const snap = cluster([[{ name: 'hbbs', restarts: 2 }]]);
  const pod = snap.pods[0];
  const memory: RestartMemory = new Map([[restartKey(pod, 'hbbs'), { first: 1, last: 1 }]]);
  const [row] = evaluateContainers(want(['hbbs']), snap, indexPods(snap.pods), memory);
  expect([row.status, row.reason, row.restarts]).toEqual(['pending', 'restarting', 2]);
  const [stable] = evaluateContainers(
    want(['hbbs']),
    snap,
    indexPods(snap.pods),
    new Map([[restartKey(pod, 'hbbs'), { first: 1, last: 2 }]]),
  );
  expect(stable.status).toBe('pass');
});

test('an unknown workload waits; a kind narrows the lookup', () => {
  const snap = cluster([[{ name: 'hbbs' }]]);
  const index = indexPods(snap.pods);
  expect(
    evaluateContainers({ ...want(['hbbs']), workload: 'nope' }, snap, index, new Map())[0],
  ).toMatchObject({
    status: 'pending',
    reason: 'not-found',
    workload: 'workload/rustdesk/nope',
  });
  expect(evaluateContainers(want(['hbbs'], 'daemonset'), snap, index, new Map())[0].reason).toBe('not-found');
  expect(evaluateContainers(want(['hbbs'], 'deployment'), snap, index, new Map())[0].status).toBe('pass');
});

test('one row per named container', () => {
  const snap = cluster([[{ name: 'hbbs' }, { name: 'sidecar', ready: false }]], ['hbbs', 'sidecar']);
  const rows = evaluateContainers(want(['hbbs', 'sidecar']), snap, indexPods(snap.pods), new Map());
  expect(rows.map((r) => [r.container, r.status])).toEqual([
    ['hbbs', 'pass'],
    ['sidecar', 'pending'],
  ]);
});
