import { markdownTable, stepsTable, type Report } from '../../../shared/report.js';
import type { NodeDetail } from './colmena/run-outcome.js';
import type { NodeVerification } from './safety/verify-node.js';

type Verified = Omit<NodeVerification, 'transcript'>;

function generation(g: Verified['before']): string {
  return g ? `${g.generation}` : '';
}

/** After activation: health, generations, timer and every check with its exit code and last lines. */
function verificationPart(vs: readonly Verified[]): string[] {
  const parts = [
    '**After activation**\n\n' +
      markdownTable(
        ['node', 'health', 'generation before', 'generation after', 'timer', 'detail'],
        vs.map((v) => [
          v.name,
          v.health,
          generation(v.before),
          generation(v.after),
          v.timer ? `${v.timer.unit}: ${v.timer.outcome}` : '',
          v.detail ?? '',
        ]),
      ),
  ];
  for (const v of vs) {
    const rows = v.checks.map((c) => [
      c.check,
      c.ok ? 'ok' : 'failed',
      c.timedOut ? 'timed out' : String(c.exitCode),
      c.lastLines.join('\n'),
    ]);
    if (v.systemState)
      rows.unshift([
        'systemctl is-system-running --wait',
        v.systemState.state,
        String(v.systemState.exitCode),
        v.systemState.failedUnits.length > 0 ? `failed: ${v.systemState.failedUnits.join(', ')}` : '',
      ]);
    if (rows.length === 0) continue;
    parts.push(
      `<details><summary>${v.name}: checks</summary>\n\n${markdownTable(['check', 'result', 'exit', 'last lines'], rows).replace(/```/g, "'''")}\n</details>`,
    );
  }
  return parts;
}

/** The job summary: one row per node, then the last log lines of each node that did not succeed. */
export function renderSummary(report: Report): string {
  const r = report.result as {
    colmenaVersion?: string;
    selectedNodes?: string[];
    nodes?: NodeDetail[];
    dryActivate?: { name: string; result: string; wouldChange: string[] }[];
    verification?: Verified[];
  };
  const parts: string[] = [];
  if (report.failure) parts.push(`**Failed (${report.failure.reason}):** ${report.failure.message}`);
  if (r.nodes && r.nodes.length > 0) {
    parts.push(
      markdownTable(
        ['node', 'result', 'last phase', 'duration', 'error'],
        r.nodes.map((n) => [n.name, n.result, n.lastPhase, `${n.durationSeconds}s`, n.error ?? '']),
      ),
    );
    for (const n of r.nodes.filter((d) => d.result !== 'succeeded' && d.lastLines.length > 0)) {
      parts.push(
        `<details><summary>${n.name}: last ${n.lastLines.length} log lines</summary>\n\n\`\`\`\n${n.lastLines
          .join('\n')
          .replace(/```/g, "'''")}\n\`\`\`\n</details>`,
      );
    }
  } else if (r.selectedNodes) {
    parts.push(`Selected nodes: ${r.selectedNodes.join(', ') || 'none'}`);
  }
  if (r.verification && r.verification.length > 0) parts.push(...verificationPart(r.verification));
  if (r.dryActivate) {
    const rows = r.dryActivate.map((d) => [
      d.name,
      d.result,
      d.wouldChange.join('\n') || 'no unit changes reported',
    ]);
    parts.push('**dry-activate (run first)**\n\n' + markdownTable(['node', 'result', 'would change'], rows));
  }
  if (r.colmenaVersion) parts.push(`colmena ${r.colmenaVersion}`);
  parts.push(stepsTable(report.steps));
  return parts.join('\n\n');
}
