import type { ActionContext } from '../../../shared/run.js';
import { publicReport, type NodeDetail } from './colmena/run-outcome.js';
import type { NodeVerification } from './safety/verify-node.js';

/**
 * The step's outputs and the report's node results, set on every path: workflows read them with
 * fromJSON() even after an early failure, so they always exist (`[]`, `{}`, empty).
 */
export function publish(
  ctx: ActionContext,
  details: readonly NodeDetail[],
  verified: readonly NodeVerification[] = [],
): void {
  const names = (r: string) =>
    details
      .filter((d) => d.result === r)
      .map((d) => d.name)
      .join(',');
  const health = (name: string) => verified.find((v) => v.name === name)?.health ?? null;
  ctx.output('nodes', JSON.stringify(details.map((d) => ({ ...publicReport(d), health: health(d.name) }))));
  ctx.output('succeeded', names('succeeded'));
  ctx.output('failed', names('failed'));
  const back = verified.filter((v) => v.health === 'rolled-back' || v.health === 'rolled-back (unconfirmed)');
  ctx.output('rolled-back', JSON.stringify(back.map((v) => v.name)));
  const generations = Object.fromEntries(verified.map((v) => [v.name, { before: v.before, after: v.after }]));
  ctx.output('generations', JSON.stringify(generations));
  ctx.result({ nodes: details });
  if (verified.length > 0) ctx.result({ verification: verified.map(({ transcript: _t, ...v }) => v) });
}
