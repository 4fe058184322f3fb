import { expect, test } from '@jest/globals';
import type { CheckResult } from '../../../actions/k3s-verify/src/checks/result.js';
import {
  collectDiagnostics,
  eventsFor,
  formatEvent,
  MAX_LOGS,
  planDiagnostics,
} from '../../../actions/k3s-verify/src/report/diagnostics.js';
import type { ClusterSnapshot, KubeEvent } from '../../../actions/k3s-verify/src/cluster/kube-types.js';
import type { KubeClient } from '../../../actions/k3s-verify/src/cluster/kubectl.js';
import * as o from '../../support/standins/kube-apiserver/objects.js';
import { HBBS_POD, rustdeskScenario } from '../../support/standins/kube-apiserver/scenarios.js';

function snapshot(opts = {}): ClusterSnapshot & { events: KubeEvent[] } {
  const s = rustdeskScenario(opts)(0);
  return {
    nodes: s.nodes,
    pods: s.pods,
    deployments: s.deployments,
    daemonsets: s.daemonsets,
    statefulsets: [],
    jobs: s.jobs,
    events: s.events,
  } as unknown as ClusterSnapshot & { events: KubeEvent[] };
}

const failing = (check: CheckResult['check'], object: string, reason: string, detail = ''): CheckResult => ({
  check,
  object,
  status: 'fail',
  reason,
  detail,
});

test('a crash-looping pod: its events and the previous run of the crashing container', () => {
  const snap = snapshot({ hbbsCrashLoop: true });
  const targets = planDiagnostics(
    [failing('pod', `pod/rustdesk/${HBBS_POD}`, 'CrashLoopBackOff', 'container hbbs: back-off')],
    snap,
  );
  expect(targets).toEqual([
    {
      object: `pod/rustdesk/${HBBS_POD}`,
      namespace: 'rustdesk',
      names: [HBBS_POD],
      logs: [{ namespace: 'rustdesk', pod: HBBS_POD, container: 'hbbs', previous: true }],
    },
  ]);
  expect(eventsFor(targets[0], snap.events)).toEqual([
    `2026-11-21T10:00:00Z Normal Scheduled Pod/${HBBS_POD}: Successfully assigned rustdesk/${HBBS_POD} to edge-1`,
    `2026-11-21T10:03:00Z Warning BackOff Pod/${HBBS_POD}: Back-off restarting failed container hbbs in pod hbbs (x7)`,
  ]);
});

test('a workload: events of it and its pods, logs of its not-ready containers', () => {
  const snap = snapshot({ hbbsReadyAfterMs: 60_000 });
  snap.pods.find((p) => p.metadata?.name === HBBS_POD)!.status!.containerStatuses![0].state = { running: {} };
  const [t] = planDiagnostics(
    [
      failing('workload', 'deployment/rustdesk/hbbs', 'unavailable'),
      failing('container', 'deployment/rustdesk/hbbs:hbbs', 'not-ready'),
    ],
    snap,
  );
  expect(t).toMatchObject({ object: 'deployment/rustdesk/hbbs', namespace: 'rustdesk', namePrefix: 'hbbs-' });
  expect(t.names).toEqual(['hbbs', HBBS_POD]);
  expect(t.logs).toEqual([{ namespace: 'rustdesk', pod: HBBS_POD, container: 'hbbs', previous: false }]);
});

test('a node: its events in the default namespace; ports: nothing', () => {
  const snap = snapshot({ nodeNotReady: true });
  const targets = planDiagnostics(
    [failing('node', 'node/edge-1', 'NotReady'), failing('port', '10.0.0.5:21116/tcp', 'refused')],
    snap,
  );
  expect(targets).toEqual([{ object: 'node/edge-1', namespace: 'default', names: ['edge-1'], logs: [] }]);
  expect(eventsFor(targets[0], snap.events)).toEqual([
    '2026-11-21T10:00:00Z Warning NodeNotReady Node/edge-1: Node edge-1 status is now: NodeNotReady',
  ]);
});

test('a container that never ran has no log to fetch', () => {
  const snap = snapshot();
  const p = o.pod('rustdesk', 'img-abcde', {
    containers: [{ name: 'app', ready: false, state: { waiting: 'ImagePullBackOff' } }],
  });
  snap.pods.push(p as never);
  expect(
    planDiagnostics(
      [failing('pod', 'pod/rustdesk/img-abcde', 'ImagePullBackOff', 'container app: x')],
      snap,
    )[0].logs,
  ).toEqual([]);
});

test('logs are capped over all targets', () => {
  const snap = snapshot();
  const results: CheckResult[] = [];
  for (let i = 0; i < 10; i++) {
    snap.pods.push(
      o.pod('rustdesk', `crash-${i}`, {
        containers: [{ name: 'app', ready: false, restarts: 2, state: { waiting: 'CrashLoopBackOff' } }],
      }) as never,
    );
    results.push(failing('pod', `pod/rustdesk/crash-${i}`, 'CrashLoopBackOff', 'container app: back-off'));
  }
  const targets = planDiagnostics(results, snap);
  expect(targets.reduce((n, t) => n + t.logs.length, 0)).toBe(MAX_LOGS);
});

test('events sort by time and keep the newest', () => {
  const e = (n: number): KubeEvent => ({
    involvedObject: { kind: 'Pod', name: 'p' },
    reason: `R${n}`,
    message: 'm',
    type: 'Warning',
    lastTimestamp: `2026-11-21T10:${String(n).padStart(2, '0')}:00Z`,
  });
  const out = eventsFor({ object: 'pod/x/p', namespace: 'x', names: ['p'], logs: [] }, [
    e(12),
    ...Array.from({ length: 12 }, (_, i) => e(i)),
  ]);
  expect(out).toHaveLength(10);
  expect(out[9]).toContain('R12');
  expect(
    formatEvent({
      reason: 'BackOff',
      eventTime: '2026-11-21T10:00:00.000000Z',
      involvedObject: { kind: 'Pod', name: 'p' },
      message: 'x',
      count: 1,
    }),
  ).toBe('2026-11-21T10:00:00.000000Z BackOff Pod/p: x');
});

test('collecting: one events list per namespace, one logs call per container, errors recorded', async () => {
  const snap = snapshot({ hbbsCrashLoop: true });
  const calls: string[] = [];
  const kube: KubeClient = {
    readyz: async () => undefined,
    list: async () => [],
    listResource: async () => ({ items: [] }),
    events: async (ns) => {
      calls.push(`events ${ns}`);
      if (ns === 'default') throw new Error('forbidden');
      return snap.events;
    },
    logs: async (ns, pod, container, previous) => {
      calls.push(`logs ${ns}/${pod}/${container} ${previous}`);
      return { lines: ['thread main panicked'] };
    },
  };
  const targets = planDiagnostics(
    [
      failing('pod', `pod/rustdesk/${HBBS_POD}`, 'CrashLoopBackOff', 'container hbbs: x'),
      failing('node', 'node/edge-1', 'NotReady'),
    ],
    snap,
  );
  const d = await collectDiagnostics(kube, targets, 5000);
  expect(calls.sort()).toEqual(['events default', 'events rustdesk', `logs rustdesk/${HBBS_POD}/hbbs true`]);
  expect(d[0].logs[0].lines).toEqual(['thread main panicked']);
  expect(d[0].events).toHaveLength(2);
  expect(d[1]).toEqual({ object: 'node/edge-1', events: [], eventsError: 'forbidden', logs: [] });
});
