import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { ActionError } from '../../../../shared/errors.js';
import { runnerTemp, writeFileAtomic } from '../../../../shared/fsx.js';
import type { ActionContext } from '../../../../shared/run.js';
import { createRcloneCli, type RcloneCli } from '../archive/rclone-cli.js';
import { MIB } from '../archive/tar-gz.js';
import { forgeHooks } from '../forge/forge-hooks.js';
import { checkSettings } from '../input-rules.js';
import { ACTION, type ActionSettings } from '../inputs.js';
import { stackTarget } from '../stacks/stack-target.js';
import { createTerramateCli, type TerramateCli } from '../stacks/terramate-cli.js';
import { createTofuCli, type TofuCli } from '../tofu/tofu-cli.js';
import { openPluginCache, type PluginCache } from '../providers/plugin-cache.js';
import { planEvidence } from './evidence.js';
import { stackReport } from './outputs.js';
import { runStack } from './stack-run.js';
import type { RunResult, StackOptions, StackOutcome } from './stack-types.js';

export interface Clients {
  tofu: (cwd: string, label: string, dataDir?: string) => TofuCli;
  rclone: () => RcloneCli;
  terramate: (cwd: string) => TerramateCli;
}

export function realClients(s: ActionSettings): Clients {
  return {
    tofu: (cwd, label, dataDir) =>
      createTofuCli({ bin: s.tofuBinary, cwd, lockTimeoutMs: s.lockTimeout, label, dataDir }),
    rclone: () => createRcloneCli({ config: s.rcloneConfig }),
    terramate: (cwd) => createTerramateCli({ bin: s.terramateBinary, cwd }),
  };
}

export async function orchestrate(
  ctx: ActionContext,
  s: ActionSettings,
  clients: Clients,
): Promise<RunResult> {
  checkSettings(s);
  const runId = `${ctx.platform.runId}-${ctx.platform.runAttempt}`;
  const stacks = s.terramate
    ? await ctx.step('terramate list --changed', () =>
        clients.terramate(s.workingDirectory).listChangedStacks(),
      )
    : [undefined];
  if (s.terramate && stacks.length === 0) ctx.warning('terramate found no changed stacks: nothing to do.');
  const opts: StackOptions = {
    mode: s.mode,
    varFiles: s.varFiles ?? [],
    lockTimeoutMs: s.lockTimeout,
    backupKeep: s.backupKeep,
    maxArchiveBytes: s.maxArchiveSizeMb * MIB,
    backupRemote: s.backupRemote,
    handoffOutputs: s.handoffOutputs,
    restoreFrom: s.restoreFrom,
    allowLineageChange: s.allowLineageChange,
    maxArchiveAgeMs: s.maxArchiveAge,
    runId,
    tfDataDir: process.env.TF_DATA_DIR,
    context: {
      tool: path.basename(s.tofuBinary),
      runId,
      commitSha: ctx.platform.sha,
      repository: ctx.platform.repository,
      host: os.hostname(),
    },
  };
  const remembered = new Set<string>();
  // Built once, spawns nothing until used (backup-remote, or an rclone path in restore-from).
  const rclone = clients.rclone();
  const pluginCache = await providerCache(ctx, s, runId, stacks, clients);
  const outcomes: StackOutcome[] = [];
  // The forge side (pull request comment, drift issue, require-approved-plan): src/forge/.
  const forge = forgeHooks(s, { warning: (m) => ctx.warning(m), sha: ctx.platform.sha });
  const evidence = new Set<string>();
  for (const stack of stacks) {
    const t = stackTarget(s, runId, stack);
    if (stack !== undefined && !(await fsp.stat(t.workingDir).catch(() => undefined))?.isDirectory())
      throw new ActionError(
        'plan-failed',
        `terramate listed the stack '${stack}', but '${t.workingDir}' is not a directory.`,
        'Check the terramate project.',
      );
    const outcome = await runStack(t, opts, {
      tofu: clients.tofu(t.workingDir, t.label),
      tofuWithDataDir: (dataDir) => clients.tofu(t.workingDir, t.label, dataDir),
      rclone,
      pluginCache,
      step: (name, fn) => ctx.step(name, fn),
      warning: (m) => ctx.warning(m),
      remember: (kind, p) => {
        remembered.add(`${kind}:${p}`);
        ctx.saveState('cleanup', JSON.stringify([...remembered]));
      },
      // Once main removed it, post must not: a later run in the same directory may have written it anew.
      forget: (kind, p) => {
        remembered.delete(`${kind}:${p}`);
        ctx.saveState('cleanup', JSON.stringify([...remembered]));
      },
      approve: forge.approve,
    });
    outcomes.push(outcome);
    outcome.forge = await forge.afterStack(t, outcome);
    // Recorded per stack so a failure in a later stack still reports what earlier ones did.
    ctx.result({ mode: s.mode, stacks: outcomes.map(stackReport) });
    for (const f of planEvidence(outcome, s.mode, evidence)) ctx.attach(f.name, f.text);
    // A stack whose run found a failure (after-apply backup, rehearsal) stops the others: fail closed.
    if (outcome.failure) break;
  }
  // After the stacks (a plan or apply that failed does not save): what init installed, for the next run.
  await pluginCache?.save();
  if (pluginCache) ctx.result({ pluginCache: pluginCache.report() });
  const failure = outcomes.find((o) => o.failure)?.failure ?? driftFailure(s, outcomes);
  return { outcomes, ...(await writeHandoff(s, outcomes)), failure };
}

