import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { ActionError, TimeoutError } from '../../../shared/errors.js';
import { makePrivateDir, sha256, writeFileAtomic } from '../../../shared/fsx.js';
import { formatDuration } from '../../../shared/inputs.js';
import { describeExit, lastLine, runTool, type ToolResult } from '../../../shared/tool.js';
import {
  classifySshFailure,
  parseRemoteSha256,
  renderSshConfig,
  sshArgs,
  sshDestination,
  type SshPlan,
  type TargetSpec,
} from './ssh-command.js';

/** Puts the key on the target host and returns the sha256 the target computed of what landed. */
export interface TargetClient {
  /** The private directory holding the ssh key, known_hosts and config (state for post). */
  readonly privateDir: string;
  stage(content: string): Promise<{ sha256: string }>;
  dispose(): Promise<void>;
}

export interface TargetSettings {
  targetHost: string;
  targetPort: number;
  targetPath: string;
  targetMode: string;
  targetOwner: string;
  targetTimeout: number;
  targetSudo: 'auto' | 'always' | 'never';
  sshKey?: string;
  sshConfig?: string;
  knownHosts?: readonly string[];
}

export type TargetClientFactory = (
  s: TargetSettings,
  onPrivateDir: (dir: string) => void,
) => Promise<TargetClient>;

/** OpenSSH refuses a key file without a final newline ("invalid format"); CRLF from a web form too. */
export function normalizePrivateKey(key: string): string {
  return key.replace(/\r\n/g, '\n').trim() + '\n';
}

export function looksLikePrivateKey(key: string): boolean {
  return /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]+-----END [A-Z ]*PRIVATE KEY-----/.test(key);
}

export const createSshTarget: TargetClientFactory = async (s, onPrivateDir) => {
  const dir = await makePrivateDir('sops-stage-ssh');
  onPrivateDir(dir);
  const plan: SshPlan = {
    destination: sshDestination(s.targetHost),
    port: s.targetPort,
    configFile: path.join(dir, 'ssh_config'),
    connectTimeoutSec: Math.max(5, Math.min(30, Math.floor(s.targetTimeout / 2000))),
    userConfig: s.sshConfig,
  };
  if (s.sshKey) {
    plan.identityFile = path.join(dir, 'id_key');
    await writeFileAtomic(plan.identityFile, normalizePrivateKey(s.sshKey), { mode: 0o600 });
  }
  if (s.knownHosts && s.knownHosts.length > 0) {
    plan.knownHostsFile = path.join(dir, 'known_hosts');
    await writeFileAtomic(plan.knownHostsFile, s.knownHosts.join('\n') + '\n', { mode: 0o600 });
  }
  if (plan.userConfig) await writeFileAtomic(plan.configFile, renderSshConfig(plan), { mode: 0o600 });
  const target: TargetSpec = {
    path: s.targetPath,
    mode: s.targetMode,
    owner: s.targetOwner,
    sudo: s.targetSudo,
  };

  return {
    privateDir: dir,
    async stage(content) {
      const r = await runTool({
        bin: 'ssh',
        args: sshArgs(plan, target),
        stdin: content,
        timeoutMs: s.targetTimeout,
        killGraceMs: 2000,
        echo: 'stderr',
      });
      if (r.timedOut)
        throw new TimeoutError(`Staging the key on ${s.targetHost}`, formatDuration(s.targetTimeout));
      if (r.exitCode !== 0) throw sshFailure(s, r);
      const remote = parseRemoteSha256(r.stdout);
      const local = sha256(content);
      if (remote !== local) {
        throw new ActionError(
          'target-hash-mismatch',
          `The key on ${s.targetHost}:${s.targetPath} does not match what was sent: the target reported sha256 ${remote ?? '(none)'}, expected ${local}.`,
          'Check the disk and the shell of the target (a login script that prints or reads stdin interferes); the step can be re-run.',
        );
      }
      return { sha256: local };
    },
    async dispose() {
      await fsp.rm(dir, { recursive: true, force: true });
    },
  };
};

function sshFailure(s: TargetSettings, r: ToolResult): ActionError {
  const where = `${s.targetHost} port ${s.targetPort}`;
  const said = lastLine(r.stderr) || describeExit(r);
  switch (classifySshFailure(r.exitCode, r.stderr)) {
    case 'host-key-mismatch':
      return new ActionError(
        'host-key-mismatch',
        `Refused to stage the key: the host key of ${where} does not match the pinned key in 'known-hosts' (a re-installed host, or someone in between).`,
        "Verify the host's key out of band (ssh-keyscan on a trusted network, or the host's configuration) and update 'known-hosts'.",
      );
    case 'host-key-unknown':
      return new ActionError(
        'host-key-unknown',
        `Refused to stage the key: no known host key for ${where}${s.knownHosts?.length ? " in 'known-hosts'" : " in the runner's known_hosts files"}.`,
        `Pin the host key with the 'known-hosts' input (ssh-keyscan -p ${s.targetPort} <host>; non-22 ports are written [host]:port).`,
      );
    case 'auth':
      return new ActionError(
        'ssh-failed',
        `Could not log in to ${where}: ${said}.`,
        "Check the 'ssh-key' input and that its public key is in the target user's authorized_keys.",
      );
    case 'connect':
      return new ActionError(
        'ssh-failed',
        `Could not connect to ${where}: ${said}.`,
        "Check 'target-host', 'target-port' and that sshd runs there and is reachable from the runner.",
      );
    default:
      return new ActionError(
        'target-write-failed',
        `Writing ${s.targetPath} on ${s.targetHost} failed (${describeExit(r)}): ${said}.`,
        "Log in as root, or give the SSH user passwordless sudo ('target-sudo'), so it can write the path and chown to 'target-owner'.",
      );
  }
}
