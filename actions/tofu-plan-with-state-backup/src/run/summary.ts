import { markdownTable, stepsTable, type Report } from '../../../../shared/report.js';
import { formatBytes } from '../../../../shared/cache.js';
import { archiveAge } from '../recovery/archive-source.js';
import type { StackReport } from './outputs.js';

/**
 * The job summary from the finished report: counts, changed resources, backups, the restored or
 * rehearsed archive, what each state can go back to, handoff keys.
 */
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
  const backups = stacks.flatMap((s) => [
    ...(s.backup ? [[s.stack, 'before', s.backup] as const] : []),
    ...(s.afterApply ? [[s.stack, 'after apply', s.afterApply] as const] : []),
  ]);
  if (backups.length > 0)
    parts.push(
      '**State backup**\n\n' +
        markdownTable(
          ['stack', 'when', 'archive', 'sha256', 'remote copy', 'removed by retention'],
          backups.map(([stack, when, b]) => [
            stack,
            when,
            b.archive,
            b.sha256,
            b.remote ?? 'not configured',
            b.deleted.length,
          ]),
        ),
    );
  const restores = stacks.filter((s) => s.restore);
  if (restores.length > 0)
    parts.push(
      '**Restore**\n\n' +
        markdownTable(
          ['stack', 'archive', 'from', 'serial/lineage before', 'after'],
          restores.map((s) => [
            s.stack,
            s.restore!.archive,
            s.restore!.source,
            s.restore!.before,
            s.restore!.after,
          ]),
        ),
    );
  const rehearsed = report.result.mode === 'rehearse' ? stacks.filter((s) => s.archive) : [];
  if (rehearsed.length > 0)
    parts.push(
      '**Rehearsal** (restored into a scratch state, planned against the infrastructure)\n\n' +
        markdownTable(
          ['stack', 'archive', 'from', 'serial', 'lineage', 'age', 'plan'],
          rehearsed.map((s) => [
            s.stack,
            s.archive!.location,
            s.archive!.source,
            s.archive!.serial ?? 'unknown',
            s.archive!.lineage ?? 'unknown',
            archiveAge(s.archive!.ageSeconds),
            s.counts ? (s.hasChanges ? 'changes: the archive is out of date' : 'no changes') : 'not run',
          ]),
        ),
    );
  for (const s of stacks.filter((x) => x.inventory)) parts.push(inventorySection(s));
  const handoff = stacks.filter((s) => s.handoffKeys);
  if (handoff.length > 0)
    parts.push(
      '**Handoff**\n\n' +
        markdownTable(
          ['stack', 'keys'],
          handoff.map((s) => [s.stack, s.handoffKeys!.join(', ') || '(none)']),
        ),
    );
  const providers = stacks.filter((s) => s.providers && s.providers.status !== 'off');
  if (providers.length > 0)
    parts.push(
      '**Provider plugin cache**\n\n' +
        markdownTable(
          ['stack', 'cache', 'from the cache', 'downloaded'],
          providers.map((s) => [
            s.stack,
            s.providers!.status,
            `${s.providers!.reused.length} (${formatBytes(s.providers!.reusedBytes)})`,
            `${s.providers!.fetched.length} (${formatBytes(s.providers!.fetchedBytes)})`,
          ]),
        ),
    );
  parts.push(stepsTable(report.steps));
  return parts.join('\n\n');
}

/** "What can I go back to": this state's archives, here and off-site. */
function inventorySection(s: StackReport): string {
  const inv = s.inventory!;
  const where = (v: boolean | null) => (v === null ? '—' : v ? 'yes' : '**no**');
  const lines = [`**Archives of ${s.stack}** (what the state can go back to, newest first)`];
  if (inv.entries.length === 0) lines.push('None yet.');
  else
    lines.push(
      markdownTable(
        ['archive', 'serial', 'age', 'here', 'off-site'],
        inv.entries.map((e) => [
          e.legacy ? `${e.name} (first-release name)` : e.name,
          e.serial ?? 'unknown',
          archiveAge(e.ageSeconds),
          where(e.local),
          where(e.remote),
        ]),
      ),
    );
  if (inv.localOnly.length > 0)
    lines.push(
      `**${inv.localOnly.length} archive(s) exist only on this machine** and would be lost with it: ${inv.localOnly.join(', ')}.`,
    );
  if (inv.remoteError) lines.push(`The off-site copies could not be listed: ${inv.remoteError}`);
  return lines.join('\n\n');
}
