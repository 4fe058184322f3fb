/**
 * k3s-verify's API requests per poll with volumes and conditions (issue 20), from recorded responses:
 * N claims (all declared), N storage classes, N claim events, N K3s HelmCharts and N Longhorn volumes
 * (two condition expectations by label selector, so every object is checked), N pods. The first poll sees
 * a Pending claim and charts without their Job (so it also reads storage classes and claim events), the
 * next ones a settled cluster. The real polling loop and kubectl client run with a tool runner that replays
 * the responses; each kubectl call is one API request (chunking off). Constant means: the same requests
 * in every poll position whatever N.
 *   k3s-eval storage <sizes comma-separated> <rounds>   → JSON on stdout
 */
import { performance } from 'node:perf_hooks';
import { parseExpectDocument, mergeExpectations } from '../../actions/k3s-verify/src/expect/expectations.js';
import { createKubectl } from '../../actions/k3s-verify/src/cluster/kubectl.js';
import { pollChecks } from '../../actions/k3s-verify/src/polling/poll.js';
import type { ToolOptions, ToolResult } from '../../shared/tool.js';

const list = (kind: string, items: unknown[]) =>
  JSON.stringify({ apiVersion: 'v1', kind, items, metadata: { resourceVersion: '1' } });

const cond = (type: string, status: string, reason = '') => ({ type, status, reason });

/** Responses by kubectl resource argument: [first poll, later polls]. */
function responses(n: number): Record<string, [string, string]> {
  const claims = (pendingFirst: boolean) =>
    Array.from({ length: n }, (_, i) => ({
      metadata: { name: `data-${i}`, namespace: 'apps', uid: `pvc-uid-${i}` },
      spec: { storageClassName: `class-${i % n}`, volumeName: `pvc-${i}` },
      status:
        pendingFirst && i === 0 ? { phase: 'Pending' } : { phase: 'Bound', capacity: { storage: '1Gi' } },
    }));
  const classes = Array.from({ length: n }, (_, i) => ({
    metadata: { name: `class-${i}` },
    provisioner: 'driver.longhorn.io',
    volumeBindingMode: 'Immediate',
  }));
  const events = Array.from({ length: n }, (_, i) => ({
    metadata: { name: `data-${i}.1`, namespace: 'apps' },
    involvedObject: {
      kind: 'PersistentVolumeClaim',
      namespace: 'apps',
      name: `data-${i}`,
      uid: `pvc-uid-${i}`,
    },
    reason: 'ExternalProvisioning',
    type: 'Normal',
    message: "Waiting for a volume to be created either by the external provisioner 'driver.longhorn.io'",
    lastTimestamp: '2026-11-21T10:00:00Z',
  }));
  const charts = (created: boolean) =>
    Array.from({ length: n }, (_, i) => ({
      metadata: { name: `chart-${i}`, namespace: 'kube-system', labels: { tier: 'platform' }, generation: 1 },
      status: { conditions: [cond('JobCreated', created ? 'True' : 'False'), cond('Failed', 'False')] },
    }));
  const volumes = Array.from({ length: n }, (_, i) => ({
    metadata: { name: `pvc-${i}`, namespace: 'longhorn-system', labels: { app: 'rustdesk' } },
    status: { state: 'attached', robustness: 'healthy', conditions: [cond('Scheduled', 'True')] },
  }));
  const nodes = [
    {
      metadata: { name: 'edge-1' },
      status: { conditions: [cond('Ready', 'True', 'KubeletReady')] },
    },
  ];
  const pods = Array.from({ length: n }, (_, i) => ({
    metadata: { name: `app-${i}`, namespace: 'apps', uid: `pod-${i}` },
    spec: {
      nodeName: 'edge-1',
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: `data-${i}` } }],
    },
    status: { phase: 'Running' },
  }));
  const same = (s: string): [string, string] => [s, s];
  return {
    nodes: same(list('NodeList', nodes)),
    pods: same(list('PodList', pods)),
    persistentvolumeclaims: [
      list('PersistentVolumeClaimList', claims(true)),
      list('PersistentVolumeClaimList', claims(false)),
    ],
    'storageclasses.v1.storage.k8s.io': same(list('StorageClassList', classes)),
    events: same(list('EventList', events)),
    'helmchart.v1.helm.cattle.io': [
      list('HelmChartList', charts(false)),
      list('HelmChartList', charts(true)),
    ],
    'volume.v1beta2.longhorn.io': same(list('VolumeList', volumes)),
  };
}

