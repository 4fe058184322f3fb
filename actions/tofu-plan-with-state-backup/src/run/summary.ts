import { markdownTable, stepsTable, type Report } from '../../../../shared/report.js';
import type { StackReport } from './outputs.js';

/** The job summary from the finished report: counts, changed resources, backup, handoff keys. */
export function renderSummary(report: Report): string {
  const stacks = (report.result.stacks as StackReport[] | undefined) ?? [];
  const parts: string[] = [];
  if (report.failure) parts.push(`**Failed (${report.failure.reason}):** ${report.failure.message}`);
  const planned = stacks.filter((s) => s.counts);
  if (planned.length > 0) {
    parts.push(
      markdownTable(
        ['stack', 'changes', 'add', 'change', 'destroy', 'replace', 'outputs', 'applied'],
        planned.map((s) => [
          s.stack,
          s.hasChanges ? 'yes' : 'no',
          s.counts!.toAdd,
          s.counts!.toChange,
          s.counts!.toDestroy,
          s.counts!.toReplace,
          s.counts!.outputChanges,
          s.applied ? 'yes' : 'no',
        ]),
      ),
    );
    const rows = planned.flatMap((s) =>
      Object.entries(s.changes ?? {}).map(([kind, addrs]) => [s.stack, kind, (addrs ?? []).join(', ')]),
    );
    if (rows.length > 0)
      parts.push('**Resources by action**\n\n' + markdownTable(['stack', 'action', 'resources'], rows));
  }
  const backups = stacks.filter((s) => s.backup);
  if (backups.length > 0)
    parts.push(
      '**State backup**\n\n' +
        markdownTable(
          ['stack', 'archive', 'sha256', 'remote copy', 'removed by retention'],
          backups.map((s) => [
            s.stack,
            s.backup!.archive,
            s.backup!.sha256,
            s.backup!.remote ?? 'not configured',
            s.backup!.deleted.length,
          ]),
        ),
    );
  const restores = stacks.filter((s) => s.restore);
  if (restores.length > 0)
    parts.push(
      '**Restore**\n\n' +
        markdownTable(
          ['stack', 'archive', 'serial/lineage before', 'after'],
          restores.map((s) => [s.stack, s.restore!.archive, s.restore!.before, s.restore!.after]),
        ),
    );
  const handoff = stacks.filter((s) => s.handoffKeys);
  if (handoff.length > 0)
    parts.push(
      '**Handoff**\n\n' +
        markdownTable(
          ['stack', 'keys'],
          handoff.map((s) => [s.stack, s.handoffKeys!.join(', ') || '(none)']),
        ),
    );
  parts.push(stepsTable(report.steps));
  return parts.join('\n\n');
}
