import { describe, expect, test } from '@jest/globals';
import { ActionError } from '../../../shared/errors.js';
import type { Snapshot } from '../../../actions/restic-restore-check/src/restic/restic-json.js';
import {
  assertFresh,
  latestSnapshot,
} from '../../../actions/restic-restore-check/src/snapshot/snapshot-freshness.js';

const NOW = new Date('2026-11-21T12:00:00Z');
const H = 3_600_000;

function snap(id: string, time: string, parent?: string): Snapshot {
  return {
    id: id.padEnd(64, '0'),
    shortId: id.padEnd(8, '0'),
    time: new Date(time),
    timeText: time,
    paths: ['/srv'],
    hostname: 'forgejo',
    tags: [],
    parent: parent?.padEnd(64, '0'),
  };
}

function reasonOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    if (e instanceof ActionError) return `${e.reason}: ${e.message}`;
    throw e;
  }
}

describe('latestSnapshot', () => {
  test('picks the newest by time, whatever the order', () => {
    const list = [
      snap('b', '2026-11-21T03:00:00Z'),
      snap('c', '2026-11-21T09:00:00Z'),
      snap('a', '2026-11-20T03:00:00Z'),
    ];
    expect(latestSnapshot(list, { tags: [] }).shortId).toBe('c0000000');
  });

  test('no snapshot is no-snapshot, naming the filter', () => {
    expect(reasonOf(() => latestSnapshot([], { host: 'edge', tags: ['k3s', 'daily'] }))).toBe(
      "no-snapshot: The repository has no snapshot for host 'edge' and tags k3s,daily.",
    );
  });
});

describe('assertFresh', () => {
  test.each<[string, Snapshot[], number, string | undefined]>([
    ['fresh', [snap('a', '2026-11-21T03:00:00Z')], 26 * H, undefined],
    ['exactly max-age old is still fresh', [snap('a', '2026-11-20T10:00:00Z')], 26 * H, undefined],
    [
      'older than max-age',
      [snap('a', '2026-11-20T09:59:00Z')],
      26 * H,
      "stale: The latest snapshot a0000000 of host 'forgejo' was taken 2026-11-20T09:59:00Z, 1d 2h ago, more than max-age 26h.",
    ],
    [
      'a little in the future (clock skew) is accepted',
      [snap('a', '2026-11-21T12:05:00Z')],
      26 * H,
      undefined,
    ],
    [
      'far in the future',
      [snap('a', '2027-01-01T00:00:00Z')],
      26 * H,
      'stale: Snapshot a0000000 is dated 2027-01-01T00:00:00Z, 40d 12h in the future, so its date cannot be trusted.',
    ],
    [
      'a snapshot dated much earlier than its parent',
      [snap('p', '2026-11-21T03:00:00Z'), snap('x', '2026-11-01T03:00:00Z', 'p')],
      26 * H,
      'stale: Snapshot x0000000 is dated 2026-11-01T03:00:00Z, 20d before its parent p0000000 (2026-11-21T03:00:00Z): it was made later but dated back, so snapshot dates do not show which backup is newest.',
    ],
    [
      'a parent a few minutes later is clock jitter, not a forgery',
      [snap('p', '2026-11-21T03:10:00Z'), snap('x', '2026-11-21T03:00:00Z', 'p')],
      26 * H,
      undefined,
    ],
    ['an unknown parent (forgotten) is fine', [snap('x', '2026-11-21T03:00:00Z', 'gone')], 26 * H, undefined],
  ])('%s', (_name, group, maxAge, want) => {
    const latest = latestSnapshot(group, { tags: [] });
    expect(reasonOf(() => assertFresh(latest, group, NOW, maxAge))).toBe(want);
  });

  test('returns the age', () => {
    const s = snap('a', '2026-11-21T11:00:00Z');
    expect(assertFresh(s, [s], NOW, 26 * H)).toEqual({ ageMs: H });
  });
});
