import type { ClusterSnapshot, ResourceList } from '../../../actions/k3s-verify/src/cluster/kube-types.js';
import type { Expectations } from '../../../actions/k3s-verify/src/expect/expectations.js';
import { CUSTOM_RESOURCES, type ClusterState } from '../../support/standins/kube-apiserver/server.js';

/** Expectations with every list empty and the defaults of the inputs, overridden by `o`. */
export function expectations(o: Partial<Expectations> = {}): Expectations {
  return {
    workloads: [],
    containers: [],
    ports: [],
    systemComponents: true,
    maxRestarts: 3,
    volumes: [],
    mountedVolumes: true,
    conditions: [],
    after: {},
    ...o,
  };
}

/** kubectl's resource argument for a custom resource of the stand-in (`helmchart.v1.helm.cattle.io`). */
export function resourceArgOf(key: string): string {
  for (const [gv, resources] of Object.entries(CUSTOM_RESOURCES))
    for (const r of resources)
      if (r.custom === key) {
        const [group, version] = gv.split('/');
        return `${r.kind.toLowerCase()}.${version}.${group}`;
      }
  throw new Error(`no custom resource ${key}`);
}

/**
 * What one poll of the action would read from a stand-in state: the lists, the claim events (events about
 * PersistentVolumeClaims), and the kinds under `conditions:` — a kind whose CRD is absent as not installed.
 */
export function snapshotOf(s: ClusterState, resources: readonly string[] = []): ClusterSnapshot {
  const lists: Record<string, ResourceList> = {};
  for (const key of resources) {
    const items = s.custom?.[key];
    lists[resourceArgOf(key)] = items
      ? { items: items as never }
      : { notInstalled: `error: the server doesn't have a resource type "${key.split('/')[2]}"` };
  }
  return {
    nodes: (s.nodes ?? []) as never,
    pods: (s.pods ?? []) as never,
    deployments: (s.deployments ?? []) as never,
    daemonsets: (s.daemonsets ?? []) as never,
    statefulsets: (s.statefulsets ?? []) as never,
    jobs: (s.jobs ?? []) as never,
    persistentvolumeclaims: (s.persistentvolumeclaims ?? []) as never,
    storageclasses: (s.storageclasses ?? []) as never,
    claimEvents: (s.events ?? []).filter(
      (e) => (e.involvedObject as { kind?: string }).kind === 'PersistentVolumeClaim',
    ) as never,
    resources: lists,
  };
}
