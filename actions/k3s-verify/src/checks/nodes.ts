import { result, type CheckResult } from './result.js';
import type { NodeExpectation } from '../expect/expectations.js';
import type { Condition, Node } from '../cluster/kube-types.js';

/**
 * Node health as the scheduler sees it: Ready, no pressure condition, network available, schedulable.
 * Every registered node is checked (a NotReady node makes the cluster unhealthy even when it is not
 * named); `nodes` adds the expected count or names. All of these can recover, so they are `pending`.
 */
export interface NodeRow {
  name: string;
  ready: boolean;
  problems: string[];
  schedulable: boolean;
  version: string;
}

const PRESSURE = ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'NetworkUnavailable'];

function conditionOf(node: Node, type: string): Condition | undefined {
  return node.status?.conditions?.find((c) => c.type === type);
}

export function nodeProblems(node: Node): string[] {
  const problems: string[] = [];
  if (conditionOf(node, 'Ready')?.status !== 'True') problems.push('NotReady');
  for (const type of PRESSURE) if (conditionOf(node, type)?.status === 'True') problems.push(type);
  if (node.spec?.unschedulable) problems.push('Unschedulable');
  return problems;
}

function problemDetail(node: Node, problem: string): string {
  if (problem === 'Unschedulable')
    return 'cordoned (spec.unschedulable); run kubectl uncordon once it is healthy';
  const c = conditionOf(node, problem === 'NotReady' ? 'Ready' : problem);
  if (!c) return problem === 'NotReady' ? 'no Ready condition reported yet' : problem;
  return `${c.type}=${c.status}${c.reason ? ` (${c.reason}${c.message ? `: ${c.message}` : ''})` : ''}`;
}

export interface NodeEvaluation {
  rows: NodeRow[];
  results: CheckResult[];
  ready: number;
  total: number;
}

export function evaluateNodes(nodes: readonly Node[], expected?: NodeExpectation): NodeEvaluation {
  const rows: NodeRow[] = [];
  const results: CheckResult[] = [];
  for (const node of nodes) {
    const name = node.metadata?.name ?? '?';
    const problems = nodeProblems(node);
    rows.push({
      name,
      ready: !problems.includes('NotReady'),
      problems,
      schedulable: !node.spec?.unschedulable,
      version: node.status?.nodeInfo?.kubeletVersion ?? '',
    });
    results.push(
      problems.length === 0
        ? result('node', `node/${name}`, 'pass', 'Ready', 'Ready, no pressure, schedulable')
        : result(
            'node',
            `node/${name}`,
            'pending',
            problems[0],
            problems.map((p) => problemDetail(node, p)).join('; '),
          ),
    );
  }
  const names = new Set(rows.map((r) => r.name));
  if (expected && 'count' in expected && rows.length !== expected.count) {
    results.push(
      result(
        'node',
        'nodes',
        'pending',
        'node-count',
        `${rows.length} nodes registered, ${expected.count} expected`,
      ),
    );
  } else if (expected && 'names' in expected) {
    for (const n of expected.names.filter((n) => !names.has(n)))
      results.push(result('node', `node/${n}`, 'pending', 'node-missing', `node '${n}' is not registered`));
  }
  if (rows.length === 0)
    results.push(result('node', 'nodes', 'pending', 'no-nodes', 'no node is registered'));
  return { rows, results, ready: rows.filter((r) => r.ready).length, total: rows.length };
}
