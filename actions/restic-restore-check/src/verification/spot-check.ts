import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { ActionError } from '../../../../shared/errors.js';
import { sha256File } from '../../../../shared/fsx.js';
import { isUnder } from '../snapshot/tree-scan.js';
import type { FileVerdict } from './restore-verification.js';

/**
 * The spot check (after borgmatic's): does the latest snapshot still look like the live source? It
 * compares the number of regular files under the source directory with the snapshot, and the content of
 * the verified restored files that lie under it with the live files. Sources keep changing after a
 * backup, hence the tolerance (percent of the count, and percent of compared files that may differ).
 */
export interface SpotCheckInput {
  snapshotFiles: number;
  localFiles: number;
  /** One entry per restored file under the compared path: same content as the live file? */
  compared: { path: string; same: boolean }[];
  tolerancePercent: number;
}

export interface SpotCheckResult {
  snapshotFiles: number;
  localFiles: number;
  countDifferencePercent: number;
  comparedFiles: number;
  differingFiles: string[];
  contentDifferencePercent: number;
  ok: boolean;
}

function percent(part: number, whole: number): number {
  if (whole === 0) return part === 0 ? 0 : 100;
  return Math.round((part / whole) * 10_000) / 100;
}

export function evaluateSpotCheck(i: SpotCheckInput): SpotCheckResult {
  const countDifferencePercent = percent(
    Math.abs(i.localFiles - i.snapshotFiles),
    Math.max(i.localFiles, i.snapshotFiles),
  );
  const differingFiles = i.compared.filter((c) => !c.same).map((c) => c.path);
  const contentDifferencePercent = percent(differingFiles.length, i.compared.length);
  return {
    snapshotFiles: i.snapshotFiles,
    localFiles: i.localFiles,
    countDifferencePercent,
    comparedFiles: i.compared.length,
    differingFiles,
    contentDifferencePercent,
    ok: countDifferencePercent <= i.tolerancePercent && contentDifferencePercent <= i.tolerancePercent,
  };
}

export function spotCheckError(r: SpotCheckResult, localDir: string, tolerance: number): ActionError {
  const parts: string[] = [];
  if (r.countDifferencePercent > tolerance)
    parts.push(
      `${r.localFiles} files live vs ${r.snapshotFiles} in the snapshot (${r.countDifferencePercent}% apart)`,
    );
  if (r.contentDifferencePercent > tolerance)
    parts.push(
      `${r.differingFiles.length} of ${r.comparedFiles} restored files differ from the live ones (${r.contentDifferencePercent}%, e.g. ${r.differingFiles.slice(0, 3).join(', ')})`,
    );
  return new ActionError(
    'restore-mismatch',
    `Spot check against '${localDir}' is beyond the ${tolerance}% tolerance: ${parts.join('; ')}.`,
    'The backup no longer matches the live data: check that the backup job still covers this directory, or raise compare-tolerance if the data changes this much between backups.',
  );
}

/** Regular files under a directory, recursively (symlinks are not followed, like restic). */
export async function countLocalFiles(dir: string): Promise<number> {
  const entries = await fsp.readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).length;
}

/** Maps each verified file under `comparePath` to the live file under `localDir` and compares hashes. */
export async function compareWithLive(
  verified: readonly FileVerdict[],
  comparePath: string,
  localDir: string,
): Promise<{ path: string; same: boolean }[]> {
  const out: { path: string; same: boolean }[] = [];
  for (const f of verified) {
    if (!isUnder(f.path, comparePath) || f.problem) continue;
    const live = path.join(localDir, path.posix.relative(comparePath, f.path));
    const sha = await sha256File(live).catch(() => undefined);
    out.push({ path: f.path, same: sha === f.sha256 });
  }
  return out;
}
