/**
 * The suite's one failure shape. Every expected failure is an ActionError carrying a machine-readable
 * reason (the action's `failure-reason` output) and a one-line message: what failed, why, what to do.
 * Anything else that reaches the lifecycle is a bug and is reported as such.
 */
export class ActionError extends Error {
  constructor(
    readonly reason: string,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'ActionError';
  }

  /** The single line given to setFailed. */
  get line(): string {
    return this.hint ? `${this.message} ${this.hint}` : this.message;
  }
}

export const INVALID_INPUT = 'invalid-input';

/** Bad input: names the input, the expected form and the value given (never a secret's value). */
export class InputError extends ActionError {
  constructor(
    readonly input: string,
    expected: string,
    given: string,
  ) {
    super(INVALID_INPUT, `Input '${input}' is invalid: expected ${expected}, got ${given}.`);
    this.name = 'InputError';
  }
}

/** Raised once SIGINT/SIGTERM reached the action; the report then says `cancelled`. */
export class CancelledError extends ActionError {
  constructor(signal: string) {
    super('cancelled', `The step was cancelled (${signal}); running tools were stopped and locks released.`);
    this.name = 'CancelledError';
  }
}

/** A tool exceeded its time limit; its whole process group was killed. */
export class TimeoutError extends ActionError {
  constructor(what: string, limit: string, reason = 'timeout', hint?: string) {
    super(reason, `${what} did not finish within ${limit}; its process group was killed.`, hint);
    this.name = 'TimeoutError';
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
