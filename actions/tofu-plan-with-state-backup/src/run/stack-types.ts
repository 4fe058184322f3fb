import type { ActionError } from '../../../../shared/errors.js';
import type { PlanReview } from '../forge/plan-review.js';
import type { BackupResult } from '../archive/state-backup.js';
import type { ArchiveContext } from '../archive/state-archive.js';
import type { StateInfo } from '../archive/state-file.js';
import type { RcloneCli } from '../archive/rclone-cli.js';
import type { Mode } from '../inputs.js';
import type { ArchiveFacts } from '../recovery/archive-source.js';
import type { Inventory } from '../recovery/inventory.js';
import type { RestoreResult } from '../recovery/state-restore.js';
import type { Handoff } from '../tofu/handoff.js';
import type { PlanSummary } from '../tofu/plan-summary.js';
import type { TofuCli } from '../tofu/tofu-cli.js';
import type { PluginCache, ProviderInit } from '../providers/plugin-cache.js';

/**
 * The shapes that flow between the orchestration and the per-mode flows: what one stack run is told
 * (options), what it may use (deps: injected clients and the step/warning/cleanup hooks) and what it
 * reports back (outcome). Kept apart from the flows so each flow depends on these types only.
 */
export interface StackOptions {
  mode: Mode;
  varFiles: readonly string[];
  lockTimeoutMs: number;
  backupKeep: number;
  /** max-archive-size-mb in bytes: the most an archive may hold uncompressed. */
  maxArchiveBytes: number;
  backupRemote?: string;
  handoffOutputs?: readonly string[];
  restoreFrom?: string;
  allowLineageChange: boolean;
  /** rehearse: the oldest the archive may be (max-archive-age). */
  maxArchiveAgeMs?: number;
  runId: string;
  /** TF_DATA_DIR of the job (where init writes its backend record), if set. */
  tfDataDir?: string;
  context: Omit<ArchiveContext, 'toolVersion' | 'purpose'>;
}

export type CleanupKind = 'override' | 'tempdir';

export interface StackDeps {
  tofu: TofuCli;
  /** The same tofu with its own TF_DATA_DIR (the rehearsal must not touch the stack's `.terraform`). */
  tofuWithDataDir: (dataDir: string) => TofuCli;
  rclone?: RcloneCli;
  /** The provider plugin cache init runs with (none: init as tofu does it by default). */
  pluginCache?: PluginCache;
  step: <T>(name: string, fn: () => Promise<T>) => Promise<T>;
  warning: (message: string) => void;
  /** Remembered so the post step can clean up after a crash or cancellation. */
  remember: (kind: CleanupKind, p: string) => void;
  forget: (kind: CleanupKind, p: string) => void;
  now?: () => Date;
  /** apply (require-approved-plan): throws to refuse a plan other than the reviewed one. */
  approve?: (t: { label: string; workingDir: string }, review: PlanReview) => Promise<void>;
}

export interface StackOutcome {
  label: string;
  summary?: PlanSummary;
  /** plan, drift, apply: the plan's fingerprint and text (the forge comment, the drift issue). */
  review?: PlanReview;
  planFile?: string;
  planSha256?: string;
  state: StateInfo;
  /** The archive this step made before changing anything (apply, restore, backup mode). */
  backup?: BackupResult;
  /** apply: the archive of the state the apply wrote, copied off-site like any other. */
  afterApply?: BackupResult;
  applied: boolean;
  handoff?: Handoff;
  /** What init did with the provider plugin cache. */
  providers?: ProviderInit;
  /** The plan as tofu printed it, when this run planned (raw: only for the redacting evidence writer). */
  planText?: string;
  restore?: RestoreResult;
  /** restore and rehearse: the archive that was restored (live or into the scratch state). */
  archive?: ArchiveFacts;
  /** restore, rehearse and backup: what this state can go back to, locally and off-site. */
  inventory?: Inventory;
  /** A failure found after the outputs are known (rehearsal-drift, …): outputs are set, then it is raised. */
  failure?: ActionError;
  /** What the forge hooks wrote for this stack (the pull request comment, the drift issue). */
  forge?: StackForgeRecord;
}

/** The forge writes of one stack, for the report; a write that was skipped or failed is absent. */
export interface StackForgeRecord {
  comment?: { pullRequest: number; action: 'created' | 'updated' | 'unchanged' };
  driftIssue?: { action: 'opened' | 'updated' | 'unchanged' | 'closed'; number?: number };
}

export interface RunResult {
  outcomes: StackOutcome[];
  handoffFile?: string;
  handoffJson?: string;
  /** Raised by main once the outputs are set (drift-detected, rehearsal-drift, …). */
  failure?: ActionError;
}
