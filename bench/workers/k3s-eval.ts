/**
 * k3s-verify's per-poll cost from recorded API responses, in one process (bundled into bench/workers/index.ts
 * by the benchmark). For each cluster size it builds the `kubectl get
 * <kind> -A -o json` responses a K3s cluster of that many pods returns, then:
 *  - evaluate: the pure evaluation of one poll (`evaluate()` on the parsed snapshot), timed;
 *  - poll: the real polling loop (`pollChecks`) over the real kubectl client (`createKubectl`) whose tool
 *    runner is replaced by one replaying the recorded responses (so JSON parsing is included), timed
 *    per poll and counting the kubectl calls (= API requests, chunking off) per poll. The recorded
 *    deployments are mid-rollout for two polls and complete on the third.
 * Sizes are interleaved round by round after a warm-up; the first (cold) evaluation is reported too.
 *   k3s-eval <sizes comma-separated> <rounds> <warmup rounds>   → JSON on stdout
 *   k3s-eval storage …   volumes and conditions (k3s-storage.ts)
 */
import { performance } from 'node:perf_hooks';
import { evaluate } from '../../actions/k3s-verify/src/checks/evaluation.js';
import type { Expectations } from '../../actions/k3s-verify/src/expect/expectations.js';
import type {
  ClusterSnapshot,
  DaemonSet,
  Deployment,
  Job,
  Node,
  Pod,
} from '../../actions/k3s-verify/src/cluster/kube-types.js';
import { createKubectl, type ListKind } from '../../actions/k3s-verify/src/cluster/kubectl.js';
import { pollChecks } from '../../actions/k3s-verify/src/polling/poll.js';
import type { ToolOptions, ToolResult } from '../../shared/tool.js';
import { main as storage } from './k3s-storage.js';

const REPLICAS = 10;
const NAMESPACES = 10;

interface Cluster {
  pods: number;
  nodes: number;
  deployments: number;
  /** Recorded responses per kind; deployments has [rolling, rolling, complete]. */
  responses: Record<ListKind, string[]>;
  expectations: Expectations;
  snapshot: ClusterSnapshot;
}

