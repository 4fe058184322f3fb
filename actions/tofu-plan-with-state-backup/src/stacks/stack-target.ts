import * as path from 'node:path';
import { stateIdentity, type StateIdentity } from '../archive/state-identity.js';
import type { ActionSettings } from '../inputs.js';

/**
 * Which paths one stack run works on. Without terramate there is one stack (the working directory);
 * with terramate each changed stack gets its own, `{stack}` replaced by the stack's directory. Pure
 * (the home directory is a parameter).
 */
export const STACK = '{stack}';

/** Everything one stack run needs, resolved (paths absolute, `{stack}` substituted). */
export interface StackTarget {
  label: string;
  workingDir: string;
  statePath: string;
  /** Which state this is, for archive names and metadata. */
  identity: StateIdentity;
  backupDir: string;
  /** Given by the user (apply: apply it; plan: write it there). */
  planFile?: string;
  defaultPlanFile: string;
}

/** Resolves one stack's paths; `stack` is the terramate stack directory (relative) or undefined. */
export function stackTarget(s: ActionSettings, runId: string, stack?: string, home?: string): StackTarget {
  const sub = (p: string) => (stack === undefined ? p : p.split(STACK).join(stack));
  const statePath = path.resolve(sub(s.statePath));
  const workingDir = stack === undefined ? s.workingDirectory : path.resolve(s.workingDirectory, stack);
  const stateDir = path.dirname(statePath);
  const stateName = path.basename(statePath);
  return {
    label: stack ?? path.basename(workingDir),
    workingDir,
    statePath,
    identity: stateIdentity(statePath, home),
    backupDir: s.backupDir ? path.resolve(sub(s.backupDir)) : path.join(stateDir, 'backups'),
    planFile: s.planFile ? path.resolve(sub(s.planFile)) : undefined,
    defaultPlanFile: path.join(stateDir, 'plans', `${stateName}.run-${runId}.tfplan`),
  };
}
