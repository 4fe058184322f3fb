import { Reservoir, type Random } from './sampling.js';
import type { TreeNode } from '../restic/restic-json.js';

/**
 * One pass over `restic ls --json` of the chosen snapshot collects everything later phases need: which
 * expected paths exist, the regular files under each `restore-include` path, a seeded random sample of the
 * other regular files, and the file count under the spot-check path. Snapshots can hold millions of nodes,
 * so only the sample and the include files are kept.
 */
export interface TreeScanPlan {
  expectedPaths: readonly string[];
  includes: readonly string[];
  sampleSize: number;
  random: Random;
  /** Snapshot path the spot check compares with (files under it are counted). */
  comparePath?: string;
}

export interface TreeScanResult {
  missingPaths: string[];
  missingIncludes: string[];
  includeFiles: TreeNode[];
  sample: TreeNode[];
  regularFiles: number;
  compareFiles: number;
}

export function isUnder(p: string, root: string): boolean {
  return p === root || root === '/' || p.startsWith(`${root}/`);
}

export class TreeScan {
  private readonly seen = new Set<string>();
  private readonly includeFiles: TreeNode[] = [];
  private readonly reservoir: Reservoir<TreeNode>;
  private regularFiles = 0;
  private compareFiles = 0;

  constructor(private readonly plan: TreeScanPlan) {
    this.reservoir = new Reservoir(plan.sampleSize, plan.random);
  }

  add(node: TreeNode): void {
    for (const p of [...this.plan.expectedPaths, ...this.plan.includes])
      if (node.path === p) this.seen.add(p);
    if (node.type !== 'file') return;
    this.regularFiles++;
    if (this.plan.comparePath && isUnder(node.path, this.plan.comparePath)) this.compareFiles++;
    if (this.plan.includes.some((inc) => isUnder(node.path, inc))) this.includeFiles.push(node);
    else this.reservoir.offer(node);
  }

  result(): TreeScanResult {
    return {
      missingPaths: this.plan.expectedPaths.filter((p) => !this.seen.has(p)),
      missingIncludes: this.plan.includes.filter((p) => !this.seen.has(p)),
      includeFiles: [...this.includeFiles],
      sample: [...this.reservoir.items].sort((a, b) => a.path.localeCompare(b.path)),
      regularFiles: this.regularFiles,
      compareFiles: this.compareFiles,
    };
  }
}
