/**
 * Counts and change lists from `tofu show -json <plan>` (never from the plan text). Pure.
 * Shape: internal/command/jsonplan in opentofu/opentofu — `resource_changes[].change.actions`,
 * `output_changes`, `variables`, `configuration.root_module.{outputs,variables}`.
 */
export interface ShowPlanJson {
  /** The version of the binary that showed the plan (both tools keep this field name). */
  terraform_version?: string;
  resource_changes?: { address: string; change: { actions: string[] } }[];
  output_changes?: Record<string, { actions: string[] }>;
  variables?: Record<string, { value?: unknown }>;
  configuration?: {
    root_module?: {
      outputs?: Record<string, { sensitive?: boolean }>;
      variables?: Record<string, { sensitive?: boolean }>;
    };
  };
  errored?: boolean;
}

export type ChangeKind = 'create' | 'update' | 'replace' | 'delete' | 'read' | 'forget';

export interface PlanSummary {
  hasChanges: boolean;
  toAdd: number;
  toChange: number;
  toDestroy: number;
  toReplace: number;
  outputChanges: number;
  /** Resource addresses by what happens to them (no-op resources are left out). */
  changes: Partial<Record<ChangeKind, string[]>>;
  /** Output names the configuration marks sensitive. */
  sensitiveOutputs: string[];
  /** Values of variables marked sensitive: registered as secrets, never printed. */
  sensitiveValues: string[];
}

function kindOf(actions: readonly string[]): ChangeKind | undefined {
  const a = actions.join(',');
  if (a === 'create') return 'create';
  if (a === 'update') return 'update';
  if (a === 'delete') return 'delete';
  if (a === 'delete,create' || a === 'create,delete') return 'replace';
  if (a === 'read') return 'read';
  if (a === 'forget') return 'forget';
  return undefined;
}

/** Leaf strings of a variable value (objects and lists of secrets are registered piece by piece). */
function leafStrings(value: unknown, out: string[]): void {
  if (typeof value === 'string') out.push(value);
  else if (typeof value === 'number' || typeof value === 'boolean') out.push(String(value));
  else if (Array.isArray(value)) value.forEach((v) => leafStrings(v, out));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => leafStrings(v, out));
}

export function summarizePlan(plan: ShowPlanJson): PlanSummary {
  const changes: PlanSummary['changes'] = {};
  let toAdd = 0;
  let toChange = 0;
  let toDestroy = 0;
  let toReplace = 0;
  for (const rc of plan.resource_changes ?? []) {
    const kind = kindOf(rc.change?.actions ?? []);
    if (!kind) continue;
    (changes[kind] ??= []).push(rc.address);
    // Same arithmetic as tofu's "Plan: N to add, N to change, N to destroy": a replacement adds and destroys.
    if (kind === 'create') toAdd++;
    else if (kind === 'update') toChange++;
    else if (kind === 'delete') toDestroy++;
    else if (kind === 'replace') {
      toReplace++;
      toAdd++;
      toDestroy++;
    }
  }
  const outputChanges = Object.values(plan.output_changes ?? {}).filter(
    (o) => !(o.actions.length === 1 && o.actions[0] === 'no-op'),
  ).length;
  // `read` (data sources) and `forget` do not touch infrastructure, but tofu counts an output-only change.
  const resourceChanges = toAdd + toChange + toDestroy + (changes.forget?.length ?? 0);
  const root = plan.configuration?.root_module;
  const sensitiveOutputs = Object.entries(root?.outputs ?? {})
    .filter(([, o]) => o.sensitive === true)
    .map(([name]) => name);
  const sensitiveValues: string[] = [];
  for (const [name, v] of Object.entries(root?.variables ?? {})) {
    if (v.sensitive === true) leafStrings(plan.variables?.[name]?.value, sensitiveValues);
  }
  return {
    hasChanges: resourceChanges + outputChanges > 0,
    toAdd,
    toChange,
    toDestroy,
    toReplace,
    outputChanges,
    changes,
    sensitiveOutputs,
    sensitiveValues,
  };
}

export function emptySummary(): PlanSummary {
  return {
    hasChanges: false,
    toAdd: 0,
    toChange: 0,
    toDestroy: 0,
    toReplace: 0,
    outputChanges: 0,
    changes: {},
    sensitiveOutputs: [],
    sensitiveValues: [],
  };
}
