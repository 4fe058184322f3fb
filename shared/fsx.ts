import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as core from '@actions/core';
import { ActionError, CancelledError } from './errors.js';
import { cancellation } from './tool.js';

/**
 * Writes a file so that readers see either the old content or the whole new content: temp file in the
 * same directory, fsync, rename, fsync of the directory. An interrupted write leaves only a `.tmp-*` file.
 */
export async function writeFileAtomic(
  file: string,
  data: string | Buffer,
  opts: { mode?: number } = {},
): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  const handle = await fsp.open(tmp, 'wx', opts.mode ?? 0o644);
  try {
    await handle.writeFile(data);
    if (opts.mode !== undefined) await handle.chmod(opts.mode);
    await handle.sync();
  } catch (e) {
    await handle.close();
    await fsp.rm(tmp, { force: true });
    throw e;
  }
  await handle.close();
  try {
    await fsp.rename(tmp, file);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
  await syncDir(dir);
}

/** A file written and synced beside its destination, not visible there until `place()`. */
export interface StagedFile {
  /** The file's identity (see fileId): unchanged once placed, so a later step can tell it is ours. */
  readonly id: string;
  /** Makes the file appear at its destination; fails with EEXIST, never overwriting, if one exists. */
  place(): Promise<void>;
  discard(): Promise<void>;
}

/**
 * For files the action must never write over (an operator's key file): the content is written and
 * synced first, then hard-linked into place, which is atomic and refuses an existing destination —
 * so a file that appears between a check and the write is not lost either.
 */
export async function stageFile(file: string, data: string | Buffer, mode: number): Promise<StagedFile> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  const handle = await fsp.open(tmp, 'wx', mode);
  let st: fs.BigIntStats;
  try {
    await handle.writeFile(data);
    await handle.chmod(mode);
    await handle.sync();
    st = await handle.stat({ bigint: true });
  } catch (e) {
    await handle.close();
    await fsp.rm(tmp, { force: true });
    throw e;
  }
  await handle.close();
  const discard = () => fsp.rm(tmp, { force: true });
  return {
    id: identity(st),
    async place() {
      try {
        await fsp.link(tmp, file);
      } finally {
        await discard();
      }
      await syncDir(dir);
    },
    discard,
  };
}

/**
 * Which file is at a path (not following a symlink), or undefined when nothing is there: device, inode,
 * birth and modification time in nanoseconds. The inode alone is not enough — a file removed and
 * written again by another step often gets the same inode number back.
 */
export async function fileId(p: string): Promise<string | undefined> {
  const st = await fsp.lstat(p, { bigint: true }).catch(() => undefined);
  return st ? identity(st) : undefined;
}

function identity(st: fs.BigIntStats): string {
  return `${st.dev}:${st.ino}:${st.birthtimeNs}:${st.mtimeNs}`;
}

/** Makes a rename durable (the directory entry itself). */
export async function syncDir(dir: string): Promise<void> {
  const h = await fsp.open(dir, 'r').catch(() => undefined);
  if (!h) return;
  try {
    await h.sync();
  } catch {
    // Some file systems refuse fsync on directories; the rename is still atomic.
  } finally {
    await h.close();
  }
}

/** sha256 of a file, streamed (state files and archives can be large). */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(fs.createReadStream(file), hash);
  return hash.digest('hex');
}

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function runnerTemp(): string {
  return process.env.RUNNER_TEMP || os.tmpdir();
}

/** A fresh private (0700) directory under RUNNER_TEMP (or `parent`). */
export async function makePrivateDir(prefix: string, parent = runnerTemp()): Promise<string> {
  await fsp.mkdir(parent, { recursive: true });
  const dir = await fsp.mkdtemp(path.join(parent, `${prefix}-`));
  await fsp.chmod(dir, 0o700);
  return dir;
}

/** Ensures `dir` exists with mode 0700 (created when missing; an existing dir is tightened). */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  await fsp.chmod(dir, 0o700);
}

export interface LockInfo {
  pid: number;
  host: string;
  runId: string;
  since: string;
  purpose?: string;
}

