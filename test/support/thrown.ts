/**
 * The error a function throws, checked to be of the expected class, for tests that assert on a
 * failure's message and reason; anything else thrown is re-thrown, and not throwing fails the test.
 */
export function thrown<E extends Error>(fn: () => unknown, kind: abstract new (...args: never[]) => E): E {
  try {
    fn();
  } catch (e) {
    if (e instanceof kind) return e;
    throw e;
  }
  throw new Error(`expected ${kind.name} to be thrown`);
}
