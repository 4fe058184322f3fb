import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Json } from './objects.js';

/**
 * A Kubernetes API server stand-in on loopback for the real `kubectl` (K3s and kube-apiserver cannot run
 * here). It answers exactly what kubectl 1.32 asks for `get --raw /readyz`, `get <kind> -A -o json`,
 * `get events -n <ns> -o json` and `logs`, checked with `kubectl -v=6` (see README.md):
 * health, version, legacy discovery, lists (with `limit`/`continue` chunking as the real server does)
 * and pod logs. The cluster is scripted over time by a scenario; every request is counted per path so a
 * test can prove that the requests per poll do not grow with the number of objects.
 *
 * Shapes follow the API reference (links at each builder); the wire conventions follow
 * https://kubernetes.io/docs/reference/using-api/api-concepts/ (collections, chunking, Status errors).
 */
export interface ClusterState {
  nodes?: Json[];
  pods?: Json[];
  deployments?: Json[];
  daemonsets?: Json[];
  statefulsets?: Json[];
  jobs?: Json[];
  events?: Json[];
  persistentvolumeclaims?: Json[];
  storageclasses?: Json[];
  /**
   * Custom resources keyed `group/version/plural` (one of CUSTOM_RESOURCES). A key that is present means
   * its CustomResourceDefinition is installed: discovery lists the group only then, as a real server does.
   */
  custom?: Record<string, Json[]>;
  /** Pod logs keyed `namespace/pod/container` (current run) or `namespace/pod/container/previous`. */
  logs?: Record<string, string>;
  /** The /readyz answer; default 200 `ok`. */
  readyz?: { status: number; body: string };
}

/** The cluster as it is `elapsedMs` after the first request reached the server. */
export type Scenario = (elapsedMs: number) => ClusterState;

export interface StandInOptions {
  scenario: Scenario;
  /** Serve HTTPS with this certificate (PEM) — as K3s does on 6443. */
  tls?: { cert: string; key: string };
  /** Require `Authorization: Bearer <token>` (except on the public health and version endpoints). */
  token?: string;
  /** The K3s version reported by /version. */
  gitVersion?: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  authorized: boolean;
}

export interface KubeApiStandIn {
  url: string;
  port: number;
  /** Every request, in order. */
  requests(): RecordedRequest[];
  /** Request counts per path (query string removed). */
  counts(): Record<string, number>;
  /** Non-GET requests (a verifier must never write). */
  writes(): RecordedRequest[];
  reset(): void;
  close(): Promise<void>;
}

