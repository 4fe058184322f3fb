import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { sha256File } from '../../../../shared/fsx.js';
import type { TreeNode } from '../restic/restic-json.js';

/**
 * Each restored file is checked twice, by two parties:
 *  - restic (`restore --verify`) reads it back after all writes and compares it, blob by blob, with the
 *    blob IDs of the snapshot's tree: the content check against what the repository holds;
 *  - the action, from the separate `restic ls` listing the sample was drawn from (not from anything the
 *    restore reported): every listed file must be on disk as a regular file with the listed size and
 *    modification time. A restore that skipped a file, wrote it short or long, or a file changed after
 *    restic verified it (its time moves) is caught here even if restic exited 0.
 * The action also hashes each file, for the report and the spot check.
 */
export interface Observed {
  sha256: string;
  bytes: number;
  mtimeMs: number;
}

export interface FileVerdict {
  path: string;
  size: number;
  sha256?: string;
  problem?: string;
}

/**
 * How far a restored file's time may be from the recorded one: filesystems keep times at different
 * resolutions (FAT and exFAT round to 2 s); restic sets the recorded time to the nanosecond.
 */
export const MTIME_TOLERANCE_MS = 2000;

/** Pure comparison of what `restic ls` listed with what is on disk after the restore. */
export function compareFile(node: TreeNode, restored: Observed | undefined): FileVerdict {
  const base = { path: node.path, size: node.size };
  if (!restored) return { ...base, problem: 'restore did not write it' };
  const verdict = { ...base, sha256: restored.sha256 };
  if (restored.bytes !== node.size)
    return { ...verdict, problem: `restored ${restored.bytes} bytes, the snapshot lists ${node.size}` };
  if (node.mtimeMs !== undefined && Math.abs(restored.mtimeMs - node.mtimeMs) > MTIME_TOLERANCE_MS)
    return {
      ...verdict,
      problem: `changed after the restore (modified ${new Date(restored.mtimeMs).toISOString()}, the snapshot records ${new Date(node.mtimeMs).toISOString()})`,
    };
  return verdict;
}

/** Where `restic restore --target DIR` puts a snapshot path. */
export function restoredLocation(restoreDir: string, snapshotPath: string): string {
  return path.join(restoreDir, ...snapshotPath.split('/').filter(Boolean));
}

/** Size, time and hash of a restored regular file, or undefined when there is none (symlinks are not followed). */
export async function observeRestored(file: string): Promise<Observed | undefined> {
  const st = await fsp.lstat(file).catch(() => undefined);
  if (!st?.isFile()) return undefined;
  return { sha256: await sha256File(file), bytes: st.size, mtimeMs: st.mtimeMs };
}
