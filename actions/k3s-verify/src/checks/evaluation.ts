import { result, worst, type CheckResult, type CheckStatus } from './result.js';
import { containerResult, evaluateContainers, findWorkload, type ContainerRow } from './containers.js';
import { workloadId, type Expectations } from '../expect/expectations.js';
import { rolloutHazards } from './hazards.js';
import type { ClusterSnapshot, Pod, WorkloadKind } from '../cluster/kube-types.js';
import { evaluateNodes, type NodeRow } from './nodes.js';
import {
  indexPods,
  isLive,
  ownerKey,
  podOwner,
  podProblems,
  rememberRestarts,
  type RestartMemory,
  type RestartRule,
} from './pods.js';
import { portResult, type PortProbe } from './ports.js';
import { conditionResult, evaluateCondition, type ConditionRow } from './conditions.js';
import { applyOrder, type OrderReport } from './order.js';
import { claimsToCheck, evaluateVolumes, volumeResult, type VolumeRow } from './volumes.js';
import { resourceArg } from '../expect/conditions.js';
import { volumeId } from '../expect/volumes.js';
import {
  daemonSetRollout,
  deploymentRollout,
  jobStatus,
  statefulSetRollout,
  type RolloutStatus,
} from './rollout.js';

/** One poll's verdict over everything declared, from one snapshot (pure: same input, same verdict). */
export interface WorkloadRow {
  object: string;
  desired: number;
  updated: number;
  available: number;
  status: CheckStatus;
  reason: string;
  detail: string;
}

export interface PortRow {
  target: string;
  status: CheckStatus;
  state: string;
  detail: string;
}

export interface Evaluation {
  status: CheckStatus;
  results: CheckResult[];
  nodes: NodeRow[];
  nodesReady: string;
  nodeCount: number;
  workloads: WorkloadRow[];
  system: WorkloadRow[];
  containers: ContainerRow[];
  ports: PortRow[];
  volumes: VolumeRow[];
  conditions: ConditionRow[];
  /** Set when some expectation has `after:`. */
  order?: OrderReport;
  hazards: string[];
  memory: RestartMemory;
}

export const SYSTEM_NAMESPACE = 'kube-system';

type Rollout = (o: never) => RolloutStatus;
const ROLLOUT: Record<WorkloadKind, Rollout> = {
  deployment: deploymentRollout as Rollout,
  daemonset: daemonSetRollout as Rollout,
  statefulset: statefulSetRollout as Rollout,
};

function itemsOf(snapshot: ClusterSnapshot, kind: WorkloadKind) {
  return kind === 'deployment'
    ? snapshot.deployments
    : kind === 'daemonset'
      ? snapshot.daemonsets
      : snapshot.statefulsets;
}

function row(object: string, r: RolloutStatus): WorkloadRow {
  return {
    object,
    desired: r.desired,
    updated: r.updated,
    available: r.available,
    status: r.status,
    reason: r.reason,
    detail: r.detail,
  };
}

function rowResult(check: 'workload' | 'system', r: WorkloadRow): CheckResult {
  return result(check, r.object, r.status, r.reason, r.detail);
}

function declaredWorkloads(snapshot: ClusterSnapshot, e: Expectations): WorkloadRow[] {
  return e.workloads.map((w) => {
    const object = workloadId(w);
    const found = (
      itemsOf(snapshot, w.kind) as Array<{ metadata?: { namespace?: string; name?: string } }>
    ).find((o) => o.metadata?.namespace === w.namespace && o.metadata?.name === w.name);
    if (!found)
      return {
        object,
        desired: 0,
        updated: 0,
        available: 0,
        status: 'pending',
        reason: 'not-found',
        detail: `${object} does not exist`,
      };
    const r = ROLLOUT[w.kind](found as never);
    // kubectl calls a workload scaled to zero (or a DaemonSet matching no node) rolled out; a declared
    // workload that runs nowhere is not "really running".
    if (r.status === 'pass' && r.desired === 0)
      return row(object, {
        ...r,
        status: 'pending',
        reason: 'no-replicas',
        detail: `${object} wants 0 pods: nothing runs`,
      });
    return row(object, r);
  });
}

/** Every workload and Job in kube-system: the K3s add-ons that are present (coredns, traefik, svclb-*, …). */
function systemWorkloads(snapshot: ClusterSnapshot): WorkloadRow[] {
  const rows: WorkloadRow[] = [];
  for (const kind of ['deployment', 'daemonset', 'statefulset'] as const) {
    for (const o of itemsOf(snapshot, kind) as Array<{ metadata?: { namespace?: string; name?: string } }>) {
      if (o.metadata?.namespace !== SYSTEM_NAMESPACE) continue;
      rows.push(row(`${kind}/${SYSTEM_NAMESPACE}/${o.metadata.name}`, ROLLOUT[kind](o as never)));
    }
  }
  for (const job of snapshot.jobs) {
    if (job.metadata?.namespace !== SYSTEM_NAMESPACE) continue;
    rows.push(row(`job/${SYSTEM_NAMESPACE}/${job.metadata.name}`, jobStatus(job)));
  }
  return rows;
}