interface Resource {
  name: string;
  singularName: string;
  namespaced: boolean;
  kind: string;
  shortNames?: string[];
  categories?: string[];
  /** Key in ClusterState that holds the objects. */
  state?: keyof ClusterState;
  /** Key in ClusterState.custom (`group/version/plural`) for a custom resource. */
  custom?: string;
}

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** The groups and resources kubectl needs (legacy discovery: APIVersions, APIGroupList, APIResourceList). */
const GROUPS: Record<string, Resource[]> = {
  v1: [
    {
      name: 'events',
      singularName: 'event',
      namespaced: true,
      kind: 'Event',
      shortNames: ['ev'],
      state: 'events',
    },
    {
      name: 'namespaces',
      singularName: 'namespace',
      namespaced: false,
      kind: 'Namespace',
      shortNames: ['ns'],
    },
    {
      name: 'nodes',
      singularName: 'node',
      namespaced: false,
      kind: 'Node',
      shortNames: ['no'],
      state: 'nodes',
    },
    {
      name: 'pods',
      singularName: 'pod',
      namespaced: true,
      kind: 'Pod',
      shortNames: ['po'],
      categories: ['all'],
      state: 'pods',
    },
    { name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod' },
    {
      name: 'persistentvolumeclaims',
      singularName: 'persistentvolumeclaim',
      namespaced: true,
      kind: 'PersistentVolumeClaim',
      shortNames: ['pvc'],
      state: 'persistentvolumeclaims',
    },
  ],
  'apps/v1': [
    {
      name: 'daemonsets',
      singularName: 'daemonset',
      namespaced: true,
      kind: 'DaemonSet',
      shortNames: ['ds'],
      categories: ['all'],
      state: 'daemonsets',
    },
    {
      name: 'deployments',
      singularName: 'deployment',
      namespaced: true,
      kind: 'Deployment',
      shortNames: ['deploy'],
      categories: ['all'],
      state: 'deployments',
    },
    {
      name: 'replicasets',
      singularName: 'replicaset',
      namespaced: true,
      kind: 'ReplicaSet',
      shortNames: ['rs'],
    },
    {
      name: 'statefulsets',
      singularName: 'statefulset',
      namespaced: true,
      kind: 'StatefulSet',
      shortNames: ['sts'],
      categories: ['all'],
      state: 'statefulsets',
    },
  ],
  'batch/v1': [
    { name: 'cronjobs', singularName: 'cronjob', namespaced: true, kind: 'CronJob', shortNames: ['cj'] },
    { name: 'jobs', singularName: 'job', namespaced: true, kind: 'Job', categories: ['all'], state: 'jobs' },
  ],
  'storage.k8s.io/v1': [
    {
      name: 'storageclasses',
      singularName: 'storageclass',
      namespaced: false,
      kind: 'StorageClass',
      shortNames: ['sc'],
      state: 'storageclasses',
    },
  ],
};

/**
 * The custom resources the stand-in can serve, as their CustomResourceDefinitions declare them (names,
 * scope, short names): K3s' HelmChart (k3s-io/helm-controller, pkg/crds and pkg/apis/helm.cattle.io/v1)
 * and Longhorn's Volume (longhorn/longhorn-manager k8s/pkg/apis/longhorn/v1beta2/volume.go,
 * `+kubebuilder:resource:shortName=lhv`). Served only while ClusterState.custom has their key.
 */
export const CUSTOM_RESOURCES: Record<string, Resource[]> = {
  'helm.cattle.io/v1': [
    {
      name: 'helmcharts',
      singularName: 'helmchart',
      namespaced: true,
      kind: 'HelmChart',
      custom: 'helm.cattle.io/v1/helmcharts',
    },
  ],
  'longhorn.io/v1beta2': [
    {
      name: 'volumes',
      singularName: 'volume',
      namespaced: true,
      kind: 'Volume',
      shortNames: ['lhv'],
      categories: ['longhorn'],
      custom: 'longhorn.io/v1beta2/volumes',
    },
  ],
};

/** Built-in groups plus the custom groups whose CRDs are installed in this state. */
function groupsOf(state: ClusterState): Record<string, Resource[]> {
  const out: Record<string, Resource[]> = { ...GROUPS };
  for (const [gv, resources] of Object.entries(CUSTOM_RESOURCES)) {
    const installed = resources.filter((r) => state.custom?.[r.custom!] !== undefined);
    if (installed.length > 0) out[gv] = installed;
  }
  return out;
}

/** APIResourceList — k8s.io/apimachinery/pkg/apis/meta/v1/types.go (discovery of one group version). */
function resourceList(groups: Record<string, Resource[]>, groupVersion: string): Json {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion,
    resources: groups[groupVersion].map((r) => ({
      name: r.name,
      singularName: r.singularName,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.name.includes('/') ? ['get'] : VERBS,
      ...(r.shortNames ? { shortNames: r.shortNames } : {}),
      ...(r.categories ? { categories: r.categories } : {}),
    })),
  };
}

/** APIGroupList — answer of GET /apis. */
function groupList(all: Record<string, Resource[]>): Json {
  const groups = Object.keys(all)
    .filter((gv) => gv.includes('/'))
    .map((gv) => {
      const [name, version] = gv.split('/');
      return {
        name,
        versions: [{ groupVersion: gv, version }],
        preferredVersion: { groupVersion: gv, version },
      };
    });
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

/** Status — https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/status/ */
function status(code: number, reason: string, message: string, details?: Json): Json {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  };
}

function send(res: http.ServerResponse, code: number, body: Json | string): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
    'Cache-Control': 'no-cache, private',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

const PUBLIC = new Set(['/version', '/readyz', '/livez', '/healthz']);
const RESOURCE_VERSION = '48213';

function findResource(
  groups: Record<string, Resource[]>,
  groupVersion: string,
  name: string,
): Resource | undefined {
  return groups[groupVersion]?.find((r) => r.name === name);
}

/**
 * Field selectors (`a=b`, `a==b`, `a!=b`, comma-separated), for the fields an Event supports
 * (kubernetes pkg/apis/core/v1/conversion.go, AddFieldLabelConversionsForEvent); anything else is
 * refused with 400 BadRequest as the real server refuses an unsupported field label.
 * https://kubernetes.io/docs/concepts/overview/working-with-objects/field-selectors/
 */
const EVENT_FIELDS = new Set([
  'involvedObject.kind',
  'involvedObject.namespace',
  'involvedObject.name',
  'involvedObject.uid',
  'involvedObject.apiVersion',
  'involvedObject.resourceVersion',
  'involvedObject.fieldPath',
  'reason',
  'source',
  'type',
  'metadata.namespace',
  'metadata.name',
]);

