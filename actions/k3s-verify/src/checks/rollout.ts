import type { CheckStatus } from './result.js';
import type { Condition, DaemonSet, Deployment, Job, StatefulSet } from '../cluster/kube-types.js';

/**
 * Rollout completeness by the rules of `kubectl rollout status`
 * (kubernetes/kubectl pkg/polymorphichelpers/rollout_status.go), evaluated from one list response instead
 * of a watch per object. ProgressDeadlineExceeded and a failed Job are final (`fail`); everything else is
 * a rollout still under way (`pending`).
 */
export interface RolloutStatus {
  status: CheckStatus;
  reason: string;
  detail: string;
  desired: number;
  updated: number;
  available: number;
}

function condition(conditions: Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

function generationPending(
  generation: number | undefined,
  observed: number | undefined,
  counts: Pick<RolloutStatus, 'desired' | 'updated' | 'available'>,
): RolloutStatus | undefined {
  if ((generation ?? 0) <= (observed ?? 0)) return undefined;
  return {
    status: 'pending',
    reason: 'generation-not-observed',
    detail: `the controller has not observed generation ${generation} yet (observed ${observed ?? 0})`,
    ...counts,
  };
}

export function deploymentRollout(d: Deployment): RolloutStatus {
  const s = d.status ?? {};
  const desired = d.spec?.replicas ?? 1;
  const updated = s.updatedReplicas ?? 0;
  const available = s.availableReplicas ?? 0;
  const counts = { desired, updated, available };
  const pending = (reason: string, detail: string): RolloutStatus => ({
    status: 'pending',
    reason,
    detail: d.spec?.paused ? `${detail} (the deployment is paused)` : detail,
    ...counts,
  });
  const gen = generationPending(d.metadata?.generation, s.observedGeneration, counts);
  if (gen) return gen;
  const progressing = condition(s.conditions, 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return {
      status: 'fail',
      reason: 'ProgressDeadlineExceeded',
      detail: progressing.message || 'the deployment exceeded its progress deadline',
      ...counts,
    };
  }
  if (updated < desired) return pending('rollout-incomplete', `${updated} of ${desired} replicas updated`);
  if ((s.replicas ?? 0) > updated)
    return pending('old-replicas', `${(s.replicas ?? 0) - updated} old replicas pending termination`);
  if (available < updated)
    return pending('unavailable', `${available} of ${updated} updated replicas available`);
  const revision = d.metadata?.annotations?.['deployment.kubernetes.io/revision'];
  return {
    status: 'pass',
    reason: 'rolled-out',
    detail: `${available}/${desired} available${revision ? `, revision ${revision}` : ''}`,
    ...counts,
  };
}

export function daemonSetRollout(ds: DaemonSet): RolloutStatus {
  const s = ds.status ?? {};
  const desired = s.desiredNumberScheduled ?? 0;
  const updated = s.updatedNumberScheduled ?? 0;
  const available = s.numberAvailable ?? 0;
  const counts = { desired, updated, available };
  const gen = generationPending(ds.metadata?.generation, s.observedGeneration, counts);
  if (gen) return gen;
  // OnDelete never replaces running pods by itself: only availability can be required.
  const onDelete = ds.spec?.updateStrategy?.type === 'OnDelete';
  if (!onDelete && updated < desired)
    return {
      status: 'pending',
      reason: 'rollout-incomplete',
      detail: `${updated} of ${desired} pods updated`,
      ...counts,
    };
  if (available < desired)
    return {
      status: 'pending',
      reason: 'unavailable',
      detail: `${available} of ${desired} pods available`,
      ...counts,
    };
  return { status: 'pass', reason: 'rolled-out', detail: `${available}/${desired} available`, ...counts };
}

export function statefulSetRollout(sts: StatefulSet): RolloutStatus {
  const s = sts.status ?? {};
  const desired = sts.spec?.replicas ?? 1;
  const updated = s.updatedReplicas ?? 0;
  const available = s.readyReplicas ?? 0;
  const counts = { desired, updated, available };
  if (!s.observedGeneration) {
    return {
      status: 'pending',
      reason: 'generation-not-observed',
      detail: 'the controller has not observed it yet',
      ...counts,
    };
  }
  const gen = generationPending(sts.metadata?.generation, s.observedGeneration, counts);
  if (gen) return gen;
  if (available < desired)
    return {
      status: 'pending',
      reason: 'unavailable',
      detail: `${available} of ${desired} pods ready`,
      ...counts,
    };
  const strategy = sts.spec?.updateStrategy;
  const partition = strategy?.rollingUpdate?.partition ?? 0;
  if (strategy?.type !== 'OnDelete' && partition > 0) {
    const want = Math.max(desired - partition, 0);
    if (updated < want)
      return {
        status: 'pending',
        reason: 'rollout-incomplete',
        detail: `${updated} of ${want} pods above partition ${partition} updated`,
        ...counts,
      };
    return {
      status: 'pass',
      reason: 'rolled-out',
      detail: `partitioned rollout complete: ${updated} updated`,
      ...counts,
    };
  }
  if (
    strategy?.type !== 'OnDelete' &&
    s.updateRevision &&
    s.currentRevision &&
    s.updateRevision !== s.currentRevision
  ) {
    return {
      status: 'pending',
      reason: 'rollout-incomplete',
      detail: `${updated} of ${desired} pods at revision ${s.updateRevision} (current ${s.currentRevision})`,
      ...counts,
    };
  }
  return {
    status: 'pass',
    reason: 'rolled-out',
    detail: `${available}/${desired} ready${s.currentRevision ? `, revision ${s.currentRevision}` : ''}`,
    ...counts,
  };
}

/** A Job in kube-system (K3s' helm-install-* jobs): Complete is healthy, Failed is final, else running. */
export function jobStatus(job: Job): RolloutStatus {
  const s = job.status ?? {};
  const counts = { desired: 1, updated: s.succeeded ?? 0, available: s.succeeded ?? 0 };
  const failed = condition(s.conditions, 'Failed');
  if (failed?.status === 'True')
    return {
      status: 'fail',
      reason: failed.reason || 'JobFailed',
      detail: failed.message || 'the job failed',
      ...counts,
    };
  const complete = condition(s.conditions, 'Complete');
  if (complete?.status === 'True')
    return { status: 'pass', reason: 'Complete', detail: 'completed', ...counts };
  return {
    status: 'pending',
    reason: 'job-running',
    detail: `${s.active ?? 0} active, ${s.failed ?? 0} failed attempts so far`,
    ...counts,
  };
}
