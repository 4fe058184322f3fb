import { describe, expect, test } from '@jest/globals';
import type { Check, CheckResult } from '../../../actions/colmena-apply/src/safety/checks.js';
import type { NodeOps, OpResult, Probe } from '../../../actions/colmena-apply/src/safety/node-ops.js';
import type { Generation, SystemState } from '../../../actions/colmena-apply/src/safety/node-scripts.js';
import {
  verifyNode,
  type NodePlan,
  type VerifyContext,
} from '../../../actions/colmena-apply/src/safety/verify-node.js';
import type { NodeTarget } from '../../../actions/colmena-apply/src/ssh/node-ssh.js';

/**
 * The per-node state machine with a fake node and a virtual clock: every remote call takes a second,
 * pauses advance the clock, and the node answers from a script of what it does over time.
 */
const target: NodeTarget = {
  name: 'edge-1',
  host: 'edge-1.tail',
  port: null,
  user: 'root',
  sshOptions: [],
  privilegeEscalation: ['sudo', '-H', '--'],
};
const P = (n: number) =>
  `/nix/store/${String(n).repeat(2)}aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-nixos-system-edge-1-${n}`;
const gen = (n: number, running = n): Generation => ({
  profileLink: `system-${n}-link`,
  generation: n,
  profileSystem: P(n),
  running: P(running),
});
const RUNNING: SystemState = { state: 'running', exitCode: 0, failedUnits: [] };
const PATHS = { profile: '/nix/var/nix/profiles/system', currentSystem: '/run/current-system' };

interface Node {
  /** What a probe sees at a given time: a generation and state, or undefined when unreachable. */
  at(now: number): { generation: Generation; state?: SystemState } | undefined;
  check?(c: Check, now: number): number;
  rollback?(now: number): OpResult;
  cancel?(now: number): { timer: string; service: string } | undefined;
  hostKey?: boolean;
}

function harness(node: Node, over: Partial<VerifyContext> = {}) {
  let clock = 1_000_000;
  const calls: string[] = [];
  const ops: NodeOps = {
    async probe(_t, o) {
      calls.push(`probe${o.withState ? '+state' : ''}`);
      clock += 1000;
      const seen = node.at(clock);
      if (!seen)
        return {
          reached: false,
          why: node.hostKey
            ? 'ssh: Host key verification failed.'
            : 'ssh: connect to host edge-1.tail port 22: Connection refused',
          hostKey: Boolean(node.hostKey),
          lines: [],
        } as Probe;
      return {
        reached: true,
        result: {
          generation: seen.generation,
          paths: PATHS,
          systemState: o.withState ? (seen.state ?? RUNNING) : undefined,
        },
        lines: [],
      };
    },
    async check(_t, c: Check): Promise<CheckResult> {
      calls.push(`check ${c.command}`);
      clock += 1000;
      const exitCode = node.check ? node.check(c, clock) : 0;
      return {
        check: `${c.where}: ${c.command}`,
        where: c.where,
        ok: exitCode === 0,
        exitCode,
        timedOut: false,
        lastLines: [exitCode === 0 ? 'active' : 'inactive'],
        durationSeconds: 1,
      };
    },
    async arm() {
      throw new Error('not armed here');
    },
    async cancel() {
      calls.push('cancel');
      clock += 1000;
      return node.cancel ? node.cancel(clock) : { timer: 'inactive', service: 'inactive' };
    },
    async rollback(_t, o) {
      calls.push(`rollback ${o.revert}`);
      clock += 1000;
      return node.rollback
        ? node.rollback(clock)
        : { ok: true, exitCode: 0, sshFailed: false, lastLines: [] };
    },
  };
  const cx: VerifyContext = {
    ops,
    checks: [{ where: 'remote', command: 'systemctl is-active rustdesk-hbbs' }],
    checkTimeoutMs: 60_000,
    allowDegraded: false,
    rollback: true,
    goal: 'switch',
    deadline: clock + 3_600_000,
    now: () => clock,
    pause: async (ms) => {
      calls.push(`pause ${Math.round(ms / 1000)}s`);
      clock += ms;
    },
    pollMs: 2000,
    ...over,
  };
  const armedAt = clock - 30_000; // armed before colmena's 30 s activation run
  const plan = (extra: Partial<NodePlan> = {}): NodePlan => ({
    target,
    before: gen(41),
    beforeState: RUNNING,
    nixEnv: '/nix/store/nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn-nix-2.24/bin/nix-env',
    paths: PATHS,
    timer: {
      unit: 'colmena-apply-rollback-1-1-abcdef',
      armedAt,
      confirmMs: 120_000,
      firesBy: armedAt + 122_000,
      lostInReboot: false,
    },
    colmena: { result: 'succeeded', lastPhase: 'activating', error: null },
    ...extra,
  });
  return { cx, calls, plan, now: () => clock, armedAt };
}

