import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { errorLines, warningLines, type ActionRun } from '../../support/run-action.js';
import {
  startActionsServices,
  type ActionsServices,
} from '../../support/standins/actions-services/server.js';
import {
  echoStack,
  lockFileFor,
  startProviderMirror,
  type ProviderMirror,
} from '../../support/standins/tofu-provider/mirror.js';
import { setupEnv, type Env } from '../../support/tofu-plan-with-state-backup-fixtures.js';

/**
 * The provider plugin cache (issue 16.1) with the real tool installing a real provider package from a
 * provider network mirror stand-in, where every package download is counted: on a persistent runner
 * (the runner-local directory stays) and on an ephemeral one (the directory is gone before every run
 * and comes back from the Actions cache stand-in, github.com's v2 and forgejo-runner's v1 protocol).
 */
let env: Env;
let mirror: ProviderMirror;
let locks: Record<string, string>;
let vars: string;
const services: ActionsServices[] = [];

beforeAll(async () => {
  env = setupEnv('tofu-plugins');
  mirror = await startProviderMirror(path.join(env.root, 'mirror'), ['0.1.0', '0.2.0']);
  locks = {
    '0.1.0': await lockFileFor(env.tofu, mirror, path.join(env.root, 'lock-0.1.0'), '0.1.0'),
    '0.2.0': await lockFileFor(env.tofu, mirror, path.join(env.root, 'lock-0.2.0'), '0.2.0'),
  };
  vars = env.varFile('plugins.tfvars', 'p');
}, 120_000);
afterAll(async () => {
  await mirror?.stop();
  for (const s of services) await s.stop();
  env.cleanup();
});

interface PluginRun {
  run: ActionRun;
  downloads: string[];
  /** The stack's providers as the report tells them. */
  providers: { status: string; reused: string[]; fetched: string[]; fetchedBytes: number };
  restore?: string;
  save?: string;
}

let n = 0;
/** One plan run of a fresh checkout of the echo stack pinned to `version` (with its lock file unless told). */
async function planRun(o: {
  version: string;
  cacheDir: string;
  ephemeral?: boolean;
  extraEnv?: Record<string, string>;
  forge?: 'github' | 'forgejo';
  withLock?: boolean;
}): Promise<PluginRun> {
  if (o.ephemeral) fs.rmSync(o.cacheDir, { recursive: true, force: true });
  const files: Record<string, string> = { 'echo.tf': echoStack(o.version) };
  if (o.withLock !== false) files['.terraform.lock.hcl'] = locks[o.version];
  const ws = env.workspace(files);
  const before = mirror.downloads().length;
  const run = await env.run(
    {
      mode: 'plan',
      'state-path': path.join(env.runnerHome, 'infra', 'state', `plugins-${++n}`, 'terraform.tfstate'),
      'var-files': vars,
      'plugin-cache-dir': o.cacheDir,
    },
    { workspace: ws, forge: o.forge, env: { ...mirror.env, ...(o.extraEnv ?? {}) } },
  );
  const result = run.report?.result as {
    stacks?: { providers?: PluginRun['providers'] }[];
    pluginCache?: { restore?: { status: string }; save?: { status: string } };
  };
  return {
    run,
    downloads: mirror.downloads().slice(before),
    providers: result?.stacks?.[0]?.providers ?? { status: '?', reused: [], fetched: [], fetchedBytes: 0 },
    restore: result?.pluginCache?.restore?.status,
    save: result?.pluginCache?.save?.status,
  };
}

function expectClean(r: PluginRun) {
  expect(r.run.exitCode).toBe(0);
  expect(errorLines(r.run.log)).toEqual([]);
}

const echo = (v: string) => `example.test/edge/echo ${v}`;

describe('persistent runner: the runner-local plugin cache directory', () => {
  test('a second run on the same lock file downloads nothing; a changed lock file and a damaged package download again', async () => {
    const cacheDir = path.join(env.runnerHome, 'plugin-cache-persistent');
    const first = await planRun({ version: '0.1.0', cacheDir });
    expectClean(first);
    expect(first.downloads).toHaveLength(1);
    expect(first.providers).toMatchObject({ status: 'miss', fetched: [echo('0.1.0')], reused: [] });
    expect(first.run.log).toMatch(/Provider plugin cache miss: 1 provider \([\d.]+ KiB\) downloaded/);

    const second = await planRun({ version: '0.1.0', cacheDir });
    expectClean(second);
    expect(second.downloads).toEqual([]);
    expect(second.providers).toMatchObject({ status: 'hit', reused: [echo('0.1.0')], fetched: [] });
    expect(second.run.log).toMatch(/Provider plugin cache hit: 1 provider \([\d.]+ KiB\) used from/);
    expect(second.run.outputs['has-changes']).toBe('true');

    const changed = await planRun({ version: '0.2.0', cacheDir });
    expectClean(changed);
    expect(changed.downloads).toHaveLength(1);
    expect(changed.providers).toMatchObject({ status: 'miss', fetched: [echo('0.2.0')] });

    // A package whose content no longer matches the lock file's hashes (a partial or tampered copy):
    // the tool refuses it and installs it again; the step neither fails nor pretends it was a hit.
    const bin = path.join(cacheDir, 'example.test', 'edge', 'echo', '0.1.0');
    const [platformDir] = fs.readdirSync(bin);
    fs.writeFileSync(path.join(bin, platformDir, 'terraform-provider-echo_v0.1.0'), '#!/bin/sh\nexit 1\n');
    const damaged = await planRun({ version: '0.1.0', cacheDir });
    expectClean(damaged);
    expect(damaged.downloads).toHaveLength(1);
    expect(damaged.providers).toMatchObject({ status: 'miss', fetched: [echo('0.1.0')] });
  }, 300_000);
});

