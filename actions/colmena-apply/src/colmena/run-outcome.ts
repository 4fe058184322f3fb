import { ActionError } from '../../../../shared/errors.js';
import { formatDuration } from '../../../../shared/inputs.js';
import type { MetaState, NodeState, Phase } from './node-log-parser.js';

/** Per-node results and the step's failure, from the tracker's states and how colmena ended. Pure. */
export type NodeResult = 'succeeded' | 'failed' | 'skipped' | 'timed-out';

export interface NodeReport {
  name: string;
  result: NodeResult;
  lastPhase: Phase;
  durationSeconds: number;
  error: string | null;
}

export interface NodeDetail extends NodeReport {
  lastLines: string[];
  wouldChange: string[];
}

export interface RunEnd {
  exitCode: number | null;
  signal: string | null;
  /** The overall `timeout` ended the run. */
  timedOut: boolean;
  /** Nodes whose reboot exceeded `reboot-timeout` (the action stopped colmena). */
  rebootTimedOut: readonly string[];
  rebootTimeoutMs: number;
  endedAt: number;
}

const TAIL = 20;

export function nodeDetails(states: readonly NodeState[], end: RunEnd): NodeDetail[] {
  return states.map((s) => {
    const { result, error } = resultOf(s, end);
    const finished = s.finishedAt ?? end.endedAt;
    return {
      name: s.name,
      result,
      lastPhase: s.phase,
      durationSeconds: s.startedAt === undefined ? 0 : Math.round((finished - s.startedAt) / 100) / 10,
      error,
      lastLines: (s.lastLines.length > 0 ? s.lastLines : s.log).slice(-TAIL),
      wouldChange: s.wouldChange,
    };
  });
}

function resultOf(s: NodeState, end: RunEnd): { result: NodeResult; error: string | null } {
  if (end.rebootTimedOut.includes(s.name)) {
    return {
      result: 'timed-out',
      error: `did not come back from reboot within ${formatDuration(end.rebootTimeoutMs)}`,
    };
  }
  if (s.failure) return { result: 'failed', error: s.failure.message };
  if (s.reachedGoal) return { result: 'succeeded', error: null };
  if (end.timedOut) {
    return s.phase === 'pending'
      ? { result: 'skipped', error: 'not started before the overall timeout' }
      : { result: 'timed-out', error: `still ${s.phase} when the overall timeout stopped colmena` };
  }
  if (end.rebootTimedOut.length > 0) {
    return { result: 'skipped', error: `unfinished: colmena was stopped after a reboot timeout` };
  }
  // colmena exited 0: a node that made progress finished its goal (trust the exit code over texts).
  if (end.exitCode === 0 && s.phase !== 'pending') return { result: 'succeeded', error: null };
  return {
    result: 'skipped',
    error: s.phase === 'pending' ? 'colmena did not deploy this node' : `stopped while ${s.phase}`,
  };
}

export function publicReport(d: NodeDetail): NodeReport {
  return {
    name: d.name,
    result: d.result,
    lastPhase: d.lastPhase,
    durationSeconds: d.durationSeconds,
    error: d.error,
  };
}

function list(names: readonly string[]): string {
  return names.join(', ');
}

/** The ActionError for a finished colmena run, or undefined when it succeeded. */
export function runFailure(
  what: string,
  details: readonly NodeDetail[],
  states: readonly NodeState[],
  meta: MetaState,
  end: RunEnd,
): ActionError | undefined {
  if (end.rebootTimedOut.length > 0) {
    return new ActionError(
      'reboot-timeout',
      `${list(end.rebootTimedOut)} did not come back from reboot within ${formatDuration(end.rebootTimeoutMs)}; colmena was stopped (process group killed).`,
      'Check the node on its console (boot loader, failed units, network); raise reboot-timeout if it just boots slowly.',
    );
  }
  if (end.timedOut) {
    const unfinished = details.filter((d) => d.result === 'timed-out' || d.result === 'skipped');
    return new ActionError(
      'timeout',
      `${what} did not finish within the overall timeout; its process group was killed (unfinished: ${list(unfinished.map((d) => d.name)) || 'none'}).`,
      "Raise 'timeout' or deploy fewer nodes at once.",
    );
  }
  if (end.exitCode === 101) {
    const panic = meta.panic.join(' ').replace(/\s+/g, ' ').slice(0, 400);
    return new ActionError(
      'deploy-failed',
      `colmena crashed (exit 101, a Rust panic): ${panic || 'no panic text'}.`,
      'This is a colmena bug; nodes listed as succeeded in the report were deployed, the others may be half-done.',
    );
  }
  if (end.exitCode === 2) {
    return new ActionError(
      'invalid-input',
      `colmena rejected its arguments (exit 2): ${meta.usageError[0] ?? 'usage error'}.`,
      "Check 'extra-args', 'nix-options' and the colmena version (0.4 and 0.5 differ).",
    );
  }
  if (end.exitCode === 0 && !details.some((d) => d.result === 'failed')) return undefined;
  return classifyOperationalFailure(what, details, states, meta, end);
}

function classifyOperationalFailure(
  what: string,
  details: readonly NodeDetail[],
  states: readonly NodeState[],
  meta: MetaState,
  end: RunEnd,
): ActionError {
  const hostKey = states.filter((s) => s.hostKeyFailed);
  if (hostKey.length > 0) {
    const named = hostKey.map((s) => (s.hostKeyHost ? `${s.hostKeyHost} (node ${s.name})` : s.name));
    return new ActionError(
      'host-key',
      `SSH host key verification failed for ${list(named)}: the host presented a key that does not match the pinned or known key.`,
      'If the host was reinstalled, verify its new key out of band and update known-hosts; otherwise treat it as a possible man-in-the-middle.',
    );
  }
  if (meta.applyAllRefused) {
    return new ActionError(
      'invalid-input',
      "The hive sets meta.allowApplyAll = false, so colmena refuses to deploy without '--on'.",
      "Set the 'on' input to the nodes to deploy.",
    );
  }
  const failed = details.filter((d) => d.result === 'failed');
  const ok = details.filter((d) => d.result === 'succeeded').map((d) => d.name);
  const evaluation = states.filter((s) => s.failure?.kind === 'evaluation');
  const neverBuilt = states.every((s) => s.phase === 'pending' || s.phase === 'evaluating');
  const exit = end.exitCode === null ? `killed by ${end.signal}` : `exit ${end.exitCode}`;
  if (evaluation.length > 0 || (failed.length === 0 && neverBuilt)) {
    const why = evaluation[0]?.failure?.message ?? meta.operationError ?? meta.errors.at(-1) ?? exit;
    return new ActionError(
      'evaluation-failed',
      `${what}: the hive did not evaluate${evaluation.length > 0 ? ` for ${list(evaluation.map((s) => s.name))}` : ''} (${why})` +
        `${ok.length > 0 ? `; succeeded: ${list(ok)}` : ''}.`,
      'Fix the Nix error in the node log group; nothing was deployed to those nodes.',
    );
  }
  const failedText = failed.map((d) => `${d.name} (${d.error})`);
  return new ActionError(
    'deploy-failed',
    `${what} failed on ${failed.length} of ${details.length} node(s): ${list(failedText) || meta.operationError || exit}` +
      `${ok.length > 0 ? `; succeeded: ${list(ok)}` : ''}.`,
    'See the node log groups and the report for the last log lines; colmena does not roll back nodes that succeeded.',
  );
}
