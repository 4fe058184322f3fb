/**
 * Random sample selection that can be replayed: a seeded PRNG (mulberry32, 32-bit state) and reservoir
 * sampling over the stream of `restic ls` nodes, so memory stays O(sample) for snapshots with millions of
 * files. Same seed + same snapshot = same sample; the action records the seed in its report.
 */
export type Random = () => number;

export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [0, n). */
export function randomIndex(random: Random, n: number): number {
  return Math.min(n - 1, Math.floor(random() * n));
}

/** Algorithm R: after `offer`ing every item, `items` holds a uniform sample of `size` of them. */
export class Reservoir<T> {
  private readonly chosen: T[] = [];
  private seen = 0;

  constructor(
    private readonly size: number,
    private readonly random: Random,
  ) {}

  offer(item: T): void {
    this.seen++;
    if (this.size === 0) return;
    if (this.chosen.length < this.size) {
      this.chosen.push(item);
      return;
    }
    const j = randomIndex(this.random, this.seen);
    if (j < this.size) this.chosen[j] = item;
  }

  get offered(): number {
    return this.seen;
  }

  get items(): readonly T[] {
    return this.chosen;
  }
}
