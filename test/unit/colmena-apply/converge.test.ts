import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import type { ActionContext } from '../../../shared/run.js';
import { ActionError } from '../../../shared/errors.js';
import type { ToolResult } from '../../../shared/tool.js';
import type { ColmenaCli, RunOptions } from '../../../actions/colmena-apply/src/colmena-cli.js';
import { converge, type ColmenaSettings, type Deps } from '../../../actions/colmena-apply/src/converge.js';
import { runColmena } from '../../../actions/colmena-apply/src/deployment.js';
import type { Inventory } from '../../../actions/colmena-apply/src/node-selector.js';

/** The orchestration with fake clients: what runs in which order, and what stops it. */
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'colmena-converge-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function result(exitCode: number | null, extra: Partial<ToolResult> = {}): ToolResult {
  return {
    argv: [],
    exitCode,
    signal: null,
    stdout: '',
    stderr: '',
    durationMs: 1,
    timedOut: false,
    aborted: false,
    cancelled: false,
    ...extra,
  };
}

/** A colmena that prints the given transcript per goal and exits with the given code. */
function fakeCli(transcripts: Record<string, { lines: string[]; exit: number }>, inventory: Inventory) {
  const calls: string[][] = [];
  const cli: ColmenaCli = {
    version: async () => ({ raw: '0.4.0', major: 0, minor: 4, patch: 0 }),
    inventory: async () => inventory,
    run: async (args, opts: RunOptions) => {
      calls.push([...args]);
      const t = transcripts[args[1] ?? args[0]];
      for (const line of t.lines) opts.onLine(line);
      return result(t.exit);
    },
  };
  return { cli, calls };
}

function fakeCtx() {
  const outputs: Record<string, string> = {};
  const warnings: string[] = [];
  const results: Record<string, unknown> = {};
  const ctx: ActionContext = {
    action: 'colmena-apply',
    platform: {
      forge: 'github',
      os: 'linux',
      runId: '1',
      runAttempt: '1',
      sha: '',
      repository: '',
      serverUrl: '',
      apiUrl: '',
      workspace: tmp,
    },
    inputs: () => {
      throw new Error('not used');
    },
    step: (_name, fn) => fn(),
    skip: () => undefined,
    result: (v) => Object.assign(results, v),
    output: (name, value) => (outputs[name] = String(value)),
    saveState: () => undefined,
    getState: () => '',
    warning: (m) => warnings.push(m),
  };
  return { ctx, outputs, warnings, results };
}

const inventory: Inventory = new Map([
  [
    'alpha',
    { name: 'alpha', tags: ['edge'], targetHost: 'alpha.example', targetPort: null, buildOnTarget: false },
  ],
  [
    'beta',
    { name: 'beta', tags: ['edge'], targetHost: 'beta.example', targetPort: null, buildOnTarget: true },
  ],
]);

const settings: ColmenaSettings = {
  workingDirectory: tmp,
  config: undefined,
  on: ['@edge'],
  allowApplyAll: false,
  goal: 'switch',
  buildOnTarget: false,
  parallel: undefined,
  reboot: false,
  rebootTimeout: 600_000,
  keepResult: false,
  impure: false,
  showTrace: false,
  nixOptions: undefined,
  extraArgs: undefined,
  sshConfig: undefined,
  knownHosts: undefined,
  timeout: 60_000,
  dryActivateFirst: false,
  colmenaBinary: 'colmena',
  commitStatus: false,
  forgeToken: undefined,
};

function deps(cli: ColmenaCli, over: Partial<Deps> = {}): Deps {
  return {
    colmena: () => cli,
    git: { untrackedFiles: async () => undefined },
    ssh: { knownHostsName: async (_c, host) => host },
    prepareSsh: async () => {
      const dir = fs.mkdtempSync(path.join(tmp, 'ssh-'));
      return { dir, configFile: path.join(dir, 'ssh_config') };
    },
    env: { HOME: tmp },
    os: 'linux',
    ...over,
  };
}

const ok = (n: string, text = 'Activation successful') => [
  `${n} | Activating system profile`,
  `${n} | ${text}`,
];

