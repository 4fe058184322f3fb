import { ActionError } from '../../../shared/errors.js';
import type { ActionContext } from '../../../shared/run.js';
import {
  compareWithLive,
  countLocalFiles,
  evaluateSpotCheck,
  spotCheckError,
} from './verification/spot-check.js';
import type { ResticCache } from './cache/restic-cache.js';
import type { ResticCli } from './restic/restic-cli.js';
import type { Snapshot, TreeNode } from './restic/restic-json.js';
import { newerThanTested, type ResticVersion } from './restic/restic-version.js';
import {
  compareFile,
  observeRestored,
  restoredLocation,
  type FileVerdict,
} from './verification/restore-verification.js';
import { seededRandom } from './snapshot/sampling.js';
import { assertFresh, latestSnapshot, type SnapshotFilter } from './snapshot/snapshot-freshness.js';
import { TreeScan, type TreeScanResult } from './snapshot/tree-scan.js';
import type { VerifyCommandRunner } from './verification/verify-command.js';

/**
 * The restore check, phase by phase in the order the issue fixes: reachability and password → latest
 * snapshot → freshness → expected paths → check → restore (restic verifies what it wrote) → every file
 * checked against the listing → spot check → verify-command. Every phase is a recorded step; whatever is
 * learnt is put into outputs and the report at once, so a failure later still reports the snapshot it
 * was about.
 */
export interface CheckPlan {
  filter: SnapshotFilter;
  expectedPaths: readonly string[];
  maxAgeMs: number;
  check: 'none' | 'structure' | 'read-data-subset';
  readDataSubset: string;
  sampleFiles: number;
  seed: number;
  includes: readonly string[];
  compare?: { localDir: string; snapshotPath: string; tolerancePercent: number };
  verifyCommand?: string;
  restoreDir: string;
}

export interface CheckDeps {
  restic: ResticCli;
  /** restic's cache: prepared once the repository id is known (cache/restic-cache.ts). */
  cache: Pick<ResticCache, 'prepare'>;
  verifier: VerifyCommandRunner;
  /** Removes restic's password file (and a per-run cache) once restic has finished (before verify-command). */
  removeResticFiles: () => Promise<void>;
  now: () => Date;
}

export type CheckContext = Pick<ActionContext, 'step' | 'skip' | 'result' | 'output' | 'warning'>;

export interface RestoreCheckResult {
  snapshot: Snapshot;
  checkResult: 'ok' | 'errors' | 'skipped';
  verified: FileVerdict[];
}

/** At most this many verified files are listed by name in the report. */
const LISTED_FILES = 50;

export async function runRestoreCheck(
  plan: CheckPlan,
  deps: CheckDeps,
  ctx: CheckContext,
): Promise<RestoreCheckResult> {
  const { restic } = deps;
  ctx.result({ seed: plan.seed });
  const version = await detectVersion(restic, ctx);
  const repository = await ctx.step('open repository', () => restic.openRepository());
  await ctx.step('restic cache', async () => {
    ctx.result({ cache: await deps.cache.prepare(repository.id, version) });
  });
  const { latest, group } = await findLatest(plan, restic, ctx);
  await ctx.step('freshness', async () => checkFreshness(latest, group, plan, deps.now(), ctx));
  const scan = await ctx.step('expected paths', () => scanTree(plan, restic, latest));
  ctx.result({ filesInSnapshot: scan.regularFiles });
  const checkResult = await runCheck(plan, restic, ctx);
  const verified = await restoreAndVerify(plan, restic, latest, scan, ctx);

  const compare = plan.compare;
  if (compare) await ctx.step('spot check', () => spotCheck(compare, scan, verified, ctx));
  else ctx.skip('spot check', 'no compare-with');

  const command = plan.verifyCommand;
  if (command) {
    await ctx.step('verify-command', async () => {
      // restic has finished: the user's command runs beside the restore, never beside its secrets.
      await deps.removeResticFiles();
      await deps.verifier.run(command, plan.restoreDir, latest.id);
    });
    ctx.result({ verifyCommand: 'passed' });
  } else ctx.skip('verify-command', 'no verify-command');

  return { snapshot: latest, checkResult, verified };
}

