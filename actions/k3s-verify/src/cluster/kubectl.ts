import { ActionError } from '../../../../shared/errors.js';
import { formatDuration } from '../../../../shared/inputs.js';
import { lastLine, runTool, type ToolOptions, type ToolResult } from '../../../../shared/tool.js';
import type { AnyObject, KubeEvent, KubeList, ResourceList } from './kube-types.js';

/**
 * The only way this action talks to the cluster: read-only kubectl verbs (`get`, `get --raw /readyz`,
 * `logs`). One `get <kind> -A -o json` per kind and poll, with chunking off (`--chunk-size=0`; kubectl
 * otherwise pages by 500, so the requests would grow with the cluster). JSON output can be large and is
 * parsed, never echoed.
 */
export type ListKind =
  | 'nodes'
  | 'pods'
  | 'deployments'
  | 'daemonsets'
  | 'statefulsets'
  | 'jobs'
  | 'persistentvolumeclaims'
  | 'storageclasses'
  | 'claimEvents';

export interface KubectlSettings {
  bin: string;
  kubeconfig: string;
  context?: string;
  server?: string;
  tlsServerName?: string;
  /** Discovery cache for this run (kubectl's default is ~/.kube/cache). */
  cacheDir: string;
}

export type ApiProblemKind = 'unreachable' | 'not-ready' | 'unauthorized' | 'forbidden' | 'tls' | 'error';

export interface ApiProblem {
  kind: ApiProblemKind;
  detail: string;
  /** The call was stopped at the run's deadline (so the detail says nothing about the API itself). */
  atDeadline?: boolean;
}

/** A problem that waiting can fix (the API restarting) or one that it cannot (credentials, TLS, RBAC). */
export function isTransient(p: ApiProblem): boolean {
  return p.kind === 'unreachable' || p.kind === 'not-ready' || p.kind === 'error';
}

/** A kubectl call stopped because the run's deadline came: a timeout of the run, not an API problem. */
export class DeadlineError extends Error {
  constructor() {
    super('kubectl was stopped at the deadline');
    this.name = 'DeadlineError';
  }
}

export class KubectlError extends Error {
  constructor(readonly problem: ApiProblem) {
    super(problem.detail);
    this.name = 'KubectlError';
  }
}

/** Classifies kubectl's stderr (client-go's error texts) into what the action does about it. */
export function classifyKubectlFailure(r: Pick<ToolResult, 'stderr' | 'timedOut' | 'exitCode'>): ApiProblem {
  const detail =
    lastLine(r.stderr) || (r.timedOut ? 'kubectl timed out' : `kubectl exited with ${r.exitCode}`);
  const text = r.stderr;
  if (r.timedOut) return { kind: 'unreachable', detail: 'kubectl timed out waiting for the API server' };
  if (
    /x509:|certificate (signed by unknown authority|is valid for|has expired)|tls: failed to verify/i.test(
      text,
    )
  )
    return { kind: 'tls', detail };
  if (/\(Unauthorized\)|must be logged in/i.test(text)) return { kind: 'unauthorized', detail };
  if (/\(Forbidden\)|is forbidden/i.test(text)) return { kind: 'forbidden', detail };
  if (
    /connection.*refused|Unable to connect to the server|no such host|i\/o timeout|connection reset|no route to host|network is unreachable|TLS handshake timeout|EOF$/im.test(
      text,
    )
  )
    return { kind: 'unreachable', detail };
  if (/InternalError|ServiceUnavailable|\[-\]|readyz check failed|TooManyRequests|Timeout/i.test(text))
    return { kind: 'not-ready', detail };
  return { kind: 'error', detail };
}

export function globalArgs(s: KubectlSettings, requestTimeoutMs: number): string[] {
  return [
    '--kubeconfig',
    s.kubeconfig,
    ...(s.context ? ['--context', s.context] : []),
    ...(s.server ? ['--server', s.server] : []),
    ...(s.tlsServerName ? ['--tls-server-name', s.tlsServerName] : []),
    '--cache-dir',
    s.cacheDir,
    `--request-timeout=${formatDuration(Math.max(1000, Math.round(requestTimeoutMs / 1000) * 1000))}`,
  ];
}

const LIST_TARGET: Record<ListKind, string[]> = {
  nodes: ['nodes'],
  pods: ['pods', '--all-namespaces'],
  deployments: ['deployments', '--all-namespaces'],
  daemonsets: ['daemonsets', '--all-namespaces'],
  statefulsets: ['statefulsets', '--all-namespaces'],
  jobs: ['jobs', '--all-namespaces'],
  persistentvolumeclaims: ['persistentvolumeclaims', '--all-namespaces'],
  storageclasses: ['storageclasses.v1.storage.k8s.io'],
  // Events are many; only those about claims (a field selector events support, see
  // kubernetes pkg/apis/core/v1/conversion.go AddFieldLabelConversionsForEvent).
  claimEvents: [
    'events',
    '--all-namespaces',
    '--field-selector',
    'involvedObject.kind=PersistentVolumeClaim',
  ],
};

export function listArgs(kind: ListKind): string[] {
  return ['get', ...LIST_TARGET[kind], '-o', 'json', '--chunk-size=0'];
}

