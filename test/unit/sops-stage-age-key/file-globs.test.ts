import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { expandGlobs, globToRegExp, staticBase } from '../../../actions/sops-stage-age-key/src/file-globs.js';

describe('globToRegExp', () => {
  test.each([
    ['secrets/*.yaml', 'secrets/a.yaml', true],
    ['secrets/*.yaml', 'secrets/sub/a.yaml', false],
    ['secrets/**/*.yaml', 'secrets/a.yaml', true],
    ['secrets/**/*.yaml', 'secrets/x/y/a.yaml', true],
    ['secrets/**', 'secrets/x/y', true],
    ['hosts/?.json', 'hosts/a.json', true],
    ['hosts/?.json', 'hosts/ab.json', false],
    ['*.{yaml,json}', 'a.json', true],
    ['*.{yaml,json}', 'a.env', false],
    ['[ab].yaml', 'b.yaml', true],
    ['[!ab].yaml', 'b.yaml', false],
    ['a.yaml', 'axyaml', false],
    ['a+b.yaml', 'a+b.yaml', true],
  ])('%s vs %s → %s', (pattern, file, want) => {
    expect(globToRegExp(pattern).test(file)).toBe(want);
  });
});

test.each([
  ['/ws/secrets/**/*.yaml', '/ws/secrets'],
  ['/ws/*.yaml', '/ws'],
  ['*.yaml', '.'],
  ['/x.yaml', '/'],
])('staticBase(%s) = %s', (pattern, base) => {
  expect(staticBase(pattern)).toBe(base);
});

test('expandGlobs: includes, excludes, unmatched patterns, .git skipped', async () => {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'globs-'));
  for (const f of [
    'secrets/a.yaml',
    'secrets/prod/b.yaml',
    'secrets/prod/skip.yaml',
    '.git/c.yaml',
    'top.json',
  ]) {
    fs.mkdirSync(path.dirname(path.join(ws, f)), { recursive: true });
    fs.writeFileSync(path.join(ws, f), 'x');
  }
  const r = await expandGlobs(['**/*.yaml', '!secrets/prod/skip.yaml', 'top.json', 'missing/*.yaml'], ws);
  expect(r.files.map((f) => path.relative(ws, f)).sort()).toEqual([
    'secrets/a.yaml',
    'secrets/prod/b.yaml',
    'top.json',
  ]);
  expect(r.unmatched).toEqual(['missing/*.yaml']);
  fs.rmSync(ws, { recursive: true, force: true });
});
