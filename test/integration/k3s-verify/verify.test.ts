import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { errorLines, type ActionRun } from '../../support/run-action.js';
import {
  HBBS_POD,
  rustdeskScenario,
  type RustdeskOptions,
} from '../../support/standins/kube-apiserver/scenarios.js';
import { failuresOf, resultOf, startCluster, verify, type TestCluster } from './cluster.js';

/**
 * The bundle through the runner harness, the real kubectl, and the API stand-in scripted over time.
 * Every run also proves the verifier never writes (no non-GET request reached the API).
 */
const clusters: TestCluster[] = [];
async function cluster(opts: RustdeskOptions): Promise<TestCluster> {
  const c = await startCluster(rustdeskScenario(opts));
  clusters.push(c);
  return c;
}
afterAll(async () => {
  for (const c of clusters) await c.close();
});

const RUSTDESK = {
  nodes: '1',
  workloads: 'deployment/rustdesk/hbbs\ndeployment/rustdesk/hbbr',
  containers: 'rustdesk/hbbs: hbbs\nrustdesk/hbbr: hbbr',
};

const LIST_PATHS = [
  '/api/v1/nodes',
  '/api/v1/pods',
  '/apis/apps/v1/deployments',
  '/apis/apps/v1/daemonsets',
  '/apis/apps/v1/statefulsets',
  '/apis/batch/v1/jobs',
];

function expectReadOnly(c: TestCluster): void {
  expect(c.api.writes()).toEqual([]);
  expect(c.api.requests().every((r) => r.authorized)).toBe(true);
}

