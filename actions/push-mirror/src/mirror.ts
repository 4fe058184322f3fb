import { ActionError, INVALID_INPUT, errorMessage } from '../../../shared/errors.js';
import { ForgejoApiError, type ForgejoApi, type PushMirror } from './forgejo-api.js';
import { displayAddress, syncAndWait } from './forgejo-sync.js';
import { GitCommandError, type GitCli } from './git-cli.js';
import type { LfsBatchApi } from './lfs/batch-api.js';
import { LfsError } from './lfs/errors.js';
import type { LfsObject } from './lfs/pointers.js';
import {
  describeUnresolved,
  scanLfs,
  transferLfs,
  unresolvedOnMirror,
  type LfsCounts,
} from './lfs/transfer.js';
import {
  compareRefs,
  describeMismatches,
  hasChanges,
  inScope,
  mirrorRefspecs,
  parseLocalRefs,
  parseLsRemote,
  planCounts,
  planFromPushReport,
  planRefs,
  globbable,
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
  lfs: 'true' | 'false' | 'auto';
  /** Whether a token for the source's LFS endpoint was given (or found in the job's environment). */
  hasSourceToken: boolean;
  dryRun: boolean;
  repository?: string;
  mirror?: string;
  waitTimeoutMs: number;
}

export interface MirrorDeps {
  git: GitCli;
  /** The mirror's Git LFS batch API (authenticated like git). */
  lfs?: LfsBatchApi;
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
  lfs?: LfsOutcome;
  error?: unknown;
}

export interface LfsOutcome {
  enabled: boolean;
  /** Why LFS is on or off (`lfs: auto` decides from .gitattributes). */
  why: string;
  counts?: LfsCounts;
  /** Objects the mirror could not serve after the push. */
  unresolved?: LfsObject[];
  verified?: boolean;
}

