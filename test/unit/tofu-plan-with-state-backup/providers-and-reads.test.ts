import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import {
  compareSnapshots,
  parseLockFile,
  snapshotPackages,
  tofuPlatform,
} from '../../../actions/tofu-plan-with-state-backup/src/providers/lock-file.js';
import {
  defaultPluginCacheDir,
  pluginCacheDirProblem,
} from '../../../actions/tofu-plan-with-state-backup/src/providers/plugin-cache.js';
import { recordedToolVersion } from '../../../actions/tofu-plan-with-state-backup/src/tofu/backend-config.js';
import { parseStateOutputs } from '../../../actions/tofu-plan-with-state-backup/src/tofu/state-outputs.js';
import { planEvidence } from '../../../actions/tofu-plan-with-state-backup/src/run/evidence.js';
import { emptySummary } from '../../../actions/tofu-plan-with-state-backup/src/tofu/plan-summary.js';

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

// As `tofu init` writes it (internal/depsfile/locks_file.go), with a comment and two providers.
const LOCK = `# This file is maintained automatically by "tofu init".
# Manual edits may be lost in future updates.

provider "registry.opentofu.org/hashicorp/null" {
  version     = "3.2.3"
  constraints = "~> 3.2"
  hashes = [
    "h1:abc=",
    "zh:0123",
  ]
}

provider "example.test/edge/echo" {
  version = "0.1.0"
  hashes  = ["h1:def="]
}
`;

describe('lock file and plugin cache packages', () => {
  test('the lock file names each provider and its version', () => {
    expect(parseLockFile(LOCK)).toEqual([
      { source: 'registry.opentofu.org/hashicorp/null', version: '3.2.3' },
      { source: 'example.test/edge/echo', version: '0.1.0' },
    ]);
    expect(parseLockFile('')).toEqual([]);
    // A provider line in a comment is not a provider.
    expect(parseLockFile('# provider "a/b/c" { version = "1.0.0" }\n')).toEqual([]);
  });

  test("tofu's platform names", () => {
    expect(tofuPlatform('darwin', 'arm64')).toBe('darwin_arm64');
    expect(tofuPlatform('linux', 'x64')).toBe('linux_amd64');
  });

  test('reused, fetched and replaced packages are told apart from snapshots before and after init', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plugin-cache-unit-'));
    roots.push(dir);
    const providers = parseLockFile(LOCK);
    const pkg = (i: number) =>
      path.join(dir, ...providers[i].source.split('/'), providers[i].version, tofuPlatform());
    fs.mkdirSync(pkg(0), { recursive: true });
    fs.writeFileSync(path.join(pkg(0), 'terraform-provider-null_v3.2.3_x5'), 'n'.repeat(100));
    const before = await snapshotPackages(dir, providers);
    fs.mkdirSync(pkg(1), { recursive: true });
    fs.writeFileSync(path.join(pkg(1), 'terraform-provider-echo_v0.1.0'), 'e'.repeat(40));
    const after = await snapshotPackages(dir, providers);
    expect(compareSnapshots(before, after)).toEqual({
      reused: ['registry.opentofu.org/hashicorp/null 3.2.3'],
      fetched: ['example.test/edge/echo 0.1.0'],
      reusedBytes: 100,
      fetchedBytes: 40,
    });
    // A package tofu replaced (it did not match the lock file) counts as fetched.
    fs.rmSync(path.join(pkg(0), 'terraform-provider-null_v3.2.3_x5'));
    fs.writeFileSync(path.join(pkg(0), 'terraform-provider-null_v3.2.3_x5'), 'm'.repeat(101));
    const replaced = compareSnapshots(after, await snapshotPackages(dir, providers));
    expect(replaced.fetched).toEqual(['registry.opentofu.org/hashicorp/null 3.2.3']);
    expect(replaced.reused).toEqual(['example.test/edge/echo 0.1.0']);
  });

  test('the cache directory: outside the workspace, not writable by others', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'plugin-cache-dir-'));
    roots.push(root);
    const env = { GITHUB_WORKSPACE: path.join(root, 'ws'), RUNNER_TEMP: path.join(root, 'tmp') };
    expect(await pluginCacheDirProblem(path.join(root, 'ws', 'p'), env)).toBeDefined();
    expect(await pluginCacheDirProblem(path.join(root, 'tmp', 'p'), env)).toBeDefined();
    const open = path.join(root, 'open');
    fs.mkdirSync(open);
    fs.chmodSync(open, 0o777);
    expect(await pluginCacheDirProblem(open, env)).toMatch(/only its owner can write/);
    const file = path.join(root, 'file');
    fs.writeFileSync(file, '');
    expect(await pluginCacheDirProblem(file, env)).toMatch(/it is a file/);
    expect(await pluginCacheDirProblem(path.join(root, 'home', 'cache'), env)).toBeUndefined();
  });

  test('default directory per platform, TF_PLUGIN_CACHE_DIR first', () => {
    expect(defaultPluginCacheDir({ HOME: '/Users/r' }, 'darwin')).toBe(
      '/Users/r/Library/Caches/edge-actions/tofu-plugins',
    );
    expect(defaultPluginCacheDir({ HOME: '/home/r' }, 'linux')).toBe(
      '/home/r/.cache/edge-actions/tofu-plugins',
    );
    expect(defaultPluginCacheDir({ HOME: '/home/r', XDG_CACHE_HOME: '/c' }, 'linux')).toBe(
      '/c/edge-actions/tofu-plugins',
    );
    expect(defaultPluginCacheDir({ HOME: '/home/r', TF_PLUGIN_CACHE_DIR: '/p' }, 'linux')).toBe('/p');
  });
});

