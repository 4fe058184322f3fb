import { run } from '../../../shared/run.js';
import { commitStatus } from './commit-status.js';
import { ACTION, inputs } from './inputs.js';
import { cleanup, orchestrate, realClients } from './run/orchestrate.js';
import { computeOutputs } from './run/outputs.js';
import { renderSummary } from './run/summary.js';

await run({
  action: ACTION,
  title: 'OpenTofu plan with state backup',
  async main(ctx) {
    const s = ctx.inputs(inputs);
    const result = await orchestrate(ctx, s, realClients(s));
    for (const [name, value] of Object.entries(computeOutputs(result, s.terramate))) ctx.output(name, value);
    if (result.failure) throw result.failure;
  },
  async post(ctx) {
    const saved = ctx.getState('cleanup');
    if (saved && saved !== '[]') await ctx.step('remove leftovers', () => cleanup(saved));
  },
  summary: renderSummary,
  status: commitStatus,
});