test('a cache directory tofu cannot use: init runs again without it, one warning, the plan succeeds', async () => {
  const cacheDir = path.join(env.runnerHome, 'plugin-cache-broken');
  fs.mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
  // A file where tofu must create the provider's directory.
  fs.writeFileSync(path.join(cacheDir, 'example.test'), 'not a directory');
  const r = await planRun({ version: '0.1.0', cacheDir });
  expectClean(r);
  expect(r.run.outputs['has-changes']).toBe('true');
  expect(r.providers.status).toBe('bypassed');
  // The first init fetched the package and failed to put it into the cache; the second fetched it again.
  expect(r.downloads).toHaveLength(2);
  expect(warningLines(r.run.log)).toHaveLength(1);
  expect(warningLines(r.run.log)[0]).toMatch(
    /could not use the provider plugin cache .*ran again without the cache/,
  );
}, 120_000);

async function standin(forge: 'github' | 'forgejo'): Promise<ActionsServices> {
  const s = await startActionsServices(forge);
  services.push(s);
  return s;
}

describe.each([
  ['github', 'v2'],
  ['forgejo', 'v1'],
] as const)('ephemeral runner: the Actions cache on %s (%s)', (forge, protocol) => {
  test('a second run restores the providers and downloads nothing; a changed lock file misses; a corrupt entry falls back to a download', async () => {
    const s = await standin(forge);
    const extraEnv = s.env({ cache: protocol });
    const cacheDir = path.join(env.runnerHome, `plugin-cache-${forge}`);
    const run = (version: string) => planRun({ version, cacheDir, ephemeral: true, extraEnv, forge });

    const first = await run('0.1.0');
    expectClean(first);
    expect(warningLines(first.run.log)).toEqual([]);
    expect(first).toMatchObject({ restore: 'miss', save: 'saved' });
    expect(first.downloads).toHaveLength(1);

    const second = await run('0.1.0');
    expectClean(second);
    expect(warningLines(second.run.log)).toEqual([]);
    expect(second.restore).toBe('hit');
    expect(second.downloads).toEqual([]);
    expect(second.providers).toMatchObject({ status: 'hit', reused: [echo('0.1.0')] });
    // The key: OS, architecture, tool and version, the lock file's sha256.
    const keys = s.cacheEntries.map((e) => e.key);
    const lockSha = createHash('sha256').update(locks['0.1.0']).digest('hex');
    expect(keys[0]).toMatch(
      new RegExp(
        `^edge-v1-[0-9a-f]+-tofu-providers-${process.platform}-${process.arch}-${path.basename(env.tofu)}@\\d+\\.\\d+\\.\\d+-${lockSha}-`,
      ),
    );

    const changed = await run('0.2.0');
    expectClean(changed);
    expect(changed).toMatchObject({ restore: 'miss', save: 'saved' });
    expect(changed.downloads).toHaveLength(1);

    s.damageCacheEntry('edge-v1-', { corruptFile: 'terraform-provider-echo_v0.2.0' });
    const damaged = await run('0.2.0');
    expectClean(damaged);
    expect(damaged.restore).toBe('corrupt');
    expect(damaged.downloads).toHaveLength(1);
    expect(warningLines(damaged.run.log)).toHaveLength(1);
    expect(warningLines(damaged.run.log)[0]).toMatch(/OpenTofu providers.*did not verify/);
  }, 400_000);
});

describe('the cache service failing or absent never changes the result', () => {
  test('cache service answering 500: the same plan, one warning, the providers downloaded', async () => {
    const s = await standin('forgejo');
    s.faults.cache = 'http-500';
    const r = await planRun({
      version: '0.1.0',
      cacheDir: path.join(env.runnerHome, 'plugin-cache-500'),
      ephemeral: true,
      extraEnv: s.env({ cache: 'v1' }),
      forge: 'forgejo',
    });
    expectClean(r);
    expect(r.restore).toBe('error');
    expect(r.downloads).toHaveLength(1);
    expect(r.run.outputs['has-changes']).toBe('true');
    expect(warningLines(r.run.log)).toHaveLength(1);
    expect(warningLines(r.run.log)[0]).toMatch(/500/);
  }, 120_000);

  test('no lock file: no Actions cache, said once; init works', async () => {
    const s = await standin('github');
    const r = await planRun({
      version: '0.1.0',
      cacheDir: path.join(env.runnerHome, 'plugin-cache-nolock'),
      ephemeral: true,
      extraEnv: s.env({ cache: 'v2' }),
      forge: 'github',
      withLock: false,
    });
    expectClean(r);
    expect(warningLines(r.run.log)).toEqual([]);
    expect(r.run.log.split('the Actions cache is not used for providers')).toHaveLength(2);
    expect(s.requests.filter((q) => q.service.startsWith('cache'))).toEqual([]);
    expect(r.downloads).toHaveLength(1);
  }, 120_000);
});
