import type { ForgeClient, ForgeComment, ForgePullRequest } from './forge.js';

/**
 * Comments the suite owns on pull requests and issues: found again by a hidden HTML marker written by
 * the token's own user, created once, updated in place on every later run, never duplicated.
 */

/**
 * GitHub refuses a longer body with 422 "Body is too long (maximum is 65536 characters)" (counted in
 * characters; a JavaScript length counts UTF-16 units, never fewer, so cutting by it stays below).
 * Forgejo stores the body as LONGTEXT with no API limit found; the same cap keeps both forges alike.
 */
export const BODY_LIMIT = 65_536;

const MARKER = /^[A-Za-z0-9][A-Za-z0-9._:/@+=-]{0,199}$/;

/** The hidden line that identifies a comment or issue: invisible in the rendered Markdown. */
function checked(marker: string): string {
  if (!MARKER.test(marker))
    throw new Error(`invalid marker '${marker.slice(0, 40)}': letters, digits and . _ : / @ + = - only`);
  return marker;
}

export function markerLine(marker: string): string {
  return `<!-- edge-actions:${checked(marker)} -->`;
}

export function hasMarker(body: string, marker: string): boolean {
  return body.includes(markerLine(marker));
}

/**
 * Machine-readable data in a body (a plan's sha256, a fingerprint), hidden in an HTML comment. Encoded
 * as base64url JSON so nothing in the value can end the comment early.
 */
export function hiddenData(key: string, value: unknown): string {
  const encoded = Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
  return `<!-- edge-data:${checked(key)}:${encoded} -->`;
}

export function readHiddenData(body: string, key: string): unknown {
  const prefix = `<!-- edge-data:${checked(key)}:`;
  const at = body.lastIndexOf(prefix);
  if (at < 0) return undefined;
  const end = body.indexOf(' -->', at);
  if (end < 0) return undefined;
  try {
    return JSON.parse(Buffer.from(body.slice(at + prefix.length, end), 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

function truncationNote(omitted: number): string {
  return `\n\n> **Truncated**: ${omitted.toLocaleString('en-US')} characters did not fit in one comment (the forge's limit is ${BODY_LIMIT.toLocaleString('en-US')}). The full text is in the job log and the step's report.`;
}

/**
 * The body with its marker, cut below the limit when it is too long: cut at a line end where one is
 * near, never inside a surrogate pair, an open code fence and open `<details>` closed so the rest of
 * the comment still renders, a note saying what was left out, and the marker kept at the very end.
 */
export function fitBody(
  body: string,
  marker: string,
  limit = BODY_LIMIT,
): { text: string; truncated: boolean; omitted: number } {
  const tail = `\n\n${markerLine(marker)}`;
  const whole = body + tail;
  if (whole.length <= limit) return { text: whole, truncated: false, omitted: 0 };
  // Room for the closers and the note (whose number has at most 7 digits with separators).
  const reserve = tail.length + truncationNote(9_999_999).length + '\n```\n</details>'.length * 4;
  let cut = Math.max(0, limit - reserve);
  const lineEnd = body.lastIndexOf('\n', cut);
  if (lineEnd > cut - 2000) cut = lineEnd;
  if (cut > 0 && /[\uD800-\uDBFF]/.test(body[cut - 1])) cut -= 1;
  let kept = body.slice(0, cut);
  if ((kept.match(/^\s*(```|~~~)/gm) ?? []).length % 2 === 1) kept += '\n```';
  const openDetails =
    (kept.match(/<details[\s>]/gi) ?? []).length - (kept.match(/<\/details>/gi) ?? []).length;
  for (let i = 0; i < Math.min(openDetails, 3); i++) kept += '\n</details>';
  const omitted = body.length - cut;
  return { text: kept + truncationNote(omitted) + tail, truncated: true, omitted };
}

function sameUser(a: string, b: string): boolean {
  return a !== '' && a.toLowerCase() === b.toLowerCase();
}

/**
 * This suite's comment with the marker on an issue or pull request: written by the token's user
 * (anyone can type the marker into a comment; only our own comment counts). The oldest wins, so a
 * comment another tool duplicated does not make the suite switch between two.
 */
export async function findOwnComment(
  client: ForgeClient,
  issue: number,
  marker: string,
): Promise<ForgeComment | undefined> {
  const line = markerLine(marker);
  const me = await client.identity();
  const mine = (await client.listComments(issue)).filter(
    (c) => c.body.includes(line) && sameUser(c.author, me),
  );
  return mine.sort((a, b) => a.id - b.id)[0];
}

export interface UpsertResult {
  action: 'created' | 'updated' | 'unchanged';
  comment: ForgeComment;
  truncated: boolean;
}

/** Creates the marked comment once, then updates it in place; skips the write when nothing changed. */
export async function upsertComment(
  client: ForgeClient,
  issue: number,
  marker: string,
  body: string,
): Promise<UpsertResult> {
  const fitted = fitBody(body, marker);
  const existing = await findOwnComment(client, issue, marker);
  if (!existing)
    return {
      action: 'created',
      comment: await client.createComment(issue, fitted.text),
      truncated: fitted.truncated,
    };
  if (existing.body === fitted.text)
    return { action: 'unchanged', comment: existing, truncated: fitted.truncated };
  return {
    action: 'updated',
    comment: await client.updateComment(existing.id, fitted.text),
    truncated: fitted.truncated,
  };
}

/**
 * The pull request a commit on the default branch came from. Forgejo answers only for the commit a
 * pull request was merged as; GitHub lists the merged pull request that introduced the commit (and,
 * off the default branch, open ones). A pull request merged as exactly this commit is preferred.
 */
export async function mergedPullRequestOf(
  client: ForgeClient,
  sha: string,
): Promise<ForgePullRequest | undefined> {
  const merged = (await client.pullRequestsOfCommit(sha)).filter((p) => p.merged);
  return merged.find((p) => p.mergeCommitSha === sha) ?? merged[0];
}

/**
 * The reviewed comment for a merged commit: the marked comment this suite wrote on the pull request
 * the commit was merged from (for "apply exactly what was reviewed").
 */
export async function findReviewedComment(
  client: ForgeClient,
  sha: string,
  marker: string,
): Promise<{ pullRequest: ForgePullRequest; comment?: ForgeComment } | undefined> {
  const pullRequest = await mergedPullRequestOf(client, sha);
  if (!pullRequest) return undefined;
  return { pullRequest, comment: await findOwnComment(client, pullRequest.number, marker) };
}
