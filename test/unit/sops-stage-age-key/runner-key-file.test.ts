import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, expect, test } from '@jest/globals';
import { InputError } from '../../../shared/errors.js';
import {
  prepareKeyLocation,
  removeKeyFile,
  writeKeyFile,
} from '../../../actions/sops-stage-age-key/src/runner-key-file.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'keyfile-unit-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('a chosen path in missing directories: created 0700, the top-most one removed again', async () => {
  fs.chmodSync(tmp, 0o700);
  const file = path.join(tmp, 'a', 'b', 'keys.txt');
  const loc = await prepareKeyLocation(file);
  expect(loc.createdDir).toBe(path.join(tmp, 'a'));
  await writeKeyFile(file, 'K\n');
  expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  expect(fs.statSync(path.join(tmp, 'a')).mode & 0o777).toBe(0o700);
  expect(fs.statSync(path.join(tmp, 'a', 'b')).mode & 0o777).toBe(0o700);
  expect(await removeKeyFile(loc)).toEqual([file, path.join(tmp, 'a')]);
  expect(fs.existsSync(path.join(tmp, 'a'))).toBe(false);
  expect(fs.existsSync(tmp)).toBe(true);
});

test('an existing private directory is used and kept', async () => {
  const dir = fs.mkdtempSync(path.join(tmp, 'priv-'));
  fs.chmodSync(dir, 0o700);
  const loc = await prepareKeyLocation(path.join(dir, 'keys.txt'));
  expect(loc.createdDir).toBeUndefined();
  await writeKeyFile(loc.file, 'K\n');
  await removeKeyFile(loc);
  expect(fs.existsSync(dir)).toBe(true);
  expect(fs.existsSync(loc.file)).toBe(false);
});

test.each([
  [
    'a directory readable by others',
    () => {
      const d = fs.mkdtempSync(path.join(tmp, 'open-'));
      fs.chmodSync(d, 0o755);
      return path.join(d, 'keys.txt');
    },
    /mode 0755/,
  ],
  [
    'a path that is a directory',
    () => {
      const d = fs.mkdtempSync(path.join(tmp, 'isdir-'));
      fs.chmodSync(d, 0o700);
      fs.mkdirSync(path.join(d, 'keys.txt'));
      return path.join(d, 'keys.txt');
    },
    /not a regular file/,
  ],
])('refuses %s', async (_name, make, message) => {
  const e = await prepareKeyLocation(make()).catch((err: unknown) => err);
  expect(e).toBeInstanceOf(InputError);
  expect((e as InputError).message).toMatch(message);
});
