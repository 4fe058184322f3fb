import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { ActionError, INVALID_INPUT, InputError } from '../../../../shared/errors.js';
import { Invalid } from '../../../../shared/inputs.js';
import { WORKLOAD_KINDS, type WorkloadKind } from '../cluster/kube-types.js';
import { isLabel, isSubdomain, labelSchema, subdomainSchema } from './names.js';
import { lineOr } from './yaml-items.js';
import { conditionItem, type ConditionExpectation } from './conditions.js';
import { validateOrder, type AfterEntry } from './order.js';
import { afterSchema, volumeId, volumeItem, type VolumeExpectation } from './volumes.js';

/**
 * What the run must prove, from the line inputs and/or the `expect` YAML. The line syntax and the YAML
 * string forms share one parser per item, so `deployment/rustdesk/hbbs` means the same in both places.
 */
export interface WorkloadRef {
  kind: WorkloadKind;
  namespace: string;
  name: string;
}

export interface ContainerExpectation {
  /** Omitted: the workload of that name in the namespace, whatever its kind. */
  kind?: WorkloadKind;
  namespace: string;
  workload: string;
  containers: string[];
}

export interface PortTarget {
  host: string;
  port: number;
  protocol: 'tcp' | 'udp';
}

export type NodeExpectation = { count: number } | { names: string[] };

export interface Expectations {
  nodes?: NodeExpectation;
  workloads: WorkloadRef[];
  containers: ContainerExpectation[];
  ports: PortTarget[];
  systemComponents: boolean;
  maxRestarts: number;
  volumes: VolumeExpectation[];
  /** Check the claims the declared workloads mount, as if they were declared (opt-out). */
  mountedVolumes: boolean;
  conditions: ConditionExpectation[];
  /** `after:` — per expectation id, the ids that must pass before it is checked. */
  after: Record<string, string[]>;
}

export const WORKLOAD_EXPECTED = 'kind/namespace/name with kind deployment|daemonset|statefulset';
export const CONTAINERS_EXPECTED = 'namespace/workload: name1,name2';
export const PORT_EXPECTED = 'host:port/tcp or host:port/udp';
export const NODE_EXPECTED = 'a node count or node names, one per line';

function kindOf(raw: string): WorkloadKind | undefined {
  const k = raw.toLowerCase();
  return (WORKLOAD_KINDS as readonly string[]).includes(k) ? (k as WorkloadKind) : undefined;
}

/** `deployment/rustdesk/hbbs` */
export function parseWorkloadLine(line: string): WorkloadRef | Invalid {
  const parts = line.trim().split('/');
  if (parts.length !== 3) return new Invalid(WORKLOAD_EXPECTED);
  const kind = kindOf(parts[0]);
  if (!kind) return new Invalid(`a workload kind: one of ${WORKLOAD_KINDS.join('|')}`);
  if (!isLabel(parts[1])) return new Invalid('a namespace name (lower-case letters, digits and -)');
  if (!isSubdomain(parts[2])) return new Invalid('a workload name (lower-case letters, digits, - and .)');
  return { kind, namespace: parts[1], name: parts[2] };
}

/** `rustdesk/hbbs: hbbs` or `daemonset/rustdesk/hbbr: hbbr,sidecar` */
export function parseContainersLine(line: string): ContainerExpectation | Invalid {
  const colon = line.indexOf(':');
  if (colon < 0) return new Invalid(CONTAINERS_EXPECTED);
  const ref = line.slice(0, colon).trim().split('/');
  const names = line
    .slice(colon + 1)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (ref.length < 2 || ref.length > 3 || names.length === 0) return new Invalid(CONTAINERS_EXPECTED);
  const kind = ref.length === 3 ? kindOf(ref[0]) : undefined;
  if (ref.length === 3 && !kind) return new Invalid(`a workload kind: one of ${WORKLOAD_KINDS.join('|')}`);
  const [namespace, workload] = ref.slice(-2);
  if (!isLabel(namespace)) return new Invalid('a namespace name (lower-case letters, digits and -)');
  if (!isSubdomain(workload)) return new Invalid('a workload name (lower-case letters, digits, - and .)');
  const bad = names.find((n) => !isLabel(n));
  if (bad !== undefined) return new Invalid(`a container name ('${bad.slice(0, 40)}' is not)`);
  return { ...(kind ? { kind } : {}), namespace, workload, containers: [...new Set(names)] };
}

