import { randomBytes } from 'node:crypto';
import { CancelledError, errorMessage } from '../../../../shared/errors.js';
import { runTool } from '../../../../shared/tool.js';
import type { NodeSsh, NodeTarget, RemoteResult } from '../ssh/node-ssh.js';
import { commandLine } from '../ssh/remote-command.js';
import { checkLabel, tailLines, type Check, type CheckResult } from './checks.js';
import {
  armScript,
  cancelScript,
  parseCancel,
  parseProbe,
  probeScript,
  rollbackScript,
  type ArmPlan,
  type CancelResult,
  type NodePaths,
  type ProbeResult,
} from './node-scripts.js';

/**
 * What the verification does to one node, behind an interface so the state machine (verify-node.ts)
 * is tested with fakes and the real thing with sshd. Every call is bounded by `timeoutMs`; none throws
 * for a node that does not answer: unreachability is a result here, not an error.
 */
export type Probe =
  | { reached: true; result: ProbeResult; lines: string[] }
  | { reached: false; why: string; hostKey: boolean; lines: string[] };

export interface OpResult {
  ok: boolean;
  exitCode: number | null;
  /** The connection failed (ssh exit 255): the command may or may not have run. */
  sshFailed: boolean;
  lastLines: string[];
}

export interface NodeOps {
  probe(node: NodeTarget, o: { withState: boolean; stateLimitMs: number; timeoutMs: number }): Promise<Probe>;
  check(node: NodeTarget, check: Check, timeoutMs: number): Promise<CheckResult>;
  arm(node: NodeTarget, plan: ArmPlan, timeoutMs: number): Promise<OpResult>;
  cancel(node: NodeTarget, unit: string, timeoutMs: number): Promise<CancelResult | undefined>;
  rollback(
    node: NodeTarget,
    o: { unit: string; generation: number; revert: string },
    timeoutMs: number,
  ): Promise<OpResult>;
}

function why(r: RemoteResult): string {
  if (r.timedOut) return 'no answer within the time limit';
  const last = tailLines('', r.stderr, 1)[0];
  return last ? `ssh: ${last}` : `exit ${r.exitCode}`;
}

function opResult(r: RemoteResult): OpResult {
  return {
    ok: r.exitCode === 0,
    exitCode: r.exitCode,
    sshFailed: r.sshFailed || r.timedOut,
    lastLines: tailLines(r.stdout, r.stderr),
  };
}

export function createNodeOps(ssh: NodeSsh, paths: NodePaths): NodeOps {
  const nonce = () => `ca-${randomBytes(8).toString('hex')}`;
  return {
    async probe(node, o) {
      const n = nonce();
      const script = probeScript(n, paths, o.withState, o.stateLimitMs / 1000);
      const r = await ssh.run(node, script, { timeoutMs: o.timeoutMs });
      const lines = tailLines(
        r.stdout
          .split('\n')
          .filter((l) => !l.startsWith(n))
          .join('\n'),
        r.stderr,
      );
      const parsed = r.exitCode === 0 ? parseProbe(r.stdout, n, paths) : undefined;
      if (!parsed) return { reached: false, why: why(r), hostKey: r.hostKeyFailed, lines };
      return { reached: true, result: parsed, lines };
    },
    async check(node, check, timeoutMs) {
      const started = Date.now();
      let r: { exitCode: number | null; stdout: string; stderr: string; timedOut: boolean };
      try {
        r =
          check.where === 'remote'
            ? await ssh.runLine(node, remoteCheckLine(check.command, timeoutMs), {
                timeoutMs: timeoutMs + 10_000,
              })
            : await runLocal(check.command, node, timeoutMs);
      } catch (e) {
        // runTool refuses a command line holding a registered secret, for one.
        if (e instanceof CancelledError) throw e;
        r = { exitCode: null, stdout: '', stderr: errorMessage(e), timedOut: false };
      }
      return {
        check: checkLabel(check),
        where: check.where,
        ok: r.exitCode === 0 && !r.timedOut,
        exitCode: r.exitCode,
        timedOut: r.timedOut,
        lastLines: tailLines(r.stdout, r.stderr),
        durationSeconds: Math.round((Date.now() - started) / 100) / 10,
      };
    },
    async arm(node, plan, timeoutMs) {
      return opResult(await ssh.run(node, armScript(plan), { timeoutMs, privileged: true }));
    },
    async cancel(node, unit, timeoutMs) {
      const n = nonce();
      const r = await ssh.run(node, cancelScript(n, unit), { timeoutMs, privileged: true });
      return parseCancel(r.stdout, n);
    },
    async rollback(node, o, timeoutMs) {
      const script = rollbackScript(o.unit, o.generation, o.revert);
      return opResult(await ssh.run(node, script, { timeoutMs, privileged: true }));
    },
  };
}

/**
 * A `remote:` check as the node runs it: the operator's line under coreutils `timeout` (TERM, then KILL
 * 5 s later), so it ends on the node too when the action gives up or is cancelled; killing ssh alone
 * would leave it running there (without a tty sshd sends no SIGHUP).
 */
export function remoteCheckLine(line: string, timeoutMs: number): string {
  return commandLine(['timeout', '-k', '5', `${Math.max(1, Math.ceil(timeoutMs / 1000))}`, 'sh', '-c', line]);
}

/** A `local:` check: the operator's command line, run by sh on the runner, told which node it is for. */
function runLocal(line: string, node: NodeTarget, timeoutMs: number) {
  return runTool({
    bin: 'sh',
    args: ['-c', line],
    env: { COLMENA_NODE: node.name, COLMENA_HOST: node.host },
    echo: 'none',
    timeoutMs,
    killGraceMs: 2000,
  });
}
