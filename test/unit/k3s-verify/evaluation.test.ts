import { describe, expect, test } from '@jest/globals';
import { evaluate } from '../../../actions/k3s-verify/src/checks/evaluation.js';
import type { Expectations } from '../../../actions/k3s-verify/src/expect/expectations.js';
import { rolloutHazards } from '../../../actions/k3s-verify/src/checks/hazards.js';
import type {
  ClusterSnapshot,
  DaemonSet,
  Deployment,
} from '../../../actions/k3s-verify/src/cluster/kube-types.js';
import type { PortProbe } from '../../../actions/k3s-verify/src/checks/ports.js';
import * as o from '../../support/standins/kube-apiserver/objects.js';
import { expectations, snapshotOf } from './fixtures.js';
import {
  HBBS_POD,
  rustdeskScenario,
  type RustdeskOptions,
} from '../../support/standins/kube-apiserver/scenarios.js';

function snapshot(opts: RustdeskOptions = {}, at = 60_000): ClusterSnapshot {
  return snapshotOf(rustdeskScenario(opts)(at));
}

const rustdesk: Expectations = expectations({
  nodes: { count: 1 },
  workloads: [
    { kind: 'deployment', namespace: 'rustdesk', name: 'hbbs' },
    { kind: 'deployment', namespace: 'rustdesk', name: 'hbbr' },
  ],
  containers: [{ namespace: 'rustdesk', workload: 'hbbs', containers: ['hbbs'] }],
  ports: [],
  systemComponents: true,
  maxRestarts: 3,
});

const open = (e: ReturnType<typeof evaluate>) =>
  e.results.filter((r) => r.status !== 'pass').map((r) => `${r.status} ${r.object} ${r.reason}`);

describe('the proof workload', () => {
  test.each([
    ['healthy', {}, 'pass', []],
    [
      'hbbs still rolling out',
      { hbbsReadyAfterMs: 120_000 },
      'pending',
      [
        'pending deployment/rustdesk/hbbs rollout-incomplete',
        'pending deployment/rustdesk/hbbs:hbbs not-ready',
      ],
    ],
    [
      'hbbs crash-looping fails',
      { hbbsCrashLoop: true },
      'fail',
      [
        'pending deployment/rustdesk/hbbs unavailable',
        'pending deployment/rustdesk/hbbs:hbbs not-ready',
        `fail pod/rustdesk/${HBBS_POD} CrashLoopBackOff`,
      ],
    ],
    ['node NotReady waits', { nodeNotReady: true }, 'pending', ['pending node/edge-1 NotReady']],
    [
      'too many restarts fail',
      { hbbsRestarts: () => 4 },
      'fail',
      [`fail pod/rustdesk/${HBBS_POD} too-many-restarts`],
    ],
    [
      'a named container the template lacks fails',
      { hbbsContainers: ['rendezvous'] },
      'fail',
      ['fail deployment/rustdesk/hbbs:hbbs not-in-template'],
    ],
  ] as const)('%s', (_name, opts, status, results) => {
    const e = evaluate(snapshot(opts as RustdeskOptions), rustdesk, new Map());
    expect(open(e)).toEqual(results);
    expect(e.status).toBe(status);
  });

  test('a declared workload that wants no pods is not running (kube-system ones may)', () => {
    const snap = snapshot();
    const hbbr = snap.deployments.find((d) => d.metadata?.name === 'hbbr')!;
    hbbr.spec!.replicas = 0;
    hbbr.status = { ...hbbr.status, replicas: 0, updatedReplicas: 0, availableReplicas: 0 };
    const svclb = snap.daemonsets[0];
    svclb.status = {
      ...svclb.status,
      desiredNumberScheduled: 0,
      updatedNumberScheduled: 0,
      numberAvailable: 0,
    };
    expect(open(evaluate(snap, rustdesk, new Map()))).toEqual([
      'pending deployment/rustdesk/hbbr no-replicas',
    ]);
  });

  test('rows for the summary', () => {
    const e = evaluate(snapshot(), rustdesk, new Map());
    expect(e.nodesReady).toBe('1/1');
    expect(e.workloads.map((w) => [w.object, w.desired, w.updated, w.available])).toEqual([
      ['deployment/rustdesk/hbbs', 1, 1, 1],
      ['deployment/rustdesk/hbbr', 1, 1, 1],
    ]);
    expect(e.system.map((w) => w.object)).toEqual([
      'deployment/kube-system/coredns',
      'deployment/kube-system/local-path-provisioner',
      'deployment/kube-system/metrics-server',
      'deployment/kube-system/traefik',
      'daemonset/kube-system/svclb-traefik-1c0a6f3e',
      'job/kube-system/helm-install-traefik-crd',
      'job/kube-system/helm-install-traefik',
    ]);
    expect(e.containers).toEqual([
      expect.objectContaining({
        workload: 'deployment/rustdesk/hbbs',
        container: 'hbbs',
        pods: '1/1',
        status: 'pass',
      }),
    ]);
  });

  test('system components off: kube-system is not looked at', () => {
    const snap = snapshot();
    (snap.jobs[0] as unknown as Record<string, unknown>).status = o.job('kube-system', 'x', {
      failed: true,
    }).status;
    expect(evaluate(snap, rustdesk, new Map()).status).toBe('fail');
    const off = evaluate(snap, { ...rustdesk, systemComponents: false }, new Map());
    expect(off.status).toBe('pass');
    expect(off.system).toEqual([]);
  });

  test('a crash-looping add-on fails; an old add-on restart history does not', () => {
    const snap = snapshot();
    const coredns = snap.pods.find((p) => p.metadata?.name?.startsWith('coredns'))!;
    coredns.status!.containerStatuses![0].restartCount = 9;
    const first = evaluate(snap, rustdesk, new Map());
    expect(first.status).toBe('pass');
    coredns.status!.containerStatuses![0].restartCount = 13;
    expect(open(evaluate(snap, rustdesk, first.memory))).toEqual([
      `fail pod/kube-system/${coredns.metadata!.name} too-many-restarts`,
    ]);
    coredns.status!.containerStatuses![0].state = { waiting: { reason: 'CrashLoopBackOff' } };
    expect(open(evaluate(snap, rustdesk, first.memory))[0]).toMatch(/CrashLoopBackOff$/);
  });

  test('ports: open and sent pass, refused waits', () => {
    const probes: PortProbe[] = [
      {
        target: { host: '10.0.0.5', port: 21117, protocol: 'tcp' },
        state: 'open',
        detail: 'TCP connect succeeded',
      },
      { target: { host: '10.0.0.5', port: 21116, protocol: 'udp' }, state: 'sent', detail: 'datagram sent' },
      {
        target: { host: '10.0.0.5', port: 21115, protocol: 'tcp' },
        state: 'refused',
        detail: 'ECONNREFUSED',
      },
    ];
    const e = evaluate(snapshot(), rustdesk, new Map(), probes);
    expect(open(e)).toEqual(['pending 10.0.0.5:21115/tcp refused']);
    expect(e.ports.map((p) => [p.target, p.status, p.state])).toEqual([
      ['10.0.0.5:21117/tcp', 'pass', 'open'],
      ['10.0.0.5:21116/udp', 'pass', 'sent'],
      ['10.0.0.5:21115/tcp', 'pending', 'refused'],
    ]);
  });
});

