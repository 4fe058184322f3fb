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
import {
  OVERRIDE_FILE,
  backendConflict,
  backendRecordConflict,
  overrideContent,
  recordedToolVersion,
} from './backend-config.js';
import {
  rejectSensitiveAllowlisted,
  selectHandoff,
  sensitiveOutputStrings,
  type Handoff,
} from './handoff.js';
import { buildPlanMetadata, parsePlanMetadata, planMetaPath, stalePlanReason } from './plan-freshness.js';
import { emptySummary, summarizePlan, type PlanSummary } from './plan-summary.js';
import { outputsFromStateFile } from './state-outputs.js';
import type { ProviderInit } from '../providers/plugin-cache.js';
import { planReview, type PlanReview } from '../forge/plan-review.js';
import type { PlanJsonForFingerprint } from '../forge/plan-fingerprint.js';
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
import { toolLabel, type OutputValue, type PlanRun, type TofuCli } from './tofu-cli.js';
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
 * Points tofu at exactly `b.statePath` (see backend-config.ts) and initialises the working directory
 * (through the provider plugin cache when there is one). The stack's own configuration is checked
 * against the live state path (`t.statePath`): the rehearsal points tofu at a scratch copy, but the
 * stack must still be one that keeps its state in that file.
 *
 * init runs on every run: a checkout is fresh in every job, the override must be taken up
 * (`-reconfigure`), and the backend record it writes is both what proves where the state goes and
 * where the tool's version is read from (no `tofu version` process).
 */
export async function prepareBackend(
  t: StackTarget,
  b: BackendTarget,
  override: string,
  d: Pick<StackDeps, 'step' | 'remember' | 'pluginCache'> & { tofu: TofuCli },
): Promise<ProviderInit | undefined> {
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
  const providers = await d.step(`init ${t.label}`, async () =>
    d.pluginCache ? d.pluginCache.init(d.tofu, t.workingDir) : (await d.tofu.init(), undefined),
  );
  const record = await fsp.readFile(path.join(b.dataDir, 'terraform.tfstate'), 'utf8').catch(() => undefined);
  const recordConflict = backendRecordConflict(record, b.statePath);
  if (recordConflict)
    throw new ActionError(
      'plan-failed',
      `tofu did not take the state path '${b.statePath}': ${recordConflict}.`,
      'Check TF_DATA_DIR and the stack configuration.',
    );
  const version = recordedToolVersion(record);
  if (version) d.tofu.knowVersion(version);
  return providers;
}

interface Planned {
  state: StateInfo;
  run: PlanRun;
  planSha256: string;
}

async function planInto(planFile: string, t: StackTarget, o: StackOptions, d: StackDeps): Promise<Planned> {
  const state = await readStateInfo(t.statePath);
  const run = await d.step(`plan ${t.label}`, () => d.tofu.plan({ out: planFile, varFiles: o.varFiles }));
  await fsp.chmod(planFile, PRIVATE_FILE);
  return { state, run, planSha256: await sha256File(planFile) };
}

/**
 * Counts, change lists and the configuration's sensitive outputs from `show -json` of the saved plan,
 * and the values of sensitive variables registered as secrets (so they are masked should a provider
 * print them during apply). Whether there are changes is tofu's own answer (the plan's exit code).
 * The one place the JSON plan is read (`tofu.showPlan`): whatever else needs it (a plan comment, an
 * approval check) should take it from here, so a plan is shown at most once per run.
 */
async function readPlan(planFile: string, d: StackDeps): Promise<PlanRead> {
  const json = await d.tofu.showPlan(planFile);
  if (json.terraform_version) d.tofu.knowVersion(json.terraform_version);
  const summary = summarizePlan(json);
  registerSensitive(summary.sensitiveValues);
  return { summary: { ...summary, hasChanges: true }, json };
}

interface PlanRead {
  summary: PlanSummary;
  /** What the review fingerprint is made of (src/forge): the JSON plan, or nothing for "no changes". */
  json: PlanJsonForFingerprint;
}

/**
 * `-detailed-exitcode` 0 is tofu's own "no changes" (outputs included): every count is 0 and there is
 * nothing to apply, so `show -json` is not started (issue 21). Only a plan with changes is read. The
 * fingerprint counts only changes that do something, so "no changes" has the same one either way.
 */
