// 3. Overhead vs raw commands: each action vs a plain shell script doing the same tool invocations.
import { landed, notBuilt } from '../lib/actions.mjs';

export const id = '3';
export const name = 'overhead';
export const title = 'Overhead vs raw commands';
export const method =
  'Each action, run as a runner runs it, vs a shell script doing the same tool invocations on the same data.';
const TARGET = { on: 'ratio', op: '<=', limit: 1.15, text: 'ratio ≤ 1.15' };

export async function run(ctx) {
  return ['restic-restore-check', 'push-mirror', 'tofu-plan-with-state-backup'].map((a) =>
    landed(ctx, a) ? notBuilt(a, TARGET, { reason: 'benchmark not written yet' }) : notBuilt(a, TARGET),
  );
}
