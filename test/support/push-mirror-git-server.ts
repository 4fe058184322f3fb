import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { nextSeq, startLfsServer, type LfsServer } from './push-mirror-lfs-server.js';
import { requireTool } from './tools.js';

/**
 * A real smart-HTTP git server on loopback for the push-mirror tests: `git http-backend` run as CGI
 * behind a small Node server that demands HTTP Basic auth with the test token, like GitHub does for
 * pushes. Faults are injected the way a real host produces them: 5xx answers from the front, and
 * rejections from a real `pre-receive` hook printing GitHub's messages:
 *  - "GH006: Protected branch update failed for refs/heads/main." / "Cannot force-push to a protected
 *    branch." (hexojs/hexo#2817, grafana/mimir#14809),
 *  - "refusing to allow a Personal Access Token to create or update workflow `.github/workflows/x.yml`
 *    without `workflow` scope" (flashcatcloud/categraf#34, DataChefHQ/aws-data-landing-zone#29).
 * GitHub reports the workflow text as the ref's rejection reason; a hook can only print it as
 * `remote: error: …` with "(pre-receive hook declined)" — the classifier must handle both.
 * Git LFS requests (`/<repo>.git/info/lfs/…`) pass the same Basic-auth front and go to the LFS
 * stand-in (push-mirror-lfs-server.ts); they are recorded here too, so tests can check their order
 * against the git requests.
 */
export interface GitRequest {
  /** Order across this server and the LFS storage server. */
  seq: number;
  method: string;
  path: string;
  status: number;
  /** The Authorization header as received (to prove the token never travels in the URL). */
  authorization?: string;
}

export interface GitServer {
  /** http://127.0.0.1:<port> */
  baseUrl: string;
  root: string;
  url(repo: string): string;
  requests: GitRequest[];
  /** Creates an empty bare repository `<repo>.git` (default branch main) and returns its path. */
  createRepo(repo: string): string;
  /** Answers the next `count` requests with `status` (503 by default) before reaching git. */
  failNext(count: number, status?: number): void;
  /** Rejects force updates and deletions of `ref` with GitHub's GH006 messages. */
  protect(repo: string, ref: string): void;
  /** Rejects pushes whose new commits touch .github/workflows (a token without the Workflows permission). */
  blockWorkflows(repo: string): void;
  /** After every accepted push, something else writes the mirror: creates refs/heads/rogue. */
  tamperAfterPush(repo: string): void;
  /** Stops advertising the `atomic` capability (receive.advertiseAtomic=false), like older servers. */
  withoutAtomic(repo: string): void;
  /** The pre-receive hook prints this text (as a host's hook or banner would); with reject it refuses the push. */
  hookMessage(repo: string, text: string, opts?: { reject?: boolean }): void;
  /** The Git LFS stand-in behind this server's front. */
  lfs: LfsServer;
  stop(): Promise<void>;
}

const PRE_RECEIVE = `#!/bin/sh
# Test mirror policy (see push-mirror-git-server.ts): GitHub's branch protection and workflow scope check.
z=0000000000000000000000000000000000000000
status=0
[ -f "$GIT_DIR/hook-message" ] && cat "$GIT_DIR/hook-message" >&2
[ -f "$GIT_DIR/hook-reject" ] && status=1
while read old new ref; do
  if [ -f "$GIT_DIR/protected-branches" ] && grep -qx "$ref" "$GIT_DIR/protected-branches"; then
    if [ "$new" = "$z" ]; then
      echo "error: GH006: Protected branch update failed for $ref." >&2
      echo "error: Cannot delete this protected branch." >&2
      status=1
    elif [ "$old" != "$z" ] && ! git merge-base --is-ancestor "$old" "$new"; then
      echo "error: GH006: Protected branch update failed for $ref." >&2
      echo "error: Cannot force-push to a protected branch." >&2
      status=1
    fi
  fi
  if [ -f "$GIT_DIR/block-workflows" ] && [ "$new" != "$z" ]; then
    if [ "$old" = "$z" ]; then range="$new --not --all"; else range="$old..$new"; fi
    wf=$(git log --format= --name-only $range -- .github/workflows | grep . | head -n 1)
    if [ -n "$wf" ]; then
      echo "error: refusing to allow a Personal Access Token to create or update workflow \\\`$wf\\\` without \\\`workflow\\\` scope" >&2
      status=1
    fi
  fi
done
exit $status
`;

const POST_RECEIVE = `#!/bin/sh
if [ -f "$GIT_DIR/tamper" ]; then
  sha=$(git for-each-ref --count=1 --format='%(objectname)' refs/heads/)
  [ -n "$sha" ] && git update-ref refs/heads/rogue "$sha"
fi
exit 0
`;

function parseCgi(out: Buffer): { status: number; headers: Array<[string, string]>; body: Buffer } {
  let end = out.indexOf('\r\n\r\n');
  let sep = 4;
  if (end < 0) {
    end = out.indexOf('\n\n');
    sep = 2;
  }
  if (end < 0) return { status: 502, headers: [], body: out };
  const headers: Array<[string, string]> = [];
  let status = 200;
  for (const line of out.subarray(0, end).toString('latin1').split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const name = line.slice(0, i).trim();
    const value = line.slice(i + 1).trim();
    if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 200;
    else headers.push([name, value]);
  }
  return { status, headers, body: out.subarray(end + sep) };
}

