import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { alive, createHive, listFiles, nodesOutput, type Hive } from '../../support/colmena-apply-hive.js';
import { errorLines } from '../../support/run-action.js';
import { requireTool } from '../../support/tools.js';

/**
 * The bundle through the runner harness against the colmena stand-in, which replays colmena's plain
 * output, exit codes and argv handling (see test/support/standins/colmena/colmena).
 */
const hives: Hive[] = [];
function hive(...args: Parameters<typeof createHive>): Hive {
  const h = createHive(...args);
  hives.push(h);
  return h;
}
afterAll(() => hives.forEach((h) => h.cleanup()));

const EDGE = {
  alpha: { tags: ['edge'], targetHost: 'alpha.example' },
  beta: { tags: ['edge'], targetHost: 'beta.example' },
  gamma: { tags: ['core'], targetHost: 'gamma.example' },
};

describe('colmena-apply', () => {
  test('all selected nodes succeed (0.4): per-node outputs, groups, summary, ssh config via SSH_CONFIG_FILE', async () => {
    const h = hive({ version: '0.4.0', nodes: EDGE });
    const r = await h.run({ on: '@edge' });
    expect(r.exitCode).toBe(0);
    expect(nodesOutput(r).map((n) => [n.name, n.result, n.lastPhase, n.error])).toEqual([
      ['alpha', 'succeeded', 'activating', null],
      ['beta', 'succeeded', 'activating', null],
    ]);
    expect(r.outputs.succeeded).toBe('alpha,beta');
    expect(r.outputs.failed).toBe('');
    expect(r.invocations.map((i) => i.argv[0])).toEqual(['--version', 'eval', 'apply']);
    const apply = r.invocations[2];
    expect(apply.argv).toEqual(['apply', 'switch', '--on', '@edge']);
    expect(apply.cwd).toBe(h.dir);
    expect(apply.sshConfigFile).toMatch(/colmena-apply-ssh-/);
    expect(apply.sshConfig).toContain('BatchMode yes');
    expect(apply.sshConfig).toContain('ServerAliveInterval 15');
    expect(r.log).toContain('::group::alpha: succeeded (last phase activating');
    expect(r.summary).toMatch(/\| alpha \| succeeded \| activating \|/);
    expect(r.report?.status).toBe('success');
    // The generated ssh config is gone after the step.
    expect(fs.existsSync(apply.sshConfigFile!)).toBe(false);
    expect(listFiles(r.runnerTemp).filter((f) => f.includes('colmena-apply-ssh'))).toEqual([]);
  });

  test('one node fails to build while the other succeeds (0.5): deploy-failed with both sides', async () => {
    const h = hive({
      version: '0.5.0-pre',
      nodes: { alpha: EDGE.alpha, beta: { ...EDGE.beta, fail: 'build' } },
    });
    const r = await h.run({ on: 'alpha,beta' });
    expect(r.exitCode).toBe(1);
    expect(r.outputs['failure-reason']).toBe('deploy-failed');
    expect(nodesOutput(r).map((n) => [n.name, n.result, n.lastPhase])).toEqual([
      ['alpha', 'succeeded', 'activating'],
      ['beta', 'failed', 'building'],
    ]);
    expect(nodesOutput(r)[1].error).toBe('Build failed: Child process exited with error code: 1');
    expect(r.outputs.succeeded).toBe('alpha');
    expect(r.outputs.failed).toBe('beta');
    const errors = errorLines(r.log);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('failed on 1 of 2 node(s): beta (Build failed');
    expect(errors[0]).toContain('succeeded: alpha');
    expect(r.summary).toContain('beta: last');
    expect(r.summary).toContain('failed with exit code 1');
    const nodes = (r.report?.result as { nodes: { name: string; lastLines: string[] }[] }).nodes;
    expect(nodes[1].lastLines.some((l) => l.includes("error: builder for '/nix/store/"))).toBe(true);
  });

  test('activation failure: the failure block becomes the node error', async () => {
    const h = hive({ nodes: { gateway: { tags: ['core'], fail: 'activate', keys: ['wifi-psk'] } } });
    const r = await h.run({ on: 'gateway', goal: 'test' });
    expect(r.exitCode).toBe(1);
    expect(r.outputs['failure-reason']).toBe('deploy-failed');
    const [node] = nodesOutput(r);
    expect(node).toMatchObject({ name: 'gateway', result: 'failed', lastPhase: 'activating' });
    expect(node.error).toBe('Activation failed: Child process exited with error code: 4');
    const detail = (r.report?.result as { nodes: { lastLines: string[] }[] }).nodes[0];
    expect(detail.lastLines).toContain('warning: the following units failed: k3s.service');
  });

  test('selectors matching nothing fail before colmena apply runs', async () => {
    const h = hive({ nodes: EDGE });
    const r = await h.run({ on: 'nothing-*\n@missing' });
    expect(r.exitCode).toBe(1);
    expect(r.outputs['failure-reason']).toBe('no-nodes-selected');
    expect(errorLines(r.log)[0]).toContain(
      "'nothing-*,@missing' match none of the hive's 3 node(s) (alpha, beta, gamma)",
    );
    expect(r.invocations.map((i) => i.argv[0])).toEqual(['--version', 'eval']);
  });

  test('a reboot that never returns: reboot-timeout enforced, process group killed', async () => {
    const h = hive({ nodes: { alpha: { ...EDGE.alpha, rebootHangs: true }, beta: EDGE.beta } });
    const r = await h.run({ on: '@edge', reboot: 'true', 'reboot-timeout': '2s', timeout: '1m' });
    expect(r.exitCode).toBe(1);
    expect(r.outputs['failure-reason']).toBe('reboot-timeout');
    expect(nodesOutput(r).map((n) => [n.name, n.result, n.lastPhase])).toEqual([
      ['alpha', 'timed-out', 'rebooting'],
      ['beta', 'succeeded', 'rebooting'],
    ]);
    expect(errorLines(r.log)[0]).toContain('alpha did not come back from reboot within 2s');
    expect(r.invocations[2].argv).toEqual(['apply', 'switch', '--on', '@edge', '--reboot']);
    // colmena and its reboot poller (a grandchild, like ssh) are gone.
    expect(r.spawned).toHaveLength(1);
    expect([r.invocations[2].pid, ...r.spawned].filter(alive)).toEqual([]);
  });

  test('the overall timeout stops colmena and reports unfinished nodes', async () => {
    const h = hive({ nodes: { alpha: { ...EDGE.alpha, rebootHangs: true } } });
    // 6s: long enough for version and eval on a loaded CI machine, far below reboot-timeout.
    const r = await h.run({ on: 'alpha', reboot: 'true', 'reboot-timeout': '10m', timeout: '6s' });
    expect(r.outputs['failure-reason']).toBe('timeout');
    expect(nodesOutput(r)[0]).toMatchObject({ name: 'alpha', result: 'timed-out' });
    expect(errorLines(r.log)[0]).toContain('did not finish within the overall timeout');
    expect([r.invocations[2].pid, ...r.spawned].filter(alive)).toEqual([]);
  });

  test('host key failure names the host', async () => {
    const h = hive({ nodes: { alpha: { ...EDGE.alpha, hostKeyChanged: true }, beta: EDGE.beta } });
    const r = await h.run({ on: '@edge' });
    expect(r.outputs['failure-reason']).toBe('host-key');
    expect(errorLines(r.log)[0]).toContain('alpha.example (node alpha)');
    expect(nodesOutput(r).map((n) => n.result)).toEqual(['failed', 'succeeded']);
  });

  test('colmena panic (exit 101): the panic text is surfaced', async () => {
    const h = hive({
      nodes: EDGE,
      panic: {
        file: 'src/nix/deployment/mod.rs:301:39',
        message: 'called `Result::unwrap()` on an `Err` value: JoinError::Panic(Id(9), ...)',
      },
    });
    const r = await h.run({ on: 'alpha' });
    expect(r.exitCode).toBe(1);
    expect(r.outputs['failure-reason']).toBe('deploy-failed');
    const [error] = errorLines(r.log);
    expect(error).toContain('colmena crashed (exit 101');
    expect(error).toContain("thread 'main' panicked at src/nix/deployment/mod.rs:301:39:");
    expect(nodesOutput(r)[0]).toMatchObject({ name: 'alpha', result: 'skipped' });
  });

  test('no hive file: colmena panics while reading it (exit 101) and the panic text is surfaced', async () => {
    const h = hive({ version: '0.5.0-pre', nodes: EDGE });
    fs.rmSync(path.join(h.dir, 'hive.nix'));
    const r = await h.run({ on: 'alpha' });
    expect(r.outputs['failure-reason']).toBe('evaluation-failed');
    expect(errorLines(r.log)[0]).toContain(
      "thread 'main' panicked at src/cli.rs:263:43: called `Option::unwrap()` on a `None` value",
    );
  });

  test('evaluation failure of the hive stops before deploying', async () => {
    const h = hive({
      nodes: EDGE,
      evalError: ["error: attribute 'k3s' missing", '       at /hive/hive.nix:12:5:'],
    });
    const r = await h.run({ on: 'alpha' });
    expect(r.outputs['failure-reason']).toBe('evaluation-failed');
    expect(r.invocations.map((i) => i.argv[0])).toEqual(['--version', 'eval']);
  });

  test('a selected node without targetHost is skipped by colmena: warned, reported skipped', async () => {
    const h = hive({
      version: '0.4.0',
      nodes: { alpha: EDGE.alpha, builder: { tags: ['edge'], targetHost: null } },
    });
    const r = await h.run({ on: '@edge' });
    expect(r.exitCode).toBe(0);
    expect(nodesOutput(r).map((n) => [n.name, n.result])).toEqual([
      ['alpha', 'succeeded'],
      ['builder', 'skipped'],
    ]);
    expect(r.log).toContain('Selected 1 out of 2 hosts (1 skipped).');
    expect(r.log).toMatch(/::warning::colmena did not deploy the selected node builder/);
  });

  test('--on, goal and every flag are passed through exactly', async () => {
    const h = hive({ version: '0.5.0-pre', nodes: EDGE });
    const r = await h.run({
      config: 'hive.nix',
      on: 'alpha\n@core',
      goal: 'boot',
      'build-on-target': 'true',
      parallel: '3',
      reboot: 'true',
      'keep-result': 'true',
      impure: 'true',
      'show-trace': 'true',
      'nix-options': 'max-jobs=4\nbuilders=@/etc/nix/machines',
      'extra-args': '--no-substitute\n--evaluator=chunked',
    });
    expect(r.exitCode).toBe(0);
    const globals = [
      '-f',
      'hive.nix',
      '--show-trace',
      '--impure',
      '--nix-option',
      'max-jobs',
      '4',
      '--nix-option',
      'builders',
      '@/etc/nix/machines',
    ];
    expect(r.invocations.map((i) => i.argv)).toEqual([
      ['--version'],
      [...globals, 'eval', '-E', expect.stringContaining('config.deployment.tags')],
      [
        ...globals,
        'apply',
        'boot',
        '--on',
        'alpha,@core',
        '--parallel',
        '3',
        '--reboot',
        '--keep-result',
        '--build-on-target',
        '--no-substitute',
        '--evaluator=chunked',
      ],
    ]);
    expect(r.outputs.succeeded).toBe('alpha,gamma');
  });

  test('upload-keys uses the subcommand both versions know', async () => {
    const h = hive({ version: '0.4.0', nodes: { alpha: { ...EDGE.alpha, keys: ['k3s-token'] } } });
    const r = await h.run({ on: 'alpha', goal: 'upload-keys' });
    expect(r.exitCode).toBe(0);
    expect(r.invocations[2].argv).toEqual(['upload-keys', '--on', 'alpha']);
    expect(nodesOutput(r)[0]).toMatchObject({ result: 'succeeded', lastPhase: 'keys' });
  });

  test('dry-activate-first shows what would change, then applies', async () => {
    const h = hive({ nodes: EDGE });
    const r = await h.run({ on: 'alpha', 'dry-activate-first': 'true' });
    expect(r.exitCode).toBe(0);
    expect(r.invocations.slice(2).map((i) => i.argv)).toEqual([
      ['apply', 'dry-activate', '--on', 'alpha'],
      ['apply', 'switch', '--on', 'alpha'],
    ]);
    expect(r.log).toContain('would restart the following units: sshd.service');
    expect(r.summary).toContain('would start the following units: rustdesk-hbbs.service');
  });

  test('a failing dry-activate stops before activation', async () => {
    const h = hive({ nodes: { alpha: { ...EDGE.alpha, fail: 'activate' } } });
    const r = await h.run({ on: 'alpha', 'dry-activate-first': 'true' });
    expect(r.outputs['failure-reason']).toBe('deploy-failed');
    expect(errorLines(r.log)[0]).toContain('dry-activate (run first, nothing was activated)');
    expect(r.invocations.slice(2).map((i) => i.argv[1])).toEqual(['dry-activate']);
  });

  test('usage error (exit 2) is reported as invalid arguments', async () => {
    const h = hive({ version: '0.5.0-pre', nodes: EDGE });
    const r = await h.run({ on: 'alpha', 'extra-args': '--frobnicate' });
    expect(r.outputs['failure-reason']).toBe('invalid-input');
    expect(errorLines(r.log)[0]).toContain(
      "colmena rejected its arguments (exit 2): error: unexpected argument '--frobnicate' found",
    );
  });

  test('allow-apply-all against a hive with meta.allowApplyAll = false', async () => {
    const h = hive({ allowApplyAll: false, nodes: EDGE });
    const r = await h.run({ 'allow-apply-all': 'true' });
    expect(r.outputs['failure-reason']).toBe('invalid-input');
    expect(r.invocations[2].argv).toEqual(['apply', 'switch']);
    expect(errorLines(r.log)[0]).toContain('meta.allowApplyAll = false');
  });

  test('colmena older than 0.4 is refused', async () => {
    const h = hive({ version: '0.3.2', nodes: EDGE });
    const r = await h.run({ on: 'alpha' });
    expect(r.outputs['failure-reason']).toBe('invalid-input');
    expect(r.invocations).toHaveLength(1);
  });
});

