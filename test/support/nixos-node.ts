import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { StandinNode } from './colmena-apply-hive.js';
import { REPO_ROOT } from './run-action.js';
import { requireTool } from './tools.js';

/**
 * A NixOS node for the colmena-apply tests: a real OpenSSH sshd on 127.0.0.1 whose login environment
 * (ForceCommand) puts the NixOS stand-ins first on PATH (test/support/standins/nixos-node: systemctl,
 * systemd-run, nix-env, sudo and each generation's switch-to-configuration), with the node's profile
 * links and store under a temp directory instead of /nix and /run.
 *
 * Works with and without root: sshd runs as the current user on a random high port with its own host
 * key, an authorized_keys file in the temp dir, `StrictModes no` (temp dirs are not the user's home) and
 * `UsePAM no` (PAM needs root). The node's login user is the current user. As root sshd also needs its
 * privilege separation directory, /run/sshd.
 */
export const NODE_STANDINS = path.join(REPO_ROOT, 'test', 'support', 'standins', 'nixos-node');

export interface Generation {
  units: Record<string, 'active' | 'inactive' | 'failed'>;
  /** false: activating it stops the node's sshd listener (as a firewall rule dropping port 22 would). */
  sshReachable?: boolean;
  /** switch-to-configuration switch/boot fails with "Failed to install bootloader". */
  bootloaderFails?: boolean;
  restart?: string[];
}

export interface NodeSpec {
  name: string;
  generations: Record<number, Generation>;
  /** The generation the profile points at and the node runs. */
  current: number;
  /** Lines the node prints on every ssh session (stdout and stderr) before running the command. */
  inject?: string[];
}

export interface Call {
  program: string;
  argv: string[];
  at: number;
}

export interface TestNode {
  name: string;
  host: string;
  port: number;
  user: string;
  root: string;
  knownHostsLine: string;
  profile: string;
  currentSystem: string;
  systemPath(generation: number): string;
  /** `system-<N>-link` and the running store path, read from the files. */
  state(): { profileLink: string; running: string; units: Record<string, string> };
  calls(): Call[];
  transientUnits(): string[];
  journal(): string;
  sshdRunning(): boolean;
  stop(): void;
}

export interface Fleet {
  dir: string;
  /** ssh_config for the action's `ssh-config` input: the test user key for every host. */
  sshConfig: string;
  user: string;
  nodes: TestNode[];
  knownHosts(): string;
  /** The colmena stand-in's `nodes` for these nodes, each activating generation `deploy[name]`. */
  scenarioNodes(deploy: Record<string, number>): Record<string, StandinNode>;
  stop(): void;
}

