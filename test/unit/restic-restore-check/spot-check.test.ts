import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, test } from '@jest/globals';
import { sha256 } from '../../../shared/fsx.js';
import {
  compareWithLive,
  countLocalFiles,
  evaluateSpotCheck,
  spotCheckError,
} from '../../../actions/restic-restore-check/src/verification/spot-check.js';

const same = (n: number) => Array.from({ length: n }, (_, i) => ({ path: `/s/${i}`, same: true }));
const differ = (n: number) => Array.from({ length: n }, (_, i) => ({ path: `/s/d${i}`, same: false }));

test.each([
  ['identical', 100, 100, same(10), 0, true, 0, 0],
  ['one file more live, no tolerance', 100, 101, same(10), 0, false, 0.99, 0],
  ['one file more live, 1% tolerance', 100, 101, same(10), 1, true, 0.99, 0],
  ['2 of 10 compared files differ, 10% tolerance', 100, 100, [...same(8), ...differ(2)], 10, false, 0, 20],
  ['2 of 10 compared files differ, 20% tolerance', 100, 100, [...same(8), ...differ(2)], 20, true, 0, 20],
  ['empty snapshot against a full directory', 0, 5, [], 50, false, 100, 0],
  ['both empty', 0, 0, [], 0, true, 0, 0],
])('%s', (_name, snapshotFiles, localFiles, compared, tolerancePercent, ok, countPct, contentPct) => {
  const r = evaluateSpotCheck({ snapshotFiles, localFiles, compared, tolerancePercent });
  expect([r.ok, r.countDifferencePercent, r.contentDifferencePercent]).toEqual([ok, countPct, contentPct]);
});

test('the error names both differences and the tolerance', () => {
  const r = evaluateSpotCheck({
    snapshotFiles: 10,
    localFiles: 12,
    compared: [...same(1), ...differ(1)],
    tolerancePercent: 5,
  });
  const e = spotCheckError(r, '/live', 5);
  expect(e.reason).toBe('restore-mismatch');
  expect(e.message).toBe(
    "Spot check against '/live' is beyond the 5% tolerance: 12 files live vs 10 in the snapshot (16.67% apart); 1 of 2 restored files differ from the live ones (50%, e.g. /s/d0).",
  );
});

test('live files are found under compare-with by their path relative to compare-path', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rrc-spot-'));
  try {
    fs.mkdirSync(path.join(dir, 'sub'));
    fs.writeFileSync(path.join(dir, 'a'), 'A');
    fs.writeFileSync(path.join(dir, 'sub', 'b'), 'changed');
    const verified = [
      { path: '/srv/data/a', size: 1, sha256: sha256('A') },
      { path: '/srv/data/sub/b', size: 1, sha256: sha256('B') },
      { path: '/srv/data/gone', size: 1, sha256: sha256('G') },
      { path: '/srv/other/x', size: 1, sha256: sha256('X') },
    ];
    expect(await compareWithLive(verified, '/srv/data', dir)).toEqual([
      { path: '/srv/data/a', same: true },
      { path: '/srv/data/sub/b', same: false },
      { path: '/srv/data/gone', same: false },
    ]);
    expect(await countLocalFiles(dir)).toBe(2);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