async function detectVersion(restic: ResticCli, ctx: CheckContext): Promise<ResticVersion> {
  const version = await ctx.step('restic version', () => restic.version());
  ctx.result({ resticVersion: version.text });
  if (newerThanTested(version))
    ctx.warning(
      `restic ${version.text} is newer than the versions this action was tested with (0.14–0.18); continuing.`,
    );
  return version;
}

async function findLatest(
  plan: CheckPlan,
  restic: ResticCli,
  ctx: CheckContext,
): Promise<{ latest: Snapshot; group: Snapshot[] }> {
  const found = await ctx.step('find latest snapshot', async () => {
    const snapshots = await restic.snapshots(plan.filter);
    return { latest: latestSnapshot(snapshots, plan.filter), group: snapshots };
  });
  const { latest } = found;
  ctx.output('snapshot-id', latest.id);
  ctx.output('snapshot-time', latest.time.toISOString());
  ctx.result({
    snapshot: {
      id: latest.id,
      shortId: latest.shortId,
      time: latest.time.toISOString(),
      host: latest.hostname,
      paths: latest.paths,
      tags: latest.tags,
    },
    snapshotsMatching: found.group.length,
  });
  return found;
}

function checkFreshness(
  latest: Snapshot,
  group: readonly Snapshot[],
  plan: CheckPlan,
  now: Date,
  ctx: CheckContext,
): void {
  const ageSeconds = Math.round((now.getTime() - latest.time.getTime()) / 1000);
  ctx.output('snapshot-age-seconds', ageSeconds);
  ctx.result({ snapshotAgeSeconds: ageSeconds });
  assertFresh(latest, group, now, plan.maxAgeMs);
}

/**
 * Restores the include files and the sample in one `restic restore --verify` (restic compares what it
 * wrote with the repository), then checks every file against the separate listing (verification/).
 */
async function restoreAndVerify(
  plan: CheckPlan,
  restic: ResticCli,
  latest: Snapshot,
  scan: TreeScanResult,
  ctx: CheckContext,
): Promise<FileVerdict[]> {
  const files = [...scan.includeFiles, ...scan.sample];
  const restored = (bytes: number) => {
    ctx.output('files-restored', files.length);
    ctx.output('bytes-restored', bytes);
  };
  if (files.length === 0) {
    ctx.skip('restore', 'nothing to restore (sample-files is 0 and no restore-include)');
    restored(0);
    return [];
  }
  const outcome = await ctx.step('restore', () =>
    restic.restore(latest.id, plan.restoreDir, restoreArguments(plan, scan)),
  );
  restored(files.reduce((n, f) => n + f.size, 0));
  return ctx.step('verify restored files', () => verifyAll(plan, files, outcome.verifiedFiles, ctx));
}

async function scanTree(plan: CheckPlan, restic: ResticCli, latest: Snapshot): Promise<TreeScanResult> {
  const scan = new TreeScan({
    expectedPaths: plan.expectedPaths,
    includes: plan.includes,
    sampleSize: plan.sampleFiles,
    random: seededRandom(plan.seed),
    comparePath: plan.compare?.snapshotPath,
  });
  await restic.listTree(latest.id, (n) => scan.add(n));
  const r = scan.result();
  const missing = [...new Set([...r.missingPaths, ...r.missingIncludes])];
  if (missing.length > 0) {
    throw new ActionError(
      'missing-path',
      `Snapshot ${latest.shortId} (${latest.timeText}) does not contain ${missing.map((p) => `'${p}'`).join(', ')}; it holds ${latest.paths.join(', ') || 'no paths'}.`,
      "Check the backup job's paths and excludes (the path may not have existed at backup time), or the 'paths'/'restore-include' inputs.",
    );
  }
  return r;
}