const YAML = (n: number) =>
  [
    'system-components: false',
    'volumes:',
    ...Array.from({ length: n }, (_, i) => `  - apps/data-${i}`),
    'conditions:',
    '  - {id: charts, apiVersion: helm.cattle.io/v1, kind: HelmChart, namespace: kube-system, selector: tier=platform, condition: JobCreated=True}',
    "  - {id: volumes, after: [charts], apiVersion: longhorn.io/v1beta2, kind: Volume, namespace: longhorn-system, selector: app=rustdesk, jsonpath: '{.status.robustness}=healthy'}",
    '',
  ].join('\n');

async function run(
  n: number,
): Promise<{ perPoll: number[]; msPerPoll: number; outcome: string; checks: number }> {
  const recorded = responses(n);
  const perPoll: number[] = [0];
  const tool = async (opts: ToolOptions): Promise<ToolResult> => {
    perPoll[perPoll.length - 1]++;
    const arg = opts.args[opts.args.indexOf('get') + 1];
    const r = recorded[arg];
    if (!r) throw new Error(`no recorded response for kubectl get ${arg}`);
    return {
      argv: [opts.bin, ...opts.args],
      exitCode: 0,
      signal: null,
      stdout: perPoll.length === 1 ? r[0] : r[1],
      stderr: '',
      durationMs: 0,
      timedOut: false,
      aborted: false,
      cancelled: false,
    };
  };
  const e = mergeExpectations(
    { systemComponents: false, maxRestarts: 3, mountedVolumes: true },
    parseExpectDocument(YAML(n), 'expect'),
    'expect',
  );
  let clock = 0;
  let checks = 0;
  const started = performance.now();
  const outcome = await pollChecks(
    {
      kube: createKubectl({ bin: 'kubectl', kubeconfig: '/dev/null', cacheDir: '/tmp' }, tool),
      probePort: async () => {
        throw new Error('no ports declared');
      },
      now: () => clock,
      sleep: async (ms) => {
        clock += ms;
        perPoll.push(0);
      },
      info: () => undefined,
      warn: () => undefined,
    },
    e,
    { intervalMs: 5000, deadline: 600_000 },
  );
  checks = outcome.evaluation?.results.length ?? 0;
  const ms = performance.now() - started;
  return {
    perPoll: perPoll.slice(0, outcome.polls),
    msPerPoll: ms / outcome.polls,
    outcome: outcome.kind,
    checks,
  };
}

export async function main(args: string[]): Promise<void> {
  const [sizesArg, roundsArg] = args;
  const sizes = sizesArg.split(',').map(Number);
  const rounds = Number(roundsArg);
  const out = sizes.map((n) => ({
    objects: n,
    perPoll: [] as number[],
    msPerPoll: [] as number[],
    checks: 0,
  }));
  for (let r = 0; r < rounds; r++)
    for (const [i, n] of sizes.entries()) {
      const result = await run(n);
      if (result.outcome !== 'ready')
        throw new Error(
          `the recorded cluster with ${n} objects of each kind did not pass: ${result.outcome}`,
        );
      out[i].perPoll = result.perPoll;
      out[i].msPerPoll.push(result.msPerPoll);
      out[i].checks = result.checks;
    }
  process.stdout.write(JSON.stringify(out));
}
