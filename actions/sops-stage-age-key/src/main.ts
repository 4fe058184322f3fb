import * as core from '@actions/core';
import { run } from '../../../shared/run.js';
import { commitStatus } from './commit-status.js';
import { cleanupRunner } from './cleanup.js';
import { inputs } from './inputs.js';
import { createSshTarget } from './ssh-target.js';
import { stageAgeKey } from './stage.js';
import { summarize } from './summary.js';

await run({
  action: 'sops-stage-age-key',
  title: 'Stage SOPS age key',
  async main(ctx) {
    const s = ctx.inputs(inputs);
    await stageAgeKey(ctx, s, {
      createTarget: createSshTarget,
      exportVariable: (name, value) => core.exportVariable(name, value),
    });
  },
  post: cleanupRunner,
  summary: summarize,
  status: commitStatus,
});
