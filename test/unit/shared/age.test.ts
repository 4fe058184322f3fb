import { expect, test } from '@jest/globals';
import { formatAge } from '../../../shared/age.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

test.each([
  [0, '0s'],
  [999, '0s'],
  [1500, '1s'],
  [59 * S, '59s'],
  [61 * S, '1m 1s'],
  [H, '1h'],
  [90 * M, '1h 30m'],
  [26 * H + 5 * M, '1d 2h'],
  [9 * D + 3 * H + 59 * S, '9d 3h'],
  [9 * H + 5 * M + 40 * S, '9h 5m'],
  [-2 * H, '-2h'],
  [Number.NaN, 'unknown'],
])('formatAge(%d) = %s', (ms, want) => {
  expect(formatAge(ms)).toBe(want);
});
