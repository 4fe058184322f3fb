import type { Report } from '../../../shared/report.js';
import { markdownTable, stepsTable } from '../../../shared/report.js';

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
}

function age(seconds: number | undefined): string | undefined {
  if (seconds === undefined) return undefined;
  const h = Math.floor(Math.abs(seconds) / 3600);
  const m = Math.floor((Math.abs(seconds) % 3600) / 60);
  return `${seconds < 0 ? '-' : ''}${h}h${String(m).padStart(2, '0')}m`;
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