/** Any kind, all namespaces (ignored by kubectl for cluster-scoped kinds): `helmchart.v1.helm.cattle.io`. */
export function resourceListArgs(resource: string): string[] {
  return ['get', resource, '--all-namespaces', '-o', 'json', '--chunk-size=0'];
}

/**
 * kubectl's answer when discovery has no such resource (checked with kubectl 1.32 against the stand-in:
 * `error: the server doesn't have a resource type "volume"`, exit 1): the CRD is not installed, or not in
 * this version.
 */
export function isNotInstalled(stderr: string): boolean {
  return /the server doesn't have a resource type/.test(stderr);
}

export function logArgs(
  ns: string,
  pod: string,
  container: string,
  previous: boolean,
  tail: number,
): string[] {
  return [
    'logs',
    '--namespace',
    ns,
    pod,
    '--container',
    container,
    `--tail=${tail}`,
    ...(previous ? ['--previous'] : []),
  ];
}

export interface KubeClient {
  /** `/readyz`; resolves `undefined` when the API is ready, else the problem. */
  readyz(timeoutMs: number, abort?: AbortSignal): Promise<ApiProblem | undefined>;
  /** One list request for every object of a kind (all namespaces). Throws KubectlError. */
  list<T>(kind: ListKind, timeoutMs: number, abort?: AbortSignal): Promise<T[]>;
  /** One list request for every object of any kind (`helmchart.v1.helm.cattle.io`); an unknown kind is not an error. */
  listResource(resource: string, timeoutMs: number, abort?: AbortSignal): Promise<ResourceList>;
  events(namespace: string, timeoutMs: number): Promise<KubeEvent[]>;
  /** The last `tail` lines of a container's log, or the problem text when kubectl could not get them. */
  logs(
    ns: string,
    pod: string,
    container: string,
    previous: boolean,
    tail: number,
    timeoutMs: number,
  ): Promise<{ lines: string[] } | { error: string }>;
}

export type ToolRunner = (opts: ToolOptions) => Promise<ToolResult>;

function parseList<T>(stdout: string, what: string): T[] {
  try {
    const list = JSON.parse(stdout) as KubeList<T>;
    if (!Array.isArray(list.items)) throw new Error('no items');
    return list.items;
  } catch {
    throw new ActionError(
      'api-error',
      `kubectl printed something other than a JSON list for ${what}.`,
      'Check that kubectl-binary is kubectl.',
    );
  }
}

export function createKubectl(s: KubectlSettings, tool: ToolRunner = runTool): KubeClient {
  const run = async (args: string[], timeoutMs: number, abort?: AbortSignal): Promise<ToolResult> =>
    tool({
      bin: s.bin,
      binInput: 'kubectl-binary',
      args: [...globalArgs(s, timeoutMs), ...args],
      // Only the --kubeconfig given here counts; a stray KUBECONFIG must not merge other files in.
      env: { KUBECONFIG: undefined },
      echo: 'none',
      timeoutMs: timeoutMs + 5000,
      killGraceMs: 1000,
      abort,
    });
  const mustSucceed = async (args: string[], timeoutMs: number, abort?: AbortSignal): Promise<ToolResult> => {
    const r = await run(args, timeoutMs, abort);
    if (r.aborted && !r.cancelled) throw new DeadlineError();
    if (r.exitCode !== 0) throw new KubectlError(classifyKubectlFailure(r));
    return r;
  };
  return {
    async readyz(timeoutMs, abort) {
      const r = await run(['get', '--raw', '/readyz'], timeoutMs, abort);
      if (r.aborted && !r.cancelled)
        return {
          kind: 'unreachable',
          detail: 'no answer from /readyz before the deadline',
          atDeadline: true,
        };
      if (r.exitCode === 0 && r.stdout.trim() === 'ok') return undefined;
      if (r.exitCode === 0) return { kind: 'not-ready', detail: `/readyz answered '${lastLine(r.stdout)}'` };
      return classifyKubectlFailure(r);
    },
    async list<T>(kind: ListKind, timeoutMs: number, abort?: AbortSignal) {
      const r = await mustSucceed(listArgs(kind), timeoutMs, abort);
      return parseList<T>(r.stdout, kind);
    },
    async listResource(resource, timeoutMs, abort) {
      const r = await run(resourceListArgs(resource), timeoutMs, abort);
      if (r.aborted && !r.cancelled) throw new DeadlineError();
      if (r.exitCode !== 0 && isNotInstalled(r.stderr)) return { notInstalled: lastLine(r.stderr) };
      if (r.exitCode !== 0) throw new KubectlError(classifyKubectlFailure(r));
      return { items: parseList<AnyObject>(r.stdout, resource) };
    },
    async events(namespace, timeoutMs) {
      const r = await mustSucceed(
        ['get', 'events', '--namespace', namespace, '-o', 'json', '--chunk-size=0'],
        timeoutMs,
      );
      return parseList<KubeEvent>(r.stdout, 'events');
    },
    async logs(ns, pod, container, previous, tail, timeoutMs) {
      const r = await run(logArgs(ns, pod, container, previous, tail), timeoutMs);
      if (r.exitCode !== 0) return { error: classifyKubectlFailure(r).detail };
      return { lines: r.stdout === '' ? [] : r.stdout.split('\n') };
    },
  };
}
