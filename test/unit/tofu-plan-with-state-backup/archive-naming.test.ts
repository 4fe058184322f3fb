import { describe, expect, test } from '@jest/globals';
import {
  archiveName,
  archivesOf,
  checksumLine,
  latestCandidates,
  legacyArchivesIn,
  parseArchiveName,
  parseChecksumFile,
  selectForDeletion,
  stampTime,
  utcStamp,
} from '../../../actions/tofu-plan-with-state-backup/src/archive/archive-naming.js';

const S = 'terraform.tfstate';
const A = '0123456789ab';
const B = 'ba9876543210';
/** `id: null` writes the first release's name (no state id). */
const n = (stamp: string, serial: number | 'unknown', id: string | null = A) =>
  `${S}.${id ? `${id}.` : ''}${stamp}.serial-${serial}.tar.gz`;

describe('archive names', () => {
  test.each([
    [new Date('2026-11-21T14:05:09.123Z'), 7, `${S}.${A}.20261121T140509Z.serial-7.tar.gz`],
    [new Date('2026-01-02T03:04:05.000Z'), 0, `${S}.${A}.20260102T030405Z.serial-0.tar.gz`],
    [new Date('2026-01-02T03:04:05.000Z'), undefined, `${S}.${A}.20260102T030405Z.serial-unknown.tar.gz`],
  ])('%s serial %s → %s', (at, serial, want) => {
    expect(archiveName(S, A, at, serial)).toBe(want);
    expect(parseArchiveName(want, S)).toEqual({
      name: want,
      stateName: S,
      stateId: A,
      timestamp: utcStamp(at),
      serial,
    });
    expect(stampTime(utcStamp(at)).toISOString()).toBe(at.toISOString().replace(/\.\d{3}Z$/, '.000Z'));
  });

  test("the first release's names (no state id) still parse, as legacy", () => {
    expect(parseArchiveName(n('20260102T030405Z', 3, null), S)).toMatchObject({
      stateId: undefined,
      serial: 3,
    });
  });

  test.each([
    ['another state file name', `other.tfstate.${A}.20260102T030405Z.serial-1.tar.gz`],
    ['temp file of an interrupted backup', `.${n('20260102T030405Z', 1)}.tmp-12-ab`],
    ['checksum file', `${n('20260102T030405Z', 1)}.sha256`],
    ['bad stamp', `${S}.${A}.2026-01-02.serial-1.tar.gz`],
    ['a short state id', `${S}.0123.20260102T030405Z.serial-1.tar.gz`],
    ['prefix of a longer state name', `${S}x.${A}.20260102T030405Z.serial-1.tar.gz`],
  ])('ignores %s', (_why, name) => {
    expect(parseArchiveName(name, S)).toBeUndefined();
  });

  test('a state name with regex characters is matched literally', () => {
    expect(
      parseArchiveName(`a+b.tfstate.${A}.20260102T030405Z.serial-1.tar.gz`, 'a+b.tfstate'),
    ).toBeDefined();
    expect(
      parseArchiveName(`aab.tfstate.${A}.20260102T030405Z.serial-1.tar.gz`, 'a+b.tfstate'),
    ).toBeUndefined();
  });
});

describe('retention and latest, per state', () => {
  const listing = [
    n('20260101T000000Z', 1),
    n('20260103T000000Z', 3),
    n('20260102T000000Z', 2),
    n('20260103T000000Z', 4),
    `${n('20260103T000000Z', 4)}.sha256`,
    // Another state sharing the directory (same file name, other id), newer than ours.
    n('20260104T000000Z', 9, B),
    `${n('20260104T000000Z', 9, B)}.sha256`,
    n('20260105T000000Z', 10, B),
    // The first release's naming: whose, only its metadata says.
    n('20251231T000000Z', 0, null),
    `${n('20251231T000000Z', 0, null)}.sha256`,
    'unrelated.txt',
  ];

  test('newest first by timestamp, then serial; only this state id', () => {
    expect(archivesOf(listing, S, A).map((a) => a.serial)).toEqual([4, 3, 2, 1]);
    expect(archivesOf(listing, S, B).map((a) => a.serial)).toEqual([10, 9]);
    expect(legacyArchivesIn(listing, S).map((a) => a.serial)).toEqual([0]);
  });

  test.each([
    [1, undefined, [3, 2, 1]],
    [2, undefined, [2, 1]],
    [4, undefined, []],
    [30, undefined, []],
    // The fresh archive sorts oldest (clock went backwards): it is kept and counts toward `keep`.
    [2, n('20260101T000000Z', 1), [3, 2]],
    [1, n('20260101T000000Z', 1), [4, 3, 2]],
  ])(
    "keep %i (just made %s) deletes serials %j: never another state's or a legacy one",
    (keep, justMade, want) => {
      const doomed = selectForDeletion(listing, S, A, keep, justMade);
      expect(doomed.map((d) => parseArchiveName(d, S)?.serial)).toEqual(want);
      expect(selectForDeletion(listing, S, B, 1)).toEqual([n('20260104T000000Z', 9, B)]);
    },
  );

  test("latest candidates: this state's and legacy ones with a checksum file, newest first", () => {
    expect(latestCandidates(listing, S, A).map((a) => a.name)).toEqual([
      n('20260103T000000Z', 4),
      n('20251231T000000Z', 0, null),
    ]);
    expect(latestCandidates(listing, S, B).map((a) => a.name)).toEqual([
      n('20260104T000000Z', 9, B),
      n('20251231T000000Z', 0, null),
    ]);
  });
});

describe('checksum files', () => {
  const sha = 'a'.repeat(64);
  test('written like sha256sum (two spaces, newline)', () => {
    expect(checksumLine(sha, 'x.tar.gz')).toBe(`${sha}  x.tar.gz\n`);
  });
  test.each([
    [`${sha}  x.tar.gz\n`, sha],
    [`${sha} *x.tar.gz\n`, sha],
    [`${sha.toUpperCase()}  ./dir/x.tar.gz`, sha],
    [`${sha}  y.tar.gz\n`, undefined],
    [`${sha.slice(1)}  x.tar.gz\n`, undefined],
    ['', undefined],
  ])('%j → %s', (content, want) => {
    expect(parseChecksumFile(content, 'x.tar.gz')).toBe(want);
  });
});
