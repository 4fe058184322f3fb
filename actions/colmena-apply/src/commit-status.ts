import { failureLine, type StatusHook } from '../../../shared/commit-status.js';
import type { Report } from '../../../shared/report.js';
import type { inputs } from './inputs.js';
import type { NodeReport } from './colmena/run-outcome.js';

/** The step's commit status: `edge/colmena-apply/<selectors>` and a line like `3/3 hosts converged`. */
const DONE: Record<string, string> = {
  switch: 'converged',
  boot: 'converged (next boot)',
  test: 'converged (until reboot)',
  build: 'built',
  push: 'pushed',
  'dry-activate': 'dry-activated',
  'upload-keys': 'got their keys',
};

export function describeColmena(report: Report): string {
  const nodes = (report.result.nodes as NodeReport[] | undefined) ?? [];
  const ok = nodes.filter((n) => n.result === 'succeeded').length;
  if (report.status === 'success')
    return nodes.length > 0
      ? `${ok}/${nodes.length} hosts ${DONE[report.inputs.goal] ?? 'done'}`
      : 'succeeded';
  const failed = nodes.filter((n) => n.result !== 'succeeded' && n.result !== 'skipped');
  if (report.status === 'failed' && failed.length > 0)
    return `${failed.length}/${nodes.length} hosts failed: ${failed.map((n) => n.name).join(', ')}`;
  return failureLine(report);
}

export const commitStatus: StatusHook<keyof typeof inputs> = {
  target: (input) =>
    input('on')
      .split(/[\n,]/)
      .map((s) => s.trim())
      .filter(Boolean)
      .join(',') || 'all nodes',
  describe: describeColmena,
};
