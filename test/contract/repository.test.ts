import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, test } from '@jest/globals';
import { SUITE_VERSION } from '../../shared/version.js';
import { REPO_ROOT } from '../support/run-action.js';

const read = (p: string) => fs.readFileSync(path.join(REPO_ROOT, p), 'utf8');

test('the report version is the package version', () => {
  expect(SUITE_VERSION).toBe(JSON.parse(read('package.json')).version);
});

test('.ci/run runs exactly the test command README.md gives', () => {
  const block = /## Tests[\s\S]*?```sh\n([^\n]+)\n```/.exec(read('README.md'));
  expect(block).not.toBeNull();
  const command = block![1].trim();
  expect(command).toBe('npm install && npm test');
  expect(
    read('.ci/run')
      .split('\n')
      .map((l) => l.trim()),
  ).toContain(command);
});

test('no bundle contains an unresolved-module stub', () => {
  const dist = path.join(REPO_ROOT, 'dist');
  const bundles = fs
    .readdirSync(dist, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.js'));
  expect(bundles.length).toBeGreaterThan(0);
  for (const f of bundles)
    expect(fs.readFileSync(path.join(dist, f), 'utf8')).not.toContain('webpackMissingModule');
});
