// 4. State archive throughput: the tofu action's one-pass archive vs `tar czf` then `sha256sum`.
import { landed, notBuilt } from '../lib/actions.mjs';

export const id = '4';
export const name = 'state-archive';
export const title = 'State archive throughput';
export const method =
  'A 100 MB state file archived + compressed + hashed in one pass vs `tar czf` then `sha256sum`.';
const TARGET = { on: 'ratio', op: '<=', limit: 1.0, text: 'ratio ≤ 1.0' };

export async function run(ctx) {
  if (!landed(ctx, 'tofu-plan-with-state-backup')) return [notBuilt('100 MB state', TARGET)];
  return [notBuilt('100 MB state', TARGET, { reason: 'benchmark not written yet' })];
}