function summaryOf(p: Planned, planFile: string, d: StackDeps): Promise<PlanRead> {
  return p.run.exitCode === 0
    ? Promise.resolve({ summary: emptySummary(), json: {} })
    : readPlan(planFile, d);
}

/** What a reviewer sees of this plan, and the fingerprint `require-approved-plan` compares. */
function reviewOf(r: PlanRead, p: Planned): PlanReview {
  return planReview(r.json, p.run.text, p.state.lineage);
}

/** Both, run at once; the first failure (in argument order) is raised once both have finished. */
async function both<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [ra, rb] = await Promise.allSettled([a, b]);
  if (ra.status === 'rejected') throw ra.reason;
  if (rb.status === 'rejected') throw rb.reason;
  return [ra.value, rb.value];
}

export async function runTofuMode(t: StackTarget, o: StackOptions, d: StackDeps): Promise<StackOutcome> {
  const override = path.join(t.workingDir, OVERRIDE_FILE);
  try {
    const dataDir = path.resolve(t.workingDir, o.tfDataDir || '.terraform');
    const providers = await prepareBackend(t, { statePath: t.statePath, dataDir }, override, d);
    const outcome =
      o.mode === 'drift'
        ? await drift(t, o, d)
        : o.mode === 'plan'
          ? await plan(t, o, d)
          : await apply(t, o, d);
    return { ...outcome, providers };
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
    const planFile = path.join(dir, 'drift.tfplan');
    const p = await planInto(planFile, t, o, d);
    const read = await summaryOf(p, planFile, d);
    return {
      label: t.label,
      summary: read.summary,
      review: reviewOf(read, p),
      state: p.state,
      applied: false,
      planText: p.run.text,
    };
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
    d.forget('tempdir', dir);
  }
}

