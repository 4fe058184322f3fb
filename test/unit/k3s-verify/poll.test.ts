import { describe, expect, test } from '@jest/globals';
import type { Expectations } from '../../../actions/k3s-verify/src/expect/expectations.js';
import {
  DeadlineError,
  KubectlError,
  type ApiProblem,
  type KubeClient,
  type ListKind,
} from '../../../actions/k3s-verify/src/cluster/kubectl.js';
import {
  kindsNeeded,
  pollChecks,
  waitForApi,
  type PollDeps,
} from '../../../actions/k3s-verify/src/polling/poll.js';
import type { PortProbe } from '../../../actions/k3s-verify/src/checks/ports.js';
import { rustdeskScenario, type RustdeskOptions } from '../../support/standins/kube-apiserver/scenarios.js';
import type { Scenario } from '../../support/standins/kube-apiserver/server.js';
import { expectations, snapshotOf } from './fixtures.js';

const base: Expectations = expectations({
  workloads: [{ kind: 'deployment', namespace: 'rustdesk', name: 'hbbs' }],
  containers: [{ namespace: 'rustdesk', workload: 'hbbs', containers: ['hbbs'] }],
  ports: [],
  systemComponents: true,
  maxRestarts: 3,
});

interface Harness {
  deps: PollDeps;
  lists: ListKind[][];
  logs: string[];
  warnings: string[];
  clock: () => number;
}

/** A fake cluster on a fake clock: every list answers from the scenario at the current time. */
function harness(
  scenario: Scenario,
  o: {
    failures?: (poll: number) => ApiProblem | undefined;
    readyz?: (t: number) => ApiProblem | undefined;
    probe?: PortProbe['state'];
  } = {},
): Harness {
  let now = 0;
  let poll = 0;
  const lists: ListKind[][] = [];
  const logs: string[] = [];
  const warnings: string[] = [];
  let current: ListKind[] = [];
  const kube: KubeClient = {
    readyz: async () => o.readyz?.(now),
    list: async <T>(kind: ListKind) => {
      if (kind === 'nodes') {
        poll++;
        lists.push((current = []));
      }
      current.push(kind);
      const problem = o.failures?.(poll);
      if (problem) throw new KubectlError(problem);
      return (snapshotOf(scenario(now))[kind] ?? []) as T[];
    },
    listResource: async (resource) => snapshotOf(scenario(now), []).resources[resource] ?? { items: [] },
    events: async () => [],
    logs: async () => ({ lines: [] }),
  };
  return {
    deps: {
      kube,
      probePort: async (target) => ({ target, state: o.probe ?? 'open', detail: '' }),
      now: () => now,
      sleep: async (ms) => {
        now += ms;
      },
      info: (l) => logs.push(l),
      warn: (w) => warnings.push(w),
    },
    lists,
    logs,
    warnings,
    clock: () => now,
  };
}

const settings = { intervalMs: 1000, deadline: 10_000 };
const run = (opts: RustdeskOptions, e = base, h = harness(rustdeskScenario(opts))) =>
  pollChecks(h.deps, e, settings).then((r) => ({ r, h }));