describe('converge', () => {
  test('no match: fails before colmena apply runs', async () => {
    const { cli, calls } = fakeCli({}, inventory);
    const { ctx } = fakeCtx();
    await expect(converge(ctx, { ...settings, on: ['@core'] }, deps(cli))).rejects.toMatchObject({
      reason: 'no-nodes-selected',
    });
    expect(calls).toEqual([]);
  });

  test('dry-activate first, then the goal; outputs per node', async () => {
    const { cli, calls } = fakeCli(
      {
        'dry-activate': {
          lines: [
            ...ok('alpha', 'Dry activation successful'),
            'beta | would restart the following units: k3s.service',
            ...ok('beta', 'Dry activation successful'),
          ],
          exit: 0,
        },
        switch: { lines: [...ok('alpha'), ...ok('beta')], exit: 0 },
      },
      inventory,
    );
    const { ctx, outputs, results } = fakeCtx();
    await converge(ctx, { ...settings, dryActivateFirst: true }, deps(cli));
    expect(calls).toEqual([
      ['apply', 'dry-activate', '--on', '@edge'],
      ['apply', 'switch', '--on', '@edge'],
    ]);
    expect(outputs).toMatchObject({ succeeded: 'alpha,beta', failed: '' });
    expect(results.dryActivate).toEqual([
      { name: 'alpha', result: 'succeeded', wouldChange: [] },
      { name: 'beta', result: 'succeeded', wouldChange: ['would restart the following units: k3s.service'] },
    ]);
  });

  test('a failed dry-activate stops before the goal', async () => {
    const { cli, calls } = fakeCli(
      {
        'dry-activate': {
          lines: [
            'alpha | Activating system profile',
            'alpha | Activation failed: Child process exited with error code: 4',
          ],
          exit: 1,
        },
      },
      inventory,
    );
    const { ctx } = fakeCtx();
    await expect(
      converge(ctx, { ...settings, on: ['alpha'], dryActivateFirst: true }, deps(cli)),
    ).rejects.toMatchObject({
      reason: 'deploy-failed',
    });
    expect(calls.map((c) => c[1])).toEqual(['dry-activate']);
  });

  test('an unpinned host stops before deploying', async () => {
    const { cli, calls } = fakeCli({}, inventory);
    const { ctx } = fakeCtx();
    const key = 'AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';
    const run = converge(ctx, { ...settings, knownHosts: `alpha.example ssh-ed25519 ${key}` }, deps(cli));
    await expect(run).rejects.toMatchObject({ reason: 'host-key' });
    await expect(run).rejects.toThrow(/beta\.example \(node beta\)/);
    expect(calls).toEqual([]);
  });

  test('macOS without a Linux builder warns for the nodes that build locally', async () => {
    const { cli } = fakeCli({ switch: { lines: [...ok('alpha'), ...ok('beta')], exit: 0 } }, inventory);
    const { ctx, warnings } = fakeCtx();
    await converge(ctx, settings, deps(cli, { os: 'darwin', env: { HOME: tmp, XDG_CONFIG_HOME: tmp } }));
    expect(warnings.join('\n')).toMatch(/builds the Linux systems of alpha itself/);
  });

  test('the generated ssh dir is removed even when the run fails', async () => {
    const { cli } = fakeCli({ switch: { lines: ['alpha | Build failed: x'], exit: 1 } }, inventory);
    const { ctx } = fakeCtx();
    let dir = '';
    const d = deps(cli);
    const prepare = d.prepareSsh;
    d.prepareSsh = async (o) => {
      const p = await prepare(o);
      dir = p.dir;
      return p;
    };
    await expect(converge(ctx, { ...settings, on: ['alpha'] }, d)).rejects.toBeInstanceOf(ActionError);
    expect(fs.existsSync(dir)).toBe(false);
  });
});

describe('runColmena reboot watchdog', () => {
  test('aborts the run when a node stays in reboot longer than the timeout', async () => {
    let aborted = false;
    const cli: ColmenaCli = {
      version: async () => ({ raw: '0.5.0', major: 0, minor: 5, patch: 0 }),
      inventory: async () => inventory,
      run: (_args, opts) =>
        new Promise((resolve) => {
          ['alpha | Activation successful', 'alpha | Rebooting', 'alpha | Waiting for reboot'].forEach(
            opts.onLine,
          );
          opts.abort.addEventListener('abort', () => {
            aborted = true;
            resolve(result(null, { signal: 'SIGTERM', aborted: true }));
          });
        }),
    };
    const outcome = await runColmena(cli, {
      args: ['apply', 'switch', '--reboot'],
      goal: 'switch',
      reboot: true,
      nodes: ['alpha'],
      rebootTimeoutMs: 300,
      deadline: Date.now() + 10_000,
      label: 'colmena apply switch',
    });
    expect(aborted).toBe(true);
    expect(outcome.failure?.reason).toBe('reboot-timeout');
    expect(outcome.details[0]).toMatchObject({ name: 'alpha', result: 'timed-out', lastPhase: 'rebooting' });
  });
});