async function writePlan(planFile: string, t: StackTarget, o: StackOptions, d: StackDeps): Promise<Planned> {
  await ensurePrivateDir(path.dirname(planFile));
  const p = await planInto(planFile, t, o, d);
  const meta = buildPlanMetadata({
    planSha256: p.planSha256,
    statePath: t.statePath,
    workingDirectory: t.workingDir,
    state: p.state,
    hasChanges: p.run.exitCode === 2,
    tool: path.basename(d.tofu.bin),
    // Known from init's backend record: no process.
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

/**
 * The root outputs of the state: read from the state file itself (no `output -json` process), or from
 * tofu when only it can read the state (an encrypted state). Sensitive values are registered as secrets.
 */
async function stateOutputs(t: StackTarget, d: StackDeps): Promise<Record<string, OutputValue>> {
  const outputs = (await outputsFromStateFile(t.statePath)) ?? (await d.tofu.outputs());
  registerSensitive(sensitiveOutputStrings(outputs, MIN_SECRET_LENGTH));
  return outputs;
}

async function handoffFromState(t: StackTarget, o: StackOptions, d: StackDeps): Promise<Handoff> {
  const h = selectHandoff(await stateOutputs(t, d), o.handoffOutputs);
  if (h.missing.length > 0)
    d.warning(`The stack has no output(s) ${h.missing.join(', ')} (yet); they are not handed off.`);
  return h;
}

async function plan(t: StackTarget, o: StackOptions, d: StackDeps): Promise<StackOutcome> {
  const planFile = t.planFile ?? t.defaultPlanFile;
  const p = await writePlan(planFile, t, o, d);
  const read = await summaryOf(p, planFile, d);
  const summary = read.summary;
  rejectSensitiveAllowlisted(o.handoffOutputs, summary.sensitiveOutputs);
  const handoff = await handoffFromState(t, o, d);
  return {
    label: t.label,
    summary,
    review: reviewOf(read, p),
    planFile,
    planSha256: p.planSha256,
    state: p.state,
    applied: false,
    handoff,
    planText: p.run.text,
  };
}

async function checkSavedPlan(
  planFile: string,
  t: StackTarget,
): Promise<{ planSha256: string; hasChanges: boolean }> {
  if (!(await pathExists(planFile)))
    throw new InputError('plan-file', 'an existing saved plan in apply mode', `'${planFile}' (not found)`);
  const metaText = await fsp.readFile(planMetaPath(planFile), 'utf8').catch(() => undefined);
  const meta = metaText === undefined ? undefined : parsePlanMetadata(metaText);
  const planSha256 = await sha256File(planFile);
  const why = meta
    ? stalePlanReason({ meta, planSha256, statePath: t.statePath, state: await readStateInfo(t.statePath) })
    : `its metadata file '${path.basename(planMetaPath(planFile))}' is missing or unreadable`;
  if (why || !meta)
    throw new ActionError(
      'plan-stale',
      `The saved plan '${planFile}' cannot be applied: ${why}.`,
      'Plan again (mode: plan) and apply the new plan; nothing was backed up or applied.',
    );
  // The metadata is bound to this plan file by its sha256: its hasChanges is the plan's exit code.
  return { planSha256, hasChanges: meta.hasChanges };
}

/**
 * A sensitive output named in handoff-outputs is refused before anything is archived or applied. The
 * state's outputs are checked before the backup starts; outputs the apply would add are known only
 * from the plan's configuration, checked once `show -json` (run alongside the backup) is read.
 */
async function checkAllowlistAgainstState(t: StackTarget, o: StackOptions): Promise<void> {
  if (!o.handoffOutputs?.length) return;
  const outputs = await outputsFromStateFile(t.statePath);
  const sensitive = Object.entries(outputs ?? {})
    .filter(([, v]) => v.sensitive)
    .map(([n]) => n);
  rejectSensitiveAllowlisted(o.handoffOutputs, sensitive);
}

async function apply(t: StackTarget, o: StackOptions, d: StackDeps): Promise<StackOutcome> {
  let planFile: string;
  let planSha256: string;
  let hasChanges: boolean;
  let planText: string | undefined;
  let planned: Planned | undefined;
  if (t.planFile) {
    planFile = t.planFile;
    ({ planSha256, hasChanges } = await d.step(`check saved plan ${t.label}`, () =>
      checkSavedPlan(planFile, t),
    ));
  } else {
    planFile = t.defaultPlanFile;
    const p = await writePlan(planFile, t, o, d);
    planned = p;
    planSha256 = p.planSha256;
    hasChanges = p.run.exitCode === 2;
    planText = p.run.text;
  }
  if (!hasChanges) {
    log.info(`No changes for ${t.label}: nothing to back up or apply.`);
    const state = await readStateInfo(t.statePath);
    return {
      label: t.label,
      summary: emptySummary(),
      planFile,
      planSha256,
      state,
      applied: false,
      handoff: await handoffFromState(t, o, d),
      planText,
    };
  }
  await checkAllowlistAgainstState(t, o);
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
  const backupBefore = async (): Promise<BackupResult | undefined> => {
    if (!before.exists) {
      log.info(`There is no state at '${t.statePath}' yet (first apply): there is nothing to archive.`);
      return undefined;
    }
    const req = await request('before apply');
    return d.step(`backup ${t.label}`, () =>
      backupState(req, deps).catch((e: unknown) => {
        throw backupFailed(e, 'Apply was not started.');
      }),
    );
  };
  const readIt = () => d.step(`read plan ${t.label}`, () => readPlan(planFile, d));
  let read: PlanRead;
  let backup: BackupResult | undefined;
  let review: PlanReview | undefined;
  if (d.approve) {
    // require-approved-plan refuses (plan-changed, plan-unverified) before anything is backed up or
    // applied, so here the plan is read first. A saved plan passed the freshness check: it was made
    // against this state, whose lineage it carries.
    read = await readIt();
    review = planned
      ? reviewOf(read, planned)
      : planReview(read.json, '', (await readStateInfo(t.statePath)).lineage);
    const approve = d.approve;
    const reviewed = review;
    await d.step(`check reviewed plan ${t.label}`, () => approve(t, reviewed));
    backup = await backupBefore();
  } else {
    // Independent of each other, both needed before the apply: reading the plan (a tofu process that
    // loads the providers' schemas) and the verified backup (archive, off-site copy, read-back).
    [read, backup] = await both(readIt(), backupBefore());
    if (planned) review = reviewOf(read, planned);
  }
  const summary = read.summary;
  rejectSensitiveAllowlisted(o.handoffOutputs, summary.sensitiveOutputs);
  await d.step(`apply ${t.label}`, () => d.tofu.apply(planFile));
  // A saved plan can never be applied twice, and it holds secrets in clear text.
  await fsp.rm(planFile, { force: true });
  await fsp.rm(planMetaPath(planFile), { force: true });
  const [after, handoff] = await both(
    archiveAfterApply(t, await request('after apply'), deps, d),
    handoffFromState(t, o, d),
  );
  const state = await readStateInfo(t.statePath);
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
    planText,
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
