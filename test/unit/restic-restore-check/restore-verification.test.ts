import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, test } from '@jest/globals';
import { sha256 } from '../../../shared/fsx.js';
import {
  compareFile,
  observeRestored,
  restoredLocation,
} from '../../../actions/restic-restore-check/src/verification/restore-verification.js';

const node = { path: '/srv/a', type: 'file', size: 5 };
const good = { sha256: sha256('hello'), bytes: 5 };

test.each([
  ['all three agree', good, good, undefined],
  [
    'dump streamed fewer bytes than ls lists',
    { ...good, bytes: 4 },
    good,
    'restic dump streamed 4 bytes but the snapshot lists 5',
  ],
  ['restore did not write the file', good, undefined, 'restore did not write it'],
  [
    'restored file truncated',
    good,
    { sha256: sha256('hell'), bytes: 4 },
    'restored 4 bytes, the snapshot lists 5',
  ],
  [
    'restored content altered, same size',
    good,
    { sha256: sha256('HELLO'), bytes: 5 },
    `restored content differs (sha256 ${sha256('HELLO').slice(0, 12)}…, repository ${good.sha256.slice(0, 12)}…)`,
  ],
])('%s', (_name, dumped, restored, problem) => {
  expect(compareFile(node, dumped, restored).problem).toBe(problem);
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
    fs.symlinkSync(path.join(dir, 'f'), path.join(dir, 'l'));
    expect(await observeRestored(path.join(dir, 'f'))).toEqual(good);
    expect(await observeRestored(path.join(dir, 'l'))).toBeUndefined();
    expect(await observeRestored(path.join(dir, 'nope'))).toBeUndefined();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
