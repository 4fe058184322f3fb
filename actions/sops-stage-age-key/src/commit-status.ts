import { failureLine, type StatusHook } from '../../../shared/commit-status.js';
import type { Report } from '../../../shared/report.js';
import type { inputs } from './inputs.js';

/** The step's commit status: `edge/sops-stage-age-key/<host or runner>`, `age key staged on runner and edge-1`. */
export function describeSops(report: Report): string {
  if (report.status !== 'success') return failureLine(report);
  const r = report.result as { target?: { host?: string }; verifiedFiles?: unknown[] };
  const where = r.target?.host ? `runner and ${r.target.host.replace(/^[^@]*@/, '')}` : 'runner';
  const files = r.verifiedFiles ? `, ${r.verifiedFiles.length} files verified` : '';
  return `age key staged on ${where}${files}`;
}

export const commitStatus: StatusHook<keyof typeof inputs> = {
  // The user part is not secret, but the host is what the status is about.
  target: (input) => input('target-host').replace(/^[^@]*@/, '') || 'runner',
  describe: describeSops,
};
