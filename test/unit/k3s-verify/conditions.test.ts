import { describe, expect, test } from '@jest/globals';
import { evaluate } from '../../../actions/k3s-verify/src/checks/evaluation.js';
import {
  mergeExpectations,
  parseExpectDocument,
} from '../../../actions/k3s-verify/src/expect/expectations.js';
import * as o from '../../support/standins/kube-apiserver/objects.js';
import type { ClusterState } from '../../support/standins/kube-apiserver/server.js';
import { expectations, snapshotOf } from './fixtures.js';

const HELM = 'helm.cattle.io/v1/helmcharts';
const VOLUMES = 'longhorn.io/v1beta2/volumes';

function conditionsOf(yaml: string) {
  return parseExpectDocument(yaml, 'expect').conditions;
}

function run(yaml: string, state: ClusterState, resources = [HELM, VOLUMES]) {
  const doc = parseExpectDocument(yaml, 'expect');
  const after = Object.fromEntries(doc.after.map((a) => [a.id, a.after]));
  return evaluate(
    snapshotOf(state, resources),
    expectations({ systemComponents: false, conditions: doc.conditions, after }),
    new Map(),
  );
}

const helmChart = (o2: o.HelmChartOptions = {}) => ({ [HELM]: [o.helmChart('kube-system', 'longhorn', o2)] });

describe('the expectation', () => {
  test('defaults to Ready=True and gets an id from kind, group, namespace and name', () => {
    const [c] = conditionsOf(
      'conditions:\n  - apiVersion: kyverno.io/v1\n    kind: ClusterPolicy\n    name: require-labels\n',
    );
    expect(c).toMatchObject({
      id: 'clusterpolicy.kyverno.io/require-labels',
      group: 'kyverno.io',
      version: 'v1',
      condition: { type: 'Ready', status: 'True' },
    });
  });

  test.each([
    [
      'neither name nor selector',
      'apiVersion: v1\n    kind: Service',
      'expect.conditions[0].name: expected either name or selector',
    ],
    [
      'a bad apiVersion',
      'apiVersion: Longhorn/v1\n    kind: Volume\n    name: x',
      'expect.conditions[0].apiVersion: expected an apiVersion such as longhorn.io/v1beta2 or v1',
    ],
    [
      'a jsonpath outside the subset',
      "apiVersion: v1\n    kind: Pod\n    name: x\n    jsonpath: '{.items[*].x}=1'",
      'expect.conditions[0].jsonpath: expected',
    ],
    [
      'two with one id',
      'apiVersion: v1\n    kind: Pod\n    name: x\n  - apiVersion: v1\n    kind: Pod\n    name: x',
      "expect.conditions[1]: another condition has the id 'pod/x'",
    ],
  ])('%s is an input error naming the YAML path', (_, item, message) => {
    expect(() => parseExpectDocument(`conditions:\n  - ${item}\n`, 'expect')).toThrow(message);
  });

  test.each([
    [
      'an id that names nothing',
      '[kyverno]',
      'expect.conditions[0].after[0]: expected the id of a declared workload',
    ],
    ['itself', '[pod/x]', "expect.conditions[0].after[0]: 'pod/x' cannot come after itself"],
  ])('after: naming %s is an input error', (_, after, message) => {
    const doc = parseExpectDocument(
      `conditions:\n  - apiVersion: v1\n    kind: Pod\n    name: x\n    after: ${after}\n`,
      'expect',
    );
    expect(() =>
      mergeExpectations({ systemComponents: true, maxRestarts: 3, mountedVolumes: true }, doc, 'expect'),
    ).toThrow(message);
  });

  test('a cycle in after: is an input error', () => {
    const doc = parseExpectDocument(
      'conditions:\n  - {id: a, apiVersion: v1, kind: Pod, name: a, after: [b]}\n  - {id: b, apiVersion: v1, kind: Pod, name: b, after: [a]}\n',
      'expect',
    );
    expect(() =>
      mergeExpectations({ systemComponents: true, maxRestarts: 3, mountedVolumes: true }, doc, 'expect'),
    ).toThrow(
      "Input 'expect' is invalid: expect.conditions[0].after: the after: order has a cycle: a → b → a.",
    );
  });
});

