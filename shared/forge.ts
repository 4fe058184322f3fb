import { CancelledError, errorMessage } from './errors.js';
import {
  ForgeApiError,
  ForgeHttp,
  type Answer,
  type ForgeHttpOptions,
  type HttpTarget,
} from './forge-http.js';
import { bool, secretText } from './inputs.js';
import { redact } from './secrets.js';

export { ForgeApiError, rateLimitWait, DEFAULT_BUDGET_MS, type ForgeFailure } from './forge-http.js';

/**
 * One REST client for GitHub and Forgejo (`/api/v1`), behind a narrow interface (`ForgeClient`) so
 * actions and tests can pass a fake. Both forges serve the calls the suite needs mostly under the same
 * paths; where they differ (the pull request of a commit, labels, pagination, status field names) the
 * client hides the difference and returns one normalised shape.
 *
 * Rules every caller relies on:
 * - The token travels only in the `Authorization` header; request bodies are redacted before they are
 *   sent, and no error text includes the token (it is a registered secret, so `redact` removes it).
 * - Only retryable answers are retried (5xx, network errors, 429/403 rate limits), with `pause()` so a
 *   cancelled job never sits out a backoff, and within a total time budget per call.
 * - Failures are `ForgeApiError`s; `bestEffort` turns one into a single warning so a forge problem never
 *   changes the action's own result.
 *
 * Sources: GitHub REST docs (docs.github.com/en/rest: commits/statuses, issues/comments, issues/issues,
 * commits/commits#list-pull-requests-associated-with-a-commit, using-the-rest-api/rate-limits-for-the-rest-api);
 * Forgejo routers/api/v1/repo/{status,issue,issue_comment,commits,label}.go and modules/structs.
 */

export type ForgeKind = 'github' | 'forgejo';

export interface ForgeTarget extends HttpTarget {
  kind: ForgeKind;
  /** REST base without a trailing slash: https://api.github.com or https://forgejo.example.org/api/v1. */
  apiUrl: string;
  /** Web root without a trailing slash (Forgejo's AppURL ends in `/`; it is trimmed). */
  serverUrl: string;
  /** owner/name */
  repository: string;
}

/** The inputs every action declares (last in its list) to reach the forge: see README "Commit statuses". */
export const forgeInputs = {
  'commit-status': bool().default('false'),
  // GitHub does not put the job token into the environment: workflows pass `${{ github.token }}`.
  'forge-token': secretText({ expected: 'a token for the forge REST API' }).fallbackTo(
    (env) => env.FORGEJO_TOKEN || env.GITHUB_TOKEN,
  ),
};

const REPOSITORY = /^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/;

/** Where the forge is, read from the runner's environment; `missing` names what is not set. */
export function forgeTargetFromEnv(env: NodeJS.ProcessEnv = process.env): ForgeTarget | { missing: string } {
  const apiUrl = (env.GITHUB_API_URL || env.FORGEJO_API_URL || '').replace(/\/+$/, '');
  const forgejo = env.FORGEJO_ACTIONS === 'true' || env.GITEA_ACTIONS === 'true' || /\/api\/v1$/.test(apiUrl);
  if (!apiUrl) return { missing: forgejo ? 'FORGEJO_API_URL' : 'GITHUB_API_URL' };
  if (!/^https?:\/\/[^\s/]+/.test(apiUrl)) return { missing: 'an http(s) GITHUB_API_URL' };
  const repository = env.GITHUB_REPOSITORY || env.FORGEJO_REPOSITORY || '';
  if (!REPOSITORY.test(repository)) return { missing: 'GITHUB_REPOSITORY' };
  const serverUrl = (env.GITHUB_SERVER_URL || env.FORGEJO_SERVER_URL || '').replace(/\/+$/, '');
  return { kind: forgejo ? 'forgejo' : 'github', apiUrl, serverUrl, repository };
}

/**
 * The web page of this run. GitHub addresses runs by `run_id`; Forgejo's web routes take the run's
 * index in the repository, which it exports as `run_number` (`run_id` is the instance-wide id there):
 * services/actions/context.go `RunNumber: fmt.Sprint(run.Index)`, routers/web/repo/actions/view.go
 * `GetRunByIndex(ctx, repoID, runIndex)`. Both runners export it as GITHUB_RUN_NUMBER (forgejo-runner:
 * act pkg/runner/run_context.go withGithubEnv).
 */
export function runUrl(target: ForgeTarget, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const run = target.kind === 'forgejo' ? env.GITHUB_RUN_NUMBER : env.GITHUB_RUN_ID;
  if (!target.serverUrl || !run || !/^\d+$/.test(run)) return undefined;
  return `${target.serverUrl}/${target.repository}/actions/runs/${run}`;
}

