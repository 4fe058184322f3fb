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
  expect(command).toBe('npm ci && npm test');
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

test('the lock file is cross-platform: it lists the darwin-arm64 builds the Mac mini runner installs', () => {
  const lock = JSON.parse(read('package-lock.json')) as {
    packages: Record<string, { optionalDependencies?: Record<string, string> }>;
  };
  // Every native package with per-platform optional builds must have its darwin-arm64 build recorded,
  // or `npm ci` on the runner (and on a machine of another platform) rejects the lock as out of sync.
  const withBuilds = Object.entries(lock.packages).filter(([, p]) =>
    Object.keys(p.optionalDependencies ?? {}).some((d) => /linux-x64/.test(d)),
  );
  expect(withBuilds.map(([name]) => name)).toContain('node_modules/@swc/core');
  for (const [name, p] of withBuilds) {
    for (const dep of Object.keys(p.optionalDependencies ?? {}).filter((d) => /darwin-arm64/.test(d))) {
      expect([name, Object.keys(lock.packages).some((k) => k.endsWith(`node_modules/${dep}`))]).toEqual([
        name,
        true,
      ]);
    }
  }
  expect(Object.keys(lock.packages)).toContain('node_modules/@swc/core-darwin-arm64');
});