function fieldValue(o: Json, field: string): string {
  if (field === 'source') return String(((o.source ?? {}) as Json).component ?? '');
  let v: unknown = o;
  for (const part of field.split('.')) v = v && typeof v === 'object' ? (v as Json)[part] : undefined;
  return v === undefined || v === null ? '' : String(v);
}

function fieldFilter(selector: string): ((o: Json) => boolean) | string {
  const terms = selector.split(',').filter(Boolean);
  const tests: Array<(o: Json) => boolean> = [];
  for (const term of terms) {
    const m = /^([^!=]+)(==|=|!=)(.*)$/.exec(term);
    if (!m || !EVENT_FIELDS.has(m[1])) return `field label not supported: ${m ? m[1] : term}`;
    const [, field, op, value] = m;
    tests.push((o) => (fieldValue(o, field) === value) === (op !== '!='));
  }
  return (o) => tests.every((t) => t(o));
}

/** A list (collection) response with the server's chunking: `limit` → `continue` token + remainingItemCount. */
function listResponse(r: Resource, groupVersion: string, items: Json[], query: Record<string, string>): Json {
  const limit = Number(query.limit ?? '0');
  const offset = query.continue ? Number(Buffer.from(query.continue, 'base64').toString('utf8')) : 0;
  const page = limit > 0 ? items.slice(offset, offset + limit) : items.slice(offset);
  const next = limit > 0 && offset + limit < items.length ? offset + limit : undefined;
  return {
    kind: `${r.kind}List`,
    apiVersion: groupVersion,
    metadata: {
      resourceVersion: RESOURCE_VERSION,
      ...(next !== undefined
        ? {
            continue: Buffer.from(String(next)).toString('base64'),
            remainingItemCount: items.length - next,
          }
        : {}),
    },
    items: page,
  };
}

function metaOf(o: Json): { namespace?: string; name?: string } {
  return (o.metadata ?? {}) as { namespace?: string; name?: string };
}

