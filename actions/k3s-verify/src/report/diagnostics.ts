import type { CheckResult } from '../checks/result.js';
import type { ClusterSnapshot, KubeEvent, Pod } from '../cluster/kube-types.js';
import type { KubeClient } from '../cluster/kubectl.js';
import { allStatuses, indexPods, ownerKey, podOwner } from '../checks/pods.js';

/**
 * What an operator looks at first when a check fails: the object's recent events and the last log lines
 * of its failing containers (the previous run's when the container is waiting to restart). Planned from
 * the failing results (pure), fetched with one events list per namespace and one `logs` per container.
 */
export interface LogTarget {
  namespace: string;
  pod: string;
  container: string;
  previous: boolean;
}

export interface DiagnosticTarget {
  object: string;
  namespace: string;
  /** Events about these objects count (the failing object and, for a workload, its pods). */
  names: string[];
  namePrefix?: string;
  /** Only events about these kinds (a claim and a Deployment may share a name). */
  kinds?: string[];
  logs: LogTarget[];
}

/** Results that name no object to ask about: it is missing, its kind is not served, or it was not checked. */
const NO_OBJECT = new Set(['not-found', 'not-installed', 'not-checked', 'not-listed']);

export const MAX_TARGETS = 8;
export const MAX_LOGS = 6;
export const MAX_EVENTS = 10;
export const LOG_LINES = 50;

function needsLogs(pod: Pod, container?: string): LogTarget[] {
  const out: LogTarget[] = [];
  for (const cs of allStatuses(pod)) {
    if (container && cs.name !== container) continue;
    if (!container && cs.ready) continue;
    const restarted = (cs.restartCount ?? 0) > 0;
    // A container waiting to restart has no current log: its previous run holds the crash.
    const previous = restarted && !cs.state?.running;
    if (!cs.state?.running && !previous && !cs.state?.terminated) continue;
    out.push({
      namespace: pod.metadata?.namespace ?? '',
      pod: pod.metadata?.name ?? '',
      container: cs.name ?? '',
      previous,
    });
  }
  return out;
}

export function planDiagnostics(
  failing: readonly CheckResult[],
  snapshot: ClusterSnapshot,
): DiagnosticTarget[] {
  const index = indexPods(snapshot.pods);
  const byName = new Map(snapshot.pods.map((p) => [`${p.metadata?.namespace}/${p.metadata?.name}`, p]));
  const targets = new Map<string, DiagnosticTarget>();
  for (const r of failing) {
    if (r.check === 'port' || NO_OBJECT.has(r.reason)) continue;
    if (r.ref) {
      // Cluster-scoped objects (a ClusterPolicy, a node) report their events in `default`.
      targets.set(r.object, {
        object: r.object,
        namespace: r.ref.namespace ?? 'default',
        names: [r.ref.name],
        kinds: [r.ref.kind],
        logs: [],
      });
      continue;
    }
    if (r.check === 'volume' || r.check === 'condition') continue;
    const [kind, ...rest] = r.object.split('/');
    if (kind === 'node' && rest.length === 1) {
      targets.set(r.object, { object: r.object, namespace: 'default', names: [rest[0]], logs: [] });
      continue;
    }
    if (rest.length < 2) continue;
    const namespace = rest[0];
    const [name, container] = rest.slice(1).join('/').split(':');
    if (kind === 'pod') {
      const pod = byName.get(`${namespace}/${name}`);
      const logs = pod
        ? needsLogs(pod).filter(
            (l) =>
              r.detail.startsWith(`container ${l.container}:`) ||
              r.detail.startsWith(`container ${l.container} `),
          )
        : [];
      const prev = targets.get(r.object);
      targets.set(r.object, {
        object: r.object,
        namespace,
        names: [name],
        logs: [...(prev?.logs ?? []), ...logs],
      });
      continue;
    }
    const owner = ownerKey(kind, namespace, name);
    const pods = index.byOwner.get(owner) ?? snapshot.pods.filter((p) => podOwner(p) === owner);
    const object = `${kind}/${namespace}/${name}`;
    const prev = targets.get(object);
    const logs = pods.slice(0, 2).flatMap((p) => needsLogs(p, container));
    targets.set(object, {
      object,
      namespace,
      names: [name, ...pods.map((p) => p.metadata?.name ?? '')],
      namePrefix: `${name}-`,
      logs: [...(prev?.logs ?? []), ...logs],
    });
  }
  const out = [...targets.values()].slice(0, MAX_TARGETS);
  let budget = MAX_LOGS;
  for (const t of out) {
    const unique = [...new Map(t.logs.map((l) => [`${l.pod}/${l.container}`, l])).values()];
    t.logs = unique.slice(0, Math.max(0, budget));
    budget -= t.logs.length;
  }
  return out;
}

function eventTime(e: KubeEvent): string {
  return e.lastTimestamp || e.eventTime || e.firstTimestamp || e.metadata?.creationTimestamp || '';
}

export function formatEvent(e: KubeEvent): string {
  const count = (e.count ?? 1) > 1 ? ` (x${e.count})` : '';
  const about = `${e.involvedObject?.kind ?? ''}/${e.involvedObject?.name ?? ''}`;
  return `${eventTime(e)} ${e.type ?? ''} ${e.reason ?? ''} ${about}: ${e.message ?? ''}${count}`
    .replace(/\s+/g, ' ')
    .trim();
}

/** The most recent events about a target, newest last. */
export function eventsFor(t: DiagnosticTarget, events: readonly KubeEvent[]): string[] {
  return events
    .filter((e) => {
      const n = e.involvedObject?.name ?? '';
      if (t.kinds && !t.kinds.includes(e.involvedObject?.kind ?? '')) return false;
      return t.names.includes(n) || (t.namePrefix !== undefined && n.startsWith(t.namePrefix));
    })
    .sort((a, b) => eventTime(a).localeCompare(eventTime(b)))
    .slice(-MAX_EVENTS)
    .map(formatEvent);
}

export interface Diagnostic {
  object: string;
  events: string[];
  eventsError?: string;
  logs: Array<LogTarget & { lines: string[]; error?: string }>;
}

export async function collectDiagnostics(
  kube: KubeClient,
  targets: readonly DiagnosticTarget[],
  timeoutMs: number,
): Promise<Diagnostic[]> {
  const namespaces = [...new Set(targets.map((t) => t.namespace))];
  const events = new Map<string, KubeEvent[] | string>();
  await Promise.all(
    namespaces.map(async (ns) => {
      try {
        events.set(ns, await kube.events(ns, timeoutMs));
      } catch (e) {
        events.set(ns, e instanceof Error ? e.message : String(e));
      }
    }),
  );
  return Promise.all(
    targets.map(async (t): Promise<Diagnostic> => {
      const ev = events.get(t.namespace) ?? [];
      const logs = await Promise.all(
        t.logs.map(async (l) => {
          const r = await kube.logs(l.namespace, l.pod, l.container, l.previous, LOG_LINES, timeoutMs);
          return 'lines' in r ? { ...l, lines: r.lines } : { ...l, lines: [], error: r.error };
        }),
      );
      return typeof ev === 'string'
        ? { object: t.object, events: [], eventsError: ev, logs }
        : { object: t.object, events: eventsFor(t, ev), logs };
    }),
  );
}