export async function startGitServer(opts: {
  token: string;
  /** Further tokens the front accepts (a source and a mirror token in one server). */
  tokens?: string[];
}): Promise<GitServer> {
  const git = requireTool('git');
  const lfs = await startLfsServer();
  const tokens = new Set([opts.token, ...(opts.tokens ?? [])]);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pm-git-server-'));
  const requests: GitRequest[] = [];
  let failures = 0;
  let failStatus = 503;
  const children = new Set<ReturnType<typeof spawn>>();

  const authorized = (header: string | undefined): string | undefined => {
    const m = /^Basic\s+(\S+)$/i.exec(header ?? '');
    if (!m) return undefined;
    const decoded = Buffer.from(m[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0 || !tokens.has(decoded.slice(colon + 1))) return undefined;
    return decoded.slice(0, colon) || 'git';
  };

  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    const record: GitRequest = {
      seq: nextSeq(),
      method: req.method ?? 'GET',
      path: req.url ?? '',
      status: 0,
      authorization: req.headers.authorization,
    };
    requests.push(record);
    const answer = (status: number, headers: Record<string, string>, body: string) => {
      record.status = status;
      req.resume();
      res.writeHead(status, { 'Content-Type': 'text/plain', ...headers });
      res.end(body);
    };
    if (failures > 0) {
      failures--;
      answer(failStatus, {}, 'Service Unavailable\n');
      return;
    }
    const user = authorized(req.headers.authorization);
    if (!user) {
      answer(401, { 'WWW-Authenticate': 'Basic realm="GitHub"' }, 'Invalid username or token.\n');
      return;
    }
    const lfsPath = /^\/(.+)\.git\/info\/lfs\/(.*)$/.exec(u.pathname);
    if (lfsPath) {
      res.on('finish', () => (record.status = res.statusCode));
      lfs.handle(req, res, decodeURIComponent(lfsPath[1]), lfsPath[2]);
      return;
    }
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: root,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      REMOTE_USER: user,
      REMOTE_ADDR: '127.0.0.1',
      REQUEST_METHOD: req.method,
      PATH_INFO: decodeURIComponent(u.pathname),
      QUERY_STRING: u.search.replace(/^\?/, ''),
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      HTTP_CONTENT_ENCODING: req.headers['content-encoding'] ?? '',
      HTTP_GIT_PROTOCOL: (req.headers['git-protocol'] as string | undefined) ?? '',
    };
    if (req.headers['content-length']) env.CONTENT_LENGTH = req.headers['content-length'];
    const child = spawn(git, ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(child);
    const out: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', () => undefined);
    child.stdin.on('error', () => undefined);
    req.pipe(child.stdin);
    child.on('close', () => {
      children.delete(child);
      const cgi = parseCgi(Buffer.concat(out));
      record.status = cgi.status;
      res.writeHead(cgi.status, cgi.headers);
      res.end(cgi.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const baseUrl = `http://127.0.0.1:${port}`;
  const repoDir = (repo: string) => path.join(root, `${repo}.git`);

  return {
    baseUrl,
    root,
    url: (repo) => `${baseUrl}/${repo}.git`,
    requests,
    lfs,
    createRepo(repo) {
      const dir = repoDir(repo);
      const r = spawnSyncGit(git, ['init', '--quiet', '--bare', '-b', 'main', dir]);
      if (r !== 0) throw new Error(`git init --bare ${dir} failed`);
      fs.writeFileSync(path.join(dir, 'hooks', 'pre-receive'), PRE_RECEIVE, { mode: 0o755 });
      fs.writeFileSync(path.join(dir, 'hooks', 'post-receive'), POST_RECEIVE, { mode: 0o755 });
      return dir;
    },
    failNext(count, status = 503) {
      failures = count;
      failStatus = status;
    },
    protect(repo, ref) {
      fs.appendFileSync(path.join(repoDir(repo), 'protected-branches'), `${ref}\n`);
    },
    blockWorkflows(repo) {
      fs.writeFileSync(path.join(repoDir(repo), 'block-workflows'), '');
    },
    tamperAfterPush(repo) {
      fs.writeFileSync(path.join(repoDir(repo), 'tamper'), '');
    },
    withoutAtomic(repo) {
      if (
        spawnSyncGit(git, ['--git-dir', repoDir(repo), 'config', 'receive.advertiseAtomic', 'false']) !== 0
      ) {
        throw new Error(`git config in ${repoDir(repo)} failed`);
      }
    },
    hookMessage(repo, text, o = {}) {
      fs.writeFileSync(path.join(repoDir(repo), 'hook-message'), text);
      if (o.reject) fs.writeFileSync(path.join(repoDir(repo), 'hook-reject'), '');
    },
    async stop() {
      await lfs.stop();
      for (const c of children) c.kill('SIGKILL');
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

function spawnSyncGit(git: string, args: string[]): number {
  return spawnSync(git, args, { stdio: 'ignore' }).status ?? 1;
}
