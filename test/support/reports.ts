import type { Report } from '../../shared/report.js';

/** A report as `shared/run` writes it, for tests of code that reads one (commit statuses, summaries). */
export function reportOf(
  action: string,
  status: Report['status'],
  o: { result?: Record<string, unknown>; inputs?: Record<string, string>; failure?: Report['failure'] } = {},
): Report {
  return {
    action,
    version: '1',
    status,
    startedAt: '',
    finishedAt: '',
    durationMs: 0,
    inputs: o.inputs ?? {},
    steps: [],
    result: o.result ?? {},
    ...(o.failure ? { failure: o.failure } : {}),
  };
}
