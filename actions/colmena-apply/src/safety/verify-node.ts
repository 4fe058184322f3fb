import type { NodeTarget } from '../ssh/node-ssh.js';
import type { Check, CheckResult } from './checks.js';
import type { NodeOps, Probe } from './node-ops.js';
import {
  changedSince,
  isBackOn,
  revertCommand,
  type Generation,
  type NodePaths,
  type RollbackGoal,
  type SystemState,
} from './node-scripts.js';

/**
 * What happens to one node after colmena ran: reach it over the steady-state path, check it, then either
 * cancel its dead-man timer (healthy), switch it back now (a check failed), or — when it cannot be
 * reached — let the timer do it and report what was seen. Never reports success it did not observe.
 *
 * Timeline with `rollback: true` (T = confirm-timeout, armed before the activating colmena run):
 *   armedAt ─ colmena activates ─ reach ─ system state ─ checks ─ cancel ─┤ armedAt + T − margin
 *   the timer fires at armedAt + T (plus the arm call's duration); after that the action only observes.
 */
export type Health =
  | 'healthy'
  | 'unhealthy'
  | 'rolled-back'
  | 'rolled-back (unconfirmed)'
  | 'rollback-failed'
  | 'unreachable'
  | 'not-activated'
  | 'unverified';

export interface TimerInfo {
  unit: string;
  /** Local clock just before the arm call: the timer cannot fire before armedAt + confirmMs. */
  armedAt: number;
  /** confirm-timeout: the timer's `--on-active`. */
  confirmMs: number;
  /** Local clock after the arm call returned, plus T and systemd's 1 s accuracy: it fires by then. */
  firesBy: number;
  /** Colmena rebooted the node after activation: transient units do not survive a reboot. */
  lostInReboot: boolean;
}

export type TimerOutcome = 'cancelled' | 'fired' | 'stopped for rollback' | 'pending' | 'lost in reboot';

export interface NodeVerification {
  name: string;
  health: Health;
  /** Why, in one line (null when healthy). */
  detail: string | null;
  before: Generation | null;
  after: Generation | null;
  systemState: SystemState | null;
  checks: CheckResult[];
  timer: { unit: string; armedAt: string; firesBy: string; outcome: TimerOutcome } | null;
  rollback: { exitCode: number | null; lastLines: string[] } | null;
  /** What happened, for the node's log group. */
  transcript: string[];
}

export interface NodePlan {
  target: NodeTarget;
  before?: Generation;
  beforeState?: SystemState;
  nixEnv?: string;
  /** The profile links as absolute paths on the node, from the record. */
  paths?: NodePaths;
  timer?: TimerInfo;
  /** Colmena's result for the node; undefined when colmena reported nothing (treated as activated). */
  colmena?: { result: string; lastPhase: string; error: string | null };
}

export interface VerifyContext {
  ops: NodeOps;
  checks: readonly Check[];
  checkTimeoutMs: number;
  allowDegraded: boolean;
  /** Switch failing nodes back (needs `before`). */
  rollback: boolean;
  goal: RollbackGoal;
  /** The step's overall deadline. */
  deadline: number;
  now(): number;
  pause(ms: number): Promise<void>;
  pollMs: number;
}

/** How long before the timer fires the action stops trying to cancel it. */
export function cancelMargin(confirmMs: number): number {
  return Math.min(10_000, Math.floor(confirmMs / 4));
}

/** How long after the timer's due time the action keeps looking for the node. */
const REVERT_GRACE_MS = 90_000;
/** ssh's own connect timeout in the generated config is 30 s; a probe needs that on top of its work. */
const SSH_SLACK_MS = 35_000;

const ACTIVATED_PHASES = ['activating', 'rebooting'];

