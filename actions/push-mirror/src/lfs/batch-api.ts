import { errorMessage } from '../../../../shared/errors.js';
import { classifyLfsAnswer, LfsError } from './errors.js';

/**
 * The Git LFS Batch API (git-lfs docs/api/batch.md), only as far as the mirror needs it: ask which
 * objects the mirror lacks (`upload`: an object the server has comes back without `actions`) and
 * whether every object can be downloaded (`download`: an action per object, or a per-object error).
 * The transfers themselves are git-lfs's job.
 */
export type BatchOperation = 'upload' | 'download';

export interface BatchObjectAnswer {
  oid: string;
  size: number;
  /** Names of the actions offered (`upload`, `verify`, `download`). */
  actions: string[];
  error?: { code: number; message: string };
}

export interface LfsBatchApi {
  batch(
    operation: BatchOperation,
    objects: ReadonlyArray<{ oid: string; size: number }>,
  ): Promise<BatchObjectAnswer[]>;
}

/** How many objects one request carries (git-lfs: lfs.transfer.batchSize, default 100). */
export const BATCH_SIZE = 100;

const LFS_JSON = 'application/vnd.git-lfs+json';

/**
 * The LFS endpoint of a remote URL (docs/api/server-discovery.md; lfsapi/endpoint_finder.go): the URL
 * with `/info/lfs` appended, after `.git` when the URL does not end in it already.
 */
export function lfsEndpoint(remote: URL): string {
  const url = new URL(remote.href);
  url.username = '';
  url.password = '';
  url.search = '';
  url.hash = '';
  const path = url.pathname.replace(/\/+$/, '');
  url.pathname = `${path.endsWith('.git') ? path : `${path}.git`}/info/lfs`;
  return url.href;
}

export interface BatchApiOptions {
  endpoint: string;
  /** `basic base64(user:token)`, sent as the Authorization header; undefined sends none. */
  credential?: string;
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
}

export function createBatchApi(o: BatchApiOptions): LfsBatchApi {
  const doFetch = o.fetchImpl ?? fetch;
  return {
    async batch(operation, objects) {
      const answers: BatchObjectAnswer[] = [];
      for (let i = 0; i < objects.length; i += BATCH_SIZE) {
        answers.push(...(await one(operation, objects.slice(i, i + BATCH_SIZE))));
      }
      return answers;
    },
  };

  async function one(
    operation: BatchOperation,
    objects: ReadonlyArray<{ oid: string; size: number }>,
  ): Promise<BatchObjectAnswer[]> {
    const url = `${o.endpoint}/objects/batch`;
    const headers: Record<string, string> = { Accept: LFS_JSON, 'Content-Type': LFS_JSON };
    if (o.credential) headers.Authorization = `Basic ${o.credential}`;
    let res: Response;
    try {
      res = await doFetch(url, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          operation,
          transfers: ['basic'],
          objects: objects.map(({ oid, size }) => ({ oid, size })),
          hash_algo: 'sha256',
        }),
        // A redirect could carry the token to another host: refuse it (the endpoint is derived from
        // the mirror URL, which must name the repository exactly).
        redirect: 'error',
        signal: AbortSignal.timeout(o.timeoutMs ?? 120_000),
      });
    } catch (e) {
      const cause = (e as { cause?: unknown }).cause;
      const detail = cause ? `${errorMessage(e)}: ${errorMessage(cause)}` : errorMessage(e);
      throw new LfsError('network', true, `LFS batch request to ${url} failed: ${detail}.`);
    }
    const text = await res.text();
    let body: { message?: unknown; objects?: unknown } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      // Not JSON (a proxy's error page): the status decides.
    }
    if (!res.ok) {
      const message = typeof body.message === 'string' ? body.message : res.statusText;
      const cls = classifyLfsAnswer(res.status, message);
      throw new LfsError(
        cls.kind,
        cls.retryable,
        `LFS ${operation} batch request to ${url} answered HTTP ${res.status}: ${oneLine(message)}.`,
      );
    }
    if (!Array.isArray(body.objects)) {
      throw new LfsError('push-failed', false, `LFS batch answer from ${url} has no 'objects' list.`);
    }
    return body.objects.map(parseObject);
  }
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().replace(/\.$/, '').slice(0, 300);
}

function parseObject(raw: unknown): BatchObjectAnswer {
  const o = (raw ?? {}) as {
    oid?: unknown;
    size?: unknown;
    actions?: unknown;
    error?: { code?: unknown; message?: unknown };
  };
  const answer: BatchObjectAnswer = {
    oid: typeof o.oid === 'string' ? o.oid : '',
    size: typeof o.size === 'number' ? o.size : -1,
    actions: o.actions && typeof o.actions === 'object' ? Object.keys(o.actions) : [],
  };
  if (o.error && typeof o.error === 'object') {
    answer.error = {
      code: typeof o.error.code === 'number' ? o.error.code : 0,
      message: typeof o.error.message === 'string' ? oneLine(o.error.message) : '',
    };
  }
  return answer;
}
