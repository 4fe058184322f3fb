import { markdownTable, stepsTable, type Report } from '../../../../shared/report.js';
import type { Failure } from '../checks/result.js';
import type { ContainerRow } from '../checks/containers.js';
import type { Diagnostic } from './diagnostics.js';
import type { PortRow, WorkloadRow } from '../checks/evaluation.js';
import type { NodeRow } from '../checks/nodes.js';
import type { ConditionRow } from '../checks/conditions.js';
import type { OrderReport } from '../checks/order.js';
import type { VolumeRow } from '../checks/volumes.js';

/** What the report's `result` holds (written by verify.ts, read here and by tests). */
export interface VerifyResult {
  ready?: boolean;
  outcome?: string;
  server?: string;
  kubeconfig?: string;
  context?: string;
  polls?: number;
  nodesReady?: string;
  nodes?: NodeRow[];
  workloads?: WorkloadRow[];
  system?: WorkloadRow[];
  containers?: ContainerRow[];
  ports?: PortRow[];
  volumes?: VolumeRow[];
  conditions?: ConditionRow[];
  order?: OrderReport;
  failures?: Failure[];
  warnings?: string[];
  diagnostics?: Diagnostic[];
}

const ICON: Record<string, string> = { pass: '✅', pending: '⏳', fail: '❌' };

function statusCell(status: string, reason: string): string {
  return `${ICON[status] ?? ''} ${reason}`.trim();
}

function workloadTable(rows: WorkloadRow[]): string {
  return markdownTable(
    ['workload', 'desired', 'updated', 'available', 'status'],
    rows.map((w) => [w.object, w.desired, w.updated, w.available, statusCell(w.status, w.reason)]),
  );
}

function section(title: string, body: string | undefined): string[] {
  return body ? [`### ${title}`, '', body, ''] : [];
}

export function renderSummary(report: Report): string {
  const r = report.result as VerifyResult;
  const lines: string[] = [];
  const where = [
    r.server && `server \`${r.server}\``,
    r.context && `context \`${r.context}\``,
    r.polls !== undefined && `${r.polls} polls`,
  ]
    .filter(Boolean)
    .join(', ');
  lines.push(`${r.ready ? '✅ **Ready**' : '❌ **Not ready**'}${where ? ` — ${where}` : ''}`, '');
  if (report.failure) lines.push(`> ${report.failure.message}`, '');
  const nodes: NodeRow[] = r.nodes ?? [];
  lines.push(
    ...section(
      `Nodes (${r.nodesReady ?? '0/0'} ready)`,
      nodes.length
        ? markdownTable(
            ['node', 'ready', 'problems', 'schedulable', 'kubelet'],
            nodes.map((n) => [
              n.name,
              n.ready ? '✅' : '❌',
              n.problems.join(', ') || 'none',
              n.schedulable ? 'yes' : 'no',
              n.version,
            ]),
          )
        : undefined,
    ),
    ...section(
      'Order (after:)',
      r.order?.rows.length
        ? [
            ...(r.order.chain ? [`First failing layer: ${r.order.chain}`, ''] : []),
            markdownTable(
              ['expectation', 'after', 'status'],
              r.order.rows.map((o) => [o.id, o.after.join(', ') || '—', statusCell(o.status, o.reason)]),
            ),
          ].join('\n')
        : undefined,
    ),
    ...section(
      'Volumes',
      r.volumes?.length
        ? markdownTable(
            ['claim', 'phase', 'class', 'provisioner', 'capacity', 'mounted by', 'status'],
            r.volumes.map((v) => [
              v.claim,
              v.phase,
              v.storageClass || '—',
              v.provisioner || '—',
              v.capacity || '—',
              v.mountedBy.join(', ') || '—',
              statusCell(v.status, v.reason),
            ]),
          )
        : undefined,
    ),
    ...section(
      'Conditions',
      r.conditions?.length
        ? markdownTable(
            ['object', 'wants', 'status', 'detail'],
            r.conditions.map((c) => [c.object, c.wants, statusCell(c.status, c.reason), c.detail]),
          )
        : undefined,
    ),
    ...section('Workloads', r.workloads?.length ? workloadTable(r.workloads) : undefined),
    ...section(
      'Containers',
      r.containers?.length
        ? markdownTable(
            ['workload', 'container', 'ready pods', 'restarts', 'status'],
            r.containers.map((c: ContainerRow) => [
              c.workload,
              c.container,
              c.pods,
              c.restarts,
              statusCell(c.status, c.reason),
            ]),
          )
        : undefined,
    ),
    ...section(
      'Ports',
      r.ports?.length
        ? markdownTable(
            ['target', 'result'],
            r.ports.map((p) => [
              p.target,
              statusCell(p.status, p.state === 'sent' ? 'sent (not proof)' : p.state),
            ]),
          )
        : undefined,
    ),
    ...section('System components (kube-system)', r.system?.length ? workloadTable(r.system) : undefined),
    ...section(
      'Failures',
      r.failures?.length
        ? markdownTable(
            ['check', 'object', 'reason', 'detail'],
            r.failures.map((f) => [f.check, f.object, f.reason, f.detail]),
          )
        : undefined,
    ),
    ...section('Warnings', r.warnings?.length ? r.warnings.map((w) => `- ${w}`).join('\n') : undefined),
    ...section(
      'Diagnostics',
      r.diagnostics?.length
        ? r.diagnostics
            .map(
              (d) =>
                `- \`${d.object}\`: ${d.events.length} events, ${d.logs.length} container logs (log group "diagnostics: ${d.object}", report)`,
            )
            .join('\n')
        : undefined,
    ),
    '### Steps',
    '',
    stepsTable(report.steps),
  );
  return lines.join('\n');
}
