import { formatAge } from '../../../shared/age.js';
import { formatBytes } from '../../../shared/cache.js';
import type { Report } from '../../../shared/report.js';
import { markdownTable, stepsTable } from '../../../shared/report.js';
import type { ResticCacheReport } from './cache/restic-cache.js';

interface ResultShape {
  resticVersion?: string;
  seed?: number;
  snapshot?: { id: string; shortId: string; time: string; host: string; paths: string[]; tags: string[] };
  snapshotAgeSeconds?: number;
  check?: { result: string; readDataSubset?: string; errors?: string[] };
  restore?: {
    filesRestored: number;
    bytesRestored: number;
    filesVerified: number;
    mismatches: { path: string; problem: string }[];
  };
  spotCheck?: {
    comparedFiles: number;
    differingFiles: string[];
    countDifferencePercent: number;
    contentDifferencePercent: number;
    ok: boolean;
  };
  verifyCommand?: string;
  cache?: ResticCacheReport;
}

function age(seconds: number | undefined): string | undefined {
  return seconds === undefined ? undefined : formatAge(seconds * 1000);
}

function sized(s: { files: number; bytes: number }): string {
  return `${s.files} files, ${formatBytes(s.bytes)}`;
}

/** Hit or miss, where from, how much; then what the check left for the next run. */
export function describeCache(c: ResticCacheReport | undefined): string | undefined {
  if (!c) return undefined;
  if (c.mode === 'off') return 'off: a fresh cache for this run only';
  if (!c.repository) return `${c.mode}: not prepared (no repository id)`;
  const restore = c.actions?.restore;
  const parts = [
    c.source === 'runner-local'
      ? `hit: kept on this runner (${sized(c.before!)})`
      : c.source === 'actions-cache' && restore
        ? `hit: restored from the Actions cache (${sized(restore)})`
        : `miss${restore ? ` (Actions cache: ${restore.status})` : ''}`,
  ];
  if (c.damaged?.length) parts.push(`${c.damaged.length} damaged file(s) dropped`);
  if (c.after) parts.push(`${sized(c.after)} after the check`);
  const save = c.actions?.save;
  if (save) parts.push(`Actions cache: ${save.status}${save.status === 'saved' ? ` (${sized(save)})` : ''}`);
  else if (c.actions?.skipped) parts.push(`Actions cache: skipped (${c.actions.skipped})`);
  return parts.join('; ');
}

/** The job summary: what was checked, what came back, how long each phase took. */
export function restoreCheckSummary(report: Report): string {
  const r = report.result as ResultShape;
  const status =
    report.status === 'success'
      ? '✅ The backup was restored and verified.'
      : `❌ ${report.failure?.reason ?? report.status}: ${report.failure?.message ?? ''}`;
  const rows: unknown[][] = [
    ['snapshot', r.snapshot ? `${r.snapshot.shortId} (${r.snapshot.id})` : undefined],
    ['time', r.snapshot?.time],
    ['age', age(r.snapshotAgeSeconds)],
    ['host', r.snapshot?.host],
    ['paths', r.snapshot?.paths.join('\n')],
    ['tags', r.snapshot?.tags.join(', ')],
    [
      'check',
      r.check
        ? `${r.check.result}${r.check.readDataSubset ? ` (read-data-subset ${r.check.readDataSubset})` : ''}`
        : undefined,
    ],
    [
      'files restored / verified',
      r.restore ? `${r.restore.filesRestored} / ${r.restore.filesVerified}` : undefined,
    ],
    ['bytes restored', r.restore?.bytesRestored],
    [
      'spot check',
      r.spotCheck
        ? `${r.spotCheck.ok ? 'ok' : 'beyond tolerance'}: count ${r.spotCheck.countDifferencePercent}% apart, ${r.spotCheck.differingFiles.length}/${r.spotCheck.comparedFiles} files differ`
        : undefined,
    ],
    ['verify-command', r.verifyCommand],
    ['restic cache', describeCache(r.cache)],
    ['restic', r.resticVersion],
    ['sample seed', r.seed],
  ];
  const mismatches = r.restore?.mismatches.length
    ? `\n\n**Mismatches**\n\n${markdownTable(
        ['file', 'problem'],
        r.restore.mismatches.map((m) => [m.path, m.problem]),
      )}`
    : '';
  const checkErrors = r.check?.errors?.length
    ? `\n\n**check found**\n\n${r.check.errors.map((e) => `- \`${e}\``).join('\n')}`
    : '';
  const known = rows.filter(([, v]) => v !== undefined && v !== '');
  const table = known.length > 0 ? `\n\n${markdownTable(['item', 'value'], known)}` : '';
  const steps = report.steps.length > 0 ? `\n\n${stepsTable(report.steps)}` : '';
  return `${status}${table}${mismatches}${checkErrors}${steps}\n`;
}
