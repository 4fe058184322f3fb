import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for the forge REST API (Forgejo cannot run here, GitHub is not reachable): the push
 * mirror endpoints push-mirror uses, and the commit status, comment, issue, label, pull-request-of-a-
 * commit and user endpoints of shared/forge.ts — in Forgejo's flavour (`/api/v1`) or GitHub's (API at
 * the root, like api.github.com). It records every request (method, path, status, headers, body).
 *
 * Forgejo shapes follow its source:
 *  - routers/api/v1/repo/mirror.go: `POST /api/v1/repos/{owner}/{repo}/push_mirrors-sync` runs
 *    `SyncPushMirror` for every push mirror in turn and answers 200 with an empty body, or 500 at the
 *    first failing mirror (`ctx.Error(500, "PushMirrorSync", "error occurred when syncing push mirror
 *    <name>")`, whose message production Forgejo blanks for non-admins); `GET …/push_mirrors` answers
 *    the list with X-Total-Count.
 *  - modules/structs/mirror.go + services/convert: PushMirror `{ repo_name, remote_name,
 *    remote_address, created, last_update, last_error, interval, sync_on_commit, public_key,
 *    branch_filter }`; `created`/`last_update` are time.Time (RFC 3339, whole seconds because Forgejo
 *    stores unix seconds), `last_update` is null before the first sync.
 *  - services/mirror/mirror_push.go: a sync clears last_error, sets it to the push's error on failure,
 *    and moves last_update either way.
 *  - services/context/api.go: errors are `{ "message": …, "url": <swagger URL> }`; tokens come as
 *    `Authorization: token <t>` (or `Bearer`).
 *  - routers/api/v1/repo/status.go NewCommitStatus: `POST …/statuses/{sha}` with CreateStatusOption
 *    `{state, target_url, description, context}` answers 201 with a CommitStatus whose state field is
 *    named `status` (modules/structs/status.go); states pending|success|error|failure|warning
 *    (modules/structs/commit_status.go).
 *  - routers/api/v1/repo/issue_comment.go: ListIssueComments takes only `since`/`before` (no paging:
 *    every comment at once, X-Total-Count); CreateIssueComment answers 201; EditIssueComment
 *    (`PATCH …/issues/comments/{id}`) answers 200, and 403 to anyone but the poster or a repo admin.
 *    Comment shape modules/structs/issue_comment.go `{id, html_url, pull_request_url, issue_url, user,
 *    original_author, original_author_id, body, assets, created_at, updated_at}`.
 *  - routers/api/v1/repo/issue.go: ListIssues `state`, `type=issues|pulls`, `page`, `limit` (capped
 *    at MAX_RESPONSE_ITEMS, 50 by default), Link + X-Total-Count headers; CreateIssue 201 with label
 *    *ids* (CreateIssueOption.Labels []int64; ids of other repositories are skipped by
 *    models/issues NewIssueWithIndex); EditIssue answers **201**. Issue shape modules/structs/issue.go.
 *  - routers/api/v1/repo/label.go ListLabels (paged, `{id, name, color, description, …}`).
 *  - routers/api/v1/repo/commits.go GetCommitPullRequest: `GET …/commits/{sha}/pull` answers the pull
 *    request merged as that commit (GetPullRequestByMergedCommit), else 404.
 *  - routers/api/v1/api.go reqRepoWriter: 403 "user should have a permission to write to a repo"; a
 *    job token of a pull request from a fork is read-only (services/actions, IsForkPullRequest).
 *  - models/user/user_system.go: the job token acts as user `forgejo-actions` (id -2). Whether
 *    `GET /user` answers for the job token was not confirmed: `userEndpoint` lets a test choose.
 *
 * GitHub shapes follow docs.github.com/en/rest: commits/statuses (201, `state`, description over 140
 * characters → 422 "description is too long (maximum is 140 characters)"), issues/comments (paged with
 * `per_page`/`page` and a Link header; a body over 65,536 characters → 422 "Body is too long (maximum is
 * 65536 characters)"; PATCH answers 200), issues/issues (the list includes pull requests, marked by
 * `pull_request`; labels by name), commits/commits "List pull requests associated with a commit",
 * users "Get the authenticated user" (403 "Resource not accessible by integration" for the job token),
 * rate limits (403/429 with `retry-after` or `x-ratelimit-remaining: 0` + `x-ratelimit-reset`).
 */
