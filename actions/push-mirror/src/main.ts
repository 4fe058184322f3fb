import { run } from '../../../shared/run.js';
import { commitStatus } from './commit-status.js';
import { createDeps } from './deps.js';
import { registerAuthSecrets } from './git-auth.js';
import { inputs } from './inputs.js';
import { runMirror } from './mirror.js';
import { mirrorSummary, publishOutcome } from './outcome.js';
import { toMirrorSettings } from './settings.js';

await run({
  action: 'push-mirror',
  title: 'Push mirror',
  async main(ctx) {
    const raw = ctx.inputs(inputs);
    const settings = toMirrorSettings(raw);
    const credential = raw.token ? registerAuthSecrets(raw.username, raw.token) : undefined;
    const outcome = await runMirror(settings, createDeps(ctx, settings, raw, credential));
    publishOutcome(ctx, outcome);
    if (outcome.error) throw outcome.error;
  },
  summary: mirrorSummary,
  status: commitStatus,
});
