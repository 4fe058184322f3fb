import { describe, expect, test } from '@jest/globals';
import {
  compareRefs,
  describeMismatches,
  inScope,
  parseLocalRefs,
  parseLsRemote,
  planCounts,
  planRefs,
  mirrorRefspecs,
  planFromPushReport,
  globbable,
  hasChanges,
  type RefTarget,
} from '../../../actions/push-mirror/src/mirror-refs.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);
const T = 'e'.repeat(40); // a tag object

const refs = (o: Record<string, RefTarget>) => new Map(Object.entries(o));

describe('parseLsRemote', () => {
  test('branches, tags with peeled commits and HEAD; pull requests and other refs dropped', () => {
    const out = parseLsRemote(
      [
        'ref: refs/heads/main\tHEAD',
        `${A}\tHEAD`,
        `${A}\trefs/heads/main`,
        `${B}\trefs/heads/feature/x`,
        `${C}\trefs/pull/1/head`,
        `${C}\trefs/pull/1/merge`,
        `${T}\trefs/tags/v1.0`,
        `${A}\trefs/tags/v1.0^{}`,
        `${B}\trefs/tags/v1.1`,
        `${C}\trefs/remotes/origin/main`,
        `${C}\trefs/notes/commits`,
        '',
      ].join('\n'),
    );
    expect(out.head).toEqual({ sha: A, branch: 'refs/heads/main' });
    expect(Object.fromEntries(out.refs)).toEqual({
      'refs/heads/main': { sha: A },
      'refs/heads/feature/x': { sha: B },
      'refs/tags/v1.0': { sha: T, peeled: A },
      'refs/tags/v1.1': { sha: B },
    });
  });

  test('an empty mirror has no refs and no HEAD', () => {
    expect(parseLsRemote('')).toEqual({ refs: new Map(), head: undefined });
  });
});

describe('parseLocalRefs', () => {
  test('local branches win over origin tracking branches; origin/HEAD, pulls and other remotes are dropped', () => {
    const out = parseLocalRefs(
      [
        `${C} refs/heads/main`,
        `${A} refs/remotes/origin/HEAD`,
        `${A} refs/remotes/origin/main`,
        `${B} refs/remotes/origin/feature`,
        `${B} refs/remotes/upstream/other`,
        `${C} refs/pull/1/head`,
        `${T} refs/tags/v1.0`,
        `${A} refs/tags/v1.0^{}`,
        `${C} refs/stash`,
      ].join('\n'),
    );
    expect(Object.fromEntries(out)).toEqual({
      'refs/heads/feature': { sha: B, from: 'refs/remotes/origin/feature' },
      'refs/heads/main': { sha: C },
      'refs/tags/v1.0': { sha: T, peeled: A },
    });
  });

  test('a local branch called HEAD is not offered (the glob refspecs never push refs/heads/HEAD)', () => {
    expect([...parseLocalRefs(`${A} refs/heads/HEAD\n${B} refs/heads/main`).keys()]).toEqual([
      'refs/heads/main',
    ]);
  });
});

describe('inScope', () => {
  const all = refs({
    'refs/heads/main': { sha: A },
    'refs/heads/release/1.x': { sha: A },
    'refs/tags/v1.0': { sha: A },
    'refs/tags/nightly': { sha: A },
  });
  test.each([
    [
      ['refs/heads/*', 'refs/tags/*'],
      ['refs/heads/main', 'refs/heads/release/1.x', 'refs/tags/v1.0', 'refs/tags/nightly'],
    ],
    [['refs/heads/release/*'], ['refs/heads/release/1.x']],
    [['refs/tags/v*'], ['refs/tags/v1.0']],
    [['refs/heads/main'], ['refs/heads/main']],
    [['refs/heads/ma'], []],
    [['refs/heads/main.'], []],
  ])('%j', (patterns, want) => {
    expect([...inScope(all, patterns).keys()]).toEqual(want);
  });
});