async function runCheck(
  plan: CheckPlan,
  restic: ResticCli,
  ctx: CheckContext,
): Promise<'ok' | 'errors' | 'skipped'> {
  if (plan.check === 'none') {
    ctx.skip('check', 'check: none');
    ctx.output('check-result', 'skipped');
    ctx.result({ check: { result: 'skipped' } });
    return 'skipped';
  }
  const subset = plan.check === 'read-data-subset' ? plan.readDataSubset : undefined;
  return ctx.step('check', async () => {
    const outcome = await restic.check(subset);
    const result = outcome.ok ? 'ok' : 'errors';
    ctx.output('check-result', result);
    ctx.result({ check: { result, readDataSubset: subset, errors: outcome.errors } });
    if (!outcome.ok) {
      throw new ActionError(
        'integrity',
        `restic check${subset ? ` --read-data-subset=${subset}` : ''} found damage in the repository: ${outcome.errors.slice(0, 2).join('; ') || 'see the restic output above'}.`,
        'Do not prune or forget anything; run `restic check --read-data` on a host with write access and repair as the restic docs describe (repair index/packs/snapshots), then take a fresh backup.',
      );
    }
    return result;
  });
}

/** Include directories are restored whole; sampled files one by one. */
function restoreArguments(plan: CheckPlan, scan: TreeScanResult): string[] {
  return [...plan.includes, ...scan.sample.map((f) => f.path)];
}

async function verifyAll(
  plan: CheckPlan,
  files: readonly TreeNode[],
  verifiedByRestic: number,
  ctx: CheckContext,
): Promise<FileVerdict[]> {
  const verdicts: FileVerdict[] = [];
  for (const node of files)
    verdicts.push(compareFile(node, await observeRestored(restoredLocation(plan.restoreDir, node.path))));
  const bad = verdicts.filter((v) => v.problem);
  ctx.result({
    restore: {
      filesRestored: files.length,
      bytesRestored: files.reduce((n, f) => n + f.size, 0),
      filesVerified: verdicts.length - bad.length,
      // restic counts the first of a group of hard links only (0.17+), so this may be lower.
      verifiedByRestic,
      mismatches: bad.map((v) => ({ path: v.path, problem: v.problem })),
      files: verdicts.slice(0, LISTED_FILES).map((v) => ({ path: v.path, size: v.size, sha256: v.sha256 })),
    },
  });
  if (bad.length > 0) {
    throw new ActionError(
      'restore-mismatch',
      `${bad.length} of ${verdicts.length} restored files do not match the snapshot: ${bad
        .slice(0, 3)
        .map((v) => `${v.path}: ${v.problem}`)
        .join('; ')}.`,
      'Restores from this repository cannot be trusted as they are: run `restic check --read-data`, and check the disk and restic version of this runner.',
    );
  }
  if (verifiedByRestic === 0)
    throw new ActionError(
      'restore-mismatch',
      `restic restore --verify verified none of the ${verdicts.length} restored files.`,
      'Run the restore by hand with --verify to see what it reports.',
    );
  return verdicts;
}

async function spotCheck(
  compare: NonNullable<CheckPlan['compare']>,
  scan: TreeScanResult,
  verified: readonly FileVerdict[],
  ctx: CheckContext,
): Promise<void> {
  const result = evaluateSpotCheck({
    snapshotFiles: scan.compareFiles,
    localFiles: await countLocalFiles(compare.localDir),
    compared: await compareWithLive(verified, compare.snapshotPath, compare.localDir),
    tolerancePercent: compare.tolerancePercent,
  });
  ctx.result({
    spotCheck: {
      ...result,
      localDir: compare.localDir,
      snapshotPath: compare.snapshotPath,
      tolerancePercent: compare.tolerancePercent,
    },
  });
  if (result.comparedFiles === 0)
    ctx.warning(
      `Spot check: none of the restored files lie under '${compare.snapshotPath}'; only file counts were compared.`,
    );
  if (!result.ok) throw spotCheckError(result, compare.localDir, compare.tolerancePercent);
}
