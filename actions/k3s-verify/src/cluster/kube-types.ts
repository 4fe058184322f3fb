/**
 * The fields of Kubernetes objects this action reads, as `kubectl get -o json` prints them. Everything is
 * optional because the API omits empty fields; the evaluation treats a missing field as its zero value.
 * References: https://kubernetes.io/docs/reference/kubernetes-api/ (Node, Pod, Deployment, DaemonSet,
 * StatefulSet, Job, Event).
 */
export interface ObjectMeta {
  name?: string;
  resourceVersion?: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{ kind?: string; name?: string; controller?: boolean }>;
  deletionTimestamp?: string;
}

export interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

export interface KubeList<T> {
  kind?: string;
  items?: T[];
}

export interface Node {
  metadata?: ObjectMeta;
  spec?: { unschedulable?: boolean };
  status?: { conditions?: Condition[]; nodeInfo?: { kubeletVersion?: string } };
}

export interface ContainerSpec {
  name?: string;
  ports?: Array<{ containerPort?: number; hostPort?: number; protocol?: string }>;
}

/** A pod volume; only the claims matter here (persistentVolumeClaim, or an ephemeral one). */
export interface PodVolume {
  name?: string;
  persistentVolumeClaim?: { claimName?: string };
  ephemeral?: unknown;
}

export interface PodTemplate {
  spec?: { hostNetwork?: boolean; containers?: ContainerSpec[]; volumes?: PodVolume[] };
}

export interface ContainerStatus {
  name?: string;
  ready?: boolean;
  restartCount?: number;
  state?: {
    waiting?: { reason?: string; message?: string };
    running?: { startedAt?: string };
    terminated?: { reason?: string; exitCode?: number };
  };
  lastState?: { terminated?: { reason?: string; exitCode?: number } };
}

export interface Pod {
  metadata?: ObjectMeta;
  spec?: { nodeName?: string; hostNetwork?: boolean; containers?: ContainerSpec[]; volumes?: PodVolume[] };
  status?: {
    phase?: string;
    conditions?: Condition[];
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
  };
}

export interface Deployment {
  metadata?: ObjectMeta;
  spec?: {
    replicas?: number;
    paused?: boolean;
    template?: PodTemplate;
    strategy?: {
      type?: string;
      rollingUpdate?: { maxSurge?: number | string; maxUnavailable?: number | string };
    };
  };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    conditions?: Condition[];
  };
}

export interface DaemonSet {
  metadata?: ObjectMeta;
  spec?: {
    template?: PodTemplate;
    updateStrategy?: {
      type?: string;
      rollingUpdate?: { maxSurge?: number | string; maxUnavailable?: number | string };
    };
  };
  status?: {
    observedGeneration?: number;
    desiredNumberScheduled?: number;
    currentNumberScheduled?: number;
    updatedNumberScheduled?: number;
    numberReady?: number;
    numberAvailable?: number;
  };
}

export interface StatefulSet {
  metadata?: ObjectMeta;
  spec?: {
    replicas?: number;
    template?: PodTemplate;
    volumeClaimTemplates?: Array<{ metadata?: { name?: string } }>;
    updateStrategy?: { type?: string; rollingUpdate?: { partition?: number } };
  };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    readyReplicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    currentRevision?: string;
    updateRevision?: string;
  };
}

export interface Job {
  metadata?: ObjectMeta;
  status?: { active?: number; succeeded?: number; failed?: number; conditions?: Condition[] };
}

export interface KubeEvent {
  metadata?: ObjectMeta & { creationTimestamp?: string };
  involvedObject?: { kind?: string; namespace?: string; name?: string; uid?: string };
  reason?: string;
  message?: string;
  type?: string;
  count?: number;
  firstTimestamp?: string | null;
  lastTimestamp?: string | null;
  eventTime?: string | null;
}

/** PersistentVolumeClaim (core/v1): phase Pending | Bound | Lost. */
export interface PersistentVolumeClaim {
  metadata?: ObjectMeta;
  spec?: {
    storageClassName?: string;
    volumeName?: string;
    resources?: { requests?: { storage?: string } };
  };
  status?: { phase?: string; capacity?: { storage?: string }; conditions?: Condition[] };
}

/** StorageClass (storage.k8s.io/v1, cluster-scoped). */
export interface StorageClass {
  metadata?: ObjectMeta;
  provisioner?: string;
  /** Immediate (the default) or WaitForFirstConsumer. */
  volumeBindingMode?: string;
}

/** Any object of a kind named under `conditions:` (read as JSON, fields looked up by path). */
export interface AnyObject {
  metadata?: ObjectMeta;
  status?: { conditions?: Array<Condition & { observedGeneration?: number }>; observedGeneration?: number };
  [field: string]: unknown;
}

/** The list of a `conditions:` kind, or why the API serves no such kind (its CRD is not installed). */
export type ResourceList = { items: AnyObject[] } | { notInstalled: string };

export type WorkloadKind = 'deployment' | 'daemonset' | 'statefulset';
export const WORKLOAD_KINDS: readonly WorkloadKind[] = ['deployment', 'daemonset', 'statefulset'];

/** One poll's view of the cluster: one list per resource kind (a kind not needed this run stays empty). */
export interface ClusterSnapshot {
  nodes: Node[];
  pods: Pod[];
  deployments: Deployment[];
  daemonsets: DaemonSet[];
  statefulsets: StatefulSet[];
  jobs: Job[];
  persistentvolumeclaims: PersistentVolumeClaim[];
  /** Read only in a poll where a checked claim is Pending (undefined otherwise). */
  storageclasses?: StorageClass[];
  /** Events about claims (involvedObject.kind=PersistentVolumeClaim), read with the storage classes. */
  claimEvents?: KubeEvent[];
  /** The kinds under `conditions:`, keyed by kubectl's resource argument (`helmchart.v1.helm.cattle.io`). */
  resources: Record<string, ResourceList>;
}
