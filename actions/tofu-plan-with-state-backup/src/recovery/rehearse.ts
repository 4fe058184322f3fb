import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { ActionError } from '../../../../shared/errors.js';
import { makePrivateDir, writeFileAtomic } from '../../../../shared/fsx.js';
import { formatDuration } from '../../../../shared/inputs.js';
import * as log from '../../../../shared/log.js';
import { registerSecret } from '../../../../shared/secrets.js';
import { readStateInfo } from '../archive/state-file.js';
import type { StackDeps, StackOptions, StackOutcome } from '../run/stack-types.js';
import type { StackTarget } from '../stacks/stack-target.js';
import { OVERRIDE_FILE } from '../tofu/backend-config.js';
import { emptySummary, summarizePlan, type PlanSummary } from '../tofu/plan-summary.js';
import { prepareBackend } from '../tofu/tofu-flow.js';
import { archiveFacts, classifyRestoreFrom, archiveAge, type ArchiveFacts } from './archive-source.js';
import { takeInventory } from './inventory.js';
import { obtainForRestore } from './state-restore.js';

/**
 * `mode: rehearse`, the recovery drill (issue 14 C): take the newest off-site archive of this state
 * (or `restore-from`), verify it, restore it into a private scratch state — never the live one — and
 * run `plan -detailed-exitcode` with the stack's var files against it. It passes only when the plan
 * shows no changes: the off-site copy then provably describes what exists.
 *
 * Never touched: the live state, its `.backup`, its lock, its archives, the stack's `.terraform`
 * (init runs with TF_DATA_DIR in the scratch directory). The scratch directory holds secrets (the
 * state, the plan): it is removed on every path, and by post after a crash.
 */
const MIN_SECRET_LENGTH = 6;

export async function rehearse(t: StackTarget, o: StackOptions, d: StackDeps): Promise<StackOutcome> {
  const now = () => d.now?.() ?? new Date();
  const from = classifyRestoreFrom(o.restoreFrom ?? 'remote');
  const obtained = await d.step(`fetch and verify archive ${t.label}`, () =>
    obtainForRestore(
      {
        identity: t.identity,
        backupDir: t.backupDir,
        remote: o.backupRemote,
        maxBytes: o.maxArchiveBytes,
        from,
      },
      d,
      'Rehearsal',
    ),
  );
  const archive = archiveFacts(obtained, now());
  const base: StackOutcome = {
    label: t.label,
    state: await readStateInfo(t.statePath),
    archive,
    applied: false,
    inventory: await takeInventory(
      {
        backupDir: t.backupDir,
        remote: o.backupRemote,
        identity: t.identity,
        remoteNames: obtained.remoteNames,
        now: now(),
      },
      d.rclone,
    ),
  };
  log.info(
    `Rehearsing with '${archive.location}' (${archive.source}, serial ${archive.serial ?? 'unknown'}, ` +
      `lineage ${archive.lineage ?? 'unknown'}, taken ${archive.createdAt}).`,
  );
  if (o.maxArchiveAgeMs !== undefined && archive.ageSeconds * 1000 > o.maxArchiveAgeMs)
    return { ...base, failure: tooOld(t, archive, o.maxArchiveAgeMs) };

  const scratch = await makePrivateDir('tofu-rehearse');
  d.remember('tempdir', scratch);
  const override = path.join(t.workingDir, OVERRIDE_FILE);
  try {
    const scratchState = path.join(scratch, t.identity.stateName);
    await writeFileAtomic(scratchState, obtained.verified.state, { mode: 0o600 });
    const tofu = d.tofuWithDataDir(path.join(scratch, 'tf-data'));
    const providers = await prepareBackend(
      t,
      { statePath: scratchState, dataDir: path.join(scratch, 'tf-data') },
      override,
      { ...d, tofu },
    );
    const planFile = path.join(scratch, 'rehearsal.tfplan');
    const run = await d.step(`plan ${t.label} against the archive`, () =>
      tofu.plan({ out: planFile, varFiles: o.varFiles }),
    );
    // Exit code 0 is tofu's own "no changes" (outputs included): the JSON plan is read only for counts.
    let summary: PlanSummary = emptySummary();
    if (run.exitCode === 2) {
      // tofu's exit code is the verdict; show -json adds the counts for the message.
      summary = { ...summarizePlan(await tofu.showPlan(planFile)), hasChanges: true };
      for (const v of summary.sensitiveValues) if (v.trim().length >= MIN_SECRET_LENGTH) registerSecret(v);
    }
    const drifted = run.exitCode === 2 || summary.hasChanges;
    return {
      ...base,
      summary,
      providers,
      planText: run.text,
      failure: drifted ? drift(t, archive, summary) : undefined,
    };
  } finally {
    await fsp.rm(override, { force: true });
    d.forget('override', override);
    await fsp.rm(scratch, { recursive: true, force: true });
    d.forget('tempdir', scratch);
  }
}

function tooOld(t: StackTarget, a: ArchiveFacts, maxMs: number): ActionError {
  return new ActionError(
    'archive-too-old',
    `The ${a.source === 'remote' ? 'off-site ' : ''}archive '${a.location}' of '${t.identity.key}' was taken ${a.createdAt}, ` +
      `${archiveAge(a.ageSeconds)} ago: older than max-archive-age ${formatDuration(maxMs)}.`,
    'Check that applies and backups still copy off-site (backup-remote), or run mode: backup now.',
  );
}

function drift(t: StackTarget, a: ArchiveFacts, s: PlanSummary): ActionError {
  return new ActionError(
    'rehearsal-drift',
    `Rehearsal failed for '${t.identity.key}': planning against '${a.location}' (serial ${a.serial ?? 'unknown'}) ` +
      `finds ${s.toAdd} to add, ${s.toChange} to change, ${s.toDestroy} to destroy` +
      `${s.outputChanges > 0 ? `, ${s.outputChanges} output change(s)` : ''}: the archive does not describe what exists.`,
    'A change was applied after this archive was taken, or the infrastructure drifted: run mode: backup (or apply) so the off-site copy is current, and check drift.',
  );
}
