import type { StateInfo } from '../archive/state-file.js';

/**
 * The metadata file written beside a saved plan (`<plan>.meta.json`), and the check that an apply of
 * that plan still matches the plan file and the state it was made from. Tofu has its own check
 * ("Saved plan is stale"); this one runs first so a stale plan fails before any backup or lock churn,
 * and also covers a tampered or truncated plan file and a plan made for another state file. Pure.
 */
export const PLAN_META_VERSION = 1;

export interface PlanMetadata {
  version: number;
  planSha256: string;
  statePath: string;
  workingDirectory: string;
  stateExists: boolean;
  stateSerial: number | null;
  stateLineage: string | null;
  /** Used when serial/lineage are unreadable (encrypted state). */
  stateSha256: string | null;
  hasChanges: boolean;
  tool: string;
  toolVersion: string;
  runId: string;
  createdAt: string;
}

export function planMetaPath(planFile: string): string {
  return `${planFile}.meta.json`;
}

export function buildPlanMetadata(
  o: Omit<PlanMetadata, 'version' | 'stateExists' | 'stateSerial' | 'stateLineage' | 'stateSha256'> & {
    state: StateInfo;
  },
): PlanMetadata {
  const { state, ...rest } = o;
  return {
    version: PLAN_META_VERSION,
    ...rest,
    stateExists: state.exists,
    stateSerial: state.serial ?? null,
    stateLineage: state.lineage ?? null,
    stateSha256: state.sha256 ?? null,
  };
}

export function parsePlanMetadata(text: string): PlanMetadata | undefined {
  try {
    const m = JSON.parse(text) as PlanMetadata;
    if (m.version !== PLAN_META_VERSION || typeof m.planSha256 !== 'string') return undefined;
    return m;
  } catch {
    return undefined;
  }
}

export interface FreshnessInput {
  meta: PlanMetadata;
  planSha256: string;
  statePath: string;
  state: StateInfo;
}

/** Undefined when the plan may be applied; otherwise why it may not (one sentence). */
export function stalePlanReason(i: FreshnessInput): string | undefined {
  const { meta, state } = i;
  if (meta.planSha256 !== i.planSha256)
    return `the plan file's sha256 ${i.planSha256.slice(0, 12)}… differs from the recorded ${meta.planSha256.slice(0, 12)}… (changed or truncated since it was planned)`;
  if (meta.statePath !== i.statePath)
    return `it was planned against the state '${meta.statePath}', not '${i.statePath}'`;
  if (meta.stateExists !== state.exists)
    return meta.stateExists
      ? 'the state it was planned against no longer exists'
      : 'it was planned against an empty state, but a state has been written since';
  if (!state.exists) return undefined;
  if (meta.stateSerial === null || state.serial === undefined || state.encrypted) {
    return meta.stateSha256 === state.sha256 ? undefined : 'the (encrypted) state has changed since the plan';
  }
  if (meta.stateLineage !== (state.lineage ?? null))
    return `the state lineage is now ${state.lineage ?? 'unknown'}, the plan was made for ${meta.stateLineage}`;
  if (meta.stateSerial !== state.serial)
    return `the state serial moved from ${meta.stateSerial} to ${state.serial} since the plan was made`;
  return undefined;
}
