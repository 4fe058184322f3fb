import * as o from './objects.js';
import type { ClusterState, Scenario } from './server.js';

/**
 * The proof workload of the platform on a single-node K3s: RustDesk's hbbs and hbbr with hostNetwork in
 * namespace `rustdesk`, next to the packaged K3s add-ons. Options script how it behaves over time.
 */
export interface RustdeskOptions {
  /** hbbs is rolled out and ready this long after the first request (0: from the start). */
  hbbsReadyAfterMs?: number;
  /** hbbs crash-loops (waiting CrashLoopBackOff, growing restarts) instead of becoming ready. */
  hbbsCrashLoop?: boolean;
  /** hbbs restarts: a function of the elapsed time (it stays Running, ready between restarts). */
  hbbsRestarts?: (elapsedMs: number) => number;
  /** The containers hbbs really has (default: hbbs). */
  hbbsContainers?: string[];
  /** The node turns NotReady (kubelet stopped posting status). */
  nodeNotReady?: boolean;
  /** Extra running pods in other namespaces (a big cluster). */
  fillerPods?: number;
  /** hbbs strategy; RollingUpdate with hostNetwork on one node is the deadlock the action warns about. */
  hbbsStrategy?: 'RollingUpdate' | 'Recreate';
  /**
   * hbbs mounts the claim `hbbs-data`: Bound, or Pending with the PV controller's event (then the hbbs pod
   * stays unscheduled — "pod has unbound immediate PersistentVolumeClaims" — and hbbs unavailable).
   */
  hbbsClaim?: {
    storageClass?: string;
    phase?: (elapsedMs: number) => 'Pending' | 'Bound' | 'Lost';
    event?: { reason: string; message: string; type?: 'Normal' | 'Warning' };
  };
  /** Custom resources over time (ClusterState.custom: a key present means its CRD is installed). */
  custom?: (elapsedMs: number) => Record<string, o.Json[]>;
  /**
   * Tool output an attacker shapes: the crashed hbbs log, its events and the claim's event carry workflow
   * commands (`::save-state`, `::set-output`, `::add-mask::`, `::error::`, `##[set-output …]`).
   */
  hostileText?: string[];
}

const HASH_HBBS = '5d4f8c7b9';
const HASH_HBBR = '7c9b6f5d8';
export const HBBS_POD = `hbbs-${HASH_HBBS}-x2x7k`;
export const HBBR_POD = `hbbr-${HASH_HBBR}-m9q4t`;

const HBBS_LOG = [
  '[2026-11-21 10:00:01.101] INFO [src/rendezvous_server.rs:138] Key: J3P4nNv1Rk2uXJ0hsZ6b3Q==',
  '[2026-11-21 10:00:01.102] INFO [src/rendezvous_server.rs:152] Listening on tcp/udp :21116',
  '[2026-11-21 10:00:01.103] INFO [src/rendezvous_server.rs:153] Listening on tcp :21115, extra port for NAT test',
  '[2026-11-21 10:00:01.104] INFO [src/rendezvous_server.rs:154] Listening on websocket :21118',
].join('\n');
const HBBS_CRASH_LOG = [
  '[2026-11-21 10:00:01.101] INFO [src/common.rs:122] Private key comes from id_ed25519',
  '[2026-11-21 10:00:01.102] ERROR [src/rendezvous_server.rs:110] Failed to bind 0.0.0.0:21116: Address already in use (os error 98)',
  "thread 'main' panicked at src/main.rs:41:5: bind failed",
].join('\n');

function filler(n: number): o.Json[] {
  const out: o.Json[] = [];
  for (let i = 0; i < n; i++) {
    const app = `app-${Math.floor(i / 10)}`;
    out.push(
      o.pod(`load-${i % 50}`, `${app}-6b8f9c7d5-${i.toString(36).padStart(5, '0')}`, {
        owner: { kind: 'ReplicaSet', name: `${app}-6b8f9c7d5` },
        templateHash: '6b8f9c7d5',
        containers: [{ name: 'app' }],
      }),
    );
  }
  return out;
}

/** K3s' own default class and the one Longhorn's chart installs. */
export const STORAGE_CLASSES = [
  o.storageClass('local-path', {
    provisioner: 'rancher.io/local-path',
    bindingMode: 'WaitForFirstConsumer',
    isDefault: true,
  }),
  o.storageClass('longhorn', {
    provisioner: 'driver.longhorn.io',
    allowExpansion: true,
    parameters: { numberOfReplicas: '3', staleReplicaTimeout: '30' },
  }),
];

