import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { requireTool } from './tools.js';
import { filesUnder as allFiles } from './files.js';
import { withoutMaskCommands, type ActionRun } from './run-action.js';

/**
 * Fixtures for the restic-restore-check integration tests: tiny repositories made with the real restic,
 * a REST repository served by `rclone serve restic` on loopback, a proxy that kills that server in the
 * middle of a run, a stale lock left by a killed restic, and a restic wrapper that tampers with restored
 * files after the real `restic restore` returned.
 */
export const PASSWORD = 'fixture-password-7f3a';

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `rrc-${prefix}-`));
}

/** A source tree of about 150 KB. */
export function makeSource(root: string): string {
  const src = path.join(root, 'src');
  fs.mkdirSync(path.join(src, 'db'), { recursive: true });
  fs.mkdirSync(path.join(src, 'repos', 'ops'), { recursive: true });
  fs.writeFileSync(path.join(src, 'canary.txt'), 'the backup works\n');
  fs.writeFileSync(path.join(src, 'db', 'forgejo.sql'), 'CREATE TABLE repo (id int);\n'.repeat(200));
  for (let i = 0; i < 8; i++)
    fs.writeFileSync(path.join(src, 'repos', 'ops', `pack-${i}.bin`), randomBytes(16_000));
  fs.writeFileSync(path.join(src, 'repos', 'README'), 'mirror\n');
  setPastTimes(src);
  return src;
}

/**
 * Dates every file under `dir` a day back, as files backed up from a live system are: the action checks
 * that a restored file keeps the recorded time, and a file changed right after the backup could not
 * be told apart from the one restored.
 */
export function setPastTimes(dir: string): void {
  const past = new Date(Date.now() - 86_400_000);
  for (const file of allFiles(dir)) fs.utimesSync(file, past, past);
}

/** A source of `count` small files in ten directories (for sample sizes in the hundreds). */
export function makeWideSource(root: string, count: number): string {
  const src = path.join(root, 'wide');
  for (let i = 0; i < count; i++) {
    const dir = path.join(src, `d${i % 10}`);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `f${i}.txt`), `file ${i}\n`.repeat(1 + (i % 7)));
  }
  setPastTimes(src);
  return src;
}

function resticEnv(repository: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    RESTIC_REPOSITORY: repository,
    RESTIC_PASSWORD: PASSWORD,
    RESTIC_CACHE_DIR: path.join(os.tmpdir(), 'rrc-test-cache'),
  };
}

export function restic(repository: string, args: string[]): string {
  return execFileSync(requireTool('restic'), args, {
    env: resticEnv(repository),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function initRepo(repository: string): void {
  restic(repository, ['init']);
}

export interface BackupOptions {
  host?: string;
  tags?: string[];
  time?: string;
  parent?: string;
}

/** Backs up `paths` and returns the new snapshot's id. */
export function backup(repository: string, paths: string[], o: BackupOptions = {}): string {
  const args = ['backup', '--json', '--host', o.host ?? 'forgejo'];
  for (const t of o.tags ?? []) args.push('--tag', t);
  if (o.time) args.push('--time', o.time);
  if (o.parent) args.push('--parent', o.parent);
  const out = restic(repository, [...args, ...paths]);
  const summary = out
    .split('\n')
    .filter((l) => l.includes('"message_type":"summary"'))
    .map((l) => JSON.parse(l) as { snapshot_id: string })[0];
  return summary.snapshot_id;
}

export function copyDir(from: string, to: string): string {
  fs.cpSync(from, to, { recursive: true });
  return to;
}

/** Flips bytes in the middle of the largest pack file (file content, not metadata). */
export function corruptLargestPack(repo: string): string {
  const packs: { file: string; size: number }[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else packs.push({ file: p, size: fs.statSync(p).size });
    }
  };
  walk(path.join(repo, 'data'));
  const largest = packs.sort((a, b) => b.size - a.size)[0];
  fs.chmodSync(largest.file, 0o644);
  const fd = fs.openSync(largest.file, 'r+');
  const at = Math.floor(largest.size / 2);
  const buf = Buffer.alloc(16);
  fs.readSync(fd, buf, 0, 16, at);
  for (let i = 0; i < buf.length; i++) buf[i] ^= 0xff;
  fs.writeSync(fd, buf, 0, 16, at);
  fs.closeSync(fd);
  return largest.file;
}

function waitFor(what: string, test: () => boolean, timeoutMs = 15_000): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (test()) return resolve();
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 50);
    };
    tick();
  });
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((r) => child.once('exit', () => r()));
}

