import { expect, test } from '@jest/globals';
import {
  parseGoDuration,
  QUIET_MS,
  RetryWatch,
} from '../../../actions/restic-restore-check/src/restic/retry-watch.js';

const retry = (after: string) =>
  `Load(<data/8c2a1f0e36>, 0, 0) returned error, retrying after ${after}: client.Do: Get "http://127.0.0.1:1/r/data/8c": dial tcp 127.0.0.1:1: connect: connection refused`;

test.each([
  ['552.330144ms', 552.330144],
  ['1.5s', 1500],
  ['1m2.5s', 62_500],
  ['250µs', 0.25],
  ['2h', 7_200_000],
  ['soon', undefined],
])('parseGoDuration(%s)', (text, want) => {
  expect(parseGoDuration(text)).toBe(want);
});

/** Replays (time, line) events against a watch with a fake clock; returns when it first said "stop". */
function replay(limitMs: number, events: [number, string][], pollAt: number[] = []): number | undefined {
  let now = 0;
  const w = new RetryWatch(limitMs, () => now);
  const timeline = [...events.map(([t, l]) => ({ t, l })), ...pollAt.map((t) => ({ t, l: undefined }))].sort(
    (a, b) => a.t - b.t,
  );
  for (const e of timeline) {
    now = e.t;
    if (e.l !== undefined ? w.observe(e.l) : w.expired()) return e.t;
  }
  return undefined;
}

test.each<[string, number, [number, string][], number[], number | undefined]>([
  [
    'no retries: never stops',
    3000,
    [
      [0, 'load indexes'],
      [5000, 'check all packs'],
    ],
    [10_000],
    undefined,
  ],
  [
    'retries for longer than the limit: stops at the first line past it',
    3000,
    [
      [0, retry('552ms')],
      [600, retry('1.08s')],
      [1700, retry('1.31s')],
      [3000, retry('1.58s')],
    ],
    [],
    3000,
  ],
  [
    'a long backoff is caught by the poll, not the next line',
    3000,
    [[0, retry('15s')]],
    [1000, 2000, 3500],
    3500,
  ],
  [
    'one retry that worked (then quiet) does not stop a later one',
    3000,
    [
      [0, retry('500ms')],
      [0 + 500 + QUIET_MS + 1, retry('500ms')],
    ],
    [QUIET_MS + 2000],
    undefined,
  ],
  [
    'a new episode starts its own clock',
    3000,
    [
      [0, retry('500ms')],
      [40_000, retry('500ms')],
      [41_000, retry('1s')],
      [43_500, retry('1s')],
    ],
    [],
    43_500,
  ],
])('%s', (_name, limit, events, polls, want) => {
  expect(replay(limit, events, polls)).toBe(want);
});

test('remembers the last retry line for the message', () => {
  const w = new RetryWatch(1000, () => 0);
  w.observe(retry('1s'));
  expect(w.lastRetry).toContain('connection refused');
});
