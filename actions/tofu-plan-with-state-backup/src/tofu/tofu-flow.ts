import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { ActionError, InputError } from '../../../../shared/errors.js';
import {
  ensurePrivateDir,
  makePrivateDir,
  pathExists,
  sha256File,
  writeFileAtomic,
} from '../../../../shared/fsx.js';
import { registerSecret } from '../../../../shared/secrets.js';
import { OVERRIDE_FILE, backendConflict, backendRecordConflict, overrideContent } from './backend-config.js';
import {
  rejectSensitiveAllowlisted,
  selectHandoff,
  sensitiveOutputStrings,
  type Handoff,
} from './handoff.js';
import { buildPlanMetadata, parsePlanMetadata, planMetaPath, stalePlanReason } from './plan-freshness.js';
import { summarizePlan, type PlanSummary } from './plan-summary.js';
import { planReview, type PlanReview } from '../forge/plan-review.js';
import {
  BackupError,
  backupFailed,
  backupState,
  type BackupDeps,
  type BackupRequest,
  type BackupResult,
} from '../archive/state-backup.js';
import { readStateInfo, type StateInfo } from '../archive/state-file.js';
import type { StackDeps, StackOptions, StackOutcome } from '../run/stack-types.js';
import type { StackTarget } from '../stacks/stack-target.js';
import { toolLabel, type TofuCli } from './tofu-cli.js';
import * as log from '../../../../shared/log.js';

/**
 * The modes that run tofu (plan, drift, apply) for one stack, under the stack's lock: point tofu at the
 * state file, plan into a saved plan, and for apply back up (fail closed) before applying.
 */
const PRIVATE_FILE = 0o600;
/** Shorter values would be masked everywhere they occur by chance (`true`, `10`, …). */
const MIN_SECRET_LENGTH = 6;

function registerSensitive(values: readonly string[]): void {
  for (const v of values) if (v.trim().length >= MIN_SECRET_LENGTH) registerSecret(v);
}

/** Where init points tofu: the state file, and the data directory its backend record goes to. */
export interface BackendTarget {
  statePath: string;
  dataDir: string;
}

/**
 * Points tofu at exactly `b.statePath` (see backend-config.ts) and initialises the working directory.
 * The stack's own configuration is checked against the live state path (`t.statePath`): the rehearsal
 * points tofu at a scratch copy, but the stack must still be one that keeps its state in that file.
 */
export async function prepareBackend(
  t: StackTarget,
  b: BackendTarget,
  override: string,
  d: Pick<StackDeps, 'step' | 'remember'> & { tofu: TofuCli },
): Promise<void> {
  const names = (await fsp.readdir(t.workingDir)).filter((n) => n.endsWith('.tf') || n.endsWith('.tf.json'));
  const files = await Promise.all(
    names.map(async (name) => ({ name, content: await fsp.readFile(path.join(t.workingDir, name), 'utf8') })),
  );
  const conflict = backendConflict(files, t.statePath, t.workingDir);
  if (conflict)
    throw new InputError(
      'state-path',
      `a stack that keeps its state in a local file (${conflict})`,
      `'${t.statePath}'`,
    );
  d.remember('override', override);
  await writeFileAtomic(override, overrideContent(b.statePath));
  await d.step(`init ${t.label}`, () => d.tofu.init());
  const record = await fsp.readFile(path.join(b.dataDir, 'terraform.tfstate'), 'utf8').catch(() => undefined);
  const recordConflict = backendRecordConflict(record, b.statePath);
  if (recordConflict)
    throw new ActionError(
      'plan-failed',
      `tofu did not take the state path '${b.statePath}': ${recordConflict}.`,
      'Check TF_DATA_DIR and the stack configuration.',
    );
}

async function planInto(planFile: string, t: StackTarget, o: StackOptions, d: StackDeps) {
  const state = await readStateInfo(t.statePath);
  const run = await d.step(`plan ${t.label}`, () => d.tofu.plan({ out: planFile, varFiles: o.varFiles }));
  await fsp.chmod(planFile, PRIVATE_FILE);
  const json = await d.tofu.showPlan(planFile);
  const summary = summarizePlan(json);
  registerSensitive(summary.sensitiveValues);
  const review = planReview(json, run.output ?? '', state.lineage);
  return { state, summary, review, planSha256: await sha256File(planFile) };
}

