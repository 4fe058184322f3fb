import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { serviceMessage } from './credentials.js';
import { errorMessage } from './errors.js';
import { makePrivateDir } from './fsx.js';
import { text } from './inputs.js';
import * as log from './log.js';
import type { Platform } from './platform.js';
import { redact } from './secrets.js';
import { cancellation } from './tool.js';

/**
 * The step's evidence, kept where the forge shows it: `report.json`, the summary as Markdown and the
 * text files the action attached (`ctx.attach`), uploaded as one artifact with `@actions/artifact`
 * when the action's `report-artifact` input names it. RUNNER_TEMP, where the report lives, is wiped
 * after the job, and Forgejo renders no step summaries, so without this the proof that a backup was
 * restorable or a plan was reviewed ends with the job.
 *
 * The upload never changes the step's result: it runs after the report is written and the result
 * recorded, failures and old servers cost one warning, it is bounded in time, and a cancelled step
 * does not wait for it.
 */

/** The input every action declares last: the artifact's name, or empty for no upload. */
export const reportArtifactInput = text({
  pattern: /^[A-Za-z0-9._-](?:[A-Za-z0-9._ -]{0,98}[A-Za-z0-9._-])?$/,
  expected:
    'an artifact name of at most 100 letters, digits, spaces, dots, underscores and hyphens (or empty for no upload)',
});

export interface EvidenceFile {
  /** A plain file name: letters, digits, `._-`; not `report.json` or `summary.md`. */
  readonly name: string;
  readonly text: string;
}

const EXTRA_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const RESERVED = new Set(['report.json', 'summary.md']);
/** A larger attachment is cut there, with a note (the artifact is evidence, not a data store). */
export const MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024;
/** The longest an upload may take before the step ends without it (the toolkit retries 5xx ~30 s). */
export const UPLOAD_LIMIT_MS = 90_000;

/** Throws for a name an action must not use (a programming error, not a user's). */
export function checkAttachmentName(name: string): void {
  if (!EXTRA_NAME.test(name) || RESERVED.has(name))
    throw new Error(`evidence attachment name '${name}' is not a plain file name or is reserved`);
}

/**
 * Whether the runner offers the artifact v4 service: `ACTIONS_RESULTS_URL` plus a job token whose `scp`
 * claim carries `Actions.Results:<run>:<job>` — the backend ids the toolkit reads from it without
 * verifying (toolkit packages/artifact/src/internal/shared/util.ts getBackendIdsFromToken). Forgejo
 * issues such tokens since the v4 backend arrived in 7.0 (services/actions/auth.go
 * CreateAuthorizationToken); older servers and runners have neither.
 */
export function artifactServiceProblem(env: NodeJS.ProcessEnv): string | undefined {
  if (!env.ACTIONS_RESULTS_URL)
    return 'the runner does not offer the artifact v4 service (ACTIONS_RESULTS_URL is not set)';
  const token = env.ACTIONS_RUNTIME_TOKEN;
  if (!token) return 'the runner gave the step no ACTIONS_RUNTIME_TOKEN';
  let scp: unknown;
  try {
    scp = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')).scp;
  } catch {
    return 'the job token (ACTIONS_RUNTIME_TOKEN) is not a JWT';
  }
  const scopes = typeof scp === 'string' ? scp.split(' ') : [];
  if (!scopes.some((s) => /^Actions\.Results:[^:]+:[^:]+$/.test(s)))
    return 'the job token has no Actions.Results scope (the server predates the artifact v4 service)';
  return undefined;
}

/** The part of `@actions/artifact`'s client used here (injected by tests). */
export interface ArtifactUploader {
  uploadArtifact(
    name: string,
    files: string[],
    rootDirectory: string,
  ): Promise<{ id?: number; size?: number; digest?: string }>;
}

async function defaultUploader(): Promise<ArtifactUploader> {
  const { DefaultArtifactClient } = await import('@actions/artifact');
  return new DefaultArtifactClient();
}

/**
 * `@actions/artifact` refuses every server but github.com, *.ghe.com and *.localhost: `isGhes()` looks
 * only at the host name in GITHUB_SERVER_URL and `uploadArtifact` throws GHESNotSupportedError (toolkit
 * packages/artifact/src/internal/client.ts, shared/config.ts). Forgejo ≥ 7 serves the same v4 protocol
 * (routers/api/actions/artifactsv4.go) and Forgejo's own fork of upload-artifact only removes that check.
 * The check runs synchronously when `uploadArtifact` is called, before its first await; so on Forgejo the
 * server URL reads as github.com for exactly that synchronous call and is restored before any I/O can
 * happen — no other code runs in between. Everything else (the Twirp calls to ACTIONS_RESULTS_URL, the
 * blob upload to the signed URL Forgejo returns) is the unmodified toolkit. An integration test runs it
 * with a Forgejo server URL against the v4 stand-in, so a toolkit that moved the check would fail there.
 */
export function passHostCheck<T>(call: () => T): T {
  const saved = process.env.GITHUB_SERVER_URL;
  process.env.GITHUB_SERVER_URL = 'https://github.com';
  try {
    return call();
  } finally {
    if (saved === undefined) delete process.env.GITHUB_SERVER_URL;
    else process.env.GITHUB_SERVER_URL = saved;
  }
}

export interface EvidenceRequest {
  /** The `report-artifact` input (empty: nothing is uploaded, nothing said). */
  artifact: string | undefined;
  reportFile: string;
  title: string;
  /** The summary's Markdown body (redacted here again). */
  summary: string;
  attachments: readonly EvidenceFile[];
  platform: Platform;
  warn(message: string): void;
  env?: NodeJS.ProcessEnv;
  limitMs?: number;
  loadUploader?: () => Promise<ArtifactUploader>;
}

