import { ActionError, TimeoutError } from '../../../shared/errors.js';
import { formatDuration } from '../../../shared/inputs.js';

/** The suite's timeout wording, plus the next step for this action (TimeoutError itself has no hint). */
export function checkTimeout(phase: string, timeoutMs: number): ActionError {
  const e = new TimeoutError(`The restore check (${phase})`, formatDuration(timeoutMs));
  return new ActionError(
    e.reason,
    e.message,
    "Raise 'timeout', or lower 'sample-files' or 'read-data-subset' for a large or slow repository.",
  );
}
