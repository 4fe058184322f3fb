import { ActionError } from '../../../shared/errors.js';

/**
 * The two Forgejo endpoints the action uses (routers/api/v1/repo/mirror.go, modules/structs/mirror.go):
 * `POST /api/v1/repos/{owner}/{repo}/push_mirrors-sync` syncs every push mirror of the repository and
 * answers 200, or 500 at the first mirror that failed; `GET …/push_mirrors` lists them with
 * `last_update` (RFC 3339, null before the first sync) and `last_error`. Both need a repo admin's token.
 */
export interface PushMirror {
  repo_name?: string;
  remote_name: string;
  remote_address: string;
  created?: string;
  last_update: string | null;
  last_error: string;
  interval?: string;
  sync_on_commit?: boolean;
}

export interface SyncAnswer {
  status: number;
  /** Forgejo's APIError message (empty for a 500 to non-admins in production). */
  message: string;
}

export interface ForgejoApi {
  listPushMirrors(): Promise<PushMirror[]>;
  syncPushMirrors(): Promise<SyncAnswer>;
}

export interface ForgejoApiOptions {
  baseUrl: URL;
  repository: string;
  token: string;
  timeoutMs?: number;
  /** The sync request runs every mirror's push before it answers: it gets the whole wait-timeout. */
  syncTimeoutMs?: number;
  fetchImpl?: typeof fetch;
}

/** A failure talking to Forgejo; network trouble and 5xx on reads are retryable. */
export class ForgejoApiError extends ActionError {
  constructor(
    reason: string,
    message: string,
    hint: string | undefined,
    readonly retryable: boolean,
  ) {
    super(reason, message, hint);
    this.name = 'ForgejoApiError';
  }
}

function apiBase(baseUrl: URL, repository: string): string {
  const root = baseUrl.href.replace(/\/+$/, '');
  const [owner, name] = repository.split('/');
  return `${root}/api/v1/repos/${encodeURIComponent(owner)}/${encodeURIComponent(name)}`;
}

async function messageOf(res: Response): Promise<string> {
  const body = await res.text().catch(() => '');
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // Not JSON (a proxy's error page): fall through to the status text.
  }
  return res.statusText;
}

function statusError(what: string, status: number, message: string, repository: string): ForgejoApiError {
  const said = message ? ` ("${message.slice(0, 200)}")` : '';
  if (status === 401 || status === 403) {
    return new ForgejoApiError(
      'auth',
      `${what} was refused with HTTP ${status}${said}.`,
      `Give 'forgejo-token' a token of a user with admin rights on ${repository} (scope write:repository).`,
      false,
    );
  }
  if (status === 404) {
    return new ForgejoApiError(
      'forgejo-sync-failed',
      `${what} answered HTTP 404${said}.`,
      `Check 'forgejo-url' and 'repository' (${repository}); the token must be able to see the repository.`,
      false,
    );
  }
  return new ForgejoApiError(
    status >= 500 ? 'network' : 'forgejo-sync-failed',
    `${what} answered HTTP ${status}${said}.`,
    status >= 500 ? 'Forgejo had a server error; check its log and re-run.' : undefined,
    status >= 500,
  );
}

export function createForgejoApi(opts: ForgejoApiOptions): ForgejoApi {
  const base = apiBase(opts.baseUrl, opts.repository);
  const doFetch = opts.fetchImpl ?? fetch;
  const request = async (
    what: string,
    method: string,
    path: string,
    timeoutMs: number,
  ): Promise<Response> => {
    try {
      return await doFetch(`${base}${path}`, {
        method,
        headers: { Authorization: `token ${opts.token}`, Accept: 'application/json' },
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'error',
      });
    } catch (e) {
      if ((e as Error).name === 'TimeoutError') {
        throw new ForgejoApiError(
          'timeout',
          `${what} got no answer within ${Math.round(timeoutMs / 1000)}s.`,
          "Check Forgejo's state or raise 'wait-timeout'.",
          false,
        );
      }
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (e as Error).message;
      throw new ForgejoApiError(
        'network',
        `${what} could not reach ${opts.baseUrl.origin}: ${why}.`,
        "Check 'forgejo-url' and that the runner can reach Forgejo.",
        true,
      );
    }
  };
  return {
    async listPushMirrors() {
      const what = `Listing the push mirrors of ${opts.repository}`;
      const res = await request(what, 'GET', '/push_mirrors?limit=50', opts.timeoutMs ?? 60_000);
      if (!res.ok) throw statusError(what, res.status, await messageOf(res), opts.repository);
      const body = (await res.json().catch(() => undefined)) as unknown;
      if (!Array.isArray(body)) {
        throw new ForgejoApiError(
          'forgejo-sync-failed',
          `${what} returned something that is not a list.`,
          undefined,
          false,
        );
      }
      return body as PushMirror[];
    },
    async syncPushMirrors() {
      const what = `Triggering the push mirror sync of ${opts.repository}`;
      const res = await request(
        what,
        'POST',
        '/push_mirrors-sync',
        opts.syncTimeoutMs ?? opts.timeoutMs ?? 60_000,
      );
      const message = res.ok ? '' : await messageOf(res);
      // A 500 is Forgejo saying one mirror failed: its last_error tells why, so the caller reads it.
      if (!res.ok && res.status !== 500) throw statusError(what, res.status, message, opts.repository);
      return { status: res.status, message };
    },
  };
}
