import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import * as core from '@actions/core';
import { ActionError, InputError } from '../../../shared/errors.js';
import {
  acquireLock,
  ensurePrivateDir,
  makePrivateDir,
  pathExists,
  sha256File,
  writeFileAtomic,
} from '../../../shared/fsx.js';
import { registerSecret } from '../../../shared/secrets.js';
import { OVERRIDE_FILE, backendConflict, backendRecordConflict, overrideContent } from './backend-config.js';
import {
  rejectSensitiveAllowlisted,
  selectHandoff,
  sensitiveOutputStrings,
  type Handoff,
} from './handoff.js';
import type { Mode } from './inputs.js';
import { buildPlanMetadata, parsePlanMetadata, planMetaPath, stalePlanReason } from './plan-freshness.js';
import { summarizePlan, type PlanSummary } from './plan-summary.js';
import type { RcloneCli } from './rclone-cli.js';
import { backupState, type BackupResult } from './state-backup.js';
import type { ArchiveContext } from './state-archive.js';
import { describeState, readStateInfo, type StateInfo } from './state-file.js';
import { restoreState, type RestoreResult } from './state-restore.js';
import type { TofuCli } from './tofu-cli.js';

/** Everything one stack run needs, resolved (paths absolute, `{stack}` substituted). */
export interface StackTarget {
  label: string;
  workingDir: string;
  statePath: string;
  backupDir: string;
  /** Given by the user (apply: apply it; plan: write it there). */
  planFile?: string;
  defaultPlanFile: string;
}

export interface StackOptions {
  mode: Mode;
  varFiles: readonly string[];
  lockTimeoutMs: number;
  backupKeep: number;
  backupRemote?: string;
  handoffOutputs?: readonly string[];
  restoreFrom?: string;
  allowLineageChange: boolean;
  runId: string;
  context: Omit<ArchiveContext, 'toolVersion' | 'purpose'>;
}

export interface StackDeps {
  tofu: TofuCli;
  rclone?: RcloneCli;
  step: <T>(name: string, fn: () => Promise<T>) => Promise<T>;
  warning: (message: string) => void;
  /** Remembered so the post step can clean up after a crash or cancellation. */
  remember: (kind: 'override' | 'tempdir', p: string) => void;
  forget: (kind: 'override' | 'tempdir', p: string) => void;
  now?: () => Date;
}

export interface StackOutcome {
  label: string;
  summary?: PlanSummary;
  planFile?: string;
  planSha256?: string;
  state: StateInfo;
  backup?: BackupResult;
  applied: boolean;
  handoff?: Handoff;
  restore?: RestoreResult;
}

const PRIVATE_FILE = 0o600;