const HOST = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?)$/;

/** `10.0.0.5:21116/udp`, `edge-1.lan:21117/tcp`, `[fd00::5]:21115/tcp`; the protocol defaults to tcp. */
export function parsePortLine(line: string): PortTarget | Invalid {
  const m = /^(.+):(\d{1,5})(?:\/(tcp|udp))?$/i.exec(line.trim());
  if (!m || !HOST.test(m[1])) return new Invalid(PORT_EXPECTED);
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return new Invalid('a port from 1 to 65535');
  const host = m[1].startsWith('[') ? m[1].slice(1, -1) : m[1];
  return { host, port, protocol: (m[3]?.toLowerCase() ?? 'tcp') as 'tcp' | 'udp' };
}

/** One item of the `nodes` input: a count or a node name (cross-item rules in `nodesFromLines`). */
export function parseNodeItem(item: string): string | Invalid {
  return /^\d{1,4}$/.test(item) || isSubdomain(item) ? item : new Invalid('a node name or a count');
}

export function nodesFromLines(items: readonly string[] | undefined): NodeExpectation | undefined {
  if (!items || items.length === 0) return undefined;
  const numeric = items.filter((i) => /^\d+$/.test(i));
  if (numeric.length === 0) return { names: [...new Set(items)] };
  if (items.length === 1 && Number(items[0]) >= 1) return { count: Number(items[0]) };
  throw new InputError('nodes', NODE_EXPECTED, `'${items.join('\\n').slice(0, 80)}'`);
}

// ---- the expect YAML ----------------------------------------------------------------------------

const kindSchema = z.enum(WORKLOAD_KINDS as [WorkloadKind, ...WorkloadKind[]], {
  error: `expected one of ${WORKLOAD_KINDS.join('|')}`,
});
const containerNames = z
  .array(labelSchema('a container name'), { error: 'expected a list of container names' })
  .min(1, { error: 'expected at least one container name' });

interface WorkloadItem {
  ref: WorkloadRef;
  containers?: string[];
  after?: string[];
}

const workloadItem = lineOr<WorkloadItem>(
  (line) => {
    const ref = parseWorkloadLine(line);
    return ref instanceof Invalid ? ref : { ref };
  },
  WORKLOAD_EXPECTED,
  z
    .strictObject({
      kind: kindSchema,
      namespace: labelSchema('a namespace name'),
      name: subdomainSchema('a workload name'),
      containers: containerNames.optional(),
      after: afterSchema.optional(),
    })
    .transform(({ kind, namespace, name, containers, after }) => ({
      ref: { kind, namespace, name },
      ...(containers ? { containers } : {}),
      ...(after ? { after } : {}),
    })),
);

/**
 * `- rustdesk/hbbs: hbbs` is the line syntax, but YAML reads it as a one-key mapping: accept that form
 * (value a string or a list of names) as the line it looks like.
 */
function containersFromMapping(value: unknown): unknown {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
  const entries = Object.entries(value);
  if (entries.length !== 1 || !entries[0][0].includes('/')) return value;
  const [ref, names] = entries[0];
  if (typeof names === 'string') return `${ref}: ${names}`;
  if (Array.isArray(names) && names.every((n) => typeof n === 'string')) return `${ref}: ${names.join(',')}`;
  return value;
}

const containersItem = lineOr<ContainerExpectation>(
  parseContainersLine,
  CONTAINERS_EXPECTED,
  z
    .strictObject({
      kind: kindSchema.optional(),
      namespace: labelSchema('a namespace name'),
      workload: subdomainSchema('a workload name'),
      containers: containerNames,
    })
    .transform((c) => ({ ...c, containers: [...new Set(c.containers)] })),
  containersFromMapping,
);

