import * as core from '@actions/core';
import { CommitStatusReporter, finishCommitStatusInPost, type StatusHook } from './commit-status.js';
import { ActionError, CancelledError, errorMessage } from './errors.js';
import {
  checkAttachmentName,
  reportArtifactInput,
  uploadEvidence,
  type EvidenceFile,
  type EvidenceOutcome,
} from './evidence.js';
import { releaseAllLocksSync } from './fsx.js';
import * as log from './log.js';
import { readInputs, runnerInputs, type InputSpecs, type InputSource, type Settings } from './inputs.js';
import { detectPlatform, nodeTooOld, MIN_NODE_MAJOR, type Platform } from './platform.js';
import {
  publishSummary,
  readReport,
  stepsTable,
  writeReport,
  type Report,
  type StepRecord,
} from './report.js';
import { redact } from './secrets.js';
import { cancellation, forwardSignal, waitForTools } from './tool.js';
import { SUITE_VERSION } from './version.js';

/**
 * The lifecycle every action shares: one entry bundle, main and post phases switched by runner state,
 * one failure path, a report written at the end whatever happened, signals forwarded to tools.
 */
export interface ActionContext {
  readonly action: string;
  readonly platform: Platform;
  /** Reads, validates and records the inputs (secrets registered first). */
  inputs<S extends InputSpecs>(specs: S): Settings<S>;
  /** Runs one named step, recording status and duration in the report. */
  step<T>(name: string, fn: () => Promise<T>): Promise<T>;
  skip(name: string, why: string): void;
  /** Merges values into the report's `result`. */
  result(values: Record<string, unknown>): void;
  /** Sets an output (redacted: a secret can never leave through an output). */
  output(name: string, value: string | number | boolean): void;
  saveState(name: string, value: string): void;
  getState(name: string): string;
  warning(message: string): void;
  /**
   * Adds a text file to the step's evidence artifact (uploaded only when the `report-artifact` input is
   * set; redacted on upload). For human-readable, non-sensitive text only — never a binary plan, a state
   * file or anything holding a sensitive value. `name` is a plain file name (`plan.txt`).
   */
  attach(name: string, text: string): void;
}

export interface ActionDefinition {
  action: string;
  /** Human title for the summary heading. */
  title?: string;
  main: (ctx: ActionContext) => Promise<void>;
  /** Cleanup; it only warns, never fails the job. */
  post?: (ctx: ActionContext) => Promise<void>;
  /** Markdown for the summary, built from the finished report (also on failure). */
  summary?: (report: Report) => string;
  /** The step's commit status (target and one-line result), set when the `commit-status` input is true. */
  status?: StatusHook;
  /** Overrides for tests. */
  inputSource?: InputSource;
}

const PHASE_STATE = 'isPost';
/** How long after SIGINT/SIGTERM the tools get before the report is written and the process exits. */
const CANCEL_GRACE_MS = 8000;

class Context implements ActionContext {
  readonly platform = detectPlatform();
  readonly steps: StepRecord[] = [];
  readonly resultValues: Record<string, unknown> = {};
  readonly warnings: string[] = [];
  readonly attachments: EvidenceFile[] = [];
  reportedInputs: Record<string, string> = {};

  constructor(
    readonly action: string,
    private readonly source: InputSource | undefined,
    private readonly statusHook?: StatusHook,
  ) {}

  inputs<S extends InputSpecs>(specs: S): Settings<S> {
    try {
      const { settings, reported } = readInputs(specs, this.source);
      this.reportedInputs = reported;
      return settings;
    } finally {
      // Also when an input is invalid: the status then ends as a failure naming it.
      this.startCommitStatus(specs);
    }
  }

  // ── Commit status (shared/commit-status.ts): pending once the inputs are known, final in finishMain,
  // post as the safety net when main was killed before it could set the final state. ──
  commitStatus?: CommitStatusReporter;
  /** Set in the post phase: reading inputs there must not set a new `pending`. */
  inPost = false;

