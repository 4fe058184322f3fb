import * as path from 'node:path';
import { bestEffort, connectForge, runUrl, type ForgeClient } from '../../../../shared/forge.js';
import { upsertComment } from '../../../../shared/forge-comments.js';
import { pullRequestOfEvent, type EventPullRequest } from '../../../../shared/forge-event.js';
import { syncIssue } from '../../../../shared/forge-issues.js';
import * as log from '../../../../shared/log.js';
import type { StackForgeRecord, StackOutcome } from '../run/stack-types.js';
import { requireReviewedPlan } from './approval.js';
import type { PlanReview } from './plan-review.js';
import {
  driftClosingComment,
  driftIssueBody,
  driftIssueTitle,
  planCommentBody,
  type ReviewContext,
} from './review-text.js';

/**
 * The action's forge side for tofu, as two hooks the orchestration calls: `approve` before an apply
 * (require-approved-plan) and `afterStack` once a stack's plan is known (the pull request comment in
 * plan mode, the drift issue in drift mode). Comments and issues never change the step's result: each
 * kind warns once and is then skipped for the rest of the run. The approval does decide it (approval.ts).
 */
export interface ForgeHookSettings {
  mode: string;
  prComment: boolean;
  requireApprovedPlan: boolean;
  driftIssue: boolean;
  forgeToken?: string;
  tofuBinary: string;
}

export interface StackRef {
  label: string;
  workingDir: string;
}

export interface ForgeHooks {
  approve?: (t: StackRef, review: PlanReview) => Promise<void>;
  /** What was written for the stack, for the report (undefined when nothing was). */
  afterStack(t: StackRef, outcome: StackOutcome): Promise<StackForgeRecord | undefined>;
}

export interface ForgeHookDeps {
  warning: (message: string) => void;
  sha: string;
  env?: NodeJS.ProcessEnv;
  connect?: (token: string | undefined, env: NodeJS.ProcessEnv) => ForgeClient | { unavailable: string };
}

/**
 * The stack as the repository knows it: its directory relative to the checkout (the same on the pull
 * request and after the merge), else its label.
 */
export function stackKey(t: StackRef, workspace: string | undefined): string {
  if (workspace) {
    const rel = path.relative(path.resolve(workspace), t.workingDir).split(path.sep).join('/');
    if (!rel.startsWith('..') && !path.isAbsolute(rel)) return rel === '' ? '.' : rel;
  }
  return t.label;
}

/** A marker the shared comment helpers accept (letters, digits, `._:/@+=-`), one per stack. */
export function stackMarker(kind: 'tofu-plan' | 'tofu-drift', key: string): string {
  const safe = key.replace(/[^A-Za-z0-9._:/@+=-]/g, '-').slice(0, 160);
  return `${kind}:${safe === '' ? 'root' : safe}`;
}

const FORK_NOTE =
  ' This pull request comes from a fork: both forges give its job a read-only token (GitHub private repositories can opt in to write tokens).';

export function forgeHooks(s: ForgeHookSettings, d: ForgeHookDeps): ForgeHooks {
  const env = d.env ?? process.env;
  const connect = d.connect ?? connectForge;
  let client: ForgeClient | { unavailable: string } | undefined;
  const forge = () => (client ??= connect(s.forgeToken, env));
  const tool = path.basename(s.tofuBinary) === 'terraform' ? 'Terraform' : 'OpenTofu';
  const pr: EventPullRequest | undefined =
    s.mode === 'plan' && s.prComment ? pullRequestOfEvent(env) : undefined;
  // One warning per kind of write, then that kind is skipped for the rest of the run.
  const off = new Set<string>();

  const context = (t: StackRef, f: ForgeClient, commit: string | undefined, outcome: StackOutcome) => ({
    stack: stackKey(t, env.GITHUB_WORKSPACE),
    tool,
    commit,
    runUrl: runUrl(f.target, env),
    planSha256: outcome.planSha256,
  });

  const writer = (kind: string, what: string, note = '') => {
    if (off.has(kind)) return undefined;
    const f = forge();
    if ('unavailable' in f) {
      off.add(kind);
      d.warning(`No ${what}: ${f.unavailable}. The step's own result is unchanged.`);
      return undefined;
    }
    const warn = (m: string) => {
      off.add(kind);
      d.warning(m + note);
    };
    return { f, warn };
  };

  async function comment(t: StackRef, outcome: StackOutcome): Promise<StackForgeRecord | undefined> {
    if (!pr || !outcome.summary || !outcome.review) return undefined;
    const w = writer('comment', 'plan comment', pr.fromFork ? FORK_NOTE : '');
    if (!w) return undefined;
    const commit = pr.headSha ?? d.sha;
    const c: ReviewContext = context(t, w.f, commit, outcome);
    const marker = stackMarker('tofu-plan', c.stack);
    const body = planCommentBody(c, outcome.summary, outcome.review);
    const r = await bestEffort('The plan comment', () => upsertComment(w.f, pr.number, marker, body), w.warn);
    if (!r) return undefined;
    log.info(`Plan comment of ${c.stack} on pull request #${pr.number}: ${r.action}.`);
    return { comment: { pullRequest: pr.number, action: r.action } };
  }

  async function driftIssue(t: StackRef, outcome: StackOutcome): Promise<StackForgeRecord | undefined> {
    if (!outcome.summary || !outcome.review) return undefined;
    const w = writer('issue', 'drift issue');
    if (!w) return undefined;
    const c = context(t, w.f, d.sha || undefined, outcome);
    const drifted = outcome.summary.hasChanges;
    const r = await bestEffort(
      'The drift issue',
      () =>
        syncIssue(w.f, stackMarker('tofu-drift', c.stack), {
          title: driftIssueTitle(c.stack),
          body: drifted ? driftIssueBody(c, outcome.summary!, outcome.review!) : '',
          open: drifted,
          closingComment: driftClosingComment(c),
        }),
      w.warn,
    );
    if (!r || r.action === 'none') return undefined;
    log.info(`Drift issue of ${c.stack}: ${r.action}${r.issue ? ` (#${r.issue.number})` : ''}.`);
    return { driftIssue: { action: r.action, number: r.issue?.number } };
  }

  return {
    approve:
      s.mode === 'apply' && s.requireApprovedPlan
        ? async (t, review) => {
            const key = stackKey(t, env.GITHUB_WORKSPACE);
            log.info(await requireReviewedPlan(forge(), d.sha, stackMarker('tofu-plan', key), key, review));
          }
        : undefined,
    async afterStack(t, outcome) {
      if (s.mode === 'plan' && s.prComment) return comment(t, outcome);
      if (s.mode === 'drift' && s.driftIssue) return driftIssue(t, outcome);
      return undefined;
    },
  };
}
