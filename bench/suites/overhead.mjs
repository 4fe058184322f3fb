// 3. Overhead vs raw commands: each action, run as a runner runs it, vs a plain shell script doing the
// same job with the tools directly, on the same data, interleaved.
import { landed, notBuilt } from '../lib/actions.mjs';
import * as pushMirror from './overhead/push-mirror.mjs';
import * as restic from './overhead/restic.mjs';
import * as tofu from './overhead/tofu.mjs';

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

const BENCHES = [
  ['restic-restore-check', restic],
  ['push-mirror', pushMirror],
  ['tofu-plan-with-state-backup', tofu],
];

export async function run(ctx) {
  const rows = [];
  for (const [action, bench] of BENCHES) {
    if (!landed(ctx, action)) {
      rows.push(notBuilt(action, TARGET));
      continue;
    }
    if (!bench) {
      rows.push(notBuilt(action, TARGET, { reason: 'benchmark not written yet' }));
      continue;
    }
    ctx.log(`  ${action}`);
    try {
      rows.push(await bench.measure(ctx, TARGET));
    } catch (e) {
      rows.push({ subject: action, status: 'error', reason: e.message, target: TARGET });
    }
  }
  return rows;
}
