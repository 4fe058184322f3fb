import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { sha256File } from '../../../../shared/fsx.js';
import type { TreeNode } from '../restic/restic-json.js';

/**
 * Every restored file is checked against the repository through a second, independent path: its size as
 * `restic ls` lists it and its content hash as `restic dump` streams it. A restore that wrote the wrong
 * bytes, truncated a file or skipped it is caught even if `restore` itself exited 0.
 */
export interface Observed {
  sha256: string;
  bytes: number;
}

export interface FileVerdict {
  path: string;
  size: number;
  sha256?: string;
  problem?: string;
}

/** Pure comparison of what ls says, what dump streamed and what restore wrote. */
export function compareFile(node: TreeNode, dumped: Observed, restored: Observed | undefined): FileVerdict {
  const base = { path: node.path, size: node.size, sha256: dumped.sha256 };
  if (dumped.bytes !== node.size)
    return {
      ...base,
      problem: `restic dump streamed ${dumped.bytes} bytes but the snapshot lists ${node.size}`,
    };
  if (!restored) return { ...base, problem: 'restore did not write it' };
  if (restored.bytes !== node.size)
    return { ...base, problem: `restored ${restored.bytes} bytes, the snapshot lists ${node.size}` };
  if (restored.sha256 !== dumped.sha256)
    return {
      ...base,
      problem: `restored content differs (sha256 ${restored.sha256.slice(0, 12)}…, repository ${dumped.sha256.slice(0, 12)}…)`,
    };
  return base;
}

/** Where `restic restore --target DIR` puts a snapshot path. */
export function restoredLocation(restoreDir: string, snapshotPath: string): string {
  return path.join(restoreDir, ...snapshotPath.split('/').filter(Boolean));
}

/** Size and hash of a restored regular file, or undefined when there is none (symlinks are not followed). */
export async function observeRestored(file: string): Promise<Observed | undefined> {
  const st = await fsp.lstat(file).catch(() => undefined);
  if (!st?.isFile()) return undefined;
  return { sha256: await sha256File(file), bytes: st.size };
}