describe('a deployment that becomes available after a few polls', () => {
  let c: TestCluster;
  let run: ActionRun;
  let tcp: net.Server;
  let udp: dgram.Socket;
  let ports: string;

  beforeAll(async () => {
    tcp = net.createServer((s) => s.end());
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    udp = dgram.createSocket('udp4');
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
    ports = `127.0.0.1:${(tcp.address() as AddressInfo).port}/tcp\n127.0.0.1:${(udp.address() as AddressInfo).port}/udp`;
    // The rollout completes when the third poll lists deployments: counted in requests, not time, so a
    // loaded machine cannot turn "after more than one poll" into a first-poll pass.
    const seen = { api: undefined as TestCluster['api'] | undefined };
    const rolling = rustdeskScenario({ hbbsReadyAfterMs: Number.MAX_SAFE_INTEGER });
    const done = rustdeskScenario({});
    c = await startCluster((t) =>
      ((seen.api?.counts()['/apis/apps/v1/deployments'] ?? 0) >= 3 ? done : rolling)(t),
    );
    clusters.push(c);
    seen.api = c.api;
    run = await verify({ kubeconfig: c.kubeconfigFile, ...RUSTDESK, ports });
  });
  afterAll(async () => {
    await new Promise<void>((r) => tcp.close(() => r()));
    await new Promise<void>((r) => udp.close(() => r()));
  });

  test('passes once the rollout completes, after more than one poll', () => {
    expect(run.exitCode).toBe(0);
    expect(run.outputs.ready).toBe('true');
    expect(run.outputs['nodes-ready']).toBe('1/1');
    expect(run.outputs.failures).toBe('[]');
    expect(run.outputs['failure-reason']).toBeUndefined();
    expect(resultOf(run).polls).toBeGreaterThanOrEqual(3);
    expect(run.log).toMatch(/poll 1: .*waiting for: deployment\/rustdesk\/hbbs rollout-incomplete/);
  });

  test('one list per kind and poll, and only read requests', () => {
    const counts = c.api.counts();
    for (const p of LIST_PATHS) expect(counts[p]).toBe(resultOf(run).polls);
    expect(counts['/readyz']).toBe(1);
    expectReadOnly(c);
  });

  test('ports: TCP connected, UDP reported as sent', () => {
    const rows = resultOf(run).ports as Array<{ target: string; state: string }>;
    expect(rows.map((p) => p.state)).toEqual(['open', 'sent']);
    expect(run.summary).toContain('sent (not proof)');
  });

  test('warns about the hostNetwork RollingUpdate deadlock on one node', () => {
    const warnings = run.log.split('\n').filter((l) => l.startsWith('::warning::'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('deployment/rustdesk/hbbs uses hostNetwork with a RollingUpdate strategy');
    expect(warnings[0]).not.toContain('hbbr');
  });

  test('the summary has the nodes, workloads, containers, ports and system tables', () => {
    for (const heading of [
      '### Nodes (1/1 ready)',
      '### Workloads',
      '### Containers',
      '### Ports',
      '### System components (kube-system)',
    ])
      expect(run.summary).toContain(heading);
    expect(run.summary).toContain('| deployment/rustdesk/hbbs | 1 | 1 | 1 | ✅ rolled-out |');
    expect(run.summary).toContain('| job/kube-system/helm-install-traefik | 1 | 1 | 1 | ✅ Complete |');
    expect(run.summary).toContain(
      '| daemonset/kube-system/svclb-traefik-1c0a6f3e | 1 | 1 | 1 | ✅ rolled-out |',
    );
    expect(run.report?.status).toBe('success');
  });

  test('kubectl output stays in a log group; the private directory is gone, post included', () => {
    expect(run.log).toContain('::group::poll 1: kubectl');
    expect(run.post?.exitCode).toBe(0);
    expect(run.state['private-dir']).toMatch(/k3s-verify-/);
    expect(fs.readdirSync(run.runnerTemp).filter((f) => f.startsWith('k3s-verify-'))).toEqual([]);
  });
});

describe('fail fast', () => {
  test('a pod in CrashLoopBackOff fails at the first poll, with events and the crashed run log', async () => {
    const c = await cluster({ hbbsCrashLoop: true });
    const run = await verify({ kubeconfig: c.kubeconfigFile, ...RUSTDESK, timeout: '60s' });
    expect(run.exitCode).toBe(1);
    expect(run.outputs['failure-reason']).toBe('checks-failed');
    expect(run.outputs.ready).toBe('false');
    expect(resultOf(run).polls).toBe(1);
    expect(failuresOf(run)).toContainEqual({
      check: 'pod',
      object: `pod/rustdesk/${HBBS_POD}`,
      reason: 'CrashLoopBackOff',
      detail: expect.stringContaining('container hbbs: back-off 40s restarting failed container=hbbs'),
    });
    const [error] = errorLines(run.log);
    expect(errorLines(run.log)).toHaveLength(1);
    expect(error).toContain(`pod/rustdesk/${HBBS_POD} CrashLoopBackOff`);
    // Diagnostics: the previous (crashed) run's log and the BackOff event, in a log group and the report.
    expect(run.log).toContain(`::group::diagnostics: pod/rustdesk/${HBBS_POD}`);
    expect(run.log).toContain("thread 'main' panicked at src/main.rs:41:5: bind failed");
    expect(run.log).toMatch(/Warning BackOff Pod\/hbbs-.*\(x7\)/);
    const diagnostics = resultOf(run).diagnostics as Array<{
      object: string;
      logs: Array<{ previous: boolean; lines: string[] }>;
    }>;
    const forPod = diagnostics.find((d) => d.object === `pod/rustdesk/${HBBS_POD}`)!;
    expect(forPod.logs[0].previous).toBe(true);
    expect(forPod.logs[0].lines.join('\n')).toContain('Address already in use');
    expect(
      c.api
        .requests()
        .some((r) => r.path.endsWith('/log') && r.query.previous === 'true' && r.query.tailLines === '50'),
    ).toBe(true);
    expectReadOnly(c);
  });

  test('a named container missing from the pod template fails at once', async () => {
    const c = await cluster({ hbbsContainers: ['rendezvous'] });
    const run = await verify({ kubeconfig: c.kubeconfigFile, ...RUSTDESK, timeout: '60s' });
    expect(run.outputs['failure-reason']).toBe('checks-failed');
    expect(resultOf(run).polls).toBe(1);
    expect(failuresOf(run)).toContainEqual({
      check: 'container',
      object: 'deployment/rustdesk/hbbs:hbbs',
      reason: 'not-in-template',
      detail: "the pod template of deployment/rustdesk/hbbs has no container 'hbbs' (it has: rendezvous)",
    });
  });

  test('restarts growing beyond max-restarts fail', async () => {
    const c = await cluster({ hbbsRestarts: (t) => Math.floor(t / 1000) });
    const run = await verify({ kubeconfig: c.kubeconfigFile, ...RUSTDESK, 'max-restarts': '2' });
    expect(run.outputs['failure-reason']).toBe('checks-failed');
    const restarts = failuresOf(run).find((f) => f.reason === 'too-many-restarts');
    expect(restarts).toMatchObject({ check: 'pod', object: `pod/rustdesk/${HBBS_POD}` });
    expect(restarts?.detail).toMatch(/^container hbbs restarted [3-9] times \(max-restarts 2\)$/);
  });
});

describe('waiting until the timeout', () => {
  test('a node that stays NotReady', async () => {
    const c = await cluster({ nodeNotReady: true });
    const run = await verify({ kubeconfig: c.kubeconfigFile, ...RUSTDESK, timeout: '4s' });
    expect(run.exitCode).toBe(1);
    expect(run.outputs['failure-reason']).toBe('timeout');
    expect(run.outputs['nodes-ready']).toBe('0/1');
    expect(failuresOf(run)).toEqual([
      {
        check: 'node',
        object: 'node/edge-1',
        reason: 'NotReady',
        detail: 'Ready=Unknown (NodeStatusUnknown: Kubelet stopped posting node status.)',
      },
    ]);
    expect(errorLines(run.log)[0]).toMatch(
      /did not become healthy within 4s \(\d+ polls\): node\/edge-1 NotReady/,
    );
    expect(run.log).toContain('Warning NodeNotReady Node/edge-1');
    expect(run.summary).toContain('| edge-1 | ❌ | NotReady | yes | v1.32.5+k3s1 |');
  });
});

describe('cancellation', () => {
  test('SIGTERM while polling: kubectl stopped, report cancelled, no kubeconfig copy left', async () => {
    const c = await cluster({ nodeNotReady: true });
    const run = await verify(
      { 'kubeconfig-content': c.kubeconfig(), ...RUSTDESK, timeout: '60s' },
      {
        onMainStarted: (child) => {
          const tick = setInterval(() => {
            if ((c.api.counts()['/api/v1/nodes'] ?? 0) >= 2) {
              clearInterval(tick);
              child.kill('SIGTERM');
            }
          }, 100);
          child.on('exit', () => clearInterval(tick));
        },
      },
    );
    expect(run.exitCode).toBe(1);
    expect(run.report?.status).toBe('cancelled');
    expect(run.log).toContain('Received SIGTERM: stopping running tools.');
    expect(errorLines(run.log)).toHaveLength(1);
    expect(fs.readdirSync(run.runnerTemp).filter((f) => f.startsWith('k3s-verify-'))).toEqual([]);
    const kubectls = fs
      .readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(run.runnerTemp);
        } catch {
          return false;
        }
      });
    expect(kubectls).toEqual([]);
  });
});

