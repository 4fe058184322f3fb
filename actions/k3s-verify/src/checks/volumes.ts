import { workloadId, type Expectations, type WorkloadRef } from '../expect/expectations.js';
import { compareQuantity, parseQuantity } from '../expect/quantity.js';
import { volumeId, type VolumeExpectation } from '../expect/volumes.js';
import type {
  ClusterSnapshot,
  KubeEvent,
  PersistentVolumeClaim,
  Pod,
  PodTemplate,
  StatefulSet,
  StorageClass,
} from '../cluster/kube-types.js';
import { ownerKey, type PodIndex } from './pods.js';
import { result, type CheckResult, type CheckStatus } from './result.js';

/**
 * PersistentVolumeClaims: declared ones and, unless `mounted-volumes: false`, those the declared workloads
 * mount. Bound (with the class and least capacity asked for) passes; Lost and a failed provisioning fail at
 * once; Pending says why in Kubernetes' own words, from the claim's latest event (the PV controller's
 * ProvisioningFailed, ExternalProvisioning, WaitForFirstConsumer, WaitForPodScheduled — k8s
 * pkg/controller/volume/persistentvolume/pv_controller.go) and its class (provisioner, binding mode).
 */
export interface CheckedClaim extends VolumeExpectation {
  /** Declared workloads that mount it (`deployment/rustdesk/hbbs`). */
  mountedBy: string[];
  /** Named under `volumes` (not only found in a workload). */
  declared: boolean;
}

export interface VolumeRow {
  claim: string;
  phase: string;
  storageClass: string;
  capacity: string;
  provisioner: string;
  mountedBy: string[];
  status: CheckStatus;
  reason: string;
  detail: string;
}

function claimVolumes(spec: PodTemplate['spec'] | Pod['spec'], podName?: string): string[] {
  const out: string[] = [];
  for (const v of spec?.volumes ?? []) {
    if (v.persistentVolumeClaim?.claimName) out.push(v.persistentVolumeClaim.claimName);
    // A generic ephemeral volume's claim is named <pod>-<volume> (k8s pkg/volume/ephemeral).
    else if (v.ephemeral && podName && v.name) out.push(`${podName}-${v.name}`);
  }
  return out;
}

function workloadObject(snapshot: ClusterSnapshot, w: WorkloadRef) {
  const list =
    w.kind === 'deployment'
      ? snapshot.deployments
      : w.kind === 'daemonset'
        ? snapshot.daemonsets
        : snapshot.statefulsets;
  return (list as Array<{ metadata?: { namespace?: string; name?: string }; spec?: unknown }>).find(
    (o) => o.metadata?.namespace === w.namespace && o.metadata?.name === w.name,
  );
}

/** Claims a workload mounts: its template's, a StatefulSet's `<template>-<set>-<ordinal>`, its pods'. */
export function mountsOf(snapshot: ClusterSnapshot, w: WorkloadRef, index: PodIndex): string[] {
  const names = new Set<string>();
  const found = workloadObject(snapshot, w) as
    { spec?: { template?: PodTemplate } & StatefulSet['spec'] } | undefined;
  for (const c of claimVolumes(found?.spec?.template?.spec)) names.add(c);
  if (w.kind === 'statefulset')
    for (const t of found?.spec?.volumeClaimTemplates ?? [])
      for (let i = 0; i < (found?.spec?.replicas ?? 1); i++) names.add(`${t.metadata?.name}-${w.name}-${i}`);
  for (const pod of index.byOwner.get(ownerKey(w.kind, w.namespace, w.name)) ?? [])
    for (const c of claimVolumes(pod.spec, pod.metadata?.name)) names.add(c);
  return [...names];
}

export function claimsToCheck(snapshot: ClusterSnapshot, e: Expectations, index: PodIndex): CheckedClaim[] {
  const byId = new Map<string, CheckedClaim>();
  for (const v of e.volumes) byId.set(volumeId(v), { ...v, mountedBy: [], declared: true });
  if (!e.mountedVolumes && e.volumes.length === 0) return [];
  for (const w of e.workloads) {
    for (const claim of mountsOf(snapshot, w, index)) {
      const id = volumeId({ namespace: w.namespace, claim });
      const known = byId.get(id);
      if (known) known.mountedBy.push(workloadId(w));
      else if (e.mountedVolumes)
        byId.set(id, { namespace: w.namespace, claim, mountedBy: [workloadId(w)], declared: false });
    }
  }
  return [...byId.values()];
}

/** Claims by `namespace/name`, built once per snapshot (1,000 claims must not cost 1,000 scans). */
const claimIndex = new WeakMap<ClusterSnapshot, Map<string, PersistentVolumeClaim>>();

