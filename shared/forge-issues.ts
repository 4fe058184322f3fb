import type { ForgeClient, ForgeIssue } from './forge.js';
import { fitBody, hasMarker } from './forge-comments.js';

/**
 * One issue per problem (a drifting stack, a failing restore check): opened when a run finds the
 * problem, updated in place by later failing runs, closed with a comment when a run finds it fixed.
 *
 * Found again by its hidden marker among the open issues written by the token's user. Only open issues
 * are searched: once closed (by a fixed run or by a person), a new finding opens a new issue, so a
 * closed issue's history stays as it was.
 *
 * Labels: names on both forges. GitHub takes names (and creates missing ones); Forgejo's
 * CreateIssueOption takes label ids, so names are resolved against the repository's labels and names
 * that do not exist there are skipped (reported in `skippedLabels`, never created).
 */
export interface IssueWanted {
  title: string;
  body: string;
  /** true: the problem exists (open or update the issue); false: it is fixed (close it, if open). */
  open: boolean;
  labels?: readonly string[];
  /** The comment written when closing; a default one says a later run found it fixed. */
  closingComment?: string;
}

export interface IssueSyncResult {
  action: 'opened' | 'updated' | 'unchanged' | 'closed' | 'none';
  issue?: ForgeIssue;
  truncated: boolean;
  skippedLabels: string[];
}

async function findOwnIssue(client: ForgeClient, marker: string): Promise<ForgeIssue | undefined> {
  const me = (await client.identity()).toLowerCase();
  const mine = (await client.listOpenIssues()).filter(
    (i) => i.author.toLowerCase() === me && hasMarker(i.body, marker),
  );
  return mine.sort((a, b) => a.number - b.number)[0];
}

export async function syncIssue(
  client: ForgeClient,
  marker: string,
  want: IssueWanted,
): Promise<IssueSyncResult> {
  const existing = await findOwnIssue(client, marker);
  if (!want.open) {
    if (!existing) return { action: 'none', truncated: false, skippedLabels: [] };
    await client.createComment(
      existing.number,
      want.closingComment ??
        'A later run found this fixed; closing. It reopens as a new issue if it comes back.',
    );
    const issue = await client.updateIssue(existing.number, { state: 'closed' });
    return { action: 'closed', issue, truncated: false, skippedLabels: [] };
  }
  const fitted = fitBody(want.body, marker);
  if (!existing) {
    const { issue, skippedLabels } = await client.createIssue({
      title: want.title,
      body: fitted.text,
      labels: want.labels,
    });
    return { action: 'opened', issue, truncated: fitted.truncated, skippedLabels };
  }
  if (existing.title === want.title && existing.body === fitted.text)
    return { action: 'unchanged', issue: existing, truncated: fitted.truncated, skippedLabels: [] };
  const issue = await client.updateIssue(existing.number, { title: want.title, body: fitted.text });
  return { action: 'updated', issue, truncated: fitted.truncated, skippedLabels: [] };
}