describe('large clusters', () => {
  test('5,000 pods: the same verdict, results only for what is declared', () => {
    const small = evaluate(snapshot(), rustdesk, new Map());
    const big = evaluate(snapshot({ fillerPods: 5000 }), rustdesk, new Map());
    expect(big.status).toBe('pass');
    expect(big.results.length).toBe(small.results.length);
    // Memory only tracks the watched pods (declared workloads and kube-system), not the whole cluster.
    expect(big.memory.size).toBe(small.memory.size);
  });
});

describe('hostNetwork rollout hazard on one node', () => {
  const dep = (opts: Partial<o.DeploymentOptions>) =>
    o.deployment('rustdesk', 'hbbs', { containers: [{ name: 'hbbs' }], ...opts }) as unknown as Deployment;
  const snap = (deployments: Deployment[], daemonsets: DaemonSet[] = []): ClusterSnapshot => ({
    nodes: [],
    pods: [],
    deployments,
    daemonsets,
    statefulsets: [],
    jobs: [],
    persistentvolumeclaims: [],
    resources: {},
  });
  test.each([
    ['hostNetwork + RollingUpdate (default surge)', dep({ hostNetwork: true }), 1, 1],
    ['hostNetwork + Recreate', dep({ hostNetwork: true, strategy: 'Recreate' }), 1, 0],
    ['hostNetwork + RollingUpdate maxSurge 0', dep({ hostNetwork: true, maxSurge: 0 }), 1, 0],
    ['hostNetwork on two nodes', dep({ hostNetwork: true }), 2, 0],
    ['no hostNetwork', dep({}), 1, 0],
  ] as const)('%s', (_name, d, nodes, warnings) => {
    expect(rolloutHazards(snap([d]), nodes)).toHaveLength(warnings);
  });

  test('the warning names the workload and the fix', () => {
    expect(rolloutHazards(snap([dep({ hostNetwork: true })]), 1)).toEqual([
      expect.stringMatching(
        /^deployment\/rustdesk\/hbbs uses hostNetwork with a RollingUpdate strategy .* Set spec\.strategy\.type: Recreate\.$/,
      ),
    ]);
  });

  test('hostPort counts too; a DaemonSet only with a surge', () => {
    const hostPort = dep({});
    hostPort.spec!.template!.spec!.containers![0].ports = [{ containerPort: 21116, hostPort: 21116 }];
    expect(rolloutHazards(snap([hostPort]), 1)[0]).toContain('uses hostPort');
    const ds = (maxSurge: number) =>
      o.daemonSet('rustdesk', 'hbbr', {
        containers: [{ name: 'hbbr' }],
        hostNetwork: true,
        maxSurge,
      }) as unknown as DaemonSet;
    expect(rolloutHazards(snap([], [ds(0)]), 1)).toEqual([]);
    expect(rolloutHazards(snap([], [ds(1)]), 1)[0]).toContain('Set rollingUpdate.maxSurge: 0.');
  });
});
