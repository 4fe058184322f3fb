import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { errorLines } from '../../support/run-action.js';
import * as o from '../../support/standins/kube-apiserver/objects.js';
import { rustdeskScenario, type RustdeskOptions } from '../../support/standins/kube-apiserver/scenarios.js';
import { failuresOf, resultOf, startCluster, verify, type TestCluster } from './cluster.js';

/**
 * Issue 20 through the bundle, the real kubectl and the API stand-in: claims (declared and mounted),
 * conditions of custom resources (K3s' HelmChart, Longhorn's Volume), a kind whose CRD is missing, and
 * `after:` ordering. Every run also proves the verifier only reads.
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

const HBBS = { nodes: '1', workloads: 'deployment/rustdesk/hbbs\ndeployment/rustdesk/hbbr' };
const HELM = 'helm.cattle.io/v1/helmcharts';
const LONGHORN = 'longhorn.io/v1beta2/volumes';

function expectFile(c: TestCluster, yaml: string): { workspace: string } {
  const ws = fs.mkdtempSync(path.join(path.dirname(c.kubeconfigFile), 'ws-'));
  fs.writeFileSync(path.join(ws, 'k3s-expect.yml'), yaml);
  return { workspace: ws };
}

function readOnly(c: TestCluster): void {
  expect(c.api.writes()).toEqual([]);
}

function count(c: TestCluster, p: string): number {
  return c.api.counts()[p] ?? 0;
}

describe('volumes', () => {
  test('a Bound claim passes; one claim list per poll, no storage classes or events needed', async () => {
    const c = await cluster({ hbbsClaim: { storageClass: 'local-path' } });
    const run = await verify({
      kubeconfig: c.kubeconfigFile,
      ...HBBS,
      volumes: 'rustdesk/hbbs-data storage-class=local-path size=1Gi',
    });
    expect(run.outputs.ready).toBe('true');
    const volumes = resultOf(run).volumes as Array<Record<string, unknown>>;
    expect(volumes).toEqual([
      expect.objectContaining({
        claim: 'pvc/rustdesk/hbbs-data',
        phase: 'Bound',
        storageClass: 'local-path',
        capacity: '1Gi',
        mountedBy: ['deployment/rustdesk/hbbs'],
        status: 'pass',
      }),
    ]);
    expect(run.summary).toContain('### Volumes');
    const polls = resultOf(run).polls!;
    expect(count(c, '/api/v1/persistentvolumeclaims')).toBe(polls);
    expect(count(c, '/apis/storage.k8s.io/v1/storageclasses')).toBe(0);
    expect(count(c, '/api/v1/events')).toBe(0);
    readOnly(c);
  });

  test('Pending with ProvisioningFailed fails at the first poll, naming the reason and the provisioner', async () => {
    const c = await cluster({
      hbbsClaim: {
        storageClass: 'longhorn',
        phase: () => 'Pending',
        event: {
          reason: 'ProvisioningFailed',
          message:
            'failed to provision volume with StorageClass "longhorn": rpc error: code = Unavailable desc = connection error',
        },
      },
    });
    const run = await verify({ kubeconfig: c.kubeconfigFile, ...HBBS, timeout: '60s' });
    expect(run.outputs['failure-reason']).toBe('checks-failed');
    expect(resultOf(run).polls).toBe(1);
    const claim = failuresOf(run).find((f) => f.check === 'volume');
    expect(claim).toEqual({
      check: 'volume',
      object: 'pvc/rustdesk/hbbs-data',
      reason: 'ProvisioningFailed',
      detail:
        'Pending (class longhorn, provisioner driver.longhorn.io): failed to provision volume with StorageClass "longhorn": rpc error: code = Unavailable desc = connection error; mounted by deployment/rustdesk/hbbs, whose pods cannot start without it',
    });
    const [error] = errorLines(run.log);
    expect(error).toContain('The cluster is not healthy (poll 1): pvc/rustdesk/hbbs-data ProvisioningFailed');
    // The claim's events are in its diagnostics group; storage classes and claim events were read once.
    expect(run.log).toContain('::group::diagnostics: pvc/rustdesk/hbbs-data');
    expect(run.log).toMatch(
      /Warning ProvisioningFailed PersistentVolumeClaim\/hbbs-data: failed to provision/,
    );
    expect(count(c, '/apis/storage.k8s.io/v1/storageclasses')).toBe(1);
    expect(c.api.requests().filter((r) => r.path === '/api/v1/events')).toEqual([
      expect.objectContaining({
        query: expect.objectContaining({ fieldSelector: 'involvedObject.kind=PersistentVolumeClaim' }),
      }),
    ]);
    readOnly(c);
  });

  test('a Pending claim of a declared deployment is reported as why its pods do not start', async () => {
    const c = await cluster({
      hbbsClaim: {
        storageClass: 'longhorn',
        phase: () => 'Pending',
        event: {
          reason: 'ExternalProvisioning',
          type: 'Normal',
          message:
            "Waiting for a volume to be created either by the external provisioner 'driver.longhorn.io' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.",
        },
      },
    });
    const run = await verify({ kubeconfig: c.kubeconfigFile, ...HBBS, timeout: '4s' });
    expect(run.outputs['failure-reason']).toBe('timeout');
    const [error] = errorLines(run.log);
    // The cause first, then the effect that names it.
    expect(error).toMatch(
      /within 4s \(\d+ polls\): pvc\/rustdesk\/hbbs-data ExternalProvisioning \(Pending: waiting for driver\.longhorn\.io to create its volume/,
    );
    const workload = failuresOf(run).find((f) => f.object === 'deployment/rustdesk/hbbs')!;
    expect(workload.detail).toBe(
      '0 of 1 replicas updated; its pods wait for pvc/rustdesk/hbbs-data (Pending: ExternalProvisioning)',
    );
    readOnly(c);
  });
});

const helmChartYaml = (condition: string, extra = '') =>
  [
    'conditions:',
    '  - id: longhorn',
    '    apiVersion: helm.cattle.io/v1',
    '    kind: HelmChart',
    '    namespace: kube-system',
    '    name: longhorn',
    `    condition: ${condition}`,
    extra,
  ].join('\n');

describe('conditions', () => {
  test('a condition that turns True after a few polls passes; one list of the kind per poll', async () => {
    // Counted in requests, not time: the chart's Job appears when the fourth poll lists it.
    const seen = { api: undefined as TestCluster['api'] | undefined };
    const c = await cluster({
      custom: () => {
        const lists = seen.api?.counts()['/apis/helm.cattle.io/v1/helmcharts'] ?? 0;
        return { [HELM]: [o.helmChart('kube-system', 'longhorn', { jobCreated: lists >= 4 })] };
      },
    });
    seen.api = c.api;
    const run = await verify(
      { kubeconfig: c.kubeconfigFile, 'expect-file': 'k3s-expect.yml' },
      expectFile(c, helmChartYaml('JobCreated=True')),
    );
    expect(run.outputs.ready).toBe('true');
    const polls = resultOf(run).polls!;
    expect(polls).toBe(5);
    expect(run.log).toMatch(
      /poll 3: .*waiting for: helmchart\.helm\.cattle\.io\/kube-system\/longhorn condition-not-met/,
    );
    expect(count(c, '/apis/helm.cattle.io/v1/helmcharts')).toBe(polls);
    expect(run.summary).toContain(
      '| helmchart.helm.cattle.io/kube-system/longhorn | JobCreated=True | ✅ met |',
    );
    readOnly(c);
  });

  test('False with a final reason fails at once (helm-controller’s Failed condition)', async () => {
    const c = await cluster({
      custom: () => ({
        [HELM]: [
          o.helmChart('kube-system', 'longhorn', {
            jobCreated: false,
            failed: { reason: 'Job create failed', message: 'Failed to generate Job: invalid values' },
          }),
        ],
      }),
    });
    const run = await verify(
      { kubeconfig: c.kubeconfigFile, 'expect-file': 'k3s-expect.yml', timeout: '60s' },
      expectFile(c, helmChartYaml('JobCreated=True')),
    );
    expect(run.outputs['failure-reason']).toBe('checks-failed');
    expect(resultOf(run).polls).toBe(1);
    expect(failuresOf(run)).toContainEqual({
      check: 'condition',
      object: 'helmchart.helm.cattle.io/kube-system/longhorn',
      reason: 'Job create failed',
      detail: 'Failed=True (Job create failed: Failed to generate Job: invalid values)',
    });
    expect(run.log).toContain('::group::diagnostics: helmchart.helm.cattle.io/kube-system/longhorn');
  });

  test('a kind whose CRD is not installed fails as not-installed', async () => {
    const c = await cluster({});
    const run = await verify(
      { kubeconfig: c.kubeconfigFile, 'expect-file': 'k3s-expect.yml', timeout: '60s' },
      expectFile(
        c,
        "conditions:\n  - apiVersion: longhorn.io/v1beta2\n    kind: Volume\n    namespace: longhorn-system\n    name: pvc-a\n    jsonpath: '{.status.robustness}=healthy'\n",
      ),
    );
    expect(run.outputs['failure-reason']).toBe('checks-failed');
    expect(resultOf(run).polls).toBe(1);
    expect(failuresOf(run)).toEqual([
      {
        check: 'condition',
        object: 'volume.longhorn.io/longhorn-system/pvc-a',
        reason: 'not-installed',
        detail:
          'the API serves no Volume in longhorn.io/v1beta2: is its CustomResourceDefinition installed? (kubectl get volume.v1beta2.longhorn.io: error: the server doesn\'t have a resource type "volume")',
      },
    ]);
    readOnly(c);
  });

  test('after: the report shows the first failing layer and what was not checked', async () => {
    const c = await cluster({
      custom: () => ({
        [HELM]: [o.helmChart('kube-system', 'longhorn', { jobCreated: false })],
        [LONGHORN]: [
          o.longhornVolume('pvc-a', {
            state: 'detached',
            robustness: 'faulted',
            labels: { app: 'rustdesk' },
          }),
        ],
      }),
    });
    const yaml = [
      helmChartYaml('JobCreated=True'),
      '  - id: longhorn-volumes',
      '    after: [longhorn]',
      '    apiVersion: longhorn.io/v1beta2',
      '    kind: Volume',
      '    namespace: longhorn-system',
      '    selector: app=rustdesk',
      "    jsonpath: '{.status.robustness}=healthy'",
      '    fail-values: [faulted]',
      'workloads:',
      '  - kind: deployment',
      '    namespace: rustdesk',
      '    name: hbbs',
      '    after: [longhorn-volumes]',
      '',
    ].join('\n');
    const run = await verify(
      { kubeconfig: c.kubeconfigFile, 'expect-file': 'k3s-expect.yml', timeout: '4s' },
      expectFile(c, yaml),
    );
    // The faulted volume would fail at once, but it waits for its chart: the run waits, then times out.
    expect(run.outputs['failure-reason']).toBe('timeout');
    const chain =
      'longhorn condition-not-met → longhorn-volumes not checked → deployment/rustdesk/hbbs not checked';
    expect((resultOf(run).order as { chain: string }).chain).toBe(chain);
    expect(errorLines(run.log)[0]).toContain(`Order: ${chain}.`);
    expect(run.summary).toContain(`First failing layer: ${chain}`);
    expect(run.summary).toContain('| longhorn-volumes | longhorn | ⏳ not-checked |');
    expect(failuresOf(run).map((f) => `${f.object} ${f.reason}`)).toEqual([
      'helmchart.helm.cattle.io/kube-system/longhorn condition-not-met',
      'longhorn-volumes not-checked',
      'deployment/rustdesk/hbbs not-checked',
    ]);
    readOnly(c);
  });
});
