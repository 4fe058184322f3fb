import { CancelledError } from '../../../../shared/errors.js';
import { cancellation, describeExit, lastLine, runTool, type ToolResult } from '../../../../shared/tool.js';

/**
 * rclone, narrowed to what the off-site copy needs: upload named files, read a remote file's sha256,
 * list a remote directory (names and sizes), download named files. The hash is computed by `hashsum sha256 --download`,
 * i.e. from the bytes read back from the remote, so verification works on every backend (pCloud offers
 * only MD5/SHA1 server-side) and proves that the remote copy is readable, not just listed.
 * Uploads and downloads name their files on stdin (`--files-from-raw -`): one process for an archive
 * and its checksum, and names never become arguments.
 */
export interface RcloneCli {
  upload(localDir: string, names: readonly string[], remoteDir: string): Promise<void>;
  sha256Of(remoteFile: string): Promise<string | undefined>;
  /** The size of one remote file in bytes; undefined when it does not exist. */
  sizeOf(remoteFile: string): Promise<number | undefined>;
  /** The files in `remoteDir` with their sizes; empty when the directory does not exist. */
  list(remoteDir: string): Promise<RemoteFile[]>;
  /** Copies `names` that exist in `remoteDir` into `localDir`; the caller checks what arrived. */
  download(remoteDir: string, names: readonly string[], localDir: string): Promise<void>;
}

export class RcloneError extends Error {}

export interface RemoteFile {
  name: string;
  size: number;
}

/** rclone's exit code for "directory not found" (docs/content/docs.md, "Exit code"). */
const DIRECTORY_NOT_FOUND = 3;

/** `remote:dir` + name → `remote:dir/name` (`remote:` + name → `remote:name`). */
export function remoteJoin(dest: string, name: string): string {
  return dest.endsWith(':') || dest.endsWith('/') ? `${dest}${name}` : `${dest}/${name}`;
}

/** `remote:dir/name` → [`remote:dir`, `name`]; `remote:name` → [`remote:`, `name`]. */
export function remoteSplit(file: string): [string, string] {
  const cut = Math.max(file.lastIndexOf('/'), file.lastIndexOf(':'));
  return [file.slice(0, file[cut] === ':' ? cut + 1 : cut), file.slice(cut + 1)];
}

/** Finds `name`'s hash in `rclone hashsum` output (`<hex>  <path>` lines). */
export function parseHashsum(stdout: string, name: string): string | undefined {
  for (const line of stdout.split(/\r?\n/)) {
    const m = /^([0-9a-f]{64})\s+(.+)$/.exec(line.trim());
    if (m && (m[2] === name || m[2].endsWith(`/${name}`))) return m[1];
  }
  return undefined;
}

/** The files in `rclone lsjson` output (a JSON array of { Name, Size, … }). */
export function parseLsjson(stdout: string): RemoteFile[] {
  let entries: unknown;
  try {
    entries = JSON.parse(stdout);
  } catch {
    throw new RcloneError('rclone lsjson printed something that is not JSON');
  }
  if (!Array.isArray(entries)) return [];
  return (entries as { Name?: unknown; Size?: unknown }[]).flatMap((e) =>
    e && typeof e.Name === 'string' && typeof e.Size === 'number' && e.Size >= 0
      ? [{ name: e.Name, size: e.Size }]
      : [],
  );
}

export function createRcloneCli(o: { bin?: string; config?: string; timeoutMs?: number }): RcloneCli {
  const bin = o.bin ?? 'rclone';
  const base = o.config ? ['--config', o.config] : [];
  const exec = async (args: string[], stdin?: string): Promise<ToolResult> => {
    const r = await runTool({
      bin,
      args: [...base, ...args],
      stdin,
      timeoutMs: o.timeoutMs ?? 15 * 60_000,
      echo: 'stderr',
    });
    // Stopped by a forwarded SIGINT/SIGTERM: report the cancellation, not a copy failure.
    if (r.cancelled) throw new CancelledError(cancellation() ?? 'SIGTERM');
    return r;
  };
  const fail = (what: string, r: ToolResult) =>
    new RcloneError(`rclone could not ${what} (${describeExit(r)}: ${lastLine(r.stderr)})`);
  const lsjson = async (remotePath: string): Promise<RemoteFile[]> => {
    const r = await exec(['lsjson', '--files-only', '--no-modtime', '--no-mimetype', remotePath]);
    if (r.exitCode === DIRECTORY_NOT_FOUND) return [];
    if (r.exitCode !== 0) throw fail(`list '${remotePath}'`, r);
    return parseLsjson(r.stdout);
  };
  const fileList = (names: readonly string[]) => names.map((n) => `${n}\n`).join('');
  return {
    async upload(localDir, names, remoteDir) {
      const args = ['copy', '--retries', '2', '--no-traverse', '--files-from-raw', '-', localDir, remoteDir];
      const r = await exec(args, fileList(names));
      if (r.exitCode !== 0) throw fail(`copy to '${remoteDir}'`, r);
    },
    async sha256Of(remoteFile) {
      const r = await exec(['hashsum', 'sha256', '--download', remoteFile]);
      if (r.exitCode !== 0) throw fail(`read back '${remoteFile}'`, r);
      return parseHashsum(r.stdout, remoteSplit(remoteFile)[1]);
    },
    async sizeOf(remoteFile) {
      const name = remoteSplit(remoteFile)[1];
      return (await lsjson(remoteFile)).find((f) => f.name === name)?.size;
    },
    list: lsjson,
    async download(remoteDir, names, localDir) {
      const args = ['copy', '--retries', '2', '--no-traverse', '--files-from-raw', '-', remoteDir, localDir];
      const r = await exec(args, fileList(names));
      if (r.exitCode !== 0) throw fail(`copy from '${remoteDir}'`, r);
    },
  };
}