class Run {
  readonly v: NodeVerification;
  constructor(
    readonly plan: NodePlan,
    readonly cx: VerifyContext,
  ) {
    const t = plan.timer;
    this.v = {
      name: plan.target.name,
      health: 'unverified',
      detail: null,
      before: plan.before ?? null,
      after: null,
      systemState: null,
      checks: [],
      timer: t
        ? {
            unit: t.unit,
            armedAt: new Date(t.armedAt).toISOString(),
            firesBy: new Date(t.firesBy).toISOString(),
            outcome: t.lostInReboot ? 'lost in reboot' : 'pending',
          }
        : null,
      rollback: null,
      transcript: [],
    };
  }

  say(line: string): void {
    this.v.transcript.push(line);
  }

  end(health: Health, detail: string | null): NodeVerification {
    this.v.health = health;
    this.v.detail = detail;
    this.say(`=> ${health}${detail ? `: ${detail}` : ''}`);
    return this.v;
  }

  left(until: number): number {
    return Math.min(until, this.cx.deadline) - this.cx.now();
  }

  /** The time limit of one remote call that is not a probe (arm, cancel). */
  callLimit(): number {
    return Math.max(1000, this.left(this.cx.now() + this.cx.checkTimeoutMs + SSH_SLACK_MS));
  }

  /** Tries to reach the node (generation, optionally the system state) until `until`. */
  async reach(until: number, withState: boolean): Promise<Probe> {
    let last: Probe | undefined;
    for (let attempt = 1; ; attempt++) {
      const left = this.left(until);
      if (left <= 0) break;
      const stateLimitMs = Math.max(1000, Math.min(this.cx.checkTimeoutMs, left - 2000));
      const p = await this.cx.ops.probe(this.plan.target, {
        withState,
        stateLimitMs,
        timeoutMs: Math.min(left, stateLimitMs + SSH_SLACK_MS),
      });
      if (p.reached) {
        this.say(`reached (attempt ${attempt})`);
        return p;
      }
      this.say(`not reached (attempt ${attempt}): ${p.why}`);
      for (const l of p.lines) this.say(`  ${l}`);
      last = p;
      if (p.hostKey) break;
      if (this.left(until) <= this.cx.pollMs) break;
      await this.cx.pause(this.cx.pollMs);
    }
    return last ?? { reached: false, why: 'no time left to try', hostKey: false, lines: [] };
  }

  stateProblem(s: SystemState | undefined, tolerateDegraded = false): string | undefined {
    if (!s) return 'the system state could not be read';
    if (s.state === 'running') return undefined;
    if (s.state === 'degraded' && (this.cx.allowDegraded || tolerateDegraded)) return undefined;
    const failed = s.failedUnits.length > 0 ? ` (failed units: ${s.failedUnits.join(', ')})` : '';
    const slow = s.exitCode === 124 ? ' after check-timeout' : '';
    return `system state '${s.state}'${slow}${failed}`;
  }

  /** The user's checks, each bounded by check-timeout and by `until`. */
  async userChecks(until: number): Promise<CheckResult[]> {
    const results: CheckResult[] = [];
    for (const check of this.cx.checks) {
      const left = this.left(until);
      const r =
        left <= 0
          ? {
              check: `${check.where}: ${check.command}`,
              where: check.where,
              ok: false,
              exitCode: null,
              timedOut: true,
              lastLines: ['not run: no time left'],
              durationSeconds: 0,
            }
          : await this.cx.ops.check(this.plan.target, check, Math.min(this.cx.checkTimeoutMs, left));
      this.say(`check ${r.check}: ${r.ok ? 'ok' : r.timedOut ? 'timed out' : `exit ${r.exitCode}`}`);
      for (const l of r.lastLines) this.say(`  ${l}`);
      results.push(r);
    }
    return results;
  }

  /** Everything wrong with the node as probed plus the user's checks. */
  async problems(p: Extract<Probe, { reached: true }>, until: number, tolerateDegraded: boolean) {
    const problems: string[] = [];
    if (p.result.generationError) problems.push(p.result.generationError);
    const state = this.stateProblem(p.result.systemState, tolerateDegraded);
    if (state) problems.push(state);
    const checks = await this.userChecks(until);
    for (const c of checks.filter((x) => !x.ok))
      problems.push(`check '${c.check}' ${c.timedOut ? 'timed out' : `exited ${c.exitCode}`}`);
    return { problems, checks };
  }

