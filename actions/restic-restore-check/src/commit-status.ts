import { failureLine, type StatusHook } from '../../../shared/commit-status.js';
import type { Report } from '../../../shared/report.js';
import type { inputs } from './inputs.js';

/**
 * The step's commit status: `edge/restic-restore-check/<repository>` (user and password left out of the
 * address), `restore verified: 20 files, 3h old`.
 */
export function repositoryTarget(repository: string): string {
  return repository.replace(/\/\/[^/@\s]*@/, '//');
}

function age(seconds: number): string {
  if (seconds < 3600) return `${Math.max(0, Math.round(seconds / 60))}m`;
  if (seconds < 2 * 86_400) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86_400)}d`;
}

export function describeRestic(report: Report): string {
  if (report.status !== 'success') return failureLine(report);
  const r = report.result as {
    snapshotAgeSeconds?: number;
    snapshot?: { shortId?: string };
    restore?: { filesVerified?: number };
  };
  const old = r.snapshotAgeSeconds !== undefined ? `, ${age(r.snapshotAgeSeconds)} old` : '';
  if (r.restore?.filesVerified) return `restore verified: ${r.restore.filesVerified} files${old}`;
  return `snapshot ${r.snapshot?.shortId ?? ''} checked${old}`.replace('  ', ' ');
}

export const commitStatus: StatusHook<keyof typeof inputs> = {
  target: (input) => repositoryTarget(input('repository')),
  describe: describeRestic,
};
