import { failureLine, type StatusHook } from '../../../shared/commit-status.js';
import type { Report } from '../../../shared/report.js';
import type { inputs } from './inputs.js';
import type { VerifyResult } from './report/summary.js';

/**
 * The step's commit status: `edge/k3s-verify/<context or server>` and a line such as
 * `rustdesk ready (2/2), nodes 1/1` — workloads named by their namespace when they share one.
 */
function shortName(object: string): string {
  return object.split('/').pop() || object;
}

function workloadsLabel(objects: readonly string[]): string {
  const namespaces = new Set(objects.map((o) => o.split('/')[1] ?? ''));
  return namespaces.size === 1 && !namespaces.has('') ? [...namespaces][0] : 'workloads';
}

export function describeK3s(report: Report): string {
  const r = report.result as VerifyResult;
  const workloads = r.workloads ?? [];
  const label = workloadsLabel(workloads.map((w) => w.object));
  const passing = workloads.filter((w) => w.status === 'pass').length;
  const nodes = r.nodesReady ? `, nodes ${r.nodesReady}` : '';
  if (report.status === 'success')
    return workloads.length > 0
      ? `${label} ready (${passing}/${workloads.length})${nodes}`
      : `cluster ready${nodes}`;
  const failures = r.failures ?? [];
  if (report.status === 'failed' && failures.length > 0) {
    const f = failures[0];
    const more = failures.length > 1 ? ` (+${failures.length - 1} more)` : '';
    const count = workloads.length > 0 ? ` (${passing}/${workloads.length})` : '';
    return `${workloads.length > 0 ? label : 'cluster'} not ready${count}: ${shortName(f.object)} ${f.reason}${more}`;
  }
  return failureLine(report);
}

function serverName(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}

export const commitStatus: StatusHook<keyof typeof inputs> = {
  target: (input) => input('context') || serverName(input('server')) || 'cluster',
  describe: describeK3s,
};