  private startCommitStatus(specs: InputSpecs): void {
    if (!this.statusHook || this.commitStatus || this.inPost) return;
    this.commitStatus = CommitStatusReporter.start({
      action: this.action,
      hook: this.statusHook,
      specs,
      source: this.source ?? runnerInputs,
      env: process.env,
      saveState: (name, value) => this.saveState(name, value),
      warn: (message) => this.warning(message),
    });
  }

  async finishCommitStatusInPost(): Promise<void> {
    if (!this.statusHook) return;
    await finishCommitStatusInPost({
      action: this.action,
      hook: this.statusHook,
      source: this.source ?? runnerInputs,
      env: process.env,
      getState: (name) => this.getState(name),
      readReport: () => readReport(this.action),
      warn: (message) => this.warning(message),
    });
  }
  // ── end of commit status ──

  async step<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const startedAt = new Date();
    const record: StepRecord = { name, status: 'success', startedAt: startedAt.toISOString(), durationMs: 0 };
    this.steps.push(record);
    try {
      return await fn();
    } catch (e) {
      record.status = cancellation() ? 'cancelled' : 'failed';
      record.detail = e instanceof ActionError ? e.reason : 'error';
      throw e;
    } finally {
      record.durationMs = Date.now() - startedAt.getTime();
    }
  }

  skip(name: string, why: string): void {
    this.steps.push({
      name,
      status: 'skipped',
      startedAt: new Date().toISOString(),
      durationMs: 0,
      detail: why,
    });
  }

  result(values: Record<string, unknown>): void {
    Object.assign(this.resultValues, values);
  }

  output(name: string, value: string | number | boolean): void {
    core.setOutput(name, redact(String(value)));
  }

  saveState(name: string, value: string): void {
    core.saveState(name, value);
  }

  getState(name: string): string {
    return core.getState(name);
  }

  warning(message: string): void {
    const line = redact(message);
    this.warnings.push(line);
    core.warning(line);
  }

  attach(name: string, text: string): void {
    checkAttachmentName(name);
    const i = this.attachments.findIndex((a) => a.name === name);
    if (i >= 0) this.attachments.splice(i, 1);
    this.attachments.push({ name, text });
  }
}

function failureOf(err: unknown): { reason: string; message: string; hint?: string } {
  // Once SIGINT/SIGTERM arrived, the tools were stopped on purpose: whatever failed after that is a
  // consequence of the cancellation, not a finding about the infrastructure.
  const signal = cancellation();
  if (signal) {
    const c = new CancelledError(signal);
    return { reason: c.reason, message: c.message };
  }
  if (err instanceof ActionError) return { reason: err.reason, message: err.message, hint: err.hint };
  return {
    reason: 'internal-error',
    message: `Unexpected error: ${errorMessage(err)}.`,
    hint: 'This is a bug in the action; re-run with RUNNER_DEBUG=1 for the stack trace and report it.',
  };
}

async function finishMain(
  def: ActionDefinition,
  ctx: Context,
  started: Date,
  err: unknown,
): Promise<EvidenceOutcome | undefined> {
  const failure = err === undefined && !cancellation() ? undefined : failureOf(err);
  const finished = new Date();
  const report: Report = {
    action: def.action,
    version: SUITE_VERSION,
    status: !failure ? 'success' : failure.reason === 'cancelled' ? 'cancelled' : 'failed',
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    durationMs: finished.getTime() - started.getTime(),
    inputs: ctx.reportedInputs,
    steps: ctx.steps,
    result: ctx.resultValues,
    ...(failure ? { failure } : {}),
  };
  let file: string | undefined;
  let body = '';
  try {
    file = await writeReport(report);
    core.setOutput('report-file', file);
    body = def.summary ? def.summary(report) : stepsTable(report.steps);
    await publishSummary(def.title ?? def.action, body);
  } catch (e) {
    core.warning(`Could not write the report: ${redact(errorMessage(e))}`);
  }
  await ctx.commitStatus?.finish(report);
  if (failure) {
    if (failure.reason !== 'internal-error' && failure.reason !== 'cancelled')
      core.setOutput('failure-reason', failure.reason);
    if (err instanceof Error && err.stack && process.env.RUNNER_DEBUG === '1') log.info(err.stack);
    core.setFailed(redact(failure.hint ? `${failure.message} ${failure.hint}` : failure.message));
  }
  return file ? uploadStepEvidence(def, ctx, file, body) : undefined;
}

