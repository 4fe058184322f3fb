import { spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { createHive, type Hive, type HiveRun } from '../../support/colmena-apply-hive.js';
import { startFleet, type Fleet, type Generation, type NodeSpec } from '../../support/nixos-node.js';
import { errorLines } from '../../support/run-action.js';

/**
 * Issue 18: the dead-man switch and the health checks against real OpenSSH servers acting as NixOS nodes
 * (test/support/nixos-node.ts), deployed by the colmena stand-in, which activates over ssh with colmena's
 * own command lines. Every node runs generation 41; the tests deploy generation 42. The nodes keep their
 * /nix and /run under their login directory, hence the relative system-profile and current-system.
 */
// Each test starts sshd nodes and runs the bundle through colmena twice; the cut-ssh test waits out a timer.
jest.setTimeout(600_000);

const fleets: Fleet[] = [];
const hives: Hive[] = [];
afterEach(() => {
  fleets.splice(0).forEach((f) => f.stop());
  hives.splice(0).forEach((h) => h.cleanup());
});

/** A TCP port on the nodes' address, probed from the runner as the RustDesk ports would be. */
let rustdesk: net.Server;
let rustdeskPort = 0;
beforeAll(async () => {
  rustdesk = net.createServer((s) => s.end());
  await new Promise<void>((resolve) => rustdesk.listen(0, '127.0.0.1', resolve));
  rustdeskPort = (rustdesk.address() as net.AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => rustdesk.close(() => resolve())));

const portCheck = () =>
  `local: node -e 'const s = require("net").connect(${rustdeskPort}, process.env.COLMENA_HOST); s.on("connect", () => { console.log(process.env.COLMENA_NODE, "port open"); process.exit(0); }); s.on("error", (e) => { console.log(e.message); process.exit(1); })'`;

const GOOD: Generation = { units: { 'sshd.service': 'active', 'rustdesk-hbbs.service': 'active' } };
const NO_HBBS: Generation = { units: { 'sshd.service': 'active', 'rustdesk-hbbs.service': 'inactive' } };
const HBBS_CHECK = 'remote: systemctl is-active rustdesk-hbbs.service';

function node(name: string, g42: Generation, g41: Generation = GOOD): NodeSpec {
  return { name, current: 41, generations: { 41: g41, 42: g42 } };
}

async function deploy(
  specs: NodeSpec[],
  inputs: Record<string, string>,
  o: { inject?: string[]; onMainStarted?: (c: ChildProcess, fleet: Fleet) => void } = {},
): Promise<{ fleet: Fleet; r: HiveRun }> {
  const fleet = await startFleet(specs);
  fleets.push(fleet);
  const hive = createHive({
    version: '0.5.0-pre',
    inject: o.inject,
    nodes: fleet.scenarioNodes(Object.fromEntries(specs.map((s) => [s.name, 42]))),
  });
  hives.push(hive);
  const r = await hive.run(
    {
      on: '@edge',
      'ssh-config': fleet.sshConfig,
      'known-hosts': fleet.knownHosts(),
      'system-profile': 'nix/var/nix/profiles/system',
      'current-system': 'run/current-system',
      ...inputs,
    },
    { timeoutMs: 540_000, onMainStarted: o.onMainStarted && ((c) => o.onMainStarted!(c, fleet)) },
  );
  return { fleet, r };
}

function health(r: HiveRun): Record<string, string | null> {
  const nodes = JSON.parse(r.outputs.nodes ?? '[]') as { name: string; health: string | null }[];
  return Object.fromEntries(nodes.map((n) => [n.name, n.health]));
}

function generations(r: HiveRun): Record<string, [number | undefined, number | undefined]> {
  const g = JSON.parse(r.outputs.generations ?? '{}') as Record<
    string,
    { before: { generation: number } | null; after: { generation: number } | null }
  >;
  return Object.fromEntries(
    Object.entries(g).map(([k, v]) => [k, [v.before?.generation, v.after?.generation]]),
  );
}

/** The calls the action made to the NixOS bits on a node, in order (colmena's are there too). */
function programs(fleet: Fleet, name: string): string[] {
  return fleet.nodes
    .find((n) => n.name === name)!
    .calls()
    .filter((c) => c.program !== 'ssh')
    .map((c) => `${c.program} ${c.argv.join(' ')}`);
}

function byName(fleet: Fleet, name: string) {
  return fleet.nodes.find((n) => n.name === name)!;
}

describe('rollback: true (dead-man switch)', () => {
  test('healthy activation: timer armed, checks pass, timer cancelled, nodes stay on the new generation', async () => {
    const { fleet, r } = await deploy([node('alpha', GOOD), node('beta', GOOD)], {
      rollback: 'true',
      'confirm-timeout': '3m',
      checks: `${HBBS_CHECK}\n${portCheck()}`,
    });
    expect(errorLines(r.log)).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(health(r)).toEqual({ alpha: 'healthy', beta: 'healthy' });
    expect(generations(r)).toEqual({ alpha: [41, 42], beta: [41, 42] });
    expect(r.outputs['rolled-back']).toBe('[]');
    // colmena ran twice: build and copy first, then the activation once the timers were armed.
    expect(r.invocations.slice(2).map((i) => i.argv.slice(0, 2))).toEqual([
      ['apply', 'push'],
      ['apply', 'switch'],
    ]);
    for (const n of fleet.nodes) {
      expect(n.state().profileLink).toBe('system-42-link');
      expect(n.state().running).toBe(n.systemPath(42));
      const calls = programs(fleet, n.name);
      const armed = calls.findIndex((c) =>
        /^systemd-run --unit=colmena-apply-rollback-\S+ .*--on-active=180s/.test(c),
      );
      const activated = calls.findIndex((c) =>
        c.startsWith(`switch-to-configuration ${n.systemPath(42)} switch`),
      );
      const cancelled = calls.findIndex((c) => /^systemctl stop colmena-apply-rollback-\S+\.timer$/.test(c));
      expect({
        armed: armed >= 0,
        beforeActivation: armed < activated,
        cancelledAfter: cancelled > activated,
      }).toEqual({
        armed: true,
        beforeActivation: true,
        cancelledAfter: true,
      });
      // The timer is gone and never fired: nothing switched back.
      expect(n.transientUnits()).toEqual([]);
      expect(n.journal()).not.toMatch(/Triggering/);
    }
    const report = r.report?.result as {
      verification: { name: string; checks: { check: string; exitCode: number; lastLines: string[] }[] }[];
    };
    const checks = report.verification.find((v) => v.name === 'beta')!.checks;
    expect(checks.map((c) => [c.check.split(':')[0], c.exitCode])).toEqual([
      ['remote', 0],
      ['local', 0],
    ]);
    expect(checks[0].lastLines).toEqual(['active']);
    expect(checks[1].lastLines).toEqual(['beta port open']);
    expect(r.summary).toMatch(/\| alpha \| healthy \| 41 \| 42 \| colmena-apply-rollback-\S+: cancelled \|/);
  });

  test('a failing check on one of two nodes: only that node is switched back, the other keeps the new generation', async () => {
    const { fleet, r } = await deploy([node('alpha', GOOD), node('beta', NO_HBBS)], {
      rollback: 'true',
      'confirm-timeout': '3m',
      checks: HBBS_CHECK,
    });
    expect(r.exitCode).toBe(1);
    expect(r.outputs['failure-reason']).toBe('health-check-failed');
    expect(health(r)).toEqual({ alpha: 'healthy', beta: 'rolled-back' });
    expect(JSON.parse(r.outputs['rolled-back'])).toEqual(['beta']);
    expect(generations(r)).toEqual({ alpha: [41, 42], beta: [41, 41] });
    expect(byName(fleet, 'alpha').state()).toMatchObject({
      profileLink: 'system-42-link',
      running: byName(fleet, 'alpha').systemPath(42),
    });
    const beta = byName(fleet, 'beta');
    expect(beta.state()).toMatchObject({ profileLink: 'system-41-link', running: beta.systemPath(41) });
    expect(beta.state().units['rustdesk-hbbs.service']).toBe('active');
    // Switched back by the action through the service manager, not by the timer.
    expect(
      programs(fleet, 'beta').some((c) =>
        /^systemd-run --unit=colmena-apply-rollback-\S+-now .*--wait/.test(c),
      ),
    ).toBe(true);
    expect(programs(fleet, 'beta')).toContain(`switch-to-configuration ${beta.systemPath(41)} switch`);
    expect(beta.transientUnits()).toEqual([]);
    const [error] = errorLines(r.log);
    expect(error).toContain('beta (rolled-back: check');
    expect(error).toContain("'remote: systemctl is-active rustdesk-hbbs.service' exited 3");
    const verification = (
      r.report?.result as {
        verification: { name: string; checks: { exitCode: number; lastLines: string[] }[] }[];
      }
    ).verification;
    expect(verification.find((v) => v.name === 'beta')!.checks[0]).toMatchObject({
      exitCode: 3,
      lastLines: ['inactive'],
    });
  });

  test('an activation that cuts ssh: the node switches back by itself, reported as such, never as success', async () => {
    const { fleet, r } = await deploy([node('alpha', { ...GOOD, sshReachable: false })], {
      rollback: 'true',
      // Long enough for the activating colmena run on a loaded machine; the test waits it out.
      'confirm-timeout': '2m',
      'check-timeout': '20s',
    });
    expect(r.exitCode).toBe(1);
    expect(r.outputs['failure-reason']).toBe('health-check-failed');
    expect(health(r)).toEqual({ alpha: 'rolled-back (unconfirmed)' });
    expect(r.outputs.succeeded).toBe('alpha'); // colmena's own view: the activation itself succeeded
    expect(JSON.parse(r.outputs['rolled-back'])).toEqual(['alpha']);
    const alpha = byName(fleet, 'alpha');
    expect(alpha.state()).toMatchObject({ profileLink: 'system-41-link', running: alpha.systemPath(41) });
    expect(alpha.sshdRunning()).toBe(true);
    // The node's timer did it: the action never ran a rollback itself.
    expect(alpha.journal()).toMatch(/Triggering colmena-apply-rollback-\S+\.service/);
    expect(programs(alpha ? fleet : fleet, 'alpha').some((c) => /-now /.test(c))).toBe(false);
    const [error] = errorLines(r.log);
    expect(error).toMatch(
      /alpha \(rolled-back \(unconfirmed\): it could not be reached after activation .*its timer switched it back to generation 41/,
    );
  });

  test('switching back fails: rollback-failed, loudly', async () => {
    const { fleet, r } = await deploy(
      [node('alpha', GOOD), node('beta', NO_HBBS, { ...GOOD, bootloaderFails: true })],
      {
        rollback: 'true',
        'confirm-timeout': '3m',
        checks: HBBS_CHECK,
      },
    );
    expect(r.exitCode).toBe(1);
    expect(r.outputs['failure-reason']).toBe('rollback-failed');
    expect(health(r)).toEqual({ alpha: 'healthy', beta: 'rollback-failed' });
    expect(r.outputs['rolled-back']).toBe('[]');
    const beta = byName(fleet, 'beta');
    // nix-env moved the profile back, but generation 41 could not be activated: it still runs 42.
    expect(beta.state()).toMatchObject({ profileLink: 'system-41-link', running: beta.systemPath(42) });
    const [error] = errorLines(r.log);
    expect(error).toContain('Switching back failed on beta (rollback-failed:');
    expect(error).toContain('switching back to generation 41 failed');
    const verification = (
      r.report?.result as {
        verification: { name: string; rollback: { exitCode: number; lastLines: string[] } }[];
      }
    ).verification;
    expect(verification.find((v) => v.name === 'beta')!.rollback).toMatchObject({ exitCode: 1 });
  });
});

describe('health-check without rollback', () => {
  test('a unit that failed in the new generation: degraded, failed units listed, the node keeps it', async () => {
    const { fleet, r } = await deploy(
      [node('alpha', { units: { ...GOOD.units, 'k3s.service': 'failed' } })],
      { 'health-check': 'true' },
    );
    expect(r.exitCode).toBe(1);
    // colmena itself reports the activation failed (switch-to-configuration exit 4, a unit failed) …
    expect(r.outputs['failure-reason']).toBe('deploy-failed');
    expect(health(r)).toEqual({ alpha: 'unhealthy' });
    // … and the check after activation says what the node looks like now.
    const v = (
      r.report?.result as { verification: { systemState: { state: string; failedUnits: string[] } }[] }
    ).verification[0];
    expect(v.systemState).toMatchObject({ state: 'degraded', failedUnits: ['k3s.service'] });
    expect(errorLines(r.log)[0]).toContain(
      "After activation: alpha (unhealthy: colmena: Activation failed: Child process exited with error code: 4; system state 'degraded' (failed units: k3s.service))",
    );
    // No rollback without rollback: true: still on 42, no timer, no push run first.
    const alpha = byName(fleet, 'alpha');
    expect(alpha.state().profileLink).toBe('system-42-link');
    expect(programs(fleet, 'alpha').some((c) => c.startsWith('systemd-run'))).toBe(false);
    expect(r.invocations.slice(2).map((i) => i.argv[1])).toEqual(['switch']);
    expect(generations(r)).toEqual({ alpha: [undefined, 42] });
  });
});

describe('cancellation', () => {
  test('a job cancelled during the checks stops its ssh, reports cancelled and leaves the timer armed', async () => {
    let signalled = false;
    const { fleet, r } = await deploy(
      [node('alpha', GOOD)],
      {
        rollback: 'true',
        'confirm-timeout': '5m',
        checks: 'remote: sleep 600',
      },
      {
        onMainStarted: (child, f) => {
          // Once the check runs on the node, cancel the job as the runner does (SIGTERM to the action).
          const poll = setInterval(() => {
            if (f.nodes[0].calls().some((c) => c.program === 'ssh' && c.argv[0].includes('sleep 600'))) {
              clearInterval(poll);
              signalled = true;
              child.kill('SIGTERM');
            }
          }, 250);
          child.once('exit', () => clearInterval(poll));
        },
      },
    );
    expect(signalled).toBe(true);
    expect(r.exitCode).toBe(1);
    expect(r.report?.status).toBe('cancelled');
    const alpha = byName(fleet, 'alpha');
    // The timer is the safety net now: still armed, it will switch the node back.
    expect(alpha.transientUnits().some((u) => /^colmena-apply-rollback-\S+\.timer$/.test(u))).toBe(true);
    // The ssh running the check was in the action's process group for tools: gone with it. (On the node the
    // check runs under `timeout`, which ends it at check-timeout.)
    const clients = spawnSync('pgrep', ['-f', `-p ${alpha.port} .*sleep 600`])
      .stdout.toString()
      .trim();
    expect(clients).toBe('');
    expect(alpha.calls().find((c) => c.program === 'ssh' && c.argv[0].includes('sleep 600'))?.argv[0]).toBe(
      "timeout -k 5 60 sh -c 'sleep 600'",
    );
  });
});

describe('workflow commands from colmena and the node (issue 15 item 4)', () => {
  test('printed by the colmena stand-in and by the node on every ssh session: state, outputs and masks unchanged', async () => {
    // A directory the action never created: a forged save-state would make post remove it.
    const decoy = fs.mkdtempSync(path.join(os.tmpdir(), 'colmena-decoy-'));
    const forged = [
      `::save-state name=sshDir::${decoy}`,
      '::set-output name=succeeded::FORGED',
      '::add-mask::e',
      '::error::FORGED by the deployment',
      '##[set-output name=failed;]FORGED',
      '   ::warning::FORGED, indented',
    ];
    try {
      const fleet = await startFleet([{ ...node('alpha', GOOD), inject: forged }]);
      fleets.push(fleet);
      const hive = createHive({
        version: '0.4.0',
        inject: forged,
        nodes: fleet.scenarioNodes({ alpha: 42 }),
      });
      hives.push(hive);
      const r = await hive.run(
        {
          on: 'alpha',
          'ssh-config': fleet.sshConfig,
          'known-hosts': fleet.knownHosts(),
          'system-profile': 'nix/var/nix/profiles/system',
          'current-system': 'run/current-system',
          rollback: 'true',
          'confirm-timeout': '3m',
          checks: 'remote: echo "::set-output name=rolled-back::FORGED"; systemctl is-active sshd.service',
        },
        { timeoutMs: 540_000 },
      );
      expect(r.exitCode).toBe(0);
      expect(health(r)).toEqual({ alpha: 'healthy' });
      // The forged lines did reach the log (as text), so the test saw them…
      expect(r.log).toContain('FORGED by the deployment');
      // …but none of them acted as a command: only the action's own groups and masks remain.
      const commands = [...r.main.commands, ...(r.post?.commands ?? [])];
      expect(commands.filter((c) => JSON.stringify(c).includes('FORGED'))).toEqual([]);
      expect(commands.filter((c) => !['group', 'endgroup', 'add-mask'].includes(c.command))).toEqual([]);
      expect(r.main.effects.state).toEqual({});
      expect(r.main.effects.outputs).toEqual({});
      expect(r.masks).not.toContain('e');
      expect(Object.keys(r.state).sort()).toEqual(['isPost', 'sshDir']);
      expect(r.state.sshDir).toContain(r.runnerTemp);
      expect(r.outputs.succeeded).toBe('alpha');
      expect(r.outputs['rolled-back']).toBe('[]');
      expect(errorLines(r.log)).toEqual([]);
      // Post did only what main recorded: its own directory is gone, the decoy is untouched.
      expect(fs.existsSync(r.state.sshDir)).toBe(false);
      expect(fs.existsSync(decoy)).toBe(true);
    } finally {
      fs.rmSync(decoy, { recursive: true, force: true });
    }
  });
});
