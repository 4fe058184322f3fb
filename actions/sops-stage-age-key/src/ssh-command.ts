/**
 * Everything about the ssh call that can be decided without running it: the options, the argv, the
 * generated ssh_config, the fixed remote script, and how ssh's answer is read. The key itself never
 * appears here: it travels on ssh's stdin.
 */
export interface SshPlan {
  /** `user@host` or `host` as given (brackets of an IPv6 address already removed). */
  destination: string;
  port: number;
  /** Private key file for IdentityFile, when the `ssh-key` input was given. */
  identityFile?: string;
  /** Pinned known_hosts file, when the `known-hosts` input was given. */
  knownHostsFile?: string;
  /** The user's ssh_config, included after the enforced options (ssh keeps the first value it reads). */
  userConfig?: string;
  /** Generated ssh_config path (used only with userConfig). */
  configFile: string;
  connectTimeoutSec: number;
}

export interface TargetSpec {
  path: string;
  mode: string;
  owner: string;
  /** Run the script through `sudo -n`: always, never, or when the SSH user is not root and sudo exists. */
  sudo: 'auto' | 'always' | 'never';
}

/** `[::1]` → `::1`: ssh wants a bare address in `user@host`. */
export function sshDestination(targetHost: string): string {
  return targetHost.replace(/@\[([^\]]+)\]$/, '@$1').replace(/^\[([^\]]+)\]$/, '$1');
}

/** Paths in ssh options expand `%` tokens and split on spaces: escape and quote them. */
function pathValue(p: string): string {
  const escaped = p.replace(/%/g, '%%');
  return /[\s"]/.test(escaped) ? `"${escaped.replace(/"/g, '')}"` : escaped;
}

/**
 * Options that make the call safe whatever the user's ssh_config says: no prompts, no unknown or changed
 * host keys, no agent or X11 forwarding, no shared master connection that could outlive the step.
 */
export function enforcedOptions(plan: SshPlan): [string, string][] {
  const opts: [string, string][] = [
    ['BatchMode', 'yes'],
    ['StrictHostKeyChecking', 'yes'],
    ['UpdateHostKeys', 'no'],
    ['PasswordAuthentication', 'no'],
    ['KbdInteractiveAuthentication', 'no'],
    ['ForwardAgent', 'no'],
    ['ForwardX11', 'no'],
    ['ClearAllForwardings', 'yes'],
    ['RequestTTY', 'no'],
    ['ControlMaster', 'no'],
    ['ControlPath', 'none'],
    ['ConnectTimeout', String(plan.connectTimeoutSec)],
    ['ServerAliveInterval', '10'],
    ['ServerAliveCountMax', '3'],
    ['LogLevel', 'ERROR'],
  ];
  if (plan.knownHostsFile) {
    // Pinned: only the given keys count, not whatever the runner's own known_hosts files say.
    opts.push(['UserKnownHostsFile', pathValue(plan.knownHostsFile)], ['GlobalKnownHostsFile', '/dev/null']);
  }
  if (plan.identityFile) {
    opts.push(['IdentityFile', pathValue(plan.identityFile)], ['IdentitiesOnly', 'yes']);
  }
  return opts;
}

/** The generated ssh_config: enforced options first, then the user's file for hosts, users, jumps. */
export function renderSshConfig(plan: SshPlan): string {
  const lines = [
    '# Written by sops-stage-age-key. ssh keeps the first value it reads, so these win over the include.',
    ...enforcedOptions(plan).map(([k, v]) => `${k} ${v}`),
  ];
  if (plan.userConfig) lines.push(`Include ${pathValue(plan.userConfig)}`);
  return lines.join('\n') + '\n';
}

/**
 * Runs on the target under `sh`, arguments: path, mode, owner. Writes stdin to a fresh file beside the
 * target (noclobber makes the create exclusive), sets mode and owner before the rename so the key is never
 * visible with looser permissions, then prints the sha256 of what landed.
 */
export const REMOTE_SCRIPT = [
  'set -eu',
  'umask 077',
  'target=$1 mode=$2 owner=$3',
  'dir=$(dirname -- "$target")',
  'if [ -d "$target" ]; then echo "sops-stage-age-key: $target is a directory" >&2; exit 3; fi',
  'if [ ! -d "$dir" ]; then mkdir -p -- "$dir"; chown -- "$owner" "$dir"; fi',
  'tmp="$dir/.$(basename -- "$target").tmp.$$"',
  'trap \'rm -f -- "$tmp"\' EXIT',
  'set -C',
  ': > "$tmp"',
  'set +C',
  'chmod -- "$mode" "$tmp"',
  'chown -- "$owner" "$tmp"',
  'cat > "$tmp"',
  'mv -f -- "$tmp" "$target"',
  'trap - EXIT',
  'if command -v sha256sum >/dev/null 2>&1; then sum=$(sha256sum < "$target")',
  'elif command -v shasum >/dev/null 2>&1; then sum=$(shasum -a 256 < "$target")',
  'else sum=$(openssl dgst -sha256 -r < "$target"); fi',
  'echo "sha256=${sum%% *}"',
].join('\n');

/** Quotes one word for the remote login shell (ssh joins the remote command into one string). */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Chooses root or `sudo -n` on the target (a deploy user that may not chown to root:root), then runs
 * REMOTE_SCRIPT, passed as an argument so no quoting nests. Arguments: sudo mode, path, mode, owner, script.
 */
export const REMOTE_WRAPPER = [
  'how=$1; shift',
  'case "$how" in',
  '  always) run="sudo -n" ;;',
  '  never) run= ;;',
  '  *) if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then run="sudo -n"; else run=; fi ;;',
  'esac',
  'exec $run sh -c "$4" sops-stage-age-key "$1" "$2" "$3"',
].join('\n');

export function remoteCommand(target: TargetSpec): string {
  return [
    'sh',
    '-c',
    REMOTE_WRAPPER,
    'sops-stage-age-key',
    target.sudo,
    target.path,
    target.mode,
    target.owner,
    REMOTE_SCRIPT,
  ]
    .map(shellQuote)
    .join(' ');
}

export function sshArgs(plan: SshPlan, target: TargetSpec): string[] {
  const args: string[] = [];
  if (plan.userConfig) args.push('-F', plan.configFile);
  else {
    args.push('-F', 'none');
    for (const [k, v] of enforcedOptions(plan)) args.push('-o', `${k}=${v}`);
  }
  args.push('-T', '-p', String(plan.port), '--', plan.destination, remoteCommand(target));
  return args;
}

/** The `sha256=<hex>` line the remote script prints (a login banner may precede it). */
export function parseRemoteSha256(stdout: string): string | undefined {
  const m = /^sha256=([0-9a-f]{64})\s*$/m.exec(stdout);
  return m?.[1];
}

export type SshFailureKind = 'host-key-mismatch' | 'host-key-unknown' | 'auth' | 'connect' | 'remote';

/** What went wrong, from ssh's exit code and stderr (OpenSSH texts, sshconnect.c). */
export function classifySshFailure(exitCode: number | null, stderr: string): SshFailureKind {
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for .* has changed/i.test(stderr))
    return 'host-key-mismatch';
  if (/No \S+ host key is known for|Host key verification failed/i.test(stderr)) return 'host-key-unknown';
  if (exitCode !== 255) return 'remote';
  if (
    /Permission denied|Too many authentication failures|no mutual signature|Load key .*: invalid format/i.test(
      stderr,
    )
  )
    return 'auth';
  return 'connect';
}
