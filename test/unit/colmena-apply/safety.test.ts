import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, test } from '@jest/globals';
import { ActionError } from '../../../shared/errors.js';
import { parseCheck } from '../../../actions/colmena-apply/src/safety/checks.js';
import type { NodeOps, Probe } from '../../../actions/colmena-apply/src/safety/node-ops.js';
import {
  armScript,
  cancelScript,
  isBackOn,
  parseCancel,
  parseProbe,
  probeScript,
  revertCommand,
  rollbackScript,
  type Generation,
} from '../../../actions/colmena-apply/src/safety/node-scripts.js';
import { SafetyNet, verificationFailure } from '../../../actions/colmena-apply/src/safety/safety-net.js';
import type { NodeVerification } from '../../../actions/colmena-apply/src/safety/verify-node.js';
import { escalate, sshArgs, type NodeTarget } from '../../../actions/colmena-apply/src/ssh/node-ssh.js';
import {
  commandLine,
  isSafePath,
  shellQuote,
  sshDestination,
} from '../../../actions/colmena-apply/src/ssh/remote-command.js';

const PATHS = { profile: '/nix/var/nix/profiles/system', currentSystem: '/run/current-system' };
const S41 = '/nix/store/0a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p-nixos-system-edge-1-24.05';
const rec: Generation = { profileLink: 'system-41-link', generation: 41, profileSystem: S41, running: S41 };

describe('remote command lines', () => {
  const hostile = [
    "it's",
    '$(touch /tmp/pwned)',
    '`id`',
    'a b\tc',
    'line1\nline2',
    '; rm -rf /',
    '"quoted"',
    '',
    '--',
    '*',
    '~root',
  ];

  test('every word reaches the remote shell unchanged', () => {
    // What sshd does with the command: the user's shell parses it (here dash, NixOS has bash: same rules).
    const out = execFileSync('sh', ['-c', `printf '%s\\0' ${commandLine(hostile)}`]).toString();
    expect(out.split('\0').slice(0, -1)).toEqual(hostile);
  });

  test('plain words stay readable', () => {
    expect(shellQuote('/nix/var/nix/profiles/system')).toBe('/nix/var/nix/profiles/system');
    expect(shellQuote('ca-0123abcd')).toBe('ca-0123abcd');
  });

  test.each([
    ['/nix/store/abc-nixos-system-x-24.05', true],
    ['/nix/var/nix/profiles/system', true],
    ['relative/path', false],
    ['/a/../b', false],
    ['/a/./b', false],
    ['/a//b', false],
    ['/a/$HOME', false],
    ['/a/%n', false],
    ["/a/'b", false],
    ['/a b', false],
  ])('isSafePath(%j) = %s', (p, ok) => expect(isSafePath(p)).toBe(ok));

  test.each<[string | null, string, string | undefined]>([
    ['root', 'edge-1.tail', 'root@edge-1.tail'],
    [null, '100.64.0.1', '100.64.0.1'],
    ['deploy', '[fd7a::1]', 'deploy@[fd7a::1]'],
    ['root', '-oProxyCommand=id', undefined],
    ['-oProxyCommand=id', 'edge', undefined],
    ['root', 'edge 1', undefined],
    ['ro ot', 'edge', undefined],
  ])('sshDestination(%j, %j)', (user, host, dest) => expect(sshDestination(user, host)).toBe(dest));

  test('ssh argv: strict host keys before the hive options, the command after --', () => {
    const t: NodeTarget = {
      name: 'edge-1',
      host: 'edge-1.tail',
      port: 2222,
      user: 'deploy',
      sshOptions: ['-o', 'StrictHostKeyChecking=no'],
      privilegeEscalation: ['sudo', '-H', '--'],
    };
    expect(sshArgs('/tmp/cfg', t, 'sh -s -- a')).toEqual([
      '-F',
      '/tmp/cfg',
      '-o',
      'BatchMode=yes',
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'UpdateHostKeys=no',
      '-T',
      '-o',
      'StrictHostKeyChecking=no',
      '-p',
      '2222',
      'deploy@edge-1.tail',
      '--',
      'sh -s -- a',
    ]);
    expect(escalate(t, ['sh', '-s'])).toEqual(['sudo', '-H', '--', 'sh', '-s']);
    expect(escalate({ ...t, user: 'root' }, ['sh', '-s'])).toEqual(['sh', '-s']);
  });
});

