import { workloadId, type Expectations } from '../expect/expectations.js';
import { evaluate, type Evaluation } from '../checks/evaluation.js';
import { indexPods } from '../checks/pods.js';
import { claimsToCheck, needsStorageDetails } from '../checks/volumes.js';
import { resourceArg } from '../expect/conditions.js';
import type { ClusterSnapshot } from '../cluster/kube-types.js';
import {
  DeadlineError,
  isTransient,
  KubectlError,
  type ApiProblem,
  type KubeClient,
  type ListKind,
} from '../cluster/kubectl.js';
import type { RestartMemory } from '../checks/pods.js';
import type { PortProber } from '../checks/ports.js';

/**
 * The polling loop: per poll one list per needed kind (in parallel) plus the port probes, then the pure
 * evaluation. It ends when everything passes, when something fails for good (fail fast), or at the
 * deadline. A transient API problem only costs the poll; a final one (credentials, RBAC, TLS) ends it.
 */
export interface PollDeps {
  kube: KubeClient;
  probePort: PortProber;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  info: (line: string) => void;
  warn: (line: string) => void;
  /** Runs `fn` inside a collapsible log group (the kubectl command lines of one poll); default: no group. */
  group?: <T>(title: string, fn: () => Promise<T>) => Promise<T>;
}

export interface PollSettings {
  intervalMs: number;
  deadline: number;
}

export type PollOutcome =
  | { kind: 'ready' | 'failed'; evaluation: Evaluation; snapshot: ClusterSnapshot; polls: number }
  /** No evaluation when not even the first poll finished before the deadline. */
  | { kind: 'timeout'; evaluation?: Evaluation; snapshot?: ClusterSnapshot; polls: number }
  | {
      kind: 'api-lost';
      problem: ApiProblem;
      polls: number;
      evaluation?: Evaluation;
      snapshot?: ClusterSnapshot;
    };

const PORT_TIMEOUT_MS = 2000;
const MAX_REQUEST_MS = 30_000;
const MIN_REQUEST_MS = 5000;

/** The kinds this run needs; nodes always (cluster health and the single-node hazard). */
export function kindsNeeded(e: Expectations): ListKind[] {
  const kinds = new Set<ListKind>(['nodes']);
  const anyKind = e.systemComponents || e.containers.some((c) => !c.kind);
  const wants = (k: 'deployment' | 'daemonset' | 'statefulset') =>
    anyKind || e.workloads.some((w) => w.kind === k) || e.containers.some((c) => c.kind === k);
  if (wants('deployment')) kinds.add('deployments');
  if (wants('daemonset')) kinds.add('daemonsets');
  if (wants('statefulset')) kinds.add('statefulsets');
  if (e.systemComponents) kinds.add('jobs');
  // Claims: declared ones, or those the declared workloads mount (found in the same poll's lists).
  if (e.volumes.length > 0 || (e.mountedVolumes && e.workloads.length > 0))
    kinds.add('persistentvolumeclaims');
  if (kinds.size > 1) kinds.add('pods');
  return [...kinds];
}

/** One list per kind under `conditions:` (several expectations of one kind share it). */
export function resourcesNeeded(e: Expectations): string[] {
  return [...new Set(e.conditions.map(resourceArg))];
}

/**
 * Storage classes and claim events explain a Pending claim (its provisioner, binding mode, the PV
 * controller's reason) and matter only then: they are read in a second step of the same poll, only when
 * a checked claim is Pending — a bounded, count-independent number of requests.
 */
export const STORAGE_DETAILS: readonly ListKind[] = ['storageclasses', 'claimEvents'];

export function storageDetailsNeeded(snapshot: ClusterSnapshot, e: Expectations): boolean {
  if (!snapshot.persistentvolumeclaims.length) return false;
  return needsStorageDetails(snapshot, claimsToCheck(snapshot, e, indexPods(snapshot.pods)));
}

export function emptySnapshot(): ClusterSnapshot {
  return {
    nodes: [],
    pods: [],
    deployments: [],
    daemonsets: [],
    statefulsets: [],
    jobs: [],
    persistentvolumeclaims: [],
    resources: {},
  };
}

/** Lists `kinds` and `resources` in parallel into `snapshot`. */
async function fill(
  snapshot: ClusterSnapshot,
  kube: KubeClient,
  kinds: readonly ListKind[],
  resources: readonly string[],
  timeoutMs: number,
  abort?: AbortSignal,
): Promise<void> {
  // allSettled: no kubectl may still be running (and writing its cache) when a failure is handled.
  const lists = await Promise.allSettled([
    ...kinds.map((k) => kube.list<never>(k, timeoutMs, abort)),
    ...resources.map((r) => kube.listResource(r, timeoutMs, abort)),
  ]);
  const failed = lists.find((l) => l.status === 'rejected');
  if (failed) throw failed.reason;
  const value = (i: number) => (lists[i] as PromiseFulfilledResult<never>).value;
  kinds.forEach((k, i) => (snapshot[k] = value(i)));
  resources.forEach((r, i) => (snapshot.resources[r] = value(kinds.length + i)));
}

/** One poll's reads: every needed kind once, then the storage details if a checked claim is Pending. */
export async function fetchSnapshot(
  kube: KubeClient,
  e: Expectations,
  timeoutMs: number,
  abort?: AbortSignal,
): Promise<ClusterSnapshot> {
  const snapshot = emptySnapshot();
  await fill(snapshot, kube, kindsNeeded(e), resourcesNeeded(e), timeoutMs, abort);
  if (storageDetailsNeeded(snapshot, e)) await fill(snapshot, kube, STORAGE_DETAILS, [], timeoutMs, abort);
  return snapshot;
}