describe('polling', () => {
  test('waits for a rollout that completes after a few seconds', async () => {
    const { r, h } = await run({ hbbsReadyAfterMs: 3000 });
    // Ready from the fourth poll (t = 3s), confirmed by the fifth.
    expect(r.kind).toBe('ready');
    expect(r.polls).toBe(5);
    expect(h.logs.filter((l) => l.startsWith('poll '))).toHaveLength(5);
    expect(h.logs).toContain('All checks pass; confirming at the next poll.');
  });

  test('fails fast on CrashLoopBackOff at the first poll', async () => {
    const { r, h } = await run({ hbbsCrashLoop: true });
    expect(r.kind).toBe('failed');
    expect(r.polls).toBe(1);
    expect(h.clock()).toBe(0);
  });

  test('a node that stays NotReady ends at the deadline', async () => {
    const { r, h } = await run({ nodeNotReady: true });
    expect(r.kind).toBe('timeout');
    expect(h.clock()).toBe(settings.deadline);
    expect(r.polls).toBe(11);
    expect(r.evaluation?.results.find((x) => x.status !== 'pass')).toMatchObject({
      object: 'node/edge-1',
      reason: 'NotReady',
    });
  });

  test('growing restarts fail once above max-restarts', async () => {
    const { r } = await run({ hbbsRestarts: (t) => Math.floor(t / 1000) });
    expect(r.kind).toBe('failed');
    expect(r.polls).toBe(5);
    expect(r.evaluation?.results.filter((x) => x.status === 'fail').map((x) => x.reason)).toEqual([
      'too-many-restarts',
    ]);
  });

  test('one list per kind and poll, whatever the cluster size', async () => {
    const small = await run({ hbbsReadyAfterMs: 2000 });
    const big = await run({ hbbsReadyAfterMs: 2000, fillerPods: 5000 });
    expect(big.h.lists).toEqual(small.h.lists);
    for (const kinds of big.h.lists)
      expect(kinds.sort()).toEqual([
        'daemonsets',
        'deployments',
        'jobs',
        'nodes',
        'persistentvolumeclaims',
        'pods',
        'statefulsets',
      ]);
  });

  test('the hostNetwork hazard is warned once', async () => {
    const { h } = await run({ hbbsReadyAfterMs: 3000 });
    expect(h.warnings).toHaveLength(1);
    expect(h.warnings[0]).toContain('deployment/rustdesk/hbbs uses hostNetwork');
    const recreate = await run({ hbbsReadyAfterMs: 3000, hbbsStrategy: 'Recreate' });
    expect(recreate.h.warnings).toEqual([]);
  });

  test('a transient API loss costs a poll; a final one ends the run', async () => {
    const flaky = harness(rustdeskScenario(), {
      failures: (p) => (p === 1 ? { kind: 'unreachable', detail: 'refused' } : undefined),
    });
    const r1 = await pollChecks(flaky.deps, base, settings);
    expect([r1.kind, r1.polls]).toEqual(['ready', 3]);
    const denied = harness(rustdeskScenario(), {
      failures: () => ({ kind: 'forbidden', detail: 'pods is forbidden' }),
    });
    const r2 = await pollChecks(denied.deps, base, settings);
    expect(r2).toMatchObject({ kind: 'api-lost', polls: 1, problem: { kind: 'forbidden' } });
    const gone = harness(rustdeskScenario(), {
      failures: () => ({ kind: 'unreachable', detail: 'refused' }),
    });
    expect(await pollChecks(gone.deps, base, settings)).toMatchObject({
      kind: 'api-lost',
      problem: { kind: 'unreachable' },
    });
  });

  test('ports are probed every poll until they answer', async () => {
    const h = harness(rustdeskScenario(), { probe: 'refused' });
    const r = await pollChecks(
      h.deps,
      { ...base, ports: [{ host: '127.0.0.1', port: 21117, protocol: 'tcp' }] },
      settings,
    );
    expect(r.kind).toBe('timeout');
    expect(r.evaluation?.ports).toEqual([
      { target: '127.0.0.1:21117/tcp', status: 'pending', state: 'refused', detail: '' },
    ]);
  });
});

describe('the deadline stops a kubectl that is still running', () => {
  /** A list that only ends when its abort signal fires, as runTool does when it kills the tool. */
  const hanging = (abort?: AbortSignal) =>
    new Promise<never>((_, reject) => abort?.addEventListener('abort', () => reject(new DeadlineError())));

  test('a list still running at the deadline ends the run as a timeout, not as an API problem', async () => {
    const h = harness(rustdeskScenario());
    const list = h.deps.kube.list;
    h.deps.kube.list = async <T>(kind: ListKind, timeoutMs: number, abort?: AbortSignal) =>
      kind === 'pods' ? hanging(abort) : list<T>(kind, timeoutMs, abort);
    const r = await pollChecks(h.deps, base, { intervalMs: 100, deadline: 300 });
    expect(r).toEqual({ kind: 'timeout', polls: 1 });
    expect(h.logs).toContain('poll 1: kubectl had not finished at the deadline and was stopped.');
  });

  test('/readyz that never answers is unreachable at the deadline', async () => {
    const h = harness(rustdeskScenario());
    const detail = 'no answer from /readyz before the deadline';
    h.deps.kube.readyz = (_t, abort) =>
      new Promise((resolve) =>
        abort?.addEventListener('abort', () => resolve({ kind: 'unreachable', detail, atDeadline: true })),
      );
    expect(await waitForApi(h.deps, { intervalMs: 100, deadline: 300 })).toEqual({
      kind: 'unreachable',
      detail,
      atDeadline: true,
    });
  });

  test('a /readyz cut off by the deadline keeps what the API said before', async () => {
    const h = harness(rustdeskScenario(), { readyz: () => ({ kind: 'unreachable', detail: 'was refused' }) });
    const readyz = h.deps.kube.readyz;
    let calls = 0;
    h.deps.kube.readyz = async (t, abort) =>
      ++calls === 1 ? readyz(t, abort) : { kind: 'unreachable', detail: 'no answer', atDeadline: true };
    expect(await waitForApi(h.deps, settings)).toEqual({ kind: 'unreachable', detail: 'was refused' });
    expect(calls).toBe(2);
  });
});

