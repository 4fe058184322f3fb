import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { ActionError, InputError } from '../../../shared/errors.js';
import { runnerTemp, writeFileAtomic } from '../../../shared/fsx.js';
import type { Settings } from '../../../shared/inputs.js';
import type { ActionContext } from '../../../shared/run.js';
import { ACTION, type inputs } from './inputs.js';
import { stackReport } from './outputs.js';
import { createRcloneCli, type RcloneCli } from './rclone-cli.js';
import { runStack, type StackOptions, type StackOutcome, type StackTarget } from './stack-run.js';
import { createTerramateCli, type TerramateCli } from './terramate-cli.js';
import { createTofuCli, type TofuCli } from './tofu-cli.js';

export type ActionSettings = Settings<typeof inputs>;

export interface Clients {
  tofu: (cwd: string, label: string) => TofuCli;
  rclone: () => RcloneCli;
  terramate: (cwd: string) => TerramateCli;
}

export function realClients(s: ActionSettings): Clients {
  return {
    tofu: (cwd, label) => createTofuCli({ bin: s.tofuBinary, cwd, lockTimeoutMs: s.lockTimeout, label }),
    rclone: () => createRcloneCli({ config: s.rcloneConfig }),
    terramate: (cwd) => createTerramateCli({ bin: s.terramateBinary, cwd }),
  };
}

export const STACK = '{stack}';

/** Resolves one stack's paths; `stack` is the terramate stack directory (relative) or undefined. Pure. */
export function stackTarget(s: ActionSettings, runId: string, stack?: string): StackTarget {
  const sub = (p: string) => (stack === undefined ? p : p.split(STACK).join(stack));
  const statePath = path.resolve(sub(s.statePath));
  const workingDir = stack === undefined ? s.workingDirectory : path.resolve(s.workingDirectory, stack);
  const stateDir = path.dirname(statePath);
  const stateName = path.basename(statePath);
  return {
    label: stack ?? path.basename(workingDir),
    workingDir,
    statePath,
    backupDir: s.backupDir ? path.resolve(sub(s.backupDir)) : path.join(stateDir, 'backups'),
    planFile: s.planFile ? path.resolve(sub(s.planFile)) : undefined,
    defaultPlanFile: path.join(stateDir, 'plans', `${stateName}.run-${runId}.tfplan`),
  };
}

/** Cross-input rules (single inputs were checked by the schema). */
export function checkSettings(s: ActionSettings): void {
  if (s.mode === 'restore' && !s.restoreFrom)
    throw new InputError('restore-from', "an archive path or 'latest' in restore mode", 'nothing');
  if (s.terramate) {
    if (!s.statePath.includes(STACK))
      throw new InputError(
        'state-path',
        `a path containing ${STACK} when terramate is true (one state per stack)`,
        `'${s.statePath}'`,
      );
    if (s.mode === 'restore')
      throw new InputError('terramate', "'false' in restore mode (restore one stack at a time)", "'true'");
    if (s.planFile && !s.planFile.includes(STACK))
      throw new InputError(
        'plan-file',
        `a path containing ${STACK} when terramate is true`,
        `'${s.planFile}'`,
      );
  } else {
    for (const [name, v] of [
      ['state-path', s.statePath],
      ['backup-dir', s.backupDir],
      ['plan-file', s.planFile],
    ] as const) {
      if (v?.includes(STACK))
        throw new InputError(name, `a path without ${STACK} unless terramate is true`, `'${v}'`);
    }
  }
  if (s.statePath.endsWith('/') || s.statePath.endsWith(path.sep + '.'))
    throw new InputError('state-path', 'the path of a state file, not a directory', `'${s.statePath}'`);
}

export interface RunResult {
  outcomes: StackOutcome[];
  handoffFile?: string;
  handoffJson?: string;
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
    backupRemote: s.backupRemote,
    handoffOutputs: s.handoffOutputs,
    restoreFrom: s.restoreFrom,
    allowLineageChange: s.allowLineageChange,
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
  const rclone = s.backupRemote ? clients.rclone() : undefined;
  const outcomes: StackOutcome[] = [];
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
      rclone,
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
    });
    outcomes.push(outcome);
    // Recorded per stack so a failure in a later stack still reports what earlier ones did.
    ctx.result({ mode: s.mode, stacks: outcomes.map(stackReport) });
  }
  return { outcomes, ...(await writeHandoff(s, outcomes)) };
}

async function writeHandoff(
  s: ActionSettings,
  outcomes: StackOutcome[],
): Promise<Omit<RunResult, 'outcomes'>> {
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