  activated(): boolean {
    const c = this.plan.colmena;
    return !c || c.result === 'succeeded' || ACTIVATED_PHASES.includes(c.lastPhase);
  }

  liveTimer(): TimerInfo | undefined {
    const t = this.plan.timer;
    return t && !t.lostInReboot ? t : undefined;
  }

  /**
   * Cancels the timer where one may still exist: also after a reboot, in case colmena never rebooted
   * the node (stopping a timer that is gone is harmless). True when it is gone now.
   */
  async cancelTimer(): Promise<boolean> {
    const t = this.plan.timer;
    if (!t) return true;
    const r = await this.cx.ops.cancel(this.plan.target, t.unit, this.callLimit());
    this.say(`timer ${t.unit}: ${r ? `timer ${r.timer}, service ${r.service}` : 'no answer'}`);
    if (r?.timer === 'inactive' && !t.lostInReboot) this.setTimer('cancelled');
    return r?.timer === 'inactive';
  }

  setTimer(outcome: TimerOutcome): void {
    if (this.v.timer) this.v.timer.outcome = outcome;
  }

  timerPromise(): string {
    const t = this.liveTimer();
    if (!t || !this.plan.before) return 'no rollback timer is armed on it';
    return `its timer ${t.unit} switches it back to generation ${this.plan.before.generation} by ${new Date(t.firesBy).toISOString()}`;
  }
}

export async function verifyNode(plan: NodePlan, cx: VerifyContext): Promise<NodeVerification> {
  const run = new Run(plan, cx);
  const timer = run.liveTimer();
  if (cx.now() >= cx.deadline)
    return run.end(
      'unverified',
      `the overall timeout was reached before it could be checked; ${run.timerPromise()}`,
    );
  if (!run.activated()) {
    const r = await notActivated(run);
    if (r) return r;
  }
  const confirmBy = timer ? timer.armedAt + timer.confirmMs - cancelMargin(timer.confirmMs) : Infinity;
  if (cx.now() >= confirmBy)
    return waitForTimer(
      run,
      'the activating colmena run outlasted the confirm window (raise confirm-timeout)',
    );
  const reachBy = timer ? confirmBy : cx.now() + cx.checkTimeoutMs + SSH_SLACK_MS;
  const p = await run.reach(reachBy, true);
  if (!p.reached) return waitForTimer(run, `it could not be reached after activation (${p.why})`);
  run.v.after = p.result.generation ?? null;
  run.v.systemState = p.result.systemState ?? null;
  const c = plan.colmena;
  if (
    c &&
    c.result !== 'succeeded' &&
    plan.before &&
    p.result.generation &&
    !changedSince(p.result.generation, plan.before)
  ) {
    // The activation failed before it changed anything (nix-env --set or an early check failed).
    await run.cancelTimer();
    return run.end(
      'not-activated',
      `colmena: ${c.error ?? c.result}; nothing changed, still on generation ${plan.before.generation}`,
    );
  }
  const { problems, checks } = await run.problems(p, timer ? confirmBy : Infinity, false);
  run.v.checks = checks;
  if (c && c.result !== 'succeeded') problems.unshift(`colmena: ${c.error ?? c.result}`);
  if (problems.length === 0) return confirm(run, confirmBy);
  if (!cx.rollback || !plan.before) return run.end('unhealthy', problems.join('; '));
  return rollbackNow(run, problems);
}

