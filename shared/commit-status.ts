import { CancelledError, errorMessage } from './errors.js';
import {
  connectForge,
  ForgeApiError,
  forgeInputs,
  runUrl,
  type CommitStatus,
  type ForgeClient,
  type ForgeClientOptions,
} from './forge.js';
import { statusSha } from './forge-event.js';
import { readInputs, type InputSource, type InputSpecs } from './inputs.js';
import * as log from './log.js';
import type { Report } from './report.js';
import { redact } from './secrets.js';
import { cancellation } from './tool.js';

/**
 * One commit status per action step (opt-in `commit-status: 'true'`), driven by the lifecycle in
 * run.ts: `pending` as soon as the inputs are read, the final state from the finished report, and —
 * when main was killed before it could — from post, which reads what main saved in the runner state.
 *
 * Context `edge/<action>/<target>` (target from the action's inputs, so pending and final always name
 * the same status), description one line from the action's result, target URL the run's page.
 * A forge problem gives at most one warning per step and never changes the step's result.
 */

/** What each action contributes: which thing the step is about, and its result in one line. */
export interface StatusHook<N extends string = string> {
  /**
   * The stack, hosts, cluster or repository the step is about, from its inputs as given (defaults
   * applied; secret inputs read as ''). Never a secret: credentials in URLs must be left out.
   */
  target(input: (name: N) => string): string;
  /** One line for the status, from the finished report (success and failure alike). */
  describe(report: Report): string;
}

/** GitHub refuses longer descriptions: 422 "description is too long (maximum is 140 characters)". */
export const DESCRIPTION_LIMIT = 140;
const TARGET_LIMIT = 100;
const STATE_KEY = 'commit-status';
const FINAL_KEY = 'commit-status-final';
const PENDING_BUDGET_MS = 30_000;
const FINAL_BUDGET_MS = 30_000;

// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u001f\u007f]+/g;

function singleLine(text: string): string {
  return redact(text).replace(CONTROLS, ' ').replace(/\s+/g, ' ').trim();
}

export function fitDescription(text: string): string {
  const line = singleLine(text);
  return line.length > DESCRIPTION_LIMIT ? `${line.slice(0, DESCRIPTION_LIMIT - 1)}…` : line;
}

export function statusContext(action: string, target: string): string {
  const t = singleLine(target).slice(0, TARGET_LIMIT) || 'default';
  return `edge/${action}/${t}`;
}

export function statusState(report: Pick<Report, 'status' | 'failure'>): CommitStatus['state'] {
  if (report.status === 'success') return 'success';
  // `error`: the step could not say whether the thing is good (cancelled, or a bug in the action).
  if (report.status === 'cancelled' || report.failure?.reason === 'internal-error') return 'error';
  return 'failure';
}

/** The default line for a failed step: its failure-reason and message. */
export function failureLine(report: Pick<Report, 'status' | 'failure'>): string {
  if (report.status === 'cancelled') return 'cancelled';
  if (!report.failure) return report.status;
  return `${report.failure.reason}: ${report.failure.message}`;
}

function describeSafely(hook: StatusHook, report: Report): string {
  try {
    const line = hook.describe(report);
    if (line.trim()) return fitDescription(line);
  } catch {
    // A describe bug must not lose the status: the generic line says what happened.
  }
  return fitDescription(report.status === 'success' ? 'succeeded' : failureLine(report));
}

interface SavedStatus {
  context: string;
  sha: string;
  targetUrl?: string;
  /** When pending was set: a report finished before this belongs to an earlier step. */
  at: string;
}

export type ForgeConnect = (
  token: string | undefined,
  env: NodeJS.ProcessEnv,
  options: Omit<ForgeClientOptions, 'target' | 'token'>,
) => ForgeClient | { unavailable: string };

export interface StatusEnvironment {
  action: string;
  hook: StatusHook;
  source: InputSource;
  env: NodeJS.ProcessEnv;
  warn(message: string): void;
  /** Injected by tests; the real forge by default. */
  connect?: ForgeConnect;
}

function forgeSettings(source: InputSource, env: NodeJS.ProcessEnv) {
  try {
    return readInputs(forgeInputs, source, env).settings;
  } catch {
    // An invalid 'commit-status' is reported by the action's own input parsing.
    return undefined;
  }
}

function onRetry(info: { what: string; delayMs: number; error: ForgeApiError }): void {
  log.info(`${info.what}: ${info.error.message}; retrying in ${Math.ceil(info.delayMs / 1000)}s.`);
}

export class CommitStatusReporter {
  private pending: Promise<ForgeApiError | undefined>;
  private warned = false;

  private constructor(
    private readonly o: StatusEnvironment & { saveState(name: string, value: string): void },
    private readonly token: string,
    private readonly saved: SavedStatus,
  ) {
    this.pending = this.send('pending', 'running…', { budgetMs: PENDING_BUDGET_MS });
  }

