import { createHash, randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A Git LFS server stand-in (GitHub's LFS cannot run here), mounted by push-mirror-git-server.ts under
 * `/<repo>.git/info/lfs/` behind the same Basic-auth front as the smart-HTTP git server. It follows the
 * public specification in git-lfs/git-lfs:
 *  - docs/api/batch.md: `POST <endpoint>/objects/batch` with `Accept`/`Content-Type:
 *    application/vnd.git-lfs+json`, body `{ operation, transfers, ref, objects: [{ oid, size }] }`;
 *    answer `{ transfer: "basic", objects: [...] }` where an upload of an object the server already has
 *    comes back without `actions`, a download of a missing object carries
 *    `error: { code: 404, message: "Object does not exist" }`; request-level errors are
 *    `{ message, documentation_url, request_id }` with the HTTP status (401, 403, 404, 413, 422, 507, 509).
 *  - docs/api/basic-transfers.md: `actions.upload` is a `PUT href` of the raw bytes with the action's
 *    `header`, `actions.verify` a `POST href` of `{ oid, size }`, `actions.download` a `GET href`.
 *  - docs/api/locking.md: `POST <endpoint>/locks/verify` answers `{ ours: [], theirs: [] }`.
 * Like GitHub (whose `href`s point at a separate storage host and carry their own authorization in
 * `header`), transfers go to a second server on another port: the mirror token must never reach it,
 * and it accepts only the per-server storage header the batch answer handed out.
 *
 * Failure answers the tests inject are the servers' own:
 *  - GitHub over quota, 403: "This repository is over its data quota. Account responsible for LFS
 *    bandwidth should purchase more data packs to restore access." (a git-lfs trace in
 *    ARM-software/CMSIS_5#666; nabla-c0d3/nassl#99 on upload),
 *  - GitHub with LFS off: "Git LFS is disabled for this repository." (git-lfs/git-lfs#3260, #4664),
 *  - per object `[422] Size must be less than or equal to 2147483648` (git-lfs/git-lfs#4101, #5492),
 *  - Forgejo over its quota: 413 `{"message":"quota exceeded"}` (services/lfs/server.go, BatchHandler),
 *  - Forgejo/Gitea with `LFS_START_SERVER = false`: the whole /info/lfs route answers 404 through
 *    `ctx.Error(http.StatusNotFound)` (routers/web/web.go, lfsServerEnabled), which is Go's
 *    `http.Error`: `text/plain; charset=utf-8`, body "Not Found\n" (`plain` below).
 */
/** One counter for the git front and the LFS servers, so tests can order requests across them. */
let sequence = 0;
export function nextSeq(): number {
  return ++sequence;
}

export interface LfsRequest {
  seq: number;
  method: string;
  /** `batch`, `locks`, `upload`, `verify` or `download`. */
  kind: string;
  repo: string;
  operation?: string;
  oids: string[];
  status: number;
  /** The Authorization header as received. */
  authorization?: string;
}

export interface LfsFault {
  status: number;
  message: string;
  /** Only batch requests of this operation fail (default: both). */
  operation?: 'upload' | 'download';
  /** Answer as Go's http.Error does (Forgejo/Gitea `ctx.Error`): plain text, the status text only. */
  plain?: boolean;
}

export interface LfsServer {
  requests: LfsRequest[];
  /** Origin of the storage server (where hrefs point). */
  storageOrigin: string;
  /** Stores content for `repo` (as if pushed there before) and returns its oid. */
  put(repo: string, content: Buffer): string;
  has(repo: string, oid: string): boolean;
  oids(repo: string): string[];
  drop(repo: string, oid: string): void;
  /** Every object uploaded to `repo` from now on is accepted, then lost (the verification must see it). */
  loseUploads(repo: string): void;
  /** The next batch requests for `repo` fail with this status and message. */
  failBatch(repo: string, fault: LfsFault | undefined): void;
  /** Uploads of objects larger than `bytes` are refused per object (GitHub's 422 size limit). */
  sizeLimit(repo: string, bytes: number | undefined): void;
  /** Upload PUTs to `repo` answer this status (e.g. 413 from a proxy, 507 from the storage). */
  failUploads(repo: string, status: number | undefined): void;
  /** Messages the server adds to error answers (to test how remote text is echoed). */
  messageSuffix: string;
  /** Handles `/<repo>.git/info/lfs/<rest>`; the front has authenticated the request already. */
  handle(req: http.IncomingMessage, res: http.ServerResponse, repo: string, rest: string): void;
  stop(): Promise<void>;
}

const LFS_JSON = 'application/vnd.git-lfs+json';
const DOCS = 'https://lfs.example.invalid/docs/errors';

export function lfsOid(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

/** The pointer file git-lfs writes for `content` (docs/spec.md: version, oid, size, sorted keys). */
export function lfsPointer(content: Buffer): string {
  return `version https://git-lfs.github.com/spec/v1\noid sha256:${lfsOid(content)}\nsize ${content.length}\n`;
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

interface Repo {
  objects: Map<string, Buffer>;
  lose: boolean;
  fault?: LfsFault;
  sizeLimit?: number;
  uploadStatus?: number;
}

export async function startLfsServer(): Promise<LfsServer> {
  const repos = new Map<string, Repo>();
  const requests: LfsRequest[] = [];
  const storageToken = randomBytes(16).toString('hex');
  const repo = (name: string): Repo => {
    let r = repos.get(name);
    if (!r) {
      r = { objects: new Map(), lose: false };
      repos.set(name, r);
    }
    return r;
  };
  const self: LfsServer = {
    requests,
    storageOrigin: '',
    messageSuffix: '',
    put(name, content) {
      const oid = lfsOid(content);
      repo(name).objects.set(oid, content);
      return oid;
    },
    has: (name, oid) => repo(name).objects.has(oid),
    oids: (name) => [...repo(name).objects.keys()],
    drop: (name, oid) => void repo(name).objects.delete(oid),
    loseUploads: (name) => void (repo(name).lose = true),
    failBatch: (name, fault) => void (repo(name).fault = fault),
    sizeLimit: (name, bytes) => void (repo(name).sizeLimit = bytes),
    failUploads: (name, status) => void (repo(name).uploadStatus = status),
    handle(req, res, name, rest) {
      const record: LfsRequest = {
        seq: nextSeq(),
        method: req.method ?? '',
        kind: rest.startsWith('locks') ? 'locks' : 'batch',
        repo: name,
        oids: [],
        status: 0,
        authorization: req.headers.authorization,
      };
      requests.push(record);
      const json = (status: number, body: unknown) => {
        record.status = status;
        res.writeHead(status, { 'Content-Type': LFS_JSON });
        res.end(JSON.stringify(body));
      };
      const failure = (status: number, message: string) =>
        json(status, {
          message: message + self.messageSuffix,
          documentation_url: DOCS,
          request_id: randomBytes(4).toString('hex'),
        });
      void readBody(req).then(
        (body) => {
          if (req.method === 'POST' && rest === 'locks/verify') return json(200, { ours: [], theirs: [] });
          if (req.method !== 'POST' || rest !== 'objects/batch') return failure(404, 'Not found');
          if (!(req.headers.accept ?? '').includes(LFS_JSON)) return failure(406, 'Not acceptable');
          let batch: { operation?: string; objects?: Array<{ oid: string; size: number }> };
          try {
            batch = JSON.parse(body.toString('utf8'));
          } catch {
            return failure(422, 'Invalid JSON');
          }
          const r = repo(name);
          record.operation = batch.operation;
          record.oids = (batch.objects ?? []).map((o) => o.oid);
          if (r.fault && (!r.fault.operation || r.fault.operation === batch.operation)) {
            if (!r.fault.plain) return failure(r.fault.status, r.fault.message);
            record.status = r.fault.status;
            res.writeHead(r.fault.status, {
              'Content-Type': 'text/plain; charset=utf-8',
              'X-Content-Type-Options': 'nosniff',
            });
            return res.end(`${http.STATUS_CODES[r.fault.status]}\n`);
          }
          const objects = (batch.objects ?? []).map(({ oid, size }) => {
            const href = `${self.storageOrigin}/${encodeURIComponent(name)}/${oid}`;
            const header = { Authorization: `RemoteAuth ${storageToken}` };
            if (batch.operation === 'download') {
              return r.objects.has(oid)
                ? {
                    oid,
                    size,
                    authenticated: true,
                    actions: { download: { href, header, expires_in: 3600 } },
                  }
                : { oid, size, error: { code: 404, message: 'Object does not exist' + self.messageSuffix } };
            }
            if (r.sizeLimit !== undefined && size > r.sizeLimit) {
              const message = `Size must be less than or equal to ${r.sizeLimit}${self.messageSuffix}`;
              return { oid, size, error: { code: 422, message } };
            }
            if (r.objects.has(oid)) return { oid, size };
            return {
              oid,
              size,
              authenticated: true,
              actions: {
                upload: { href, header, expires_in: 3600 },
                verify: { href: `${href}/verify`, header, expires_in: 3600 },
              },
            };
          });
          json(200, { transfer: 'basic', objects });
        },
        () => failure(400, 'Bad request'),
      );
    },
    stop: async () => undefined,
  };

  // The storage host: GET/PUT /<repo>/<oid>, POST /<repo>/<oid>/verify (basic-transfers.md).
  const storage = http.createServer((req, res) => {
    const m = /^\/([^/]+)\/([0-9a-f]{64})(\/verify)?$/.exec(req.url ?? '');
    const record: LfsRequest = {
      seq: nextSeq(),
      method: req.method ?? '',
      kind: m?.[3] ? 'verify' : req.method === 'PUT' ? 'upload' : 'download',
      repo: m ? decodeURIComponent(m[1]) : '',
      oids: m ? [m[2]] : [],
      status: 0,
      authorization: req.headers.authorization,
    };
    requests.push(record);
    const answer = (status: number, body: string | Buffer = '') => {
      record.status = status;
      res.writeHead(status, {
        'Content-Type': typeof body === 'string' ? LFS_JSON : 'application/octet-stream',
      });
      res.end(body);
    };
    void readBody(req).then((body) => {
      if (!m) return answer(404, JSON.stringify({ message: 'Not found' }));
      if (req.headers.authorization !== `RemoteAuth ${storageToken}`) {
        return answer(401, JSON.stringify({ message: 'Bad storage credentials' }));
      }
      const r = repo(record.repo);
      const oid = m[2];
      if (m[3]) {
        // Verify: the object must be stored now (a lost upload is still "verified" by a careless host).
        return answer(r.objects.has(oid) || r.lose ? 200 : 404, JSON.stringify({}));
      }
      if (req.method === 'PUT') {
        if (r.uploadStatus) {
          const message = r.uploadStatus === 413 ? 'Request Entity Too Large' : 'Insufficient Storage';
          return answer(r.uploadStatus, JSON.stringify({ message: message + self.messageSuffix }));
        }
        if (lfsOid(body) !== oid)
          return answer(422, JSON.stringify({ message: 'Content does not match oid' }));
        if (!r.lose) r.objects.set(oid, body);
        return answer(200);
      }
      const content = r.objects.get(oid);
      return content
        ? answer(200, content)
        : answer(404, JSON.stringify({ message: 'Object does not exist' }));
    });
  });
  await new Promise<void>((resolve) => storage.listen(0, '127.0.0.1', resolve));
  self.storageOrigin = `http://127.0.0.1:${(storage.address() as AddressInfo).port}`;
  self.stop = async () => {
    storage.closeAllConnections();
    await new Promise<void>((resolve) => storage.close(() => resolve()));
  };
  return self;
}
