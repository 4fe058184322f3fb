import { markdownTable, stepsTable, type Report } from '../../../shared/report.js';
import type { NodeDetail } from './colmena/run-outcome.js';

/** The job summary: one row per node, then the last log lines of each node that did not succeed. */
export function renderSummary(report: Report): string {
  const r = report.result as {
    colmenaVersion?: string;
    selectedNodes?: string[];
    nodes?: NodeDetail[];
    dryActivate?: { name: string; result: string; wouldChange: string[] }[];
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
