import { expect, test } from '@jest/globals';
import type { TreeNode } from '../../../actions/restic-restore-check/src/restic/restic-json.js';
import { seededRandom } from '../../../actions/restic-restore-check/src/snapshot/sampling.js';
import {
  isUnder,
  TreeScan,
  type TreeScanPlan,
} from '../../../actions/restic-restore-check/src/snapshot/tree-scan.js';

const TREE: TreeNode[] = [
  { path: '/srv', type: 'dir', size: 0 },
  { path: '/srv/forgejo', type: 'dir', size: 0 },
  { path: '/srv/forgejo/a', type: 'file', size: 1 },
  { path: '/srv/forgejo/b', type: 'file', size: 2 },
  { path: '/srv/forgejo/link', type: 'symlink', size: 0 },
  { path: '/srv/dump', type: 'dir', size: 0 },
  { path: '/srv/dump/db.sql', type: 'file', size: 30 },
  { path: '/srv/dump/db.sql.sha256', type: 'file', size: 64 },
  { path: '/srv/forgejo-old', type: 'file', size: 5 },
];

function scan(plan: Partial<TreeScanPlan>) {
  const s = new TreeScan({
    expectedPaths: [],
    includes: [],
    sampleSize: 0,
    random: seededRandom(1),
    ...plan,
  });
  for (const n of TREE) s.add(n);
  return s.result();
}

test.each([
  [['/srv/forgejo', '/srv/dump/db.sql'], []],
  [
    ['/srv/forgejo', '/srv/missing', '/srv/forge'],
    ['/srv/missing', '/srv/forge'],
  ],
])('expected paths %j: missing %j', (expectedPaths, missing) => {
  expect(scan({ expectedPaths }).missingPaths).toEqual(missing);
});

test('include directories bring every regular file under them, and only those', () => {
  const r = scan({ includes: ['/srv/dump', '/srv/forgejo/a', '/srv/nope'] });
  expect(r.includeFiles.map((f) => f.path)).toEqual([
    '/srv/forgejo/a',
    '/srv/dump/db.sql',
    '/srv/dump/db.sql.sha256',
  ]);
  expect(r.missingIncludes).toEqual(['/srv/nope']);
});

test('the sample holds only regular files outside the includes and is the same for the same seed', () => {
  const plan = { includes: ['/srv/dump'], sampleSize: 2, random: seededRandom(99) };
  const a = scan(plan);
  const b = scan({ ...plan, random: seededRandom(99) });
  expect(a.sample).toHaveLength(2);
  expect(a.sample).toEqual(b.sample);
  for (const f of a.sample) {
    expect(f.type).toBe('file');
    expect(f.path.startsWith('/srv/dump')).toBe(false);
  }
});

test('a sample larger than the tree takes every eligible file', () => {
  expect(scan({ sampleSize: 50 }).sample.map((f) => f.path)).toEqual([
    '/srv/dump/db.sql',
    '/srv/dump/db.sql.sha256',
    '/srv/forgejo-old',
    '/srv/forgejo/a',
    '/srv/forgejo/b',
  ]);
});

test('counts regular files, and those under the compare path (not a sibling with the same prefix)', () => {
  const r = scan({ comparePath: '/srv/forgejo' });
  expect(r.regularFiles).toBe(5);
  expect(r.compareFiles).toBe(2);
});

test.each([
  ['/srv/a', '/srv', true],
  ['/srv', '/srv', true],
  ['/srvx', '/srv', false],
  ['/anything', '/', true],
])('isUnder(%s, %s) = %s', (p, root, want) => {
  expect(isUnder(p, root)).toBe(want);
});
