import { ActionError, INVALID_INPUT, errorMessage } from '../../../shared/errors.js';
import { ForgejoApiError, type ForgejoApi, type PushMirror } from './forgejo-api.js';
import { displayAddress, syncAndWait } from './forgejo-sync.js';
import { GitCommandError, type GitCli } from './git-cli.js';
import {
  compareRefs,
  describeMismatches,
  hasChanges,
  inScope,
  parseLocalRefs,
  parseLsRemote,
  planCounts,
  planRefs,
  pushRefspecs,
  type RefMap,
  type RefMismatch,
  type RefPlan,
  type RemoteRefs,
} from './mirror-refs.js';
import { withRetry } from './retry.js';

/**
 * The mirror run: check the source, read both sides, plan, push (or let Forgejo push), verify.
 * Every side effect goes through the injected clients, so the whole flow runs against fakes in tests.
 */
export interface MirrorSettings {
  mode: 'push' | 'forgejo-sync';
  remoteUrl?: URL;
  /** Whether a mirror token was given (the token itself lives only in the git client's environment). */
  hasToken: boolean;
  sourceDir: string;
  refs: readonly string[];
  prune: boolean;
  force: boolean;
  retries: number;
  verify: boolean;
  lfs: boolean;
  dryRun: boolean;
  repository?: string;
  mirror?: string;
  waitTimeoutMs: number;
}

export interface MirrorDeps {
  git: GitCli;
  forgejo?: ForgejoApi;
  step: <T>(name: string, fn: () => Promise<T>) => Promise<T>;
  skip: (name: string, why: string) => void;
  info: (line: string) => void;
  warn: (line: string) => void;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  now: () => number;
  pollMs: number;
  retryBaseMs: number;
}

export type Verification = 'passed' | 'failed' | 'skipped';

export interface MirrorOutcome {
  mode: MirrorSettings['mode'];
  dryRun: boolean;
  remote?: string;
  plan?: RefPlan;
  pushed: boolean;
  verification: Verification;
  verificationNote?: string;
  mismatches: RefMismatch[];
  mirrorHead?: string;
  forgejoMirrors?: Array<Pick<PushMirror, 'remote_address' | 'last_update'>>;
  error?: unknown;
}

function isRetryable(e: unknown): boolean {
  return (e instanceof GitCommandError || e instanceof ForgejoApiError) && e.retryable;
}

const HINTS: Record<string, string> = {
  auth: "Check that 'token' is valid and not expired, that it may write the mirror's contents, and that 'username' fits it. Not retried: a bad token stays bad.",
  'permission-workflows':
    'The history touches .github/workflows: give the token the Workflows permission (fine-grained: Workflows read and write; classic: the workflow scope).',
  'protected-branch':
    'A protected branch on the mirror refused the update: allow force pushes for the mirror account in its branch protection or rulesets, or set force: false.',
  'push-failed':
    "Look at the rejected refs in the log; with force: false a mirror branch that diverged is refused. Check 'remote-url' for a 'not found'.",
};

function withHint(e: unknown, retries: number): unknown {
  if (!(e instanceof GitCommandError)) return e;
  const hint =
    e.kind === 'network'
      ? `Gave up after ${retries + 1} attempt${retries === 0 ? '' : 's'}; check the URL and the mirror host's status, then re-run.`
      : HINTS[e.kind];
  return new ActionError(e.reason, e.message, hint);
}

export async function runMirror(s: MirrorSettings, d: MirrorDeps): Promise<MirrorOutcome> {
  const out: MirrorOutcome = {
    mode: s.mode,
    dryRun: s.dryRun,
    remote: s.remoteUrl?.href,
    pushed: false,
    verification: 'skipped',
    mismatches: [],
  };
  try {
    if (s.mode === 'push') await pushMode(s, d, out);
    else await forgejoMode(s, d, out);
  } catch (e) {
    out.error = withHint(e, s.retries);
  }
  return out;
}

