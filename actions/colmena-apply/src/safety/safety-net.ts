import { randomBytes } from 'node:crypto';
import { ActionError } from '../../../../shared/errors.js';
import { formatDuration } from '../../../../shared/inputs.js';
import * as log from '../../../../shared/log.js';
import type { NodeTarget } from '../ssh/node-ssh.js';
import type { Check } from './checks.js';
import type { NodeOps } from './node-ops.js';
import {
  revertCommand,
  type Generation,
  type NodePaths,
  type RollbackGoal,
  type SystemState,
} from './node-scripts.js';
import { verifyNode, type NodeVerification, type TimerInfo } from './verify-node.js';

/**
 * The safety net around colmena's activation (issue 18): record each node's generation before anything
 * is deployed, arm a dead-man timer on each node just before the activating colmena run, then verify
 * every node and cancel, switch back or report. Nodes are handled in parallel; each node's transcript is
 * printed in its own log group afterwards (neutralised: it quotes node output).
 */
export interface SafetySettings {
  rollback: boolean;
  goal: RollbackGoal;
  reboot: boolean;
  confirmMs: number;
  checkTimeoutMs: number;
  allowDegraded: boolean;
  checks: readonly Check[];
  paths: NodePaths;
  runId: string;
}

interface Recorded {
  /** The links as absolute paths on this node: the timer's command must not depend on a login directory. */
  paths: NodePaths;
  generation: Generation;
  state?: SystemState;
  nixEnv?: string;
}

/** A colmena node result, as the verification needs it. */
export interface ColmenaNodeResult {
  name: string;
  result: string;
  lastPhase: string;
  error: string | null;
}

const SSH_SLACK_MS = 35_000;

export class SafetyNet {
  private readonly recorded = new Map<string, Recorded>();
  private readonly timers = new Map<string, TimerInfo>();
  readonly unit: string;

  constructor(
    private readonly ops: NodeOps,
    private readonly targets: readonly NodeTarget[],
    private readonly s: SafetySettings,
    private readonly clock: { now(): number; pause(ms: number): Promise<void> },
  ) {
    // Unique per step run: two deployments in one job, or a re-run, never share a unit name.
    this.unit = `colmena-apply-rollback-${s.runId.replace(/[^A-Za-z0-9-]/g, '')}-${randomBytes(3).toString('hex')}`;
  }

  /** Each node's generation before anything is deployed; fails closed. */
  async record(deadline: number): Promise<void> {
    const results = await Promise.all(
      this.targets.map(async (t) => {
        const limit = Math.max(1000, Math.min(this.s.checkTimeoutMs, deadline - this.clock.now()));
        const p = await this.ops.probe(t, {
          withState: true,
          stateLimitMs: limit,
          timeoutMs: limit + SSH_SLACK_MS,
        });
        return { t, p };
      }),
    );
    const unreachable = results.filter((r) => !r.p.reached);
    for (const { t, p } of results) {
      log.startGroup(`${t.name}: record the system generation`);
      log.lines(p.lines);
      if (p.reached && p.result.generation) {
        const g = p.result.generation;
        log.info(`generation ${g.generation} (${g.profileLink} -> ${g.profileSystem}); running ${g.running}`);
        log.info(`system state: ${p.result.systemState?.state ?? 'unknown'}`);
      } else if (!p.reached) log.info(`not reached: ${p.why}`);
      log.endGroup();
    }
    const hostKey = unreachable.filter((r) => !r.p.reached && r.p.hostKey);
    if (hostKey.length > 0) {
      throw new ActionError(
        'host-key',
        `SSH host key verification failed for ${hostKey.map((r) => r.t.name).join(', ')} while recording the system generation; nothing was deployed.`,
        'Pin the verified host key in known-hosts (or the runner known_hosts); an unexpected change may be an attack.',
      );
    }
    if (unreachable.length > 0) {
      const why = unreachable.map((r) => `${r.t.name} (${r.p.reached ? '' : r.p.why})`).join(', ');
      throw new ActionError(
        'unreachable',
        `Could not read the system generation of ${why} before deploying; nothing was deployed.`,
        'The action reaches the nodes over the same ssh path as colmena (targetHost, targetUser, ssh-config, known-hosts): check that path.',
      );
    }
    const unusable: string[] = [];
    for (const { t, p } of results) {
      if (!p.reached) continue;
      const g = p.result.generation;
      if (!g || !p.result.paths) unusable.push(`${t.name}: ${p.result.generationError}`);
      else if (this.s.goal === 'switch' && !p.result.nixEnv)
        unusable.push(`${t.name}: nix-env was not found`);
      else
        this.recorded.set(t.name, {
          paths: p.result.paths,
          generation: g,
          state: p.result.systemState,
          nixEnv: p.result.nixEnv,
        });
    }
    if (unusable.length > 0) {
      throw new ActionError(
        'rollback-unavailable',
        `No generation to switch back to on ${unusable.join('; ')}; nothing was deployed.`,
        "Check 'system-profile' and 'current-system' (NixOS: /nix/var/nix/profiles/system, /run/current-system).",
      );
    }
  }

