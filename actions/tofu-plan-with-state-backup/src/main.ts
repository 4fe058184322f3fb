import { ActionError } from '../../../shared/errors.js';
import { run } from '../../../shared/run.js';
import { commitStatus } from './commit-status.js';
import { ACTION, inputs } from './inputs.js';
import { cleanup, orchestrate, realClients } from './orchestrate.js';
import { computeOutputs } from './outputs.js';
import { renderSummary } from './summary.js';

await run({
  action: ACTION,
  title: 'OpenTofu plan with state backup',
  async main(ctx) {
    const s = ctx.inputs(inputs);
    const result = await orchestrate(ctx, s, realClients(s));
    for (const [name, value] of Object.entries(computeOutputs(result, s.terramate))) ctx.output(name, value);
    const drifted = result.outcomes.filter((o) => o.summary?.hasChanges).map((o) => o.label);
    if (s.mode === 'drift' && drifted.length > 0)
      throw new ActionError(
        'drift-detected',
        `Drift detected: the infrastructure differs from the configuration in ${drifted.join(', ')}.`,
        'Review the plan above and apply it, or fix the configuration.',
      );
  },
  async post(ctx) {
    const saved = ctx.getState('cleanup');
    if (saved && saved !== '[]') await ctx.step('remove leftovers', () => cleanup(saved));
  },
  summary: renderSummary,
  status: commitStatus,
});