function requestTimeout(deps: PollDeps, deadline: number): number {
  return Math.min(MAX_REQUEST_MS, Math.max(MIN_REQUEST_MS, deadline - deps.now()));
}

/** Runs `fn` with a signal that aborts at the deadline: no kubectl outlives the run's timeout. */
async function untilDeadline<T>(
  deps: PollDeps,
  deadline: number,
  fn: (abort: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), Math.max(0, deadline - deps.now()));
  try {
    return await fn(controller.signal);
  } finally {
    clearTimeout(timer);
  }
}

async function pause(deps: PollDeps, s: PollSettings): Promise<boolean> {
  const left = s.deadline - deps.now();
  if (left <= 0) return false;
  await deps.sleep(Math.min(s.intervalMs, left));
  return true;
}

/** Waits for /readyz to say ok; returns the last problem when it never did (or when waiting cannot help). */
export async function waitForApi(deps: PollDeps, s: PollSettings): Promise<ApiProblem | undefined> {
  let previous: ApiProblem | undefined;
  for (;;) {
    const problem = await untilDeadline(deps, s.deadline, (abort) =>
      deps.kube.readyz(requestTimeout(deps, s.deadline), abort),
    );
    if (!problem) return undefined;
    // A call cut off by the deadline says nothing new: report what the API last said.
    if (problem.atDeadline) return previous ?? problem;
    if (!isTransient(problem)) return problem;
    previous = problem;
    deps.info(`API server not ready (${problem.kind}: ${problem.detail}); retrying.`);
    if (!(await pause(deps, s))) return problem;
  }
}

function pollLine(n: number, e: Evaluation): string {
  const open = e.results.filter((r) => r.status !== 'pass');
  const passed = e.results.length - open.length;
  const shown = open.slice(0, 5).map((r) => `${r.object} ${r.reason}`);
  const more = open.length > 5 ? `, and ${open.length - 5} more` : '';
  return `poll ${n}: ${passed}/${e.results.length} checks pass, nodes ready ${e.nodesReady}${
    open.length ? `; ${e.status === 'fail' ? 'failed' : 'waiting for'}: ${shown.join(', ')}${more}` : ''
  }${e.order?.chain ? `; order: ${e.order.chain}` : ''}`;
}

export async function pollChecks(
  deps: PollDeps,
  expectations: Expectations,
  s: PollSettings,
): Promise<PollOutcome> {
  const kinds = [...kindsNeeded(expectations), ...resourcesNeeded(expectations)];
  deps.info(
    `Checking ${kinds.join(', ')} every ${Math.round(s.intervalMs / 1000)}s; workloads: ${
      expectations.workloads.map(workloadId).join(', ') || 'none declared'
    }.`,
  );
  let memory: RestartMemory = new Map();
  let last: { evaluation: Evaluation; snapshot: ClusterSnapshot } | undefined;
  const warned = new Set<string>();
  let passedBefore = false;
  for (let polls = 1; ; polls++) {
    const portTimeout = Math.max(200, Math.min(PORT_TIMEOUT_MS, s.deadline - deps.now()));
    const inGroup = deps.group ?? ((_title, fn) => fn());
    const [fetched, probes] = await inGroup(`poll ${polls}: kubectl`, () =>
      Promise.all([
        untilDeadline(deps, s.deadline, (abort) =>
          fetchSnapshot(deps.kube, expectations, requestTimeout(deps, s.deadline), abort),
        ).catch((e: unknown) => e),
        Promise.all(expectations.ports.map((p) => deps.probePort(p, portTimeout))),
      ]),
    );
    let lost: ApiProblem | undefined;
    if (fetched instanceof DeadlineError) {
      // The deadline came while kubectl was still listing: the run timed out (a slow or stuck list).
      deps.info(`poll ${polls}: kubectl had not finished at the deadline and was stopped.`);
      return { kind: 'timeout', polls, ...last };
    }
    if (fetched instanceof KubectlError) {
      if (!isTransient(fetched.problem))
        return { kind: 'api-lost', problem: fetched.problem, polls, ...last };
      lost = fetched.problem;
      deps.info(`poll ${polls}: the API did not answer (${lost.kind}: ${lost.detail}); retrying.`);
    } else if (fetched instanceof Error) {
      throw fetched;
    } else {
      const snapshot = fetched as ClusterSnapshot;
      const evaluation = evaluate(snapshot, expectations, memory, probes);
      memory = evaluation.memory;
      last = { evaluation, snapshot };
      for (const h of evaluation.hazards.filter((h) => !warned.has(h))) {
        warned.add(h);
        deps.warn(h);
      }
      deps.info(pollLine(polls, evaluation));
      // One look cannot show a container that restarts between polls: a pass must hold for one more poll.
      if (evaluation.status === 'pass' && passedBefore) return { kind: 'ready', polls, ...last };
      if (evaluation.status === 'fail') return { kind: 'failed', polls, ...last };
      if (evaluation.status === 'pass') deps.info('All checks pass; confirming at the next poll.');
      passedBefore = evaluation.status === 'pass';
    }
    if (!(await pause(deps, s))) {
      if (lost || !last)
        return {
          kind: 'api-lost',
          problem: lost ?? { kind: 'unreachable', detail: 'no answer' },
          polls,
          ...last,
        };
      return { kind: last.evaluation.status === 'pass' ? 'ready' : 'timeout', polls, ...last };
    }
  }
}
