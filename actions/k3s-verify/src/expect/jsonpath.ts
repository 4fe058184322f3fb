/**
 * The subset of kubectl's JSONPath that `kubectl wait --for=jsonpath='{…}'=value` is used with on status
 * fields: `{.status.robustness}`, `.status.phase` (kubectl's relaxed form without braces),
 * `{.status.conditions[0].status}`, `{.metadata.labels['app.kubernetes.io/name']}` and one equality filter
 * `{.status.conditions[?(@.type=="Ready")].status}`. Like kubectl wait (k8s.io/kubectl pkg/cmd/wait), a
 * missing field is "not yet" and the value compares as its string form, trimmed.
 */
export type Step =
  | { kind: 'field'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'filter'; field: string; value: string };

export interface JsonPath {
  text: string;
  steps: Step[];
}

const NAME = /^[A-Za-z_$][\w$-]*/;

/** Parses an expression; returns an explanation when it is outside the supported subset. */
export function parseJsonPath(text: string): JsonPath | string {
  let rest = text.trim();
  if (rest.startsWith('{') && rest.endsWith('}')) rest = rest.slice(1, -1).trim();
  if (!rest.startsWith('.') && !rest.startsWith('[')) rest = `.${rest}`;
  const steps: Step[] = [];
  while (rest.length > 0) {
    if (rest.startsWith('.')) {
      const m = NAME.exec(rest.slice(1));
      if (!m) return `a field name after '.' in '${text}'`;
      steps.push({ kind: 'field', name: m[0] });
      rest = rest.slice(1 + m[0].length);
      continue;
    }
    const index = /^\[(\d+)\]/.exec(rest);
    if (index) {
      steps.push({ kind: 'index', index: Number(index[1]) });
      rest = rest.slice(index[0].length);
      continue;
    }
    const quoted = /^\[(['"])([^'"]+)\1\]/.exec(rest);
    if (quoted) {
      steps.push({ kind: 'field', name: quoted[2] });
      rest = rest.slice(quoted[0].length);
      continue;
    }
    const filter = /^\[\?\(@\.([A-Za-z_][\w-]*)\s*==\s*(['"])([^'"]*)\2\)\]/.exec(rest);
    if (filter) {
      steps.push({ kind: 'filter', field: filter[1], value: filter[3] });
      rest = rest.slice(filter[0].length);
      continue;
    }
    return `a supported JSONPath (fields, [n], ['key'], [?(@.field=="value")]) in '${text}'`;
  }
  if (steps.length === 0) return `a JSONPath expression, got '${text}'`;
  return { text: text.trim(), steps };
}

export type JsonPathValue =
  { found: false } | { found: true; scalar: string } | { found: true; nested: true };

/** The single value the path leads to in `obj`, as kubectl wait reads it. */
export function evaluateJsonPath(path: JsonPath, obj: unknown): JsonPathValue {
  let value: unknown = obj;
  for (const step of path.steps) {
    if (value === null || value === undefined) return { found: false };
    if (step.kind === 'field') {
      if (typeof value !== 'object' || Array.isArray(value)) return { found: false };
      value = (value as Record<string, unknown>)[step.name];
    } else if (step.kind === 'index') {
      if (!Array.isArray(value)) return { found: false };
      value = value[step.index];
    } else {
      if (!Array.isArray(value)) return { found: false };
      value = value.find(
        (item) =>
          item !== null &&
          typeof item === 'object' &&
          String((item as Record<string, unknown>)[step.field]) === step.value,
      );
    }
  }
  if (value === undefined || value === null) return { found: false };
  if (typeof value === 'object') return { found: true, nested: true };
  return { found: true, scalar: String(value).trim() };
}