function retrying<T>(
  s: MirrorSettings,
  d: MirrorDeps,
  what: string,
  fn: (attempt: number) => Promise<T>,
): Promise<T> {
  return withRetry(fn, isRetryable, {
    retries: s.retries,
    baseMs: d.retryBaseMs,
    maxMs: 60_000,
    sleep: d.sleep,
    random: d.random,
    onRetry: ({ attempt, delayMs, error }) =>
      d.warn(
        `${what}: attempt ${attempt} of ${s.retries + 1} failed (${errorMessage(error)}); retrying in ${(delayMs / 1000).toFixed(1)}s.`,
      ),
  });
}

async function readSource(s: MirrorSettings, d: MirrorDeps): Promise<RefMap> {
  return d.step('check source', async () => {
    if (await d.git.isShallow(s.sourceDir)) {
      throw new ActionError(
        'shallow-clone',
        `The source '${s.sourceDir}' is a shallow clone: a mirror needs the full history (GitHub answers "shallow update not allowed").`,
        'Check out with fetch-depth: 0.',
      );
    }
    if (s.lfs && !(await d.git.lfsVersion())) {
      throw new ActionError(
        INVALID_INPUT,
        "Input 'lfs' is true, but git-lfs is not installed on the runner ('git lfs version' failed).",
        'Install git-lfs (apt-get install git-lfs, brew install git-lfs) or set lfs: false.',
      );
    }
    const source = inScope(parseLocalRefs(await d.git.showRefs(s.sourceDir)), s.refs);
    if (source.size === 0) {
      // Pushing nothing with prune on would empty the mirror: that is never what a mirror job means.
      throw new ActionError(
        INVALID_INPUT,
        `The source '${s.sourceDir}' has no branch or tag matching '${s.refs.join(' ')}'; refusing to mirror nothing.`,
        "Check 'source-dir' and 'refs' (a checkout needs fetch-depth: 0 to see all branches).",
      );
    }
    d.info(`Source: ${source.size} branch and tag refs in scope.`);
    return source;
  });
}

async function readMirror(
  s: MirrorSettings,
  d: MirrorDeps,
  remote: string,
  what: string,
): Promise<RemoteRefs> {
  const raw = await retrying(s, d, what, () => d.git.lsRemote(s.sourceDir, remote));
  const parsed = parseLsRemote(raw);
  return { refs: inScope(parsed.refs, s.refs), head: parsed.head };
}

function logPlan(d: MirrorDeps, plan: RefPlan): void {
  const c = planCounts(plan);
  d.info(
    `Plan: ${c.created} to create, ${c.updated} to update, ${c.deleted} to delete, ${c.unchanged} unchanged` +
      (plan.kept.length ? `, ${plan.kept.length} only on the mirror kept (prune is off)` : '') +
      '.',
  );
  for (const ch of plan.created) d.info(`  + ${ch.ref}`);
  for (const ch of plan.updated) d.info(`  ~ ${ch.ref}`);
  for (const ch of plan.deleted) d.info(`  - ${ch.ref}`);
}

async function pushMode(s: MirrorSettings, d: MirrorDeps, out: MirrorOutcome): Promise<void> {
  const remote = s.remoteUrl!.href;
  const source = await readSource(s, d);
  const before = await d.step('read mirror refs', () => readMirror(s, d, remote, 'Reading the mirror'));
  out.plan = planRefs(source, before.refs, { prune: s.prune });
  logPlan(d, out.plan);
  if (s.dryRun) {
    d.skip('push', 'dry run');
    out.verificationNote = 'dry run: nothing was pushed';
    return;
  }
  if (s.lfs)
    await d.step('push LFS objects', () =>
      retrying(s, d, 'git lfs push', () => d.git.lfsPush(s.sourceDir, remote)),
    );
  if (hasChanges(out.plan)) {
    await d.step('push', () => push(s, d, remote, source, out.plan!));
    out.pushed = true;
  } else {
    d.skip('push', 'the mirror is up to date');
  }
  await verify(s, d, remote, source, out, before);
}