export async function startKubeApiServer(opts: StandInOptions): Promise<KubeApiStandIn> {
  let started: number | undefined;
  let log: RecordedRequest[] = [];
  const state = (): ClusterState => opts.scenario(Date.now() - (started ?? Date.now()));

  const handle = (req: http.IncomingMessage, res: http.ServerResponse) => {
    started ??= Date.now();
    const u = new URL(req.url ?? '/', 'http://localhost');
    const query = Object.fromEntries(u.searchParams);
    const path = u.pathname.replace(/\/+$/, '') || '/';
    const authorized = !opts.token || req.headers.authorization === `Bearer ${opts.token}`;
    log.push({ method: req.method ?? 'GET', path, query, authorized });
    if (req.method !== 'GET') {
      send(
        res,
        405,
        status(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`),
      );
      return;
    }
    if (!authorized && !PUBLIC.has(path)) {
      send(res, 401, status(401, 'Unauthorized', 'Unauthorized'));
      return;
    }
    route(path, query, res);
  };

  const route = (path: string, query: Record<string, string>, res: http.ServerResponse) => {
    if (path === '/readyz' || path === '/livez' || path === '/healthz') {
      const r =
        path === '/readyz' ? (state().readyz ?? { status: 200, body: 'ok' }) : { status: 200, body: 'ok' };
      send(res, r.status, r.body);
      return;
    }
    if (path === '/version') {
      // version.Info — k8s.io/apimachinery/pkg/version/types.go
      const gitVersion = opts.gitVersion ?? 'v1.32.5+k3s1';
      const [, major, minor] = /^v(\d+)\.(\d+)/.exec(gitVersion) ?? ['', '1', '32'];
      send(res, 200, {
        major,
        minor,
        gitVersion,
        gitCommit: '8e8f2a4726fdb4ca628eb62b2a526b64d0e6a763',
        gitTreeState: 'clean',
        buildDate: '2025-05-16T18:43:12Z',
        goVersion: 'go1.23.8',
        compiler: 'gc',
        platform: 'linux/arm64',
      });
      return;
    }
    if (path === '/api') {
      // APIVersions — the legacy core group's discovery document.
      send(res, 200, {
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '192.168.1.10:6443' }],
      });
      return;
    }
    const groups = groupsOf(state());
    if (path === '/apis') return send(res, 200, groupList(groups));
    if (path === '/api/v1') return send(res, 200, resourceList(groups, 'v1'));
    const gvDoc = /^\/apis\/([^/]+\/[^/]+)$/.exec(path);
    if (gvDoc && groups[gvDoc[1]]) return send(res, 200, resourceList(groups, gvDoc[1]));

    const logMatch = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/log$/.exec(path);
    if (logMatch) return podLog(logMatch[1], logMatch[2], query, res);

    const m =
      /^\/api\/(v1)(?:\/namespaces\/([^/]+))?\/([^/]+)(?:\/([^/]+))?$/.exec(path) ??
      /^\/apis\/([^/]+\/[^/]+)(?:\/namespaces\/([^/]+))?\/([^/]+)(?:\/([^/]+))?$/.exec(path);
    const r = m ? findResource(groups, m[1], m[3]) : undefined;
    if (!m || !r || (m[2] !== undefined && !r.namespaced)) {
      send(res, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
      return;
    }
    const [, groupVersion, ns, , name] = m;
    const all = objectsOf(r);
    let items = ns ? all.filter((o) => metaOf(o).namespace === ns) : all;
    if (name === undefined && query.fieldSelector && r.name === 'events') {
      const keep = fieldFilter(query.fieldSelector);
      if (typeof keep === 'string') return send(res, 400, status(400, 'BadRequest', keep));
      items = items.filter(keep);
    }
    if (name === undefined) return send(res, 200, listResponse(r, groupVersion, items, query));
    // GET of one object (kubectl logs reads the pod first; on NotFound it reads the namespace).
    const found = items.find((o) => metaOf(o).name === name);
    if (found) return send(res, 200, { kind: r.kind, apiVersion: groupVersion, ...found });
    const group = groupVersion.includes('/') ? groupVersion.split('/')[0] : '';
    send(
      res,
      404,
      status(404, 'NotFound', `${r.name}${group ? `.${group}` : ''} "${name}" not found`, {
        name,
        ...(group ? { group } : {}),
        kind: r.name,
      }),
    );
  };

  /** The objects of a resource; namespaces are derived from the objects (plus the four K3s creates). */
  const objectsOf = (r: Resource): Json[] => {
    const s = state();
    if (r.state) return (s[r.state] as Json[] | undefined) ?? [];
    if (r.custom) return s.custom?.[r.custom] ?? [];
    if (r.name !== 'namespaces') return [];
    const names = new Set(['default', 'kube-node-lease', 'kube-public', 'kube-system']);
    for (const key of [
      'pods',
      'deployments',
      'daemonsets',
      'statefulsets',
      'jobs',
      'persistentvolumeclaims',
    ] as const)
      for (const o of s[key] ?? []) if (metaOf(o).namespace) names.add(metaOf(o).namespace!);
    // Namespace — https://kubernetes.io/docs/reference/kubernetes-api/cluster-resources/namespace-v1/
    return [...names].sort().map((n) => ({
      metadata: { name: n, resourceVersion: '12', creationTimestamp: '2026-11-21T09:00:00Z' },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    }));
  };

  const podLog = (ns: string, name: string, query: Record<string, string>, res: http.ServerResponse) => {
    const s = state();
    const p = (s.pods ?? []).find((o) => metaOf(o).namespace === ns && metaOf(o).name === name);
    if (!p) {
      send(res, 404, status(404, 'NotFound', `pods "${name}" not found`, { name, kind: 'pods' }));
      return;
    }
    const containers = ((p.spec as Json).containers as Array<{ name: string }>).map((c) => c.name);
    const container = query.container ?? (containers.length === 1 ? containers[0] : undefined);
    if (!container || !containers.includes(container)) {
      send(res, 400, status(400, 'BadRequest', `container ${container} is not valid for pod ${name}`));
      return;
    }
    const key = `${ns}/${name}/${container}${query.previous === 'true' ? '/previous' : ''}`;
    const text = s.logs?.[key];
    if (text === undefined) {
      send(
        res,
        400,
        status(400, 'BadRequest', `previous terminated container "${container}" in pod "${name}" not found`),
      );
      return;
    }
    const lines = text.split('\n').filter((l, i, a) => l !== '' || i < a.length - 1);
    const tail = query.tailLines ? lines.slice(-Number(query.tailLines)) : lines;
    send(res, 200, tail.map((l) => `${l}\n`).join(''));
  };

  const server = opts.tls
    ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, handle)
    : http.createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    requests: () => [...log],
    counts: () => {
      const out: Record<string, number> = {};
      for (const r of log) out[r.path] = (out[r.path] ?? 0) + 1;
      return out;
    },
    writes: () => log.filter((r) => r.method !== 'GET'),
    reset: () => {
      log = [];
      started = undefined;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