/** The provider plugin cache for the modes that run init (issue 16.1); restores it on ephemeral runners. */
async function providerCache(
  ctx: ActionContext,
  s: ActionSettings,
  runId: string,
  stacks: (string | undefined)[],
  clients: Clients,
): Promise<PluginCache | undefined> {
  if (s.mode === 'backup' || s.mode === 'restore' || stacks.length === 0) return undefined;
  const workingDirs = stacks.map((stack) => stackTarget(s, runId, stack).workingDir);
  return openPluginCache({
    mode: s.pluginCache,
    dir: s.pluginCacheDir,
    workingDirs,
    tool: path.basename(s.tofuBinary),
    version: () => clients.tofu(workingDirs[0], 'version').version(),
    lock: { timeoutMs: s.lockTimeout, runId, reason: 'state-locked' },
    warn: (m) => ctx.warning(m),
  });
}

/** drift mode: changes fail the step, after the outputs (counts) were set. */
function driftFailure(s: ActionSettings, outcomes: StackOutcome[]): ActionError | undefined {
  const drifted = outcomes.filter((o) => o.summary?.hasChanges).map((o) => o.label);
  if (s.mode !== 'drift' || drifted.length === 0) return undefined;
  return new ActionError(
    'drift-detected',
    `Drift detected: the infrastructure differs from the configuration in ${drifted.join(', ')}.`,
    'Review the plan above and apply it, or fix the configuration.',
  );
}

async function writeHandoff(
  s: ActionSettings,
  outcomes: StackOutcome[],
): Promise<Pick<RunResult, 'handoffFile' | 'handoffJson'>> {
  const withHandoff = outcomes.filter((o) => o.handoff);
  if (withHandoff.length === 0) return {};
  const doc = s.terramate
    ? Object.fromEntries(withHandoff.map((o) => [o.label, o.handoff!.values]))
    : withHandoff[0].handoff!.values;
  const json = JSON.stringify(doc);
  const file = s.handoffFile ?? path.join(runnerTemp(), ACTION, 'handoff.json');
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, JSON.stringify(doc, null, 2) + '\n', { mode: 0o644 });
  return { handoffFile: file, handoffJson: json };
}

/** Removes what a crashed or cancelled main left behind (override files, temp plan dirs). */
export async function cleanup(saved: string): Promise<string[]> {
  if (!saved) return [];
  const removed: string[] = [];
  for (const entry of JSON.parse(saved) as string[]) {
    const p = entry.slice(entry.indexOf(':') + 1);
    await fsp.rm(p, { recursive: true, force: true });
    removed.push(p);
  }
  return removed;
}
