import { ActionError, InputError } from '../../../../shared/errors.js';
import type { Inventory } from '../colmena/node-selector.js';
import type { NodeTarget } from '../ssh/node-ssh.js';
import { sshDestination } from '../ssh/remote-command.js';
import type { Check } from './checks.js';
import type { NodeOps } from './node-ops.js';
import type { NodePaths } from './node-scripts.js';
import { SafetyNet } from './safety-net.js';

/** The settings the safety net reads (a subset of the action's inputs). */
export interface SafetyInputs {
  goal: string;
  reboot: boolean;
  rollback: boolean;
  healthCheck: boolean;
  checks?: readonly Check[];
  confirmTimeout: number;
  checkTimeout: number;
  allowDegraded: boolean;
  systemProfile: string;
  currentSystem: string;
}

export function validateSafetyNet(s: SafetyInputs): void {
  // A boot activation takes effect at the next boot, and no timer armed now survives a reboot: refusing
  // is better than an operator believing the next boot is protected.
  if (s.rollback && s.goal === 'boot') {
    throw new InputError(
      'rollback',
      "'false' with goal boot (it takes effect at the next boot, and no timer armed now survives a reboot; use health-check with reboot, or goal switch)",
      "'true' with goal 'boot'",
    );
  }
}

/**
 * Whether the safety net runs: rollback, health-check or checks ask for it, and only a goal that runs
 * something new now can be checked (switch, test, boot with reboot). For the others (build, push,
 * dry-activate, upload-keys, boot without reboot) it is skipped with a warning, so one workflow can pass
 * any goal.
 */
export function safetyNetMode(s: SafetyInputs): { enabled: boolean; skipped?: string } {
  const wanted = s.rollback || s.healthCheck || (s.checks?.length ?? 0) > 0;
  if (!wanted) return { enabled: false };
  const activatesNow = s.goal === 'switch' || s.goal === 'test' || (s.goal === 'boot' && s.reboot);
  if (activatesNow) return { enabled: true };
  return {
    enabled: false,
    skipped: `rollback, health-check and checks are skipped: goal '${s.goal}'${s.goal === 'boot' ? ' without reboot' : ''} activates nothing now that could be checked.`,
  };
}

/** The nodes the safety net watches: the selected ones colmena can reach (it skips those without a host). */
export function nodeTargets(inventory: Inventory, selected: readonly string[]): NodeTarget[] {
  const targets: NodeTarget[] = [];
  for (const name of selected) {
    const n = inventory.get(name);
    if (!n?.targetHost) continue;
    const user = n.targetUser === undefined ? 'root' : n.targetUser;
    if (!sshDestination(user, n.targetHost)) {
      throw new ActionError(
        'invalid-input',
        `Node ${name} has a deployment.targetHost or targetUser the action cannot pass to ssh safely (it starts with '-' or has spaces or shell characters).`,
        'Fix the node in the hive; nothing was deployed.',
      );
    }
    targets.push({
      name,
      host: n.targetHost,
      port: n.targetPort,
      user,
      sshOptions: n.sshOptions ?? [],
      privilegeEscalation: n.privilegeEscalationCommand ?? ['sudo', '-H', '--'],
    });
  }
  return targets;
}

export function createSafetyNet(
  s: SafetyInputs,
  o: {
    nodeOps(paths: NodePaths): NodeOps;
    inventory: Inventory;
    selected: readonly string[];
    runId: string;
    clock: { now(): number; pause(ms: number): Promise<void> };
  },
): SafetyNet {
  const paths = { profile: s.systemProfile, currentSystem: s.currentSystem };
  return new SafetyNet(
    o.nodeOps(paths),
    nodeTargets(o.inventory, o.selected),
    {
      rollback: s.rollback,
      // Only switch and test are rolled back; boot (with reboot) is only checked.
      goal: s.goal === 'test' ? 'test' : 'switch',
      reboot: s.reboot,
      confirmMs: s.confirmTimeout,
      checkTimeoutMs: s.checkTimeout,
      allowDegraded: s.allowDegraded,
      checks: s.checks ?? [],
      paths,
      runId: o.runId,
    },
    o.clock,
  );
}