export class LockTimeoutError extends ActionError {
  constructor(
    readonly lockFile: string,
    readonly holder: LockInfo | undefined,
    waitedMs: number,
    reason: string,
  ) {
    const who = holder
      ? `held by run ${holder.runId} (pid ${holder.pid} on ${holder.host}) since ${holder.since}`
      : 'held by an unknown process';
    super(
      reason,
      `Could not lock '${lockFile}' within ${Math.round(waitedMs / 1000)}s: ${who}.`,
      'Wait for that run to finish or cancel it; a lock of a dead process is broken automatically.',
    );
  }
}

export interface Lock {
  readonly file: string;
  release(): Promise<void>;
}

const held = new Set<string>();

/** Releases every lock this process still holds (synchronous: also used on process exit). */
export function releaseAllLocksSync(): void {
  for (const file of held) {
    try {
      const info = JSON.parse(fs.readFileSync(file, 'utf8')) as LockInfo;
      if (info.pid === process.pid) fs.rmSync(file, { force: true });
    } catch {
      // Already gone.
    }
  }
  held.clear();
}
process.on('exit', releaseAllLocksSync);

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readLock(file: string): LockInfo | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as LockInfo;
  } catch {
    return undefined;
  }
}

/**
 * Breaks a lock whose holder died on this host. Breakers serialize on `<lock>.break` and re-read the lock
 * inside it, so two waiters can never remove a lock that a live process has just taken.
 */
function breakIfDead(file: string): boolean {
  const breaker = `${file}.break`;
  let fd: number;
  try {
    fd = fs.openSync(breaker, 'wx');
  } catch {
    const st = fs.statSync(breaker, { throwIfNoEntry: false });
    if (st && Date.now() - st.mtimeMs > 10_000) fs.rmSync(breaker, { force: true });
    return false;
  }
  try {
    const info = readLock(file);
    if (!info || info.host !== os.hostname() || pidAlive(info.pid)) return false;
    fs.rmSync(file, { force: true });
    core.warning(
      `Broke the stale lock '${file}' of run ${info.runId} (pid ${info.pid} is no longer running, since ${info.since}).`,
    );
    return true;
  } finally {
    fs.closeSync(fd);
    fs.rmSync(breaker, { force: true });
  }
}

export interface LockOptions {
  timeoutMs: number;
  runId: string;
  purpose?: string;
  /** failure-reason used when the wait times out. */
  reason?: string;
  pollMs?: number;
  /** Told once when the lock is busy, so the log says who we wait for. */
  onWait?: (holder: LockInfo | undefined) => void;
}

/** A runner-local exclusive lock file holding pid, host, run id and start time. */
export async function acquireLock(file: string, opts: LockOptions): Promise<Lock> {
  await fsp.mkdir(path.dirname(file), { recursive: true });
  const started = Date.now();
  const info: LockInfo = {
    pid: process.pid,
    host: os.hostname(),
    runId: opts.runId,
    since: new Date().toISOString(),
    purpose: opts.purpose,
  };
  let told = false;
  for (;;) {
    try {
      const fd = fs.openSync(file, 'wx', 0o644);
      fs.writeSync(fd, JSON.stringify(info));
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      held.add(file);
      return {
        file,
        release: async () => {
          if (!held.delete(file)) return;
          if (readLock(file)?.pid === process.pid) await fsp.rm(file, { force: true });
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    if (breakIfDead(file)) continue;
    const holder = readLock(file);
    if (!told) {
      told = true;
      opts.onWait?.(holder);
    }
    const signal = cancellation();
    if (signal) throw new CancelledError(signal);
    if (Date.now() - started >= opts.timeoutMs) {
      throw new LockTimeoutError(file, holder, Date.now() - started, opts.reason ?? 'locked');
    }
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 250));
  }
}

export async function withLock<T>(file: string, opts: LockOptions, fn: () => Promise<T>): Promise<T> {
  const lock = await acquireLock(file, opts);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}

export async function pathExists(p: string): Promise<boolean> {
  return fsp
    .access(p)
    .then(() => true)
    .catch(() => false);
}

const FS_ERRORS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exhausted',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'it is a directory',
};

/** A file-system error in words for a one-line message: "no space left on the device (ENOSPC)". */
export function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code && FS_ERRORS[code]) return `${FS_ERRORS[code]} (${code})`;
  return code ?? (err instanceof Error ? err.message : String(err));
}