  /**
   * Sets `pending` when the action asked for statuses (the request runs while the step works).
   * Returns undefined, after at most one warning, when it did not ask or no status can be set.
   */
  static start(
    o: StatusEnvironment & { specs: InputSpecs; saveState(name: string, value: string): void },
  ): CommitStatusReporter | undefined {
    if (!('commit-status' in o.specs)) return undefined;
    const settings = forgeSettings(o.source, o.env);
    if (!settings?.commitStatus) return undefined;
    const connected = (o.connect ?? connectForge)(settings.forgeToken, o.env, {});
    if ('unavailable' in connected) {
      o.warn(`No commit status is set: ${connected.unavailable}.`);
      return undefined;
    }
    const sha = statusSha(o.env);
    if (!sha) {
      o.warn('No commit status is set: GITHUB_SHA is not a commit sha.');
      return undefined;
    }
    const saved: SavedStatus = {
      context: statusContext(o.action, targetOf(o.hook, o.specs, o.source, o.env)),
      sha,
      targetUrl: runUrl(connected.target, o.env),
      at: new Date().toISOString(),
    };
    // No secret in the state: the token is read again from the inputs in post.
    o.saveState(STATE_KEY, JSON.stringify(saved));
    return new CommitStatusReporter(o, settings.forgeToken ?? '', saved);
  }

  private client(options: Omit<ForgeClientOptions, 'target' | 'token'>): ForgeClient | undefined {
    const c = (this.o.connect ?? connectForge)(this.token, this.o.env, { onRetry, ...options });
    return 'unavailable' in c ? undefined : c;
  }

  private async send(
    state: CommitStatus['state'],
    description: string,
    options: Omit<ForgeClientOptions, 'target' | 'token'>,
  ): Promise<ForgeApiError | undefined> {
    try {
      await this.client(options)?.setStatus(this.saved.sha, {
        state,
        context: this.saved.context,
        description: fitDescription(description),
        targetUrl: this.saved.targetUrl,
      });
      return undefined;
    } catch (e) {
      const why = e instanceof CancelledError ? 'not retried: the step was cancelled' : errorMessage(e);
      const err =
        e instanceof ForgeApiError
          ? e
          : new ForgeApiError('Setting the commit status', 'network', undefined, why);
      this.report(err);
      return err;
    }
  }

  /** One warning per step; later failures only go to the log. */
  private report(err: ForgeApiError): void {
    const line = `Commit status '${this.saved.context}' was not set: ${err.describe()} The step's own result is unchanged.`;
    if (this.warned) log.info(line);
    else this.o.warn(line);
    this.warned = true;
  }

  /** Sets the final state from the finished report; never throws. */
  async finish(report: Report): Promise<void> {
    const pendingError = await this.pending;
    // A token that may not set statuses will not be allowed a moment later either.
    const hopeless = pendingError && !pendingError.retryable;
    if (!hopeless) {
      // After SIGINT/SIGTERM the runner kills the step soon: one quick attempt, post is the safety net.
      const options = cancellation()
        ? { maxAttempts: 1, requestTimeoutMs: 5000, budgetMs: 5000 }
        : { budgetMs: FINAL_BUDGET_MS };
      await this.send(statusState(report), describeSafely(this.o.hook, report), options);
    }
    this.o.saveState(FINAL_KEY, 'done');
  }
}

function targetOf(hook: StatusHook, specs: InputSpecs, source: InputSource, env: NodeJS.ProcessEnv): string {
  const input = (name: string): string => {
    const spec = specs[name];
    if (!spec || spec.isSecret) return '';
    return source(name) || spec.defaultValue || spec.fallback?.(env) || '';
  };
  try {
    return hook.target(input);
  } catch {
    return 'default';
  }
}

/**
 * Post's part: when main set `pending` but never the final state (killed, or cancelled past the
 * runner's grace period), set it from main's report if main wrote one, else `error`.
 */
export async function finishCommitStatusInPost(
  o: StatusEnvironment & {
    getState(name: string): string;
    readReport(): Promise<Report | undefined>;
  },
): Promise<void> {
  const raw = o.getState(STATE_KEY);
  if (!raw || o.getState(FINAL_KEY)) return;
  let saved: SavedStatus;
  try {
    saved = JSON.parse(raw) as SavedStatus;
  } catch {
    return;
  }
  const settings = forgeSettings(o.source, o.env);
  const client = (o.connect ?? connectForge)(settings?.forgeToken, o.env, {
    budgetMs: FINAL_BUDGET_MS,
    onRetry,
  });
  if ('unavailable' in client) {
    o.warn(`Commit status '${saved.context}' was left pending: ${client.unavailable}.`);
    return;
  }
  const report = await o.readReport();
  const own = report && report.finishedAt >= saved.at ? report : undefined;
  const status: CommitStatus = own
    ? {
        state: statusState(own),
        context: saved.context,
        description: describeSafely(o.hook, own),
        targetUrl: saved.targetUrl,
      }
    : {
        state: 'error',
        context: saved.context,
        description: 'did not finish: the step was cancelled or stopped before it could report',
        targetUrl: saved.targetUrl,
      };
  try {
    await client.setStatus(saved.sha, status);
  } catch (e) {
    const why = e instanceof ForgeApiError ? e.describe() : `unexpected error: ${errorMessage(e)}.`;
    o.warn(`Commit status '${saved.context}' was left pending: ${why}`);
  }
}