/** Colmena failed before activating: the timer (if any) is cancelled and the generation confirmed unchanged. */
async function notActivated(run: Run): Promise<NodeVerification | undefined> {
  const { plan, cx } = run;
  const c = plan.colmena!;
  run.say(`colmena stopped this node before activation (${c.result}, last phase ${c.lastPhase})`);
  await run.cancelTimer();
  const p = await run.reach(cx.now() + cx.checkTimeoutMs, false);
  if (!p.reached) {
    const detail =
      run.v.timer?.outcome === 'cancelled'
        ? `not activated by colmena; its timer was cancelled, its generation could not be read (${p.why})`
        : `not activated by colmena, and unreachable: ${run.timerPromise()} (the generation it already runs)`;
    return run.end('not-activated', detail);
  }
  run.v.after = p.result.generation ?? null;
  if (!plan.before) return run.end('not-activated', `colmena did not activate it (${c.error ?? c.result})`);
  if (p.result.generation && !changedSince(p.result.generation, plan.before)) {
    const timerNote = run.v.timer && run.v.timer.outcome !== 'cancelled' ? `; ${run.timerPromise()}` : '';
    return run.end(
      'not-activated',
      `colmena did not activate it; still on generation ${plan.before.generation}${timerNote}`,
    );
  }
  run.say('its generation changed although colmena reported no activation: checking it as activated');
  return undefined;
}

/** Checks passed: cancel the timer in time, then make sure the node is still on the new generation. */
async function confirm(run: Run, confirmBy: number): Promise<NodeVerification> {
  const { plan, cx } = run;
  const timer = run.liveTimer();
  if (!timer) {
    if (plan.timer) await run.cancelTimer();
    return run.end('healthy', null);
  }
  if (cx.now() >= confirmBy)
    return waitForTimer(run, 'its checks passed, but only after the confirm window (raise confirm-timeout)');
  const cancelled = await cx.ops.cancel(plan.target, timer.unit, run.callLimit());
  run.say(
    `timer ${timer.unit}: ${cancelled ? `timer ${cancelled.timer}, service ${cancelled.service}` : 'no answer'}`,
  );
  if (!cancelled || cancelled.timer !== 'inactive')
    return waitForTimer(run, 'its checks passed, but its timer could not be cancelled');
  const p = await run.reach(cx.now() + cx.checkTimeoutMs, false);
  if (
    p.reached &&
    p.result.generation &&
    plan.before &&
    isBackOn(cx.goal, p.result.generation, plan.before)
  ) {
    run.v.after = p.result.generation;
    run.setTimer('fired');
    return run.end('rolled-back (unconfirmed)', 'its timer fired before it could be cancelled');
  }
  run.setTimer('cancelled');
  if (cancelled.service === 'active' || cancelled.service === 'activating')
    return waitForTimer(run, 'its timer had already started the switch back when it was cancelled');
  return run.end('healthy', null);
}

