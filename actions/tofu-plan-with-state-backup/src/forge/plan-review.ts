import { planFingerprint, type PlanJsonForFingerprint } from './plan-fingerprint.js';

/**
 * What one stack's plan shows a reviewer (and the fingerprint apply compares against), made where the
 * flow already has the plan's JSON and the plan's printed text. Pure.
 */
export interface PlanReview {
  /** sha256 of the normalised plan (plan-fingerprint.ts). */
  fingerprint: string;
  /** The changes part of `tofu plan`'s output (not yet redacted: redacted when rendered). */
  text: string;
}

/** Where the part worth reading starts: drift notes, the action list, or "No changes." */
const START =
  /^(Note: Objects have changed outside of|(OpenTofu|Terraform) used the selected providers|(OpenTofu|Terraform) will perform the following actions|No changes\.)/;
/** Where it ends: tofu's hint about the saved plan (the path is the runner's, of no use to a reader). */
const END = /^(─{10,}|-{10,})?\s*$|^Saved the plan to:/;

/** The changes part of the plan output: no refresh lines, no "Saved the plan to …" footer. */
export function planTextOf(output: string): string {
  const lines = output.replace(/\r\n/g, '\n').split('\n');
  let start = lines.findIndex((l) => START.test(l));
  if (start < 0) start = 0;
  const kept = lines
    .slice(start)
    .filter((l) => !/: Refreshing state\.\.\.|: Reading\.\.\.|: Read complete after/.test(l));
  let end = kept.findIndex((l) => l.startsWith('Saved the plan to:'));
  if (end < 0) end = kept.length;
  // Drop the separator and the blank lines before the footer.
  while (end > 0 && END.test(kept[end - 1])) end--;
  return kept.slice(0, end).join('\n').trimEnd();
}

export function planReview(
  json: PlanJsonForFingerprint,
  output: string,
  lineage: string | undefined,
): PlanReview {
  return { fingerprint: planFingerprint(json, lineage), text: planTextOf(output) };
}
