import type { ActionContext } from '../../../shared/run.js';
import type { Report } from '../../../shared/report.js';
import { markdownTable, stepsTable } from '../../../shared/report.js';
import { formatBytes } from './lfs/pointers.js';
import { planCounts, short, type RefChange } from './mirror-refs.js';
import type { MirrorOutcome } from './mirror.js';

/** Outputs and report values of a run (also of a failed one: the plan is known before the push fails). */
export function publishOutcome(ctx: ActionContext, o: MirrorOutcome): void {
  if (o.plan) {
    for (const [name, value] of Object.entries(planCounts(o.plan))) ctx.output(name, value);
  }
  ctx.output('verified', o.verification === 'passed');
  if (o.mirrorHead) ctx.output('mirror-head', o.mirrorHead);
  if (o.lfs?.counts) {
    ctx.output('lfs-uploaded', o.lfs.counts.uploaded);
    ctx.output('lfs-present', o.lfs.counts.present);
  }
  const refs = (list: RefChange[]) =>
    list.slice(0, 200).map((c) => ({ ref: c.ref, before: c.before, after: c.after }));
  ctx.result({
    mode: o.mode,
    dryRun: o.dryRun,
    remote: o.remote,
    counts: o.plan ? planCounts(o.plan) : undefined,
    created: o.plan ? refs(o.plan.created) : undefined,
    updated: o.plan ? refs(o.plan.updated) : undefined,
    deleted: o.plan ? refs(o.plan.deleted) : undefined,
    keptOnMirror: o.plan?.kept.length,
    pushed: o.pushed,
    verification: o.verification,
    verificationNote: o.verificationNote,
    mismatches: o.mismatches.slice(0, 200),
    mirrorHead: o.mirrorHead,
    forgejoMirrors: o.forgejoMirrors,
    lfs: o.lfs
      ? {
          enabled: o.lfs.enabled,
          why: o.lfs.why,
          ...o.lfs.counts,
          verified: o.lfs.verified,
          unresolved: o.lfs.unresolved?.slice(0, 200),
        }
      : undefined,
  });
}

interface ResultShape {
  mode?: string;
  dryRun?: boolean;
  remote?: string;
  counts?: Record<string, number>;
  created?: Array<{ ref: string; after?: string }>;
  updated?: Array<{ ref: string; before?: string; after?: string }>;
  deleted?: Array<{ ref: string; before?: string }>;
  verification?: string;
  verificationNote?: string;
  mismatches?: Array<{ ref: string; problem: string; source?: string; mirror?: string }>;
  mirrorHead?: string;
  forgejoMirrors?: Array<{ remote_address: string; last_update: string | null }>;
  lfs?: {
    enabled: boolean;
    why: string;
    objects?: number;
    bytes?: number;
    fetched?: number;
    fetchedBytes?: number;
    uploaded?: number;
    uploadedBytes?: number;
    present?: number;
    presentBytes?: number;
    verified?: boolean;
    unresolved?: Array<{ oid: string; path: string }>;
  };
}

function lfsRow(l: ResultShape['lfs']): string | undefined {
  if (!l) return undefined;
  if (!l.enabled || l.objects === undefined) return `${l.enabled ? 'on' : 'off'} (${l.why})`;
  return (
    `${l.objects} objects (${formatBytes(l.bytes ?? 0)}): ${l.uploaded} uploaded (${formatBytes(l.uploadedBytes ?? 0)}), ` +
    `${l.present} already on the mirror (${formatBytes(l.presentBytes ?? 0)}), ${l.fetched} fetched from the source` +
    (l.verified === undefined
      ? ''
      : l.verified
        ? '; all downloadable from the mirror'
        : '; NOT all downloadable')
  );
}

const ROWS = 50;

/** The job summary: refs created/updated/deleted, verification result, mirror head. */
export function mirrorSummary(report: Report): string {
  const r = report.result as ResultShape;
  const parts: string[] = [];
  const status = report.failure
    ? `**failed** (${report.failure.reason}): ${report.failure.message}`
    : report.status;
  parts.push(
    markdownTable(
      ['run', 'result'],
      [
        ['status', status],
        ['mode', `${r.mode ?? '—'}${r.dryRun ? ' (dry run)' : ''}`],
        ['mirror', r.remote ?? (r.forgejoMirrors ?? []).map((m) => m.remote_address).join(', ')],
        [
          'refs',
          r.counts
            ? `${r.counts.created} created, ${r.counts.updated} updated, ${r.counts.deleted} deleted, ${r.counts.unchanged} unchanged`
            : undefined,
        ],
        [
          'verification',
          r.verification
            ? `${r.verification}${r.verificationNote ? ` (${r.verificationNote})` : ''}`
            : undefined,
        ],
        ['mirror head', r.mirrorHead],
        ['LFS', lfsRow(r.lfs)],
      ],
    ),
  );
  const changes = [
    ...(r.created ?? []).map((c) => [c.ref, 'created', '—', short(c.after)]),
    ...(r.updated ?? []).map((c) => [c.ref, 'updated', short(c.before), short(c.after)]),
    ...(r.deleted ?? []).map((c) => [c.ref, 'deleted', short(c.before), '—']),
  ];
  if (changes.length > 0) {
    const more = changes.length > ROWS ? `\n\n…and ${changes.length - ROWS} more (see the report).` : '';
    parts.push(
      `### ${r.dryRun ? 'Would change' : 'Changed refs'}\n\n${markdownTable(['ref', 'change', 'before', 'after'], changes.slice(0, ROWS))}${more}`,
    );
  }
  if (r.mismatches && r.mismatches.length > 0) {
    parts.push(
      `### Differences after the push\n\n${markdownTable(
        ['ref', 'problem', 'source', 'mirror'],
        r.mismatches.slice(0, ROWS).map((m) => [m.ref, m.problem, short(m.source), short(m.mirror)]),
      )}`,
    );
  }
  if (r.lfs?.unresolved && r.lfs.unresolved.length > 0) {
    parts.push(
      `### LFS objects the mirror cannot serve\n\n${markdownTable(
        ['file', 'oid'],
        r.lfs.unresolved.slice(0, ROWS).map((o) => [o.path, o.oid]),
      )}`,
    );
  }
  if (report.steps.length > 0) parts.push(`### Steps\n\n${stepsTable(report.steps)}`);
  return parts.join('\n\n');
}
