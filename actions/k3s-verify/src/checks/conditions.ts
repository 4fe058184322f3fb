import type { AnyObject, Condition, ResourceList } from '../cluster/kube-types.js';
import { evaluateJsonPath } from '../expect/jsonpath.js';
import { matchesLabels } from '../expect/label-selector.js';
import { kindId, objectId, resourceArg, wants, type ConditionExpectation } from '../expect/conditions.js';
import { result, type CheckResult, type CheckStatus } from './result.js';

/**
 * `conditions:` — a condition (or a field) of any object, read from one list per kind. The rules are
 * kubectl wait's (k8s.io/kubectl pkg/cmd/wait/wait.go): condition type and status compared with
 * case folding, a condition whose observedGeneration (its own, else status.observedGeneration) is behind
 * metadata.generation does not count yet, a missing jsonpath field means "not yet". What kubectl wait
 * cannot know, this adds: final states fail at once instead of waiting for the timeout — a condition
 * `Failed` or `Stalled` that is True (Jobs, K3s' HelmChart, the kstatus convention of
 * sigs.k8s.io/cli-utils), a reason listed in `fail-reasons`, a value listed in `fail-values`, and a kind
 * the API does not serve (`not-installed`: its CustomResourceDefinition is missing).
 */
export interface ConditionRow {
  id: string;
  object: string;
  wants: string;
  status: CheckStatus;
  reason: string;
  detail: string;
}

const FINAL_CONDITIONS = ['Failed', 'Stalled'];

function conditionOf(o: AnyObject, type: string) {
  return o.status?.conditions?.find((c) => (c.type ?? '').toLowerCase() === type.toLowerCase());
}

function said(c: Condition): string {
  return `${c.type}=${c.status}${c.reason ? ` (${c.reason}${c.message ? `: ${c.message}` : ''})` : c.message ? ` (${c.message})` : ''}`;
}

interface Verdict {
  status: CheckStatus;
  reason: string;
  detail: string;
}

function conditionVerdict(c: ConditionExpectation, o: AnyObject): Verdict | undefined {
  if (!c.condition) return undefined;
  const { type, status } = c.condition;
  const found = conditionOf(o, type);
  if (!found?.status)
    return { status: 'pending', reason: 'no-condition', detail: `no ${type} condition reported yet` };
  const generation = o.metadata?.generation;
  const observed = found.observedGeneration ?? o.status?.observedGeneration;
  if (generation !== undefined && observed !== undefined && observed < generation)
    return {
      status: 'pending',
      reason: 'generation-not-observed',
      detail: `${said(found)} is for generation ${observed}, the object is at ${generation}`,
    };
  if (found.status.toLowerCase() === status.toLowerCase()) return undefined;
  const final = found.reason !== undefined && c.failReasons.includes(found.reason);
  return {
    status: final ? 'fail' : 'pending',
    reason: found.reason || 'condition-not-met',
    detail: `${said(found)}, ${type}=${status} expected${final ? ' (a reason listed in fail-reasons)' : ''}`,
  };
}

function jsonpathVerdict(c: ConditionExpectation, o: AnyObject): Verdict | undefined {
  if (!c.jsonpath) return undefined;
  const { path, value } = c.jsonpath;
  const got = evaluateJsonPath(path, o);
  if (!got.found)
    return { status: 'pending', reason: 'jsonpath-missing', detail: `${path.text} is not set yet` };
  if ('nested' in got)
    return {
      status: 'fail',
      reason: 'jsonpath-not-scalar',
      detail: `${path.text} is an object or a list; kubectl wait compares only single values`,
    };
  if (got.scalar === value) return undefined;
  const final = c.failValues.includes(got.scalar);
  return {
    status: final ? 'fail' : 'pending',
    reason: final ? 'fail-value' : 'jsonpath-not-met',
    detail: `${path.text} is '${got.scalar}', '${value}' expected${final ? ' (a value listed in fail-values)' : ''}`,
  };
}

function objectVerdict(c: ConditionExpectation, o: AnyObject): Verdict {
  // Only someone who waits for `Failed=True` itself makes a True Failed condition the goal.
  const goal =
    c.condition && c.condition.status.toLowerCase() === 'true' ? c.condition.type.toLowerCase() : '';
  for (const type of FINAL_CONDITIONS) {
    if (goal === type.toLowerCase()) continue;
    const f = conditionOf(o, type);
    if (f?.status === 'True') return { status: 'fail', reason: f.reason || type, detail: said(f) };
  }
  const problem = conditionVerdict(c, o) ?? jsonpathVerdict(c, o);
  return problem ?? { status: 'pass', reason: 'met', detail: `${wants(c)} holds` };
}

export function evaluateCondition(c: ConditionExpectation, list: ResourceList | undefined): ConditionRow[] {
  const where = c.name ?? `{${c.selector?.text ?? ''}}`;
  const row = (object: string, v: Verdict): ConditionRow => ({ id: c.id, object, wants: wants(c), ...v });
  const wanted = objectId(c, c.namespace, where);
  if (!list) return [row(wanted, { status: 'pending', reason: 'not-listed', detail: 'not read yet' })];
  if ('notInstalled' in list)
    return [
      row(wanted, {
        status: 'fail',
        reason: 'not-installed',
        detail: `the API serves no ${c.kind} in ${c.apiVersion}: is its CustomResourceDefinition installed? (kubectl get ${resourceArg(c)}: ${list.notInstalled})`,
      }),
    ];
  const matches = list.items.filter(
    (o) =>
      (c.namespace === undefined || o.metadata?.namespace === c.namespace) &&
      (c.name !== undefined ? o.metadata?.name === c.name : matchesLabels(c.selector!, o.metadata?.labels)),
  );
  if (matches.length === 0)
    return [
      row(wanted, {
        status: 'pending',
        reason: 'not-found',
        detail:
          c.name !== undefined
            ? `${kindId(c)} ${c.namespace ? `${c.namespace}/` : ''}${c.name} does not exist`
            : `no ${kindId(c)}${c.namespace ? ` in ${c.namespace}` : ''} matches ${c.selector!.text}`,
      }),
    ];
  return matches.map((o) =>
    row(objectId(c, o.metadata?.namespace, o.metadata?.name ?? '?'), objectVerdict(c, o)),
  );
}

export function conditionResult(row: ConditionRow, c: ConditionExpectation): CheckResult {
  const [, ...rest] = row.object.split('/');
  const name = rest.at(-1) ?? '';
  const found = row.reason !== 'not-found' && row.reason !== 'not-installed' && row.reason !== 'not-listed';
  return {
    ...result('condition', row.object, row.status, row.reason, row.detail),
    subject: row.id,
    ...(found ? { ref: { kind: c.kind, ...(rest.length > 1 ? { namespace: rest[0] } : {}), name } } : {}),
  };
}
