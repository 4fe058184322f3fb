import { z } from 'zod';
import { isLabel, isSubdomain } from './names.js';
import { parseJsonPath, type JsonPath } from './jsonpath.js';
import { parseLabelSelector, type LabelSelector } from './label-selector.js';
import { afterSchema } from './volumes.js';

/**
 * A condition that must hold on any resource, built-in or custom (a Longhorn Volume, a Kyverno policy,
 * a K3s HelmChart), checked the way `kubectl wait` checks it (k8s.io/kubectl pkg/cmd/wait/wait.go):
 * `condition: Ready=True` — the status condition of that type, type and value compared ignoring case,
 * not counted while its observedGeneration is behind metadata.generation; `jsonpath: '{.status.x}=v'` —
 * the field's string form equals v, a missing field means "not yet". Objects are named by `name` or picked
 * by a label `selector` (every match must pass, and at least one must exist).
 */
export interface ConditionExpectation {
  /** How `after:` and the report name it: the `id` given, else `<kind>[.<group>]/<namespace>/<name>`. */
  id: string;
  apiVersion: string;
  group: string;
  version: string;
  kind: string;
  namespace?: string;
  name?: string;
  selector?: LabelSelector;
  /** What must hold; default Ready=True when neither a condition nor a jsonpath is given. */
  condition?: { type: string; status: string };
  jsonpath?: { path: JsonPath; value: string };
  /** Reasons of the awaited condition, when it does not hold, that waiting cannot fix (fail at once). */
  failReasons: string[];
  /** Values of the jsonpath field that waiting cannot fix (Longhorn's `faulted`). */
  failValues: string[];
}

/** `helmchart.helm.cattle.io` (kubectl's resource.group form), `service` for the core group. */
export function kindId(c: { kind: string; group: string }): string {
  return `${c.kind.toLowerCase()}${c.group ? `.${c.group}` : ''}`;
}

/** The argument kubectl resolves to exactly this kind and version: `helmchart.v1.helm.cattle.io`. */
export function resourceArg(c: { kind: string; group: string; version: string }): string {
  return `${c.kind.toLowerCase()}.${c.version}.${c.group}`;
}

export function objectId(c: { kind: string; group: string }, namespace: string | undefined, name: string) {
  return `${kindId(c)}/${namespace ? `${namespace}/` : ''}${name}`;
}

const API_VERSION = /^(?:([a-z0-9]([-a-z0-9.]*[a-z0-9])?)\/)?(v\d+(?:(?:alpha|beta)\d+)?)$/;
const KIND = /^[A-Z][A-Za-z0-9]{0,62}$/;
const CONDITION = /^([A-Za-z][\w.-]{0,62})(?:=([A-Za-z]+))?$/;

const text = (what: string) => z.string({ error: `expected ${what}` });

const conditionSchema = text('Type=Status such as Ready=True').transform((raw, ctx) => {
  const m = CONDITION.exec(raw.trim());
  if (m) return { type: m[1], status: m[2] ?? 'True' };
  ctx.addIssue({ code: 'custom', message: 'expected Type=Status such as Ready=True', input: raw });
  return z.NEVER;
});

/** kubectl wait's form: `{.status.robustness}=healthy` (the value may be quoted). */
const jsonpathSchema = text("'{.path}=value' such as '{.status.robustness}=healthy'").transform(
  (raw, ctx) => {
    const eq = raw.lastIndexOf('=');
    const value =
      eq > 0
        ? raw
            .slice(eq + 1)
            .trim()
            .replace(/^['"]|['"]$/g, '')
        : '';
    const path = eq > 0 ? parseJsonPath(raw.slice(0, eq)) : 'a value after =';
    if (typeof path !== 'string' && value !== '') return { path, value };
    ctx.addIssue({
      code: 'custom',
      message: `expected '{.path}=value' such as '{.status.robustness}=healthy'${typeof path === 'string' ? ` (${path})` : ''}`,
      input: raw,
    });
    return z.NEVER;
  },
);

const selectorSchema = text('a label selector such as app=longhorn').transform((raw, ctx) => {
  const s = parseLabelSelector(raw);
  if (s) return s;
  ctx.addIssue({ code: 'custom', message: 'expected a label selector such as app=longhorn', input: raw });
  return z.NEVER;
});

const reasons = z
  .array(text('a condition reason').min(1, { error: 'expected a condition reason' }), {
    error: 'expected a list',
  })
  .optional();

export interface ConditionItem {
  condition: ConditionExpectation;
  after?: string[];
}

export const conditionItem = z
  .strictObject(
    {
      id: text('an id (lower-case letters, digits, - and .)')
        .refine(isSubdomain, { error: 'expected an id (lower-case letters, digits, - and .)' })
        .optional(),
      apiVersion: text('an apiVersion such as longhorn.io/v1beta2 or v1').refine((v) => API_VERSION.test(v), {
        error: 'expected an apiVersion such as longhorn.io/v1beta2 or v1',
      }),
      kind: text('a kind such as HelmChart').refine((v) => KIND.test(v), {
        error: 'expected a kind such as HelmChart (as in the manifest)',
      }),
      namespace: text('a namespace name').refine(isLabel, { error: 'expected a namespace name' }).optional(),
      name: text('an object name').refine(isSubdomain, { error: 'expected an object name' }).optional(),
      selector: selectorSchema.optional(),
      condition: conditionSchema.optional(),
      jsonpath: jsonpathSchema.optional(),
      'fail-reasons': reasons,
      'fail-values': reasons,
      after: afterSchema.optional(),
    },
    { error: 'expected a mapping with apiVersion, kind, name or selector and condition or jsonpath' },
  )
  .superRefine((c, ctx) => {
    if ((c.name === undefined) === (c.selector === undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['name'],
        message: 'expected either name or selector',
        input: undefined,
      });
    if (c['fail-values'] && !c.jsonpath)
      ctx.addIssue({
        code: 'custom',
        path: ['fail-values'],
        message: 'expected fail-values only together with jsonpath',
        input: undefined,
      });
  })
  .transform((c): ConditionItem => {
    const m = API_VERSION.exec(c.apiVersion)!;
    const group = m[1] ?? '';
    const version = m[3];
    const condition = c.condition ?? (c.jsonpath ? undefined : { type: 'Ready', status: 'True' });
    const where = c.name ?? `{${c.selector!.text}}`;
    return {
      condition: {
        id: c.id ?? objectId({ kind: c.kind, group }, c.namespace, where),
        apiVersion: c.apiVersion,
        group,
        version,
        kind: c.kind,
        ...(c.namespace !== undefined ? { namespace: c.namespace } : {}),
        ...(c.name !== undefined ? { name: c.name } : {}),
        ...(c.selector !== undefined ? { selector: c.selector } : {}),
        ...(condition ? { condition } : {}),
        ...(c.jsonpath ? { jsonpath: c.jsonpath } : {}),
        failReasons: c['fail-reasons'] ?? [],
        failValues: c['fail-values'] ?? [],
      },
      ...(c.after ? { after: c.after } : {}),
    };
  });

/** How the report says what a condition expectation waits for: `Ready=True`, `{.status.robustness}=healthy`. */
export function wants(c: ConditionExpectation): string {
  return [
    c.condition ? `${c.condition.type}=${c.condition.status}` : '',
    c.jsonpath ? `${c.jsonpath.path.text}=${c.jsonpath.value}` : '',
  ]
    .filter(Boolean)
    .join(' and ');
}
