import type { ActionError } from '../../../../shared/errors.js';
import type { BackupResult } from '../archive/state-backup.js';
import type { ArchiveContext } from '../archive/state-archive.js';
import type { StateInfo } from '../archive/state-file.js';
import type { RcloneCli } from '../archive/rclone-cli.js';
import type { Mode } from '../inputs.js';
import type { RestoreResult } from '../recovery/state-restore.js';
import type { Handoff } from '../tofu/handoff.js';
import type { PlanSummary } from '../tofu/plan-summary.js';
import type { TofuCli } from '../tofu/tofu-cli.js';

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
  backupRemote?: string;
  handoffOutputs?: readonly string[];
  restoreFrom?: string;
  allowLineageChange: boolean;
  runId: string;
  /** TF_DATA_DIR of the job (where init writes its backend record), if set. */
  tfDataDir?: string;
  context: Omit<ArchiveContext, 'toolVersion' | 'purpose'>;
}

export type CleanupKind = 'override' | 'tempdir';

export interface StackDeps {
  tofu: TofuCli;
  rclone?: RcloneCli;
  step: <T>(name: string, fn: () => Promise<T>) => Promise<T>;
  warning: (message: string) => void;
  /** Remembered so the post step can clean up after a crash or cancellation. */
  remember: (kind: CleanupKind, p: string) => void;
  forget: (kind: CleanupKind, p: string) => void;
  now?: () => Date;
}

export interface StackOutcome {
  label: string;
  summary?: PlanSummary;
  planFile?: string;
  planSha256?: string;
  state: StateInfo;
  backup?: BackupResult;
  applied: boolean;
  handoff?: Handoff;
  restore?: RestoreResult;
}

export interface RunResult {
  outcomes: StackOutcome[];
  handoffFile?: string;
  handoffJson?: string;
  /** Raised by main once the outputs are set (drift mode's drift-detected). */
  failure?: ActionError;
}