export interface StandinPushMirror {
  repo_name: string;
  remote_name: string;
  remote_address: string;
  created: string;
  last_update: string | null;
  last_error: string;
  interval: string;
  sync_on_commit: boolean;
  public_key: string;
  branch_filter: string;
}

/** What one mirror's sync does: push for real and succeed, fail with a git error, or never finish. */
export type SyncBehaviour = () => Promise<{ error?: string } | 'never-updates'>;

export interface RecordedRequest {
  method: string;
  /** Path with query string. */
  path: string;
  status: number;
  authorization?: string;
  /** Every header as received (for canary checks). */
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface StandinStatus {
  sha: string;
  state: string;
  context: string;
  description: string;
  target_url: string;
  creator: string;
}

export interface StandinComment {
  id: number;
  issue: number;
  body: string;
  author: string;
}

export interface StandinIssue {
  number: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
  author: string;
  /** Names (GitHub) or ids (Forgejo) as sent. */
  labels: Array<string | number>;
  /** A pull request (listed among issues by GitHub only). */
  pull?: { merged: boolean; merge_commit_sha?: string; head_sha: string };
}

/** An injected answer: the next `times` requests matching method and path get it instead. */
export interface Fault {
  method?: string;
  path: RegExp;
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  times?: number;
}

export interface ForgejoStandin {
  /** http://127.0.0.1:<port> (the web root). */
  url: string;
  /** The REST base: `<url>/api/v1` (Forgejo) or `<url>` (GitHub, like api.github.com). */
  apiUrl: string;
  flavour: 'forgejo' | 'github';
  mirrors: StandinPushMirror[];
  requests: RecordedRequest[];
  statuses: StandinStatus[];
  comments: StandinComment[];
  issues: StandinIssue[];
  labels: Array<{ id: number; name: string }>;
  faults: Fault[];
  stop(): Promise<void>;
}

const SWAGGER = 'http://127.0.0.1/api/swagger';
const GITHUB_DOCS = 'https://docs.github.com/rest';
const FORGEJO_STATES = ['pending', 'success', 'error', 'failure', 'warning'];
const GITHUB_STATES = ['pending', 'success', 'error', 'failure'];

/** Go's time.Time JSON for a Forgejo TimeStamp: RFC 3339 without fractional seconds. */
export function forgejoTime(d: Date = new Date()): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function pushMirror(repo: string, address: string, lastUpdate: string | null): StandinPushMirror {
  return {
    repo_name: repo,
    remote_name: `remote_mirror_${Math.random().toString(36).slice(2, 12)}`,
    remote_address: address,
    created: '2026-01-05T09:00:00Z',
    last_update: lastUpdate,
    last_error: '',
    interval: '8h0m0s',
    sync_on_commit: true,
    public_key: '',
    branch_filter: '',
  };
}

export interface StandinOptions {
  token: string;
  repository: string;
  mirrors?: StandinPushMirror[];
  sync?: Record<string, SyncBehaviour>;
  flavour?: 'forgejo' | 'github';
  /** Login of the token's user; default the job token's user of the flavour. */
  tokenUser?: string;
  /** `refuse`: GET /user answers 403 (GitHub's answer for the job token). */
  userEndpoint?: 'answer' | 'refuse';
  /** The token may read but not write (a pull request from a fork). */
  readOnly?: boolean;
  /** Page size cap of paged listings (Forgejo MAX_RESPONSE_ITEMS, GitHub's per_page maximum). */
  maxPageSize?: number;
  issues?: StandinIssue[];
  comments?: StandinComment[];
  labels?: Array<{ id: number; name: string }>;
}

export async function startForgejoApi(opts: StandinOptions): Promise<ForgejoStandin> {
  const flavour = opts.flavour ?? 'forgejo';
  const github = flavour === 'github';
  const tokenUser = opts.tokenUser ?? (github ? 'github-actions[bot]' : 'forgejo-actions');
  const mirrors = opts.mirrors ?? [];
  const state = {
    requests: [] as RecordedRequest[],
    statuses: [] as StandinStatus[],
    comments: opts.comments ?? [],
    issues: opts.issues ?? [],
    labels: opts.labels ?? [],
    faults: [] as Fault[],
  };
  let nextId = 1000;
  const prefix = github ? '' : '/api/v1';
  const base = `${prefix}/repos/${opts.repository}`;
  let origin = '';

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const record: RecordedRequest = {
          method: req.method ?? 'GET',
          path: req.url ?? '',
          status: 0,
          authorization: req.headers.authorization,
          headers: { ...req.headers },
          body: Buffer.concat(chunks).toString('utf8'),
        };
        state.requests.push(record);
        const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
          record.status = status;
          res.writeHead(status, { 'Content-Type': 'application/json;charset=utf-8', ...headers });
          res.end(body === undefined ? '' : JSON.stringify(body));
        };
        const error = (status: number, message: string, extra: Record<string, unknown> = {}) =>
          reply(
            status,
            github
              ? { message, documentation_url: GITHUB_DOCS, ...extra }
              : { message, url: SWAGGER, ...extra },
          );
        try {
          await handle(record, reply, error);
        } catch (e) {
          error(500, String(e));
        }
      })();
    });
  });

  function userJson(login: string) {
    return github
      ? {
          login,
          id: login === 'github-actions[bot]' ? 41898282 : 7,
          type: login.endsWith('[bot]') ? 'Bot' : 'User',
        }
      : { id: login === 'forgejo-actions' ? -2 : 7, login, login_name: '', full_name: '', email: '' };
  }

  function commentJson(c: StandinComment) {
    const html = `${origin}/${opts.repository}/issues/${c.issue}#issuecomment-${c.id}`;
    const time = forgejoTime();
    return github
      ? {
          id: c.id,
          html_url: html,
          user: userJson(c.author),
          body: c.body,
          created_at: time,
          updated_at: time,
        }
      : {
          id: c.id,
          html_url: html,
          pull_request_url: '',
          issue_url: `${origin}/${opts.repository}/issues/${c.issue}`,
          user: userJson(c.author),
          original_author: '',
          original_author_id: 0,
          body: c.body,
          assets: [],
          created_at: time,
          updated_at: time,
        };
  }

  function issueJson(i: StandinIssue) {
    const labels = i.labels.map((l) =>
      typeof l === 'number'
        ? { id: l, name: state.labels.find((x) => x.id === l)?.name ?? String(l) }
        : { id: 0, name: l },
    );
    return {
      id: i.number + 500,
      number: i.number,
      html_url: `${origin}/${opts.repository}/issues/${i.number}`,
      title: i.title,
      body: i.body,
      user: userJson(i.author),
      labels,
      state: i.state,
      ...(i.pull
        ? {
            pull_request: {
              merged: i.pull.merged,
              html_url: `${origin}/${opts.repository}/pulls/${i.number}`,
            },
          }
        : {}),
    };
  }

  function pullJson(i: StandinIssue) {
    return {
      number: i.number,
      state: i.state,
      title: i.title,
      user: userJson(i.author),
      merged: i.pull?.merged ?? false,
      merged_at: i.pull?.merged ? '2026-09-01T10:00:00Z' : null,
      merge_commit_sha: i.pull?.merge_commit_sha ?? null,
      head: { ref: `feature-${i.number}`, sha: i.pull?.head_sha ?? '' },
      base: { ref: 'main' },
    };
  }

  /** A page of a list, with the Link header both forges send (GitHub always, Forgejo SetLinkHeader). */
  function page<T>(u: URL, items: T[], reply: (s: number, b: unknown, h?: Record<string, string>) => void) {
    const cap = opts.maxPageSize ?? (github ? 100 : 50);
    const asked = Number(u.searchParams.get(github ? 'per_page' : 'limit')) || (github ? 30 : cap);
    const size = Math.min(asked, cap);
    const n = Math.max(1, Number(u.searchParams.get('page')) || 1);
    const slice = items.slice((n - 1) * size, n * size);
    const headers: Record<string, string> = { 'X-Total-Count': String(items.length) };
    if (n * size < items.length) {
      const next = new URL(u.href);
      next.searchParams.set('page', String(n + 1));
      headers.Link = `<${origin}${next.pathname}${next.search}>; rel="next"`;
    }
    reply(200, slice, headers);
  }

  async function handle(
    record: RecordedRequest,
    reply: (status: number, body: unknown, headers?: Record<string, string>) => void,
    error: (status: number, message: string, extra?: Record<string, unknown>) => void,
  ): Promise<void> {
    const method = record.method;
    const u = new URL(record.path, 'http://127.0.0.1');
    const fault = state.faults.find((f) => (!f.method || f.method === method) && f.path.test(u.pathname));
    if (fault) {
      if (fault.times !== undefined && --fault.times <= 0)
        state.faults.splice(state.faults.indexOf(fault), 1);
      return reply(fault.status, fault.body ?? { message: `injected ${fault.status}` }, fault.headers);
    }
    const m = /^(?:token|bearer)\s+(\S+)$/i.exec(record.authorization ?? '');
    if (!m || m[1] !== opts.token)
      return github ? error(401, 'Bad credentials') : error(401, 'user does not exist [uid: 0, name: ]');
    const body = (): Record<string, unknown> => {
      try {
        return JSON.parse(record.body) as Record<string, unknown>;
      } catch {
        return {};
      }
    };
    const write = method !== 'GET';
    const refuseWrite = () =>
      github
        ? error(403, 'Resource not accessible by integration')
        : error(403, 'user should have a permission to write to a repo');

    if (u.pathname === `${prefix}/user` && method === 'GET') {
      if (opts.userEndpoint === 'refuse') return error(403, 'Resource not accessible by integration');
      return reply(200, userJson(tokenUser));
    }
    if (!u.pathname.startsWith(`${base}/`)) {
      return github
        ? error(404, 'Not Found')
        : reply(404, {
            errors: ['repository not found'],
            message: "The target couldn't be found.",
            url: SWAGGER,
          });
    }
    const rest = u.pathname.slice(base.length);
    if (write && opts.readOnly) return refuseWrite();

    if (!github && rest === '/push_mirrors' && method === 'GET') {
      return reply(200, mirrors, { 'X-Total-Count': String(mirrors.length) });
    }
    if (!github && rest === '/push_mirrors-sync' && method === 'POST') {
      for (const mirror of mirrors) {
        mirror.last_error = '';
        const behaviour: SyncBehaviour = opts.sync?.[mirror.remote_address] ?? (async () => ({}));
        const outcome = await behaviour();
        if (outcome === 'never-updates') continue;
        mirror.last_update = forgejoTime();
        if (outcome.error) {
          mirror.last_error = outcome.error;
          return reply(500, { message: '', url: SWAGGER });
        }
      }
      return reply(200, undefined);
    }

    let mm: RegExpExecArray | null;
    if ((mm = /^\/statuses\/([0-9a-f]{40})$/.exec(rest)) && method === 'POST') {
      const b = body();
      const st = String(b.state ?? '');
      const description = String(b.description ?? '');
      if (!(github ? GITHUB_STATES : FORGEJO_STATES).includes(st))
        return github
          ? error(422, 'Validation Failed', {
              errors: [{ resource: 'Status', field: 'state', code: 'custom' }],
            })
          : error(400, `invalid state '${st}'`);
      if (github && description.length > 140)
        return error(422, 'Validation Failed', {
          errors: [
            {
              resource: 'Status',
              code: 'custom',
              field: 'description',
              message: 'description is too long (maximum is 140 characters)',
            },
          ],
        });
      const s: StandinStatus = {
        sha: mm[1],
        state: st,
        context: String(b.context ?? 'default'),
        description,
        target_url: String(b.target_url ?? ''),
        creator: tokenUser,
      };
      state.statuses.push(s);
      const id = nextId++;
      const time = forgejoTime();
      return reply(
        201,
        github
          ? {
              id,
              state: s.state,
              description,
              target_url: s.target_url,
              context: s.context,
              creator: userJson(tokenUser),
              created_at: time,
              updated_at: time,
            }
          : {
              id,
              status: s.state,
              description,
              target_url: s.target_url,
              context: s.context,
              url: '',
              creator: userJson(tokenUser),
              created_at: time,
              updated_at: time,
            },
      );
    }

    if ((mm = /^\/issues\/(\d+)\/comments$/.exec(rest))) {
      const issue = Number(mm[1]);
      if (!state.issues.some((i) => i.number === issue))
        return error(404, github ? 'Not Found' : 'issue does not exist');
      if (method === 'GET') {
        const list = state.comments.filter((c) => c.issue === issue).map(commentJson);
        return github ? page(u, list, reply) : reply(200, list, { 'X-Total-Count': String(list.length) });
      }
      if (method === 'POST') {
        const text = String(body().body ?? '');
        if (github && text.length > 65536)
          return error(422, 'Validation Failed', {
            errors: [
              {
                resource: 'IssueComment',
                code: 'custom',
                field: 'body',
                message: 'body is too long (maximum is 65536 characters)',
              },
            ],
          });
        const c: StandinComment = { id: nextId++, issue, body: text, author: tokenUser };
        state.comments.push(c);
        return reply(201, commentJson(c));
      }
    }
    if ((mm = /^\/issues\/comments\/(\d+)$/.exec(rest)) && method === 'PATCH') {
      const c = state.comments.find((x) => x.id === Number(mm![1]));
      if (!c) return error(404, github ? 'Not Found' : 'comment does not exist');
      if (c.author !== tokenUser)
        return github ? error(403, 'Resource not accessible by integration') : reply(403, undefined);
      const text = String(body().body ?? '');
      if (github && text.length > 65536)
        return error(422, 'Validation Failed', {
          errors: [
            {
              resource: 'IssueComment',
              code: 'custom',
              field: 'body',
              message: 'body is too long (maximum is 65536 characters)',
            },
          ],
        });
      c.body = text;
      return reply(200, commentJson(c));
    }
    if (rest === '/issues' && method === 'GET') {
      const wanted = u.searchParams.get('state') ?? 'open';
      const type = u.searchParams.get('type');
      const list = state.issues
        .filter((i) => wanted === 'all' || i.state === wanted)
        // GitHub lists pull requests among issues; Forgejo with type=issues does not.
        .filter((i) => (github ? true : type === 'issues' ? !i.pull : type === 'pulls' ? !!i.pull : true))
        .sort((a, b) => b.number - a.number)
        .map(issueJson);
      return page(u, list, reply);
    }
    if (rest === '/issues' && method === 'POST') {
      const b = body();
      if (!b.title) return error(422, github ? 'Validation Failed' : '[Title]: Required');
      const sent = Array.isArray(b.labels) ? (b.labels as Array<string | number>) : [];
      const labels = github
        ? sent.filter((l): l is string => typeof l === 'string')
        : sent.filter((l): l is number => typeof l === 'number' && state.labels.some((x) => x.id === l));
      const i: StandinIssue = {
        number: Math.max(0, ...state.issues.map((x) => x.number)) + 1,
        title: String(b.title),
        body: String(b.body ?? ''),
        state: 'open',
        author: tokenUser,
        labels,
      };
      state.issues.push(i);
      return reply(201, issueJson(i));
    }
    if ((mm = /^\/issues\/(\d+)$/.exec(rest)) && method === 'PATCH') {
      const i = state.issues.find((x) => x.number === Number(mm![1]));
      if (!i) return error(404, github ? 'Not Found' : 'issue does not exist');
      const b = body();
      if (typeof b.title === 'string' && b.title) i.title = b.title;
      if (typeof b.body === 'string') i.body = b.body;
      if (b.state === 'open' || b.state === 'closed') i.state = b.state;
      return reply(github ? 200 : 201, issueJson(i));
    }
    if (!github && rest === '/labels' && method === 'GET') {
      return page(
        u,
        state.labels.map((l) => ({ ...l, color: 'e11d21', description: '', exclusive: false })),
        reply,
      );
    }
    if (github && (mm = /^\/commits\/([0-9a-f]{40})\/pulls$/.exec(rest)) && method === 'GET') {
      const sha = mm[1];
      const pulls = state.issues.filter(
        (i) => i.pull && (i.pull.merge_commit_sha === sha || i.pull.head_sha === sha),
      );
      return page(u, pulls.map(pullJson), reply);
    }
    if (!github && (mm = /^\/commits\/([0-9a-f]{40})\/pull$/.exec(rest)) && method === 'GET') {
      const pr = state.issues.find((i) => i.pull?.merged && i.pull.merge_commit_sha === mm![1]);
      if (!pr)
        return error(
          404,
          'pull request does not exist [id: 0, issue: 0, head_repo: 0, base_repo: 0, head_branch: , base_branch: ]',
        );
      return reply(200, pullJson(pr));
    }
    return github
      ? error(404, 'Not Found')
      : reply(404, { errors: null, message: 'not found', url: SWAGGER });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  origin = `http://127.0.0.1:${port}`;
  return {
    url: origin,
    apiUrl: `${origin}${prefix}`,
    flavour,
    mirrors,
    ...state,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The environment a runner gives a step on this stand-in's forge (for runAction's `env`). */
export function forgeEnv(standin: ForgejoStandin, runNumber = '17'): Record<string, string | undefined> {
  return standin.flavour === 'forgejo'
    ? {
        GITHUB_SERVER_URL: `${standin.url}/`,
        GITHUB_API_URL: standin.apiUrl,
        FORGEJO_API_URL: standin.apiUrl,
        GITHUB_RUN_NUMBER: runNumber,
      }
    : { GITHUB_SERVER_URL: standin.url, GITHUB_API_URL: standin.apiUrl, GITHUB_RUN_NUMBER: runNumber };
}
