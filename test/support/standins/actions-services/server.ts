import { createHash, randomBytes, randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { corruptFileIn } from './archive.js';
import { readZip, type ZipEntry } from './zip.js';

/**
 * A stand-in for the Actions services `@actions/cache` 6.x and `@actions/artifact` 6.x talk to (neither
 * GitHub's results service nor Forgejo can run here), on one loopback port, written from the protocol
 * the toolkit speaks and the servers answer:
 *
 * - **Cache v1** (forgejo-runner's cache server, and GitHub hosts without ACTIONS_CACHE_SERVICE_V2), at
 *   `ACTIONS_CACHE_URL` = `<origin>/<random>/` like forgejo-runner's per-job proxy. Client: toolkit
 *   packages/cache/src/internal/cacheHttpClient.ts (getCacheEntry, reserveCache, uploadChunk with
 *   `Content-Range: bytes a-b/*`, commitCache, downloadCacheHttpClient). Server: nektos/act
 *   pkg/artifactcache/handler.go, which forgejo-runner serves: `GET _apis/artifactcache/cache?keys=&version=`
 *   (keys lower-cased, each matched exactly then as a prefix, newest complete entry first; 204 on a miss,
 *   200 `{result, archiveLocation, cacheKey}`), `POST caches {key, version, cacheSize}` → `{cacheId}`,
 *   `PATCH caches/:id`, `POST caches/:id {size}`, `GET artifacts/:id` (the archive, no auth).
 * - **Cache v2** (github.com with ACTIONS_CACHE_SERVICE_V2, toolkit config.ts getCacheServiceVersion):
 *   Twirp JSON `github.actions.results.api.v1.CacheService` at ACTIONS_RESULTS_URL — GetCacheEntryDownloadURL
 *   `{key, restore_keys, version}` → `{ok, signed_download_url, matched_key}` (`ok: false` is a miss,
 *   cache.ts restoreCacheV2), CreateCacheEntry `{key, version}` → `{ok, signed_upload_url, message}`,
 *   FinalizeCacheEntryUpload `{key, version, size_bytes}` → `{ok, entry_id}` (generated/results/api/v1/
 *   cache.ts); the archive goes to the signed URL with the Azure SDK (uploadUtils.ts, a single Put Blob
 *   up to 128 MiB) and comes back by a plain GET (downloadUtils.ts, not a *.blob.core.windows.net host).
 * - **Artifacts v4**: Twirp JSON `github.actions.results.api.v1.ArtifactService` — CreateArtifact
 *   `{workflow_run_backend_id, workflow_job_run_backend_id, name, version, mime_type}` → `{ok,
 *   signed_upload_url}`, the zip to the signed URL in Azure block-blob style (`comp=block&blockid=…` PUTs,
 *   then `comp=blocklist` with `<BlockList><Latest>…`; toolkit upload/blob-upload.ts → BlockBlobClient
 *   uploadStream), FinalizeArtifact `{…, name, size, hash: "sha256:<hex>"}` → `{ok, artifact_id}`,
 *   ListArtifacts (toolkit upload/upload-artifact.ts, generated/results/api/v1/artifact.ts). GitHub's
 *   Twirp server answers with proto field names (the toolkit masks `signed_upload_url`, util.ts
 *   maskSecretUrls); Forgejo (routers/api/actions/artifactsv4.go) answers protojson's lowerCamelCase
 *   (`signedUploadUrl`, `artifactId`), signs an upload URL on its own route
 *   (`/twirp/…ArtifactService/UploadArtifact?sig=…&expires=…&artifactName=…&taskID=…&artifactID=…`),
 *   keeps blocks per blockid and merges them by the block list, checks the hash on finalize, re-uses an
 *   artifact of the same name in the run, and answers ListArtifacts with 404 when the run has none.
 *   GitHub refuses a second artifact of the same name in a run (409 `already_exists`).
 * - The job token: a JWT whose `scp` claim carries `Actions.Results:<run>:<job>` (toolkit
 *   shared/util.ts getBackendIdsFromToken; Forgejo services/actions/auth.go). Twirp errors are
 *   `{code, msg}` (twitchtv/twirp PROTOCOL.md).
 *
 * Every request is recorded. Faults per service: `http-500` (every request of that service answers
 * 500, as a failing backend does) and `stall` (the request is read and never answered). "Down" is a URL
 * nobody listens on (`unreachableUrl()`).
 */
export type Fault =
  | 'none'
  | 'http-500'
  | 'stall'
  /** The next `times` requests answer `status` with this Twirp `msg` (or JSON error), then normal service. */
  | { status: number; msg: string; times: number };
export type Service = 'cache-v1' | 'cache-v2' | 'artifacts' | 'blob' | 'cache-archive';

export interface RecordedRequest {
  service: Service;
  method: string;
  path: string;
  query: Record<string, string>;
  authorization?: string;
  contentRange?: string;
  body: Buffer;
  status: number;
}

export interface StoredArtifact {
  id: number;
  name: string;
  size: number;
  sha256: string;
  finalized: boolean;
  zip?: Buffer;
}

export interface StoredCacheEntry {
  id: number;
  key: string;
  version: string;
  complete: boolean;
  data?: Buffer;
  createdAt: number;
  protocol: 'v1' | 'v2';
}

export interface ActionsServices {
  forge: 'github' | 'forgejo';
  origin: string;
  /** ACTIONS_RESULTS_URL (artifacts v4, cache v2). */
  resultsUrl: string;
  /** ACTIONS_CACHE_URL (cache v1), a per-job prefix like forgejo-runner's proxy. */
  cacheUrl: string;
  runtimeToken: string;
  /** The job environment a runner of this forge would give: server URL, service URLs, token. */
  env(o?: { cache?: 'v1' | 'v2' | 'none'; artifacts?: boolean }): Record<string, string>;
  requests: RecordedRequest[];
  faults: Record<'cache' | 'artifacts', Fault>;
  artifacts: StoredArtifact[];
  cacheEntries: StoredCacheEntry[];
  /** The files of a finalized artifact, read from its zip. */
  artifactFiles(name: string): ZipEntry[];
  /** Damages the stored archive of the newest complete cache entry whose key starts with `keyPrefix`. */
  damageCacheEntry(keyPrefix: string, how: { corruptFile: string } | 'truncate'): void;
  stop(): Promise<void>;
}

const ARTIFACT_SERVICE = '/twirp/github.actions.results.api.v1.ArtifactService/';
const CACHE_SERVICE = '/twirp/github.actions.results.api.v1.CacheService/';

function b64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

/** A job token shaped like GitHub's and Forgejo's (the toolkit decodes it without verifying). */
export function runtimeToken(scp: string | undefined): string {
  const payload: Record<string, unknown> = { exp: Math.floor(Date.now() / 1000) + 3600 };
  if (scp !== undefined) payload.scp = scp;
  return `${b64url(JSON.stringify({ typ: 'JWT', alg: 'HS256' }))}.${b64url(JSON.stringify(payload))}.${b64url(randomBytes(32))}`;
}

/** A URL on a loopback port nobody listens on: the service is down. */
export async function unreachableUrl(): Promise<string> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${port}/`;
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

/** Go's protojson names: proto field names (GitHub's Twirp server) or lowerCamelCase (Forgejo). */
function casing(forge: 'github' | 'forgejo', obj: Record<string, unknown>): Record<string, unknown> {
  if (forge === 'github') return obj;
  return Object.fromEntries(
    Object.entries(obj).map(([k, v]) => [k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), v]),
  );
}

/** Reads a Twirp JSON request field by proto name or json name (protojson accepts both). */
function field(body: Record<string, unknown>, name: string): unknown {
  const camel = name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  return body[name] ?? body[camel];
}

export async function startActionsServices(forge: 'github' | 'forgejo', o: { scp?: string | null } = {}) {
  const runId = forge === 'github' ? randomUUID() : '21';
  const jobId = forge === 'github' ? randomUUID() : '49';
  const scp =
    o.scp === null ? undefined : (o.scp ?? `Actions.GenericRead:${runId} Actions.Results:${runId}:${jobId}`);
  const token = runtimeToken(scp);
  const cachePrefix = `/${randomBytes(8).toString('hex')}`;
  const sockets = new Set<Socket>();
  const requests: RecordedRequest[] = [];
  const faults: ActionsServices['faults'] = { cache: 'none', artifacts: 'none' };
  const artifacts: StoredArtifact[] = [];
  const cacheEntries: StoredCacheEntry[] = [];
  /** Signed blob URLs handed out: path → { sig, blocks, data, owner }. */
  const blobs = new Map<
    string,
    { sig: string; blocks: Map<string, Buffer>; data?: Buffer; owner: 'artifact' | 'cache'; id: number }
  >();
  let nextId = 1;
  let origin = '';

  const server = http.createServer((req, res) => {
    void handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(e));
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  function json(res: http.ServerResponse, status: number, body?: unknown): number {
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
    return status;
  }

  function twirpError(res: http.ServerResponse, status: number, code: string, msg: string): number {
    return json(res, status, { code, msg });
  }

  function authorized(req: http.IncomingMessage): boolean {
    return req.headers.authorization === `Bearer ${token}`;
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', origin);
    const body = await readBody(req);
    const service: Service = url.pathname.startsWith(`${cachePrefix}/_apis/artifactcache/artifacts/`)
      ? 'cache-archive'
      : url.pathname.startsWith(`${cachePrefix}/_apis/artifactcache/`)
        ? 'cache-v1'
        : url.pathname.startsWith(CACHE_SERVICE)
          ? 'cache-v2'
          : url.pathname.startsWith(ARTIFACT_SERVICE) && !url.pathname.endsWith('/UploadArtifact')
            ? 'artifacts'
            : 'blob';
    const record: RecordedRequest = {
      service,
      method: req.method ?? '',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      authorization: req.headers.authorization,
      contentRange: req.headers['content-range'],
      body,
      status: 0,
    };
    requests.push(record);
    const blob = service === 'blob' ? blobs.get(url.pathname) : undefined;
    const fault =
      service === 'artifacts' || blob?.owner === 'artifact'
        ? faults.artifacts
        : service === 'blob' && !blob
          ? 'none'
          : faults.cache;
    if (fault === 'stall') return; // read, never answered
    if (fault !== 'none') {
      const status = fault === 'http-500' ? 500 : fault.status;
      const msg = fault === 'http-500' ? 'stand-in: the backend failed' : fault.msg;
      if (typeof fault === 'object' && --fault.times <= 0) {
        if (service === 'artifacts' || blob?.owner === 'artifact') faults.artifacts = 'none';
        else faults.cache = 'none';
      }
      record.status =
        service === 'artifacts' || service === 'cache-v2'
          ? twirpError(res, status, status >= 500 ? 'internal' : 'invalid_argument', msg)
          : json(res, status, { error: msg });
      return;
    }
    if (service === 'cache-v1') record.status = cacheV1(req, res, url, body);
    else if (service === 'cache-archive') record.status = cacheArchive(res, url);
    else if (service === 'cache-v2') record.status = cacheV2(req, res, url, body);
    else if (service === 'artifacts') record.status = artifactService(req, res, url, body);
    else record.status = blobStorage(req, res, url, body);
  }

  // --- cache v1 (act pkg/artifactcache/handler.go) -----------------------------------------------------
  function findEntry(keys: string[], version: string, protocol: 'v1' | 'v2', prefixesOnly: string[] = []) {
    const complete = cacheEntries
      .filter((e) => e.complete && e.version === version && e.protocol === protocol)
      .sort((a, b) => b.createdAt - a.createdAt || b.id - a.id);
    for (const key of keys) {
      const exact = complete.find((e) => e.key === key);
      if (exact) return exact;
      if (protocol === 'v1' || prefixesOnly.includes(key)) {
        const prefix = complete.find((e) => e.key.startsWith(key));
        if (prefix) return prefix;
      }
    }
    return undefined;
  }

  function cacheV1(req: http.IncomingMessage, res: http.ServerResponse, url: URL, body: Buffer): number {
    const rest = url.pathname.slice(`${cachePrefix}/_apis/artifactcache/`.length);
    if (req.method === 'GET' && rest === 'cache') {
      const keys = (url.searchParams.get('keys') ?? '').split(',').map((k) => k.toLowerCase());
      const entry = findEntry(keys, url.searchParams.get('version') ?? '', 'v1');
      if (!entry) {
        res.writeHead(204);
        res.end();
        return 204;
      }
      return json(res, 200, {
        result: 'hit',
        archiveLocation: `${origin}${cachePrefix}/_apis/artifactcache/artifacts/${entry.id}`,
        cacheKey: entry.key,
      });
    }
    if (req.method === 'POST' && rest === 'caches') {
      const api = JSON.parse(body.toString('utf8')) as { key: string; version: string };
      const entry: StoredCacheEntry = {
        id: nextId++,
        key: api.key.toLowerCase(),
        version: api.version,
        complete: false,
        createdAt: Date.now(),
        protocol: 'v1',
      };
      cacheEntries.push(entry);
      chunks.set(entry.id, []);
      return json(res, 200, { cacheId: entry.id });
    }
    const m = /^caches\/(\d+)$/.exec(rest);
    const entry = m ? cacheEntries.find((e) => e.id === Number(m[1])) : undefined;
    if (m && !entry) return json(res, 400, { error: `cache ${m[1]}: not reserved` });
    if (entry?.complete)
      return json(res, 400, { error: `cache ${entry.id} "${entry.key}": already complete` });
    if (req.method === 'PATCH' && entry) {
      const range = /^bytes (\d+)-(\d+)\/\*$/.exec(String(req.headers['content-range'] ?? ''));
      if (!range) return json(res, 400, { error: 'parse content-range' });
      chunks.get(entry.id)!.push({ start: Number(range[1]), data: body });
      return json(res, 200, {});
    }
    if (req.method === 'POST' && entry) {
      const parts = chunks.get(entry.id)!.sort((a, b) => a.start - b.start);
      const data = Buffer.concat(parts.map((p) => p.data));
      const { size } = JSON.parse(body.toString('utf8')) as { size: number };
      if (size !== data.length) return json(res, 500, { error: `size ${size} != uploaded ${data.length}` });
      entry.data = data;
      entry.complete = true;
      return json(res, 200, {});
    }
    return json(res, 404, { error: 'not found' });
  }
  const chunks = new Map<number, { start: number; data: Buffer }[]>();

  function cacheArchive(res: http.ServerResponse, url: URL): number {
    const id = Number(url.pathname.split('/').pop());
    const entry = cacheEntries.find((e) => e.id === id && e.complete);
    if (!entry?.data) return json(res, 404, { error: 'not found' });
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': entry.data.length });
    res.end(entry.data);
    return 200;
  }

  // --- cache v2 (Twirp CacheService) -------------------------------------------------------------------
  function cacheV2(req: http.IncomingMessage, res: http.ServerResponse, url: URL, body: Buffer): number {
    if (!authorized(req)) return twirpError(res, 401, 'unauthenticated', 'invalid token');
    const method = url.pathname.slice(CACHE_SERVICE.length);
    const b = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
    const key = String(field(b, 'key') ?? '');
    const version = String(field(b, 'version') ?? '');
    if (method === 'GetCacheEntryDownloadURL') {
      const restoreKeys = (field(b, 'restore_keys') as string[] | undefined) ?? [];
      const entry = findEntry([key, ...restoreKeys], version, 'v2', restoreKeys);
      if (!entry) return json(res, 200, { ok: false, signed_download_url: '', matched_key: '' });
      const path = `/devstoreaccount1/actions-cache/${entry.id}`;
      return json(res, 200, { ok: true, signed_download_url: sign(path), matched_key: entry.key });
    }
    if (method === 'CreateCacheEntry') {
      if (cacheEntries.some((e) => e.protocol === 'v2' && e.key === key && e.version === version))
        return json(res, 200, { ok: false, signed_upload_url: '', message: 'cache entry already exists' });
      const entry: StoredCacheEntry = {
        id: nextId++,
        key,
        version,
        complete: false,
        createdAt: Date.now(),
        protocol: 'v2',
      };
      cacheEntries.push(entry);
      const path = `/devstoreaccount1/actions-cache/${entry.id}`;
      blobs.set(path, { sig: '', blocks: new Map(), owner: 'cache', id: entry.id });
      return json(res, 200, { ok: true, signed_upload_url: sign(path) });
    }
    if (method === 'FinalizeCacheEntryUpload') {
      const entry = cacheEntries.find(
        (e) => e.protocol === 'v2' && e.key === key && e.version === version && !e.complete,
      );
      const data = entry ? blobs.get(`/devstoreaccount1/actions-cache/${entry.id}`)?.data : undefined;
      if (!entry || !data)
        return json(res, 200, { ok: false, entry_id: '0', message: 'no upload for this key' });
      if (String(field(b, 'size_bytes')) !== String(data.length))
        return json(res, 200, { ok: false, entry_id: '0', message: 'size does not match the upload' });
      entry.data = data;
      entry.complete = true;
      return json(res, 200, { ok: true, entry_id: String(entry.id) });
    }
    return twirpError(res, 404, 'bad_route', `no handler for ${method}`);
  }

  /** A SAS-style URL for a blob path (GitHub: Azure storage; Forgejo signs its own upload route). */
  function sign(path: string): string {
    const sig = randomBytes(24).toString('base64url');
    const blob = blobs.get(path) ?? { sig, blocks: new Map(), owner: 'cache' as const, id: 0 };
    blob.sig = sig;
    blobs.set(path, blob);
    const expiry = new Date(Date.now() + 3600_000).toISOString();
    return `${origin}${path}?sv=2023-11-03&se=${encodeURIComponent(expiry)}&sr=b&sp=rcw&sig=${sig}`;
  }

  // --- artifacts v4 (Twirp ArtifactService) -------------------------------------------------------------
  function artifactService(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
    body: Buffer,
  ): number {
    if (!authorized(req)) return twirpError(res, 401, 'unauthenticated', 'invalid token');
    const method = url.pathname.slice(ARTIFACT_SERVICE.length);
    const b = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
    if (field(b, 'workflow_run_backend_id') !== runId || field(b, 'workflow_job_run_backend_id') !== jobId)
      return twirpError(res, 400, 'invalid_argument', 'backend ids do not match the token');
    const name = String(field(b, 'name') ?? '');
    if (method === 'CreateArtifact') {
      let artifact = artifacts.find((a) => a.name === name);
      if (artifact && forge === 'github')
        return twirpError(
          res,
          409,
          'already_exists',
          'an artifact with this name already exists on the workflow run',
        );
      if (!artifact) {
        artifact = { id: nextId++, name, size: 0, sha256: '', finalized: false };
        artifacts.push(artifact);
      }
      artifact.finalized = false;
      const path =
        forge === 'github'
          ? `/devstoreaccount1/actions-results/${runId}/${jobId}/${encodeURIComponent(name)}.zip`
          : `${ARTIFACT_SERVICE}UploadArtifact`;
      let signed: string;
      if (forge === 'github') {
        blobs.set(path, { sig: '', blocks: new Map(), owner: 'artifact', id: artifact.id });
        signed = sign(path);
      } else {
        // artifactsv4.go buildArtifactURL: one route, the artifact named by query parameters.
        const sig = b64url(
          createHash('sha256')
            .update(`${name}:${artifact.id}:${randomBytes(8)}`)
            .digest(),
        );
        blobs.set(`${path}#${artifact.id}`, { sig, blocks: new Map(), owner: 'artifact', id: artifact.id });
        const expires = encodeURIComponent(new Date(Date.now() + 3600_000).toISOString());
        signed = `${origin}${path}?sig=${sig}&expires=${expires}&artifactName=${encodeURIComponent(name)}&taskID=75&artifactID=${artifact.id}`;
      }
      return json(res, 200, casing(forge, { ok: true, signed_upload_url: signed }));
    }
    if (method === 'FinalizeArtifact') {
      const artifact = artifacts.find((a) => a.name === name);
      const blob = artifact ? blobFor(artifact) : undefined;
      if (!artifact || !blob?.data) return twirpError(res, 404, 'not_found', 'artifact not found');
      const size = String(field(b, 'size'));
      const hash = `sha256:${createHash('sha256').update(blob.data).digest('hex')}`;
      if (size !== String(blob.data.length)) return twirpError(res, 400, 'invalid_argument', 'size mismatch');
      if (field(b, 'hash') !== undefined && field(b, 'hash') !== hash)
        return twirpError(res, 500, 'internal', 'Error merge chunks'); // Forgejo: checksum mismatch
      Object.assign(artifact, { size: blob.data.length, sha256: hash, finalized: true, zip: blob.data });
      return json(res, 200, casing(forge, { ok: true, artifact_id: String(artifact.id) }));
    }
    if (method === 'ListArtifacts') {
      const nameFilter = field(b, 'name_filter');
      const list = artifacts
        .filter((a) => a.finalized && (nameFilter === undefined || a.name === nameFilter))
        .map((a) =>
          casing(forge, {
            workflow_run_backend_id: runId,
            workflow_job_run_backend_id: jobId,
            database_id: String(a.id),
            name: a.name,
            size: String(a.size),
            created_at: new Date().toISOString(),
          }),
        );
      if (list.length === 0 && forge === 'forgejo') {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('Not Found');
        return 404;
      }
      return json(res, 200, { artifacts: list });
    }
    return twirpError(res, 404, 'bad_route', `no handler for ${method}`);
  }

  function blobFor(artifact: StoredArtifact) {
    for (const [path, blob] of blobs)
      if (blob.owner === 'artifact' && blob.id === artifact.id) return { path, ...blob };
    return undefined;
  }

  // --- blob storage (Azure Put Block / Put Block List / Put Blob / Get Blob subset) ---------------------
  function blobStorage(req: http.IncomingMessage, res: http.ServerResponse, url: URL, body: Buffer): number {
    const forgejoUpload = url.pathname === `${ARTIFACT_SERVICE}UploadArtifact`;
    const key = forgejoUpload ? `${url.pathname}#${url.searchParams.get('artifactID')}` : url.pathname;
    const blob = blobs.get(key);
    if (!blob || url.searchParams.get('sig') !== blob.sig) {
      // Azure: 403 AuthenticationFailed; Forgejo verifySignature: 401 "Error unauthorized".
      res.writeHead(forgejoUpload ? 401 : 403, { 'content-type': 'text/plain' });
      res.end('signature mismatch');
      return forgejoUpload ? 401 : 403;
    }
    const created = (forgejoAnswer: 'appended' | 'created' = 'appended') => {
      const headers = {
        etag: `"0x${randomBytes(8).toString('hex').toUpperCase()}"`,
        'last-modified': new Date().toUTCString(),
        'x-ms-request-id': randomUUID(),
        'x-ms-version': '2023-11-03',
        'x-ms-request-server-encrypted': 'true',
      };
      // artifactsv4.go uploadArtifact: ctx.JSON(201, "appended") for a block, "created" for the list.
      if (forgejoUpload) return json(res, 201, forgejoAnswer);
      res.writeHead(201, { ...headers, 'content-length': 0 });
      res.end();
      return 201;
    };
    const comp = url.searchParams.get('comp');
    if (req.method === 'PUT' && (comp === 'block' || comp === 'appendBlock')) {
      blob.blocks.set(url.searchParams.get('blockid') ?? String(blob.blocks.size), body);
      return created();
    }
    if (req.method === 'PUT' && comp?.toLowerCase() === 'blocklist') {
      const ids = [...body.toString('utf8').matchAll(/<(?:Latest|Committed|Uncommitted)>([^<]*)<\//g)].map(
        (m) => m[1],
      );
      const missing = ids.filter((id) => !blob.blocks.has(id));
      if (missing.length > 0) {
        res.writeHead(400, { 'content-type': 'application/xml' });
        res.end('<?xml version="1.0" encoding="utf-8"?><Error><Code>InvalidBlockList</Code></Error>');
        return 400;
      }
      blob.data = Buffer.concat(ids.map((id) => blob.blocks.get(id)!));
      return created('created');
    }
    if (req.method === 'PUT' && !comp && req.headers['x-ms-blob-type'] === 'BlockBlob') {
      blob.data = body;
      return created();
    }
    if (req.method === 'GET' && !comp) {
      const entry = cacheEntries.find((e) => e.id === blob.id && e.complete);
      if (!entry?.data) return json(res, 404, { error: 'BlobNotFound' });
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': entry.data.length });
      res.end(entry.data);
      return 200;
    }
    res.writeHead(400, { 'content-type': 'text/plain' });
    res.end('unsupported blob operation');
    return 400;
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const services: ActionsServices = {
    forge,
    origin,
    resultsUrl: `${origin}/`,
    cacheUrl: `${origin}${cachePrefix}/`,
    runtimeToken: token,
    env(opts = {}) {
      const cache = opts.cache ?? 'v1';
      const env: Record<string, string> = {
        GITHUB_SERVER_URL: forge === 'github' ? 'https://github.com' : 'https://forgejo.example.org',
        ACTIONS_RUNTIME_TOKEN: token,
      };
      if (opts.artifacts !== false) env.ACTIONS_RESULTS_URL = `${origin}/`;
      if (cache === 'v1') env.ACTIONS_CACHE_URL = `${origin}${cachePrefix}/`;
      if (cache === 'v2')
        Object.assign(env, { ACTIONS_RESULTS_URL: `${origin}/`, ACTIONS_CACHE_SERVICE_V2: 'True' });
      if (forge === 'forgejo') Object.assign(env, { FORGEJO_ACTIONS: 'true', GITEA_ACTIONS: 'true' });
      return env;
    },
    requests,
    faults,
    artifacts,
    cacheEntries,
    artifactFiles(name) {
      const a = artifacts.find((x) => x.name === name && x.finalized);
      if (!a?.zip)
        throw new Error(`no finalized artifact '${name}' (have: ${artifacts.map((x) => x.name).join(', ')})`);
      return readZip(a.zip);
    },
    damageCacheEntry(keyPrefix, how) {
      const entry = cacheEntries
        .filter((e) => e.complete && e.key.startsWith(keyPrefix.toLowerCase()))
        .sort((a, b) => b.createdAt - a.createdAt || b.id - a.id)[0];
      if (!entry?.data) throw new Error(`no complete cache entry under '${keyPrefix}'`);
      entry.data =
        how === 'truncate'
          ? entry.data.subarray(0, Math.floor(entry.data.length / 2))
          : corruptFileIn(entry.data, how.corruptFile);
    },
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  return services;
}
