/**
 * The fields of Kubernetes objects this action reads, as `kubectl get -o json` prints them. Everything is
 * optional because the API omits empty fields; the evaluation treats a missing field as its zero value.
 * References: https://kubernetes.io/docs/reference/kubernetes-api/ (Node, Pod, Deployment, DaemonSet,
 * StatefulSet, Job, Event).
 */
export interface ObjectMeta {
  name?: string;
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

export interface PodTemplate {
  spec?: { hostNetwork?: boolean; containers?: ContainerSpec[] };
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
  spec?: { nodeName?: string; hostNetwork?: boolean; containers?: ContainerSpec[] };
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
  involvedObject?: { kind?: string; namespace?: string; name?: string };
  reason?: string;
  message?: string;
  type?: string;
  count?: number;
  firstTimestamp?: string | null;
  lastTimestamp?: string | null;
  eventTime?: string | null;
}

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
}