function keygen(file: string, comment: string): void {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function pidOf(file: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

function readJson<T>(file: string, fallback: T): T {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return fallback;
  }
}

/** A store path name like Nix's: 32 base-32 characters, then the name. */
function storeName(node: string, generation: number): string {
  const hash = Buffer.from(`${node}-${generation}`)
    .toString('hex')
    .padEnd(32, '0')
    .slice(0, 32)
    .replace(/[eotu]/g, 'a');
  return `${hash}-nixos-system-${node}-24.05.${generation}`;
}

function layOut(root: string, spec: NodeSpec): void {
  const profiles = path.join(root, 'nix', 'var', 'nix', 'profiles');
  fs.mkdirSync(profiles, { recursive: true });
  fs.mkdirSync(path.join(root, 'run'), { recursive: true });
  fs.mkdirSync(path.join(root, 'state', 'transient'), { recursive: true });
  for (const [n, g] of Object.entries(spec.generations)) {
    const store = path.join(root, 'nix', 'store', storeName(spec.name, Number(n)));
    fs.mkdirSync(path.join(store, 'bin'), { recursive: true });
    fs.writeFileSync(path.join(store, 'system.json'), JSON.stringify(g, null, 1));
    const stc = path.join(store, 'bin', 'switch-to-configuration');
    fs.writeFileSync(
      stc,
      `#!/bin/sh\nexec '${path.join(NODE_STANDINS, 'switch-to-configuration')}' '${store}' "$@"\n`,
    );
    fs.chmodSync(stc, 0o755);
    // Generations up to the current one exist as profile links (older ones too: switching back needs them).
    if (Number(n) <= spec.current) fs.symlinkSync(store, path.join(profiles, `system-${n}-link`));
  }
  fs.symlinkSync(`system-${spec.current}-link`, path.join(profiles, 'system'));
  fs.symlinkSync(
    path.join(root, 'nix', 'store', storeName(spec.name, spec.current)),
    path.join(root, 'run', 'current-system'),
  );
  fs.writeFileSync(
    path.join(root, 'state', 'units.json'),
    JSON.stringify(spec.generations[spec.current].units),
  );
}

async function startNode(dir: string, spec: NodeSpec, authorizedKey: string): Promise<TestNode> {
  const sshd = requireTool('sshd');
  const root = fs.mkdtempSync(path.join(dir, `${spec.name}-`));
  layOut(root, spec);
  keygen(path.join(root, 'host_ed25519'), `${spec.name}-host`);
  fs.writeFileSync(path.join(root, 'authorized_keys'), authorizedKey);
  const pidFile = path.join(root, 'sshd.pid');
  const config = path.join(root, 'sshd_config');
  const log = path.join(root, 'sshd.log');
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    fs.writeFileSync(
      config,
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${path.join(root, 'host_ed25519')}`,
        `PidFile ${pidFile}`,
        `AuthorizedKeysFile ${path.join(root, 'authorized_keys')}`,
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PermitRootLogin prohibit-password',
        'StrictModes no',
        'UsePAM no',
        'PrintMotd no',
        'LogLevel INFO',
        `ForceCommand ${process.execPath} ${path.join(NODE_STANDINS, 'node-login')} ${root}`,
        '',
      ].join('\n'),
    );
    fs.writeFileSync(
      path.join(root, 'node.json'),
      JSON.stringify({ name: spec.name, inject: spec.inject, sshd: { bin: sshd, config, pidFile, log } }),
    );
    // Without -D sshd binds, then daemonizes: listening once this returns. The node's own activations
    // stop and start it the same way (lib.js), so the test holds no child process of it.
    const r = spawnSync(sshd, ['-f', config, '-E', log], { stdio: 'ignore' });
    for (let i = 0; i < 100 && !pidOf(pidFile); i++) await new Promise((res) => setTimeout(res, 50));
    if (r.status !== 0 || !pidOf(pidFile)) {
      if (attempt < 2) continue; // the port was taken between probe and bind
      throw new Error(`sshd did not start: ${fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : r.status}`);
    }
    const hostPub = fs.readFileSync(path.join(root, 'host_ed25519.pub'), 'utf8').trim().split(' ');
    const profile = path.join(root, 'nix', 'var', 'nix', 'profiles', 'system');
    const user = os.userInfo().username;
    return {
      name: spec.name,
      host: '127.0.0.1',
      port,
      user,
      root,
      knownHostsLine: `[127.0.0.1]:${port} ${hostPub[0]} ${hostPub[1]}`,
      profile,
      currentSystem: path.join(root, 'run', 'current-system'),
      systemPath: (n) => path.join(root, 'nix', 'store', storeName(spec.name, n)),
      state: () => ({
        profileLink: fs.readlinkSync(profile),
        running: fs.realpathSync(path.join(root, 'run', 'current-system')),
        units: readJson(path.join(root, 'state', 'units.json'), {}),
      }),
      calls: () =>
        fs.existsSync(path.join(root, 'state', 'calls.jsonl'))
          ? fs
              .readFileSync(path.join(root, 'state', 'calls.jsonl'), 'utf8')
              .split('\n')
              .filter(Boolean)
              .map((l) => JSON.parse(l) as Call)
          : [],
      transientUnits: () =>
        fs
          .readdirSync(path.join(root, 'state', 'transient'))
          .filter((f) => f.endsWith('.json'))
          .map((f) => f.slice(0, -5))
          .sort(),
      journal: () =>
        fs.existsSync(path.join(root, 'state', 'journal.log'))
          ? fs.readFileSync(path.join(root, 'state', 'journal.log'), 'utf8')
          : '',
      sshdRunning: () => pidOf(pidFile) !== undefined,
      stop() {
        // Timers still waiting, then the (possibly restarted) sshd.
        const transient = path.join(root, 'state', 'transient');
        for (const f of fs.existsSync(transient) ? fs.readdirSync(transient) : []) {
          const pid = readJson<{ firePid?: number }>(path.join(transient, f), {}).firePid;
          if (pid) killQuietly(pid);
        }
        const pid = pidOf(pidFile);
        if (pid) killQuietly(pid);
      },
    };
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    // gone already
  }
}

/** Several nodes sharing one user key, and the ssh_config that uses it. */
export async function startFleet(specs: NodeSpec[]): Promise<Fleet> {
  requireTool('ssh');
  requireTool('ssh-keygen');
  // sshd refuses to start as root without its privilege separation directory (not needed otherwise).
  if (process.getuid?.() === 0) fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'colmena-nodes-'));
  keygen(path.join(dir, 'user_ed25519'), 'colmena-apply-test');
  const authorized = fs.readFileSync(path.join(dir, 'user_ed25519.pub'), 'utf8');
  const sshConfig = path.join(dir, 'ssh_config');
  fs.writeFileSync(
    sshConfig,
    `Host *\n  IdentityFile ${path.join(dir, 'user_ed25519')}\n  IdentitiesOnly yes\n`,
  );
  const nodes: TestNode[] = [];
  try {
    for (const spec of specs) nodes.push(await startNode(dir, spec, authorized));
  } catch (e) {
    nodes.forEach((n) => n.stop());
    throw e;
  }
  const user = os.userInfo().username;
  return {
    dir,
    sshConfig,
    user,
    nodes,
    knownHosts: () => nodes.map((n) => n.knownHostsLine).join('\n'),
    scenarioNodes: (deploy) =>
      Object.fromEntries(
        nodes.map((n) => [
          n.name,
          {
            tags: ['edge'],
            targetHost: n.host,
            targetPort: n.port,
            targetUser: user,
            system: n.systemPath(deploy[n.name]),
            systemProfile: n.profile,
          },
        ]),
      ),
    stop() {
      nodes.forEach((n) => n.stop());
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
