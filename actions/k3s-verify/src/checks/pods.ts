import { result, type CheckResult } from './result.js';
import type { ContainerStatus, Pod } from '../cluster/kube-types.js';

/**
 * Pods are indexed once per poll by namespace and by owning workload, so the checks cost one pass over
 * the pod list however many workloads are declared (5,000 pods stay far below a poll interval).
 */
export type OwnerKind = 'deployment' | 'daemonset' | 'statefulset' | 'job';

export function ownerKey(kind: string, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

/**
 * The workload that controls a pod. A Deployment's pods are owned by its ReplicaSet `<deployment>-<hash>`
 * whose hash is the pod's `pod-template-hash` label, so no ReplicaSet list is needed.
 */
export function podOwner(pod: Pod): string | undefined {
  const ns = pod.metadata?.namespace ?? '';
  const refs = pod.metadata?.ownerReferences ?? [];
  const ref = refs.find((r) => r.controller) ?? refs[0];
  if (!ref?.name) return undefined;
  switch (ref.kind) {
    case 'ReplicaSet': {
      const hash = pod.metadata?.labels?.['pod-template-hash'];
      const name =
        hash && ref.name.endsWith(`-${hash}`)
          ? ref.name.slice(0, -(hash.length + 1))
          : ref.name.replace(/-[^-]+$/, '');
      return ownerKey('deployment', ns, name);
    }
    case 'DaemonSet':
      return ownerKey('daemonset', ns, ref.name);
    case 'StatefulSet':
      return ownerKey('statefulset', ns, ref.name);
    case 'Job':
      return ownerKey('job', ns, ref.name);
    default:
      return undefined;
  }
}

/** Pods that count: not being deleted and not finished (Succeeded helm-install pods, Evicted pods). */
export function isLive(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return !pod.metadata?.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed';
}

export interface PodIndex {
  byOwner: ReadonlyMap<string, Pod[]>;
  byNamespace: ReadonlyMap<string, Pod[]>;
}

/** Live pods by owner key and by namespace, in one pass. */
export function indexPods(pods: readonly Pod[]): PodIndex {
  const byOwner = new Map<string, Pod[]>();
  const byNamespace = new Map<string, Pod[]>();
  for (const pod of pods) {
    if (!isLive(pod)) continue;
    const ns = pod.metadata?.namespace ?? '';
    let list = byNamespace.get(ns);
    if (!list) byNamespace.set(ns, (list = []));
    list.push(pod);
    const owner = podOwner(pod);
    if (!owner) continue;
    let owned = byOwner.get(owner);
    if (!owned) byOwner.set(owner, (owned = []));
    owned.push(pod);
  }
  return { byOwner, byNamespace };
}

/**
 * Restart counts seen across polls, keyed by pod uid and container: `first` is the count at the first poll
 * that saw the container, `last` the previous poll's. Lets the checks tell "restarting now" from history.
 */
export type RestartMemory = ReadonlyMap<string, { first: number; last: number }>;

export function restartKey(pod: Pod, container: string): string {
  return `${pod.metadata?.uid ?? `${pod.metadata?.namespace}/${pod.metadata?.name}`}/${container}`;
}

export function allStatuses(pod: Pod): ContainerStatus[] {
  return [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
}

/** The memory after this poll for the given pods (pods no longer seen are forgotten). */
export function rememberRestarts(previous: RestartMemory, pods: Iterable<Pod>): RestartMemory {
  const next = new Map<string, { first: number; last: number }>();
  for (const pod of pods) {
    for (const cs of allStatuses(pod)) {
      const key = restartKey(pod, cs.name ?? '');
      const count = cs.restartCount ?? 0;
      next.set(key, { first: previous.get(key)?.first ?? count, last: count });
    }
  }
  return next;
}

/** Waiting reasons that do not resolve by waiting (kubectl rollout status keeps waiting on them). */
export const FAIL_FAST_REASONS: readonly string[] = [
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImagePull',
  'CreateContainerConfigError',
  'CreateContainerError',
  'InvalidImageName',
];

export interface RestartRule {
  maxRestarts: number;
  /**
   * `total`: the container's restartCount (pods of the declared workloads, normally new after a deploy).
   * `during-run`: restarts since this run first saw the container (system add-ons live for months and
   * gain a restart with every node reboot).
   */
  count: 'total' | 'during-run';
}

function restartsCounted(pod: Pod, cs: ContainerStatus, rule: RestartRule, memory: RestartMemory): number {
  const count = cs.restartCount ?? 0;
  if (rule.count === 'total') return count;
  return count - (memory.get(restartKey(pod, cs.name ?? ''))?.first ?? count);
}

/**
 * Problems of one pod: a fail-fast waiting reason or more restarts than allowed (final), or a restart
 * since the previous poll (pending: the pod must be seen stable once more).
 */
export function podProblems(pod: Pod, rule: RestartRule, memory: RestartMemory): CheckResult[] {
  const object = `pod/${pod.metadata?.namespace}/${pod.metadata?.name}`;
  const out: CheckResult[] = [];
  for (const cs of allStatuses(pod)) {
    const waiting = cs.state?.waiting;
    if (waiting?.reason && FAIL_FAST_REASONS.includes(waiting.reason)) {
      const last = cs.lastState?.terminated;
      const lastText = last
        ? `; last exit ${last.exitCode ?? '?'}${last.reason ? ` (${last.reason})` : ''}`
        : '';
      out.push(
        result(
          'pod',
          object,
          'fail',
          waiting.reason,
          `container ${cs.name}: ${waiting.message || waiting.reason}${lastText}, ${cs.restartCount ?? 0} restarts`,
        ),
      );
      continue;
    }
    const restarts = restartsCounted(pod, cs, rule, memory);
    const last = memory.get(restartKey(pod, cs.name ?? ''))?.last;
    if (restarts <= rule.maxRestarts && last !== undefined && (cs.restartCount ?? 0) > last) {
      out.push(
        result(
          'pod',
          object,
          'pending',
          'restarting',
          `container ${cs.name} restarted since the previous poll (${cs.restartCount} restarts)`,
        ),
      );
    } else if (restarts > rule.maxRestarts) {
      const when = rule.count === 'during-run' ? ' during this run' : '';
      out.push(
        result(
          'pod',
          object,
          'fail',
          'too-many-restarts',
          `container ${cs.name} restarted ${restarts} times${when} (max-restarts ${rule.maxRestarts})`,
        ),
      );
    }
  }
  return out;
}
