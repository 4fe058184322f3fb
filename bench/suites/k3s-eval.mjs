// 5. k3s-verify evaluation time and API requests per poll at 100 / 1,000 / 5,000 / 10,000 pods.
import { landed, notBuilt } from '../lib/actions.mjs';

export const id = '5';
export const name = 'k3s-eval';
export const title = 'k3s-verify evaluation';
export const method = 'Pure evaluation of one poll from recorded API responses, and API requests per poll.';
const TARGET = { on: 'value', op: '<', limit: 100, text: '< 100 ms at 5,000 pods' };

export async function run(ctx) {
  if (!landed(ctx, 'k3s-verify')) return [notBuilt('5,000 pods', TARGET)];
  return [notBuilt('5,000 pods', TARGET, { reason: 'benchmark not written yet' })];
}
