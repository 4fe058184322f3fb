import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for the two Forgejo endpoints push-mirror uses (Forgejo cannot run here). Shapes follow
 * Forgejo's source:
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

export interface ForgejoStandin {
  /** http://127.0.0.1:<port> (the Forgejo root URL). */
  url: string;
  mirrors: StandinPushMirror[];
  requests: Array<{ method: string; path: string; status: number; authorization?: string }>;
  stop(): Promise<void>;
}

const SWAGGER = 'http://127.0.0.1/api/swagger';

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

export async function startForgejoApi(opts: {
  token: string;
  repository: string;
  mirrors: StandinPushMirror[];
  sync: Record<string, SyncBehaviour>;
}): Promise<ForgejoStandin> {
  const requests: ForgejoStandin['requests'] = [];
  const base = `/api/v1/repos/${opts.repository}`;
  const server = http.createServer((req, res) => {
    void (async () => {
      const record = {
        method: req.method ?? 'GET',
        path: req.url ?? '',
        status: 0,
        authorization: req.headers.authorization,
      };
      requests.push(record);
      const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        record.status = status;
        res.writeHead(status, { 'Content-Type': 'application/json;charset=utf-8', ...headers });
        res.end(body === undefined ? '' : JSON.stringify(body));
      };
      req.resume();
      const m = /^(?:token|bearer)\s+(\S+)$/i.exec(req.headers.authorization ?? '');
      if (!m || m[1] !== opts.token)
        return json(401, { message: 'user does not exist [uid: 0, name: ]', url: SWAGGER });
      const u = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (!u.pathname.startsWith(`${base}/`)) {
        return json(404, {
          errors: ['repository not found'],
          message: "The target couldn't be found.",
          url: SWAGGER,
        });
      }
      const rest = u.pathname.slice(base.length);
      if (rest === '/push_mirrors' && req.method === 'GET') {
        return json(200, opts.mirrors, { 'X-Total-Count': String(opts.mirrors.length) });
      }
      if (rest === '/push_mirrors-sync' && req.method === 'POST') {
        for (const mirror of opts.mirrors) {
          mirror.last_error = '';
          const outcome = await (opts.sync[mirror.remote_address] ?? (async () => ({})))();
          if (outcome === 'never-updates') continue;
          mirror.last_update = forgejoTime();
          if (outcome.error) {
            mirror.last_error = outcome.error;
            return json(500, { message: '', url: SWAGGER });
          }
        }
        return json(200, undefined);
      }
      return json(404, { errors: null, message: 'not found', url: SWAGGER });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    mirrors: opts.mirrors,
    requests,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