describe('waiting for /readyz', () => {
  test('ready at once', async () => {
    expect(await waitForApi(harness(rustdeskScenario()).deps, settings)).toBeUndefined();
  });
  test('not ready for a while, then ready', async () => {
    const h = harness(rustdeskScenario(), {
      readyz: (t) => (t < 3000 ? { kind: 'not-ready', detail: '[-]etcd failed' } : undefined),
    });
    expect(await waitForApi(h.deps, settings)).toBeUndefined();
    expect(h.clock()).toBe(3000);
  });
  test('unreachable until the deadline', async () => {
    const h = harness(rustdeskScenario(), { readyz: () => ({ kind: 'unreachable', detail: 'refused' }) });
    expect(await waitForApi(h.deps, settings)).toEqual({ kind: 'unreachable', detail: 'refused' });
    expect(h.clock()).toBe(settings.deadline);
  });
  test('bad credentials end at once', async () => {
    const h = harness(rustdeskScenario(), {
      readyz: () => ({ kind: 'unauthorized', detail: 'Unauthorized' }),
    });
    expect(await waitForApi(h.deps, settings)).toMatchObject({ kind: 'unauthorized' });
    expect(h.clock()).toBe(0);
  });
});

test.each([
  [
    { ...base, systemComponents: false, containers: [] },
    ['nodes', 'deployments', 'persistentvolumeclaims', 'pods'],
  ],
  [
    { ...base, systemComponents: false, containers: [], mountedVolumes: false },
    ['nodes', 'deployments', 'pods'],
  ],
  [{ ...base, systemComponents: false, workloads: [], containers: [] }, ['nodes']],
  [
    {
      ...base,
      systemComponents: false,
      workloads: [],
      containers: [],
      volumes: [{ namespace: 'rustdesk', claim: 'data' }],
    },
    ['nodes', 'persistentvolumeclaims', 'pods'],
  ],
  [
    {
      ...base,
      systemComponents: false,
      workloads: [{ kind: 'statefulset', namespace: 'db', name: 'pg' }],
      containers: [],
    },
    ['nodes', 'statefulsets', 'persistentvolumeclaims', 'pods'],
  ],
  [base, ['nodes', 'deployments', 'daemonsets', 'statefulsets', 'jobs', 'persistentvolumeclaims', 'pods']],
] as const)('kinds needed %#', (e, want) => {
  expect(kindsNeeded(e as Expectations)).toEqual(want);
});

describe('storage details', () => {
  test('storage classes and claim events are read only in polls where a checked claim is Pending', async () => {
    const { r, h } = await run({
      hbbsClaim: {
        storageClass: 'longhorn',
        phase: (t) => (t < 2000 ? 'Pending' : 'Bound'),
        event: { reason: 'ExternalProvisioning', type: 'Normal', message: 'waiting for driver.longhorn.io' },
      },
    });
    expect(r.kind).toBe('ready');
    const details = h.lists.map((kinds) =>
      kinds.filter((k) => k === 'storageclasses' || k === 'claimEvents'),
    );
    expect(details).toEqual([['storageclasses', 'claimEvents'], ['storageclasses', 'claimEvents'], [], []]);
    // Each kind at most once per poll, whatever the poll needed.
    for (const kinds of h.lists) expect(new Set(kinds).size).toBe(kinds.length);
  });
});