// --- Evidence (issue 16) -------------------------------------------------------------------------------
// After the report is written and the result recorded (outputs, setFailed): the upload can neither hide
// nor change the step's result. It reads the `report-artifact` input itself, so a step that failed on
// another input still uploads its report. An invalid name already failed the step as invalid input.
async function uploadStepEvidence(
  def: ActionDefinition,
  ctx: Context,
  reportFile: string,
  summary: string,
): Promise<EvidenceOutcome | undefined> {
  let artifact: string | undefined;
  try {
    artifact = readInputs({ 'report-artifact': reportArtifactInput }, def.inputSource).settings
      .reportArtifact;
  } catch {
    return undefined;
  }
  return uploadEvidence({
    artifact,
    reportFile,
    title: def.title ?? def.action,
    summary,
    attachments: ctx.attachments,
    platform: ctx.platform,
    warn: (message) => ctx.warning(message),
  });
}

/** An upload given up on (time limit, cancellation) may still hold sockets open: end the step now. */
async function endAfterAbandonedUpload(outcome: EvidenceOutcome | undefined): Promise<void> {
  if (outcome?.status !== 'abandoned') return;
  await log.flushed();
  releaseAllLocksSync();
  process.exit();
}
// --- end of evidence ------------------------------------------------------------------------------------

async function runMain(def: ActionDefinition, ctx: Context): Promise<void> {
  const started = new Date();
  let finished = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (cancellation()) return;
    log.info(`Received ${signal}: stopping running tools.`);
    forwardSignal(signal);
    // The runner kills us soon after its signal; make sure the report says `cancelled` before that.
    setTimeout(() => {
      if (finished) return;
      finished = true;
      void finishMain(def, ctx, started, new CancelledError(signal)).finally(() => {
        releaseAllLocksSync();
        process.exit(1);
      });
    }, CANCEL_GRACE_MS).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let error: unknown;
  try {
    await def.main(ctx);
  } catch (e) {
    error = e;
  }
  if (finished) return;
  finished = true;
  await waitForTools(2000);
  await endAfterAbandonedUpload(await finishMain(def, ctx, started, error));
}

async function runPost(def: ActionDefinition, ctx: Context): Promise<void> {
  if (def.post) {
    try {
      await def.post(ctx);
    } catch (e) {
      ctx.warning(`Cleanup did not complete: ${errorMessage(e)}`);
    }
  }
  await ctx.finishCommitStatusInPost();
  if (!def.post && ctx.warnings.length === 0) return;
  const report = await readReport(def.action);
  if (report) {
    report.post = { steps: ctx.steps, warnings: ctx.warnings };
    await writeReport(report).catch(() => undefined);
  }
}

export async function run(def: ActionDefinition): Promise<void> {
  const isPost = core.getState(PHASE_STATE) === 'true';
  const ctx = new Context(def.action, def.inputSource, def.status);
  if (isPost) {
    ctx.inPost = true;
    return runPost(def, ctx);
  }
  // Saved first: if main dies early, post must still run as post and not as a second main.
  core.saveState(PHASE_STATE, 'true');
  if (nodeTooOld()) {
    core.setFailed(
      `${def.action} needs Node ${MIN_NODE_MAJOR} or newer, but the runner's node is ${process.versions.node}. Put a newer node first on the runner's PATH.`,
    );
    return;
  }
  return runMain(def, ctx);
}