export function rustdeskScenario(opt: RustdeskOptions = {}): Scenario {
  const system = o.k3sSystem();
  const fillers = filler(opt.fillerPods ?? 0);
  const hbbsContainers = opt.hbbsContainers ?? ['hbbs'];
  const hostile = opt.hostileText ?? [];
  return (elapsed: number): ClusterState => {
    const claimPhase = opt.hbbsClaim ? (opt.hbbsClaim.phase?.(elapsed) ?? 'Bound') : undefined;
    const claimWaits = claimPhase !== undefined && claimPhase !== 'Bound';
    const ready = !opt.hbbsCrashLoop && !claimWaits && elapsed >= (opt.hbbsReadyAfterMs ?? 0);
    const restarts = opt.hbbsCrashLoop ? 4 : (opt.hbbsRestarts?.(elapsed) ?? 0);
    const hbbsTemplate = {
      hostNetwork: true,
      ...(opt.hbbsClaim ? { claims: ['hbbs-data'] } : {}),
      containers: hbbsContainers.map((name) => ({
        name,
        ports: [
          { containerPort: 21115 },
          { containerPort: 21116 },
          { containerPort: 21116, protocol: 'UDP' as const },
          { containerPort: 21118 },
        ],
      })),
    };
    const hbbs = o.deployment('rustdesk', 'hbbs', {
      ...hbbsTemplate,
      strategy: opt.hbbsStrategy ?? 'RollingUpdate',
      generation: 2,
      observedGeneration: 2,
      revision: 2,
      updated: ready || opt.hbbsCrashLoop ? 1 : 0,
      statusReplicas: 1,
      available: ready ? 1 : 0,
    });
    const hbbr = o.deployment('rustdesk', 'hbbr', {
      hostNetwork: true,
      strategy: 'Recreate',
      containers: [{ name: 'hbbr', ports: [{ containerPort: 21117 }, { containerPort: 21119 }] }],
    });
    const hbbsPod = o.pod('rustdesk', HBBS_POD, {
      owner: { kind: 'ReplicaSet', name: `hbbs-${HASH_HBBS}` },
      templateHash: HASH_HBBS,
      hostNetwork: true,
      ...(opt.hbbsClaim ? { claims: ['hbbs-data'] } : {}),
      ...(claimWaits
        ? {
            unschedulable:
              '0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.',
          }
        : {}),
      containers: hbbsContainers.map((name) =>
        opt.hbbsCrashLoop
          ? {
              name,
              ready: false,
              restarts,
              state: {
                waiting: 'CrashLoopBackOff',
                message: `back-off 40s restarting failed container=${name} pod=${HBBS_POD}_rustdesk(3f1c)`,
              },
              lastTerminated: { reason: 'Error', exitCode: 101 },
            }
          : {
              name,
              ready,
              restarts,
              state: ready ? { running: true } : { waiting: 'ContainerCreating' },
              ...(restarts > 0 ? { lastTerminated: { reason: 'Error', exitCode: 1 } } : {}),
            },
      ),
    });
    const hbbrPod = o.pod('rustdesk', HBBR_POD, {
      owner: { kind: 'ReplicaSet', name: `hbbr-${HASH_HBBR}` },
      templateHash: HASH_HBBR,
      hostNetwork: true,
      containers: [{ name: 'hbbr' }],
    });
    const events: o.Json[] = [
      o.event('rustdesk', {
        involved: { kind: 'Pod', name: HBBS_POD },
        reason: 'Scheduled',
        type: 'Normal',
        message: `Successfully assigned rustdesk/${HBBS_POD} to edge-1`,
        lastTimestamp: '2026-11-21T10:00:00Z',
      }),
      ...(opt.hbbsCrashLoop
        ? [
            o.event('rustdesk', {
              involved: { kind: 'Pod', name: HBBS_POD },
              reason: 'BackOff',
              message: ['Back-off restarting failed container hbbs in pod hbbs', ...hostile].join('\n'),
              count: 7,
              lastTimestamp: '2026-11-21T10:03:00Z',
            }),
          ]
        : []),
      ...(opt.hbbsClaim?.event && claimWaits
        ? [
            o.event('rustdesk', {
              involved: { kind: 'PersistentVolumeClaim', name: 'hbbs-data' },
              reason: opt.hbbsClaim.event.reason,
              message: [opt.hbbsClaim.event.message, ...hostile].join('\n'),
              type: opt.hbbsClaim.event.type ?? 'Warning',
              source: 'persistentvolume-controller',
              lastTimestamp: '2026-11-21T10:01:00Z',
            }),
          ]
        : []),
      o.event('default', {
        involved: { kind: 'Node', name: 'edge-1', namespace: '' },
        reason: opt.nodeNotReady ? 'NodeNotReady' : 'NodeReady',
        message: opt.nodeNotReady
          ? 'Node edge-1 status is now: NodeNotReady'
          : 'Node edge-1 status is now: NodeReady',
      }),
    ];
    return {
      nodes: [o.node('edge-1', { ready: !opt.nodeNotReady })],
      pods: [...system.pods, hbbsPod, hbbrPod, ...fillers],
      deployments: [...system.deployments, hbbs, hbbr],
      daemonsets: system.daemonsets,
      statefulsets: [],
      jobs: system.jobs,
      events,
      persistentvolumeclaims: opt.hbbsClaim
        ? [
            o.persistentVolumeClaim('rustdesk', 'hbbs-data', {
              phase: claimPhase,
              storageClass: opt.hbbsClaim.storageClass ?? 'local-path',
              provisioner: STORAGE_CLASSES.find(
                (c) =>
                  (c.metadata as { name: string }).name === (opt.hbbsClaim!.storageClass ?? 'local-path'),
              )?.provisioner as string | undefined,
            }),
          ]
        : [],
      storageclasses: STORAGE_CLASSES,
      ...(opt.custom ? { custom: opt.custom(elapsed) } : {}),
      logs: {
        [`rustdesk/${HBBS_POD}/hbbs`]: opt.hbbsCrashLoop ? '' : HBBS_LOG,
        [`rustdesk/${HBBS_POD}/hbbs/previous`]: [HBBS_CRASH_LOG, ...hostile].join('\n'),
        [`rustdesk/${HBBR_POD}/hbbr`]:
          '[2026-11-21 10:00:01.200] INFO [src/relay_server.rs:60] Listening on tcp :21117',
      },
    };
  };
}
