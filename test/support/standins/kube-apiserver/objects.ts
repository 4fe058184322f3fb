/**
 * Builders for Kubernetes objects in the shapes the API server returns (fields a K3s 1.32 server fills
 * in; optional fields the verifier does not read are left out). Each builder cites its API reference page.
 * Objects are plain JSON, as on the wire: list items carry no apiVersion/kind (the server omits them in
 * lists, kubectl adds them when it prints a `List`).
 */
export type Json = Record<string, unknown>;

const CREATED = '2026-11-21T09:00:00Z';
let eventCounter = 0;

/** A stable, RFC 4122-shaped uid derived from the object's identity (same object, same uid, every poll). */
export function uid(seed: string): string {
  const hash = (basis: number) => {
    let h = basis;
    for (const c of seed) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
    return h.toString(16).padStart(8, '0');
  };
  const hex = hash(0x811c9dc5) + hash(0x050c5d1f) + hash(0x2f9be6dc) + hash(0x7a1c3e55);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function meta(name: string, namespace?: string, extra: Json = {}): Json {
  return {
    name,
    ...(namespace ? { namespace } : {}),
    uid: uid(`${namespace ?? ''}/${name}`),
    resourceVersion: '1000',
    creationTimestamp: CREATED,
    ...extra,
  };
}

function condition(type: string, status: boolean, reason: string, message = ''): Json {
  return {
    type,
    status: status ? 'True' : 'False',
    lastHeartbeatTime: '2026-11-21T10:00:00Z',
    lastTransitionTime: CREATED,
    reason,
    message,
  };
}

export interface NodeOptions {
  ready?: boolean;
  memoryPressure?: boolean;
  diskPressure?: boolean;
  pidPressure?: boolean;
  unschedulable?: boolean;
}

/** Node — https://kubernetes.io/docs/reference/kubernetes-api/cluster-resources/node-v1/ */
export function node(name: string, o: NodeOptions = {}): Json {
  const ready = o.ready ?? true;
  return {
    metadata: meta(name, undefined, {
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'node-role.kubernetes.io/control-plane': 'true',
        'node.kubernetes.io/instance-type': 'k3s',
      },
    }),
    spec: {
      podCIDR: '10.42.0.0/24',
      podCIDRs: ['10.42.0.0/24'],
      providerID: `k3s://${name}`,
      ...(o.unschedulable
        ? {
            unschedulable: true,
            taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule', timeAdded: CREATED }],
          }
        : {}),
    },
    status: {
      conditions: [
        condition(
          'MemoryPressure',
          o.memoryPressure ?? false,
          o.memoryPressure ? 'KubeletHasInsufficientMemory' : 'KubeletHasSufficientMemory',
        ),
        condition(
          'DiskPressure',
          o.diskPressure ?? false,
          o.diskPressure ? 'KubeletHasDiskPressure' : 'KubeletHasNoDiskPressure',
        ),
        condition(
          'PIDPressure',
          o.pidPressure ?? false,
          o.pidPressure ? 'KubeletHasInsufficientPID' : 'KubeletHasSufficientPID',
        ),
        ready
          ? condition('Ready', true, 'KubeletReady', 'kubelet is posting ready status')
          : {
              ...condition('Ready', false, 'NodeStatusUnknown', 'Kubelet stopped posting node status.'),
              status: 'Unknown',
            },
      ],
      addresses: [
        { type: 'InternalIP', address: '192.168.1.10' },
        { type: 'Hostname', address: name },
      ],
      nodeInfo: {
        kubeletVersion: 'v1.32.5+k3s1',
        kubeProxyVersion: 'v1.32.5+k3s1',
        containerRuntimeVersion: 'containerd://2.0.5-k3s1',
        operatingSystem: 'linux',
        architecture: 'arm64',
        osImage: 'NixOS 25.05',
        kernelVersion: '6.12.30',
      },
      allocatable: { cpu: '4', memory: '7935284Ki', pods: '110' },
      capacity: { cpu: '4', memory: '8037684Ki', pods: '110' },
    },
  };
}

export type WorkloadKind = 'Deployment' | 'DaemonSet' | 'StatefulSet';

export interface ContainerSpec {
  name: string;
  image?: string;
  ports?: Array<{ containerPort: number; protocol?: 'TCP' | 'UDP' }>;
}

