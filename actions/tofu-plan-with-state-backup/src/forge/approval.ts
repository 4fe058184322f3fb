import { ActionError, CancelledError, errorMessage } from '../../../../shared/errors.js';
import { ForgeApiError, type ForgeClient } from '../../../../shared/forge.js';
import { findReviewedComment, readHiddenData } from '../../../../shared/forge-comments.js';
import { redact } from '../../../../shared/secrets.js';
import type { PlanReview } from './plan-review.js';
import { REVIEW_DATA_KEY, type ReviewData } from './review-text.js';

/**
 * `require-approved-plan`: apply only the plan that was reviewed on the pull request the commit was
 * merged from. This is the one place where the forge decides the step's result: the operator made the
 * reviewed comment the safety precondition of the apply, so anything that keeps the action from
 * reading it (no token, no merged pull request, no comment, an API failure) refuses the apply
 * (`plan-unverified`), and a different plan refuses it as `plan-changed`. Nothing is backed up or
 * applied in either case.
 */
const HINT_CHANGED =
  'The configuration, the variables or the infrastructure changed after the review: open a pull request so the new plan is reviewed, or apply without require-approved-plan. Nothing was backed up or applied.';
const HINT_UNVERIFIED =
  'The apply was refused because the reviewed plan could not be read; nothing was backed up or applied. Plan on the pull request (pr-comment) before merging, or apply without require-approved-plan.';

export function parseReviewData(value: unknown): ReviewData | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const v = value as Record<string, unknown>;
  if (v.v !== 1 || typeof v.fingerprint !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(v.fingerprint))
    return undefined;
  return {
    v: 1,
    fingerprint: v.fingerprint,
    planSha256: typeof v.planSha256 === 'string' ? v.planSha256 : undefined,
    commit: typeof v.commit === 'string' ? v.commit : undefined,
  };
}

/** Pure: the reviewed data against the plan about to be applied. */
export function compareWithReviewed(
  stack: string,
  pullRequest: number,
  reviewed: ReviewData,
  current: PlanReview,
): { ok: true; message: string } | { ok: false; error: ActionError } {
  if (reviewed.fingerprint === current.fingerprint)
    return {
      ok: true,
      message: `The plan of ${stack} is the one reviewed on pull request #${pullRequest} (fingerprint ${current.fingerprint.slice(7, 23)}…).`,
    };
  return {
    ok: false,
    error: new ActionError(
      'plan-changed',
      `The plan of ${stack} differs from the one reviewed on pull request #${pullRequest} (reviewed ${reviewed.fingerprint.slice(7, 23)}…${reviewed.commit ? ` at commit ${reviewed.commit.slice(0, 12)}` : ''}, now ${current.fingerprint.slice(7, 23)}…).`,
      HINT_CHANGED,
    ),
  };
}

function unverified(message: string): ActionError {
  return new ActionError('plan-unverified', message, HINT_UNVERIFIED);
}

/** Finds the reviewed comment of `sha` and checks the plan against it; throws ActionError to refuse. */
export async function requireReviewedPlan(
  forge: ForgeClient | { unavailable: string },
  sha: string,
  marker: string,
  stack: string,
  current: PlanReview,
): Promise<string> {
  if ('unavailable' in forge)
    throw unverified(`The reviewed plan of ${stack} cannot be looked up: ${forge.unavailable}.`);
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/i.test(sha))
    throw unverified(`The reviewed plan of ${stack} cannot be looked up: GITHUB_SHA is not a commit id.`);
  let found;
  try {
    found = await findReviewedComment(forge, sha, marker);
  } catch (e) {
    if (e instanceof CancelledError) throw e;
    const why = e instanceof ForgeApiError ? e.describe() : errorMessage(e);
    throw unverified(`Reading the reviewed plan of ${stack} failed: ${redact(why)}`);
  }
  if (!found)
    throw unverified(
      `Commit ${sha.slice(0, 12)} was not merged from a pull request, so there is no reviewed plan of ${stack} to compare with.`,
    );
  const data = found.comment && parseReviewData(readHiddenData(found.comment.body, REVIEW_DATA_KEY));
  if (!data)
    throw unverified(
      `Pull request #${found.pullRequest.number} has no plan comment of ${stack} written by this token's user${found.comment ? ' that the action can read' : ''}.`,
    );
  const verdict = compareWithReviewed(stack, found.pullRequest.number, data, current);
  if (!verdict.ok) throw verdict.error;
  return verdict.message;
}
