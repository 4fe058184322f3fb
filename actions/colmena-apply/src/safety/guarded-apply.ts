import { ActionError, CancelledError } from '../../../../shared/errors.js';
import type { ActionContext } from '../../../../shared/run.js';
import { applyArgs, type ApplySettings } from '../colmena/apply-args.js';
import type { ColmenaCli } from '../colmena/colmena-cli.js';
import { runColmena, type RunOutcome } from '../colmena/deployment.js';
import type { Goal } from '../colmena/node-log-parser.js';
import { publish } from '../outputs.js';
import { verificationFailure, type SafetyNet } from './safety-net.js';

/**
 * `apply <goal>` inside the safety net. With rollback, colmena runs twice: `apply push` first (build and
 * copy every closure, nothing activated), then the timers are armed, then `apply <goal>` (its evaluation
 * runs again; builds and copies are already done), so the confirm window does not have to cover builds.
 * Afterwards every node is verified; colmena's own failure is kept and combined with what the
 * verification found. A cancelled job is not verified: armed timers then switch activated nodes back.
 */
export interface GuardedRun {
  goal: Goal;
  reboot: boolean;
  rollback: boolean;
  nodes: readonly string[];
  rebootTimeoutMs: number;
  deadline: number;
}

export async function guardedApply(
  ctx: ActionContext,
  cli: ColmenaCli,
  apply: ApplySettings,
  net: SafetyNet,
  r: GuardedRun,
): Promise<void> {
  const common = { nodes: r.nodes, rebootTimeoutMs: r.rebootTimeoutMs, deadline: r.deadline };
  if (r.rollback) {
    await ctx.step('record generations', () => net.record(r.deadline));
    await ctx.step('apply push (build and copy before arming)', async () => {
      const o = await runColmena(cli, {
        ...common,
        args: applyArgs({ ...apply, reboot: false }, 'push'),
        goal: 'push',
        reboot: false,
        label: 'colmena apply push',
      });
      if (!o.failure) return;
      publish(ctx, o.details);
      throw new ActionError(
        o.failure.reason,
        `colmena apply push (run before arming the rollback timers; nothing was activated): ${o.failure.message}`,
        o.failure.hint,
      );
    });
    await ctx.step('arm rollback timers', () => net.arm(r.deadline));
  }
  let outcome: RunOutcome | undefined;
  let colmenaFailure: ActionError | undefined;
  try {
    await ctx.step(`apply ${r.goal}`, async () => {
      outcome = await runColmena(cli, {
        ...common,
        args: applyArgs(apply),
        goal: r.goal,
        reboot: r.reboot,
        label: `colmena apply ${r.goal}`,
      });
      publish(ctx, outcome.details);
      if (outcome.failure) throw outcome.failure;
    });
  } catch (e) {
    if (!(e instanceof ActionError) || e instanceof CancelledError || !outcome) throw e;
    colmenaFailure = e;
  }
  const details = outcome!.details;
  for (const d of details.filter((n) => n.result === 'skipped')) {
    ctx.warning(
      `colmena did not deploy the selected node ${d.name} (${d.error}); a node without deployment.targetHost is skipped.`,
    );
  }
  await ctx.step('verify nodes after activation', async () => {
    const verified = await net.verify(details, r.deadline);
    publish(ctx, details, verified);
    const failure = verificationFailure(verified, colmenaFailure);
    if (failure) throw failure;
  });
}
