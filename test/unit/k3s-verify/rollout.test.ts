import { describe, expect, test } from '@jest/globals';
import type {
  DaemonSet,
  Deployment,
  Job,
  StatefulSet,
} from '../../../actions/k3s-verify/src/cluster/kube-types.js';
import {
  daemonSetRollout,
  deploymentRollout,
  jobStatus,
  statefulSetRollout,
} from '../../../actions/k3s-verify/src/checks/rollout.js';
import * as o from '../../support/standins/kube-apiserver/objects.js';

const containers = [{ name: 'hbbs' }];
const dep = (opts: Partial<o.DeploymentOptions>) =>
  o.deployment('rustdesk', 'hbbs', { containers, ...opts }) as unknown as Deployment;

describe('deployment (kubectl rollout status rules)', () => {
  test.each([
    ['complete', {}, 'pass', 'rolled-out'],
    [
      'generation not observed',
      { generation: 3, observedGeneration: 2 },
      'pending',
      'generation-not-observed',
    ],
    ['new replicas not updated', { replicas: 2, updated: 1, available: 1 }, 'pending', 'rollout-incomplete'],
    [
      'old replicas pending termination',
      { replicas: 1, updated: 1, statusReplicas: 2, available: 1 },
      'pending',
      'old-replicas',
    ],
    ['updated but not available', { replicas: 2, updated: 2, available: 1 }, 'pending', 'unavailable'],
    [
      'progress deadline exceeded',
      { updated: 0, available: 0, progressDeadlineExceeded: true },
      'fail',
      'ProgressDeadlineExceeded',
    ],
    [
      'deadline exceeded but generation unobserved: still waiting',
      { generation: 2, observedGeneration: 1, progressDeadlineExceeded: true },
      'pending',
      'generation-not-observed',
    ],
    ['scaled to zero', { replicas: 0, updated: 0, available: 0 }, 'pass', 'rolled-out'],
  ] as const)('%s', (_name, opts, status, reason) => {
    const r = deploymentRollout(dep(opts));
    expect([r.status, r.reason]).toEqual([status, reason]);
  });

  test('counts and detail', () => {
    expect(deploymentRollout(dep({ replicas: 3, updated: 3, available: 1 }))).toEqual({
      status: 'pending',
      reason: 'unavailable',
      detail: '1 of 3 updated replicas available',
      desired: 3,
      updated: 3,
      available: 1,
    });
    expect(deploymentRollout(dep({ revision: 4 })).detail).toBe('1/1 available, revision 4');
  });

  test('spec.replicas missing means 1, empty status means nothing rolled out', () => {
    const d: Deployment = { metadata: { generation: 1 }, spec: {}, status: { observedGeneration: 1 } };
    expect(deploymentRollout(d)).toMatchObject({
      status: 'pending',
      reason: 'rollout-incomplete',
      desired: 1,
    });
  });

  test('a paused deployment says so', () => {
    const d = dep({ updated: 0, available: 0 });
    d.spec!.paused = true;
    expect(deploymentRollout(d).detail).toContain('paused');
  });
});

describe('daemonset', () => {
  const ds = (opts: Partial<o.DaemonSetOptions>) =>
    o.daemonSet('kube-system', 'svclb-traefik', { containers, ...opts }) as unknown as DaemonSet;
  test.each([
    ['complete', {}, 'pass', 'rolled-out'],
    ['no nodes selected', { desired: 0 }, 'pass', 'rolled-out'],
    [
      'generation not observed',
      { generation: 2, observedGeneration: 1 },
      'pending',
      'generation-not-observed',
    ],
    ['not all updated', { desired: 2, updated: 1, available: 2 }, 'pending', 'rollout-incomplete'],
    ['not all available', { desired: 2, updated: 2, available: 1 }, 'pending', 'unavailable'],
    [
      'OnDelete only needs availability',
      { strategy: 'OnDelete', desired: 2, updated: 0, available: 2 },
      'pass',
      'rolled-out',
    ],
    [
      'OnDelete unavailable',
      { strategy: 'OnDelete', desired: 2, updated: 0, available: 1 },
      'pending',
      'unavailable',
    ],
  ] as const)('%s', (_name, opts, status, reason) => {
    const r = daemonSetRollout(ds(opts));
    expect([r.status, r.reason]).toEqual([status, reason]);
  });
});

describe('statefulset', () => {
  const sts = (opts: Partial<o.StatefulSetOptions>) =>
    o.statefulSet('db', 'postgres', { containers, ...opts }) as unknown as StatefulSet;
  test.each([
    ['complete', {}, 'pass', 'rolled-out'],
    ['never observed', { observedGeneration: 0 }, 'pending', 'generation-not-observed'],
    [
      'generation not observed',
      { generation: 2, observedGeneration: 1 },
      'pending',
      'generation-not-observed',
    ],
    ['not all ready', { replicas: 3, ready: 2 }, 'pending', 'unavailable'],
    [
      'revision rolling',
      { updateRevision: 'postgres-2', currentRevision: 'postgres-1', updated: 0 },
      'pending',
      'rollout-incomplete',
    ],
    [
      'partition: updated above it',
      { replicas: 3, partition: 2, updated: 1, updateRevision: 'b', currentRevision: 'a' },
      'pass',
      'rolled-out',
    ],
    [
      'partition: not yet',
      { replicas: 3, partition: 1, updated: 1, updateRevision: 'b', currentRevision: 'a' },
      'pending',
      'rollout-incomplete',
    ],
  ] as const)('%s', (_name, opts, status, reason) => {
    const r = statefulSetRollout(sts(opts));
    expect([r.status, r.reason]).toEqual([status, reason]);
  });
});

describe('job (K3s helm-install)', () => {
  test.each([
    ['completed helm-install job is fine', { complete: true }, 'pass', 'Complete'],
    ['running', {}, 'pending', 'job-running'],
    ['failed for good', { failed: true }, 'fail', 'BackoffLimitExceeded'],
  ] as const)('%s', (_name, opts, status, reason) => {
    const r = jobStatus(o.job('kube-system', 'helm-install-traefik', opts) as unknown as Job);
    expect([r.status, r.reason]).toEqual([status, reason]);
  });
});
