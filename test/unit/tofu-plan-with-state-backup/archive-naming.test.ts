import { describe, expect, test } from '@jest/globals';
import {
  archiveName,
  archivesIn,
  checksumLine,
  latestArchive,
  parseArchiveName,
  parseChecksumFile,
  selectForDeletion,
  utcStamp,
} from '../../../actions/tofu-plan-with-state-backup/src/archive/archive-naming.js';

const S = 'terraform.tfstate';
const n = (stamp: string, serial: number | 'unknown') => `${S}.${stamp}.serial-${serial}.tar.gz`;

describe('archive names', () => {
  test.each([
    [new Date('2026-11-21T14:05:09.123Z'), 7, `${S}.20261121T140509Z.serial-7.tar.gz`],
    [new Date('2026-01-02T03:04:05.000Z'), 0, `${S}.20260102T030405Z.serial-0.tar.gz`],
    [new Date('2026-01-02T03:04:05.000Z'), undefined, `${S}.20260102T030405Z.serial-unknown.tar.gz`],
  ])('%s serial %s → %s', (at, serial, want) => {
    expect(archiveName(S, at, serial)).toBe(want);
    expect(parseArchiveName(want, S)).toEqual({
      name: want,
      stateName: S,
      timestamp: utcStamp(at),
      serial,
    });
  });

  test.each([
    ['another state', `other.tfstate.20260102T030405Z.serial-1.tar.gz`],
    ['temp file of an interrupted backup', `.${S}.20260102T030405Z.serial-1.tar.gz.tmp-12-ab`],
    ['checksum file', `${S}.20260102T030405Z.serial-1.tar.gz.sha256`],
    ['bad stamp', `${S}.2026-01-02.serial-1.tar.gz`],
    ['prefix of a longer state name', `${S}x.20260102T030405Z.serial-1.tar.gz`],
  ])('ignores %s', (_why, name) => {
    expect(parseArchiveName(name, S)).toBeUndefined();
  });

  test('a state name with regex characters is matched literally', () => {
    expect(parseArchiveName('a+b.tfstate.20260102T030405Z.serial-1.tar.gz', 'a+b.tfstate')).toBeDefined();
    expect(parseArchiveName('aab.tfstate.20260102T030405Z.serial-1.tar.gz', 'a+b.tfstate')).toBeUndefined();
  });
});

describe('retention', () => {
  const listing = [
    n('20260101T000000Z', 1),
    n('20260103T000000Z', 3),
    n('20260102T000000Z', 2),
    n('20260103T000000Z', 4),
    `${n('20260103T000000Z', 4)}.sha256`,
    'unrelated.txt',
  ];

  test('newest first by timestamp, then serial', () => {
    expect(archivesIn(listing, S).map((a) => a.serial)).toEqual([4, 3, 2, 1]);
  });

  test.each([
    [1, undefined, [3, 2, 1]],
    [2, undefined, [2, 1]],
    [4, undefined, []],
    [30, undefined, []],
    // The fresh archive sorts oldest (clock went backwards): it is kept and counts toward `keep`.
    [2, n('20260101T000000Z', 1), [3, 2]],
    [1, n('20260101T000000Z', 1), [4, 3, 2]],
  ])('keep %i (just made %s) deletes serials %j', (keep, justMade, want) => {
    const doomed = selectForDeletion(listing, S, keep, justMade);
    expect(doomed.map((d) => parseArchiveName(d, S)?.serial)).toEqual(want);
  });

  test('latest is the newest archive with a checksum file', () => {
    expect(latestArchive(listing, S)).toBe(n('20260103T000000Z', 4));
    expect(latestArchive(listing.slice(0, 4), S)).toBeUndefined();
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