/** A check failed and the node is reachable: switch it back now, then check it again. */
async function rollbackNow(run: Run, problems: string[]): Promise<NodeVerification> {
  const { plan, cx } = run;
  const before = plan.before!;
  const unit = plan.timer?.unit;
  let revert: string;
  try {
    if (!plan.paths) throw new Error('the profile path was not recorded');
    revert = revertCommand(cx.goal, before, plan.paths.profile, plan.nixEnv);
  } catch (e) {
    return run.end('rollback-failed', `${problems.join('; ')}; cannot switch back: ${(e as Error).message}`);
  }
  if (!unit) return run.end('rollback-failed', `${problems.join('; ')}; no rollback unit name`);
  run.say(`switching back to generation ${before.generation}: ${revert}`);
  const budget = Math.max(cx.checkTimeoutMs, 120_000);
  const r = await cx.ops.rollback(
    plan.target,
    { unit, generation: before.generation, revert },
    Math.max(1000, run.left(cx.now() + budget)),
  );
  run.v.rollback = { exitCode: r.exitCode, lastLines: r.lastLines };
  if (plan.timer && !plan.timer.lostInReboot) run.setTimer('stopped for rollback');
  run.say(`switch back: ${r.ok ? 'done' : r.sshFailed ? 'connection lost' : `exit ${r.exitCode}`}`);
  for (const l of r.lastLines) run.say(`  ${l}`);
  const why = problems.join('; ');
  const p = await run.reach(cx.now() + cx.checkTimeoutMs + SSH_SLACK_MS, true);
  if (!p.reached)
    return run.end('rollback-failed', `${why}; after switching back it could not be reached (${p.why})`);
  run.v.after = p.result.generation ?? null;
  run.v.systemState = p.result.systemState ?? null;
  if (!p.result.generation || !isBackOn(cx.goal, p.result.generation, before)) {
    const now = p.result.generation ? `it runs ${p.result.generation.running}` : p.result.generationError;
    const how = r.ok ? '' : ` (switch back: ${r.sshFailed ? 'connection lost' : `exit ${r.exitCode}`})`;
    return run.end(
      'rollback-failed',
      `${why}; switching back to generation ${before.generation} failed${how}: ${now}`,
    );
  }
  // Health again; a node that was already degraded before the deployment cannot be blamed on it.
  const again = await run.problems(p, Infinity, plan.beforeState?.state === 'degraded');
  run.v.checks = [
    ...run.v.checks,
    ...again.checks.map((c) => ({ ...c, check: `${c.check} (after switching back)` })),
  ];
  if (again.problems.length > 0)
    return run.end(
      'rollback-failed',
      `${why}; back on generation ${before.generation}, but: ${again.problems.join('; ')}`,
    );
  return run.end('rolled-back', `${why}; switched back to generation ${before.generation}`);
}

/**
 * The node cannot be confirmed in time. With a live timer, wait until it is due and look for the node:
 * back on the recorded generation is `rolled-back (unconfirmed)` (the node did it, not the action).
 */
async function waitForTimer(run: Run, why: string): Promise<NodeVerification> {
  const { plan, cx } = run;
  const timer = run.liveTimer();
  if (!timer || !plan.before || !cx.rollback) {
    const rest = plan.timer?.lostInReboot
      ? `; the reboot removed its rollback timer, so it stays on what colmena activated (roll back from its console: boot menu, previous generation)`
      : '';
    return run.end('unreachable', `${why}${rest}`);
  }
  const until = Math.min(timer.firesBy + REVERT_GRACE_MS, cx.deadline);
  if (until <= timer.firesBy)
    return run.end(
      'unreachable',
      `${why}; ${run.timerPromise()} (after the step's timeout, so not observed)`,
    );
  const wait = timer.firesBy - cx.now();
  if (wait > 0) {
    run.say(`waiting ${Math.ceil(wait / 1000)} s for its timer ${timer.unit} to fire`);
    await cx.pause(wait);
  }
  let seen: Generation | undefined;
  while (run.left(until) > 0) {
    const p = await run.reach(until, true);
    if (!p.reached) break;
    seen = p.result.generation;
    run.v.after = seen ?? null;
    run.v.systemState = p.result.systemState ?? null;
    if (seen && isBackOn(cx.goal, seen, plan.before)) {
      run.setTimer('fired');
      const state = run.stateProblem(p.result.systemState, plan.beforeState?.state === 'degraded');
      return run.end(
        'rolled-back (unconfirmed)',
        `${why}; its timer switched it back to generation ${plan.before.generation}${state ? ` (now: ${state})` : ''}`,
      );
    }
    if (run.left(until) <= cx.pollMs) break;
    await cx.pause(cx.pollMs);
  }
  if (seen) {
    return run.end(
      'rollback-failed',
      `${why}; its timer ${timer.unit} was due by ${new Date(timer.firesBy).toISOString()}, but it still runs ${seen.running}`,
    );
  }
  return run.end(
    'unreachable',
    `${why}; its timer ${timer.unit} was due to switch it back to generation ${plan.before.generation} by ${new Date(timer.firesBy).toISOString()}, but it has not answered since (no timer helps when the boot path is broken or the kernel hangs: use its console)`,
  );
}