  /** Arms the dead-man timer on every node; if one fails, the others are cancelled and nothing activates. */
  async arm(deadline: number): Promise<void> {
    const failed: string[] = [];
    await Promise.all(
      this.targets.map(async (t) => {
        const rec = this.recorded.get(t.name)!;
        const revert = revertCommand(this.s.goal, rec.generation, rec.paths.profile, rec.nixEnv);
        const armedAt = this.clock.now();
        const limit = Math.max(1000, Math.min(this.s.checkTimeoutMs + SSH_SLACK_MS, deadline - armedAt));
        const r = await this.ops.arm(
          t,
          {
            unit: this.unit,
            seconds: this.s.confirmMs / 1000,
            paths: rec.paths,
            recorded: rec.generation,
            revert,
          },
          limit,
        );
        log.startGroup(`${t.name}: arm the rollback timer ${this.unit}`);
        log.info(`in ${formatDuration(this.s.confirmMs)} it runs: ${revert}`);
        log.lines(r.lastLines);
        log.endGroup();
        if (!r.ok) {
          failed.push(
            `${t.name} (${r.sshFailed ? 'connection failed' : `exit ${r.exitCode}`}: ${r.lastLines.at(-1) ?? 'no output'})`,
          );
          return;
        }
        this.timers.set(t.name, {
          unit: this.unit,
          armedAt,
          confirmMs: this.s.confirmMs,
          firesBy: this.clock.now() + this.s.confirmMs + 1000,
          lostInReboot: this.s.reboot,
        });
      }),
    );
    if (failed.length === 0) return;
    const armed = this.targets.filter((t) => this.timers.has(t.name));
    await Promise.all(
      armed.map((t) =>
        this.ops.cancel(t, this.unit, Math.max(1000, Math.min(60_000, deadline - this.clock.now()))),
      ),
    );
    this.timers.clear();
    throw new ActionError(
      'rollback-unavailable',
      `Could not arm the rollback timer on ${failed.join(', ')}; nothing was activated${armed.length > 0 ? ` (the timers on ${armed.map((t) => t.name).join(', ')} were cancelled)` : ''}.`,
      'The nodes need systemd-run and a system profile that did not change since the record; see the node log groups.',
    );
  }

  /** Verifies every node colmena was asked to deploy. */
  async verify(colmena: readonly ColmenaNodeResult[], deadline: number): Promise<NodeVerification[]> {
    const results = await Promise.all(
      this.targets.map((t) => {
        const rec = this.recorded.get(t.name);
        const c = colmena.find((n) => n.name === t.name);
        return verifyNode(
          {
            target: t,
            before: rec?.generation,
            beforeState: rec?.state,
            nixEnv: rec?.nixEnv,
            paths: rec?.paths,
            timer: this.timers.get(t.name),
            colmena: c && { result: c.result, lastPhase: c.lastPhase, error: c.error },
          },
          {
            ops: this.ops,
            checks: this.s.checks,
            checkTimeoutMs: this.s.checkTimeoutMs,
            allowDegraded: this.s.allowDegraded,
            rollback: this.s.rollback,
            goal: this.s.goal,
            deadline,
            now: this.clock.now,
            pause: this.clock.pause,
            pollMs: 2000,
          },
        );
      }),
    );
    for (const v of results) {
      log.startGroup(`${v.name}: ${v.health} (after activation)`);
      log.lines(v.transcript);
      log.endGroup();
    }
    return results;
  }
}

function list(vs: readonly NodeVerification[]): string {
  return vs.map((v) => `${v.name} (${v.health}${v.detail ? `: ${v.detail}` : ''})`).join('; ');
}

/**
 * The step's failure from the verification, most serious first. `colmena` is colmena's own failure (a
 * node that failed to build still fails the step); it is kept, with what happened after activation.
 */
export function verificationFailure(
  vs: readonly NodeVerification[],
  colmena: ActionError | undefined,
): ActionError | undefined {
  const of = (...h: NodeVerification['health'][]) => vs.filter((v) => h.includes(v.health));
  const broken = of('rollback-failed');
  if (broken.length > 0) {
    return new ActionError(
      'rollback-failed',
      `Switching back failed on ${list(broken)}.`,
      'Those nodes may still run the failing generation: fix them from their console (nixos-rebuild switch --rollback, or the previous generation in the boot menu).',
    );
  }
  const lost = of('unreachable', 'unverified');
  if (lost.length > 0) {
    return new ActionError(
      'unreachable',
      `After activation the action could not reach or check ${list(lost)}.`,
      'Wait for the timer and check the node; if it does not come back (a broken boot path or a hung kernel is beyond the timer), use its console.',
    );
  }
  const bad = of('unhealthy', 'rolled-back', 'rolled-back (unconfirmed)');
  if (colmena) {
    if (bad.length === 0) return colmena;
    return new ActionError(
      colmena.reason,
      `${colmena.message} After activation: ${list(bad)}.`,
      colmena.hint,
    );
  }
  if (bad.length > 0) {
    return new ActionError(
      'health-check-failed',
      `Health checks failed after activation: ${list(bad)}.`,
      'Nodes listed as rolled-back run their recorded generation again; the others kept the new one. See the node log groups and the report.',
    );
  }
  return undefined;
}