const ready = [
  { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
];

function node(i: number): Node {
  return {
    metadata: { name: `edge-${i}`, uid: `node-uid-${i}`, labels: { 'kubernetes.io/hostname': `edge-${i}` } },
    spec: {},
    status: {
      conditions: [
        { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory' },
        { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure' },
        { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID' },
        ...ready,
      ],
      nodeInfo: { kubeletVersion: 'v1.31.4+k3s1' },
    },
  };
}

function pod(
  ns: string,
  name: string,
  owner: { kind: string; name: string },
  nodeName: string,
  hash?: string,
): Pod {
  const containers = ['app', 'sidecar'];
  return {
    metadata: {
      name,
      namespace: ns,
      uid: `uid-${ns}-${name}`,
      labels: { app: owner.name, ...(hash ? { 'pod-template-hash': hash } : {}) },
      ownerReferences: [{ kind: owner.kind, name: owner.name, controller: true }],
    },
    spec: {
      nodeName,
      containers: containers.map((c) => ({ name: c, ports: [{ containerPort: 8080, protocol: 'TCP' }] })),
    },
    status: {
      phase: 'Running',
      conditions: [
        { type: 'Ready', status: 'True' },
        { type: 'ContainersReady', status: 'True' },
      ],
      containerStatuses: containers.map((c) => ({
        name: c,
        ready: true,
        restartCount: 0,
        state: { running: { startedAt: '2026-11-21T10:00:00Z' } },
      })),
    },
  };
}

function deployment(ns: string, name: string, replicas: number, updated: number): Deployment {
  return {
    metadata: {
      name,
      namespace: ns,
      uid: `dep-${ns}-${name}`,
      generation: 2,
      annotations: { 'deployment.kubernetes.io/revision': '2' },
    },
    spec: {
      replicas,
      template: { spec: { containers: [{ name: 'app' }, { name: 'sidecar' }] } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
    },
    status: {
      observedGeneration: 2,
      replicas,
      updatedReplicas: updated,
      readyReplicas: replicas,
      availableReplicas: replicas,
      conditions: [
        { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' },
        {
          type: 'Progressing',
          status: 'True',
          reason: updated < replicas ? 'ReplicaSetUpdated' : 'NewReplicaSetAvailable',
        },
      ],
    },
  };
}

const list = (kind: string, items: unknown[]) =>
  JSON.stringify({ apiVersion: 'v1', kind, items, metadata: { resourceVersion: '1' } });

function cluster(podCount: number): Cluster {
  const nodes = Array.from({ length: Math.max(1, Math.ceil(podCount / 100)) }, (_, i) => node(i));
  const pods: Pod[] = [];
  const on = (i: number) => nodes[i % nodes.length].metadata!.name!;
  // K3s' own add-ons in kube-system.
  const system: Deployment[] = ['coredns', 'traefik', 'local-path-provisioner', 'metrics-server'].map((n) =>
    deployment('kube-system', n, 1, 1),
  );
  system.forEach((d, i) =>
    pods.push(
      pod(
        'kube-system',
        `${d.metadata!.name}-5d8f9c7b4-x${i}`,
        { kind: 'ReplicaSet', name: `${d.metadata!.name}-5d8f9c7b4` },
        on(i),
        '5d8f9c7b4',
      ),
    ),
  );
  const svclb: DaemonSet = {
    metadata: { name: 'svclb-traefik', namespace: 'kube-system', generation: 1 },
    spec: {
      template: { spec: { containers: [{ name: 'lb-tcp-80' }] } },
      updateStrategy: { type: 'RollingUpdate' },
    },
    status: {
      observedGeneration: 1,
      desiredNumberScheduled: nodes.length,
      currentNumberScheduled: nodes.length,
      updatedNumberScheduled: nodes.length,
      numberReady: nodes.length,
      numberAvailable: nodes.length,
    },
  };
  nodes.forEach((n, i) =>
    pods.push(
      pod(
        'kube-system',
        `svclb-traefik-${i}`,
        { kind: 'DaemonSet', name: 'svclb-traefik' },
        n.metadata!.name!,
      ),
    ),
  );
  const jobs: Job[] = ['helm-install-traefik', 'helm-install-traefik-crd'].map((n) => ({
    metadata: { name: n, namespace: 'kube-system' },
    status: { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] },
  }));
  // The workloads: deployments of 10 replicas spread over namespaces, until the pod count is reached.
  const apps: Array<{ ns: string; name: string }> = [];
  for (let d = 0; pods.length < podCount; d++) {
    const ns = `apps-${d % NAMESPACES}`;
    const name = `svc-${d}`;
    apps.push({ ns, name });
    const hash = (0x10000000 + d * 7919).toString(16);
    for (let r = 0; r < REPLICAS && pods.length < podCount; r++)
      pods.push(
        pod(
          ns,
          `${name}-${hash}-${r.toString(36)}x`,
          { kind: 'ReplicaSet', name: `${name}-${hash}` },
          on(pods.length),
          hash,
        ),
      );
  }
  const depsWith = (updated: (i: number) => number) => [
    ...system,
    ...apps.map((a, i) => deployment(a.ns, a.name, REPLICAS, updated(i))),
  ];
  const complete = depsWith(() => REPLICAS);
  // Mid-rollout: the first declared deployment has 7 of 10 replicas updated.
  const rolling = depsWith((i) => (i === 0 ? 7 : REPLICAS));
  const expectations: Expectations = {
    nodes: { count: nodes.length },
    // Worst case: every application deployment is declared, so every pod is watched.
    workloads: apps.map((a) => ({ kind: 'deployment', namespace: a.ns, name: a.name })),
    containers: apps.slice(0, 10).map((a) => ({
      kind: 'deployment',
      namespace: a.ns,
      workload: a.name,
      containers: ['app', 'sidecar'],
    })),
    ports: [],
    systemComponents: true,
    maxRestarts: 0,
    volumes: [],
    mountedVolumes: true,
    conditions: [],
    after: {},
  };
  const responses: Record<ListKind, string[]> = {
    nodes: [list('NodeList', nodes)],
    pods: [list('PodList', pods)],
    deployments: [
      list('DeploymentList', rolling),
      list('DeploymentList', rolling),
      list('DeploymentList', complete),
    ],
    daemonsets: [list('DaemonSetList', [svclb])],
    statefulsets: [list('StatefulSetList', [])],
    jobs: [list('JobList', jobs)],
    persistentvolumeclaims: [list('PersistentVolumeClaimList', [])],
    storageclasses: [list('StorageClassList', [])],
    claimEvents: [list('EventList', [])],
  };
  const snapshot: ClusterSnapshot = {
    nodes,
    pods,
    deployments: complete,
    daemonsets: [svclb],
    statefulsets: [],
    jobs,
    persistentvolumeclaims: [],
    resources: {},
  };
  return {
    pods: pods.length,
    nodes: nodes.length,
    deployments: complete.length,
    responses,
    expectations,
    snapshot,
  };
}

/** One full polling run over the recorded responses; returns time per poll and requests per poll. */
async function pollRun(
  c: Cluster,
): Promise<{ msPerPoll: number; polls: number; requests: number; status: string }> {
  const calls: Record<string, number> = {};
  let requests = 0;
  const tool = async (opts: ToolOptions): Promise<ToolResult> => {
    requests++;
    const kind = opts.args[opts.args.indexOf('get') + 1] as ListKind;
    const recorded = c.responses[kind];
    const n = (calls[kind] = (calls[kind] ?? 0) + 1);
    const stdout = recorded ? recorded[Math.min(n, recorded.length) - 1] : 'ok';
    return {
      argv: [opts.bin, ...opts.args],
      exitCode: 0,
      signal: null,
      stdout,
      stderr: '',
      durationMs: 0,
      timedOut: false,
      aborted: false,
      cancelled: false,
    };
  };
  const kube = createKubectl({ bin: 'kubectl', kubeconfig: '/dev/null', cacheDir: '/tmp' }, tool);
  let clock = 0;
  const started = performance.now();
  const outcome = await pollChecks(
    {
      kube,
      probePort: async () => {
        throw new Error('no ports declared');
      },
      now: () => clock,
      sleep: async (ms) => {
        clock += ms;
      },
      info: () => undefined,
      warn: () => undefined,
    },
    c.expectations,
    { intervalMs: 5000, deadline: 600_000 },
  );
  const ms = performance.now() - started;
  return { msPerPoll: ms / outcome.polls, polls: outcome.polls, requests, status: outcome.kind };
}

function evalOnce(c: Cluster): { ms: number; status: string; results: number } {
  const started = performance.now();
  const e = evaluate(c.snapshot, c.expectations, new Map());
  return { ms: performance.now() - started, status: e.status, results: e.results.length };
}

export async function main(args: string[]): Promise<void> {
  // `k3s-eval storage …`: requests per poll with volumes and conditions (k3s-storage.ts).
  if (args[0] === 'storage') return storage(args.slice(1));
  const [sizesArg, roundsArg, warmupArg] = args;
  const sizes = sizesArg.split(',').map(Number);
  const rounds = Number(roundsArg);
  const warmup = Number(warmupArg);
  const clusters = sizes.map(cluster);
  const out = clusters.map((c) => ({
    pods: c.pods,
    nodes: c.nodes,
    deployments: c.deployments,
    responseBytes: Object.values(c.responses).reduce((n, r) => n + Buffer.byteLength(r[r.length - 1]), 0),
    coldEvalMs: 0,
    evalMs: [] as number[],
    pollMs: [] as number[],
    polls: 0,
    requestsPerPoll: [] as number[],
    status: '',
    checks: 0,
  }));
  // The very first evaluation of each size in a fresh process: what the first poll of a run costs.
  clusters.forEach((c, i) => {
    const r = evalOnce(c);
    out[i].coldEvalMs = r.ms;
    out[i].status = r.status;
    out[i].checks = r.results;
  });
  for (let w = 0; w < warmup; w++)
    for (const c of clusters) {
      evalOnce(c);
      await pollRun(c);
    }
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < clusters.length; i++) {
      out[i].evalMs.push(evalOnce(clusters[i]).ms);
      const p = await pollRun(clusters[i]);
      out[i].pollMs.push(p.msPerPoll);
      out[i].polls = p.polls;
      out[i].requestsPerPoll.push(p.requests / p.polls);
      if (p.status !== 'ready')
        throw new Error(`the recorded cluster of ${clusters[i].pods} pods did not pass: ${p.status}`);
    }
  }
  process.stdout.write(JSON.stringify(out));
}