export async function runStack(t: StackTarget, o: StackOptions, d: StackDeps): Promise<StackOutcome> {
  await fsp.mkdir(path.dirname(t.statePath), { recursive: true, mode: 0o700 });
  const lock = await acquireLock(`${t.statePath}.lock`, {
    timeoutMs: o.lockTimeoutMs,
    runId: o.runId,
    purpose: `${o.mode} ${t.label}`,
    reason: 'state-locked',
    onWait: (h) =>
      core.info(
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

async function toolVersion(d: StackDeps): Promise<string> {
  return d.tofu.version().then(
    (v) => `${path.basename(d.tofu.bin)} ${v}`,
    () => `${path.basename(d.tofu.bin)} unknown`,
  );
}

async function runFileMode(t: StackTarget, o: StackOptions, d: StackDeps): Promise<StackOutcome> {
  const context = { ...o.context, toolVersion: await toolVersion(d), purpose: o.mode };
  const base = {
    statePath: t.statePath,
    backupDir: t.backupDir,
    keep: o.backupKeep,
    remote: o.backupRemote,
    context,
  };
  const deps = { rclone: d.rclone, warning: d.warning, now: d.now };
  if (o.mode === 'restore') {
    if (!o.restoreFrom)
      throw new InputError('restore-from', "an archive path or 'latest' in restore mode", 'nothing');
    const r = await d.step(`restore ${t.label}`, () =>
      restoreState({ ...base, from: o.restoreFrom!, allowLineageChange: o.allowLineageChange }, deps),
    );
    core.info(
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

/** Points tofu at exactly `statePath` (see backend-config.ts) and initialises the working directory. */
async function prepareBackend(t: StackTarget, override: string, d: StackDeps): Promise<void> {
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
  await writeFileAtomic(override, overrideContent(t.statePath));
  await d.step(`init ${t.label}`, () => d.tofu.init());
  const dataDir = path.resolve(t.workingDir, process.env.TF_DATA_DIR || '.terraform');
  const record = await fsp.readFile(path.join(dataDir, 'terraform.tfstate'), 'utf8').catch(() => undefined);
  const recordConflict = backendRecordConflict(record, t.statePath);
  if (recordConflict)
    throw new ActionError(
      'plan-failed',
      `tofu did not take the state path '${t.statePath}': ${recordConflict}.`,
      'Check TF_DATA_DIR and the stack configuration.',
    );
}

async function planInto(planFile: string, t: StackTarget, o: StackOptions, d: StackDeps) {
  const state = await readStateInfo(t.statePath);
  await d.step(`plan ${t.label}`, () => d.tofu.plan({ out: planFile, varFiles: o.varFiles }));
  await fsp.chmod(planFile, PRIVATE_FILE);
  const json = await d.tofu.showPlan(planFile);
  const summary = summarizePlan(json);
  for (const v of summary.sensitiveValues) if (v.trim().length >= 6) registerSecret(v);
  return { state, summary, planSha256: await sha256File(planFile) };
}

async function runTofuMode(t: StackTarget, o: StackOptions, d: StackDeps): Promise<StackOutcome> {
  const override = path.join(t.workingDir, OVERRIDE_FILE);
  try {
    await prepareBackend(t, override, d);
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
    return { label: t.label, summary: p.summary, state: p.state, applied: false };
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
  return p;
}

async function handoffFromState(o: StackOptions, d: StackDeps): Promise<Handoff> {
  const outputs = await d.tofu.outputs();
  for (const s of sensitiveOutputStrings(outputs)) registerSecret(s);
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
  if (t.planFile) {
    planFile = t.planFile;
    planSha256 = await d.step(`check saved plan ${t.label}`, () => checkSavedPlan(planFile, t));
    summary = summarizePlan(await d.tofu.showPlan(planFile));
    for (const v of summary.sensitiveValues) if (v.trim().length >= 6) registerSecret(v);
  } else {
    planFile = t.defaultPlanFile;
    const p = await writePlan(planFile, t, o, d);
    planSha256 = p.planSha256;
    summary = p.summary;
  }
  rejectSensitiveAllowlisted(o.handoffOutputs, summary.sensitiveOutputs);
  if (!summary.hasChanges) {
    core.info(`No changes for ${t.label}: nothing to back up or apply.`);
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
  const before = await readStateInfo(t.statePath);
  let backup: BackupResult | undefined;
  if (before.exists) {
    const context = { ...o.context, toolVersion: await toolVersion(d), purpose: 'before apply' };
    backup = await d.step(`backup ${t.label}`, () =>
      backupState(
        {
          statePath: t.statePath,
          backupDir: t.backupDir,
          keep: o.backupKeep,
          remote: o.backupRemote,
          context,
          consequence: 'Apply was not started.',
        },
        { rclone: d.rclone, warning: d.warning, now: d.now },
      ),
    );
  } else {
    core.info(`There is no state at '${t.statePath}' yet (first apply): there is nothing to archive.`);
  }
  await d.step(`apply ${t.label}`, () => d.tofu.apply(planFile));
  // A saved plan can never be applied twice, and it holds secrets in clear text.
  await fsp.rm(planFile, { force: true });
  await fsp.rm(planMetaPath(planFile), { force: true });
  const state = await readStateInfo(t.statePath);
  const handoff = await handoffFromState(o, d);
  return { label: t.label, summary, planFile, planSha256, state, backup, applied: true, handoff };
}
