// A Git LFS server for the LFS mirror benchmark (git-lfs docs/api/batch.md and basic-transfers.md):
// `POST <repo>.git/info/lfs/objects/batch` answers upload actions for objects it lacks (none for those it
// has) and download actions for those it has; `PUT`/`GET /lfs-storage/<repo>/<oid>` store and serve the
// bytes on disk (sha256 checked on upload). Mounted by bench/lib/git-server.mjs behind its Basic-auth
// front; the test suite's stand-in (test/support/push-mirror-lfs-server.ts) is the one with faults.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

const LFS_JSON = 'application/vnd.git-lfs+json';

export function createLfsHandler(root) {
  const dir = (repo) => path.join(root, 'lfs', repo);
  const file = (repo, oid) => path.join(dir(repo), oid);
  const json = (res, status, body) => {
    res.writeHead(status, { 'Content-Type': LFS_JSON });
    res.end(JSON.stringify(body));
  };
  /** Handles the request when it is an LFS one; returns false otherwise. */
  return function handle(req, res, url, origin) {
    const batch = /^\/(.+)\.git\/info\/lfs\/objects\/batch$/.exec(url.pathname);
    const storage = /^\/lfs-storage\/([^/]+)\/([0-9a-f]{64})$/.exec(url.pathname);
    if (batch && req.method === 'POST') {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const repo = batch[1];
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        const objects = body.objects.map(({ oid, size }) => {
          const have = fs.existsSync(file(repo, oid));
          const href = `${origin}/lfs-storage/${encodeURIComponent(repo)}/${oid}`;
          if (body.operation === 'download') {
            return have
              ? { oid, size, actions: { download: { href } } }
              : { oid, size, error: { code: 404, message: 'Object does not exist' } };
          }
          return have ? { oid, size } : { oid, size, actions: { upload: { href } } };
        });
        json(res, 200, { transfer: 'basic', objects });
      });
      return true;
    }
    if (storage && req.method === 'PUT') {
      const [, repo, oid] = storage;
      fs.mkdirSync(dir(repo), { recursive: true });
      const tmp = `${file(repo, oid)}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
      const out = fs.createWriteStream(tmp);
      const hash = createHash('sha256');
      req.on('data', (c) => hash.update(c));
      req.pipe(out);
      out.on('finish', () => {
        if (hash.digest('hex') !== oid) {
          fs.rmSync(tmp, { force: true });
          json(res, 422, { message: 'content does not match the oid' });
          return;
        }
        fs.renameSync(tmp, file(repo, oid));
        res.writeHead(200);
        res.end();
      });
      return true;
    }
    if (storage && req.method === 'GET') {
      const f = file(storage[1], storage[2]);
      if (!fs.existsSync(f)) {
        json(res, 404, { message: 'Object does not exist' });
        return true;
      }
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      fs.createReadStream(f).pipe(res);
      return true;
    }
    if (/\/info\/lfs\//.test(url.pathname)) {
      json(res, 404, { message: 'Not found' });
      return true;
    }
    return false;
  };
}
