import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { ActionError } from '../../../../shared/errors.js';
import { makePrivateDir, writeFileAtomic } from '../../../../shared/fsx.js';
import { lastLine, runTool } from '../../../../shared/tool.js';
import { lookupName } from './known-hosts.js';

/**
 * The ssh config colmena gets through SSH_CONFIG_FILE (src/command/apply.rs reads it, src/nix/host/ssh.rs
 * passes it to ssh as `-F`, also inside NIX_SSHOPTS for nix-copy-closure).
 *
 * `-F` makes ssh skip ~/.ssh/config and /etc/ssh/ssh_config, so without `ssh-config` those are included
 * here to keep the runner's usual host aliases (Tailscale names, ProxyJump …). ssh uses the first value it
 * obtains for an option, so the action's options come first and win over the included files.
 */
export interface SshConfigOptions {
  /** The user's `ssh-config` input, or the runner user's ~/.ssh/config when that exists. */
  includes: string[];
  knownHostsFile?: string;
  runId: string;
}

export function renderSshConfig(o: SshConfigOptions): string {
  const lines = [
    `# Written by colmena-apply for run ${o.runId}; removed when the job step ends.`,
    'Host *',
    // Detect a dead connection (a node that hangs while rebooting or loses Tailscale) within a minute.
    '  ServerAliveInterval 15',
    '  ServerAliveCountMax 4',
    '  ConnectTimeout 30',
    // A CI job has nobody to answer a password or host key prompt.
    '  BatchMode yes',
  ];
  if (o.knownHostsFile) {
    lines.push(
      '  StrictHostKeyChecking yes',
      `  UserKnownHostsFile ${quote(o.knownHostsFile)}`,
      '  GlobalKnownHostsFile /dev/null',
      '  UpdateHostKeys no',
    );
  }
  for (const file of o.includes) lines.push(`  Include ${quote(file)}`);
  return lines.join('\n') + '\n';
}

function quote(p: string): string {
  return /[\s"]/.test(p) ? `"${p.replace(/"/g, '\\"')}"` : p;
}

export interface PreparedSsh {
  dir: string;
  configFile: string;
}

export async function prepareSshConfig(o: {
  userConfig?: string;
  knownHosts?: string;
  home?: string;
  runId: string;
}): Promise<PreparedSsh> {
  const dir = await makePrivateDir('colmena-apply-ssh');
  let knownHostsFile: string | undefined;
  if (o.knownHosts) {
    knownHostsFile = path.join(dir, 'known_hosts');
    await writeFileAtomic(knownHostsFile, o.knownHosts.trim() + '\n', { mode: 0o600 });
  }
  const includes: string[] = [];
  if (o.userConfig) includes.push(o.userConfig);
  else if (o.home && (await exists(path.join(o.home, '.ssh', 'config'))))
    includes.push(path.join(o.home, '.ssh', 'config'));
  if (await exists('/etc/ssh/ssh_config')) includes.push('/etc/ssh/ssh_config');
  const configFile = path.join(dir, 'ssh_config');
  await writeFileAtomic(configFile, renderSshConfig({ includes, knownHostsFile, runId: o.runId }), {
    mode: 0o600,
  });
  return { dir, configFile };
}

async function exists(p: string): Promise<boolean> {
  return fs
    .stat(p)
    .then((s) => s.isFile())
    .catch(() => false);
}

/** What `ssh -G` resolves for a host: the name and port ssh looks up in known_hosts. */
export function parseSshG(output: string): { hostname?: string; port?: number; hostKeyAlias?: string } {
  const out: { hostname?: string; port?: number; hostKeyAlias?: string } = {};
  for (const line of output.split(/\r?\n/)) {
    const [key, ...rest] = line.trim().split(/\s+/);
    const value = rest.join(' ');
    if (key === 'hostname') out.hostname = value;
    else if (key === 'port' && /^\d+$/.test(value)) out.port = Number(value);
    else if (key === 'hostkeyalias' && value !== 'none') out.hostKeyAlias = value;
  }
  return out;
}

/** `ssh -G` resolves aliases, HostName, Port and HostKeyAlias without connecting. */
export function createSshResolver(): {
  knownHostsName(configFile: string, host: string, port: number | null): Promise<string>;
} {
  return {
    async knownHostsName(configFile, host, port) {
      const args = ['-F', configFile, '-G', ...(port ? ['-p', String(port)] : []), host];
      const r = await runTool({ bin: 'ssh', args, echo: 'none', timeoutMs: 20_000 });
      if (r.exitCode !== 0) {
        throw new ActionError(
          'invalid-input',
          `ssh could not read the generated config for ${host} (exit ${r.exitCode}: "${lastLine(r.stderr)}").`,
          "Check the file given as 'ssh-config'.",
        );
      }
      const g = parseSshG(r.stdout);
      return lookupName(g.hostKeyAlias ?? g.hostname ?? host, g.port);
    },
  };
}