export async function runTofuMode(t: StackTarget, o: StackOptions, d: StackDeps): Promise<StackOutcome> {
  const override = path.join(t.workingDir, OVERRIDE_FILE);
  try {
    const dataDir = path.resolve(t.workingDir, o.tfDataDir || '.terraform');
    await prepareBackend(t, { statePath: t.statePath, dataDir }, override, d);
    if (o.mode === 'drift') return await drift(t, o, d);
    if (o.mode === 'plan') return await plan(t, o, d);
    return await apply(t, o, d);
  } finally {
    await fsp.rm(override, { force: true });
    d.forget('override', override);
  }
}

async function drift(t: StackTarget, o: StackOptions, d: StackDeps): Promise<StackOutcome> {
  // The plan holds secrets in clear text: a private temp dir, removed here (and by post after a crash).
  const dir = await makePrivateDir('tofu-drift');
  d.remember('tempdir', dir);
  try {
    const p = await planInto(path.join(dir, 'drift.tfplan'), t, o, d);
    return { label: t.label, summary: p.summary, review: p.review, state: p.state, applied: false };
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
    d.forget('tempdir', dir);
  }
}

async function writePlan(planFile: string, t: StackTarget, o: StackOptions, d: StackDeps) {
  await ensurePrivateDir(path.dirname(planFile));
  const p = await planInto(planFile, t, o, d);
  const meta = buildPlanMetadata({
    planSha256: p.planSha256,
    statePath: t.statePath,
    workingDirectory: t.workingDir,
    state: p.state,
    hasChanges: p.summary.hasChanges,
    tool: path.basename(d.tofu.bin),
    toolVersion: await d.tofu.version(),
    runId: o.runId,
    createdAt: new Date().toISOString(),
  });
  await writeFileAtomic(planMetaPath(planFile), JSON.stringify(meta, null, 2) + '\n', { mode: PRIVATE_FILE });
  if (path.dirname(planFile) === path.dirname(t.defaultPlanFile))
    await pruneStalePlans(planFile, t.statePath, p.state);
  return p;
}

/**
 * Saved plans hold secrets and a plan made against an older state can never be applied: in the default
 * plans directory, plans of this state that are stale (by their own metadata) are deleted.
 */
async function pruneStalePlans(keep: string, statePath: string, state: StateInfo): Promise<void> {
  const dir = path.dirname(keep);
  for (const name of await fsp.readdir(dir)) {
    const metaFile = path.join(dir, name);
    if (!name.endsWith('.meta.json') || metaFile === planMetaPath(keep)) continue;
    const meta = parsePlanMetadata(await fsp.readFile(metaFile, 'utf8').catch(() => ''));
    if (!meta || meta.statePath !== statePath) continue;
    if (stalePlanReason({ meta, planSha256: meta.planSha256, statePath, state }) === undefined) continue;
    await fsp.rm(metaFile.slice(0, -'.meta.json'.length), { force: true });
    await fsp.rm(metaFile, { force: true });
  }
}

async function handoffFromState(o: StackOptions, d: StackDeps): Promise<Handoff> {
  const outputs = await d.tofu.outputs();
  registerSensitive(sensitiveOutputStrings(outputs, MIN_SECRET_LENGTH));
  const h = selectHandoff(outputs, o.handoffOutputs);
  if (h.missing.length > 0)
    d.warning(`The stack has no output(s) ${h.missing.join(', ')} (yet); they are not handed off.`);
  return h;
}

async function plan(t: StackTarget, o: StackOptions, d: StackDeps): Promise<StackOutcome> {
  const planFile = t.planFile ?? t.defaultPlanFile;
  const p = await writePlan(planFile, t, o, d);
  rejectSensitiveAllowlisted(o.handoffOutputs, p.summary.sensitiveOutputs);
  const handoff = await handoffFromState(o, d);
  return {
    label: t.label,
    summary: p.summary,
    review: p.review,
    planFile,
    planSha256: p.planSha256,
    state: p.state,
    applied: false,
    handoff,
  };
}

async function checkSavedPlan(planFile: string, t: StackTarget): Promise<string> {
  if (!(await pathExists(planFile)))
    throw new InputError('plan-file', 'an existing saved plan in apply mode', `'${planFile}' (not found)`);
  const metaText = await fsp.readFile(planMetaPath(planFile), 'utf8').catch(() => undefined);
  const meta = metaText === undefined ? undefined : parsePlanMetadata(metaText);
  const planSha256 = await sha256File(planFile);
  const why = meta
    ? stalePlanReason({ meta, planSha256, statePath: t.statePath, state: await readStateInfo(t.statePath) })
    : `its metadata file '${path.basename(planMetaPath(planFile))}' is missing or unreadable`;
  if (why)
    throw new ActionError(
      'plan-stale',
      `The saved plan '${planFile}' cannot be applied: ${why}.`,
      'Plan again (mode: plan) and apply the new plan; nothing was backed up or applied.',
    );
  return planSha256;
}