function claimOf(snapshot: ClusterSnapshot, v: { namespace: string; claim: string }) {
  let index = claimIndex.get(snapshot);
  if (!index) {
    index = new Map(
      snapshot.persistentvolumeclaims.map((c) => [`${c.metadata?.namespace}/${c.metadata?.name}`, c]),
    );
    claimIndex.set(snapshot, index);
  }
  return index.get(`${v.namespace}/${v.claim}`);
}

/** A checked claim that exists and is not settled: the poll then reads storage classes and claim events. */
export function needsStorageDetails(snapshot: ClusterSnapshot, claims: readonly CheckedClaim[]): boolean {
  return claims.some((v) => {
    const phase = claimOf(snapshot, v)?.status?.phase;
    return phase !== undefined && phase !== 'Bound' && phase !== 'Lost';
  });
}

function eventTime(e: KubeEvent): string {
  return e.eventTime || e.lastTimestamp || e.firstTimestamp || e.metadata?.creationTimestamp || '';
}

/** The claim's most recent event (matched by uid when both carry one: a re-created claim has a new one). */
export function latestClaimEvent(
  events: readonly KubeEvent[] | undefined,
  pvc: PersistentVolumeClaim,
): KubeEvent | undefined {
  const uid = pvc.metadata?.uid;
  return (events ?? [])
    .filter(
      (e) =>
        e.involvedObject?.kind === 'PersistentVolumeClaim' &&
        e.involvedObject.namespace === pvc.metadata?.namespace &&
        e.involvedObject.name === pvc.metadata?.name &&
        (!uid || !e.involvedObject.uid || e.involvedObject.uid === uid),
    )
    .sort((a, b) => eventTime(a).localeCompare(eventTime(b)))
    .at(-1);
}

/** Pods in the claim's namespace that mount it, and whether the scheduler placed them. */
function consumers(pods: readonly Pod[], pvc: PersistentVolumeClaim): Pod[] {
  return pods.filter(
    (p) =>
      p.metadata?.namespace === pvc.metadata?.namespace &&
      claimVolumes(p.spec, p.metadata?.name).includes(pvc.metadata?.name ?? ''),
  );
}

function consumerText(pods: readonly Pod[]): string {
  if (pods.length === 0) return 'no pod that uses it exists';
  const waiting = pods.filter((p) => !p.spec?.nodeName);
  if (waiting.length === 0) return `pod ${pods[0].metadata?.name} is scheduled`;
  const p = waiting[0];
  const why = p.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False')?.message;
  return `no pod that uses it is scheduled (pod ${p.metadata?.name}${why ? `: ${why}` : ' is Pending'})`;
}

const ANNOTATION_PROVISIONER = 'volume.kubernetes.io/storage-provisioner';
const ANNOTATION_SELECTED_NODE = 'volume.kubernetes.io/selected-node';

interface Verdict {
  status: CheckStatus;
  reason: string;
  detail: string;
}

function pendingVerdict(
  pvc: PersistentVolumeClaim,
  snapshot: ClusterSnapshot,
  pods: readonly Pod[],
): Verdict {
  const className = pvc.spec?.storageClassName;
  const cls: StorageClass | undefined = snapshot.storageclasses?.find((c) => c.metadata?.name === className);
  const provisioner = cls?.provisioner ?? pvc.metadata?.annotations?.[ANNOTATION_PROVISIONER];
  const classText = className
    ? `class ${className}${provisioner ? `, provisioner ${provisioner}` : ''}`
    : 'no storage class set and no default class';
  const event = latestClaimEvent(snapshot.claimEvents, pvc);
  const said = event?.message ? `: ${event.message}` : '';
  if (className && snapshot.storageclasses && !cls)
    return {
      status: 'fail',
      reason: 'storage-class-not-found',
      detail: `Pending: no storage class '${className}' exists, so nothing provisions its volume${said}`,
    };
  switch (event?.reason) {
    case 'ProvisioningFailed':
      return { status: 'fail', reason: 'ProvisioningFailed', detail: `Pending (${classText})${said}` };
    case 'WaitForFirstConsumer':
    case 'WaitForPodScheduled':
      return {
        status: 'pending',
        reason: event.reason,
        detail: `Pending until a pod that uses it is scheduled (${classText}, volumeBindingMode WaitForFirstConsumer): ${consumerText(consumers(pods, pvc))}`,
      };
    case 'ExternalProvisioning':
    case 'Provisioning':
      return {
        status: 'pending',
        reason: event.reason,
        detail: `Pending: waiting for ${provisioner ?? 'the provisioner'} to create its volume (${classText})${said}`,
      };
    case 'FailedBinding':
      return { status: 'pending', reason: 'FailedBinding', detail: `Pending (${classText})${said}` };
  }
  if (
    cls?.volumeBindingMode === 'WaitForFirstConsumer' &&
    !pvc.metadata?.annotations?.[ANNOTATION_SELECTED_NODE]
  )
    return {
      status: 'pending',
      reason: 'WaitForFirstConsumer',
      detail: `Pending until a pod that uses it is scheduled (${classText}, volumeBindingMode WaitForFirstConsumer): ${consumerText(consumers(pods, pvc))}`,
    };
  return { status: 'pending', reason: 'Pending', detail: `Pending (${classText})${said}` };
}

