import type { Report } from '../../../shared/report.js';
import { markdownTable, stepsTable } from '../../../shared/report.js';

interface Result {
  publicKeys?: string[];
  keyFile?: string;
  verifiedFiles?: { file: string; ok: boolean }[];
  target?: { host: string; port: number; path: string; mode: string; owner: string; sha256: string };
}

/** The job summary: what was staged where, never a key. */
export function summarize(report: Report): string {
  const r = report.result as Result;
  const rows: unknown[][] = [
    ['public keys', (r.publicKeys ?? []).join(', ')],
    ['runner key file', r.keyFile],
    [
      'verified files',
      r.verifiedFiles
        ? `${r.verifiedFiles.filter((f) => f.ok).length} of ${r.verifiedFiles.length}`
        : undefined,
    ],
    [
      'target',
      r.target
        ? `${r.target.host}:${r.target.path} (mode ${r.target.mode}, owner ${r.target.owner}, sha256 ${r.target.sha256.slice(0, 16)}…)`
        : undefined,
    ],
  ];
  const parts = [markdownTable(['what', 'value'], rows), '', stepsTable(report.steps)];
  if (report.failure) parts.push('', `**Failed (${report.failure.reason}):** ${report.failure.message}`);
  return parts.join('\n');
}