/**
 * Leaves a stale exclusive lock: `restic key passwd` takes an exclusive lock and then waits on stdin for
 * the new password; it is killed with SIGKILL while waiting, so it never removes its lock.
 */
export async function leaveStaleExclusiveLock(repo: string): Promise<number> {
  const child = spawn(requireTool('restic'), ['key', 'passwd'], {
    env: resticEnv(repo),
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  const locks = path.join(repo, 'locks');
  try {
    // The local backend writes `<id>-tmp-…` and renames it when complete: wait for the complete lock.
    await waitFor('the lock of restic key passwd', () =>
      fs.readdirSync(locks).some((n) => /^[0-9a-f]{64}$/.test(n)),
    );
  } finally {
    child.kill('SIGKILL');
    await exited(child);
  }
  return child.pid as number;
}

export interface RestServer {
  /** Base URL, e.g. http://127.0.0.1:40123 */
  url: string;
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** `rclone serve restic` on an ephemeral loopback port; the chosen port is read from its log. */
export async function startRestServer(
  dir: string,
  opts: { appendOnly?: boolean; user?: string; pass?: string } = {},
): Promise<RestServer> {
  const args = ['serve', 'restic', '--addr', '127.0.0.1:0', dir];
  if (opts.appendOnly) args.push('--append-only');
  if (opts.user) args.push('--user', opts.user, '--pass', opts.pass ?? '');
  const child = spawn(requireTool('rclone'), args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RCLONE_CONFIG: '/dev/null' },
  });
  let log = '';
  child.stdout?.on('data', (c: Buffer) => (log += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (log += c.toString()));
  try {
    await waitFor(
      'rclone serve restic to listen',
      () => /Serving restic REST API on http:\/\/127\.0\.0\.1:\d+/.test(log) || child.exitCode !== null,
    );
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  const m = /Serving restic REST API on (http:\/\/127\.0\.0\.1:(\d+))/.exec(log);
  if (!m) throw new Error(`rclone serve restic did not start: ${log}`);
  return {
    url: m[1],
    port: Number(m[2]),
    child,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited(child);
    },
  };
}

export interface KillingProxy {
  url: string;
  /** True once the server was killed. */
  killed(): boolean;
  close(): Promise<void>;
}

/**
 * A loopback HTTP proxy in front of the REST server that kills the server (SIGKILL) and stops listening
 * as soon as restic asks for the first pack file under data/, that is after the repository was opened
 * and the snapshots were listed: the server dies in the middle of the run.
 */
export async function startKillingProxy(server: RestServer): Promise<KillingProxy> {
  let killed = false;
  const proxy = await startForwardingProxy(server, {
    intercept: (req, p) => {
      if (!killed && !/\/data\/[0-9a-f]{64}$/.test(req.url ?? '')) return false;
      if (!killed) {
        killed = true;
        server.child.kill('SIGKILL');
        p.stopListening();
      }
      req.socket.destroy();
      p.dropConnections();
      return true;
    },
  });
  return { url: proxy.url, killed: () => killed, close: proxy.close };
}

interface ForwardingProxy {
  url: string;
  stopListening(): void;
  dropConnections(): void;
  close(): Promise<void>;
}

/**
 * A loopback HTTP proxy in front of the REST server: every request is forwarded as it is, unless
 * `intercept` handled it; `observe` sees each answer of the server before it goes back to restic.
 */
async function startForwardingProxy(
  server: RestServer,
  hooks: {
    intercept?: (req: http.IncomingMessage, proxy: ForwardingProxy) => boolean;
    observe?: (req: http.IncomingMessage, answer: http.IncomingMessage) => void;
  },
): Promise<ForwardingProxy> {
  const sockets = new Set<import('node:net').Socket>();
  const proxy = http.createServer((req, res) => {
    if (hooks.intercept?.(req, handle)) return;
    const upstream = http.request(
      { host: '127.0.0.1', port: server.port, path: req.url, method: req.method, headers: req.headers },
      (up) => {
        hooks.observe?.(req, up);
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => req.socket.destroy());
    req.pipe(upstream);
  });
  proxy.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const dropConnections = () => {
    for (const s of sockets) s.destroy();
  };
  const handle: ForwardingProxy = {
    url: '',
    stopListening: () => proxy.close(),
    dropConnections,
    close: () =>
      new Promise<void>((r) => {
        dropConnections();
        if (!proxy.listening) return r();
        proxy.close(() => r());
      }),
  };
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
  handle.url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  return handle;
}

/**
 * A `restic` for PATH that runs the real one and, after a successful `restore` (restic's own --verify
 * passed), overwrites the first bytes of one restored file in place: the file changes after restic
 * verified it, as something else on the runner could do.
 */
export function tamperingRestic(binDir: string, victimName: string): string {
  const real = requireTool('restic');
  const script = `#!/bin/sh
target=""
prev=""
for a in "$@"; do
  if [ "$prev" = "--target" ]; then target="$a"; fi
  prev="$a"
done
${JSON.stringify(real)} "$@"
rc=$?
if [ $rc -eq 0 ] && [ -n "$target" ]; then
  f=$(find "$target" -type f -name ${JSON.stringify(victimName)} | head -n 1)
  [ -n "$f" ] && printf 'TAMPERED' | dd of="$f" bs=1 seek=0 conv=notrunc 2>/dev/null
fi
exit $rc
`;
  fs.mkdirSync(binDir, { recursive: true });
  const file = path.join(binDir, 'restic');
  fs.writeFileSync(file, script, { mode: 0o755 });
  return file;
}

/** Every file under `dir` (recursively) with its content, for leak checks. */
export function filesUnder(dir: string): { file: string; content: string }[] {
  return allFiles(dir).map((file) => ({ file, content: fs.readFileSync(file, 'latin1') }));
}

/**
 * Every place a run leaves text (after its post step): the log as shown (the runner consumes the
 * `::add-mask::` commands), the summary, the report, outputs, exported env, every file left under
 * RUNNER_TEMP or the workspace, and the recorded argv of the child processes.
 */
export function leakPlaces(r: ActionRun, argv: string[][] = []): [string, string][] {
  return [
    ['log', withoutMaskCommands(r.log)],
    ['summary', r.summary],
    ['report', JSON.stringify(r.report ?? {})],
    ['outputs', JSON.stringify(r.outputs)],
    ['exported env', JSON.stringify(r.exportedEnv)],
    ['argv', JSON.stringify(argv)],
    ...[...filesUnder(r.runnerTemp), ...filesUnder(r.workspace)].map((f): [string, string] => [
      f.file,
      f.content,
    ]),
  ];
}

/** A password as given and as `base64` prints it (of the file as written, and of an `echo` of it). */
export function passwordForms(password: string): string[] {
  return [
    password,
    Buffer.from(password).toString('base64'),
    Buffer.from(`${password}\n`).toString('base64'),
  ];
}

/** `where: form` for each form of a secret found in one of the places (empty when nothing leaked). */
export function leaks(places: [string, string][], forms: string[]): string[] {
  return places.flatMap(([where, text]) =>
    forms.filter((f) => text.includes(f)).map((f) => `${where}: ${f}`),
  );
}

/**
 * A `restic` for PATH that drops the `--include` naming `victimName` from a `restore` and runs the real
 * restic: a restore that silently skipped a file. restic's own --verify checks only what it restored,
 * so it passes; the action's check against the listing must catch it.
 */
export function skippingRestic(binDir: string, victimName: string): string {
  return injectingRestic(binDir, [], { skip: victimName });
}

/**
 * A `restic` for PATH that prints `lines` (workflow commands a tool must not be able to issue) on stderr,
 * and on stdout too except for `snapshots` (whose stdout must stay one JSON document), then runs the
 * real restic; with `skip`, it also drops the `--include` naming it (see skippingRestic).
 */
export function injectingRestic(binDir: string, lines: string[], o: { skip?: string } = {}): string {
  const real = requireTool('restic');
  const printf = (stream: string) => lines.map((l) => `printf '%s\\n' ${shellQuote(l)}${stream}`).join('\n');
  const script = `#!/bin/sh
${printf(' >&2')}
sub="$1"; [ "$sub" = "--no-lock" ] && sub="$2"
first=1
hold=""
for a in "$@"; do
  if [ $first = 1 ]; then set --; first=0; fi
  if [ -n "$hold" ]; then
    hold=""
    ${o.skip ? `case "$a" in *${shellQuote(o.skip)}*) continue ;; esac` : ''}
    set -- "$@" --include "$a"
    continue
  fi
  if [ "$a" = "--include" ]; then hold=1; continue; fi
  set -- "$@" "$a"
done
${JSON.stringify(real)} "$@"
rc=$?
if [ "$sub" != "snapshots" ]; then
  :
${printf('')}
fi
exit $rc
`;
  fs.mkdirSync(binDir, { recursive: true });
  const file = path.join(binDir, 'restic');
  fs.writeFileSync(file, script, { mode: 0o755 });
  return file;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** One request restic made of the REST backend, as the counting proxy saw it. */
export interface BackendRequest {
  method: string;
  /** `index`, `data`, `snapshots`, `keys`, `locks` (a file of that type), `list <type>`, `config`. */
  type: string;
  status: number;
  /** Response body bytes sent to restic. */
  bytes: number;
}

export interface CountingProxy {
  url: string;
  requests: BackendRequest[];
  close(): Promise<void>;
}

/**
 * A loopback HTTP proxy in front of the REST server that records what restic fetches: the REST
 * backend's paths are `/<repo>/<type>/<name>` and `/<repo>/config` (restic doc/100_references.rst,
 * "REST Backend"), so every GET of an index file or a pack is one row with the bytes it returned.
 * This measures restic's cache from the outside: what it holds is what restic does not fetch.
 */
export async function startCountingProxy(server: RestServer): Promise<CountingProxy> {
  const requests: BackendRequest[] = [];
  const proxy = await startForwardingProxy(server, {
    observe: (req, up) => {
      const parts = (req.url ?? '').split('?')[0].split('/').filter(Boolean);
      // `/<repo>/<type>/<name>` is a file, `/<repo>/<type>/` a listing, `/<repo>/config` the config.
      const type =
        parts.length >= 3 ? parts[1] : parts[1] === 'config' ? 'config' : `list ${parts[1] ?? req.url ?? ''}`;
      const row: BackendRequest = { method: req.method ?? '', type, status: up.statusCode ?? 0, bytes: 0 };
      requests.push(row);
      up.on('data', (c: Buffer) => (row.bytes += c.length));
    },
  });
  return { url: proxy.url, requests, close: proxy.close };
}

/** GETs of one file type (`index`, `data`, `snapshots`) and the bytes they returned. */
export function fetched(requests: BackendRequest[], type: string): { count: number; bytes: number } {
  // restic reads files with a Range header: 206 Partial Content (or 200 from a server ignoring it).
  const rows = requests.filter(
    (r) => r.method === 'GET' && r.type === type && (r.status === 200 || r.status === 206),
  );
  return { count: rows.length, bytes: rows.reduce((n, r) => n + r.bytes, 0) };
}