const portItem = lineOr<PortTarget>(
  parsePortLine,
  PORT_EXPECTED,
  z.strictObject({
    host: z
      .string({ error: 'expected a host name or IP address' })
      .refine((h) => HOST.test(h) || h.includes(':'), {
        error: 'expected a host name or IP address',
      }),
    port: z
      .int({ error: 'expected a port from 1 to 65535' })
      .min(1)
      .max(65535, { error: 'expected a port from 1 to 65535' }),
    protocol: z.enum(['tcp', 'udp'], { error: 'expected tcp or udp' }).default('tcp'),
  }),
);

const nodesItem = z.unknown().transform((value, ctx): NodeExpectation => {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1) return { count: value };
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string' && isSubdomain(v)))
    return { names: [...new Set(value as string[])] };
  ctx.addIssue({
    code: 'custom',
    message: 'expected a node count (≥ 1) or a list of node names',
    input: value,
  });
  return z.NEVER;
});

const documentSchema = z.strictObject(
  {
    nodes: nodesItem.optional(),
    workloads: z.array(workloadItem, { error: 'expected a list' }).optional(),
    containers: z.array(containersItem, { error: 'expected a list' }).optional(),
    ports: z.array(portItem, { error: 'expected a list' }).optional(),
    'system-components': z.boolean({ error: 'expected true or false' }).optional(),
    'max-restarts': z
      .int({ error: 'expected an integer from 0 to 1000' })
      .min(0, { error: 'expected an integer from 0 to 1000' })
      .max(1000, { error: 'expected an integer from 0 to 1000' })
      .optional(),
    volumes: z.array(volumeItem, { error: 'expected a list' }).optional(),
    'mounted-volumes': z.boolean({ error: 'expected true or false' }).optional(),
    conditions: z.array(conditionItem, { error: 'expected a list' }).optional(),
  },
  {
    error:
      'expected a mapping with nodes, workloads, containers, ports, volumes, conditions, system-components, mounted-volumes, max-restarts',
  },
);

export interface ExpectDocument {
  nodes?: NodeExpectation;
  workloads: WorkloadRef[];
  containers: ContainerExpectation[];
  ports: PortTarget[];
  volumes: VolumeExpectation[];
  conditions: ConditionExpectation[];
  after: AfterEntry[];
  mountedVolumes?: boolean;
  systemComponents?: boolean;
  maxRestarts?: number;
}

/** `workloads[1].kind` from a zod path. */
export function yamlPath(root: string, path: ReadonlyArray<PropertyKey>): string {
  let out = root;
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `.${String(p)}`;
  return out;
}

function shownValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = typeof v === 'string' ? `'${v}'` : JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}

interface Issue {
  code: string;
  path: ReadonlyArray<PropertyKey>;
  message: string;
  keys?: string[];
  input?: unknown;
}

export function describeIssue(root: string, issue: Issue): string {
  if (issue.code === 'unrecognized_keys' && issue.keys?.length) {
    return `${yamlPath(root, [...issue.path, issue.keys[0]])}: unknown key`;
  }
  const message = issue.message.startsWith('expected') ? issue.message : `expected ${issue.message}`;
  const got =
    issue.code === 'unrecognized_keys' || typeof issue.input === 'object'
      ? ''
      : `, got ${shownValue(issue.input)}`;
  return `${yamlPath(root, issue.path)}: ${message}${got}`;
}

function expectError(input: string, detail: string, file?: string): ActionError {
  return new ActionError(
    INVALID_INPUT,
    `Input '${input}' is invalid: ${detail}${file ? ` (in ${file})` : ''}.`,
    'See the expect schema in the README of k3s-verify.',
  );
}