describe('node scripts', () => {
  test.each([
    ['probe', probeScript('n', PATHS, true, 60)],
    [
      'arm',
      armScript({
        unit: 'colmena-apply-rollback-1-1-ab',
        seconds: 300,
        paths: PATHS,
        recorded: rec,
        revert: revertCommand('test', rec, PATHS.profile),
      }),
    ],
    ['cancel', cancelScript('n', 'colmena-apply-rollback-1-1-ab')],
    ['rollback', rollbackScript('colmena-apply-rollback-1-1-ab', 41, 'x')],
  ])('%s is valid POSIX sh (dash -n)', (_name, s) => {
    const r = spawnSync('sh', ['-n', '-s', '--', ...s.args], { input: s.script });
    expect({ status: r.status, stderr: r.stderr.toString() }).toEqual({ status: 0, stderr: '' });
  });

  test('probe output: only lines with the nonce count, junk and forged lines are ignored', () => {
    const out = [
      '::save-state name=sshDir::/home/ops',
      'n1 profile=/fake/profile',
      'n2 profile=/nix/var/nix/profiles/system',
      'n2 current-system=/run/current-system',
      'n2 profile-link=system-41-link',
      `n2 profile-system=${S41}`,
      `n2 running=${S41}`,
      'n2 nix-env=/nix/store/xyz-nix-2.24/bin/nix-env',
      'n2 system-state=degraded',
      'n2 system-state-rc=1',
      'n2 failed-unit=k3s.service',
      'n2 failed-unit=tailscaled.service',
      'n2 end=1',
    ].join('\n');
    expect(parseProbe(out, 'n2', PATHS)).toEqual({
      paths: PATHS,
      generation: rec,
      nixEnv: '/nix/store/xyz-nix-2.24/bin/nix-env',
      systemState: { state: 'degraded', exitCode: 1, failedUnits: ['k3s.service', 'tailscaled.service'] },
    });
    expect(parseProbe(out.replace('n2 end=1', ''), 'n2', PATHS)).toBeUndefined();
  });

  test('a profile that is not a numbered generation link, or an unsafe path, is no generation', () => {
    const base = `n profile=/p\nn current-system=/c\nn running=${S41}\nn end=1`;
    expect(
      parseProbe(`${base}\nn profile-link=/nix/store/x\nn profile-system=${S41}`, 'n', PATHS)
        ?.generationError,
    ).toMatch(/not a link to a numbered generation/);
    expect(
      parseProbe(`${base}\nn profile-link=system-4-link\nn profile-system=/nix/store/a b`, 'n', PATHS)
        ?.generationError,
    ).toMatch(/unusable path/);
  });

  test('the rollback command: switch moves the profile back and activates that generation; test only activates', () => {
    expect(revertCommand('switch', rec, PATHS.profile, '/nix/store/xyz-nix/bin/nix-env')).toBe(
      `/nix/store/xyz-nix/bin/nix-env -p /nix/var/nix/profiles/system --switch-generation 41 && ${S41}/bin/switch-to-configuration switch`,
    );
    expect(revertCommand('test', { ...rec, running: '/nix/store/b-test' }, PATHS.profile)).toBe(
      '/nix/store/b-test/bin/switch-to-configuration test',
    );
    expect(() => revertCommand('switch', rec, PATHS.profile)).toThrow(/nix-env was not found/);
    expect(() => revertCommand('test', { ...rec, running: '/nix/store/$(id)' }, PATHS.profile)).toThrow(
      /unsafe/,
    );
  });

  test('back on the recorded generation', () => {
    const now42 = { ...rec, profileLink: 'system-42-link', generation: 42, running: '/nix/store/b42' };
    expect(isBackOn('switch', rec, rec)).toBe(true);
    expect(isBackOn('switch', { ...rec, running: '/nix/store/b42' }, rec)).toBe(false);
    expect(isBackOn('switch', now42, rec)).toBe(false);
    expect(isBackOn('test', { ...rec, running: S41 }, { ...rec })).toBe(true);
  });

  test('cancel output', () => {
    expect(parseCancel('n timer=inactive\nn service=inactive\nn end=1\n', 'n')).toEqual({
      timer: 'inactive',
      service: 'inactive',
    });
    expect(parseCancel('Failed to stop x.timer: Access denied\n', 'n')).toBeUndefined();
  });

  test.each([
    ['remote: systemctl is-active k3s', { where: 'remote', command: 'systemctl is-active k3s' }],
    [
      'local:nc -z -w 5 "$COLMENA_HOST" 21116',
      { where: 'local', command: 'nc -z -w 5 "$COLMENA_HOST" 21116' },
    ],
  ])('check %j', (line, check) => expect(parseCheck(line)).toEqual(check));

  test('a check line without remote: or local: is refused', () => {
    expect(parseCheck('systemctl is-active k3s')).toHaveProperty('expected');
  });
});

function verification(
  name: string,
  health: NodeVerification['health'],
  detail: string | null = null,
): NodeVerification {
  return {
    name,
    health,
    detail,
    before: null,
    after: null,
    systemState: null,
    checks: [],
    timer: null,
    rollback: null,
    transcript: [],
  };
}