function boundVerdict(v: CheckedClaim, pvc: PersistentVolumeClaim): Verdict {
  const capacity = pvc.status?.capacity?.storage;
  const size = capacity ? parseQuantity(capacity) : undefined;
  if (v.size && (!size || compareQuantity(size, v.size) < 0)) {
    const resizing = pvc.status?.conditions?.find(
      (c) => (c.type === 'Resizing' || c.type === 'FileSystemResizePending') && c.status === 'True',
    );
    if (resizing)
      return {
        status: 'pending',
        reason: 'resizing',
        detail: `Bound with ${capacity ?? 'no capacity'}, at least ${v.size.text} expected; ${resizing.type} in progress`,
      };
    return {
      status: 'fail',
      reason: 'too-small',
      detail: `Bound with ${capacity ?? 'no capacity'}, at least ${v.size.text} expected`,
    };
  }
  return {
    status: 'pass',
    reason: 'Bound',
    detail: `Bound to ${pvc.spec?.volumeName ?? '?'} (${capacity ?? '?'}, class ${pvc.spec?.storageClassName ?? 'none'})`,
  };
}

function verdict(
  v: CheckedClaim,
  pvc: PersistentVolumeClaim | undefined,
  snapshot: ClusterSnapshot,
  pods: readonly Pod[],
): Verdict {
  if (!pvc)
    return {
      status: 'pending',
      reason: 'not-found',
      detail: `claim ${v.namespace}/${v.claim} does not exist`,
    };
  const phase = pvc.status?.phase ?? 'Pending';
  const className = pvc.spec?.storageClassName;
  if (phase === 'Lost')
    return {
      status: 'fail',
      reason: 'Lost',
      detail: `Lost: its PersistentVolume${pvc.spec?.volumeName ? ` ${pvc.spec.volumeName}` : ''} is gone; the data it held is not reachable`,
    };
  // The class of a claim cannot change: a different one will not become right by waiting.
  if (v.storageClass && className !== v.storageClass)
    return {
      status: 'fail',
      reason: 'storage-class-mismatch',
      detail: `${phase} with class ${className ?? 'none'}, class ${v.storageClass} expected`,
    };
  if (pvc.metadata?.deletionTimestamp)
    return { status: 'pending', reason: 'terminating', detail: `${phase}, being deleted` };
  if (phase === 'Bound') return boundVerdict(v, pvc);
  return pendingVerdict(pvc, snapshot, pods);
}

export function evaluateVolumes(
  snapshot: ClusterSnapshot,
  claims: readonly CheckedClaim[],
  pods: readonly Pod[],
): VolumeRow[] {
  const classes = new Map((snapshot.storageclasses ?? []).map((c) => [c.metadata?.name, c]));
  return claims.map((v) => {
    const pvc = claimOf(snapshot, v);
    const cls = classes.get(pvc?.spec?.storageClassName);
    const r = verdict(v, pvc, snapshot, pods);
    return {
      claim: volumeId(v),
      phase: pvc ? (pvc.status?.phase ?? 'Pending') : 'missing',
      storageClass: pvc?.spec?.storageClassName ?? '',
      capacity: pvc?.status?.capacity?.storage ?? '',
      provisioner: cls?.provisioner ?? pvc?.metadata?.annotations?.[ANNOTATION_PROVISIONER] ?? '',
      mountedBy: v.mountedBy,
      ...r,
    };
  });
}

export function volumeResult(row: VolumeRow): CheckResult {
  const mounted =
    row.status !== 'pass' && row.mountedBy.length > 0
      ? `; mounted by ${row.mountedBy.join(', ')}, whose pods cannot start without it`
      : '';
  const [, namespace, name] = row.claim.split('/');
  return {
    ...result('volume', row.claim, row.status, row.reason, `${row.detail}${mounted}`),
    subject: row.claim,
    ref: { kind: 'PersistentVolumeClaim', namespace, name },
  };
}
