import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import type { ActionContext } from '../../../shared/run.js';
import { ActionError } from '../../../shared/errors.js';
import type { ToolResult } from '../../../shared/tool.js';
import type { ColmenaCli, RunOptions } from '../../../actions/colmena-apply/src/colmena/colmena-cli.js';
import { converge, type ColmenaSettings, type Deps } from '../../../actions/colmena-apply/src/converge.js';
import { safetyNetMode } from '../../../actions/colmena-apply/src/safety/setup.js';
import { runColmena } from '../../../actions/colmena-apply/src/colmena/deployment.js';
import type { Inventory } from '../../../actions/colmena-apply/src/colmena/node-selector.js';
import type { NodeOps } from '../../../actions/colmena-apply/src/safety/node-ops.js';

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
    attach: () => undefined,
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
  rollback: false,
  confirmTimeout: 300_000,
  healthCheck: false,
  checks: undefined,
  checkTimeout: 60_000,
  allowDegraded: false,
  systemProfile: '/nix/var/nix/profiles/system',
  currentSystem: '/run/current-system',
  colmenaBinary: 'colmena',
  reportArtifact: undefined,

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
    nodeOps: () => {
      throw new Error('the safety net is off in these tests');
    },
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

describe('converge with the safety net', () => {
  const gen = (n: number) => ({
    profileLink: `system-${n}-link`,
    generation: n,
    profileSystem: `/nix/store/${'a'.repeat(32)}-nixos-system-${n}`,
    running: `/nix/store/${'a'.repeat(32)}-nixos-system-${n}`,
  });
  const paths = { profile: '/nix/var/nix/profiles/system', currentSystem: '/run/current-system' };

  /** A fleet that records every operation and runs generation 41, then 42 once colmena activated it. */
  function fakeOps(order: string[], activated: () => boolean): NodeOps {
    return {
      probe: async (t) => {
        order.push(`probe ${t.name}`);
        return {
          reached: true,
          result: {
            paths,
            generation: gen(activated() ? 42 : 41),
            nixEnv: `/nix/store/${'n'.repeat(32)}-nix/bin/nix-env`,
            systemState: { state: 'running', exitCode: 0, failedUnits: [] },
          },
          lines: [],
        };
      },
      check: async () => {
        throw new Error('no checks configured');
      },
      arm: async (t) => {
        order.push(`arm ${t.name}`);
        return { ok: true, exitCode: 0, sshFailed: false, lastLines: [] };
      },
      cancel: async (t) => {
        order.push(`cancel ${t.name}`);
        return { timer: 'inactive', service: 'inactive' };
      },
      rollback: async () => {
        throw new Error('no rollback expected');
      },
    };
  }

  function guarded(transcripts: Record<string, { lines: string[]; exit: number }>) {
    const order: string[] = [];
    let switched = false;
    const { cli, calls } = fakeCli(transcripts, inventory);
    const run = cli.run;
    cli.run = async (args, opts) => {
      order.push(`colmena ${args[1]}`);
      const r = await run(args, opts);
      if (args[1] === 'switch') switched = true;
      return r;
    };
    const d = deps(cli, {
      nodeOps: () => fakeOps(order, () => switched),
      clock: { now: () => Date.now(), pause: async () => undefined },
    });
    return { order, calls, d };
  }

  test('record, build and copy, arm, activate, verify: in that order, timers cancelled on healthy nodes', async () => {
    const { order, d } = guarded({
      push: { lines: ['alpha | Pushed system closure', 'beta | Pushed system closure'], exit: 0 },
      switch: { lines: [...ok('alpha'), ...ok('beta')], exit: 0 },
    });
    const { ctx, outputs } = fakeCtx();
    await converge(ctx, { ...settings, rollback: true }, d);
    expect([...order.slice(0, 2), ...order.slice(2).filter((o) => !o.startsWith('probe'))]).toEqual([
      'probe alpha',
      'probe beta',
      'colmena push',
      'arm alpha',
      'arm beta',
      'colmena switch',
      'cancel alpha',
      'cancel beta',
    ]);
    expect(JSON.parse(outputs.nodes).map((n: { health: string }) => n.health)).toEqual([
      'healthy',
      'healthy',
    ]);
    expect(JSON.parse(outputs.generations)).toMatchObject({
      alpha: { before: { generation: 41 }, after: { generation: 42 } },
    });
  });

  test('a failed build and copy stops before any timer is armed or anything activated', async () => {
    const { order, d } = guarded({
      push: { lines: ['alpha | Build failed: Child process exited with error code: 1'], exit: 1 },
    });
    const { ctx } = fakeCtx();
    await expect(converge(ctx, { ...settings, rollback: true }, d)).rejects.toMatchObject({
      reason: 'deploy-failed',
      message: expect.stringContaining('nothing was activated'),
    });
    expect(order.filter((o) => !o.startsWith('probe'))).toEqual(['colmena push']);
  });

  test('rollback with goal boot is refused: the next boot would not be protected', async () => {
    const { cli, calls } = fakeCli({}, inventory);
    const { ctx } = fakeCtx();
    await expect(
      converge(ctx, { ...settings, rollback: true, goal: 'boot' }, deps(cli)),
    ).rejects.toMatchObject({
      reason: 'invalid-input',
      message: expect.stringContaining("Input 'rollback' is invalid"),
    });
    expect(calls).toEqual([]);
  });

  test.each<Partial<ColmenaSettings>>([
    { rollback: true, goal: 'dry-activate' },
    { healthCheck: true, goal: 'boot' },
    { healthCheck: true, goal: 'push' },
    { checks: [{ where: 'remote', command: 'true' }], goal: 'build' },
  ])('a goal that activates nothing now skips the safety net with one warning: %j', (over) => {
    const mode = safetyNetMode({ ...settings, ...over });
    expect(mode.enabled).toBe(false);
    expect(mode.skipped).toMatch(
      /^rollback, health-check and checks are skipped: goal '[a-z-]+'( without reboot)? activates nothing now/,
    );
  });

  test('checks alone turn the health checks on', () => {
    expect(safetyNetMode({ ...settings, checks: [{ where: 'local', command: 'true' }] })).toEqual({
      enabled: true,
    });
    expect(safetyNetMode(settings)).toEqual({ enabled: false });
  });

  test('health-check with boot and reboot is allowed (the new generation runs after the reboot)', async () => {
    const { cli } = fakeCli(
      {
        boot: {
          lines: [
            ...ok('alpha', 'Will be activated next boot'),
            ...ok('beta', 'Will be activated next boot'),
          ],
          exit: 0,
        },
      },
      inventory,
    );
    const order: string[] = [];
    const { ctx, outputs } = fakeCtx();
    await converge(
      ctx,
      { ...settings, healthCheck: true, goal: 'boot', reboot: true },
      deps(cli, {
        nodeOps: () => fakeOps(order, () => true),
        clock: { now: () => Date.now(), pause: async () => undefined },
      }),
    );
    expect(JSON.parse(outputs.nodes).map((n: { health: string }) => n.health)).toEqual([
      'healthy',
      'healthy',
    ]);
    expect(order).toEqual(['probe alpha', 'probe beta']);
  });

  test('a target host the action cannot pass to ssh safely is refused before deploying', async () => {
    const evil: Inventory = new Map([
      [
        'alpha',
        {
          name: 'alpha',
          tags: ['edge'],
          targetHost: '-oProxyCommand=id',
          targetPort: null,
          buildOnTarget: false,
        },
      ],
    ]);
    const { cli, calls } = fakeCli({}, evil);
    const { ctx } = fakeCtx();
    await expect(
      converge(
        ctx,
        { ...settings, on: ['alpha'], healthCheck: true },
        deps(cli, { nodeOps: () => fakeOps([], () => false) }),
      ),
    ).rejects.toMatchObject({ reason: 'invalid-input' });
    expect(calls).toEqual([]);
  });
});
