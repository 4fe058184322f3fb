// The overhead comparison of each action at one size: section 3 (small) and section 9 (realistic).
import { landed, notBuilt } from '../../lib/actions.mjs';
import * as pushMirror from './push-mirror.mjs';
import * as restic from './restic.mjs';
import * as tofu from './tofu.mjs';

const BENCHES = [
  ['restic-restore-check', restic],
  ['push-mirror', pushMirror],
  ['tofu-plan-with-state-backup', tofu],
];

/** One row per action; an action not built, or a benchmark that throws, is a row saying so. */
export async function measureEachAction(ctx, target, size) {
  const rows = [];
  for (const [action, bench] of BENCHES) {
    const subject = size === 'small' ? action : `${action} (${size})`;
    if (!landed(ctx, action)) {
      rows.push(notBuilt(subject, target));
      continue;
    }
    ctx.log(size === 'small' ? `  ${action}` : `  ${action} (${size} size)`);
    try {
      rows.push(await bench.measure(ctx, target, size));
    } catch (e) {
      rows.push({ subject, status: 'error', reason: e.message, target });
    }
  }
  return rows;
}