/** Parses and validates the expect YAML; every error names the input and the YAML path. */
export function parseExpectDocument(
  text: string,
  input: 'expect' | 'expect-file',
  file?: string,
): ExpectDocument {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const pos = lineCounter.linePos(e.pos[0]);
    const at = ` at line ${pos.line}, column ${pos.col}`;
    throw expectError(input, `YAML syntax error${at}: ${e.message.split('\n')[0]}`, file);
  }
  const value: unknown = doc.toJS() ?? {};
  const out = documentSchema.safeParse(value, { reportInput: true });
  if (!out.success) throw expectError(input, describeIssue('expect', out.error.issues[0] as Issue), file);
  const d = out.data;
  const workloads = (d.workloads ?? []).map((w) => w.ref);
  const containers = [
    ...(d.workloads ?? [])
      .filter((w) => w.containers)
      .map((w) => ({
        kind: w.ref.kind,
        namespace: w.ref.namespace,
        workload: w.ref.name,
        containers: w.containers!,
      })),
    ...(d.containers ?? []),
  ];
  const conditions = (d.conditions ?? []).map((c) => c.condition);
  const seen = new Set<string>();
  for (const [i, c] of conditions.entries()) {
    if (seen.has(c.id))
      throw expectError(
        input,
        `expect.conditions[${i}]: another condition has the id '${c.id}' (give each an id of its own)`,
        file,
      );
    seen.add(c.id);
  }
  const after: AfterEntry[] = [
    ...(d.workloads ?? []).flatMap((w, i) =>
      w.after ? [{ id: workloadId(w.ref), after: w.after, path: `expect.workloads[${i}].after` }] : [],
    ),
    ...(d.volumes ?? []).flatMap((v, i) =>
      v.after ? [{ id: volumeId(v.volume), after: v.after, path: `expect.volumes[${i}].after` }] : [],
    ),
    ...(d.conditions ?? []).flatMap((c, i) =>
      c.after ? [{ id: c.condition.id, after: c.after, path: `expect.conditions[${i}].after` }] : [],
    ),
  ];
  return {
    ...(d.nodes ? { nodes: d.nodes } : {}),
    workloads,
    containers,
    ports: d.ports ?? [],
    volumes: (d.volumes ?? []).map((v) => v.volume),
    conditions,
    after,
    ...(d['mounted-volumes'] !== undefined ? { mountedVolumes: d['mounted-volumes'] } : {}),
    ...(d['system-components'] !== undefined ? { systemComponents: d['system-components'] } : {}),
    ...(d['max-restarts'] !== undefined ? { maxRestarts: d['max-restarts'] } : {}),
  };
}

// ---- merging line inputs and the YAML -----------------------------------------------------------

export interface LineExpectations {
  nodes?: readonly string[];
  workloads?: readonly WorkloadRef[];
  containers?: readonly ContainerExpectation[];
  ports?: readonly PortTarget[];
  volumes?: readonly VolumeExpectation[];
  systemComponents: boolean;
  maxRestarts: number;
  mountedVolumes: boolean;
}

export const DEFAULT_SYSTEM_COMPONENTS = true;
export const DEFAULT_MOUNTED_VOLUMES = true;
export const DEFAULT_MAX_RESTARTS = 3;

function sameNodes(a: NodeExpectation, b: NodeExpectation): boolean {
  if ('count' in a || 'count' in b) return 'count' in a && 'count' in b && a.count === b.count;
  return [...a.names].sort().join() === [...b.names].sort().join();
}

function dedupe<T>(items: T[], key: (t: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const item of items) if (!seen.has(key(item))) seen.set(key(item), item);
  return [...seen.values()];
}

/** Containers of one workload given twice are joined (`rustdesk/hbbs: a` + `rustdesk/hbbs: b`). */
function mergeContainers(items: ContainerExpectation[]): ContainerExpectation[] {
  const byKey = new Map<string, ContainerExpectation>();
  for (const c of items) {
    const key = `${c.kind ?? '*'}/${c.namespace}/${c.workload}`;
    const prev = byKey.get(key);
    byKey.set(key, prev ? { ...prev, containers: [...new Set([...prev.containers, ...c.containers])] } : c);
  }
  return [...byKey.values()];
}