export interface CommitStatus {
  /** The states both forges accept (Forgejo adds `warning`, which GitHub refuses). */
  state: 'pending' | 'success' | 'failure' | 'error';
  context: string;
  description: string;
  targetUrl?: string;
}

export interface ForgeComment {
  id: number;
  body: string;
  /** Login of the comment's author. */
  author: string;
}

export interface ForgeIssue {
  number: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
  author: string;
  url?: string;
}

export interface ForgePullRequest {
  number: number;
  state: string;
  merged: boolean;
  mergeCommitSha?: string;
  headSha?: string;
}

/** The calls the suite makes, the same on both forges. Every method throws ForgeApiError. */
export interface ForgeClientOptions extends ForgeHttpOptions {
  target: ForgeTarget;
}

export interface ForgeClient {
  readonly target: ForgeTarget;
  /** Login of the token's user (the author of what this client writes). */
  identity(): Promise<string>;
  setStatus(sha: string, status: CommitStatus): Promise<void>;
  listComments(issue: number): Promise<ForgeComment[]>;
  createComment(issue: number, body: string): Promise<ForgeComment>;
  updateComment(id: number, body: string): Promise<ForgeComment>;
  listOpenIssues(): Promise<ForgeIssue[]>;
  /** Labels by name; on Forgejo names are resolved to ids and unknown names skipped (returned). */
  createIssue(issue: {
    title: string;
    body: string;
    labels?: readonly string[];
  }): Promise<{ issue: ForgeIssue; skippedLabels: string[] }>;
  updateIssue(
    issue: number,
    change: { title?: string; body?: string; state?: 'open' | 'closed' },
  ): Promise<ForgeIssue>;
  /** GitHub: the merged (or, off the default branch, open) pull requests of a commit; Forgejo: the pull request merged as this commit. */
  pullRequestsOfCommit(sha: string): Promise<ForgePullRequest[]>;
}

type Json = Record<string, unknown>;

