import { describe, expect, test } from '@jest/globals';
import type { Pod } from '../../../actions/k3s-verify/src/cluster/kube-types.js';
import {
  indexPods,
  isLive,
  podProblems,
  podOwner,
  rememberRestarts,
  restartKey,
  type RestartMemory,
} from '../../../actions/k3s-verify/src/checks/pods.js';
import * as o from '../../support/standins/kube-apiserver/objects.js';

const pod = (name: string, opts: o.PodOptions, ns = 'rustdesk') => o.pod(ns, name, opts) as unknown as Pod;
const c = (extra: Partial<o.ContainerStatusOptions> = {}): o.ContainerStatusOptions => ({
  name: 'hbbs',
  ...extra,
});

describe('owner of a pod', () => {
  test.each([
    [
      'ReplicaSet with pod-template-hash',
      { owner: { kind: 'ReplicaSet', name: 'hbbs-5d4f8c7b9' }, templateHash: '5d4f8c7b9' },
      'deployment/rustdesk/hbbs',
    ],
    [
      'ReplicaSet of a dotted name',
      { owner: { kind: 'ReplicaSet', name: 'web.v2-abc12' }, templateHash: 'abc12' },
      'deployment/rustdesk/web.v2',
    ],
    [
      'ReplicaSet without the label',
      { owner: { kind: 'ReplicaSet', name: 'hbbs-5d4f8c7b9' } },
      'deployment/rustdesk/hbbs',
    ],
    [
      'DaemonSet',
      { owner: { kind: 'DaemonSet', name: 'svclb-traefik' } },
      'daemonset/rustdesk/svclb-traefik',
    ],
    ['StatefulSet', { owner: { kind: 'StatefulSet', name: 'db' } }, 'statefulset/rustdesk/db'],
    ['Job', { owner: { kind: 'Job', name: 'helm-install-traefik' } }, 'job/rustdesk/helm-install-traefik'],
    ['no owner', {}, undefined],
  ] as const)('%s', (_name, opts, want) => {
    expect(podOwner(pod('p-abcde', { containers: [c()], ...opts } as o.PodOptions))).toBe(want);
  });
});

test.each([
  [{ phase: 'Running' }, true],
  [{ phase: 'Pending' }, true],
  [{ phase: 'Succeeded' }, false],
  [{ phase: 'Failed' }, false],
  [{ phase: 'Running', deleting: true }, false],
] as const)('live %j → %s', (opts, want) => {
  expect(isLive(pod('p-abcde', { containers: [c()], ...opts }))).toBe(want);
});

test('the index is built in one pass and skips finished pods', () => {
  const pods = [
    pod('hbbs-5d4f8c7b9-aaaaa', {
      owner: { kind: 'ReplicaSet', name: 'hbbs-5d4f8c7b9' },
      templateHash: '5d4f8c7b9',
      containers: [c()],
    }),
    pod('hbbs-5d4f8c7b9-bbbbb', {
      owner: { kind: 'ReplicaSet', name: 'hbbs-5d4f8c7b9' },
      templateHash: '5d4f8c7b9',
      containers: [c()],
      phase: 'Failed',
    }),
    pod(
      'helm-install-x-ccccc',
      { owner: { kind: 'Job', name: 'helm-install-x' }, containers: [c()], phase: 'Succeeded' },
      'kube-system',
    ),
    pod('loose-ddddd', { containers: [c()] }),
  ];
  const index = indexPods(pods);
  expect(index.byOwner.get('deployment/rustdesk/hbbs')?.map((p) => p.metadata?.name)).toEqual([
    'hbbs-5d4f8c7b9-aaaaa',
  ]);
  expect(index.byNamespace.get('rustdesk')?.length).toBe(2);
  expect(index.byNamespace.get('kube-system')).toBeUndefined();
});

