// 3. Overhead vs raw commands: each action, run as a runner runs it, vs a plain shell script doing the
// same job with the tools directly, on the same data, interleaved.
import { measureEachAction } from './overhead/each-action.mjs';

export const id = '3';
export const name = 'overhead';
export const title = 'Overhead vs raw commands';
export const method =
  'Each action run as a runner runs it (node on dist/<name>/index.js with INPUT_*, RUNNER_TEMP and the ' +
  'file commands; post step included where action.yml declares one) vs a `sh` script doing the job ' +
  'with the tools directly on the same data; wall time from spawn to exit, interleaved. The action ' +
  'log and the script output are both captured by the benchmark through pipes. Small sizes (section 9 has ' +
  'the realistic ones). Target (issue 21, small sizes): ratio ≤ 1.5.';

const LIMIT = 1.5;
const TARGET = { on: 'ratio', op: '<=', limit: LIMIT, text: `ratio ≤ ${LIMIT}` };

export function run(ctx) {
  return measureEachAction(ctx, TARGET, 'small');
}