describe('what is read without a tofu process', () => {
  test("the tool version from init's backend record", () => {
    expect(recordedToolVersion('{"version":3,"terraform_version":"1.9.1","backend":{}}')).toBe('1.9.1');
    expect(recordedToolVersion('{"version":3}')).toBeUndefined();
    expect(recordedToolVersion('{"terraform_version":"1.9; rm -rf"}')).toBeUndefined();
    expect(recordedToolVersion('not json')).toBeUndefined();
    expect(recordedToolVersion(undefined)).toBeUndefined();
  });

  test('root outputs from a state v4 file; anything else is left to tofu', () => {
    const state = {
      version: 4,
      serial: 3,
      lineage: 'L',
      outputs: {
        ip: { value: '10.0.0.1', type: 'string' },
        tok: { value: 'secret-token', type: 'string', sensitive: true },
      },
      resources: [],
    };
    expect(parseStateOutputs(JSON.stringify(state))).toEqual({
      ip: { sensitive: false, type: 'string', value: '10.0.0.1' },
      tok: { sensitive: true, type: 'string', value: 'secret-token' },
    });
    expect(parseStateOutputs(JSON.stringify({ ...state, outputs: undefined }))).toEqual({});
    // OpenTofu state encryption: only tofu holds the key.
    expect(
      parseStateOutputs(JSON.stringify({ encrypted_data: 'x', encryption_version: 'v0' })),
    ).toBeUndefined();
    expect(parseStateOutputs(JSON.stringify({ ...state, version: 3 }))).toBeUndefined();
    expect(
      parseStateOutputs(JSON.stringify({ ...state, outputs: { a: { value: 1, sensitive: 'yes' } } })),
    ).toBe(undefined);
    expect(parseStateOutputs('garbage')).toBeUndefined();
  });
});

describe('evidence files per stack', () => {
  const outcome = {
    label: 'stacks/edge',
    summary: { ...emptySummary(), hasChanges: true, toAdd: 1, changes: { create: ['terraform_data.x'] } },
    applied: false,
    state: { exists: true, serial: 3, lineage: 'L', encrypted: false },
    planSha256: 'ab'.repeat(32),
    planText: 'Plan: 1 to add, 0 to change, 0 to destroy.\n',
  };

  test('plan text and counts, named after the stack, unique per run', () => {
    const taken = new Set<string>();
    const files = planEvidence(outcome, 'plan', taken);
    expect(files.map((f) => f.name)).toEqual(['plan-stacks_edge.json', 'plan-stacks_edge.txt']);
    expect(JSON.parse(files[0].text)).toMatchObject({
      stack: 'stacks/edge',
      mode: 'plan',
      hasChanges: true,
      counts: { toAdd: 1 },
      changes: { create: ['terraform_data.x'] },
      planSha256: 'ab'.repeat(32),
    });
    expect(files[1].text).toBe(outcome.planText);
    expect(planEvidence({ ...outcome, label: 'stacks:edge' }, 'plan', taken).map((f) => f.name)).toEqual([
      'plan-stacks_edge-2.json',
      'plan-stacks_edge-2.txt',
    ]);
  });

  test('a stack that did not plan (backup, restore) adds nothing', () => {
    expect(
      planEvidence({ label: 'edge', applied: false, state: outcome.state }, 'backup', new Set()),
    ).toEqual([]);
  });
});
