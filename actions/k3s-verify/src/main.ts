import { run } from '../../../shared/run.js';
import { commitStatus } from './commit-status.js';
import { inputs } from './inputs.js';
import { renderSummary } from './report/summary.js';
import { cleanup, verify } from './verify.js';

await run({
  action: 'k3s-verify',
  title: 'K3s verify',
  async main(ctx) {
    await verify(ctx, ctx.inputs(inputs));
  },
  async post(ctx) {
    await cleanup(ctx);
  },
  summary: renderSummary,
  status: commitStatus,
});