describe('the API', () => {
  test('unreachable: a clear failure naming the server and the kubeconfig', async () => {
    const c = await cluster({});
    await c.api.close();
    const run = await verify({ kubeconfig: c.kubeconfigFile, ...RUSTDESK, timeout: '3s' });
    expect(run.exitCode).toBe(1);
    expect(run.outputs['failure-reason']).toBe('api-unreachable');
    const lines = errorLines(run.log);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(
      `Cannot reach the Kubernetes API at ${c.api.url} (kubeconfig ${c.kubeconfigFile}, context default)`,
    );
    expect(lines[0]).toContain('was refused');
    expect(JSON.parse(run.outputs.failures)).toEqual([
      { check: 'api', object: c.api.url, reason: 'unreachable', detail: expect.stringContaining('refused') },
    ]);
    expect(run.log).not.toMatch(/\n\s+at /);
  });

  test('credentials the API rejects end the run at once', async () => {
    const c = await cluster({});
    fs.writeFileSync(c.kubeconfigFile, c.kubeconfig().replace(c.token, 'not-the-token-0000'));
    const run = await verify({ kubeconfig: c.kubeconfigFile, ...RUSTDESK, timeout: '30s' });
    expect(run.outputs['failure-reason']).toBe('api-error');
    expect(errorLines(run.log)[0]).toContain("rejected the kubeconfig's credentials");
    expect(resultOf(run).polls).toBe(1);
  });
});

describe('5,000 pods', () => {
  test('one request per kind and poll, never paged, however many pods', async () => {
    const c = await cluster({ fillerPods: 5000 });
    // Each poll's kubectl parses ~10 MB of JSON: seconds on a loaded 2-core machine (load 16 measured it
    // at >10 s a list, so a 20 s run could not finish its confirming poll). The run ends as soon as the
    // pass is confirmed; the generous timeout only keeps a busy machine from cutting it off.
    const run = await verify(
      { kubeconfig: c.kubeconfigFile, ...RUSTDESK, timeout: '120s' },
      { timeoutMs: 170_000 },
    );
    expect(run.outputs.ready).toBe('true');
    const polls = resultOf(run).polls!;
    expect(polls).toBeGreaterThanOrEqual(2);
    const counts = c.api.counts();
    for (const p of LIST_PATHS) expect(counts[p]).toBe(polls);
    // kubectl pages by 500 unless told not to: no request may carry limit/continue.
    expect(c.api.requests().filter((r) => r.query.limit || r.query.continue)).toEqual([]);
    expectReadOnly(c);
  }, 180_000);
});

describe('expectations from YAML', () => {
  test('expect-file says what the line inputs say', async () => {
    const c = await cluster({});
    const ws = fs.mkdtempSync(path.join(path.dirname(c.kubeconfigFile), 'ws-'));
    fs.writeFileSync(
      path.join(ws, 'k3s-expect.yml'),
      [
        'nodes: [edge-1]',
        'workloads:',
        '  - kind: deployment',
        '    namespace: rustdesk',
        '    name: hbbs',
        '    containers: [hbbs]',
        '  - deployment/rustdesk/hbbr',
        'containers:',
        '  - rustdesk/hbbr: hbbr',
        'max-restarts: 1',
        '',
      ].join('\n'),
    );
    const run = await verify(
      { kubeconfig: c.kubeconfigFile, 'expect-file': 'k3s-expect.yml' },
      { workspace: ws },
    );
    expect(run.exitCode).toBe(0);
    expect((resultOf(run).workloads as Array<{ object: string }>).map((w) => w.object)).toEqual([
      'deployment/rustdesk/hbbs',
      'deployment/rustdesk/hbbr',
    ]);
    expect((resultOf(run).containers as unknown[]).length).toBe(2);
  });
});
