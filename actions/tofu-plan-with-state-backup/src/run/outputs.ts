import type { BackupResult } from '../archive/state-backup.js';
import type { ArchiveFacts } from '../recovery/archive-source.js';
import type { Inventory } from '../recovery/inventory.js';
import type { ChangeKind } from '../tofu/plan-summary.js';
import type { ProviderInit } from '../providers/plugin-cache.js';
import type { RunResult, StackForgeRecord, StackOutcome } from './stack-types.js';

/**
 * Step outputs and the report's `result` from the stacks' outcomes. One stack: plain values. Several
 * (terramate): counts summed, per-stack values as a JSON object keyed by stack. Pure.
 */
export interface StackReport {
  stack: string;
  hasChanges?: boolean;
  counts?: { toAdd: number; toChange: number; toDestroy: number; toReplace: number; outputChanges: number };
  changes?: Partial<Record<ChangeKind, string[]>>;
  applied: boolean;
  planFile?: string;
  planSha256?: string;
  stateSerial: number | null;
  stateLineage: string | null;
  stateEncrypted: boolean;
  backup?: BackupReport;
  /** apply: the archive of the state the apply wrote. */
  afterApply?: BackupReport;
  restore?: { archive: string; source: 'local' | 'remote'; before: string; after: string };
  /** restore and rehearse: the archive restored (live, or into the scratch state). */
  archive?: ArchiveFacts;
  inventory?: Inventory;
  handoffKeys?: string[];
  /** What init did with the provider plugin cache. */
  providers?: ProviderInit;
  /** The pull request comment or drift issue written for the stack. */
  forge?: StackForgeRecord;
}

export interface BackupReport {
  archive: string;
  sha256: string;
  checksumFile: string;
  remote?: string;
  deleted: string[];
}

function backupReport(b: BackupResult): BackupReport {
  return {
    archive: b.archive,
    sha256: b.sha256,
    checksumFile: b.checksumFile,
    remote: b.remoteArchive,
    deleted: b.deleted,
  };
}

function serialText(v: number | undefined, exists: boolean): string {
  return !exists ? '' : v === undefined ? 'unknown' : String(v);
}

export function stackReport(o: StackOutcome): StackReport {
  const s = o.summary;
  return {
    stack: o.label,
    ...(s
      ? {
          hasChanges: s.hasChanges,
          counts: {
            toAdd: s.toAdd,
            toChange: s.toChange,
            toDestroy: s.toDestroy,
            toReplace: s.toReplace,
            outputChanges: s.outputChanges,
          },
          changes: s.changes,
        }
      : {}),
    applied: o.applied,
    planFile: o.applied ? undefined : o.planFile,
    planSha256: o.planSha256,
    stateSerial: o.state.serial ?? null,
    stateLineage: o.state.lineage ?? null,
    stateEncrypted: o.state.encrypted,
    ...(o.backup ? { backup: backupReport(o.backup) } : {}),
    ...(o.afterApply ? { afterApply: backupReport(o.afterApply) } : {}),
    ...(o.restore
      ? {
          restore: {
            archive: o.restore.obtained.location,
            source: o.restore.obtained.source,
            before: `${serialText(o.restore.before.serial, o.restore.before.exists) || 'none'}/${o.restore.before.lineage ?? '-'}`,
            after: `${serialText(o.restore.after.serial, o.restore.after.exists)}/${o.restore.after.lineage ?? '-'}`,
          },
        }
      : {}),
    ...(o.archive ? { archive: o.archive } : {}),
    ...(o.inventory ? { inventory: o.inventory } : {}),
    ...(o.handoff ? { handoffKeys: Object.keys(o.handoff.values) } : {}),
    ...(o.providers ? { providers: o.providers } : {}),
    ...(o.forge ? { forge: o.forge } : {}),
  };
}

export function computeOutputs(r: RunResult, multi: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  const planned = r.outcomes.filter((o) => o.summary);
  if (planned.length > 0 || multi) {
    const sum = (f: (o: StackOutcome) => number) => String(planned.reduce((n, o) => n + f(o), 0));
    out['has-changes'] = String(planned.some((o) => o.summary!.hasChanges));
    out['to-add'] = sum((o) => o.summary!.toAdd);
    out['to-change'] = sum((o) => o.summary!.toChange);
    out['to-destroy'] = sum((o) => o.summary!.toDestroy);
    out['to-replace'] = sum((o) => o.summary!.toReplace);
  }
  const per = (name: string, f: (o: StackOutcome) => string | undefined) => {
    if (multi) {
      const entries = r.outcomes
        .map((o) => [o.label, f(o)] as const)
        .filter(([, v]) => v !== undefined && v !== '');
      out[name] = JSON.stringify(Object.fromEntries(entries));
    } else if (r.outcomes[0]) {
      const v = f(r.outcomes[0]);
      if (v !== undefined) out[name] = v;
    }
  };
  per('plan-file', (o) => (o.applied ? undefined : o.planFile));
  per('plan-sha256', (o) => o.planSha256);
  per('state-serial', (o) => serialText(o.state.serial, o.state.exists));
  per('state-lineage', (o) => (o.state.exists ? (o.state.lineage ?? 'unknown') : ''));
  per('backup-archive', (o) => o.backup?.archive);
  per('backup-sha256', (o) => o.backup?.sha256);
  per('backup-remote', (o) => o.backup?.remoteArchive);
  per('after-apply-archive', (o) => o.afterApply?.archive);
  per('after-apply-remote', (o) => o.afterApply?.remoteArchive);
  per('archive-path', (o) => o.archive?.location);
  per('archive-source', (o) => o.archive?.source);
  per('archive-serial', (o) => (o.archive ? String(o.archive.serial ?? 'unknown') : undefined));
  per('archive-lineage', (o) => (o.archive ? (o.archive.lineage ?? 'unknown') : undefined));
  per('archive-age-seconds', (o) => (o.archive ? String(o.archive.ageSeconds) : undefined));
  if (r.handoffJson !== undefined) out['handoff-json'] = r.handoffJson;
  if (r.handoffFile !== undefined) out['handoff-file'] = r.handoffFile;
  return out;
}
