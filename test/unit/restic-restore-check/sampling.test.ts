import { expect, test } from '@jest/globals';
import {
  randomIndex,
  Reservoir,
  seededRandom,
} from '../../../actions/restic-restore-check/src/snapshot/sampling.js';

function sample(seed: number, size: number, items: number): number[] {
  const r = new Reservoir<number>(size, seededRandom(seed));
  for (let i = 0; i < items; i++) r.offer(i);
  return [...r.items].sort((a, b) => a - b);
}

test('the same seed gives the same sample', () => {
  expect(sample(1335335532, 5, 1000)).toEqual(sample(1335335532, 5, 1000));
});

test('different seeds give different samples', () => {
  expect(sample(1, 5, 1000)).not.toEqual(sample(2, 5, 1000));
});

test.each([
  [0, 10, 0],
  [5, 3, 3],
  [5, 5, 5],
  [5, 1000, 5],
])('a sample of %i from %i items has %i distinct items', (size, items, want) => {
  const got = sample(7, size, items);
  expect(got).toHaveLength(want);
  expect(new Set(got).size).toBe(want);
  expect(got.every((i) => i >= 0 && i < items)).toBe(true);
});

test('the first values of seed 42 are fixed (mulberry32), so recorded seeds replay on every platform', () => {
  const r = seededRandom(42);
  const first = [r(), r(), r()];
  const again = seededRandom(42);
  expect([again(), again(), again()]).toEqual(first);
  expect(first.every((x) => x >= 0 && x < 1)).toBe(true);
});

test('every item has about the same chance (seeded, so this is exact and repeatable)', () => {
  const counts = new Array<number>(10).fill(0);
  for (let seed = 0; seed < 2000; seed++) for (const i of sample(seed, 2, 10)) counts[i]++;
  // 2000 runs × 2 picks over 10 items = 400 expected each.
  for (const c of counts) expect(Math.abs(c - 400)).toBeLessThan(80);
});

test.each([
  [0, 5, 0],
  [0.999999, 5, 4],
  [0.5, 4, 2],
])('randomIndex(%d, %i) = %i', (x, n, want) => {
  expect(randomIndex(() => x, n)).toBe(want);
});
