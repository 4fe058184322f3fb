import { ActionError, errorMessage } from '../../../shared/errors.js';
import { bestEffort, runUrl, type ForgeClient } from '../../../shared/forge.js';
import { syncIssue, type IssueSyncResult } from '../../../shared/forge-issues.js';
import { sha256 } from '../../../shared/fsx.js';
import { redact } from '../../../shared/secrets.js';
import { repositoryTarget } from './commit-status.js';
import type { RestoreCheckResult } from './restore-check.js';

/**
 * `failure-issue` (issue 17.4): one forge issue per repository while its restore check fails. A failing
 * check opens it, later failing runs update the same issue (found again by its hidden marker, through
 * `syncIssue`), and a passing run closes it with a comment. Input errors open nothing (the check never
 * ran), nor does a cancelled run (it says nothing about the backup).
 */

/**
 * The repository as an issue may name it: no URL user or password (`rest:https://u:p@host/x` →
 * `rest:https://host/x`, as in the commit status), and no `sftp:user@` either.
 */
export function issueRepositoryName(repository: string): string {
  return repositoryTarget(repository).replace(/^sftp:[^@/\s]+@/, 'sftp:');
}

/** The hidden marker: per repository, from its credential-free name (the marker's alphabet is small). */
export function issueMarker(repository: string): string {
  return `restic-restore-check:repository-${sha256(issueRepositoryName(repository)).slice(0, 16)}`;
}

export function issueTitle(repository: string): string {
  return `restic-restore-check: ${issueRepositoryName(repository)} failing`;
}

export type CheckOutcome = { passed: RestoreCheckResult } | { failed: unknown };

/** Whether this outcome says anything about the backup (a cancelled run does not). */
export function concludes(outcome: CheckOutcome): boolean {
  if ('passed' in outcome) return true;
  return !(outcome.failed instanceof ActionError && outcome.failed.reason === 'cancelled');
}

function runLink(client: ForgeClient, env: NodeJS.ProcessEnv, at: Date): string {
  const url = runUrl(client.target, env);
  const when = at.toISOString().replace(/\.\d+Z$/, 'Z');
  return url ? `[this run](${url}) (${when})` : `the run at ${when}`;
}

/** Text quoted in a Markdown code block: no fence can be closed from inside it. */
function quoted(text: string): string {
  return ['```text', redact(text).replace(/```/g, "'''"), '```'].join('\n');
}

export function failureBody(repository: string, failure: unknown, link: string): string {
  const reason = failure instanceof ActionError ? failure.reason : 'internal';
  const hint = failure instanceof ActionError ? failure.hint : undefined;
  return [
    `The restore check of \`${issueRepositoryName(repository)}\` failed in ${link}.`,
    '',
    `**Reason:** \`${reason}\``,
    '',
    quoted(errorMessage(failure)),
    ...(hint ? ['', quoted(hint)] : []),
    '',
    'Every later failing run updates this issue; the next passing run closes it.',
  ].join('\n');
}

export function passingComment(repository: string, passed: RestoreCheckResult, link: string): string {
  const files = passed.verified.length;
  return [
    `The restore check of \`${issueRepositoryName(repository)}\` passed in ${link}:`,
    `snapshot \`${passed.snapshot.shortId}\` (${passed.snapshot.timeText}), ${files} restored file${files === 1 ? '' : 's'} verified, \`restic check\`: ${passed.checkResult}. Closing.`,
  ].join(' ');
}

/** Opens, updates or closes the repository's issue; a forge failure is one warning and changes nothing else. */
export async function syncFailureIssue(o: {
  forge: ForgeClient | { unavailable: string };
  repository: string;
  outcome: CheckOutcome;
  warn: (message: string) => void;
  now?: Date;
  env?: NodeJS.ProcessEnv;
}): Promise<IssueSyncResult | undefined> {
  if (!concludes(o.outcome)) return undefined;
  if ('unavailable' in o.forge) {
    o.warn(`No failure issue: ${o.forge.unavailable}.`);
    return undefined;
  }
  const client = o.forge;
  const link = runLink(client, o.env ?? process.env, o.now ?? new Date());
  const marker = issueMarker(o.repository);
  const title = issueTitle(o.repository);
  return bestEffort(
    'Failure issue',
    () =>
      'passed' in o.outcome
        ? syncIssue(client, marker, {
            title,
            body: '',
            open: false,
            closingComment: passingComment(o.repository, o.outcome.passed, link),
          })
        : syncIssue(client, marker, {
            title,
            body: failureBody(o.repository, o.outcome.failed, link),
            open: true,
          }),
    o.warn,
  );
}
