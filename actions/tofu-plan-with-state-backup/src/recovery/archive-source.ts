import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { CancelledError, errorMessage } from '../../../../shared/errors.js';
import { formatAge } from '../../../../shared/age.js';
import { makePrivateDir } from '../../../../shared/fsx.js';
import { resolvePath } from '../../../../shared/inputs.js';
import {
  CHECKSUM_SUFFIX,
  latestCandidates,
  parseArchiveName,
  stampTime,
  type ArchiveName,
} from '../archive/archive-naming.js';
import { remoteJoin, remoteSplit, type RcloneCli, type RemoteFile } from '../archive/rclone-cli.js';
import { parseRclonePath } from '../archive/rclone-remote.js';
import { verifyArchive, type VerifiedArchive } from '../archive/state-archive.js';
import { identityProblem, type StateIdentity } from '../archive/state-identity.js';

/**
 * Where a restore (or a rehearsal) takes its archive from, and getting it verified into memory:
 * - `latest`: the newest archive of this state in the backup directory;
 * - `remote`: the newest archive of this state in `backup-remote`;
 * - an rclone path (`pcloud:infra/state/edge/<archive>`, `:local:/srv/offsite/<archive>`);
 * - a local path (absolute, `~/…`, `./…`, or any text that is not an rclone path).
 * A remote archive and its `.sha256` are fetched with rclone into a private temp directory, verified
 * from one read, and the directory is removed before anything is restored. An archive of another state
 * is refused naming both; a legacy-named archive (first release, no state id in its name) counts for
 * `latest`/`remote` only when its metadata names this state.
 */
export type RestoreSource =
  | { kind: 'latest' }
  | { kind: 'remote' }
  | { kind: 'local'; path: string }
  | { kind: 'rclone'; path: string };

export function classifyRestoreFrom(from: string): RestoreSource {
  if (from === 'latest') return { kind: 'latest' };
  if (from === 'remote') return { kind: 'remote' };
  if (/^[/~.]/.test(from) || !parseRclonePath(from)) return { kind: 'local', path: resolvePath(from) };
  return { kind: 'rclone', path: from };
}

export interface ObtainedArchive {
  /** A local path or an rclone path. */
  location: string;
  source: 'local' | 'remote';
  name: string;
  verified: VerifiedArchive;
  /** The remote listing made on the way (to reuse for the inventory), when one was made. */
  remoteNames?: string[];
}

export interface ArchiveFacts {
  location: string;
  source: 'local' | 'remote';
  serial: number | null;
  lineage: string | null;
  createdAt: string;
  ageSeconds: number;
}

/** What the report and outputs say about an obtained archive. Pure. */
export function archiveFacts(o: ObtainedArchive, now: Date): ArchiveFacts {
  const m = o.verified.metadata;
  const stamp = parseArchiveName(o.name, path.basename(m.stateFile))?.timestamp;
  const created = Date.parse(m.createdAt) || (stamp ? stampTime(stamp).getTime() : NaN);
  return {
    location: o.location,
    source: o.source,
    serial: m.serial ?? null,
    lineage: m.lineage ?? null,
    createdAt: Number.isFinite(created) ? new Date(created).toISOString() : 'unknown',
    ageSeconds: Number.isFinite(created) ? Math.max(0, Math.floor((now.getTime() - created) / 1000)) : -1,
  };
}

/** An archive's age (`ageSeconds`, -1 when its creation time is unknown), for messages. Pure. */
export function archiveAge(seconds: number): string {
  return seconds < 0 ? 'unknown' : formatAge(seconds * 1000);
}

/** The archive could not be obtained or verified: the caller turns it into its failure reason. */
export class ArchiveSourceError extends Error {}

export interface SourceRequest {
  from: RestoreSource;
  identity: StateIdentity;
  backupDir: string;
  remote?: string;
  maxBytes: number;
}

export interface SourceDeps {
  rclone?: RcloneCli;
  /** Fetched files are private temp files: remembered so post removes them after a crash. */
  remember: (kind: 'tempdir', p: string) => void;
  forget: (kind: 'tempdir', p: string) => void;
}

function refuse(location: string, why: string): ArchiveSourceError {
  return new ArchiveSourceError(`the archive '${location}' ${why}`);
}

async function verifiedFor(file: string, location: string, req: SourceRequest): Promise<VerifiedArchive> {
  try {
    return await verifyArchive(file, { maxBytes: req.maxBytes });
  } catch (e) {
    if (e instanceof CancelledError) throw e;
    throw refuse(location, `did not verify (${errorMessage(e)})`);
  }
}

function checkIdentity(v: VerifiedArchive, location: string, req: SourceRequest): void {
  const other = identityProblem(v.metadata, req.identity);
  if (other) throw refuse(location, `belongs to another state: ${other}`);
}