describe('planRefs', () => {
  const source = refs({
    'refs/heads/main': { sha: B },
    'refs/heads/new': { sha: C, from: 'refs/remotes/origin/new' },
    'refs/tags/v1': { sha: T, peeled: A },
    'refs/heads/same': { sha: A },
  });
  const mirror = refs({
    'refs/heads/main': { sha: A },
    'refs/heads/same': { sha: A },
    'refs/heads/gone': { sha: A },
  });

  test.each([
    [true, { created: 2, updated: 1, deleted: 1, unchanged: 1 }, 0],
    [false, { created: 2, updated: 1, deleted: 0, unchanged: 1 }, 1],
  ])('prune %s', (prune, counts, kept) => {
    const plan = planRefs(source, mirror, { prune });
    expect(planCounts(plan)).toEqual(counts);
    expect(plan.kept).toHaveLength(kept);
  });

  test('identical sides plan nothing', () => {
    expect(hasChanges(planRefs(mirror, mirror, { prune: true }))).toBe(false);
  });
});

describe('mirrorRefspecs and planFromPushReport (one push, its porcelain report as the plan)', () => {
  const source = refs({
    'refs/heads/main': { sha: B },
    'refs/heads/new': { sha: C, from: 'refs/remotes/origin/new' },
    'refs/tags/v1': { sha: T, peeled: A },
  });

  // A constant number of glob refspecs per pattern; explicit refspecs only for refs that a pattern git
  // cannot glob (no `*`, or several) brings into scope. With prune, git deletes what no glob writes.
  test.each<[boolean, boolean, string[], string[]]>([
    [
      true,
      true,
      ['refs/heads/*', 'refs/tags/v*'],
      [
        '+refs/heads/*:refs/heads/*',
        '+refs/remotes/origin/*:refs/heads/*',
        '+refs/tags/v*:refs/tags/v*',
        '^refs/remotes/origin/HEAD',
        '^refs/heads/HEAD',
      ],
    ],
    [
      false,
      true,
      ['refs/heads/main', 'refs/heads/n*w', 'refs/tags/*'],
      [
        'refs/heads/n*w:refs/heads/n*w',
        'refs/remotes/origin/n*w:refs/heads/n*w',
        'refs/tags/*:refs/tags/*',
        'refs/heads/main:refs/heads/main',
      ],
    ],
    [
      true,
      false,
      ['refs/heads/*', 'refs/heads/*', 'refs/tags/v1'],
      [
        '+refs/heads/*:refs/heads/*',
        '+refs/remotes/origin/*:refs/heads/*',
        '^refs/remotes/origin/HEAD',
        '^refs/heads/HEAD',
        '+refs/tags/v1:refs/tags/v1',
      ],
    ],
    [
      true,
      true,
      ['refs/heads/*/x*', 'refs/tags/v*'],
      [
        '+refs/tags/v*:refs/tags/v*',
        '+refs/heads/main:refs/heads/main',
        '+refs/remotes/origin/new:refs/heads/new',
      ],
    ],
  ])('force %s, prune %s, patterns %j', (force, prune, patterns, want) => {
    expect(mirrorRefspecs(source, patterns, { force, prune })).toEqual(want);
  });

  test('the number of refspecs does not grow with the number of refs', () => {
    const many = (n: number) =>
      new Map(
        Array.from({ length: n }, (_, i): [string, RefTarget] => [
          i % 2 ? `refs/heads/b${i}` : `refs/tags/t${i}`,
          i % 3 ? { sha: A } : { sha: A, from: `refs/remotes/origin/b${i}` },
        ]),
      );
    const patterns = ['refs/heads/*', 'refs/tags/*'];
    const small = mirrorRefspecs(many(5), patterns, { force: true, prune: true });
    expect(mirrorRefspecs(many(5000), patterns, { force: true, prune: true })).toEqual(small);
    expect(small).toHaveLength(5);
  });

  test('explicit deletions come last', () => {
    expect(
      mirrorRefspecs(source, ['refs/heads/main'], {
        force: true,
        prune: true,
        deletions: ['refs/heads/x'],
      }).slice(-1),
    ).toEqual([':refs/heads/x']);
  });

  test.each([
    ['refs/heads/*', true],
    ['refs/tags/v*', true],
    ['refs/heads/main', false],
    ['refs/heads/*/x*', false],
  ])('globbable(%s) is %s', (pattern, want) => {
    expect(globbable(pattern)).toBe(want);
  });

  test('the porcelain report (git push --porcelain -v, core.abbrev=no) becomes the plan', () => {
    const report = [
      'To https://github.com/ex/infra.git',
      `=\trefs/heads/same:refs/heads/same\t[up to date]`,
      ` \trefs/heads/main:refs/heads/main\t${A}..${B}`,
      `+\trefs/tags/v1:refs/tags/v1\t${A}...${T} (forced update)`,
      `*\trefs/remotes/origin/new:refs/heads/new\t[new branch]`,
      `-\t:refs/heads/gone\t[deleted]`,
      'Done',
    ].join('\n');
    const plan = planFromPushReport(
      report,
      refs({ ...Object.fromEntries(source), 'refs/heads/same': { sha: A } }),
    );
    expect(planCounts(plan)).toEqual({ created: 1, updated: 2, deleted: 1, unchanged: 1 });
    expect(plan.updated).toEqual([
      { ref: 'refs/heads/main', before: A, after: B, from: 'refs/heads/main' },
      { ref: 'refs/tags/v1', before: A, after: T, from: 'refs/tags/v1' },
    ]);
    expect(plan.created).toEqual([
      { ref: 'refs/heads/new', before: undefined, after: C, from: 'refs/remotes/origin/new' },
    ]);
    expect(plan.deleted).toEqual([{ ref: 'refs/heads/gone' }]);
  });

  test('lines that are not ref lines (a remote message) do not become refs', () => {
    const report = ['remote: *\tfake:refs/heads/x\t[new branch]', '::set-output name=x::y', 'Done'].join(
      '\n',
    );
    expect(hasChanges(planFromPushReport(report, source))).toBe(false);
  });
});

