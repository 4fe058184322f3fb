import { execFileSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { execAsRoot, isRoot, removeAsRoot, spawnAsRoot } from './privileged.js';
import { requireTool } from './tools.js';

/**
 * A real OpenSSH sshd on 127.0.0.1 for the staging tests: throwaway host key, one authorized user key,
 * everything in a temp directory, foreground (`-D -e`) so stopping the child stops the server. It runs
 * as root (through `sudo -n` when the tests do not), because the tests log in as root and stage files
 * owned by other users, as the action does on a real target.
 */
export interface TestSshd {
  port: number;
  dir: string;
  /** `[127.0.0.1]:port ssh-ed25519 AAAA…`, for `known-hosts`. */
  knownHostsLine: string;
  /** The user's private key content, for `ssh-key`. */
  userKey: string;
  stop(): Promise<void>;
}

function keygen(file: string): void {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'sops-stage-test', '-f', file]);
}

/** A throwaway ed25519 public key line (for a wrong pin). */
export function otherHostKey(dir: string): string {
  const f = path.join(dir, `other-${Date.now()}`);
  keygen(f);
  return fs.readFileSync(`${f}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
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

function waitListening(child: ChildProcess, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`sshd did not start: ${log}`)), timeoutMs);
    child.stderr!.on('data', (c: Buffer) => {
      log += c.toString();
      if (/Server listening on/.test(log)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sshd exited (${code}): ${log}`));
    });
  });
}

/** `forceCommand`: a command sshd runs instead of the client's (a hostile or wrapped target). */
/** sudo relays SIGTERM to sshd but cannot relay SIGKILL: then the pid file names the process to kill. */
function stopRoot(child: ChildProcess, dir: string, signal: NodeJS.Signals): void {
  if (isRoot || signal !== 'SIGKILL') {
    child.kill(signal);
    return;
  }
  const pid = fs.existsSync(path.join(dir, 'sshd.pid'))
    ? fs.readFileSync(path.join(dir, 'sshd.pid'), 'utf8').trim()
    : '';
  if (/^\d+$/.test(pid)) {
    try {
      execAsRoot('kill', ['-KILL', pid], 'stopping sshd');
    } catch {
      // already gone
    }
  }
  child.kill('SIGKILL');
}

export async function startSshd(o: { forceCommand?: string } = {}): Promise<TestSshd> {
  const sshd = requireTool('sshd');
  requireTool('ssh');
  requireTool('ssh-keygen');
  // sshd refuses to start as root without its privilege separation directory.
  if (!fs.existsSync('/run/sshd')) execAsRoot('mkdir', ['-p', '-m', '0755', '/run/sshd'], 'starting sshd');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sops-stage-sshd-'));
  keygen(path.join(dir, 'host_ed25519'));
  keygen(path.join(dir, 'user_ed25519'));
  fs.copyFileSync(path.join(dir, 'user_ed25519.pub'), path.join(dir, 'authorized_keys'));
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const config = path.join(dir, 'sshd_config');
    fs.writeFileSync(
      config,
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${path.join(dir, 'host_ed25519')}`,
        `PidFile ${path.join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
        'PermitRootLogin prohibit-password',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'StrictModes no',
        'UsePAM no',
        'PrintMotd no',
        'LogLevel INFO',
        ...(o.forceCommand ? [`ForceCommand ${o.forceCommand}`] : []),
        '',
      ].join('\n'),
    );
    const child = spawnAsRoot(sshd, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      await waitListening(child, 10_000);
    } catch (e) {
      stopRoot(child, dir, 'SIGKILL');
      if (attempt < 2) continue; // the port was taken between probe and bind
      throw e;
    }
    const hostPub = fs.readFileSync(path.join(dir, 'host_ed25519.pub'), 'utf8').trim().split(' ');
    return {
      port,
      dir,
      knownHostsLine: `[127.0.0.1]:${port} ${hostPub[0]} ${hostPub[1]}`,
      userKey: fs.readFileSync(path.join(dir, 'user_ed25519'), 'utf8'),
      stop: () =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once('exit', () => resolve());
          stopRoot(child, dir, 'SIGTERM');
          setTimeout(() => stopRoot(child, dir, 'SIGKILL'), 3000).unref();
        }).then(() => removeAsRoot(dir)),
    };
  }
}