async function push(
  s: MirrorSettings,
  d: MirrorDeps,
  remote: string,
  source: RefMap,
  first: RefPlan,
): Promise<void> {
  let atomic = true;
  await retrying(s, d, 'git push', async (attempt) => {
    // A retry re-plans: the failed attempt may have updated some refs already, and deleting a ref
    // that is already gone would fail the push.
    const plan =
      attempt === 1
        ? first
        : planRefs(source, (await readMirror(s, d, remote, 'Re-reading the mirror')).refs, {
            prune: s.prune,
          });
    if (!hasChanges(plan)) return;
    const refspecs = pushRefspecs(plan, { force: s.force });
    try {
      await d.git.push(s.sourceDir, remote, refspecs, { atomic });
    } catch (e) {
      if (!(e instanceof GitCommandError) || e.kind !== 'atomic-unsupported') throw e;
      // All-or-nothing is preferred, but a server without the capability still gets the mirror.
      d.warn('The mirror does not support atomic pushes; pushing the refs one by one.');
      atomic = false;
      await d.git.push(s.sourceDir, remote, refspecs, { atomic });
    }
  });
}

async function verify(
  s: MirrorSettings,
  d: MirrorDeps,
  remote: string,
  source: RefMap,
  out: MirrorOutcome,
  before: RemoteRefs,
): Promise<void> {
  if (!s.verify) {
    d.skip('verify', "verify is 'false'");
    out.verificationNote = "verify is 'false'";
    const branch = before.head?.branch;
    out.mirrorHead = branch ? (source.get(branch)?.sha ?? before.refs.get(branch)?.sha) : undefined;
    return;
  }
  const after = await d.step('verify', () => readMirror(s, d, remote, 'Verifying the mirror'));
  out.mirrorHead =
    after.head?.sha ?? (after.head?.branch ? after.refs.get(after.head.branch)?.sha : undefined);
  out.mismatches = compareRefs(source, after.refs, { prune: s.prune });
  if (out.mismatches.length > 0) {
    out.verification = 'failed';
    throw new ActionError(
      'verify-mismatch',
      `The mirror does not match the source after the push: ${out.mismatches.length} ref${out.mismatches.length === 1 ? ' differs' : 's differ'}: ${describeMismatches(out.mismatches)}.`,
      'Something else writes to the mirror (another job, a bot, or a Forgejo push mirror): stop it, then re-run.',
    );
  }
  out.verification = 'passed';
  d.info(`Verified: the mirror's ${after.refs.size} branch and tag refs equal the source's.`);
}

async function forgejoMode(s: MirrorSettings, d: MirrorDeps, out: MirrorOutcome): Promise<void> {
  const canVerify = s.verify && s.remoteUrl !== undefined && s.hasToken;
  let source: RefMap | undefined;
  let before: RemoteRefs | undefined;
  if (canVerify) {
    source = await readSource(s, d);
    before = await d.step('read mirror refs', () =>
      readMirror(s, d, s.remoteUrl!.href, 'Reading the mirror'),
    );
    out.plan = planRefs(source, before.refs, { prune: s.prune });
    logPlan(d, out.plan);
  }
  if (s.dryRun) {
    d.skip('trigger Forgejo push mirror sync', 'dry run');
    out.verificationNote = 'dry run: no sync was triggered';
    return;
  }
  const result = await d.step('trigger Forgejo push mirror sync', () =>
    syncAndWait(d.forgejo!, {
      repository: s.repository ?? '',
      filter: s.mirror,
      waitTimeoutMs: s.waitTimeoutMs,
      pollMs: d.pollMs,
      sleep: d.sleep,
      now: d.now,
      info: d.info,
      retry: (what, fn) => retrying(s, d, `Forgejo: ${what}`, () => fn()),
    }),
  );
  out.pushed = true;
  out.forgejoMirrors = result.mirrors.map((m) => ({
    remote_address: displayAddress(m.remote_address),
    last_update: m.last_update,
  }));
  d.info(
    `Forgejo synced: ${out.forgejoMirrors.map((m) => `${m.remote_address} at ${m.last_update}`).join(', ')}.`,
  );
  if (!canVerify || !source || !before) {
    out.verificationNote = !s.verify
      ? "verify is 'false'"
      : "give 'remote-url' and 'token' to verify the mirror";
    d.skip('verify', out.verificationNote);
    return;
  }
  await verify(s, d, s.remoteUrl!.href, source, out, before);
}