export interface EvidenceOutcome {
  status: 'uploaded' | 'skipped' | 'failed' | 'abandoned';
  artifact: string;
  files: string[];
  id?: number;
  size?: number;
  why?: string;
}

/** The artifact's name: a re-run attempt gets its own, since v4 artifacts of a run cannot be replaced. */
export function artifactName(name: string, runAttempt: string): string {
  return runAttempt && runAttempt !== '1' ? `${name}-attempt-${runAttempt}` : name;
}

function truncated(text: string): string {
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= MAX_ATTACHMENT_BYTES) return text;
  return `${buf.subarray(0, MAX_ATTACHMENT_BYTES).toString('utf8')}\n\n[cut at ${MAX_ATTACHMENT_BYTES} bytes of ${buf.length}]\n`;
}

/** Writes the files to upload into a fresh private directory; every text is redacted again here. */
async function stage(req: EvidenceRequest): Promise<{ dir: string; files: string[] }> {
  const dir = await makePrivateDir('evidence');
  const write = async (name: string, text: string) => {
    await fsp.writeFile(path.join(dir, name), redact(text), { mode: 0o600 });
    return name;
  };
  const files = [
    await write('report.json', await fsp.readFile(req.reportFile, 'utf8')),
    await write('summary.md', `## ${req.title}\n\n${req.summary}\n`),
  ];
  for (const a of req.attachments) {
    checkAttachmentName(a.name);
    files.push(await write(a.name, truncated(a.text)));
  }
  return { dir, files };
}

type Race<T> = { done: T } | { failed: unknown } | { stopped: 'timeout' | 'cancelled' };

/** Waits for `work`, at most `limitMs`, and not past SIGINT/SIGTERM. */
async function bounded<T>(work: Promise<T>, limitMs: number): Promise<Race<T>> {
  let timer: NodeJS.Timeout | undefined;
  let onSignal: (() => void) | undefined;
  const stop = new Promise<Race<T>>((resolve) => {
    timer = setTimeout(() => resolve({ stopped: 'timeout' }), limitMs);
    onSignal = () => resolve({ stopped: 'cancelled' });
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  try {
    return await Promise.race([
      work.then(
        (done) => ({ done }),
        (failed: unknown) => ({ failed }),
      ),
      stop,
    ]);
  } finally {
    clearTimeout(timer);
    if (onSignal) {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    }
  }
}

/**
 * Uploads the evidence. Never throws: every problem is one warning (or, for a step that was cancelled
 * or runs outside a runner, one plain line) and an outcome the lifecycle records.
 */
export async function uploadEvidence(req: EvidenceRequest): Promise<EvidenceOutcome | undefined> {
  if (!req.artifact) return undefined;
  const env = req.env ?? process.env;
  const name = artifactName(req.artifact, req.platform.runAttempt);
  const skipped = (why: string, warn: boolean): EvidenceOutcome => {
    const line = `report-artifact: '${name}' was not uploaded: ${why}.`;
    if (warn) req.warn(`${line} The step's result is unaffected.`);
    else log.info(line);
    return { status: 'skipped', artifact: name, files: [], why };
  };
  if (cancellation()) return skipped('the step was cancelled', false);
  if (req.platform.forge === 'local') return skipped('not running on a GitHub or Forgejo runner', false);
  const problem = artifactServiceProblem(env);
  if (problem)
    return skipped(
      req.platform.forge === 'forgejo'
        ? `${problem}; artifact uploads on Forgejo need Forgejo 7.0 or newer and its runner`
        : problem,
      true,
    );

  let staged: { dir: string; files: string[] } | undefined;
  try {
    staged = await stage(req);
    const { dir, files } = staged;
    const uploader = await (req.loadUploader ?? defaultUploader)();
    const annotations: string[] = [];
    const call = () =>
      uploader.uploadArtifact(
        name,
        files.map((f) => path.join(dir, f)),
        dir,
      );
    const work = log.governed(annotations, () =>
      req.platform.forge === 'forgejo' ? passHostCheck(call) : call(),
    );
    const race = await bounded(work, req.limitMs ?? UPLOAD_LIMIT_MS);
    if ('done' in race) {
      const { id, size } = race.done;
      log.info(
        `report-artifact: uploaded '${name}' (${files.join(', ')}; ${size ?? 0} bytes${id ? `, artifact id ${id}` : ''}).`,
      );
      return { status: 'uploaded', artifact: name, files, id, size };
    }
    if ('failed' in race) {
      const why = serviceMessage(errorMessage(race.failed));
      req.warn(`report-artifact: '${name}' was not uploaded: ${why}. The step's result is unaffected.`);
      return { status: 'failed', artifact: name, files, why };
    }
    if (race.stopped === 'cancelled') {
      log.info(`report-artifact: upload of '${name}' stopped: the step was cancelled.`);
      return { status: 'abandoned', artifact: name, files, why: 'cancelled' };
    }
    const why = `no answer within ${Math.round((req.limitMs ?? UPLOAD_LIMIT_MS) / 1000)}s`;
    req.warn(`report-artifact: '${name}' was not uploaded: ${why}. The step's result is unaffected.`);
    return { status: 'abandoned', artifact: name, files, why };
  } catch (e) {
    const why = serviceMessage(errorMessage(e));
    req.warn(`report-artifact: '${name}' was not uploaded: ${why}. The step's result is unaffected.`);
    return { status: 'failed', artifact: name, files: staged?.files ?? [], why };
  } finally {
    if (staged) await fsp.rm(staged.dir, { recursive: true, force: true }).catch(() => undefined);
  }
}
