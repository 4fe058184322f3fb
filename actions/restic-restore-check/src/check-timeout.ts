import { TimeoutError } from '../../../shared/errors.js';
import { formatDuration } from '../../../shared/inputs.js';

/** The suite's timeout wording, with the next step for a slow or large repository. */
export function checkTimeout(phase: string, timeoutMs: number): TimeoutError {
  return new TimeoutError(
    `The restore check (${phase})`,
    formatDuration(timeoutMs),
    'timeout',
    "Raise 'timeout', or lower 'sample-files' or 'read-data-subset' for a large or slow repository.",
  );
}
