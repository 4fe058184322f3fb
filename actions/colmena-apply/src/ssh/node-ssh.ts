import { runTool, type ToolResult } from '../../../../shared/tool.js';
import { commandLine, sshDestination } from './remote-command.js';

/**
 * The action's own ssh to a node: the steady-state path colmena uses (same generated config, same user,
 * host, port and `deployment.sshOptions`, src/nix/host/ssh.rs `ssh_options`), but with
 * `StrictHostKeyChecking=yes` where colmena passes `accept-new`: an unknown or changed key fails, it is
 * never recorded. Each call is bounded by a timeout; ssh runs in its own process group, so a timeout or
 * a cancelled job kills it (shared/tool.ts).
 */
export interface NodeTarget {
  name: string;
  host: string;
  port: number | null;
  /** `deployment.targetUser`; null leaves the user to the ssh config. */
  user: string | null;
  /** `deployment.sshOptions` (colmena 0.5), passed as colmena passes them. */
  sshOptions: readonly string[];
  /** `deployment.privilegeEscalationCommand`, used when the user is not root (as colmena does). */
  privilegeEscalation: readonly string[];
}

export interface RemoteResult {
  exitCode: number | null;
  /** Raw output: may hold anything the node printed; print it only through shared/log. */
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** ssh itself failed (exit 255): connection refused or timed out, authentication, host key. */
  sshFailed: boolean;
  hostKeyFailed: boolean;
  durationMs: number;
}

export interface NodeSsh {
  /** `sh -s -- ARGS…` on the node with the script on stdin (escalated when `privileged`). */
  run(
    target: NodeTarget,
    script: { script: string; args: readonly string[] },
    o: { timeoutMs: number; privileged?: boolean },
  ): Promise<RemoteResult>;
  /** A user's check line, run by the node's login shell as written. */
  runLine(target: NodeTarget, line: string, o: { timeoutMs: number }): Promise<RemoteResult>;
}

/** ssh's own failure: its exit status is 255 (ssh(1) "EXIT STATUS"); our scripts never exit 255. */
function toResult(r: ToolResult): RemoteResult {
  return {
    exitCode: r.exitCode,
    stdout: r.stdout,
    stderr: r.stderr,
    timedOut: r.timedOut,
    sshFailed: r.exitCode === 255,
    hostKeyFailed: /Host key verification failed\.|REMOTE HOST IDENTIFICATION HAS CHANGED/.test(r.stderr),
    durationMs: r.durationMs,
  };
}

export function sshArgs(configFile: string, target: NodeTarget, remote: string): string[] {
  const dest = sshDestination(target.user, target.host);
  if (!dest) throw new Error(`node ${target.name} has an unusable ssh target`);
  return [
    '-F',
    configFile,
    // ssh uses the first value it obtains for an option: these beat the config and the hive's options.
    '-o',
    'BatchMode=yes',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'UpdateHostKeys=no',
    '-T',
    ...target.sshOptions,
    ...(target.port !== null ? ['-p', String(target.port)] : []),
    dest,
    '--',
    remote,
  ];
}

export function escalate(target: NodeTarget, words: readonly string[]): string[] {
  return target.user !== null && target.user !== 'root'
    ? [...target.privilegeEscalation, ...words]
    : [...words];
}

export function createNodeSsh(configFile: string, ssh = 'ssh'): NodeSsh {
  const call = async (target: NodeTarget, remote: string, timeoutMs: number, stdin?: string) =>
    toResult(
      await runTool({
        bin: ssh,
        args: sshArgs(configFile, target, remote),
        // Without a script ssh must not read the runner's stdin.
        stdin: stdin ?? '',
        // Shown by the caller, per node and neutralised; parallel nodes would interleave here.
        echo: 'none',
        timeoutMs,
        killGraceMs: 2000,
      }),
    );
  return {
    run: (target, s, o) => {
      const words = ['sh', '-s', '--', ...s.args];
      return call(target, commandLine(o.privileged ? escalate(target, words) : words), o.timeoutMs, s.script);
    },
    runLine: (target, line, o) => call(target, line, o.timeoutMs),
  };
}
