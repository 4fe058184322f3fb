import { CancelledError, errorMessage } from './errors.js';
import { redact, redactDeep } from './secrets.js';
import { pause } from './tool.js';
import { SUITE_VERSION } from './version.js';

/**
 * The HTTP side of the forge client (shared/forge.ts): one request with its retries, pages of a
 * listing, and what a failed answer means. Rules:
 * - The token travels only in the `Authorization` header; bodies are redacted before they are sent;
 *   redirects are reported, never followed (one could carry the header elsewhere).
 * - Only what can succeed later is retried — 5xx, network errors, and rate limits after the wait the
 *   forge asks for — with `pause()`, so a cancelled job never sits out a backoff, and within a total
 *   time budget per call.
 *
 * Rate limits: GitHub REST docs "Rate limits for the REST API" and "Troubleshooting the REST API".
 */

export type ForgeFailure =
  'auth' | 'permission' | 'not-found' | 'rejected' | 'rate-limited' | 'server' | 'network' | 'unexpected';

const HINTS: Record<ForgeFailure, string> = {
  auth: "the token was refused; check 'forge-token'",
  permission:
    'the token may not do this (GitHub: grant the job `permissions:` statuses/issues/pull-requests: write; pull requests from forks get a read-only token on both forges)',
  'not-found': 'the repository or object was not found, or the token cannot see it',
  rejected: 'the forge refused the request',
  'rate-limited': 'the forge is rate-limiting this token',
  server: 'the forge had a server error',
  network: 'the forge could not be reached',
  unexpected: 'the forge gave an answer the action does not understand',
};

/** A failed forge call. `detail` is redacted remote text (one line, at most 200 characters). */
export class ForgeApiError extends Error {
  constructor(
    readonly what: string,
    readonly kind: ForgeFailure,
    readonly status: number | undefined,
    readonly detail: string,
    readonly attempts = 1,
    /** How long the forge asked to wait (rate limits), when it said. */
    readonly waitMs?: number,
  ) {
    super(`${what} failed: ${status ? `HTTP ${status}` : kind}${detail ? ` ("${detail}")` : ''}`);
    this.name = 'ForgeApiError';
  }

  get retryable(): boolean {
    return this.kind === 'server' || this.kind === 'network' || this.kind === 'rate-limited';
  }

  /** One line for a warning: what failed, the answer, what it means. */
  describe(): string {
    const tries = this.attempts > 1 ? ` after ${this.attempts} attempts` : '';
    return `${this.message}${tries}; ${HINTS[this.kind]}.`;
  }

  withAttempts(attempts: number): ForgeApiError {
    return new ForgeApiError(this.what, this.kind, this.status, this.detail, attempts, this.waitMs);
  }
}

/** Where requests go: the REST base, and which forge answers there (headers differ). */
export interface HttpTarget {
  kind: 'github' | 'forgejo';
  /** REST base without a trailing slash. */
  apiUrl: string;
}

export interface ForgeHttpOptions {
  target: HttpTarget;
  token: string;
  fetchImpl?: typeof fetch;
  /** Total time one call may take, retries and waits included. */
  budgetMs?: number;
  requestTimeoutMs?: number;
  /** Attempts per call (1 = no retry). */
  maxAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  random?: () => number;
  /** Told before each retry (the log line says why and how long). */
  onRetry?: (info: { what: string; attempt: number; delayMs: number; error: ForgeApiError }) => void;
}

export const DEFAULT_BUDGET_MS = 60_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;
const DEFAULT_ATTEMPTS = 4;
/** GitHub: "Otherwise, wait for at least one minute before retrying" (secondary limit without headers). */
const SECONDARY_LIMIT_WAIT_MS = 60_000;
/** Pages read at most per listing (GitHub 100 per page, Forgejo 50 by default). */
const MAX_PAGES = 20;

export interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
}

