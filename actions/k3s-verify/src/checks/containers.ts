import { result, worst, type CheckResult, type CheckStatus } from './result.js';
import type { ContainerExpectation } from '../expect/expectations.js';
import type { ClusterSnapshot, PodTemplate, WorkloadKind } from '../cluster/kube-types.js';
import { ownerKey, restartKey, type PodIndex, type RestartMemory } from './pods.js';

/**
 * Named containers of a workload: each must be in the pod template, and in every live pod of the workload
 * it must be ready and not restarting since the previous poll. A name missing from the template cannot
 * appear by waiting, so it fails at once. Crash loops and restart limits are the pod checks' business.
 */
export interface ContainerRow {
  workload: string;
  container: string;
  /** `ready/total` over the workload's live pods. */
  pods: string;
  restarts: number;
  status: CheckStatus;
  reason: string;
  detail: string;
}

export interface FoundWorkload {
  kind: WorkloadKind;
  namespace: string;
  name: string;
  template?: PodTemplate;
}

/** The workload a container expectation names (any kind when none is given; the first of them). */
export function findWorkload(
  snapshot: ClusterSnapshot,
  namespace: string,
  name: string,
  kind?: WorkloadKind,
): FoundWorkload | undefined {
  const lists: Array<
    [
      WorkloadKind,
      Array<{ metadata?: { namespace?: string; name?: string }; spec?: { template?: PodTemplate } }>,
    ]
  > = [
    ['deployment', snapshot.deployments],
    ['daemonset', snapshot.daemonsets],
    ['statefulset', snapshot.statefulsets],
  ];
  for (const [k, items] of lists) {
    if (kind && k !== kind) continue;
    const found = items.find((o) => o.metadata?.namespace === namespace && o.metadata?.name === name);
    if (found) return { kind: k, namespace, name, template: found.spec?.template };
  }
  return undefined;
}

export function evaluateContainers(
  expectation: ContainerExpectation,
  snapshot: ClusterSnapshot,
  index: PodIndex,
  memory: RestartMemory,
): ContainerRow[] {
  const found = findWorkload(snapshot, expectation.namespace, expectation.workload, expectation.kind);
  const label = `${expectation.kind ?? 'workload'}/${expectation.namespace}/${expectation.workload}`;
  if (!found) {
    return expectation.containers.map((container) => ({
      workload: label,
      container,
      pods: '0/0',
      restarts: 0,
      status: 'pending',
      reason: 'not-found',
      detail: `${label} does not exist`,
    }));
  }
  const workload = `${found.kind}/${found.namespace}/${found.name}`;
  const inTemplate = (found.template?.spec?.containers ?? []).map((c) => c.name ?? '');
  const pods = index.byOwner.get(ownerKey(found.kind, found.namespace, found.name)) ?? [];
  return expectation.containers.map((container): ContainerRow => {
    const row = { workload, container, pods: `0/${pods.length}`, restarts: 0 };
    if (!inTemplate.includes(container)) {
      return {
        ...row,
        status: 'fail',
        reason: 'not-in-template',
        detail: `the pod template of ${workload} has no container '${container}' (it has: ${inTemplate.join(', ') || 'none'})`,
      };
    }
    if (pods.length === 0)
      return { ...row, status: 'pending', reason: 'no-pods', detail: `${workload} has no running pods` };
    let ready = 0;
    let restarts = 0;
    const problems: Array<{ status: CheckStatus; reason: string; detail: string }> = [];
    for (const pod of pods) {
      const podName = pod.metadata?.name ?? '?';
      const cs = pod.status?.containerStatuses?.find((c) => c.name === container);
      if (!cs) {
        problems.push({
          status: 'pending',
          reason: 'not-started',
          detail: `not started yet in pod ${podName}`,
        });
        continue;
      }
      restarts = Math.max(restarts, cs.restartCount ?? 0);
      const seen = memory.get(restartKey(pod, container));
      if (seen && (cs.restartCount ?? 0) > seen.last) {
        problems.push({
          status: 'pending',
          reason: 'restarting',
          detail: `restarted since the previous poll in pod ${podName}`,
        });
      } else if (!cs.ready) {
        const why =
          cs.state?.waiting?.reason ??
          (cs.state?.terminated
            ? `terminated: ${cs.state.terminated.reason ?? ''}`
            : 'running, readiness probe not passing');
        problems.push({
          status: 'pending',
          reason: 'not-ready',
          detail: `not ready in pod ${podName} (${why})`,
        });
      } else {
        ready++;
      }
    }
    const base = { ...row, pods: `${ready}/${pods.length}`, restarts };
    if (problems.length === 0)
      return { ...base, status: 'pass', reason: 'ready', detail: `ready in ${ready}/${pods.length} pods` };
    return {
      ...base,
      status: worst(problems.map((p) => p.status)),
      reason: problems[0].reason,
      detail: problems.map((p) => p.detail).join('; '),
    };
  });
}

export function containerResult(row: ContainerRow): CheckResult {
  return result('container', `${row.workload}:${row.container}`, row.status, row.reason, row.detail);
}
