import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, expect, test } from '@jest/globals';
import {
  buildManifest,
  MANIFEST_FILE,
  parseManifest,
  sameContent,
  verifyManifest,
} from '../../../shared/cache-manifest.js';

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

function tree(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'manifest-'));
  roots.push(dir);
  fs.mkdirSync(path.join(dir, 'registry', 'hashicorp', 'null'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'registry', 'hashicorp', 'null', 'provider'), 'binary-ish content');
  fs.writeFileSync(path.join(dir, 'top.txt'), 'top');
  fs.symlinkSync('top.txt', path.join(dir, 'link'));
  return dir;
}

test('a directory verifies against its own manifest; the manifest file itself is not listed', async () => {
  const dir = tree();
  const m = await buildManifest(dir, 'k');
  fs.writeFileSync(path.join(dir, MANIFEST_FILE), JSON.stringify(m));
  expect(m.files.map((f) => f.path)).toEqual(['link', 'registry/hashicorp/null/provider', 'top.txt']);
  expect(m.bytes).toBe('binary-ish content'.length + 3);
  expect(await verifyManifest(dir, m)).toBeUndefined();
  expect(parseManifest(JSON.stringify(m))).toEqual(m);
});

test.each([
  [
    'same size, other content',
    (d: string) => fs.writeFileSync(path.join(d, 'top.txt'), 'TOP'),
    "'top.txt' does not match its sha256",
  ],
  [
    'truncated',
    (d: string) => fs.writeFileSync(path.join(d, 'top.txt'), 'to'),
    "'top.txt' has 2 bytes instead of 3",
  ],
  ['missing', (d: string) => fs.rmSync(path.join(d, 'top.txt')), "'top.txt' is missing"],
  [
    'extra file',
    (d: string) => fs.writeFileSync(path.join(d, 'stray'), 'x'),
    "'stray' is not in the manifest",
  ],
  [
    'link retargeted',
    (d: string) => {
      fs.rmSync(path.join(d, 'link'));
      fs.symlinkSync('elsewhere', path.join(d, 'link'));
    },
    "'link' points elsewhere",
  ],
  [
    'link replaced by a file',
    (d: string) => {
      fs.rmSync(path.join(d, 'link'));
      fs.writeFileSync(path.join(d, 'link'), 'x');
    },
    "'link' is not a symbolic link",
  ],
])('%s: rejected with the reason', async (_name, damage, why) => {
  const dir = tree();
  const m = await buildManifest(dir, 'k');
  damage(dir);
  expect(await verifyManifest(dir, m)).toBe(why);
});

test('a manifest from elsewhere is refused, including paths that leave the directory', async () => {
  expect(parseManifest('not json')).toBe('its manifest is not JSON');
  expect(parseManifest('{"format":"other"}')).toBe('its manifest is not an edge cache manifest');
  const dir = tree();
  const m = await buildManifest(dir, 'k');
  const hostile = {
    ...m,
    files: [...m.files, { path: '../../etc/passwd', size: 1, sha256: 'a'.repeat(64) }],
  };
  expect(await verifyManifest(dir, hostile)).toBe("'../../etc/passwd' is missing");
});

test('sameContent ignores the key and the time, not the files', async () => {
  const dir = tree();
  const a = await buildManifest(dir, 'a');
  const b = await buildManifest(dir, 'b');
  expect(sameContent(a, b)).toBe(true);
  fs.writeFileSync(path.join(dir, 'top.txt'), 'new');
  expect(sameContent(a, await buildManifest(dir, 'a'))).toBe(false);
});