describe('pinned host keys (real ssh -G)', () => {
  const KEY = 'AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';

  test('every selected host pinned: deploys with a strict config', async () => {
    requireTool('ssh');
    const h = hive({ nodes: { alpha: { ...EDGE.alpha, targetPort: 2222 }, beta: EDGE.beta } });
    const r = await h.run({
      on: '@edge',
      'known-hosts': `[alpha.example]:2222 ssh-ed25519 ${KEY}\nbeta.example ssh-ed25519 ${KEY}`,
    });
    expect(r.exitCode).toBe(0);
    const config = r.invocations[2].sshConfig!;
    expect(config).toContain('StrictHostKeyChecking yes');
    expect(config).toMatch(/UserKnownHostsFile .*known_hosts/);
  });

  test('an unpinned host fails with host-key before deploying; ssh-config aliases are honoured', async () => {
    requireTool('ssh');
    const h = hive({ nodes: EDGE });
    const userConfig = path.join(h.workspace, 'ssh_config');
    fs.writeFileSync(userConfig, 'Host beta.example\n  HostName 100.64.0.2\n');
    const r = await h.run({
      on: '@edge',
      'ssh-config': userConfig,
      'known-hosts': `alpha.example ssh-ed25519 ${KEY}\nbeta.example ssh-ed25519 ${KEY}`,
    });
    expect(r.outputs['failure-reason']).toBe('host-key');
    expect(errorLines(r.log)[0]).toContain('100.64.0.2 (node beta)');
    expect(r.invocations.map((i) => i.argv[0])).toEqual(['--version', 'eval']);
  });
});

describe('flake hive', () => {
  test('untracked files Nix will not see are warned about', async () => {
    requireTool('git');
    const h = hive({ nodes: EDGE }, { file: 'flake.nix' });
    const { execFileSync } = await import('node:child_process');
    const git = (...args: string[]) => execFileSync('git', ['-C', h.dir, ...args], { stdio: 'ignore' });
    git('init', '-q');
    git('add', 'flake.nix');
    fs.writeFileSync(path.join(h.dir, 'secrets.nix'), '{ }\n');
    const r = await h.run({ on: 'alpha' });
    expect(r.exitCode).toBe(0);
    expect(r.log).toMatch(/::warning::.*1 untracked file\(s\) that Nix will not see: secrets\.nix/);
  });
});
