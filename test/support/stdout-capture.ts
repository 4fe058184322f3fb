import { afterEach, beforeEach, jest } from '@jest/globals';

/**
 * Captures what the code under test writes to stdout (where workflow commands and the log go) in each
 * test of the calling file; `reset` runs first (module state to clear before every test).
 */
export function captureStdout(reset?: () => void): { written: string[] } {
  const capture = { written: [] as string[] };
  beforeEach(() => {
    reset?.();
    capture.written = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      capture.written.push(String(chunk));
      return true;
    });
  });
  afterEach(() => {
    jest.restoreAllMocks();
  });
  return capture;
}