function asObject(what: string, answer: Answer): Json {
  if (!answer.body || typeof answer.body !== 'object' || Array.isArray(answer.body))
    throw new ForgeApiError(what, 'unexpected', answer.status, 'the answer is not an object');
  return answer.body as Json;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function login(user: unknown): string {
  return user && typeof user === 'object' ? str((user as Json).login) : '';
}

function toComment(o: Json): ForgeComment {
  return { id: Number(o.id), body: str(o.body), author: login(o.user) };
}

function toIssue(o: Json): ForgeIssue {
  return {
    number: Number(o.number),
    title: str(o.title),
    body: str(o.body),
    state: o.state === 'closed' ? 'closed' : 'open',
    author: login(o.user),
    url: str(o.html_url) || undefined,
  };
}

function toPull(o: Json): ForgePullRequest {
  const head = (o.head ?? {}) as Json;
  return {
    number: Number(o.number),
    state: str(o.state),
    // GitHub's list carries merged_at (its `merged` flag only on the single-PR endpoint); Forgejo both.
    merged: o.merged === true || (typeof o.merged_at === 'string' && o.merged_at !== ''),
    mergeCommitSha: str(o.merge_commit_sha) || undefined,
    headSha: str(head.sha) || undefined,
  };
}

/** Who writes with the job token when `GET /user` is not open to it (GitHub answers 403 for it). */
const JOB_TOKEN_USER: Record<ForgeKind, string> = {
  github: 'github-actions[bot]',
  // Forgejo models/user/user_system.go: ActionsUserName = "forgejo-actions" (id -2).
  forgejo: 'forgejo-actions',
};

export function createForgeClient(o: ForgeClientOptions): ForgeClient {
  const http = new ForgeHttp(o);
  const { target } = o;
  const repo = `/repos/${target.repository}`;
  const github = target.kind === 'github';
  const pageSize: Record<string, number> = github ? { per_page: 100 } : { limit: 50 };
  let me: Promise<string> | undefined;

  const labelIds = async (names: readonly string[]): Promise<{ ids: number[]; skipped: string[] }> => {
    const all = (await http.list('Reading the repository labels', `${repo}/labels`, {}, pageSize)) as Json[];
    const byName = new Map(all.map((l) => [str(l.name).toLowerCase(), Number(l.id)]));
    const ids: number[] = [];
    const skipped: string[] = [];
    for (const n of names) {
      const id = byName.get(n.toLowerCase());
      if (id === undefined) skipped.push(n);
      else ids.push(id);
    }
    return { ids, skipped };
  };

  return {
    target,
    identity() {
      me ??= http
        .request('Reading the token user', 'GET', '/user')
        .then((a) => str(asObject('Reading the token user', a).login) || JOB_TOKEN_USER[target.kind])
        .catch((e: unknown) => {
          // The job token is not a user token: GitHub refuses /user for it; the author is then the bot.
          if (e instanceof ForgeApiError && (e.kind === 'permission' || e.kind === 'not-found'))
            return JOB_TOKEN_USER[target.kind];
          me = undefined;
          throw e;
        });
      return me;
    },
    async setStatus(sha, s) {
      await http.request(`Setting the commit status '${s.context}'`, 'POST', `${repo}/statuses/${sha}`, {
        body: {
          state: s.state,
          context: s.context,
          description: s.description,
          ...(s.targetUrl ? { target_url: s.targetUrl } : {}),
        },
      });
    },
    async listComments(issue) {
      const what = `Listing the comments of #${issue}`;
      // Forgejo's ListIssueComments takes no page/limit and answers every comment at once.
      const items = github
        ? await http.list(what, `${repo}/issues/${issue}/comments`, {}, pageSize)
        : await http.request(what, 'GET', `${repo}/issues/${issue}/comments`).then((a) => {
            if (!Array.isArray(a.body))
              throw new ForgeApiError(what, 'unexpected', a.status, 'the answer is not a list');
            return a.body as unknown[];
          });
      return (items as Json[]).map(toComment);
    },
    async createComment(issue, body) {
      const what = `Commenting on #${issue}`;
      return toComment(
        asObject(
          what,
          await http.request(what, 'POST', `${repo}/issues/${issue}/comments`, { body: { body } }),
        ),
      );
    },
    async updateComment(id, body) {
      const what = `Updating comment ${id}`;
      return toComment(
        asObject(
          what,
          await http.request(what, 'PATCH', `${repo}/issues/comments/${id}`, { body: { body } }),
        ),
      );
    },
    async listOpenIssues() {
      const items = (await http.list(
        'Listing the open issues',
        `${repo}/issues`,
        github ? { state: 'open' } : { state: 'open', type: 'issues' },
        pageSize,
      )) as Json[];
      // GitHub lists pull requests as issues too (they carry `pull_request`).
      return items.filter((i) => !i.pull_request).map(toIssue);
    },
    async createIssue({ title, body, labels = [] }) {
      const what = 'Opening an issue';
      let sent: Array<string | number> = [...labels];
      let skipped: string[] = [];
      if (!github && labels.length > 0) {
        // Forgejo's CreateIssueOption takes label ids; GitHub takes names.
        const resolved = await labelIds(labels);
        sent = resolved.ids;
        skipped = resolved.skipped;
      }
      const answer = await http.request(what, 'POST', `${repo}/issues`, {
        body: { title, body, ...(sent.length > 0 ? { labels: sent } : {}) },
      });
      return { issue: toIssue(asObject(what, answer)), skippedLabels: skipped };
    },
    async updateIssue(issue, change) {
      const what = `Updating issue #${issue}`;
      return toIssue(
        asObject(what, await http.request(what, 'PATCH', `${repo}/issues/${issue}`, { body: change })),
      );
    },
    async pullRequestsOfCommit(sha) {
      const what = `Finding the pull request of ${sha.slice(0, 12)}`;
      if (github)
        return ((await http.list(what, `${repo}/commits/${sha}/pulls`, {}, pageSize)) as Json[]).map(toPull);
      // Forgejo: GetPullRequestByMergedCommit, 404 when no pull request was merged as this commit.
      const answer = await http.request(what, 'GET', `${repo}/commits/${sha}/pull`, { accept: [404] });
      return answer.status === 404 ? [] : [toPull(asObject(what, answer))];
    },
  };
}

/** A forge client for this run, or why there is none (no token, not on a forge). */
export function connectForge(
  token: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  options: Omit<ForgeClientOptions, 'target' | 'token'> = {},
): ForgeClient | { unavailable: string } {
  const target = forgeTargetFromEnv(env);
  if ('missing' in target) return { unavailable: `${target.missing} is not set (not running on a forge?)` };
  if (!token)
    return {
      unavailable:
        target.kind === 'github'
          ? "no token: pass 'forge-token: ${{ github.token }}' (GitHub does not put the job token in the environment)"
          : "no token: FORGEJO_TOKEN is not set; pass 'forge-token'",
    };
  return createForgeClient({ ...options, target, token });
}

/**
 * Runs a forge call whose failure must not change the step's result: on failure one warning (what
 * failed, the forge's answer, what it means) and `undefined`. Cancellation still stops the step.
 */
export async function bestEffort<T>(
  what: string,
  fn: () => Promise<T>,
  warn: (message: string) => void,
): Promise<T | undefined> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof CancelledError) throw e;
    const why = e instanceof ForgeApiError ? e.describe() : `unexpected error: ${errorMessage(e)}.`;
    warn(`${what} skipped: ${redact(why)} The step's own result is unchanged.`);
    return undefined;
  }
}
