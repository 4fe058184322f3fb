import { BODY_LIMIT, hiddenData } from '../../../../shared/forge-comments.js';
import { redact } from '../../../../shared/secrets.js';
import type { ChangeKind, PlanSummary } from '../tofu/plan-summary.js';
import type { PlanReview } from './plan-review.js';

/**
 * The Markdown of the pull request plan comment and of the drift issue. Pure. Everything quoted from
 * the plan (addresses, plan text) is redacted here, after the plan's sensitive values were registered;
 * the plan text sits in a code fence longer than any backtick run in it, so it cannot end the fence.
 *
 * The plan text is cut here (not by upsertComment) so the cut lands inside the fence with a note, and
 * the hidden review data at the top of the body always survives.
 */
export const REVIEW_DATA_KEY = 'tofu-plan';

/** What the comment carries for apply's check (hidden; see approval.ts). */
export interface ReviewData {
  v: 1;
  fingerprint: string;
  planSha256?: string;
  commit?: string;
}

export interface ReviewContext {
  /** The stack as people know it (its directory in the repository). */
  stack: string;
  tool: string;
  commit?: string;
  runUrl?: string;
  planSha256?: string;
}

const LIST_MAX = 30;
/** Room kept for the marker line upsertComment appends and a margin. */
const RESERVE = 400;

const ORDER: Array<[ChangeKind, string]> = [
  ['create', 'Create'],
  ['update', 'Update in place'],
  ['replace', 'Replace'],
  ['delete', 'Destroy'],
  ['forget', 'Forget (remove from state only)'],
  ['read', 'Read (data sources)'],
];

/**
 * Quoted plan text must not carry an HTML comment: a resource value spelling this suite's marker or
 * hidden data would make the comment or issue pass for another stack's, or hand apply a fingerprint
 * the reviewer never saw (and a second line of defence: readHiddenData takes only the first, hasMarker only the last line). A zero-width joiner keeps it readable.
 */
export function quoted(text: string): string {
  return redact(text).replace(/<!--/g, '<!\u200d--');
}

function code(text: string): string {
  return `\`${quoted(text).replace(/`/g, "'")}\``;
}

export function countsLine(s: PlanSummary): string {
  return (
    `**+${s.toAdd} ~${s.toChange} -${s.toDestroy}** — ${s.toAdd} to add, ${s.toChange} to change, ` +
    `${s.toDestroy} to destroy` +
    (s.toReplace ? ` (${s.toReplace} replaced)` : '') +
    (s.outputChanges ? `; ${s.outputChanges} output change${s.outputChanges === 1 ? '' : 's'}` : '')
  );
}

export function changeLists(s: PlanSummary): string {
  const parts: string[] = [];
  for (const [k, title] of ORDER) {
    const list = s.changes[k] ?? [];
    if (list.length === 0) continue;
    const shown = list.slice(0, LIST_MAX).map((a) => `- ${code(a)}`);
    if (list.length > LIST_MAX) shown.push(`- … and ${list.length - LIST_MAX} more`);
    parts.push(`**${title}** (${list.length})\n${shown.join('\n')}`);
  }
  return parts.join('\n\n');
}

function fenceFor(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((r) => r.length));
  return '`'.repeat(Math.max(3, longest + 1));
}

/**
 * The plan text collapsed in `<details>`, cut at a line end to fit `room` characters with a note
 * below the fence when it does not.
 */
export function collapsedPlan(planText: string, room: number): string {
  const text = quoted(planText);
  const wrap = (t: string) => {
    const fence = fenceFor(t);
    return `<details><summary>Plan text</summary>\n\n${fence}text\n${t}\n${fence}\n\n</details>`;
  };
  const whole = wrap(text);
  if (whole.length <= room) return whole;
  const note = (omitted: number) =>
    `\n\n> **Truncated**: ${omitted.toLocaleString('en-US')} of ${text.length.toLocaleString('en-US')} characters of the plan text did not fit (the forge's comment limit is ${BODY_LIMIT.toLocaleString('en-US')}). The whole plan is in the job log.`;
  // Fence and wrapper around the cut text, plus the note with its longest number.
  const overhead = wrap('').length + note(text.length).length + 8;
  let cut = Math.max(0, room - overhead);
  const lineEnd = text.lastIndexOf('\n', cut);
  if (lineEnd > 0) cut = lineEnd;
  if (cut > 0 && /[\uD800-\uDBFF]/.test(text[cut - 1])) cut -= 1;
  return wrap(text.slice(0, cut)) + note(text.length - cut);
}

function footer(c: ReviewContext, fingerprint: string): string {
  const bits = [`Plan fingerprint \`${fingerprint.replace(/^sha256:/, '').slice(0, 16)}…\``];
  if (c.commit) bits.push(`commit \`${c.commit.slice(0, 12)}\``);
  if (c.runUrl) bits.push(`[run](${c.runUrl})`);
  return `<sub>${bits.join(' · ')}</sub>`;
}

/** Assembles head + collapsed plan + footer within the limit. */
function assemble(head: string, planText: string, foot: string): string {
  const room = BODY_LIMIT - head.length - foot.length - RESERVE;
  return `${head}\n\n${collapsedPlan(planText, room)}\n\n${foot}`;
}

export function planCommentBody(c: ReviewContext, summary: PlanSummary, review: PlanReview): string {
  const data: ReviewData = {
    v: 1,
    fingerprint: review.fingerprint,
    ...(c.planSha256 ? { planSha256: c.planSha256 } : {}),
    ...(c.commit ? { commit: c.commit } : {}),
  };
  const title = `### ${c.tool} plan for ${code(c.stack)}`;
  const what = summary.hasChanges
    ? `${countsLine(summary)}\n\n${changeLists(summary)}`.trimEnd()
    : 'No changes: the infrastructure matches the configuration.';
  const head = `${hiddenData(REVIEW_DATA_KEY, data)}\n${title}\n\n${what}`;
  return assemble(head, review.text, footer(c, review.fingerprint));
}

export function driftIssueTitle(stack: string): string {
  return `Drift detected in OpenTofu stack ${stack}`;
}

export function driftIssueBody(c: ReviewContext, summary: PlanSummary, review: PlanReview): string {
  const head =
    `The infrastructure of ${code(c.stack)} differs from its configuration` +
    (c.commit ? ` at commit \`${c.commit.slice(0, 12)}\`` : '') +
    '. A later drift run updates this issue, and closes it when it finds no drift.\n\n' +
    `${countsLine(summary)}\n\n${changeLists(summary)}`.trimEnd();
  return assemble(head, review.text, footer(c, review.fingerprint));
}

export function driftClosingComment(c: ReviewContext): string {
  return (
    `A drift run found no drift in ${code(c.stack)}` +
    (c.commit ? ` at commit \`${c.commit.slice(0, 12)}\`` : '') +
    (c.runUrl ? ` ([run](${c.runUrl}))` : '') +
    '; closing. New drift opens a new issue.'
  );
}
