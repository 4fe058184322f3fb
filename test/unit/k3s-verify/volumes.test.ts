import { describe, expect, test } from '@jest/globals';
import { evaluate } from '../../../actions/k3s-verify/src/checks/evaluation.js';
import { parseQuantity } from '../../../actions/k3s-verify/src/expect/quantity.js';
import * as o from '../../support/standins/kube-apiserver/objects.js';
import type { ClusterState } from '../../support/standins/kube-apiserver/server.js';
import { expectations, snapshotOf } from './fixtures.js';

const localPath = o.storageClass('local-path', {
  provisioner: 'rancher.io/local-path',
  bindingMode: 'WaitForFirstConsumer',
  isDefault: true,
});
const longhorn = o.storageClass('longhorn', { provisioner: 'driver.longhorn.io', allowExpansion: true });
const pvcEvent = (name: string, reason: string, message: string, type: 'Normal' | 'Warning' = 'Warning') =>
  o.event('rustdesk', {
    involved: { kind: 'PersistentVolumeClaim', name },
    reason,
    message,
    type,
    source: 'persistentvolume-controller',
  });

function check(
  state: ClusterState,
  volume = 'data',
  extra: Partial<Parameters<typeof expectations>[0]> = {},
) {
  const e = evaluate(
    snapshotOf({ nodes: [o.node('edge-1')], storageclasses: [localPath, longhorn], ...state }),
    expectations({ systemComponents: false, volumes: [{ namespace: 'rustdesk', claim: volume }], ...extra }),
    new Map(),
  );
  return e.results.filter((r) => r.check === 'volume');
}

