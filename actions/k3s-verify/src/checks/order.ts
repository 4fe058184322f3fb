import { topologicalOrder } from '../expect/order.js';
import { worst, type CheckResult, type CheckStatus } from './result.js';

/**
 * `after:` applied to one poll's results: an expectation whose predecessors do not all pass is not
 * checked — its own results are replaced by one `not-checked` (pending) result, so a layer that waits for
 * another is never reported as the cause ("Kyverno policy not ready → Longhorn not checked"), and it
 * cannot fail fast on an effect of the layer below (a crash loop while its volume is not attached).
 */
export interface OrderRow {
  id: string;
  after: string[];
  status: CheckStatus;
  /** `not-checked` while a predecessor does not pass; else the first open reason, or `pass`. */
  reason: string;
}

export interface OrderReport {
  rows: OrderRow[];
  /** The first failing layer and what waits for it: `kyverno NotReady → longhorn not checked → …`. */
  chain?: string;
}

export function applyOrder(
  results: readonly CheckResult[],
  after: Readonly<Record<string, string[]>>,
): { results: CheckResult[]; order?: OrderReport } {
  const gatedIds = Object.keys(after);
  if (gatedIds.length === 0) return { results: [...results] };
  const ids = topologicalOrder([...gatedIds, ...gatedIds.flatMap((id) => after[id])], after);
  const bySubject = new Map<string, CheckResult[]>();
  for (const r of results) {
    if (!r.subject) continue;
    const own = bySubject.get(r.subject);
    if (own) own.push(r);
    else bySubject.set(r.subject, [r]);
  }

  const status = new Map<string, { status: CheckStatus; reason: string; gated: boolean }>();
  const replaced = new Map<string, CheckResult>();
  for (const id of ids) {
    const own = bySubject.get(id) ?? [];
    const waiting = (after[id] ?? []).filter((dep) => status.get(dep)?.status !== 'pass');
    if (waiting.length > 0) {
      const first = status.get(waiting[0]);
      const why = first?.gated ? 'not checked yet' : `${first?.reason ?? 'pending'}`;
      replaced.set(id, {
        check: own[0]?.check ?? 'condition',
        object: id,
        status: 'pending',
        reason: 'not-checked',
        detail: `not checked until ${waiting.join(', ')} ${waiting.length > 1 ? 'pass' : 'passes'} (${waiting[0]}: ${why})`,
        subject: id,
      });
      status.set(id, { status: 'pending', reason: 'not-checked', gated: true });
      continue;
    }
    const s = own.length > 0 ? worst(own.map((r) => r.status)) : 'pending';
    const open = own.find((r) => r.status === s && s !== 'pass');
    status.set(id, {
      status: s,
      reason: open ? `${open.reason}` : s === 'pass' ? 'pass' : 'no-result',
      gated: false,
    });
  }

  const out: CheckResult[] = [];
  const emitted = new Set<string>();
  for (const r of results) {
    const rep = r.subject ? replaced.get(r.subject) : undefined;
    if (!rep) out.push(r);
    else if (!emitted.has(r.subject!)) {
      emitted.add(r.subject!);
      out.push(rep);
    }
  }
  for (const [id, rep] of replaced) if (!emitted.has(id)) out.push(rep);

  const rows = ids
    .map((id) => ({ id, after: after[id] ?? [], ...status.get(id)! }))
    .map(({ gated: _g, ...row }) => row);
  return { results: out, order: { rows, chain: chainOf(ids, after, status) } };
}

/** Each root (open, not itself waiting) that others wait for, and the ids that wait for it transitively. */
function chainOf(
  ids: readonly string[],
  after: Readonly<Record<string, string[]>>,
  status: ReadonlyMap<string, { status: CheckStatus; reason: string; gated: boolean }>,
): string | undefined {
  const parts: string[] = [];
  for (const root of ids) {
    const s = status.get(root)!;
    if (s.status === 'pass' || s.gated) continue;
    const blocked = new Set<string>([root]);
    for (const id of ids)
      if (status.get(id)!.gated && (after[id] ?? []).some((d) => blocked.has(d))) blocked.add(id);
    blocked.delete(root);
    if (blocked.size === 0) continue;
    parts.push([`${root} ${s.reason}`, ...[...blocked].map((id) => `${id} not checked`)].join(' → '));
  }
  return parts.length > 0 ? parts.join('; ') : undefined;
}