/** A claim given twice (line input and YAML) is one check; options given in both places must agree. */
function mergeVolumes(items: VolumeExpectation[], docInput: string): VolumeExpectation[] {
  const byId = new Map<string, VolumeExpectation>();
  for (const v of items) {
    const prev = byId.get(volumeId(v));
    if (!prev) {
      byId.set(volumeId(v), v);
      continue;
    }
    const clash =
      (prev.storageClass && v.storageClass && prev.storageClass !== v.storageClass) ||
      (prev.size && v.size && prev.size.text !== v.size.text);
    if (clash)
      throw new InputError(
        'volumes',
        `the same storage-class and size as ${docInput} (expect.volumes) for ${v.namespace}/${v.claim}, or only one of the two`,
        `'${v.namespace}/${v.claim}'`,
      );
    byId.set(volumeId(v), {
      ...prev,
      ...(v.storageClass ? { storageClass: v.storageClass } : {}),
      ...(v.size ? { size: v.size } : {}),
    });
  }
  return [...byId.values()];
}

/**
 * Lists (workloads, containers, ports, volumes) are the union of both sources. A scalar given in both places must
 * agree; a line input left at its default yields to the YAML.
 */
export function mergeExpectations(
  lines: LineExpectations,
  doc: ExpectDocument | undefined,
  docInput: string,
): Expectations {
  const lineNodes = nodesFromLines(lines.nodes);
  if (lineNodes && doc?.nodes && !sameNodes(lineNodes, doc.nodes)) {
    throw new InputError(
      'nodes',
      `the same nodes as ${docInput} (expect.nodes), or only one of the two`,
      `'${(lines.nodes ?? []).join('\\n').slice(0, 80)}'`,
    );
  }
  const scalar = <T>(name: string, line: T, fallback: T, fromDoc: T | undefined): T => {
    if (fromDoc === undefined || fromDoc === line) return line;
    if (line === fallback) return fromDoc;
    throw new InputError(
      name,
      `the same value as expect.${name} in ${docInput} (${String(fromDoc)}), or only one of the two`,
      `'${String(line)}'`,
    );
  };
  const workloads = dedupe([...(lines.workloads ?? []), ...(doc?.workloads ?? [])], workloadId);
  const volumes = mergeVolumes([...(lines.volumes ?? []), ...(doc?.volumes ?? [])], docInput);
  const conditions = doc?.conditions ?? [];
  const known = new Set([
    ...workloads.map(workloadId),
    ...volumes.map(volumeId),
    ...conditions.map((c) => c.id),
  ]);
  const order = validateOrder(doc?.after ?? [], known);
  if ('path' in order)
    throw new ActionError(
      INVALID_INPUT,
      `Input '${docInput}' is invalid: ${order.path}: ${order.detail}.`,
      'See the expect schema in the README of k3s-verify.',
    );
  return {
    nodes: lineNodes ?? doc?.nodes,
    workloads,
    containers: mergeContainers([...(lines.containers ?? []), ...(doc?.containers ?? [])]),
    ports: dedupe(
      [...(lines.ports ?? []), ...(doc?.ports ?? [])],
      (p) => `${p.host}:${p.port}/${p.protocol}`,
    ),
    systemComponents: scalar(
      'system-components',
      lines.systemComponents,
      DEFAULT_SYSTEM_COMPONENTS,
      doc?.systemComponents,
    ),
    maxRestarts: scalar('max-restarts', lines.maxRestarts, DEFAULT_MAX_RESTARTS, doc?.maxRestarts),
    volumes,
    mountedVolumes: scalar(
      'mounted-volumes',
      lines.mountedVolumes,
      DEFAULT_MOUNTED_VOLUMES,
      doc?.mountedVolumes,
    ),
    conditions,
    after: order,
  };
}

export function workloadId(w: { kind: string; namespace: string; name: string }): string {
  return `${w.kind}/${w.namespace}/${w.name}`;
}

export function portId(p: PortTarget): string {
  const host = p.host.includes(':') ? `[${p.host}]` : p.host;
  return `${host}:${p.port}/${p.protocol}`;
}
