// A smart-HTTP git server on loopback: `git http-backend` as CGI behind a Node front that demands HTTP
// Basic auth with one token (as GitHub does for pushes). Used by the push-mirror overhead benchmark.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { createLfsHandler } from './lfs-server.mjs';

function parseCgi(out) {
  let end = out.indexOf('\r\n\r\n');
  let sep = 4;
  if (end < 0) {
    end = out.indexOf('\n\n');
    sep = 2;
  }
  if (end < 0) return { status: 502, headers: [], body: out };
  const headers = [];
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

export async function startGitServer({ root, token, lfs = false }) {
  fs.mkdirSync(root, { recursive: true });
  let requests = 0;
  let origin = '';
  // With lfs, `<repo>.git/info/lfs/…` is a Git LFS server (bench/lib/lfs-server.mjs) behind the same front.
  const lfsHandler = lfs ? createLfsHandler(root) : undefined;
  const server = http.createServer((req, res) => {
    requests++;
    const m = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    const decoded = m ? Buffer.from(m[1], 'base64').toString('utf8') : '';
    if (!m || decoded.slice(decoded.indexOf(':') + 1) !== token) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="bench"' });
      res.end();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (lfsHandler?.(req, res, url, origin)) return;
    const child = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH,
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        REMOTE_USER: decoded.slice(0, decoded.indexOf(':')) || 'git',
        REQUEST_METHOD: req.method ?? 'GET',
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.replace(/^\?/, ''),
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        HTTP_CONTENT_ENCODING: req.headers['content-encoding'] ?? '',
        GIT_PROTOCOL: req.headers['git-protocol'] ?? '',
      },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    const chunks = [];
    child.stdout.on('data', (c) => chunks.push(c));
    req.pipe(child.stdin);
    child.on('close', () => {
      const out = parseCgi(Buffer.concat(chunks));
      res.writeHead(out.status, out.headers);
      res.end(out.body);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = server.address().port;
  origin = `http://127.0.0.1:${port}`;
  return {
    root,
    url: (repo) => `http://127.0.0.1:${port}/${repo}.git`,
    repoDir: (repo) => path.join(root, `${repo}.git`),
    requests: () => requests,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