describe('verifyNode with rollback', () => {
  test('healthy: checks pass, the timer is cancelled, the node is still on the new generation', async () => {
    const h = harness({ at: () => ({ generation: gen(42) }) });
    const v = await verifyNode(h.plan(), h.cx);
    expect(v).toMatchObject({ health: 'healthy', detail: null, after: gen(42) });
    expect(v.timer?.outcome).toBe('cancelled');
    expect(h.calls).toEqual(['probe+state', 'check systemctl is-active rustdesk-hbbs', 'cancel', 'probe']);
  });

  test('a failing check: switched back now (switch-generation, then the recorded system), verified again', async () => {
    let back = false;
    const h = harness({
      at: () => ({ generation: back ? gen(41) : gen(42) }),
      check: () => (back ? 0 : 3),
      rollback: () => {
        back = true;
        return { ok: true, exitCode: 0, sshFailed: false, lastLines: ['Finished with result: success'] };
      },
    });
    const v = await verifyNode(h.plan(), h.cx);
    expect(v.health).toBe('rolled-back');
    expect(v.detail).toBe(
      "check 'remote: systemctl is-active rustdesk-hbbs' exited 3; switched back to generation 41",
    );
    expect(v.timer?.outcome).toBe('stopped for rollback');
    expect(h.calls[2]).toBe(
      `rollback /nix/store/nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn-nix-2.24/bin/nix-env -p /nix/var/nix/profiles/system --switch-generation 41 && ${P(41)}/bin/switch-to-configuration switch`,
    );
    expect(v.checks.map((c) => [c.check, c.exitCode])).toEqual([
      ['remote: systemctl is-active rustdesk-hbbs', 3],
      ['remote: systemctl is-active rustdesk-hbbs (after switching back)', 0],
    ]);
  });

  test('goal test switches back to what ran before, without touching the profile', async () => {
    const h = harness({ at: () => ({ generation: gen(41, 42) }), check: () => 3 }, { goal: 'test' });
    await verifyNode(h.plan(), h.cx);
    expect(h.calls[2]).toBe(`rollback ${P(41)}/bin/switch-to-configuration test`);
  });

  test('unreachable after activation: the node switches back by its timer and is reported unconfirmed', async () => {
    const h = harness({ at: (now) => (now < h.armedAt + 122_000 ? undefined : { generation: gen(41) }) });
    const v = await verifyNode(h.plan(), h.cx);
    expect(v.health).toBe('rolled-back (unconfirmed)');
    expect(v.detail).toMatch(
      /^it could not be reached after activation \(ssh: connect to host .*Connection refused\); its timer switched it back to generation 41$/,
    );
    expect(v.timer?.outcome).toBe('fired');
    expect(h.calls.some((c) => c.startsWith('rollback') || c === 'cancel')).toBe(false);
    // It kept trying until the confirm window closed (T − 10 s), then waited for the timer.
    expect(h.calls.filter((c) => c === 'probe+state').length).toBeGreaterThan(10);
  });

  test('unreachable for good: reported with what the timer was to do, never as success', async () => {
    const h = harness({ at: () => undefined });
    const v = await verifyNode(h.plan(), h.cx);
    expect(v.health).toBe('unreachable');
    expect(v.detail).toMatch(
      /its timer colmena-apply-rollback-1-1-abcdef was due to switch it back to generation 41 by .*Z, but it has not answered since/,
    );
    expect(v.timer?.outcome).toBe('pending');
  });

  test('the step ends before the timer is due: unreachable, with when the timer will act', async () => {
    const h = harness({ at: () => undefined });
    const v = await verifyNode(h.plan(), { ...h.cx, deadline: h.now() + 60_000 });
    expect(v.health).toBe('unreachable');
    expect(v.detail).toMatch(
      /its timer colmena-apply-rollback-1-1-abcdef switches it back to generation 41 by .*Z \(after the step's timeout, so not observed\)$/,
    );
  });

  test('the timer fired but the node still runs the new generation: rollback-failed', async () => {
    const h = harness({ at: (now) => (now < h.armedAt + 122_000 ? undefined : { generation: gen(42) }) });
    const v = await verifyNode(h.plan(), h.cx);
    expect(v.health).toBe('rollback-failed');
    expect(v.detail).toMatch(/was due by .*, but it still runs \/nix\/store\/42/);
  });

  test('switching back fails: rollback-failed with what the node runs', async () => {
    const h = harness({
      at: () => ({ generation: { ...gen(42), profileLink: 'system-41-link' } }),
      check: () => 3,
      rollback: () => ({
        ok: false,
        exitCode: 1,
        sshFailed: false,
        lastLines: ['Finished with result: exit-code'],
      }),
    });
    const v = await verifyNode(h.plan(), h.cx);
    expect(v.health).toBe('rollback-failed');
    expect(v.detail).toContain(
      'switching back to generation 41 failed (switch back: exit 1): it runs /nix/store/42',
    );
    expect(v.rollback).toEqual({ exitCode: 1, lastLines: ['Finished with result: exit-code'] });
  });

  test('back on the recorded generation but still unhealthy: rollback-failed', async () => {
    let back = false;
    const h = harness({
      at: () => ({ generation: back ? gen(41) : gen(42) }),
      check: () => 3,
      rollback: () => {
        back = true;
        return { ok: true, exitCode: 0, sshFailed: false, lastLines: [] };
      },
    });
    const v = await verifyNode(h.plan(), h.cx);
    expect(v.health).toBe('rollback-failed');
    expect(v.detail).toContain('back on generation 41, but: check');
  });

  test('checks that overrun the confirm window count as failed: the node is switched back at once', async () => {
    let back = false;
    const h = harness({
      at: () => ({ generation: back ? gen(41) : gen(42) }),
      rollback: () => {
        back = true;
        return { ok: true, exitCode: 0, sshFailed: false, lastLines: [] };
      },
    });
    h.cx.checks = Array.from({ length: 90 }, (_, i) => ({ where: 'local', command: `probe ${i}` }) as Check);
    const v = await verifyNode(h.plan(), h.cx);
    expect(v.health).toBe('rolled-back');
    expect(v.checks.some((c) => c.lastLines[0] === 'not run: no time left')).toBe(true);
  });

  test('checks pass, but only after the window: not cancelled any more, the timer is left to act', async () => {
    const h = harness({
      at: (now) => ({ generation: now < h.armedAt + 122_000 ? gen(42) : gen(41) }),
    });
    // The one check takes until just past the end of the confirm window (armedAt + 110 s).
    const slow = h.cx.ops.check.bind(h.cx.ops);
    let clockShift = 0;
    h.cx.ops.check = async (t, c, ms) => {
      const r = await slow(t, c, ms);
      clockShift = h.armedAt + 111_000 - h.now();
      await h.cx.pause(clockShift);
      return r;
    };
    const v = await verifyNode(h.plan(), h.cx);
    expect(clockShift).toBeGreaterThan(0);
    expect(v.health).toBe('rolled-back (unconfirmed)');
    expect(v.detail).toBe(
      'its checks passed, but only after the confirm window (raise confirm-timeout); its timer switched it back to generation 41',
    );
    expect(h.calls).not.toContain('cancel');
  });

  test('colmena outlasted the confirm window: nothing is cancelled, the timer is left to act', async () => {
    const h = harness({ at: (now) => ({ generation: now < h.armedAt + 122_000 ? gen(42) : gen(41) }) });
    const p = h.plan();
    const v = await verifyNode({ ...p, timer: { ...p.timer!, armedAt: h.now() - 115_000 } }, h.cx);
    expect(v.health).toBe('rolled-back (unconfirmed)');
    expect(v.detail).toMatch(
      /^the activating colmena run outlasted the confirm window \(raise confirm-timeout\)/,
    );
    expect(h.calls).not.toContain('cancel');
  });

  test('the timer fires while it is being cancelled: reported as rolled back by the timer', async () => {
    let cancelled = false;
    const h = harness({
      at: () => ({ generation: cancelled ? gen(41) : gen(42) }),
      cancel: () => {
        cancelled = true;
        return { timer: 'inactive', service: 'inactive' };
      },
    });
    const v = await verifyNode(h.plan(), h.cx);
    expect(v.health).toBe('rolled-back (unconfirmed)');
    expect(v.detail).toBe('its timer fired before it could be cancelled');
  });

  test('colmena never activated the node: its timer is cancelled, nothing is checked', async () => {
    const h = harness({ at: () => ({ generation: gen(41) }) });
    const v = await verifyNode(
      h.plan({
        colmena: {
          result: 'failed',
          lastPhase: 'keys',
          error: 'Key upload failed: Child process exited with error code: 1',
        },
      }),
      h.cx,
    );
    expect(v.health).toBe('not-activated');
    expect(v.detail).toBe('colmena did not activate it; still on generation 41');
    expect(h.calls).toEqual(['cancel', 'probe']);
  });

  test('the activation failed before changing anything: not-activated, timer cancelled', async () => {
    const h = harness({ at: () => ({ generation: gen(41) }) });
    const v = await verifyNode(
      h.plan({
        colmena: {
          result: 'failed',
          lastPhase: 'activating',
          error: 'Activation failed: Child process exited with error code: 1',
        },
      }),
      h.cx,
    );
    expect(v.health).toBe('not-activated');
    expect(h.calls).toEqual(['probe+state', 'cancel']);
  });

  test('a changed host key is not retried and not trusted', async () => {
    const h = harness({ at: () => undefined, hostKey: true });
    const v = await verifyNode(h.plan(), h.cx);
    expect(v.health).toBe('unreachable');
    expect(v.detail).toContain('Host key verification failed.');
    // No retries within the confirm window: the next look is once its timer is due (and the old key back).
    const untilTimer = h.calls.slice(
      0,
      h.calls.findIndex((c) => c.startsWith('pause')),
    );
    expect(untilTimer).toEqual(['probe+state']);
  });

  test('after a reboot the timer is gone: an unreachable node is reported as such, with what to do', async () => {
    const h = harness({ at: () => undefined });
    const p = h.plan();
    const v = await verifyNode({ ...p, timer: { ...p.timer!, lostInReboot: true } }, h.cx);
    expect(v.health).toBe('unreachable');
    expect(v.detail).toContain('the reboot removed its rollback timer');
    expect(v.timer?.outcome).toBe('lost in reboot');
  });

  test('the overall timeout already passed: unverified, with what the timer will do', async () => {
    const h = harness({ at: () => ({ generation: gen(42) }) });
    const v = await verifyNode(h.plan(), { ...h.cx, deadline: h.now() });
    expect(v.health).toBe('unverified');
    expect(v.detail).toMatch(
      /overall timeout .* its timer colmena-apply-rollback-1-1-abcdef switches it back to generation 41/,
    );
    expect(h.calls).toEqual([]);
  });
});

describe('verifyNode, health-check only', () => {
  const checkOnly = { rollback: false };
  const plain = (h: ReturnType<typeof harness>): NodePlan => ({
    ...h.plan(),
    before: undefined,
    timer: undefined,
    nixEnv: undefined,
  });

  test('degraded fails with the failed units listed', async () => {
    const h = harness(
      {
        at: () => ({
          generation: gen(42),
          state: { state: 'degraded', exitCode: 1, failedUnits: ['k3s.service', 'tailscaled.service'] },
        }),
      },
      checkOnly,
    );
    const v = await verifyNode(plain(h), h.cx);
    expect(v).toMatchObject({
      health: 'unhealthy',
      detail: "system state 'degraded' (failed units: k3s.service, tailscaled.service)",
    });
    expect(v.systemState?.failedUnits).toEqual(['k3s.service', 'tailscaled.service']);
  });

  test('degraded passes with allow-degraded', async () => {
    const h = harness(
      {
        at: () => ({
          generation: gen(42),
          state: { state: 'degraded', exitCode: 1, failedUnits: ['x.service'] },
        }),
      },
      { ...checkOnly, allowDegraded: true },
    );
    expect((await verifyNode(plain(h), h.cx)).health).toBe('healthy');
  });

  test('still starting after check-timeout fails and says so', async () => {
    const h = harness(
      { at: () => ({ generation: gen(42), state: { state: 'starting', exitCode: 124, failedUnits: [] } }) },
      checkOnly,
    );
    expect((await verifyNode(plain(h), h.cx)).detail).toBe("system state 'starting' after check-timeout");
  });

  test('unreachable without a timer: unreachable, nothing waited for', async () => {
    const h = harness({ at: () => undefined }, checkOnly);
    const v = await verifyNode(plain(h), h.cx);
    expect(v.health).toBe('unreachable');
    expect(h.calls.some((c) => c.startsWith('pause') && Number(c.slice(6, -1)) > 2)).toBe(false);
  });
});