/** A declared workload whose pods do not run names the claim it waits for: storage is the cause. */
function blameStorage(workloads: WorkloadRow[], volumes: readonly VolumeRow[]): void {
  for (const w of workloads) {
    if (w.status === 'pass') continue;
    const waiting = volumes.filter((v) => v.status !== 'pass' && v.mountedBy.includes(w.object));
    if (waiting.length > 0)
      w.detail += `; its pods wait for ${waiting.map((v) => `${v.claim} (${v.phase}: ${v.reason})`).join(', ')}`;
  }
}

/** A claim found in a workload (not declared with its own `after:`) waits for what the workload waits for. */
function inheritedOrder(
  after: Readonly<Record<string, string[]>>,
  claims: ReturnType<typeof claimsToCheck>,
): Record<string, string[]> {
  const out: Record<string, string[]> = { ...after };
  for (const c of claims) {
    const id = volumeId(c);
    if (out[id]) continue;
    const inherited = [...new Set(c.mountedBy.flatMap((w) => after[w] ?? []))];
    if (inherited.length > 0) out[id] = inherited;
  }
  return out;
}

export function evaluate(
  snapshot: ClusterSnapshot,
  expectations: Expectations,
  memory: RestartMemory,
  probes: readonly PortProbe[] = [],
): Evaluation {
  const index = indexPods(snapshot.pods);
  const nodes = evaluateNodes(snapshot.nodes, expectations.nodes);
  const workloads = declaredWorkloads(snapshot, expectations);
  const system = expectations.systemComponents ? systemWorkloads(snapshot) : [];
  const containers = expectations.containers.flatMap((c) => evaluateContainers(c, snapshot, index, memory));

  // Pods whose crash loops and restarts count: those of the declared workloads, then kube-system's.
  const watched = new Map<Pod, RestartRule>();
  const declaredRule: RestartRule = { maxRestarts: expectations.maxRestarts, count: 'total' };
  const owners = [
    ...expectations.workloads.map((w) => ownerKey(w.kind, w.namespace, w.name)),
    ...expectations.containers
      .map((c) => findWorkload(snapshot, c.namespace, c.workload, c.kind))
      .filter((f) => f !== undefined)
      .map((f) => ownerKey(f.kind, f.namespace, f.name)),
  ];
  for (const owner of owners)
    for (const pod of index.byOwner.get(owner) ?? []) watched.set(pod, declaredRule);
  if (expectations.systemComponents) {
    const systemRule: RestartRule = { maxRestarts: expectations.maxRestarts, count: 'during-run' };
    for (const pod of index.byNamespace.get(SYSTEM_NAMESPACE) ?? [])
      if (!watched.has(pod)) watched.set(pod, systemRule);
  }
  const declared = new Set(expectations.workloads.map(workloadId));
  const podResults = [...watched].flatMap(([pod, rule]) =>
    podProblems(pod, rule, memory).map((r) => {
      const owner = podOwner(pod);
      return owner && declared.has(owner) ? { ...r, subject: owner } : r;
    }),
  );

  const claims = claimsToCheck(snapshot, expectations, index);
  const volumes = evaluateVolumes(snapshot, claims, snapshot.pods.filter(isLive));
  blameStorage(workloads, volumes);
  const conditionRows = expectations.conditions.map((c) => ({
    c,
    rows: evaluateCondition(c, snapshot.resources[resourceArg(c)]),
  }));

  const ports = probes.map(portResult);
  const ordered = applyOrder(
    [
      ...nodes.results,
      ...volumes.map(volumeResult),
      ...conditionRows.flatMap(({ c, rows }) => rows.map((r) => conditionResult(r, c))),
      ...workloads.map((r) => ({ ...rowResult('workload', r), subject: r.object })),
      ...containers.map((r) => ({ ...containerResult(r), subject: r.workload })),
      ...podResults,
      ...system.map((r) => rowResult('system', r)),
      ...ports,
    ],
    inheritedOrder(expectations.after, claims),
  );
  const results = ordered.results;
  return {
    status: worst(results.map((r) => r.status)),
    results,
    volumes,
    conditions: conditionRows.flatMap(({ rows }) => rows),
    ...(ordered.order ? { order: ordered.order } : {}),
    nodes: nodes.rows,
    nodesReady: `${nodes.ready}/${nodes.total}`,
    nodeCount: nodes.total,
    workloads,
    system,
    containers,
    ports: ports.map((p) => ({ target: p.object, status: p.status, state: p.reason, detail: p.detail })),
    hazards: rolloutHazards(snapshot, nodes.total),
    memory: rememberRestarts(memory, watched.keys()),
  };
}