function isRetryable(e: unknown): boolean {
  return (
    (e instanceof GitCommandError || e instanceof ForgejoApiError || e instanceof LfsError) && e.retryable
  );
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
    if (s.lfs === 'true') await requireGitLfs(d, "Input 'lfs' is true");
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

async function requireGitLfs(d: MirrorDeps, why: string): Promise<void> {
  if (await d.git.lfsVersion()) return;
  throw new ActionError(
    INVALID_INPUT,
    `${why}, but git-lfs is not installed on the runner ('git lfs version' failed).`,
    'Install git-lfs (apt-get install git-lfs, brew install git-lfs) or set lfs: false.',
  );
}

/** The commits whose history is mirrored (peeled: git-lfs and rev-list want commits). */
function commitsOf(source: RefMap): string[] {
  return [...new Set([...source.values()].map((t) => t.peeled ?? t.sha))];
}

/** Whether LFS objects are carried: `true`, `false`, or `auto` (an lfs filter in a pushed head's .gitattributes). */
async function decideLfs(s: MirrorSettings, d: MirrorDeps, source: RefMap): Promise<LfsOutcome> {
  if (s.lfs === 'false') return { enabled: false, why: "lfs is 'false'" };
  if (s.lfs === 'true') return { enabled: true, why: "lfs is 'true'" };
  const heads = [
    ...new Set([...source].filter(([ref]) => ref.startsWith('refs/heads/')).map(([, t]) => t.sha)),
  ];
  const found = await d.git.hasLfsFilters(s.sourceDir, heads);
  if (!found) {
    d.info('LFS: no .gitattributes in the pushed branches assigns filter=lfs; LFS objects are not mirrored.');
    return { enabled: false, why: 'lfs is auto and no pushed branch has LFS filters' };
  }
  await requireGitLfs(d, "Input 'lfs' is auto and the pushed branches have LFS filters in .gitattributes");
  return { enabled: true, why: 'lfs is auto and the pushed branches have LFS filters' };
}

function logPlan(d: MirrorDeps, plan: RefPlan, dryRun: boolean): void {
  const c = planCounts(plan);
  d.info(
    `${dryRun ? 'Plan' : 'Pushed'}: ${c.created} ${dryRun ? 'to create' : 'created'}, ${c.updated} ${dryRun ? 'to update' : 'updated'}, ${c.deleted} ${dryRun ? 'to delete' : 'deleted'}, ${c.unchanged} unchanged` +
      (plan.kept.length ? `, ${plan.kept.length} only on the mirror kept (prune is off)` : '') +
      '.',
  );
  for (const ch of plan.created) d.info(`  + ${ch.ref}`);
  for (const ch of plan.updated) d.info(`  ~ ${ch.ref}`);
  for (const ch of plan.deleted) d.info(`  - ${ch.ref}`);
}

function lfsDeps(s: MirrorSettings, d: MirrorDeps) {
  if (!d.lfs) throw new ActionError('tool-failed', 'No LFS client was configured for the mirror.');
  return {
    git: d.git,
    mirror: d.lfs,
    dir: s.sourceDir,
    mirrorUrl: s.remoteUrl!.href,
    info: d.info,
    retry: <T>(what: string, fn: () => Promise<T>) => retrying(s, d, what, () => fn()),
  };
}

/**
 * Push mode in two round trips to the mirror (issue 21): one `git push --porcelain` that creates,
 * updates and prunes (the mirror's report of it is the plan), then one `git ls-remote` read after the
 * push, which is what the verification compares. A listing before the push is needed only when a
 * `refs` pattern cannot be a glob refspec (no `*`, or several) and prune is on.
 */
async function pushMode(s: MirrorSettings, d: MirrorDeps, out: MirrorOutcome): Promise<void> {
  const remote = s.remoteUrl!.href;
  const source = await readSource(s, d);
  out.lfs = await decideLfs(s, d, source);
  const deletions = await explicitDeletions(s, d, remote, source);
  const refspecs = mirrorRefspecs(source, s.refs, { force: s.force, prune: s.prune, deletions });
  let lfsObjects: LfsObject[] = [];
  if (out.lfs.enabled) {
    lfsObjects = await d.step('list LFS objects', () =>
      scanLfs(d.git, s.sourceDir, commitsOf(source), d.info),
    );
  }
  if (s.dryRun) {
    const report = await d.step('plan (push --dry-run)', () =>
      retrying(s, d, 'git push --dry-run', () =>
        d.git.push(s.sourceDir, remote, refspecs, { atomic: false, prune: s.prune, dryRun: true }),
      ),
    );
    out.plan = planFromPushReport(report, source);
    logPlan(d, out.plan, true);
    d.skip('push', 'dry run');
    out.verificationNote = 'dry run: nothing was pushed';
    return;
  }
  if (out.lfs.enabled) {
    // Before any ref: the mirror must never point at LFS objects it does not have.
    out.lfs.counts = await d.step('push LFS objects', () =>
      transferLfs(lfsDeps(s, d), lfsObjects, commitsOf(source)),
    );
  }
  const report = await d.step('push', () => push(s, d, remote, refspecs));
  out.plan = planFromPushReport(report, source);
  out.pushed = hasChanges(out.plan);
  logPlan(d, out.plan, false);
  await verify(s, d, remote, source, out, lfsObjects);
}

/** `:ref` deletions for patterns git cannot prune by itself; needs the mirror's list (one more round trip). */
async function explicitDeletions(
  s: MirrorSettings,
  d: MirrorDeps,
  remote: string,
  source: RefMap,
): Promise<string[]> {
  const fixed = s.refs.filter((p) => !globbable(p));
  if (!s.prune || fixed.length === 0) return [];
  const before = await d.step('read mirror refs', () => readMirror(s, d, remote, 'Reading the mirror'));
  const globbed = s.refs.filter(globbable);
  return [...inScope(before.refs, fixed).keys()].filter(
    (ref) => !source.has(ref) && inScope(new Map([[ref, { sha: '' }]]), globbed).size === 0,
  );
}

async function push(s: MirrorSettings, d: MirrorDeps, remote: string, refspecs: string[]): Promise<string> {
  let atomic = true;
  // Re-running the same push is safe: refs a failed attempt did update come back as "up to date", and
  // the prune only deletes what is still there.
  return retrying(s, d, 'git push', async () => {
    try {
      return await d.git.push(s.sourceDir, remote, refspecs, { atomic, prune: s.prune });
    } catch (e) {
      if (!(e instanceof GitCommandError) || e.kind !== 'atomic-unsupported') throw e;
      // All-or-nothing is preferred, but a server without the capability still gets the mirror.
      d.warn('The mirror does not support atomic pushes; pushing the refs one by one.');
      atomic = false;
      return d.git.push(s.sourceDir, remote, refspecs, { atomic, prune: s.prune });
    }
  });
}

async function verify(
  s: MirrorSettings,
  d: MirrorDeps,
  remote: string,
  source: RefMap,
  out: MirrorOutcome,
  lfsObjects: readonly LfsObject[],
): Promise<void> {
  if (!s.verify) {
    d.skip('verify', "verify is 'false'");
    out.verificationNote = "verify is 'false'";
    return;
  }
  await d.step('verify', async () => {
    const after = await readMirror(s, d, remote, 'Verifying the mirror');
    out.mirrorHead =
      after.head?.sha ?? (after.head?.branch ? after.refs.get(after.head.branch)?.sha : undefined);
    if (out.plan && !s.prune) {
      out.plan.kept = [...after.refs]
        .filter(([ref]) => !source.has(ref))
        .map(([ref, t]) => ({ ref, before: t.sha }));
    }
    out.mismatches = compareRefs(source, after.refs, { prune: s.prune });
    if (out.lfs?.enabled) {
      const unresolved = await unresolvedOnMirror(lfsDeps(s, d), lfsObjects);
      out.lfs.unresolved = unresolved;
      out.lfs.verified = unresolved.length === 0;
    }
    const lfsMissing = out.lfs?.unresolved ?? [];
    if (out.mismatches.length > 0 || lfsMissing.length > 0) {
      out.verification = 'failed';
      const parts = [
        out.mismatches.length > 0
          ? `${out.mismatches.length} ref${out.mismatches.length === 1 ? ' differs' : 's differ'}: ${describeMismatches(out.mismatches)}`
          : '',
        lfsMissing.length > 0
          ? `${lfsMissing.length} LFS object${lfsMissing.length === 1 ? ' is' : 's are'} not downloadable from the mirror: ${describeUnresolved(lfsMissing)}`
          : '',
      ].filter(Boolean);
      throw new ActionError(
        'verify-mismatch',
        `The mirror does not match the source after the push: ${parts.join('; ')}.`,
        'Something else writes to the mirror (another job, a bot, or a Forgejo push mirror), or its LFS storage lost objects: stop it, then re-run.',
      );
    }
    out.verification = 'passed';
    const lfsNote = out.lfs?.enabled
      ? ` and all ${lfsObjects.length} LFS objects can be downloaded from it`
      : '';
    d.info(`Verified: the mirror's ${after.refs.size} branch and tag refs equal the source's${lfsNote}.`);
  });
}

async function forgejoMode(s: MirrorSettings, d: MirrorDeps, out: MirrorOutcome): Promise<void> {
  const canVerify = s.verify && s.remoteUrl !== undefined && s.hasToken;
  let source: RefMap | undefined;
  let before: RemoteRefs | undefined;
  let lfsObjects: LfsObject[] = [];
  if (canVerify) {
    source = await readSource(s, d);
    out.lfs = await decideLfs(s, d, source);
    if (out.lfs.enabled) {
      const commits = commitsOf(source);
      lfsObjects = await d.step('list LFS objects', () => scanLfs(d.git, s.sourceDir, commits, d.info));
    }
    before = await d.step('read mirror refs', () =>
      readMirror(s, d, s.remoteUrl!.href, 'Reading the mirror'),
    );
    out.plan = planRefs(source, before.refs, { prune: s.prune });
    logPlan(d, out.plan, true);
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
  await verify(s, d, s.remoteUrl!.href, source, out, lfsObjects);
}