describe('pod failures', () => {
  const total = { maxRestarts: 3, count: 'total' } as const;
  const duringRun = { maxRestarts: 3, count: 'during-run' } as const;
  test.each([
    ['running, no restarts', [c()], total, []],
    [
      'CrashLoopBackOff fails at once',
      [
        c({
          ready: false,
          restarts: 1,
          state: { waiting: 'CrashLoopBackOff', message: 'back-off 10s' },
          lastTerminated: { reason: 'Error', exitCode: 101 },
        }),
      ],
      total,
      ['CrashLoopBackOff'],
    ],
    [
      'ImagePullBackOff',
      [c({ ready: false, state: { waiting: 'ImagePullBackOff' } })],
      total,
      ['ImagePullBackOff'],
    ],
    ['ErrImagePull', [c({ ready: false, state: { waiting: 'ErrImagePull' } })], total, ['ErrImagePull']],
    [
      'CreateContainerConfigError',
      [
        c({
          ready: false,
          state: { waiting: 'CreateContainerConfigError', message: 'secret "x" not found' },
        }),
      ],
      total,
      ['CreateContainerConfigError'],
    ],
    [
      'ContainerCreating is only waiting',
      [c({ ready: false, state: { waiting: 'ContainerCreating' } })],
      total,
      [],
    ],
    ['restarts at the limit', [c({ restarts: 3 })], total, []],
    ['restarts above the limit', [c({ restarts: 4 })], total, ['too-many-restarts']],
    [
      'two containers, one failing',
      [c(), c({ name: 'sidecar', ready: false, state: { waiting: 'ErrImagePull' } })],
      total,
      ['ErrImagePull'],
    ],
  ] as const)('%s', (_name, containers, rule, reasons) => {
    const p = pod('hbbs-5d4f8c7b9-aaaaa', { containers: [...containers] });
    expect(podProblems(p, rule, new Map()).map((r) => r.reason)).toEqual(reasons);
    expect(podProblems(p, rule, new Map()).every((r) => r.status === 'fail')).toBe(true);
  });

  test('kube-system counts only restarts seen during the run', () => {
    const p = pod(
      'coredns-7b98449c4-aaaaa',
      { containers: [c({ name: 'coredns', restarts: 12 })] },
      'kube-system',
    );
    const memory: RestartMemory = new Map([[restartKey(p, 'coredns'), { first: 12, last: 12 }]]);
    expect(podProblems(p, duringRun, memory)).toEqual([]);
    expect(podProblems(p, duringRun, new Map())).toEqual([]);
    const later = pod(
      'coredns-7b98449c4-aaaaa',
      { containers: [c({ name: 'coredns', restarts: 16 })] },
      'kube-system',
    );
    later.metadata!.uid = p.metadata!.uid;
    expect(podProblems(later, duringRun, memory).map((r) => r.detail)).toEqual([
      'container coredns restarted 4 times during this run (max-restarts 3)',
    ]);
  });

  test('the detail names the container, the waiting message and the last exit', () => {
    const p = pod('hbbs-5d4f8c7b9-aaaaa', {
      containers: [
        c({
          ready: false,
          restarts: 5,
          state: { waiting: 'CrashLoopBackOff', message: 'back-off 40s' },
          lastTerminated: { reason: 'Error', exitCode: 101 },
        }),
      ],
    });
    expect(podProblems(p, total, new Map())[0]).toEqual({
      check: 'pod',
      object: 'pod/rustdesk/hbbs-5d4f8c7b9-aaaaa',
      status: 'fail',
      reason: 'CrashLoopBackOff',
      detail: 'container hbbs: back-off 40s; last exit 101 (Error), 5 restarts',
    });
  });
});

test('restart memory keeps the first count and forgets pods that are gone', () => {
  const p1 = pod('a-aaaaa', { containers: [c({ restarts: 1 })] });
  const m1 = rememberRestarts(new Map(), [p1]);
  const p1later = pod('a-aaaaa', { containers: [c({ restarts: 2 })] });
  p1later.metadata!.uid = p1.metadata!.uid;
  const m2 = rememberRestarts(m1, [p1later]);
  expect(m2.get(restartKey(p1, 'hbbs'))).toEqual({ first: 1, last: 2 });
  expect(rememberRestarts(m2, []).size).toBe(0);
});
