/**
 * One verdict per checked object. `pending` may still turn into `pass` (keep polling until the timeout);
 * `fail` cannot without a new deploy (the run stops at once: fail fast).
 */
export type CheckStatus = 'pass' | 'pending' | 'fail';
export type CheckName =
  'api' | 'node' | 'workload' | 'container' | 'pod' | 'system' | 'port' | 'volume' | 'condition';

export interface CheckResult {
  check: CheckName;
  /** `node/edge-1`, `deployment/rustdesk/hbbs`, `deployment/rustdesk/hbbs:hbbs`, `pod/ns/name`, `10.0.0.5:21116/udp`. */
  object: string;
  status: CheckStatus;
  /** Kubernetes' own term where one exists (NotReady, CrashLoopBackOff, ProgressDeadlineExceeded), else kebab-case. */
  reason: string;
  detail: string;
  /** The expectation it belongs to (`after:` ordering): a workload, claim or condition id. */
  subject?: string;
  /** The Kubernetes object it is about, when the object string does not say (events for diagnostics). */
  ref?: { kind: string; namespace?: string; name: string };
}

export function result(
  check: CheckName,
  object: string,
  status: CheckStatus,
  reason: string,
  detail: string,
): CheckResult {
  return { check, object, status, reason, detail };
}

/** fail beats pending beats pass. */
export function worst(statuses: Iterable<CheckStatus>): CheckStatus {
  let out: CheckStatus = 'pass';
  for (const s of statuses) {
    if (s === 'fail') return 'fail';
    if (s === 'pending') out = 'pending';
  }
  return out;
}

/** The `failures` output: everything that did not pass, in a stable order. */
export interface Failure {
  check: CheckName;
  object: string;
  reason: string;
  detail: string;
}

export function failuresOf(results: readonly CheckResult[]): Failure[] {
  return results
    .filter((r) => r.status !== 'pass')
    .map(({ check, object, reason, detail }) => ({ check, object, reason, detail }));
}
