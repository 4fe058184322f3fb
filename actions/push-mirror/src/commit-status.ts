import { failureLine, type StatusHook } from '../../../shared/commit-status.js';
import type { Report } from '../../../shared/report.js';
import type { inputs } from './inputs.js';

/** The step's commit status: `edge/push-mirror/<mirror host/path>`, `mirror verified: 12 refs`. */
function mirrorName(url: string): string {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname.replace(/\.git$/, '').replace(/\/+$/, '')}`;
  } catch {
    return '';
  }
}

export function describeMirror(report: Report): string {
  if (report.status !== 'success') return failureLine(report);
  const r = report.result as {
    mode?: string;
    dryRun?: boolean;
    counts?: { created: number; updated: number; deleted: number; unchanged: number };
    verification?: string;
    forgejoMirrors?: unknown[];
  };
  if (r.mode === 'forgejo-sync')
    return r.dryRun ? 'dry run: no sync triggered' : `push mirrors synced: ${r.forgejoMirrors?.length ?? 0}`;
  const c = r.counts;
  if (!c) return 'succeeded';
  const delta = `+${c.created} ~${c.updated} -${c.deleted}`;
  if (r.dryRun) return `dry run: ${delta}`;
  if (r.verification === 'passed') return `mirror verified: ${c.created + c.updated + c.unchanged} refs`;
  return `mirror pushed: ${delta}`;
}

export const commitStatus: StatusHook<keyof typeof inputs> = {
  target: (input) =>
    input('mode') === 'forgejo-sync'
      ? `forgejo-sync ${input('repository')}`
      : mirrorName(input('remote-url')) || 'mirror',
  describe: describeMirror,
};
