import { describe, expect, test } from '@jest/globals';
import { evaluate } from '../../../actions/k3s-verify/src/checks/evaluation.js';
import { applyOrder } from '../../../actions/k3s-verify/src/checks/order.js';
import { result } from '../../../actions/k3s-verify/src/checks/result.js';
import {
  mergeExpectations,
  parseExpectDocument,
} from '../../../actions/k3s-verify/src/expect/expectations.js';
import * as o from '../../support/standins/kube-apiserver/objects.js';
import { rustdeskScenario } from '../../support/standins/kube-apiserver/scenarios.js';
import { snapshotOf } from './fixtures.js';

const r = (subject: string, status: 'pass' | 'pending' | 'fail', reason: string = status) => ({
  ...result('condition', subject, status, reason, `${subject} ${reason}`),
  subject,
});

describe('applyOrder', () => {
  test('without after: nothing changes', () => {
    const results = [r('a', 'fail')];
    expect(applyOrder(results, {})).toEqual({ results });
  });

  test('a layer waiting for one that does not pass is not checked, even when it would fail', () => {
    const out = applyOrder(
      [r('kyverno', 'pending', 'NotReady'), r('longhorn', 'fail', 'Failed'), r('app', 'fail')],
      {
        longhorn: ['kyverno'],
        app: ['longhorn'],
      },
    );
    expect(out.results.map((x) => `${x.object} ${x.status} ${x.reason}`)).toEqual([
      'kyverno pending NotReady',
      'longhorn pending not-checked',
      'app pending not-checked',
    ]);
    expect(out.results[1].detail).toBe('not checked until kyverno passes (kyverno: NotReady)');
    expect(out.results[2].detail).toBe('not checked until longhorn passes (longhorn: not checked yet)');
    expect(out.order?.chain).toBe('kyverno NotReady → longhorn not checked → app not checked');
    expect(out.order?.rows.map((x) => `${x.id}:${x.status}:${x.reason}`)).toEqual([
      'kyverno:pending:NotReady',
      'longhorn:pending:not-checked',
      'app:pending:not-checked',
    ]);
  });

  test('once the lower layer passes, the next is checked and reported on its own', () => {
    const out = applyOrder([r('kyverno', 'pass'), r('longhorn', 'fail', 'Failed'), r('app', 'pass')], {
      longhorn: ['kyverno'],
      app: ['longhorn'],
    });
    expect(out.results.map((x) => `${x.object} ${x.status} ${x.reason}`)).toEqual([
      'kyverno pass pass',
      'longhorn fail Failed',
      'app pending not-checked',
    ]);
    expect(out.order?.chain).toBe('longhorn Failed → app not checked');
  });
});

test('Longhorn HelmChart → Longhorn volume → RustDesk: the first failing layer and what waits for it', () => {
  const yaml = [
    'workloads:',
    '  - kind: deployment',
    '    namespace: rustdesk',
    '    name: hbbs',
    '    after: [longhorn-volumes]',
    'conditions:',
    '  - id: longhorn',
    '    apiVersion: helm.cattle.io/v1',
    '    kind: HelmChart',
    '    namespace: kube-system',
    '    name: longhorn',
    '    condition: Failed=False',
    '  - id: longhorn-volumes',
    '    after: [longhorn]',
    '    apiVersion: longhorn.io/v1beta2',
    '    kind: Volume',
    '    namespace: longhorn-system',
    '    name: pvc-a',
    "    jsonpath: '{.status.robustness}=healthy'",
    '',
  ].join('\n');
  const e = mergeExpectations(
    { systemComponents: false, maxRestarts: 3, mountedVolumes: true },
    parseExpectDocument(yaml, 'expect'),
    'expect',
  );
  const state = {
    ...rustdeskScenario({ hbbsCrashLoop: true })(0),
    custom: {
      // The chart's install failed: Longhorn's volumes cannot be healthy, RustDesk crashes without them.
      'helm.cattle.io/v1/helmcharts': [
        o.helmChart('kube-system', 'longhorn', {
          failed: {
            reason: 'Job failed',
            message: 'Job has reached configured number of retries without succeeding',
          },
        }),
      ],
      'longhorn.io/v1beta2/volumes': [
        o.longhornVolume('pvc-a', { state: 'detached', robustness: 'faulted' }),
      ],
    },
  };
  const ev = evaluate(
    snapshotOf(state, ['helm.cattle.io/v1/helmcharts', 'longhorn.io/v1beta2/volumes']),
    e,
    new Map(),
  );
  expect(ev.status).toBe('fail');
  expect(ev.order?.chain).toBe(
    'longhorn Job failed → longhorn-volumes not checked → deployment/rustdesk/hbbs not checked',
  );
  // The crash loop of hbbs is an effect: it is not reported as a failure of its own.
  expect(ev.results.filter((x) => x.status === 'fail').map((x) => `${x.object} ${x.reason}`)).toEqual([
    'helmchart.helm.cattle.io/kube-system/longhorn Job failed',
  ]);
});