async function apply(t: StackTarget, o: StackOptions, d: StackDeps): Promise<StackOutcome> {
  let planFile: string;
  let planSha256: string;
  let summary: PlanSummary;
  let review: PlanReview;
  if (t.planFile) {
    planFile = t.planFile;
    planSha256 = await d.step(`check saved plan ${t.label}`, () => checkSavedPlan(planFile, t));
    const json = await d.tofu.showPlan(planFile);
    summary = summarizePlan(json);
    registerSensitive(summary.sensitiveValues);
    // A saved plan passed the freshness check: it was made against this state.
    review = planReview(json, '', (await readStateInfo(t.statePath)).lineage);
  } else {
    planFile = t.defaultPlanFile;
    const p = await writePlan(planFile, t, o, d);
    planSha256 = p.planSha256;
    summary = p.summary;
    review = p.review;
  }
  rejectSensitiveAllowlisted(o.handoffOutputs, summary.sensitiveOutputs);
  if (!summary.hasChanges) {
    log.info(`No changes for ${t.label}: nothing to back up or apply.`);
    const state = await readStateInfo(t.statePath);
    return {
      label: t.label,
      summary,
      planFile,
      planSha256,
      state,
      applied: false,
      handoff: await handoffFromState(o, d),
    };
  }
  // require-approved-plan: refuses (plan-changed, plan-unverified) before anything is backed up or applied.
  if (d.approve) await d.step(`check reviewed plan ${t.label}`, () => d.approve!(t, review));
  const before = await readStateInfo(t.statePath);
  const request = async (purpose: string) => ({
    identity: t.identity,
    backupDir: t.backupDir,
    keep: o.backupKeep,
    maxBytes: o.maxArchiveBytes,
    remote: o.backupRemote,
    context: { ...o.context, toolVersion: await toolLabel(d.tofu), purpose },
  });
  const deps = { rclone: d.rclone, warning: d.warning, now: d.now };
  let backup: BackupResult | undefined;
  if (before.exists) {
    const req = await request('before apply');
    backup = await d.step(`backup ${t.label}`, () =>
      backupState(req, deps).catch((e: unknown) => {
        throw backupFailed(e, 'Apply was not started.');
      }),
    );
  } else {
    log.info(`There is no state at '${t.statePath}' yet (first apply): there is nothing to archive.`);
  }
  await d.step(`apply ${t.label}`, () => d.tofu.apply(planFile));
  // A saved plan can never be applied twice, and it holds secrets in clear text.
  await fsp.rm(planFile, { force: true });
  await fsp.rm(planMetaPath(planFile), { force: true });
  const after = await archiveAfterApply(t, await request('after apply'), deps, d);
  const state = await readStateInfo(t.statePath);
  const handoff = await handoffFromState(o, d);
  return {
    label: t.label,
    summary,
    review,
    planFile,
    planSha256,
    state,
    backup,
    applied: true,
    handoff,
    ...after,
  };
}

/**
 * Issue 14 A2: the newest archive (and its off-site copy) must hold the state the apply just wrote, or
 * a runner lost right after an apply would restore a state that lacks what the apply created. A
 * failure here cannot undo the apply: it is reported after the outputs are set, loudly.
 */
async function archiveAfterApply(
  t: StackTarget,
  req: BackupRequest,
  deps: BackupDeps,
  d: StackDeps,
): Promise<Pick<StackOutcome, 'afterApply' | 'failure'>> {
  if (!(await readStateInfo(t.statePath)).exists) return {};
  try {
    return { afterApply: await d.step(`backup after apply ${t.label}`, () => backupState(req, deps)) };
  } catch (e) {
    if (!(e instanceof BackupError)) throw e;
    return {
      failure: new ActionError(
        'after-apply-backup-failed',
        `The apply of ${t.label} succeeded, but archiving the state it wrote failed: ${e.message}.`,
        `The newest archive${req.remote ? ' and the off-site copy' : ''} no longer describe the infrastructure: fix the backup directory or remote and run mode: backup now.`,
      ),
    };
  }
}