describe('verificationFailure (most serious first)', () => {
  const colmena = new ActionError(
    'deploy-failed',
    'colmena apply switch failed on 1 of 3 node(s): c.',
    'hint',
  );

  test.each<[NodeVerification['health'][], ActionError | undefined, string | undefined]>([
    [['healthy', 'healthy'], undefined, undefined],
    [['healthy', 'rolled-back'], undefined, 'health-check-failed'],
    [['rolled-back (unconfirmed)'], undefined, 'health-check-failed'],
    [['unhealthy', 'unreachable'], undefined, 'unreachable'],
    [['unverified'], undefined, 'unreachable'],
    [['unreachable', 'rollback-failed'], undefined, 'rollback-failed'],
    [['healthy', 'not-activated'], colmena, 'deploy-failed'],
    [['rolled-back'], colmena, 'deploy-failed'],
    [['rollback-failed'], colmena, 'rollback-failed'],
  ])('%j with colmena %s', (healths, c, reason) => {
    const f = verificationFailure(
      healths.map((h, i) => verification(`n${i}`, h, h === 'healthy' ? null : 'why')),
      c,
    );
    expect(f?.reason).toBe(reason);
  });

  test('colmena failure keeps its message and adds what happened after activation', () => {
    const f = verificationFailure([verification('b', 'rolled-back', "check 'remote: x' exited 3")], colmena);
    expect(f?.message).toBe(
      "colmena apply switch failed on 1 of 3 node(s): c. After activation: b (rolled-back: check 'remote: x' exited 3).",
    );
  });
});

describe('SafetyNet: record and arm fail closed', () => {
  const t = (name: string): NodeTarget => ({
    name,
    host: `${name}.tail`,
    port: null,
    user: 'root',
    sshOptions: [],
    privilegeEscalation: [],
  });
  const probeOk: Probe = {
    reached: true,
    result: { paths: PATHS, generation: rec, nixEnv: '/nix/store/x-nix/bin/nix-env' },
    lines: [],
  };

  function net(probe: (name: string) => Probe, arm: (name: string) => boolean = () => true) {
    const calls: string[] = [];
    const ops: NodeOps = {
      probe: async (n) => {
        calls.push(`probe ${n.name}`);
        return probe(n.name);
      },
      check: async () => {
        throw new Error('unused');
      },
      arm: async (n) => {
        calls.push(`arm ${n.name}`);
        const ok = arm(n.name);
        return {
          ok,
          exitCode: ok ? 0 : 1,
          sshFailed: false,
          lastLines: ok ? [] : ['Failed to start transient timer unit'],
        };
      },
      cancel: async (n) => {
        calls.push(`cancel ${n.name}`);
        return { timer: 'inactive', service: 'inactive' };
      },
      rollback: async () => {
        throw new Error('unused');
      },
    };
    const s = new SafetyNet(
      ops,
      [t('a'), t('b')],
      {
        rollback: true,
        goal: 'switch',
        reboot: false,
        confirmMs: 300_000,
        checkTimeoutMs: 60_000,
        allowDegraded: false,
        checks: [],
        paths: PATHS,
        runId: '7-1',
      },
      { now: () => Date.now(), pause: async () => undefined },
    );
    return { s, calls };
  }

  test('an unreachable node stops everything before deploying', async () => {
    const { s } = net((n) =>
      n === 'b'
        ? {
            reached: false,
            why: 'ssh: connect to host b.tail port 22: No route to host',
            hostKey: false,
            lines: [],
          }
        : probeOk,
    );
    await expect(s.record(Date.now() + 60_000)).rejects.toMatchObject({
      reason: 'unreachable',
      message: expect.stringContaining('b (ssh: connect to host b.tail port 22: No route to host)'),
    });
  });

  test('a host key failure is host-key', async () => {
    const { s } = net(() => ({
      reached: false,
      why: 'ssh: Host key verification failed.',
      hostKey: true,
      lines: [],
    }));
    await expect(s.record(Date.now() + 60_000)).rejects.toMatchObject({ reason: 'host-key' });
  });

  test('no numbered generation, or no nix-env for goal switch: rollback-unavailable', async () => {
    const { s } = net((n) =>
      n === 'a'
        ? {
            reached: true,
            result: { paths: PATHS, generationError: '/p is not a link to a numbered generation' },
            lines: [],
          }
        : { reached: true, result: { paths: PATHS, generation: rec }, lines: [] },
    );
    await expect(s.record(Date.now() + 60_000)).rejects.toMatchObject({
      reason: 'rollback-unavailable',
      message: expect.stringMatching(/a: \/p is not a link.*b: nix-env was not found/),
    });
  });

  test('one timer fails to arm: the armed one is cancelled and nothing is activated', async () => {
    const { s, calls } = net(
      () => probeOk,
      (n) => n === 'a',
    );
    await s.record(Date.now() + 60_000);
    await expect(s.arm(Date.now() + 60_000)).rejects.toMatchObject({
      reason: 'rollback-unavailable',
      message: expect.stringContaining('(the timers on a were cancelled)'),
    });
    expect(calls).toContain('cancel a');
    expect(calls).not.toContain('cancel b');
  });

  test('unit names are unique per step run', () => {
    const a = net(() => probeOk).s.unit;
    const b = net(() => probeOk).s.unit;
    expect(a).toMatch(/^colmena-apply-rollback-7-1-[0-9a-f]{6}$/);
    expect(a).not.toBe(b);
  });
});
