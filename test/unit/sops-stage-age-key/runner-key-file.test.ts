import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, expect, test } from '@jest/globals';
import { InputError } from '../../../shared/errors.js';
import {
  placeKeyFile,
  prepareKeyLocation,
  removeKeyFile,
  type KeyLocation,
} from '../../../actions/sops-stage-age-key/src/runner-key-file.js';

async function write(loc: KeyLocation, content: string): Promise<string> {
  let id = '';
  await placeKeyFile(loc, content, (i) => (id = i));
  return id;
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'keyfile-unit-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('a chosen path in missing directories: created 0700, the top-most one removed again', async () => {
  fs.chmodSync(tmp, 0o700);
  const file = path.join(tmp, 'a', 'b', 'keys.txt');
  const loc = await prepareKeyLocation(file);
  expect(loc.createdDir).toBe(path.join(tmp, 'a'));
  const id = await write(loc, 'K\n');
  expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  expect(fs.statSync(path.join(tmp, 'a')).mode & 0o777).toBe(0o700);
  expect(fs.statSync(path.join(tmp, 'a', 'b')).mode & 0o777).toBe(0o700);
  expect((await removeKeyFile(loc, id)).removed).toEqual([file, path.join(tmp, 'a')]);
  expect(fs.existsSync(path.join(tmp, 'a'))).toBe(false);
  expect(fs.existsSync(tmp)).toBe(true);
});

test('an existing private directory is used and kept', async () => {
  const dir = fs.mkdtempSync(path.join(tmp, 'priv-'));
  fs.chmodSync(dir, 0o700);
  const loc = await prepareKeyLocation(path.join(dir, 'keys.txt'));
  expect(loc.createdDir).toBeUndefined();
  await removeKeyFile(loc, await write(loc, 'K\n'));
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

test('a created directory that holds files of others is kept (only empty directories are removed)', async () => {
  fs.chmodSync(tmp, 0o700);
  const file = path.join(tmp, 'shared-dir', 'keys.txt');
  const loc = await prepareKeyLocation(file);
  const id = await write(loc, 'K\n');
  fs.writeFileSync(path.join(tmp, 'shared-dir', 'someone-else.txt'), 'x');
  const r = await removeKeyFile(loc, id);
  expect(r.removed).toEqual([file]);
  expect(fs.readFileSync(path.join(tmp, 'shared-dir', 'someone-else.txt'), 'utf8')).toBe('x');
});

test('a file that appears between the check and the write is not written over', async () => {
  const dir = fs.mkdtempSync(path.join(tmp, 'race-'));
  fs.chmodSync(dir, 0o700);
  const loc = await prepareKeyLocation(path.join(dir, 'keys.txt'));
  fs.writeFileSync(loc.file, 'theirs');
  await expect(write(loc, 'ours')).rejects.toThrow(/EEXIST/);
  expect(fs.readFileSync(loc.file, 'utf8')).toBe('theirs');
  expect(fs.readdirSync(dir)).toEqual(['keys.txt']);
});

test('replace: the original is set aside while staged and put back whole; a failed write puts it back at once', async () => {
  const dir = fs.mkdtempSync(path.join(tmp, 'replace-'));
  fs.chmodSync(dir, 0o700);
  const file = path.join(dir, 'keys.txt');
  fs.writeFileSync(file, 'ORIGINAL', { mode: 0o600 });
  await expect(prepareKeyLocation(file)).rejects.toThrow(/replace-key-file/);
  const loc = await prepareKeyLocation(file, true);
  const id = await write(loc, 'STAGED');
  expect(fs.readFileSync(file, 'utf8')).toBe('STAGED');
  expect(fs.readFileSync(loc.setAside!, 'utf8')).toBe('ORIGINAL');
  const r = await removeKeyFile(loc, id);
  expect(r.restored).toBe(file);
  expect(fs.readFileSync(file, 'utf8')).toBe('ORIGINAL');
  expect(fs.readdirSync(dir)).toEqual(['keys.txt']);
});