describe('a declared claim', () => {
  test('Bound passes, naming its volume, capacity and class', () => {
    const [r] = check({ persistentvolumeclaims: [o.persistentVolumeClaim('rustdesk', 'data')] });
    expect(r).toMatchObject({ object: 'pvc/rustdesk/data', status: 'pass', reason: 'Bound' });
    expect(r.detail).toMatch(/^Bound to pvc-[0-9a-f-]+ \(1Gi, class local-path\)$/);
  });

  test('missing is pending (the deploy may still create it)', () => {
    expect(check({})[0]).toMatchObject({ status: 'pending', reason: 'not-found' });
  });

  test('Lost fails at once', () => {
    const [r] = check({
      persistentvolumeclaims: [o.persistentVolumeClaim('rustdesk', 'data', { phase: 'Lost' })],
    });
    expect(r).toMatchObject({ status: 'fail', reason: 'Lost' });
    expect(r.detail).toMatch(/^Lost: its PersistentVolume pvc-\S+ is gone/);
  });

  test('ProvisioningFailed fails at once with the event and the class provisioner', () => {
    const [r] = check({
      persistentvolumeclaims: [
        o.persistentVolumeClaim('rustdesk', 'data', { phase: 'Pending', storageClass: 'longhorn' }),
      ],
      events: [
        pvcEvent('data', 'ExternalProvisioning', 'Waiting for a volume to be created …', 'Normal'),
        {
          ...pvcEvent(
            'data',
            'ProvisioningFailed',
            'failed to provision volume with StorageClass "longhorn": rpc error: code = Unavailable',
          ),
          lastTimestamp: '2026-11-21T10:05:00Z',
        },
      ],
    });
    expect(r).toMatchObject({ status: 'fail', reason: 'ProvisioningFailed' });
    expect(r.detail).toBe(
      'Pending (class longhorn, provisioner driver.longhorn.io): failed to provision volume with StorageClass "longhorn": rpc error: code = Unavailable',
    );
  });

  test('a class that does not exist fails at once, saying so', () => {
    const [r] = check({
      persistentvolumeclaims: [
        o.persistentVolumeClaim('rustdesk', 'data', { phase: 'Pending', storageClass: 'fast-ssd' }),
      ],
      events: [pvcEvent('data', 'ProvisioningFailed', 'storageclass.storage.k8s.io "fast-ssd" not found')],
    });
    expect(r).toMatchObject({ status: 'fail', reason: 'storage-class-not-found' });
    expect(r.detail).toBe(
      'Pending: no storage class \'fast-ssd\' exists, so nothing provisions its volume: storageclass.storage.k8s.io "fast-ssd" not found',
    );
  });

  test('WaitForFirstConsumer while no pod uses it is pending, and says that no pod is scheduled', () => {
    const [r] = check({
      persistentvolumeclaims: [o.persistentVolumeClaim('rustdesk', 'data', { phase: 'Pending' })],
      events: [
        pvcEvent(
          'data',
          'WaitForFirstConsumer',
          'waiting for first consumer to be created before binding',
          'Normal',
        ),
      ],
    });
    expect(r).toMatchObject({ status: 'pending', reason: 'WaitForFirstConsumer' });
    expect(r.detail).toBe(
      'Pending until a pod that uses it is scheduled (class local-path, provisioner rancher.io/local-path, volumeBindingMode WaitForFirstConsumer): no pod that uses it exists',
    );
  });

  test('WaitForFirstConsumer without an event yet: from the class binding mode, naming the unscheduled pod', () => {
    const [r] = check({
      persistentvolumeclaims: [o.persistentVolumeClaim('rustdesk', 'data', { phase: 'Pending' })],
      pods: [
        o.pod('rustdesk', 'hbbs-5d4f8c7b9-x2x7k', {
          containers: [{ name: 'hbbs', ready: false, state: { waiting: 'ContainerCreating' } }],
          claims: ['data'],
          unschedulable:
            '0/1 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/disk-pressure: }.',
        }),
      ],
    });
    expect(r.reason).toBe('WaitForFirstConsumer');
    expect(r.detail).toMatch(
      /: no pod that uses it is scheduled \(pod hbbs-5d4f8c7b9-x2x7k: 0\/1 nodes are available: 1 node\(s\) had untolerated taint/,
    );
  });

  test('ExternalProvisioning is pending, naming the provisioner it waits for', () => {
    const [r] = check({
      persistentvolumeclaims: [
        o.persistentVolumeClaim('rustdesk', 'data', { phase: 'Pending', storageClass: 'longhorn' }),
      ],
      events: [
        pvcEvent(
          'data',
          'ExternalProvisioning',
          "Waiting for a volume to be created either by the external provisioner 'driver.longhorn.io' or manually by the system administrator.",
          'Normal',
        ),
      ],
    });
    expect(r).toMatchObject({ status: 'pending', reason: 'ExternalProvisioning' });
    expect(r.detail).toMatch(
      /^Pending: waiting for driver.longhorn.io to create its volume \(class longhorn/,
    );
  });

  test('events of an earlier claim of the same name (another uid) do not count', () => {
    const stale = pvcEvent('data', 'ProvisioningFailed', 'old failure');
    (stale.involvedObject as Record<string, string>).uid = 'a-deleted-claim';
    const [r] = check({
      persistentvolumeclaims: [
        o.persistentVolumeClaim('rustdesk', 'data', { phase: 'Pending', storageClass: 'longhorn' }),
      ],
      events: [stale],
    });
    expect(r.status).toBe('pending');
  });

  test.each([
    ['the class asked for', { storageClass: 'longhorn' }, {}, 'fail', 'storage-class-mismatch'],
    ['at least the size asked for', { size: parseQuantity('2Gi')! }, {}, 'fail', 'too-small'],
    [
      'enough capacity: 2048Mi ≥ 2Gi',
      { size: parseQuantity('2Gi')! },
      { capacity: '2048Mi' },
      'pass',
      'Bound',
    ],
    [
      'a resize under way is pending',
      { size: parseQuantity('2Gi')! },
      { conditions: [{ type: 'Resizing', status: 'True' }] },
      'pending',
      'resizing',
    ],
  ] as const)('Bound, checked against %s', (_, want, claim, status, reason) => {
    const e = evaluate(
      snapshotOf({
        persistentvolumeclaims: [o.persistentVolumeClaim('rustdesk', 'data', claim as o.ClaimOptions)],
      }),
      expectations({ systemComponents: false, volumes: [{ namespace: 'rustdesk', claim: 'data', ...want }] }),
      new Map(),
    );
    expect(e.volumes[0]).toMatchObject({ status, reason });
  });
});

describe('claims the declared workloads mount', () => {
  const state = (phase: 'Pending' | 'Bound'): ClusterState => ({
    nodes: [o.node('edge-1')],
    storageclasses: [longhorn],
    deployments: [o.deployment('rustdesk', 'hbbs', { containers: [{ name: 'hbbs' }], available: 0 })],
    pods: [
      o.pod('rustdesk', 'hbbs-5d4f8c7b9-x2x7k', {
        owner: { kind: 'ReplicaSet', name: 'hbbs-5d4f8c7b9' },
        templateHash: '5d4f8c7b9',
        containers: [{ name: 'hbbs', ready: false, state: { waiting: 'ContainerCreating' } }],
        claims: ['hbbs-data'],
        ...(phase === 'Pending'
          ? { unschedulable: '0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims.' }
          : {}),
      }),
    ],
    persistentvolumeclaims: [
      o.persistentVolumeClaim('rustdesk', 'hbbs-data', { phase, storageClass: 'longhorn' }),
    ],
  });
  const e = (mountedVolumes = true, phase: 'Pending' | 'Bound' = 'Pending') =>
    evaluate(
      snapshotOf(state(phase)),
      expectations({
        systemComponents: false,
        mountedVolumes,
        workloads: [{ kind: 'deployment', namespace: 'rustdesk', name: 'hbbs' }],
      }),
      new Map(),
    );

  test('are checked, and a Pending one is named as the cause of the pods not starting', () => {
    const ev = e();
    expect(ev.volumes).toEqual([
      expect.objectContaining({
        claim: 'pvc/rustdesk/hbbs-data',
        mountedBy: ['deployment/rustdesk/hbbs'],
        status: 'pending',
      }),
    ]);
    const volume = ev.results.find((r) => r.check === 'volume')!;
    expect(volume.detail).toMatch(
      /mounted by deployment\/rustdesk\/hbbs, whose pods cannot start without it$/,
    );
    const workload = ev.results.find((r) => r.object === 'deployment/rustdesk/hbbs')!;
    expect(workload.detail).toBe(
      '0 of 1 updated replicas available; its pods wait for pvc/rustdesk/hbbs-data (Pending: Pending)',
    );
    // Causes come before effects in the results (and so in the failure message).
    expect(ev.results.indexOf(volume)).toBeLessThan(ev.results.indexOf(workload));
  });

  test('mounted-volumes: false leaves them out', () => {
    expect(e(false).volumes).toEqual([]);
  });

  test('a StatefulSet’s volumeClaimTemplates give <template>-<set>-<ordinal>', () => {
    const sts = o.statefulSet('db', 'pg', { containers: [{ name: 'pg' }], replicas: 2 });
    (sts.spec as Record<string, unknown>).volumeClaimTemplates = [{ metadata: { name: 'data' } }];
    const ev = evaluate(
      snapshotOf({ statefulsets: [sts] }),
      expectations({
        systemComponents: false,
        workloads: [{ kind: 'statefulset', namespace: 'db', name: 'pg' }],
      }),
      new Map(),
    );
    expect(ev.volumes.map((v) => v.claim)).toEqual(['pvc/db/data-pg-0', 'pvc/db/data-pg-1']);
  });
});
