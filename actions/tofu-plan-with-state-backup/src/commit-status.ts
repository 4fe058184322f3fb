import { failureLine, type StatusHook } from '../../../shared/commit-status.js';
import type { Report } from '../../../shared/report.js';
import type { inputs } from './inputs.js';
import type { StackReport } from './run/outputs.js';

/**
 * The step's commit status: `edge/tofu-plan-with-state-backup/<stack> (<mode>)` — the mode is part of
 * the target because plan, apply and drift of one stack can run on the same commit — and a line such
 * as `plan: +2 ~1 -0` or `state archived: serial 44`.
 */
function stackName(dir: string): string {
  const parts = dir
    .replace(/\\/g, '/')
    .split('/')
    .filter((p) => p !== '' && p !== '.');
  if (parts.length === 0) return 'root';
  // An absolute path names the runner's checkout; its last two parts name the stack.
  return dir.startsWith('/') ? parts.slice(-2).join('/') : parts.join('/');
}

function counts(stacks: readonly StackReport[]): string {
  const sum = (k: 'toAdd' | 'toChange' | 'toDestroy') => stacks.reduce((n, s) => n + (s.counts?.[k] ?? 0), 0);
  const where = stacks.length > 1 ? ` in ${stacks.length} stacks` : '';
  return `+${sum('toAdd')} ~${sum('toChange')} -${sum('toDestroy')}${where}`;
}

function serials(stacks: readonly StackReport[]): string {
  if (stacks.length === 1) return `serial ${stacks[0].stateSerial ?? 'unknown'}`;
  return `${stacks.length} stacks`;
}

export function describeTofu(report: Report): string {
  const r = report.result as { mode?: string; stacks?: StackReport[] };
  const stacks = r.stacks ?? [];
  const mode = r.mode ?? report.inputs.mode;
  if (report.status !== 'success') {
    if (report.failure?.reason === 'drift-detected' && stacks.length > 0) return `drift: ${counts(stacks)}`;
    return failureLine(report);
  }
  const changed = stacks.some((s) => s.hasChanges);
  switch (mode) {
    case 'plan':
      return changed ? `plan: ${counts(stacks)}` : 'plan: no changes';
    case 'drift':
      return 'no drift';
    case 'apply':
      return changed ? `applied: ${counts(stacks)}` : 'applied: no changes';
    case 'backup':
      return `state archived: ${serials(stacks)}`;
    case 'restore':
      return `state restored: ${serials(stacks)}`;
    default:
      return 'succeeded';
  }
}

export const commitStatus: StatusHook<keyof typeof inputs> = {
  target: (input) =>
    `${input('terramate') === 'true' ? 'terramate' : stackName(input('working-directory'))} (${input('mode')})`,
  describe: describeTofu,
};