describe('K3s HelmChart (helm-controller conditions)', () => {
  const yaml =
    'conditions:\n  - apiVersion: helm.cattle.io/v1\n    kind: HelmChart\n    namespace: kube-system\n    name: longhorn\n    condition: JobCreated=True\n';

  test('JobCreated=True passes (type and status compared ignoring case)', () => {
    const e = run(yaml.replace('JobCreated=True', 'jobcreated=true'), { custom: helmChart() });
    expect(e.conditions).toEqual([
      expect.objectContaining({ object: 'helmchart.helm.cattle.io/kube-system/longhorn', status: 'pass' }),
    ]);
  });

  test('JobCreated=False with Failed=True fails at once with helm-controller’s reason', () => {
    const e = run(yaml, {
      custom: helmChart({
        jobCreated: false,
        failed: { reason: 'Job create failed', message: 'Failed to generate Job: bad values' },
      }),
    });
    expect(e.status).toBe('fail');
    expect(e.conditions[0]).toMatchObject({
      status: 'fail',
      reason: 'Job create failed',
      detail: 'Failed=True (Job create failed: Failed to generate Job: bad values)',
    });
  });

  test('not yet observed (generation ahead of observedGeneration) does not count', () => {
    const chart = o.helmChart('kube-system', 'longhorn', { generation: 3 });
    (chart.status as Record<string, unknown>).observedGeneration = 2;
    const e = run(yaml, { custom: { [HELM]: [chart] } });
    expect(e.conditions[0]).toMatchObject({ status: 'pending', reason: 'generation-not-observed' });
  });

  test('a kind the API does not serve is not-installed, and fails', () => {
    const e = run(yaml, {}, [HELM]);
    expect(e.conditions[0]).toMatchObject({ status: 'fail', reason: 'not-installed' });
    expect(e.conditions[0].detail).toMatch(
      /^the API serves no HelmChart in helm.cattle.io\/v1: is its CustomResourceDefinition installed\? \(kubectl get helmchart.v1.helm.cattle.io: error: the server doesn't have a resource type "helmcharts"\)$/,
    );
  });
});

describe('Longhorn volumes by jsonpath and selector', () => {
  const yaml = (extra = '') =>
    `conditions:\n  - id: longhorn-volumes\n    apiVersion: longhorn.io/v1beta2\n    kind: Volume\n    namespace: longhorn-system\n    selector: app in (rustdesk,web)\n    jsonpath: '{.status.robustness}=healthy'\n${extra}`;
  const volumes = (a: o.LonghornVolumeOptions, b: o.LonghornVolumeOptions = {}) => ({
    custom: {
      [VOLUMES]: [
        o.longhornVolume('pvc-a', { labels: { app: 'rustdesk' }, ...a }),
        o.longhornVolume('pvc-b', { labels: { app: 'web' }, ...b }),
        o.longhornVolume('pvc-other', { robustness: 'faulted' }),
      ],
    },
  });

  test('every match must hold', () => {
    expect(run(yaml(), volumes({})).conditions.map((c) => c.status)).toEqual(['pass', 'pass']);
    const e = run(yaml(), volumes({ robustness: 'degraded' }));
    expect(e.conditions.map((c) => `${c.object} ${c.status} ${c.reason}`)).toEqual([
      'volume.longhorn.io/longhorn-system/pvc-a pending jsonpath-not-met',
      'volume.longhorn.io/longhorn-system/pvc-b pass met',
    ]);
    expect(e.conditions[0].detail).toBe("{.status.robustness} is 'degraded', 'healthy' expected");
  });

  test('a value in fail-values fails at once', () => {
    const e = run(yaml('    fail-values: [faulted]\n'), volumes({ robustness: 'faulted' }));
    expect(e.conditions[0]).toMatchObject({ status: 'fail', reason: 'fail-value' });
  });

  test('no match is pending not-found', () => {
    const e = run(yaml().replace('rustdesk,web', 'mail'), volumes({}));
    expect(e.conditions).toEqual([
      expect.objectContaining({
        object: 'volume.longhorn.io/longhorn-system/{app in (mail)}',
        status: 'pending',
        reason: 'not-found',
      }),
    ]);
  });

  test('a reason in fail-reasons fails at once; other reasons keep waiting', () => {
    const item = `conditions:\n  - apiVersion: longhorn.io/v1beta2\n    kind: Volume\n    namespace: longhorn-system\n    name: pvc-a\n    condition: Scheduled=True\n`;
    const state = volumes({
      scheduled: { reason: 'ReplicaSchedulingFailure', message: 'insufficient storage' },
    });
    expect(run(item, state).conditions[0]).toMatchObject({
      status: 'pending',
      reason: 'ReplicaSchedulingFailure',
    });
    expect(run(`${item}    fail-reasons: [ReplicaSchedulingFailure]\n`, state).conditions[0]).toMatchObject({
      status: 'fail',
      reason: 'ReplicaSchedulingFailure',
      detail:
        'Scheduled=False (ReplicaSchedulingFailure: insufficient storage), Scheduled=True expected (a reason listed in fail-reasons)',
    });
  });
});
