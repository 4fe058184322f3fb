import { openCache } from '../../../shared/cache.js';
import { connectForge } from '../../../shared/forge.js';
import { run } from '../../../shared/run.js';
import { createResticCache, keepCache } from './cache/restic-cache.js';
import { commitStatus } from './commit-status.js';
import { syncFailureIssue, type CheckOutcome } from './failure-issue.js';
import { buildPlan, prepare } from './check-settings.js';
import { inputs } from './inputs.js';
import { createResticCli } from './restic/restic-cli.js';
import { resticEnv } from './restic/restic-environment.js';
import { makeScratch, removeResticFiles, removeScratch } from './restic/scratch.js';
import { runRestoreCheck } from './restore-check.js';
import { restoreCheckSummary } from './summary.js';
import { createVerifyCommandRunner } from './verification/verify-command.js';

const SCRATCH_STATE = 'scratch-dir';

await run({
  action: 'restic-restore-check',
  title: 'restic restore check',
  async main(ctx) {
    const s = ctx.inputs(inputs);
    const prepared = prepare(s);
    const deadline = Date.now() + s.timeout;
    const scratch = await makeScratch(
      prepared.password.kind === 'value' ? prepared.password.value : undefined,
      { perRunCache: s.cache === 'off' },
    );
    // Saved before anything can fail, so post removes the password file even if main is killed.
    ctx.saveState(SCRATCH_STATE, scratch.dir);
    const warn = (m: string) => ctx.warning(m);
    const cache = createResticCache({
      mode: s.cache,
      dir: prepared.cacheDir ?? (scratch.cacheDir as string),
      actionsCache: () => openCache({ warn }),
      warn,
      runId: ctx.platform.runId,
    });
    let outcome: CheckOutcome | undefined;
    try {
      const restic = createResticCli({
        bin: s.resticBinary,
        env: resticEnv(s.repository, prepared.password, scratch, prepared.backend, cache.dir),
        noLock: s.noLock,
        deadline,
        timeoutMs: s.timeout,
        unreachableAfterMs: s.unreachableAfter,
        repositoryLabel: prepared.label,
      });
      const verifier = createVerifyCommandRunner({ deadline, timeoutMs: s.timeout });
      const plan = buildPlan(s, prepared.seed, scratch.restoreDir);
      const deps = {
        restic,
        cache,
        verifier,
        removeResticFiles: () => removeResticFiles(scratch),
        now: () => new Date(),
      };
      outcome = { passed: await runRestoreCheck(plan, deps, ctx) };
    } catch (e) {
      outcome = { failed: e };
      throw e;
    } finally {
      await keepCache(cache, deadline, ctx);
      // A failed removal must not hide the check's own result; post tries again.
      await ctx.step('remove temporary files', () =>
        removeScratch(scratch.dir).catch((e: Error) =>
          ctx.warning(`Could not remove ${scratch.dir}: ${e.message}`),
        ),
      );
      if (s.failureIssue && outcome)
        await ctx.step('failure issue', async () => {
          const issue = await syncFailureIssue({
            forge: connectForge(s.forgeToken),
            repository: s.repository,
            outcome: outcome!,
            warn: (m) => ctx.warning(m),
          });
          if (issue) ctx.result({ failureIssue: { action: issue.action, number: issue.issue?.number } });
        });
    }
  },
  async post(ctx) {
    await removeScratch(ctx.getState(SCRATCH_STATE));
  },
  summary: restoreCheckSummary,
  status: commitStatus,
});