export interface TemplateOptions {
  containers: ContainerSpec[];
  hostNetwork?: boolean;
  labels?: Record<string, string>;
  /** Claims the pods mount (spec.volumes[].persistentVolumeClaim). */
  claims?: string[];
}

/** PodTemplateSpec — https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-template-v1/#PodTemplateSpec */
function template(name: string, t: TemplateOptions): Json {
  return {
    metadata: { labels: t.labels ?? { app: name } },
    spec: {
      ...(t.hostNetwork
        ? { hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' }
        : { dnsPolicy: 'ClusterFirst' }),
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      ...(t.claims
        ? {
            volumes: t.claims.map((claimName) => ({ name: claimName, persistentVolumeClaim: { claimName } })),
          }
        : {}),
      containers: t.containers.map((c) => ({
        name: c.name,
        image: c.image ?? `docker.io/rustdesk/rustdesk-server:1.1.14`,
        imagePullPolicy: 'IfNotPresent',
        ...(c.ports
          ? { ports: c.ports.map((p) => ({ containerPort: p.containerPort, protocol: p.protocol ?? 'TCP' })) }
          : {}),
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
      })),
    },
  };
}

export interface DeploymentOptions extends TemplateOptions {
  replicas?: number;
  generation?: number;
  observedGeneration?: number;
  statusReplicas?: number;
  updated?: number;
  ready?: number;
  available?: number;
  strategy?: 'RollingUpdate' | 'Recreate';
  maxSurge?: string | number;
  progressDeadlineExceeded?: boolean;
  revision?: number;
}

/** Deployment — https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/deployment-v1/ */
export function deployment(namespace: string, name: string, o: DeploymentOptions): Json {
  const replicas = o.replicas ?? 1;
  const updated = o.updated ?? replicas;
  const available = o.available ?? updated;
  const generation = o.generation ?? 1;
  const strategy =
    (o.strategy ?? 'RollingUpdate') === 'Recreate'
      ? { type: 'Recreate' }
      : { type: 'RollingUpdate', rollingUpdate: { maxSurge: o.maxSurge ?? '25%', maxUnavailable: '25%' } };
  return {
    metadata: meta(name, namespace, {
      generation,
      annotations: { 'deployment.kubernetes.io/revision': String(o.revision ?? 1) },
      labels: { app: name },
    }),
    spec: {
      replicas,
      selector: { matchLabels: o.labels ?? { app: name } },
      template: template(name, o),
      strategy,
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    },
    status: {
      observedGeneration: o.observedGeneration ?? generation,
      replicas: o.statusReplicas ?? updated,
      updatedReplicas: updated,
      readyReplicas: o.ready ?? available,
      availableReplicas: available,
      ...(available < replicas ? { unavailableReplicas: replicas - available } : {}),
      conditions: [
        condition(
          'Available',
          available >= replicas,
          available >= replicas ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
          available >= replicas
            ? 'Deployment has minimum availability.'
            : 'Deployment does not have minimum availability.',
        ),
        o.progressDeadlineExceeded
          ? condition(
              'Progressing',
              false,
              'ProgressDeadlineExceeded',
              `ReplicaSet "${name}-5d4f8c7b9" has timed out progressing.`,
            )
          : condition(
              'Progressing',
              true,
              updated >= replicas && available >= replicas ? 'NewReplicaSetAvailable' : 'ReplicaSetUpdated',
              `ReplicaSet "${name}-5d4f8c7b9" is progressing.`,
            ),
      ],
    },
  };
}

export interface DaemonSetOptions extends TemplateOptions {
  desired?: number;
  updated?: number;
  available?: number;
  generation?: number;
  observedGeneration?: number;
  strategy?: 'RollingUpdate' | 'OnDelete';
  maxSurge?: number;
}

/** DaemonSet — https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/daemon-set-v1/ */
export function daemonSet(namespace: string, name: string, o: DaemonSetOptions): Json {
  const desired = o.desired ?? 1;
  const updated = o.updated ?? desired;
  const available = o.available ?? updated;
  const generation = o.generation ?? 1;
  return {
    metadata: meta(name, namespace, { generation, labels: { app: name } }),
    spec: {
      selector: { matchLabels: o.labels ?? { app: name } },
      template: template(name, o),
      updateStrategy:
        (o.strategy ?? 'RollingUpdate') === 'OnDelete'
          ? { type: 'OnDelete' }
          : { type: 'RollingUpdate', rollingUpdate: { maxSurge: o.maxSurge ?? 0, maxUnavailable: 1 } },
      revisionHistoryLimit: 10,
    },
    status: {
      currentNumberScheduled: desired,
      numberMisscheduled: 0,
      desiredNumberScheduled: desired,
      numberReady: available,
      observedGeneration: o.observedGeneration ?? generation,
      updatedNumberScheduled: updated,
      numberAvailable: available,
      ...(available < desired ? { numberUnavailable: desired - available } : {}),
    },
  };
}

export interface StatefulSetOptions extends TemplateOptions {
  replicas?: number;
  ready?: number;
  updated?: number;
  generation?: number;
  observedGeneration?: number;
  currentRevision?: string;
  updateRevision?: string;
  partition?: number;
}

/** StatefulSet — https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/stateful-set-v1/ */
export function statefulSet(namespace: string, name: string, o: StatefulSetOptions): Json {
  const replicas = o.replicas ?? 1;
  const ready = o.ready ?? replicas;
  const generation = o.generation ?? 1;
  const current = o.currentRevision ?? `${name}-6c9d8b7f5d`;
  return {
    metadata: meta(name, namespace, { generation, labels: { app: name } }),
    spec: {
      replicas,
      selector: { matchLabels: o.labels ?? { app: name } },
      serviceName: name,
      template: template(name, o),
      podManagementPolicy: 'OrderedReady',
      updateStrategy: {
        type: 'RollingUpdate',
        rollingUpdate: { partition: o.partition ?? 0 },
      },
      revisionHistoryLimit: 10,
    },
    status: {
      observedGeneration: o.observedGeneration ?? generation,
      replicas,
      readyReplicas: ready,
      currentReplicas: replicas,
      updatedReplicas: o.updated ?? replicas,
      availableReplicas: ready,
      currentRevision: current,
      updateRevision: o.updateRevision ?? current,
      collisionCount: 0,
    },
  };
}

export interface JobOptions {
  complete?: boolean;
  failed?: boolean;
}

/** Job — https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/job-v1/ */
export function job(namespace: string, name: string, o: JobOptions = {}): Json {
  const conditions: Json[] = [];
  if (o.complete) {
    conditions.push(
      condition(
        'SuccessCriteriaMet',
        true,
        'CompletionsReached',
        'Reached expected number of succeeded pods',
      ),
    );
    conditions.push(
      condition('Complete', true, 'CompletionsReached', 'Reached expected number of succeeded pods'),
    );
  }
  if (o.failed) {
    conditions.push(
      condition('FailureTarget', true, 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'),
    );
    conditions.push(
      condition('Failed', true, 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'),
    );
  }
  return {
    metadata: meta(name, namespace, {
      generation: 1,
      labels: { 'helmcharts.helm.cattle.io/chart': name.replace(/^helm-install-/, '') },
    }),
    spec: {
      backoffLimit: 1000,
      completions: 1,
      parallelism: 1,
      template: template(name, { containers: [{ name: 'helm' }] }),
    },
    status: {
      startTime: CREATED,
      ...(o.complete
        ? { completionTime: '2026-11-21T09:01:00Z', succeeded: 1 }
        : { active: o.failed ? 0 : 1 }),
      ...(o.failed ? { failed: 1 } : {}),
      ...(conditions.length > 0 ? { conditions } : {}),
      ready: 0,
      terminating: 0,
    },
  };
}

export type ContainerState =
  { running: true } | { waiting: string; message?: string } | { terminated: string; exitCode: number };

export interface ContainerStatusOptions {
  name: string;
  ready?: boolean;
  restarts?: number;
  state?: ContainerState;
  /** The state of the previous run (shown after a restart). */
  lastTerminated?: { reason: string; exitCode: number };
}

export interface PodOptions {
  owner?: { kind: 'ReplicaSet' | 'DaemonSet' | 'StatefulSet' | 'Job'; name: string };
  /** Set with a ReplicaSet owner: the pod-template-hash label (the ReplicaSet is `<deployment>-<hash>`). */
  templateHash?: string;
  containers: ContainerStatusOptions[];
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  hostNetwork?: boolean;
  nodeName?: string;
  deleting?: boolean;
  /** Claims mounted as volumes (spec.volumes[].persistentVolumeClaim). */
  claims?: string[];
  /** Not scheduled: PodScheduled=False (reason Unschedulable) with the scheduler's message; no node. */
  unschedulable?: string;
}

function containerState(s: ContainerState | undefined): Json {
  if (!s || 'running' in s) return { running: { startedAt: '2026-11-21T09:00:05Z' } };
  if ('waiting' in s) return { waiting: { reason: s.waiting, ...(s.message ? { message: s.message } : {}) } };
  return {
    terminated: {
      exitCode: s.exitCode,
      reason: s.terminated,
      startedAt: '2026-11-21T09:00:05Z',
      finishedAt: '2026-11-21T09:01:05Z',
      containerID: 'containerd://3b1f0c',
    },
  };
}

/** Pod — https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/ (ContainerStatus under PodStatus). */
export function pod(namespace: string, name: string, o: PodOptions): Json {
  const phase = o.phase ?? 'Running';
  const allReady = o.containers.every((c) => c.ready ?? true);
  const labels: Record<string, string> = { app: name.replace(/-[a-z0-9]{5}$/, '') };
  if (o.templateHash) labels['pod-template-hash'] = o.templateHash;
  return {
    metadata: meta(name, namespace, {
      generateName: name.replace(/[a-z0-9]{5}$/, ''),
      labels,
      ...(o.owner
        ? {
            ownerReferences: [
              {
                apiVersion: o.owner.kind === 'Job' ? 'batch/v1' : 'apps/v1',
                kind: o.owner.kind,
                name: o.owner.name,
                uid: uid(`${namespace}/${o.owner.name}`),
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          }
        : {}),
      ...(o.deleting ? { deletionTimestamp: '2026-11-21T10:00:00Z', deletionGracePeriodSeconds: 30 } : {}),
    }),
    spec: {
      ...(o.unschedulable ? {} : { nodeName: o.nodeName ?? 'edge-1' }),
      ...(o.hostNetwork ? { hostNetwork: true } : {}),
      ...(o.claims
        ? {
            volumes: o.claims.map((claimName) => ({
              name: claimName,
              persistentVolumeClaim: { claimName },
            })),
          }
        : {}),
      restartPolicy: o.owner?.kind === 'Job' ? 'OnFailure' : 'Always',
      containers: o.containers.map((c) => ({
        name: c.name,
        image: 'docker.io/rustdesk/rustdesk-server:1.1.14',
      })),
    },
    // A pod the scheduler cannot place has only PodScheduled=False, no node, no IPs, no container statuses.
    status: o.unschedulable
      ? {
          phase: 'Pending',
          conditions: [
            {
              type: 'PodScheduled',
              status: 'False',
              reason: 'Unschedulable',
              message: o.unschedulable,
              lastProbeTime: null,
              lastTransitionTime: CREATED,
            },
          ],
          qosClass: 'BestEffort',
        }
      : {
          phase,
          conditions: [
            { type: 'PodReadyToStartContainers', status: 'True', lastTransitionTime: CREATED },
            { type: 'Initialized', status: 'True', lastTransitionTime: CREATED },
            { type: 'Ready', status: allReady ? 'True' : 'False', lastTransitionTime: CREATED },
            { type: 'ContainersReady', status: allReady ? 'True' : 'False', lastTransitionTime: CREATED },
            { type: 'PodScheduled', status: 'True', lastTransitionTime: CREATED },
          ],
          hostIP: '192.168.1.10',
          podIP: o.hostNetwork ? '192.168.1.10' : '10.42.0.17',
          startTime: CREATED,
          qosClass: 'BestEffort',
          containerStatuses: o.containers.map((c) => ({
            name: c.name,
            state: containerState(c.state),
            ...(c.lastTerminated
              ? {
                  lastState: {
                    terminated: {
                      exitCode: c.lastTerminated.exitCode,
                      reason: c.lastTerminated.reason,
                      startedAt: '2026-11-21T09:00:05Z',
                      finishedAt: '2026-11-21T09:00:06Z',
                      containerID: 'containerd://9a7e21',
                    },
                  },
                }
              : { lastState: {} }),
            ready: c.ready ?? true,
            restartCount: c.restarts ?? 0,
            image: 'docker.io/rustdesk/rustdesk-server:1.1.14',
            imageID: 'docker.io/rustdesk/rustdesk-server@sha256:5b2c',
            containerID: 'containerd://3b1f0c',
            started: c.state === undefined || 'running' in c.state,
          })),
        },
  };
}

export interface EventOptions {
  involved: { kind: string; namespace?: string; name: string; apiVersion?: string };
  reason: string;
  message: string;
  type?: 'Normal' | 'Warning';
  count?: number;
  lastTimestamp?: string;
  /** The component that reported it (default kubelet on edge-1). */
  source?: string;
}

/** The apiVersion an involvedObject reference carries for the kinds the stand-in serves. */
function apiVersionOf(kind: string): string {
  if (['Node', 'Pod', 'PersistentVolumeClaim', 'Namespace'].includes(kind)) return 'v1';
  if (kind === 'Job') return 'batch/v1';
  if (kind === 'HelmChart') return 'helm.cattle.io/v1';
  if (kind === 'Volume') return 'longhorn.io/v1beta2';
  return 'apps/v1';
}

/** Event (core/v1) — https://kubernetes.io/docs/reference/kubernetes-api/cluster-resources/event-v1/ */
export function event(namespace: string, o: EventOptions): Json {
  const name = `${o.involved.name}.${(++eventCounter).toString(16).padStart(16, '0')}`;
  return {
    metadata: meta(name, namespace),
    involvedObject: {
      kind: o.involved.kind,
      namespace: o.involved.namespace ?? namespace,
      name: o.involved.name,
      uid: uid(`${o.involved.namespace ?? namespace}/${o.involved.name}`),
      apiVersion: o.involved.apiVersion ?? apiVersionOf(o.involved.kind),
    },
    reason: o.reason,
    message: o.message,
    source: o.source ? { component: o.source } : { component: 'kubelet', host: 'edge-1' },
    firstTimestamp: CREATED,
    lastTimestamp: o.lastTimestamp ?? '2026-11-21T10:00:00Z',
    count: o.count ?? 1,
    type: o.type ?? 'Warning',
    eventTime: null,
    reportingComponent: o.source ?? 'kubelet',
    reportingInstance: o.source ? '' : 'edge-1',
  };
}

export interface ClaimOptions {
  phase?: 'Pending' | 'Bound' | 'Lost';
  /** spec.storageClassName; null leaves it unset (no class, no default). */
  storageClass?: string | null;
  request?: string;
  /** status.capacity.storage once bound (default: the request). */
  capacity?: string;
  /** The provisioner recorded by the PV controller (volume.kubernetes.io/storage-provisioner). */
  provisioner?: string;
  /** The node the scheduler picked for a WaitForFirstConsumer claim (volume.kubernetes.io/selected-node). */
  selectedNode?: string;
  /** status.conditions, e.g. Resizing. */
  conditions?: Json[];
}

/**
 * PersistentVolumeClaim — https://kubernetes.io/docs/reference/kubernetes-api/config-and-storage-resources/persistent-volume-claim-v1/
 * Annotations as the PV controller and the scheduler set them (k8s pkg/controller/volume/persistentvolume,
 * `pv.kubernetes.io/bind-completed`, `volume.kubernetes.io/storage-provisioner`,
 * `volume.kubernetes.io/selected-node`); finalizer `kubernetes.io/pvc-protection`.
 */
export function persistentVolumeClaim(namespace: string, name: string, o: ClaimOptions = {}): Json {
  const phase = o.phase ?? 'Bound';
  const request = o.request ?? '1Gi';
  const volumeName = `pvc-${uid(`${namespace}/${name}`)}`;
  const annotations: Record<string, string> = {};
  if (phase !== 'Pending') {
    annotations['pv.kubernetes.io/bind-completed'] = 'yes';
    annotations['pv.kubernetes.io/bound-by-controller'] = 'yes';
  }
  if (o.provisioner) {
    annotations['volume.beta.kubernetes.io/storage-provisioner'] = o.provisioner;
    annotations['volume.kubernetes.io/storage-provisioner'] = o.provisioner;
  }
  if (o.selectedNode) annotations['volume.kubernetes.io/selected-node'] = o.selectedNode;
  const storageClassName = o.storageClass === undefined ? 'local-path' : o.storageClass;
  return {
    metadata: meta(name, namespace, {
      annotations,
      finalizers: ['kubernetes.io/pvc-protection'],
    }),
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: request } },
      ...(storageClassName !== null ? { storageClassName } : {}),
      volumeMode: 'Filesystem',
      ...(phase !== 'Pending' ? { volumeName } : {}),
    },
    status: {
      phase,
      ...(phase === 'Bound'
        ? { accessModes: ['ReadWriteOnce'], capacity: { storage: o.capacity ?? request } }
        : {}),
      ...(o.conditions ? { conditions: o.conditions } : {}),
    },
  };
}

export interface StorageClassOptions {
  provisioner: string;
  bindingMode?: 'Immediate' | 'WaitForFirstConsumer';
  isDefault?: boolean;
  allowExpansion?: boolean;
  parameters?: Record<string, string>;
}

/**
 * StorageClass — https://kubernetes.io/docs/reference/kubernetes-api/config-and-storage-resources/storage-class-v1/
 * (cluster-scoped; `storageclass.kubernetes.io/is-default-class` marks the default). K3s ships `local-path`
 * (rancher.io/local-path, WaitForFirstConsumer, default); Longhorn's chart `longhorn` (driver.longhorn.io).
 */
export function storageClass(name: string, o: StorageClassOptions): Json {
  return {
    metadata: meta(name, undefined, {
      ...(o.isDefault ? { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } : {}),
    }),
    provisioner: o.provisioner,
    reclaimPolicy: 'Delete',
    volumeBindingMode: o.bindingMode ?? 'Immediate',
    ...(o.allowExpansion !== undefined ? { allowVolumeExpansion: o.allowExpansion } : {}),
    ...(o.parameters ? { parameters: o.parameters } : {}),
  };
}

export interface HelmChartOptions {
  /** JobCreated=True (Job created) unless false. */
  jobCreated?: boolean;
  /** Failed=True with helm-controller's reason and message. */
  failed?: { reason: string; message: string };
  chart?: string;
  repo?: string;
  version?: string;
  generation?: number;
}

/**
 * K3s HelmChart (helm.cattle.io/v1) — k3s-io/helm-controller pkg/apis/helm.cattle.io/v1/types.go
 * (HelmChartStatus: jobName, conditions of HelmChartCondition {type, status, reason, message}) with the
 * conditions its controller sets in pkg/controllers/chart/chart.go: `JobCreated` True "Job created" /
 * "Applying HelmChart using Job <ns>/helm-install-<name>", `Failed` False, or True with reasons such as
 * "Job failed" / "Job has reached configured number of retries without succeeding" and "Job create failed".
 */
export function helmChart(namespace: string, name: string, o: HelmChartOptions = {}): Json {
  const jobName = `helm-install-${name}`;
  const created = o.jobCreated ?? true;
  return {
    metadata: meta(name, namespace, { generation: o.generation ?? 1 }),
    spec: {
      chart: o.chart ?? name,
      repo: o.repo ?? `https://charts.${name}.io`,
      ...(o.version ? { version: o.version } : {}),
      targetNamespace: `${name}-system`,
      createNamespace: true,
    },
    status: {
      ...(created ? { jobName } : {}),
      conditions: [
        created
          ? {
              type: 'JobCreated',
              status: 'True',
              reason: 'Job created',
              message: `Applying HelmChart using Job ${namespace}/${jobName}`,
            }
          : { type: 'JobCreated', status: 'False' },
        o.failed
          ? { type: 'Failed', status: 'True', reason: o.failed.reason, message: o.failed.message }
          : { type: 'Failed', status: 'False' },
      ],
    },
  };
}

export interface LonghornVolumeOptions {
  state?: 'creating' | 'attached' | 'detached' | 'attaching' | 'detaching' | 'deleting';
  robustness?: 'healthy' | 'degraded' | 'faulted' | 'unknown';
  size?: string;
  replicas?: number;
  /** The claim it backs (status.kubernetesStatus). */
  claim?: { namespace: string; name: string };
  /** Labels the operator put on the volume (Longhorn itself labels only engines and replicas). */
  labels?: Record<string, string>;
  /** Scheduled condition: true, or the failure reason (ReplicaSchedulingFailure). */
  scheduled?: true | { reason: string; message: string };
}

/**
 * Longhorn Volume (longhorn.io/v1beta2) — longhorn/longhorn-manager k8s/pkg/apis/longhorn/v1beta2/volume.go:
 * status.state (creating|attached|detached|…), status.robustness (healthy|degraded|faulted|unknown),
 * status.kubernetesStatus, status.conditions with types Scheduled, Restore, TooManySnapshots,
 * WaitForBackingImage (Longhorn's Condition: type, status, lastProbeTime, lastTransitionTime, reason, message).
 */
export function longhornVolume(name: string, o: LonghornVolumeOptions = {}): Json {
  const bytes = String(o.size ? quantityBytes(o.size) : 1073741824);
  const scheduled = o.scheduled ?? true;
  const cond = (type: string, status: boolean, reason = '', message = '') => ({
    type,
    status: status ? 'True' : 'False',
    lastProbeTime: '',
    lastTransitionTime: CREATED,
    reason,
    message,
  });
  return {
    metadata: meta(name, 'longhorn-system', {
      generation: 1,
      ...(o.labels ? { labels: o.labels } : {}),
      finalizers: ['longhorn.io'],
    }),
    spec: {
      size: bytes,
      numberOfReplicas: o.replicas ?? 3,
      frontend: 'blockdev',
      dataEngine: 'v1',
      accessMode: 'rwo',
      dataLocality: 'disabled',
    },
    status: {
      ownerID: 'edge-1',
      state: o.state ?? 'attached',
      robustness: o.robustness ?? 'healthy',
      currentNodeID: (o.state ?? 'attached') === 'attached' ? 'edge-1' : '',
      kubernetesStatus: {
        pvName: o.claim ? `pvc-${uid(`${o.claim.namespace}/${o.claim.name}`)}` : '',
        pvStatus: o.claim ? 'Bound' : '',
        namespace: o.claim?.namespace ?? '',
        pvcName: o.claim?.name ?? '',
        lastPVCRefAt: '',
        workloadsStatus: null,
        lastPodRefAt: '',
      },
      conditions: [
        scheduled === true
          ? cond('Scheduled', true)
          : cond('Scheduled', false, scheduled.reason, scheduled.message),
        cond('Restore', false),
        cond('TooManySnapshots', false),
        cond('WaitForBackingImage', false),
      ],
      actualSize: 0,
    },
  };
}

/** Bytes of a binary-suffixed quantity the builders use (1Gi, 512Mi). */
function quantityBytes(q: string): number {
  const m = /^(\d+)(Ki|Mi|Gi|Ti)?$/.exec(q);
  if (!m) throw new Error(`unsupported quantity ${q}`);
  const exp = { Ki: 1, Mi: 2, Gi: 3, Ti: 4 }[m[2] as 'Ki'] ?? 0;
  return Number(m[1]) * 1024 ** exp;
}

/** The packaged K3s add-ons in kube-system as a healthy single-node K3s 1.32 shows them. */
export function k3sSystem(): {
  deployments: Json[];
  daemonsets: Json[];
  jobs: Json[];
  pods: Json[];
} {
  const deployments = ['coredns', 'local-path-provisioner', 'metrics-server', 'traefik'].map((n) =>
    deployment('kube-system', n, { containers: [{ name: n }] }),
  );
  const daemonsets = [
    daemonSet('kube-system', 'svclb-traefik-1c0a6f3e', {
      containers: [{ name: 'lb-tcp-80' }, { name: 'lb-tcp-443' }],
    }),
  ];
  const jobs = [
    job('kube-system', 'helm-install-traefik-crd', { complete: true }),
    job('kube-system', 'helm-install-traefik', { complete: true }),
  ];
  const pods: Json[] = [
    ...['coredns', 'local-path-provisioner', 'metrics-server', 'traefik'].map((n, i) =>
      pod('kube-system', `${n}-7b98449c4-${['p2xkq', 'r8v6n', 'm4t9c', 'h7w3d'][i]}`, {
        owner: { kind: 'ReplicaSet', name: `${n}-7b98449c4` },
        templateHash: '7b98449c4',
        containers: [{ name: n }],
      }),
    ),
    pod('kube-system', 'svclb-traefik-1c0a6f3e-q8w7z', {
      owner: { kind: 'DaemonSet', name: 'svclb-traefik-1c0a6f3e' },
      containers: [{ name: 'lb-tcp-80' }, { name: 'lb-tcp-443' }],
    }),
    pod('kube-system', 'helm-install-traefik-crd-k4m2p', {
      owner: { kind: 'Job', name: 'helm-install-traefik-crd' },
      phase: 'Succeeded',
      containers: [{ name: 'helm', ready: false, state: { terminated: 'Completed', exitCode: 0 } }],
    }),
    pod('kube-system', 'helm-install-traefik-6tq9s', {
      owner: { kind: 'Job', name: 'helm-install-traefik' },
      phase: 'Succeeded',
      containers: [{ name: 'helm', ready: false, state: { terminated: 'Completed', exitCode: 0 } }],
    }),
  ];
  return { deployments, daemonsets, jobs, pods };
}
