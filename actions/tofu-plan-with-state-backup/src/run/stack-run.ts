import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { acquireLock } from '../../../../shared/fsx.js';
import * as log from '../../../../shared/log.js';
import { backupState } from '../archive/state-backup.js';
import { describeState, readStateInfo } from '../archive/state-file.js';
import { restoreState } from '../recovery/state-restore.js';
import type { StackTarget } from '../stacks/stack-target.js';
import { toolLabel } from '../tofu/tofu-cli.js';
import { runTofuMode } from '../tofu/tofu-flow.js';
import type { StackDeps, StackOptions, StackOutcome } from './stack-types.js';

/*
 * One stack, one mode, under the runner-local lock `<state-path>.lock` (held from before init until
 * the handoff is read, so two jobs on the same state serialize completely). backup and restore are pure
 * file operations; plan, drift and apply are in tofu/tofu-flow.ts.
 */

export async function runStack(t: StackTarget, o: StackOptions, d: StackDeps): Promise<StackOutcome> {
  await fsp.mkdir(path.dirname(t.statePath), { recursive: true, mode: 0o700 });
  const lock = await acquireLock(`${t.statePath}.lock`, {
    timeoutMs: o.lockTimeoutMs,
    runId: o.runId,
    purpose: `${o.mode} ${t.label}`,
    reason: 'state-locked',
    onWait: (h) =>
      log.info(
        `Waiting for the state lock of '${t.statePath}'` +
          (h ? ` (held by run ${h.runId}, pid ${h.pid} on ${h.host}, since ${h.since})` : '') +
          '.',
      ),
  });
  try {
    if (o.mode === 'backup' || o.mode === 'restore') return await runFileMode(t, o, d);
    return await runTofuMode(t, o, d);
  } finally {
    await lock.release();
  }
}

async function runFileMode(t: StackTarget, o: StackOptions, d: StackDeps): Promise<StackOutcome> {
  const context = { ...o.context, toolVersion: await toolLabel(d.tofu), purpose: o.mode };
  const base = {
    statePath: t.statePath,
    backupDir: t.backupDir,
    keep: o.backupKeep,
    remote: o.backupRemote,
    context,
  };
  const deps = { rclone: d.rclone, warning: d.warning, now: d.now };
  if (o.mode === 'restore') {
    const r = await d.step(`restore ${t.label}`, () =>
      restoreState(
        { ...base, from: o.restoreFrom ?? 'latest', allowLineageChange: o.allowLineageChange },
        deps,
      ),
    );
    log.info(
      `Restored '${t.statePath}' from '${r.archive}': ${describeState(r.before)} → ${describeState(r.after)}.`,
    );
    return { label: t.label, state: r.after, restore: r, backup: r.preRestoreBackup, applied: false };
  }
  const state = await readStateInfo(t.statePath);
  if (!state.exists) {
    d.warning(`There is no state at '${t.statePath}' yet; nothing was archived.`);
    return { label: t.label, state, applied: false };
  }
  const backup = await d.step(`backup ${t.label}`, () =>
    backupState({ ...base, consequence: 'The state is unchanged.' }, deps),
  );
  return { label: t.label, state: backup.state, backup, applied: false };
}