describe('compareRefs', () => {
  const source = refs({ 'refs/heads/main': { sha: A }, 'refs/tags/v1': { sha: T, peeled: A } });
  test.each([
    ['equal', refs({ 'refs/heads/main': { sha: A }, 'refs/tags/v1': { sha: T, peeled: A } }), true, []],
    ['missing', refs({ 'refs/heads/main': { sha: A } }), true, ['refs/tags/v1:missing on the mirror']],
    [
      'differs',
      refs({ 'refs/heads/main': { sha: B }, 'refs/tags/v1': { sha: T, peeled: A } }),
      true,
      ['refs/heads/main:differs'],
    ],
    [
      'tag peels differently',
      refs({ 'refs/heads/main': { sha: A }, 'refs/tags/v1': { sha: T, peeled: B } }),
      true,
      ['refs/tags/v1:tag peels differently'],
    ],
    [
      'extra with prune',
      refs({
        'refs/heads/main': { sha: A },
        'refs/tags/v1': { sha: T, peeled: A },
        'refs/heads/rogue': { sha: C },
      }),
      true,
      ['refs/heads/rogue:only on the mirror'],
    ],
    [
      'extra without prune is fine',
      refs({
        'refs/heads/main': { sha: A },
        'refs/tags/v1': { sha: T, peeled: A },
        'refs/heads/rogue': { sha: C },
      }),
      false,
      [],
    ],
  ])('%s', (_what, mirror, prune, want) => {
    expect(compareRefs(source, mirror, { prune }).map((m) => `${m.ref}:${m.problem}`)).toEqual(want);
  });

  test('describeMismatches lists a few and counts the rest', () => {
    const many = Array.from({ length: 7 }, (_, i) => ({
      ref: `refs/heads/b${i}`,
      problem: 'missing on the mirror' as const,
      source: A,
    }));
    const text = describeMismatches(many, 2);
    expect(text).toBe(
      'refs/heads/b0 (missing on the mirror: source aaaaaaaaaaaa, mirror —), refs/heads/b1 (missing on the mirror: source aaaaaaaaaaaa, mirror —) and 5 more',
    );
  });
});
