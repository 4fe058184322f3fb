// 9. Overhead at realistic sizes (issue 21): the same comparisons as section 3, on the data sizes the
// suite meets in production. The large fixtures are built once and cached outside the repository
// (bench/lib/fixture-cache.mjs).
import { measureEachAction } from './overhead/each-action.mjs';

export const id = '9';
export const name = 'realistic';
export const title = 'Overhead at realistic sizes';
export const method =
  'As section 3 (each action run as a runner runs it vs a `sh` script doing the same job with the tools ' +
  'directly, interleaved), at realistic sizes: a restic repository of 10,000 files / ≥ 1 GiB with 200 ' +
  'files sampled, a tofu stack of 150 resources, a mirror with ≥ 2,000 refs and 20,000 commits receiving ' +
  '50 new ones. The restic repository and the git repositories are built once and cached between runs ' +
  'outside the repository (BENCH_CACHE_DIR, default ~/.cache/edge-actions-bench), keyed by generator ' +
  'version; each run works on hard-linked copies. Smoke runs use the tiny sizes. Target (issue 21): ' +
  'ratio ≤ 1.10.';

const LIMIT = 1.1;
const TARGET = { on: 'ratio', op: '<=', limit: LIMIT, text: `ratio ≤ ${LIMIT}` };

export function run(ctx) {
  return measureEachAction(ctx, TARGET, 'realistic');
}
