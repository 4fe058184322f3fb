import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { InputError } from '../../../../shared/errors.js';
import { acquireLock } from '../../../../shared/fsx.js';
import * as log from '../../../../shared/log.js';
import { backupFailed, backupState } from '../archive/state-backup.js';
import { describeState, readStateInfo, stateDirProblem, tightenStateFiles } from '../archive/state-file.js';
import { archiveFacts, classifyRestoreFrom } from '../recovery/archive-source.js';
import { takeInventory } from '../recovery/inventory.js';
import { rehearse } from '../recovery/rehearse.js';
import { restoreState } from '../recovery/state-restore.js';
import type { StackTarget } from '../stacks/stack-target.js';
import { toolLabel } from '../tofu/tofu-cli.js';
import { runTofuMode } from '../tofu/tofu-flow.js';
import type { StackDeps, StackOptions, StackOutcome } from './stack-types.js';

/*
 * One stack, one mode. Every mode that touches the live state runs under the runner-local lock
 * `<state-path>.lock` (held from before init until the handoff is read, so two jobs on the same state
 * serialize completely), refuses a state directory others can read, and leaves the state and its
 * `.backup` owner-only. backup and restore are file operations; plan, drift and apply are in
 * tofu/tofu-flow.ts. rehearse never touches the live state, its lock or its archives: it runs in a
 * private scratch state (recovery/rehearse.ts).
 */
export async function runStack(t: StackTarget, o: StackOptions, d: StackDeps): Promise<StackOutcome> {
  if (o.mode === 'rehearse') return rehearse(t, o, d);
  const open = await stateDirProblem(t.statePath);
  if (open)
    throw new InputError(
      'state-path',
      `a state file in a directory only its owner can access; ${open}`,
      `'${t.statePath}'`,
    );
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
    if (o.mode === 'backup') return await backupMode(t, o, d);
    if (o.mode === 'restore') return await restoreMode(t, o, d);
    return await runTofuMode(t, o, d);
  } finally {
    try {
      await tightenStateFiles(t.statePath);
    } finally {
      await lock.release();
    }
  }
}

async function backupRequest(t: StackTarget, o: StackOptions, d: StackDeps) {
  return {
    identity: t.identity,
    backupDir: t.backupDir,
    keep: o.backupKeep,
    maxBytes: o.maxArchiveBytes,
    remote: o.backupRemote,
    context: { ...o.context, toolVersion: await toolLabel(d.tofu), purpose: o.mode },
  };
}

function inventory(t: StackTarget, o: StackOptions, d: StackDeps, remoteNames?: string[]) {
  return takeInventory(
    { backupDir: t.backupDir, remote: o.backupRemote, identity: t.identity, remoteNames, now: d.now?.() },
    d.rclone,
  );
}

async function restoreMode(t: StackTarget, o: StackOptions, d: StackDeps): Promise<StackOutcome> {
  const r = await d.step(`restore ${t.label}`, async () =>
    restoreState(
      {
        ...(await backupRequest(t, o, d)),
        from: classifyRestoreFrom(o.restoreFrom ?? 'latest'),
        allowLineageChange: o.allowLineageChange,
      },
      { rclone: d.rclone, warning: d.warning, now: d.now, remember: d.remember, forget: d.forget },
    ),
  );
  log.info(
    `Restored '${t.statePath}' from '${r.obtained.location}': ${describeState(r.before)} → ${describeState(r.after)}.`,
  );
  return {
    label: t.label,
    state: r.after,
    restore: r,
    backup: r.preRestoreBackup,
    archive: archiveFacts(r.obtained, d.now?.() ?? new Date()),
    inventory: await inventory(t, o, d),
    applied: false,
  };
}

async function backupMode(t: StackTarget, o: StackOptions, d: StackDeps): Promise<StackOutcome> {
  const state = await readStateInfo(t.statePath);
  if (!state.exists) {
    d.warning(`There is no state at '${t.statePath}' yet; nothing was archived.`);
    return { label: t.label, state, applied: false, inventory: await inventory(t, o, d) };
  }
  const req = await backupRequest(t, o, d);
  const backup = await d.step(`backup ${t.label}`, () =>
    backupState(req, { rclone: d.rclone, warning: d.warning, now: d.now }).catch((e: unknown) => {
      throw backupFailed(e, 'The state is unchanged.');
    }),
  );
  return { label: t.label, state: backup.state, backup, applied: false, inventory: await inventory(t, o, d) };
}