/**
 * The largest compressed archive whose content can be within `maxBytes`: gzip's worst case adds about
 * 0.03 % to incompressible data, tar a 512-byte header and padding per member plus the end blocks.
 */
export function compressedLimit(maxBytes: number): number {
  return maxBytes + Math.ceil(maxBytes / 1000) + 64 * 1024;
}

/** Fetches `name` and its checksum from `remoteDir` into a private temp dir, verifies, removes them. */
async function fetchVerified(
  remoteDir: string,
  name: string,
  req: SourceRequest,
  deps: SourceDeps,
  listedSize?: number,
): Promise<VerifiedArchive> {
  if (!deps.rclone) throw new Error('an rclone path was given but no rclone client');
  const location = remoteJoin(remoteDir, name);
  // The size limit applies before the download: a huge (or hostile) remote file is never fetched.
  let size = listedSize;
  try {
    size ??= await deps.rclone.sizeOf(location);
  } catch (e) {
    if (e instanceof CancelledError) throw e;
    throw refuse(location, `could not be looked up (${errorMessage(e)})`);
  }
  if (size === undefined) throw refuse(location, 'does not exist');
  const limit = compressedLimit(req.maxBytes);
  if (size > limit)
    throw refuse(
      location,
      `is ${size} bytes, more than an archive within the size limit can be (${limit} bytes; max-archive-size-mb); it was not fetched`,
    );
  const dir = await makePrivateDir('tofu-fetch');
  deps.remember('tempdir', dir);
  try {
    try {
      await deps.rclone.download(remoteDir, [name, name + CHECKSUM_SUFFIX], dir);
    } catch (e) {
      if (e instanceof CancelledError) throw e;
      throw refuse(location, `could not be fetched (${errorMessage(e)})`);
    }
    return await verifiedFor(path.join(dir, name), location, req);
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
    deps.forget('tempdir', dir);
  }
}

/**
 * The newest candidate whose archive is this state's. A candidate that fails verification stops the
 * search (the operator must look at it), a legacy one that names another state is passed over.
 */
async function newestOfThisState(
  candidates: ArchiveName[],
  where: string,
  load: (name: string) => Promise<{ location: string; verified: VerifiedArchive }>,
  req: SourceRequest,
): Promise<{ name: string; location: string; verified: VerifiedArchive }> {
  for (const c of candidates) {
    const got = await load(c.name);
    if (c.stateId === undefined && identityProblem(got.verified.metadata, req.identity)) continue;
    checkIdentity(got.verified, got.location, req);
    return { name: c.name, ...got };
  }
  throw new ArchiveSourceError(
    `no archive of the state '${req.identity.key}' with a checksum file was found in '${where}'`,
  );
}

export async function obtainArchive(req: SourceRequest, deps: SourceDeps): Promise<ObtainedArchive> {
  const { stateName, id } = req.identity;
  switch (req.from.kind) {
    case 'local': {
      const location = req.from.path;
      const verified = await verifiedFor(location, location, req);
      checkIdentity(verified, location, req);
      return { location, source: 'local', name: path.basename(location), verified };
    }
    case 'rclone': {
      const [dir, name] = remoteSplit(req.from.path);
      const verified = await fetchVerified(dir, name, req, deps);
      checkIdentity(verified, req.from.path, req);
      return { location: req.from.path, source: 'remote', name, verified };
    }
    case 'latest': {
      const names = await fsp.readdir(req.backupDir).catch(() => [] as string[]);
      const found = await newestOfThisState(
        latestCandidates(names, stateName, id),
        req.backupDir,
        async (name) => {
          const location = path.join(req.backupDir, name);
          return { location, verified: await verifiedFor(location, location, req) };
        },
        req,
      );
      return { ...found, source: 'local' };
    }
    case 'remote': {
      const remote = req.remote;
      if (!remote || !deps.rclone) throw new Error("restore-from 'remote' without backup-remote");
      let files: RemoteFile[];
      try {
        files = await deps.rclone.list(remote);
      } catch (e) {
        if (e instanceof CancelledError) throw e;
        throw new ArchiveSourceError(
          `the off-site copies in '${remote}' could not be listed (${errorMessage(e)})`,
        );
      }
      const names = files.map((f) => f.name);
      const sizes = new Map(files.map((f) => [f.name, f.size]));
      const found = await newestOfThisState(
        latestCandidates(names, stateName, id),
        remote,
        async (name) => ({
          location: remoteJoin(remote, name),
          verified: await fetchVerified(remote, name, req, deps, sizes.get(name)),
        }),
        req,
      );
      return { ...found, source: 'remote', remoteNames: names };
    }
  }
}
