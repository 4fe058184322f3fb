import type { ClusterSnapshot, DaemonSet, Deployment, PodTemplate } from '../cluster/kube-types.js';

/**
 * Rollouts that cannot finish on a single node: a pod that binds host ports (hostNetwork or hostPort)
 * cannot start while the old pod still holds them, and a surge strategy starts the new pod first — the
 * scheduler reports "didn't have free ports" and the rollout waits forever. `Recreate` (or maxSurge 0)
 * stops the old pod first.
 */
function bindsHostPorts(t: PodTemplate | undefined): string | undefined {
  if (t?.spec?.hostNetwork) return 'hostNetwork';
  const hostPort = t?.spec?.containers?.some((c) => c.ports?.some((p) => (p.hostPort ?? 0) > 0));
  return hostPort ? 'hostPort' : undefined;
}

function surges(maxSurge: number | string | undefined, fallback: number | string): boolean {
  const v = maxSurge ?? fallback;
  return !(v === 0 || v === '0' || v === '0%');
}

function deploymentHazard(d: Deployment): string | undefined {
  const binds = bindsHostPorts(d.spec?.template);
  const strategy = d.spec?.strategy;
  if (!binds || strategy?.type === 'Recreate') return undefined;
  const maxSurge = strategy?.rollingUpdate?.maxSurge;
  if (!surges(maxSurge, '25%')) return undefined;
  const id = `deployment/${d.metadata?.namespace}/${d.metadata?.name}`;
  return (
    `${id} uses ${binds} with a RollingUpdate strategy (maxSurge ${maxSurge ?? '25%'}) on a single-node cluster: ` +
    `the new pod cannot bind its ports while the old one runs, so a rollout deadlocks ("didn't have free ports"). ` +
    `Set spec.strategy.type: Recreate.`
  );
}

function daemonSetHazard(ds: DaemonSet): string | undefined {
  const binds = bindsHostPorts(ds.spec?.template);
  const strategy = ds.spec?.updateStrategy;
  if (!binds || strategy?.type === 'OnDelete') return undefined;
  const maxSurge = strategy?.rollingUpdate?.maxSurge;
  if (!surges(maxSurge, 0)) return undefined;
  const id = `daemonset/${ds.metadata?.namespace}/${ds.metadata?.name}`;
  return (
    `${id} uses ${binds} with a RollingUpdate maxSurge of ${maxSurge} on a single-node cluster: ` +
    `the surge pod cannot bind its ports while the old one runs, so a rollout deadlocks. Set rollingUpdate.maxSurge: 0.`
  );
}

export function rolloutHazards(snapshot: ClusterSnapshot, nodeCount: number): string[] {
  if (nodeCount !== 1) return [];
  return [...snapshot.deployments.map(deploymentHazard), ...snapshot.daemonsets.map(daemonSetHazard)].filter(
    (w): w is string => w !== undefined,
  );
}
