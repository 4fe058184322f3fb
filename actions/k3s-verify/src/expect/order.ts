/**
 * `after:` — an expectation is checked only once the ones it names pass (the platform's order
 * "Kyverno → Longhorn → workloads"). Ids: a workload's `kind/namespace/name`, a claim's
 * `pvc/namespace/claim`, a condition's `id`. Validated once: every id named exists, no cycle.
 */
export interface AfterEntry {
  id: string;
  after: string[];
  /** YAML path of the `after` list (for errors). */
  path: string;
}

export type OrderProblem = { path: string; detail: string };

export function validateOrder(
  entries: readonly AfterEntry[],
  known: ReadonlySet<string>,
): Record<string, string[]> | OrderProblem {
  const after: Record<string, string[]> = {};
  for (const e of entries) {
    for (const [i, dep] of e.after.entries()) {
      if (dep === e.id) return { path: `${e.path}[${i}]`, detail: `'${dep}' cannot come after itself` };
      if (!known.has(dep))
        return {
          path: `${e.path}[${i}]`,
          detail: `expected the id of a declared workload (kind/namespace/name), volume (pvc/namespace/claim) or condition (its id), got '${dep}'`,
        };
    }
    after[e.id] = [...new Set([...(after[e.id] ?? []), ...e.after])];
  }
  const cycle = findCycle(after);
  if (cycle) {
    const entry = entries.find((e) => e.id === cycle[0])!;
    return { path: entry.path, detail: `the after: order has a cycle: ${cycle.join(' → ')}` };
  }
  return after;
}

function findCycle(after: Record<string, string[]>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'visiting') return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, 'visiting');
    stack.push(id);
    for (const dep of after[id] ?? []) {
      const c = visit(dep);
      if (c) return c;
    }
    stack.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const id of Object.keys(after)) {
    const c = visit(id);
    if (c) return c;
  }
  return undefined;
}

/** Ids in an order where every id comes after the ids it waits for. */
export function topologicalOrder(ids: Iterable<string>, after: Record<string, string[]>): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (id: string) => {
    if (seen.has(id)) return;
    seen.add(id);
    for (const dep of after[id] ?? []) visit(dep);
    out.push(id);
  };
  for (const id of ids) visit(id);
  return out;
}
