import { ActionError } from '../../../../shared/errors.js';
import { formatAge } from '../../../../shared/age.js';
import { formatDuration } from '../../../../shared/inputs.js';
import type { Snapshot } from '../restic/restic-json.js';

/** Clock skew between the backup host and this runner that is not yet suspicious. */
export const FUTURE_SKEW_MS = 10 * 60_000;
/** A snapshot dated this much before its parent was not dated by restic's clock (see below). */
export const PARENT_INVERSION_MS = 60 * 60_000;

export interface SnapshotFilter {
  host?: string;
  tags: readonly string[];
}

function describeFilter(f: SnapshotFilter): string {
  const parts = [f.host ? `host '${f.host}'` : 'any host'];
  if (f.tags.length > 0) parts.push(`tags ${f.tags.join(',')}`);
  return parts.join(' and ');
}

/** The newest snapshot by its recorded time (what restic calls `latest`). */
export function latestSnapshot(snapshots: readonly Snapshot[], filter: SnapshotFilter): Snapshot {
  if (snapshots.length === 0) {
    throw new ActionError(
      'no-snapshot',
      `The repository has no snapshot for ${describeFilter(filter)}.`,
      "Check the 'host' and 'tags' inputs against `restic snapshots`, and that the backup job has run at least once.",
    );
  }
  return snapshots.reduce((a, b) => (b.time.getTime() > a.time.getTime() ? b : a));
}

/**
 * Freshness, and whether the dates can be believed at all. A compromised or misconfigured client can set a
 * snapshot's time (`restic backup --time`), so besides max-age two things are flagged:
 *  - a snapshot dated in the future (it would look fresh for ever);
 *  - a snapshot dated much earlier than its parent, the previous backup it was built on. restic picks as
 *    parent the newest snapshot not newer than the new one (cmd/restic/cmd_backup.go, findParentSnapshot),
 *    so this only happens with a hand-picked `--parent` and a back-dated `--time`, or forged metadata:
 *    then the newest date no longer shows the newest backup.
 */
export function assertFresh(
  latest: Snapshot,
  group: readonly Snapshot[],
  now: Date,
  maxAgeMs: number,
): { ageMs: number } {
  const ageMs = now.getTime() - latest.time.getTime();
  if (-ageMs > FUTURE_SKEW_MS) {
    throw new ActionError(
      'stale',
      `Snapshot ${latest.shortId} is dated ${latest.timeText}, ${formatAge(-ageMs)} in the future, so its date cannot be trusted.`,
      `Check the clock of host '${latest.hostname}' and who created this snapshot (a forged --time hides a backup job that stopped).`,
    );
  }
  const byId = new Map(group.map((s) => [s.id, s]));
  for (const s of group) {
    const parent = s.parent ? byId.get(s.parent) : undefined;
    if (parent && parent.time.getTime() - s.time.getTime() > PARENT_INVERSION_MS) {
      throw new ActionError(
        'stale',
        `Snapshot ${s.shortId} is dated ${s.timeText}, ${formatAge(parent.time.getTime() - s.time.getTime())} before its parent ${parent.shortId} (${parent.timeText}): it was made later but dated back, so snapshot dates do not show which backup is newest.`,
        `Find out who ran \`restic backup --time\` on '${s.hostname}'; remove or re-date the snapshot after checking it.`,
      );
    }
  }
  if (ageMs > maxAgeMs) {
    throw new ActionError(
      'stale',
      `The latest snapshot ${latest.shortId} of host '${latest.hostname}' was taken ${latest.timeText}, ${formatAge(ageMs)} ago, more than max-age ${formatDuration(maxAgeMs)}.`,
      `Check the backup job on '${latest.hostname}': it has not completed a backup since then.`,
    );
  }
  return { ageMs: Math.max(0, ageMs) };
}
