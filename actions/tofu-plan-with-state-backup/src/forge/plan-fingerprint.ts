import { createHash } from 'node:crypto';

/**
 * "The same plan" for `require-approved-plan`: two plans are the same when they would make the same
 * changes, not when their files are byte-equal (a saved plan is a zip with timestamps; a fresh plan
 * of unchanged code and state never has the same sha256). Pure.
 *
 * The fingerprint is the sha256 of a canonical JSON (object keys sorted) of:
 * - every resource change that does something (no-op left out), sorted by address (+ deposed key):
 *   its address, actions and replace paths, and what it changes to —
 *   create/replace: the whole `after`; update: only the top-level attributes whose value changes
 *   (before ≠ after) or becomes unknown; delete: nothing more; read (data sources): actions only;
 * - every output change that does something: its actions and `after`;
 * - the state lineage the plan was made against (a plan for another state is another plan).
 *
 * Left out as noise: `timestamp`, `terraform_version`, `format_version`, `prior_state` (serials and
 * refreshed values), `planned_values`, `configuration`, `variables`, `resource_drift`,
 * `relevant_attributes`, `checks`, the order of resources and of object keys, and `before` values
 * of attributes the plan does not change (a refresh that moved an untouched computed attribute is not
 * a different change).
 *
 * Sensitive values (marked by tofu in before_sensitive/after_sensitive) are replaced by a constant
 * before hashing: the fingerprint is published in the pull request comment, and a hash over a short
 * secret could be brute-forced offline. A change to a sensitive value alone is therefore "the same
 * plan" — exactly as the reviewer saw it, since the plan text shows it as "(sensitive value)".
 * Var-file contents are not hashed for the same reason; what they change is in the plan values.
 *
 * Shape: internal/command/jsonplan (opentofu/opentofu; hashicorp/terraform "JSON Output Format").
 */
export const FINGERPRINT_VERSION = 1;
const SENSITIVE = '(sensitive)';

type Json = unknown;
type Obj = Record<string, Json>;

export interface PlanJsonForFingerprint {
  resource_changes?: Array<{
    address?: string;
    deposed?: string;
    change?: {
      actions?: string[];
      before?: Json;
      after?: Json;
      after_unknown?: Json;
      before_sensitive?: Json;
      after_sensitive?: Json;
      replace_paths?: Json;
    };
  }>;
  output_changes?: Record<
    string,
    { actions?: string[]; after?: Json; after_unknown?: Json; after_sensitive?: Json }
  >;
}

const isObj = (v: Json): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The value with every leaf tofu marks sensitive (`true` in the parallel marks structure) replaced. */
export function maskSensitive(value: Json, marks: Json): Json {
  if (marks === true) return SENSITIVE;
  if (Array.isArray(value) && Array.isArray(marks)) return value.map((v, i) => maskSensitive(v, marks[i]));
  if (isObj(value) && isObj(marks)) {
    const out: Obj = {};
    for (const [k, v] of Object.entries(value)) out[k] = maskSensitive(v, marks[k]);
    return out;
  }
  return value;
}

/** JSON with object keys sorted at every level: the same value always gives the same text. */
export function canonicalJson(value: Json): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isObj(value))
    return `{${Object.keys(value)
      .sort()
      .filter((k) => value[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`)
      .join(',')}}`;
  return JSON.stringify(value ?? null);
}

function sameValue(a: Json, b: Json): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

function kind(actions: readonly string[]): string {
  return actions.join(',');
}

function changedAttributes(before: Json, after: Json, unknown: Json): Obj {
  if (!isObj(after)) return { value: after };
  const prior = isObj(before) ? before : {};
  const unknowns = isObj(unknown) ? unknown : {};
  const out: Obj = {};
  for (const k of new Set([...Object.keys(after), ...Object.keys(prior)])) {
    if (!sameValue(prior[k], after[k]) || unknowns[k] !== undefined) out[k] = after[k] ?? null;
  }
  return out;
}

/** The plan reduced to what it would change, ready to be hashed (see the module comment). */
export function normalisePlan(plan: PlanJsonForFingerprint, lineage: string | undefined): Obj {
  const resources = (plan.resource_changes ?? [])
    .filter((rc) => {
      const a = rc.change?.actions ?? [];
      return a.length > 0 && !(a.length === 1 && a[0] === 'no-op');
    })
    .map((rc) => {
      const c = rc.change ?? {};
      const actions = c.actions ?? [];
      const k = kind(actions);
      const before = maskSensitive(c.before, c.before_sensitive);
      const after = maskSensitive(c.after, c.after_sensitive);
      const entry: Obj = { address: rc.address ?? '', actions };
      if (rc.deposed) entry.deposed = rc.deposed;
      if (c.replace_paths !== undefined) entry.replace_paths = c.replace_paths;
      if (k === 'create' || k === 'delete,create' || k === 'create,delete') {
        entry.after = after;
        entry.after_unknown = c.after_unknown ?? null;
      } else if (k === 'update') {
        entry.changes = changedAttributes(before, after, c.after_unknown);
        entry.after_unknown = c.after_unknown ?? null;
      }
      return entry;
    })
    .sort((a, b) => {
      const ka = `${String(a.address)}\u0000${String(a.deposed ?? '')}`;
      const kb = `${String(b.address)}\u0000${String(b.deposed ?? '')}`;
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    });
  const outputs: Obj = {};
  for (const [name, o] of Object.entries(plan.output_changes ?? {})) {
    const actions = o.actions ?? [];
    if (actions.length === 0 || (actions.length === 1 && actions[0] === 'no-op')) continue;
    outputs[name] = {
      actions,
      after: maskSensitive(o.after, o.after_sensitive),
      after_unknown: o.after_unknown ?? null,
    };
  }
  return { version: FINGERPRINT_VERSION, lineage: lineage ?? null, resources, outputs };
}

/** `sha256:<hex>` of the normalised plan. */
export function planFingerprint(plan: PlanJsonForFingerprint, lineage: string | undefined): string {
  const text = canonicalJson(normalisePlan(plan, lineage));
  return `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
}
