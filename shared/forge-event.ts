import * as fs from 'node:fs';

/**
 * What the workflow event says about pull requests, read from the payload the runner writes to
 * `GITHUB_EVENT_PATH` (both runners; act/forgejo-runner write `github.event` there too).
 *
 * Payload shapes: GitHub "Webhook events and payloads" → pull_request (`number`, `pull_request.number`,
 * `pull_request.head.sha`, `action: synchronize`); Forgejo modules/structs/hook.go PullRequestPayload
 * (`number`, `pull_request` as structs.PullRequest with `head.sha`), whose action spells `synchronized`
 * (HookIssueSynchronized).
 */
export interface EventPullRequest {
  number: number;
  headSha?: string;
  /** `opened`, `synchronize` (Forgejo's `synchronized` normalised), `reopened`, … */
  action: string;
  /** The head branch lives in another repository: both forges then give the job a read-only token. */
  fromFork: boolean;
}

const PULL_REQUEST_EVENTS = new Set(['pull_request', 'pull_request_target']);

function readPayload(env: NodeJS.ProcessEnv): Record<string, unknown> | undefined {
  const file = env.GITHUB_EVENT_PATH || env.FORGEJO_EVENT_PATH;
  if (!file) return undefined;
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

type Obj = Record<string, unknown> | undefined;
const obj = (v: unknown): Obj => (v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined);
const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The pull request this run is about, when the event is a pull request event. */
export function pullRequestOfEvent(env: NodeJS.ProcessEnv = process.env): EventPullRequest | undefined {
  if (!PULL_REQUEST_EVENTS.has(env.GITHUB_EVENT_NAME ?? '')) return undefined;
  const payload = readPayload(env);
  const pr = obj(payload?.pull_request);
  const number = Number(pr?.number ?? payload?.number);
  if (!Number.isInteger(number) || number <= 0) return undefined;
  const head = obj(pr?.head);
  const base = obj(pr?.base);
  const headRepo = text(obj(head?.repo)?.full_name);
  const baseRepo = text(obj(base?.repo)?.full_name);
  const action = text(payload?.action) ?? '';
  return {
    number,
    headSha: text(head?.sha),
    action: action === 'synchronized' ? 'synchronize' : action,
    fromFork: headRepo !== undefined && baseRepo !== undefined && headRepo !== baseRepo,
  };
}

/**
 * The commit a status belongs on: the pull request's head for pull request events (GitHub's
 * GITHUB_SHA is then the test merge commit, which no one looks at), else GITHUB_SHA.
 */
export function statusSha(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const sha = pullRequestOfEvent(env)?.headSha ?? env.GITHUB_SHA;
  return sha && /^[0-9a-f]{40}([0-9a-f]{24})?$/i.test(sha) ? sha : undefined;
}
