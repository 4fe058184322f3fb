import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execAsRoot } from './privileged.js';

/**
 * Helpers of the suite-wide reliability tests (test/reliability/): argv recorders that also catch tools
 * that are not installed, file-tree snapshots, process-group checks, leak scans and mounts.
 */

/** The suite's one argv recorder, under the names these tests use. */
export { createArgvRecorder as recorder, type ArgvRecorder as Recorder } from './argv-recorder.js';

/** Every entry under `dir` with type, mode, size and content hash: two equal snapshots mean nothing changed. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      const st = fs.lstatSync(p);
      const mode = (st.mode & 0o7777).toString(8);
      if (e.isDirectory()) {
        out[p] = `dir ${mode}`;
        walk(p);
      } else if (e.isFile()) {
        out[p] =
          `file ${mode} ${st.size} ${createHash('sha256').update(fs.readFileSync(p)).digest('hex').slice(0, 16)}`;
      } else if (e.isSymbolicLink()) out[p] = `link ${fs.readlinkSync(p)}`;
      else out[p] = `other ${mode}`;
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out;
}

/** What differs between two snapshots, as `+ path`, `- path`, `~ path`. */
export function snapshotDiff(before: Record<string, string>, after: Record<string, string>): string[] {
  const diff: string[] = [];
  for (const [p, v] of Object.entries(after)) {
    if (!(p in before)) diff.push(`+ ${p}`);
    else if (before[p] !== v) diff.push(`~ ${p} (${before[p]} → ${v})`);
  }
  for (const p of Object.keys(before)) if (!(p in after)) diff.push(`- ${p}`);
  return diff;
}

/** Every regular file under `dir`: the suite's one walker. */
export { filesUnder } from './files.js';

/** The forms a secret can leak in: itself, base64 (with and without a trailing newline), extra forms. */
export function leakForms(secret: string, extra: string[] = []): string[] {
  const s = secret.trim();
  return [s, Buffer.from(s).toString('base64'), Buffer.from(`${s}\n`).toString('base64'), ...extra].filter(
    (f) => f.length >= 8,
  );
}

/** `where` for every place (name → text) that contains one of the needles. */
export function leaksIn(places: [string, string][], needles: string[]): string[] {
  const hits: string[] = [];
  for (const [where, text] of places)
    for (const n of needles) if (text.includes(n)) hits.push(`${where} contains ${n.slice(0, 24)}…`);
  return hits;
}

/** Live (non-zombie) processes whose process group is `pgid` (PID 1 here does not reap, so zombies stay). */
export function liveGroupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // rest[0] = state, rest[1] = ppid, rest[2] = pgrp
      if (Number(rest[2]) === pgid && rest[0] !== 'Z') out.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** Live processes whose command line contains `needle`. */
export function processesMatching(needle: string): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      if (cmd.includes(needle) && stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z') out.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** Resident set size (KiB) and its peak of a live process, from /proc. */
export function rssOf(pid: number): { rssKb: number; peakKb: number } | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /VmRSS:\s+(\d+)/.exec(status);
    const hwm = /VmHWM:\s+(\d+)/.exec(status);
    return rss && hwm ? { rssKb: Number(rss[1]), peakKb: Number(hwm[1]) } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Mounts a small tmpfs on `dir`, owned by the test's user (so the action under test, which runs as
 * that user, can write until it is full). Root, or passwordless sudo, is needed.
 */
export function mountTmpfs(dir: string, size: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const owner = `uid=${process.getuid?.() ?? 0},gid=${process.getgid?.() ?? 0}`;
  execAsRoot(
    'mount',
    ['-t', 'tmpfs', '-o', `size=${size},mode=0755,${owner}`, 'tmpfs', dir],
    `mounting a tmpfs on ${dir} (disk-full faults)`,
  );
}

/** Re-mounts `dir` onto itself read-only (root, or passwordless sudo). */
export function mountReadOnly(dir: string): void {
  execAsRoot('mount', ['--bind', dir, dir], `bind-mounting ${dir} read-only`);
  execAsRoot('mount', ['-o', 'remount,bind,ro', dir], `bind-mounting ${dir} read-only`);
}

export function unmount(dir: string): void {
  for (let i = 0; i < 3; i++) {
    try {
      execAsRoot('umount', [dir], `unmounting ${dir}`);
    } catch {
      return;
    }
  }
}

/** Fills a (tmpfs) directory until the file system has no space left. */
export function fillUp(dir: string): void {
  try {
    execFileSync('dd', ['if=/dev/zero', `of=${path.join(dir, 'filler')}`, 'bs=4k'], { stdio: 'pipe' });
  } catch {
    // dd exits 1 with "No space left on device": that is the point.
  }
}

export function waitFor(what: string, test: () => boolean, timeoutMs = 30_000): Promise<void> {
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

/** Removes what the harness created for a run: its RUNNER_TEMP, and its workspace when the test gave none. */
export function removeRunDirs(run: { runnerTemp: string; workspace: string }): void {
  fs.rmSync(run.runnerTemp, { recursive: true, force: true });
  if (path.basename(run.workspace).startsWith('workspace-') && path.dirname(run.workspace) === os.tmpdir())
    fs.rmSync(run.workspace, { recursive: true, force: true });
}
