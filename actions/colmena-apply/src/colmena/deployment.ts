import { ActionError, CancelledError } from '../../../../shared/errors.js';
import { formatDuration } from '../../../../shared/inputs.js';
import { cancellation } from '../../../../shared/tool.js';
import type { ColmenaCli } from './colmena-cli.js';
import { NodeLogTracker, type Goal, type TrackerEvent } from './node-log-parser.js';
import { nodeDetails, runFailure, type NodeDetail } from './run-outcome.js';
import * as log from '../../../../shared/log.js';

/**
 * One colmena run (the dry-activate preview or the real apply): streams its output into the per-node
 * tracker, enforces `reboot-timeout` (colmena polls the boot id forever, colmena#166/#303/#315) and the
 * overall deadline, then prints each node's log in its own group.
 */
export interface RunRequest {
  args: readonly string[];
  goal: Goal;
  reboot: boolean;
  nodes: readonly string[];
  rebootTimeoutMs: number;
  deadline: number;
  label: string;
}

export interface RunOutcome {
  details: NodeDetail[];
  failure?: ActionError;
}

const WATCH_MS = 250;

export async function runColmena(
  cli: ColmenaCli,
  req: RunRequest,
  now = () => Date.now(),
): Promise<RunOutcome> {
  const tracker = new NodeLogTracker(req.nodes, { goal: req.goal, reboot: req.reboot });
  const controller = new AbortController();
  const rebootTimedOut: string[] = [];
  const watchdog = setInterval(() => {
    for (const n of tracker.rebooting()) {
      if (now() - n.phaseSince > req.rebootTimeoutMs && !rebootTimedOut.includes(n.name)) {
        rebootTimedOut.push(n.name);
        log.info(
          `${n.name} did not come back from reboot within ${formatDuration(req.rebootTimeoutMs)}: stopping colmena.`,
        );
      }
    }
    if (rebootTimedOut.length > 0 && !controller.signal.aborted) controller.abort();
  }, WATCH_MS);
  let result;
  try {
    result = await cli.run(req.args, {
      onLine: (line) => announce(tracker.push(line, now())),
      abort: controller.signal,
      timeoutMs: Math.max(1000, req.deadline - now()),
      group: `${req.label} (live output)`,
    });
  } finally {
    clearInterval(watchdog);
  }
  const end = {
    exitCode: result.exitCode,
    signal: result.signal,
    timedOut: result.timedOut,
    rebootTimedOut,
    rebootTimeoutMs: req.rebootTimeoutMs,
    endedAt: now(),
  };
  const details = nodeDetails(tracker.nodes(), end);
  printNodeGroups(tracker, details);
  // A cancelled job is reported as cancelled, not as whatever the killed colmena printed last.
  const failure = result.cancelled
    ? new CancelledError(cancellation() ?? 'SIGTERM')
    : runFailure(req.label, details, tracker.nodes(), tracker.meta, end);
  return { details, failure };
}

/** One short line per state change, so the live log shows progress between colmena's own lines. */
function announce(events: TrackerEvent[]): void {
  for (const e of events) {
    if (e.kind === 'failed') log.info(`[colmena-apply] ${e.node}: failed — ${e.failure.message}`);
  }
}

function printNodeGroups(tracker: NodeLogTracker, details: readonly NodeDetail[]): void {
  for (const d of details) {
    const state = tracker.node(d.name)!;
    log.startGroup(`${d.name}: ${d.result} (last phase ${d.lastPhase}, ${d.durationSeconds}s)`);
    for (const line of state.log) log.info(line);
    if (state.lastLines.length > 0) {
      log.info('--- colmena failure block (last lines) ---');
      for (const line of state.lastLines) log.info(line);
    }
    log.endGroup();
  }
  const other = tracker.meta.other.filter((l) => l.trim() !== '');
  if (other.length > 0) {
    log.startGroup('colmena: other output');
    for (const line of other) log.info(line);
    log.endGroup();
  }
}
