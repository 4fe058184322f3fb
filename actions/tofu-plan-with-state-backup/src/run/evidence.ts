import type { EvidenceFile } from '../../../../shared/evidence.js';
import { stackReport } from './outputs.js';
import type { StackOutcome } from './stack-types.js';

/**
 * What a stack adds to the step's evidence artifact (issue 16.2): the plan as tofu printed it and its
 * counts. Never the binary plan, the state, `show -json` or `output -json` (they hold sensitive values
 * in clear text): the text is what the log shows (tofu prints sensitive values as "(sensitive value)"),
 * and the evidence writer redacts every registered secret again. Pure.
 */
function fileStem(label: string): string {
  return (
    label
      .replace(/[^A-Za-z0-9._-]+/g, '_')
      .replace(/^[._-]+/, '')
      .slice(0, 80) || 'stack'
  );
}

export function planEvidence(o: StackOutcome, mode: string, taken: Set<string>): EvidenceFile[] {
  if (!o.summary && o.planText === undefined) return [];
  let stem = `plan-${fileStem(o.label)}`;
  for (let n = 2; taken.has(stem); n++) stem = `plan-${fileStem(o.label)}-${n}`;
  taken.add(stem);
  const r = stackReport(o);
  const counts = {
    stack: o.label,
    mode,
    hasChanges: r.hasChanges ?? null,
    counts: r.counts ?? null,
    changes: r.changes ?? {},
    applied: o.applied,
    planSha256: o.planSha256 ?? null,
  };
  const files: EvidenceFile[] = [{ name: `${stem}.json`, text: JSON.stringify(counts, null, 2) + '\n' }];
  if (o.planText !== undefined) files.push({ name: `${stem}.txt`, text: o.planText });
  return files;
}