function oneLine(text: string): string {
  const flat = redact(text).replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 199)}…` : flat;
}

/** The message of an error answer: GitHub `{message, errors: [{message}]}`, Forgejo `{message, errors}`. */
function remoteMessage(body: unknown, fallback: string): string {
  if (body && typeof body === 'object') {
    const b = body as { message?: unknown; errors?: unknown };
    const first = Array.isArray(b.errors) ? b.errors[0] : undefined;
    const extra =
      typeof first === 'string'
        ? first
        : first && typeof first === 'object' && typeof (first as { message?: unknown }).message === 'string'
          ? (first as { message: string }).message
          : '';
    const main = typeof b.message === 'string' ? b.message : '';
    const text = [main, extra].filter(Boolean).join(': ');
    if (text) return oneLine(text);
  }
  return oneLine(typeof body === 'string' ? body.slice(0, 400) : fallback);
}

/**
 * How long a rate-limited answer asks to wait, or undefined when it is not a rate limit. GitHub
 * ("Rate limits for the REST API", "Troubleshooting the REST API"): 403 or 429; honour `retry-after`
 * seconds; with `x-ratelimit-remaining: 0` wait until `x-ratelimit-reset` (epoch seconds); otherwise a
 * secondary limit: wait at least a minute. A reverse proxy in front of Forgejo answers 429 the same way.
 */
export function rateLimitWait(
  status: number,
  headers: Headers,
  message: string,
  now: number,
): number | undefined {
  if (status !== 403 && status !== 429) return undefined;
  const retryAfter = headers.get('retry-after');
  if (retryAfter) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    const at = Date.parse(retryAfter);
    if (Number.isFinite(at)) return Math.max(0, at - now);
  }
  if (headers.get('x-ratelimit-remaining') === '0') {
    const reset = Number(headers.get('x-ratelimit-reset'));
    if (Number.isFinite(reset) && reset > 0) return Math.max(0, reset * 1000 - now) + 1000;
  }
  if (status === 429 || /rate limit/i.test(message)) return SECONDARY_LIMIT_WAIT_MS;
  return undefined;
}

function failureOf(status: number): ForgeFailure {
  if (status === 401) return 'auth';
  if (status === 403) return 'permission';
  if (status === 404 || status === 410) return 'not-found';
  if (status >= 500) return 'server';
  return 'rejected';
}

/** `rel="next"` of a Link header (both forges paginate with one: GitHub always, Forgejo via SetLinkHeader). */
function hasNextPage(headers: Headers): boolean {
  return /<[^>]*>;\s*rel="next"/.test(headers.get('link') ?? '');
}

export class ForgeHttp {
  private readonly fetchImpl: typeof fetch;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(private readonly o: ForgeHttpOptions) {
    this.fetchImpl = o.fetchImpl ?? fetch;
    this.now = o.now ?? Date.now;
    this.sleep = o.sleep ?? pause;
    this.random = o.random ?? Math.random;
  }

  private url(path: string, query: Record<string, string | number> = {}): string {
    const q = new URLSearchParams(
      Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]),
    ).toString();
    return `${this.o.target.apiUrl}${path}${q ? `?${q}` : ''}`;
  }

  /** One request with retries; `accept` lists non-2xx statuses that are answers, not failures. */
  async request(
    what: string,
    method: string,
    path: string,
    opts: { query?: Record<string, string | number>; body?: unknown; accept?: number[] } = {},
  ): Promise<Answer> {
    const deadline = this.now() + (this.o.budgetMs ?? DEFAULT_BUDGET_MS);
    const maxAttempts = this.o.maxAttempts ?? DEFAULT_ATTEMPTS;
    for (let attempt = 1; ; attempt++) {
      const left = deadline - this.now();
      let failure: ForgeApiError;
      try {
        const answer = await this.once(what, method, this.url(path, opts.query), opts.body, left);
        if ((answer.status >= 200 && answer.status < 300) || opts.accept?.includes(answer.status))
          return answer;
        failure = this.answerFailure(what, answer);
      } catch (e) {
        if (e instanceof ForgeApiError) failure = e;
        else throw e;
      }
      const delay = failure.retryable ? this.delay(failure, attempt) : undefined;
      if (delay === undefined || attempt >= maxAttempts || this.now() + delay >= deadline)
        throw failure.withAttempts(attempt);
      this.o.onRetry?.({ what, attempt, delayMs: delay, error: failure });
      // pause() throws CancelledError at once when the job is cancelled: no waiting out a backoff.
      await this.sleep(delay);
    }
  }

  private delay(failure: ForgeApiError, attempt: number): number {
    if (failure.waitMs !== undefined) return failure.waitMs;
    const ceiling = Math.min(8000, 1000 * 2 ** (attempt - 1));
    return Math.round(ceiling / 2 + this.random() * (ceiling / 2));
  }

  private answerFailure(what: string, answer: Answer): ForgeApiError {
    const message = remoteMessage(answer.body, `HTTP ${answer.status}`);
    const wait = rateLimitWait(answer.status, answer.headers, message, this.now());
    if (wait !== undefined) return new ForgeApiError(what, 'rate-limited', answer.status, message, 1, wait);
    if (answer.status >= 300 && answer.status < 400) {
      const location = oneLine(answer.headers.get('location') ?? '');
      return new ForgeApiError(what, 'unexpected', answer.status, `redirected to ${location || 'elsewhere'}`);
    }
    return new ForgeApiError(what, failureOf(answer.status), answer.status, message);
  }

  private async once(
    what: string,
    method: string,
    url: string,
    body: unknown,
    leftMs: number,
  ): Promise<Answer> {
    const timeoutMs = Math.max(1000, Math.min(this.o.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, leftMs));
    const headers: Record<string, string> = {
      Authorization: `token ${this.o.token}`,
      Accept: this.o.target.kind === 'github' ? 'application/vnd.github+json' : 'application/json',
      'User-Agent': `edge-actions/${SUITE_VERSION}`,
    };
    if (this.o.target.kind === 'github') headers['X-GitHub-Api-Version'] = '2022-11-28';
    let payload: string | undefined;
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      // Defence in depth: whatever a caller put in a body, a registered secret never leaves.
      payload = JSON.stringify(redactDeep(body));
    }
    let res: Response;
    try {
      res = await this.fetchImpl(url, {
        method,
        headers,
        body: payload,
        // A redirect could carry the Authorization header elsewhere: it is reported, never followed.
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (e) {
      if (e instanceof CancelledError) throw e;
      const err = e as Error & { cause?: { code?: string; message?: string } };
      const why =
        err.name === 'TimeoutError'
          ? `no answer within ${Math.round(timeoutMs / 1000)}s`
          : (err.cause?.code ?? err.cause?.message ?? errorMessage(e));
      throw new ForgeApiError(what, 'network', undefined, oneLine(`${new URL(url).host}: ${why}`));
    }
    const text = await res.text().catch(() => '');
    let parsed: unknown = text;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        // Not JSON (a proxy's error page): kept as text for the message.
      }
    } else parsed = undefined;
    return { status: res.status, headers: res.headers, body: parsed };
  }

  /** All pages of a listing (bounded), following `rel="next"`. */
  async list(
    what: string,
    path: string,
    query: Record<string, string | number>,
    pageSize: Record<string, number>,
  ): Promise<unknown[]> {
    const out: unknown[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const answer = await this.request(what, 'GET', path, { query: { ...query, ...pageSize, page } });
      if (!Array.isArray(answer.body))
        throw new ForgeApiError(what, 'unexpected', answer.status, 'the answer is not a list');
      out.push(...answer.body);
      if (!hasNextPage(answer.headers)) break;
    }
    return out;
  }
}
