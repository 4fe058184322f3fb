import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, test } from '@jest/globals';
import { sha256 } from '../../../shared/fsx.js';
import {
  MTIME_TOLERANCE_MS,
  compareFile,
  observeRestored,
  restoredLocation,
} from '../../../actions/restic-restore-check/src/verification/restore-verification.js';

const MTIME = Date.parse('2026-11-20T10:00:00.123Z');
const node = { path: '/srv/a', type: 'file', size: 5, mtimeMs: MTIME };
const good = { sha256: sha256('hello'), bytes: 5, mtimeMs: MTIME };

test.each([
  ['size and time as listed', good, undefined],
  [
    'a coarser filesystem clock (FAT rounds to 2 s)',
    { ...good, mtimeMs: MTIME + MTIME_TOLERANCE_MS },
    undefined,
  ],
  ['restore did not write the file', undefined, 'restore did not write it'],
  ['restored file truncated', { ...good, bytes: 4 }, 'restored 4 bytes, the snapshot lists 5'],
  [
    'the file changed after the restore (same size, new time)',
    { ...good, sha256: sha256('HELLO'), mtimeMs: MTIME + 60_000 },
    'changed after the restore (modified 2026-11-20T10:01:00.123Z, the snapshot records 2026-11-20T10:00:00.123Z)',
  ],
])('%s', (_name, restored, problem) => {
  expect(compareFile(node, restored).problem).toBe(problem);
});

test('a node without a recorded time is checked by size only', () => {
  const { mtimeMs: _, ...untimed } = node;
  expect(compareFile(untimed, { ...good, mtimeMs: 0 }).problem).toBeUndefined();
});

test('the verdict carries the restored file’s hash for the report and the spot check', () => {
  expect(compareFile(node, good)).toEqual({ path: '/srv/a', size: 5, sha256: good.sha256 });
});

test.each([
  ['/r', '/srv/forgejo/a b', '/r/srv/forgejo/a b'],
  ['/r', '/x', '/r/x'],
])('restoredLocation(%s, %s)', (dir, p, want) => {
  expect(restoredLocation(dir, p)).toBe(want);
});

test('observeRestored hashes regular files and ignores symlinks and missing files', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rrc-verify-'));
  try {
    fs.writeFileSync(path.join(dir, 'f'), 'hello');
    fs.utimesSync(path.join(dir, 'f'), new Date(MTIME), new Date(MTIME));
    fs.symlinkSync(path.join(dir, 'f'), path.join(dir, 'l'));
    const seen = await observeRestored(path.join(dir, 'f'));
    expect({ ...seen, mtimeMs: Math.round(seen?.mtimeMs ?? 0) }).toEqual(good);
    expect(await observeRestored(path.join(dir, 'l'))).toBeUndefined();
    expect(await observeRestored(path.join(dir, 'nope'))).toBeUndefined();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
