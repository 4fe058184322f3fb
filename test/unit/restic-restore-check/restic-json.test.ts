import { describe, expect, test } from '@jest/globals';
import {
  parseLsLine,
  parseRepositoryId,
  parseSnapshots,
  ResticJsonError,
  unloadedSnapshotLines,
} from '../../../actions/restic-restore-check/src/restic/restic-json.js';

const ID = 'f7027e8f3a2a68e024366935c424f42e00d93f0ad9ae9ae74d3a143cfc5cbcdf';

describe('parseSnapshots', () => {
  test('0.14 shape (no program_version, no summary)', () => {
    const out = parseSnapshots(
      `[{"time":"2026-11-21T14:16:02.373255946Z","tree":"220a","paths":["/tmp/rx/src"],"hostname":"h1","username":"root","tags":["t1"],"id":"${ID}","short_id":"f7027e8f"}]`,
    );
    expect(out).toEqual([
      {
        id: ID,
        shortId: 'f7027e8f',
        time: new Date('2026-11-21T14:16:02.373Z'),
        timeText: '2026-11-21T14:16:02.373255946Z',
        paths: ['/tmp/rx/src'],
        hostname: 'h1',
        tags: ['t1'],
        parent: undefined,
        programVersion: undefined,
      },
    ]);
  });

  test('0.17+ shape (program_version, summary, parent, no tags, time offset)', () => {
    const [s] = parseSnapshots(
      JSON.stringify([
        {
          time: '2026-11-21T03:00:01.5+01:00',
          parent: 'a'.repeat(64),
          tree: 'b'.repeat(64),
          paths: ['/var/lib/forgejo'],
          hostname: 'forgejo',
          username: 'root',
          program_version: 'restic 0.18.1',
          summary: { backup_start: '2026-11-21T03:00:01+01:00', files_new: 3, total_files_processed: 40 },
          id: ID,
          short_id: 'f7027e8f',
        },
      ]),
    );
    expect(s.time.toISOString()).toBe('2026-11-21T02:00:01.500Z');
    expect(s.tags).toEqual([]);
    expect(s.parent).toBe('a'.repeat(64));
    expect(s.programVersion).toBe('restic 0.18.1');
  });

  test.each(['', 'null', '[]'])('nothing matching (%j) is an empty list', (raw) => {
    expect(parseSnapshots(raw)).toEqual([]);
  });

  test.each([
    ['not JSON', '`restic snapshots --json` did not print JSON'],
    ['{"id":1}', '`restic snapshots --json` printed an unexpected shape'],
    [`[{"id":"${ID}","time":"yesterday"}]`, "snapshot f7027e8f has an unreadable time 'yesterday'"],
  ])('refuses %s', (raw, message) => {
    expect(() => parseSnapshots(raw)).toThrow(new ResticJsonError(message));
  });
});

describe('parseLsLine', () => {
  test.each([
    [
      '0.14 snapshot line',
      `{"time":"2026-11-21T14:16:02Z","paths":["/src"],"id":"${ID}","struct_type":"snapshot"}`,
      undefined,
    ],
    [
      '0.14 file node',
      '{"name":"a.txt","type":"file","path":"/src/a.txt","uid":0,"gid":0,"size":6,"mode":420,"mtime":"2026-11-20T11:00:00.402505281+01:00","struct_type":"node"}',
      { path: '/src/a.txt', type: 'file', size: 6, mtimeMs: Date.parse('2026-11-20T10:00:00.402Z') },
    ],
    [
      "a node with Go's zero time (not recorded)",
      '{"name":"a.txt","type":"file","path":"/src/a.txt","size":6,"mtime":"0001-01-01T00:00:00Z","struct_type":"node"}',
      { path: '/src/a.txt', type: 'file', size: 6 },
    ],
    [
      '0.17+ file node (message_type and deprecated struct_type)',
      '{"name":"a.txt","type":"file","path":"/src/a.txt","size":6,"message_type":"node","struct_type":"node"}',
      { path: '/src/a.txt', type: 'file', size: 6 },
    ],
    [
      '0.18 dir node without size',
      '{"name":"src","type":"dir","path":"/src","message_type":"node"}',
      { path: '/src', type: 'dir', size: 0 },
    ],
    [
      '0.18 snapshot line',
      `{"time":"2026-11-21T14:16:02Z","id":"${ID}","message_type":"snapshot","struct_type":"snapshot"}`,
      undefined,
    ],
    ['a non-JSON line', 'restoring <Snapshot …>', undefined],
    ['blank', '', undefined],
  ])('%s', (_name, line, want) => {
    expect(parseLsLine(line)).toEqual(want);
  });

  test('a broken JSON line is an error, not a skipped node', () => {
    expect(() => parseLsLine('{"type":"file",')).toThrow(ResticJsonError);
  });
});

describe('parseRepositoryId', () => {
  const id = '9f'.repeat(32);
  const config = `{\n  "version": 2,\n  "id": "${id}",\n  "chunker_polynomial": "2696c2554fa58d"\n}\n`;

  test("cat config's MarshalIndent output, also with lines printed after it", () => {
    expect(parseRepositoryId(config)).toBe(id);
    expect(parseRepositoryId(`${config}::warning::forged\n{"id":"${'0'.repeat(64)}"}\n`)).toBe(id);
  });

  test('anything that is not a 64-hex id gives none (it names a directory)', () => {
    expect(parseRepositoryId('{"id":"../../etc"}')).toBeUndefined();
    expect(parseRepositoryId('repository 1234 opened')).toBeUndefined();
    expect(parseRepositoryId('')).toBeUndefined();
    expect(parseRepositoryId('null')).toBeUndefined();
  });
});

describe('unloadedSnapshotLines', () => {
  test('0.14 and 0.15–0.18 wordings; other stderr lines are not counted', () => {
    const stderr = [
      'could not load snapshot 36e9b411: load <snapshot/36e9b41100>: invalid data returned',
      `Ignoring "${'3'.repeat(64)}": load <snapshot/3333333333>: ciphertext verification failed`,
      'repository 1234abcd opened (version 2, compression level auto)',
    ].join('\n');
    expect(unloadedSnapshotLines(stderr)).toHaveLength(2);
    expect(unloadedSnapshotLines('repository opened\n')).toEqual([]);
  });
});
