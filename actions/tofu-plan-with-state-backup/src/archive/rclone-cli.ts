import { CancelledError } from '../../../../shared/errors.js';
import { cancellation, describeExit, lastLine, runTool } from '../../../../shared/tool.js';

/**
 * rclone, narrowed to "copy one file to a destination" and "what is the sha256 of that remote file".
 * The hash is computed by `hashsum sha256 --download`, i.e. from the bytes read back from the remote,
 * so verification works on every backend (pCloud offers only MD5/SHA1 server-side) and proves that
 * the remote copy is readable, not just listed.
 */
export interface RcloneCli {
  copyTo(localFile: string, remoteFile: string): Promise<void>;
  sha256Of(remoteFile: string): Promise<string | undefined>;
}

export class RcloneError extends Error {}

/** `remote:dir` + name → `remote:dir/name` (`remote:` + name → `remote:name`). */
export function remoteJoin(dest: string, name: string): string {
  return dest.endsWith(':') || dest.endsWith('/') ? `${dest}${name}` : `${dest}/${name}`;
}

/** Finds `name`'s hash in `rclone hashsum` output (`<hex>  <path>` lines). */
export function parseHashsum(stdout: string, name: string): string | undefined {
  for (const line of stdout.split(/\r?\n/)) {
    const m = /^([0-9a-f]{64})\s+(.+)$/.exec(line.trim());
    if (m && (m[2] === name || m[2].endsWith(`/${name}`))) return m[1];
  }
  return undefined;
}

export function createRcloneCli(o: { bin?: string; config?: string; timeoutMs?: number }): RcloneCli {
  const bin = o.bin ?? 'rclone';
  const base = o.config ? ['--config', o.config] : [];
  const exec = async (args: string[]) => {
    const r = await runTool({
      bin,
      args: [...base, ...args],
      timeoutMs: o.timeoutMs ?? 15 * 60_000,
      echo: 'stderr',
    });
    // Stopped by a forwarded SIGINT/SIGTERM: report the cancellation, not a copy failure.
    if (r.cancelled) throw new CancelledError(cancellation() ?? 'SIGTERM');
    return r;
  };
  return {
    async copyTo(localFile, remoteFile) {
      const r = await exec(['copyto', '--retries', '2', localFile, remoteFile]);
      if (r.exitCode !== 0)
        throw new RcloneError(
          `rclone could not copy to '${remoteFile}' (${describeExit(r)}: ${lastLine(r.stderr)})`,
        );
    },
    async sha256Of(remoteFile) {
      const r = await exec(['hashsum', 'sha256', '--download', remoteFile]);
      if (r.exitCode !== 0)
        throw new RcloneError(
          `rclone could not read back '${remoteFile}' (${describeExit(r)}: ${lastLine(r.stderr)})`,
        );
      const name = remoteFile.slice(Math.max(remoteFile.lastIndexOf('/'), remoteFile.lastIndexOf(':')) + 1);
      return parseHashsum(r.stdout, name);
    },
  };
}
