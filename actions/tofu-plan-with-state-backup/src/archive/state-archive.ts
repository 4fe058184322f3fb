import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { ensurePrivateDir, pathExists, sha256, syncDir, writeFileAtomic } from '../../../../shared/fsx.js';
import {
  CHECKSUM_SUFFIX,
  archiveName,
  checksumLine,
  parseChecksumFile,
  selectForDeletion,
} from './archive-naming.js';
import { parseState, type StateInfo } from './state-file.js';
import type { StateIdentity } from './state-identity.js';
import { ArchiveFormatError, formatMib, readTarGz, writeTarGz, type TarSource } from './tar-gz.js';

/**
 * Local state archives: `<state>.<state id>.<stamp>.serial-<N>.tar.gz` holding the state file, its
 * `.backup` and `metadata.json` (which state — path, key and id —, serial, lineage, tool, run, time),
 * with a `sha256sum -c` compatible `.sha256` beside it.
 *
 * Crash safety: the archive is written and fsynced under a dot-temp name; the checksum file is written
 * (atomically) next, and only then is the archive renamed into place. An interrupted backup therefore
 * leaves a `.tmp-*` file or a checksum without archive, never an archive that looks complete.
 */
export const METADATA_ENTRY = 'metadata.json';
/** Headers, padding, end blocks and metadata.json: well below this. */
const TAR_OVERHEAD = 64 * 1024;
/** A `.sha256` file is one line; anything much larger is not one of ours. */
const MAX_CHECKSUM_FILE = 64 * 1024;

export interface ArchiveMetadata {
  /** 1: the first release (no stateKey/stateId); 2: with the state's identity. */
  format: 1 | 2;
  stateFile: string;
  statePath: string;
  /** The state's identity (state-identity.ts); absent in format 1. */
  stateKey?: string;
  stateId?: string;
  serial: number | null;
  lineage: string | null;
  encrypted: boolean;
  stateSha256: string;
  includesBackup: boolean;
  tool: string;
  toolVersion: string;
  runId: string;
  commitSha: string;
  repository: string;
  host: string;
  createdAt: string;
  purpose: string;
}

export interface ArchiveResult {
  archive: string;
  checksumFile: string;
  sha256: string;
  state: StateInfo;
}

export type ArchiveContext = Pick<
  ArchiveMetadata,
  'tool' | 'toolVersion' | 'runId' | 'commitSha' | 'repository' | 'host' | 'purpose'
>;

export async function createStateArchive(o: {
  identity: StateIdentity;
  backupDir: string;
  context: ArchiveContext;
  /** What the archive may hold uncompressed: larger would never verify, so it is not written. */
  maxBytes: number;
  now?: () => Date;
}): Promise<ArchiveResult> {
  const now = o.now ?? (() => new Date());
  const { stateName, statePath, id } = o.identity;
  // Read once: the serial in the name and metadata must describe exactly the bytes archived.
  const stateBytes = await fsp.readFile(statePath);
  const state = parseState(stateBytes);
  const backupFile = `${statePath}.backup`;
  const backupBytes = await fsp.readFile(backupFile).catch(() => undefined);
  const total = stateBytes.length + (backupBytes?.length ?? 0) + TAR_OVERHEAD;
  if (total > o.maxBytes)
    throw new Error(
      `the state and its .backup (${formatMib(total)}) exceed the archive size limit of ${formatMib(o.maxBytes)} (max-archive-size-mb)`,
    );
  await ensurePrivateDir(o.backupDir);

  let at = now();
  let name = archiveName(stateName, id, at, state.serial);
  // Two backups within one second (restore archives the current state, then a re-run…): next second.
  while (
    (await pathExists(path.join(o.backupDir, name))) ||
    (await pathExists(checksumOf(o.backupDir, name)))
  ) {
    await new Promise((r) => setTimeout(r, 250));
    at = now();
    name = archiveName(stateName, id, at, state.serial);
  }
  const metadata: ArchiveMetadata = {
    format: 2,
    stateFile: stateName,
    statePath,
    stateKey: o.identity.key,
    stateId: id,
    serial: state.serial ?? null,
    lineage: state.lineage ?? null,
    encrypted: state.encrypted,
    stateSha256: sha256(stateBytes),
    includesBackup: backupBytes !== undefined,
    ...o.context,
    createdAt: at.toISOString(),
  };
  const sources: TarSource[] = [
    { name: METADATA_ENTRY, data: Buffer.from(JSON.stringify(metadata, null, 2) + '\n') },
    { name: stateName, data: stateBytes },
    ...(backupBytes ? [{ name: `${stateName}.backup`, data: backupBytes }] : []),
  ];
  const tmp = path.join(o.backupDir, `.${name}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  const final = path.join(o.backupDir, name);
  const checksumFile = checksumOf(o.backupDir, name);
  try {
    const digest = await writeTarGz(tmp, sources, at);
    await writeFileAtomic(checksumFile, checksumLine(digest, name), { mode: 0o600 });
    await fsp.rename(tmp, final);
    await syncDir(o.backupDir);
    return { archive: final, checksumFile, sha256: digest, state };
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    if (!(await pathExists(final))) await fsp.rm(checksumFile, { force: true });
    throw e;
  }
}

export function checksumOf(dir: string, name: string): string {
  return path.join(dir, name + CHECKSUM_SUFFIX);
}

export interface VerifiedArchive {
  sha256: string;
  metadata: ArchiveMetadata;
  state: Buffer;
  stateInfo: StateInfo;
}

export class ArchiveCheckError extends Error {}

/**
 * Reads an archive once into memory and verifies exactly those bytes: sha256 against the checksum
 * file beside it, then the content (gunzip capped at `maxBytes`, strict tar, metadata.json, the state
 * file's sha256 in it). What is verified is what the caller then uses: there is no second read.
 */
export async function verifyArchive(archive: string, o: { maxBytes: number }): Promise<VerifiedArchive> {
  const name = path.basename(archive);
  const sumFile = archive + CHECKSUM_SUFFIX;
  const sumSize = (await fsp.stat(sumFile).catch(() => undefined))?.size;
  if (sumSize === undefined)
    throw new ArchiveCheckError(`its checksum file '${name}${CHECKSUM_SUFFIX}' is missing`);
  if (sumSize > MAX_CHECKSUM_FILE)
    throw new ArchiveCheckError(`its checksum file is not a sha256sum line (${sumSize} bytes)`);
  const expected = parseChecksumFile(await fsp.readFile(sumFile, 'utf8'), name);
  if (!expected) throw new ArchiveCheckError(`its checksum file does not list '${name}'`);
  const size = (await fsp.stat(archive)).size;
  if (size > o.maxBytes)
    throw new ArchiveCheckError(
      `it is ${formatMib(size)}, more than the archive size limit of ${formatMib(o.maxBytes)} (max-archive-size-mb)`,
    );
  return verifyArchiveBytes(await fsp.readFile(archive), expected, o);
}

export async function verifyArchiveBytes(
  bytes: Buffer,
  expectedSha256: string,
  o: { maxBytes: number },
): Promise<VerifiedArchive> {
  const actual = sha256(bytes);
  if (actual !== expectedSha256)
    throw new ArchiveCheckError(
      `sha256 mismatch: the file is ${actual}, its checksum file says ${expectedSha256}`,
    );
  let entries;
  try {
    entries = await readTarGz(bytes, o.maxBytes);
  } catch (e) {
    if (!(e instanceof ArchiveFormatError)) throw e;
    const limit = /inflates to more than/.test(e.message) ? ' (max-archive-size-mb)' : '';
    throw new ArchiveCheckError(`it cannot be read as a state archive: ${e.message}${limit}`);
  }
  const metaEntry = entries.find((e) => e.name === METADATA_ENTRY);
  const metadata = metaEntry ? parseMetadata(metaEntry.data) : undefined;
  if (!metadata)
    throw new ArchiveCheckError(
      `it holds no readable ${METADATA_ENTRY}, so it cannot be told which state it belongs to`,
    );
  const stateEntry = entries.find((e) => e.name === metadata.stateFile);
  if (!stateEntry) throw new ArchiveCheckError(`it holds no state file named '${metadata.stateFile}'`);
  if (metadata.stateSha256 !== sha256(stateEntry.data))
    throw new ArchiveCheckError('the state inside does not match the sha256 in its metadata.json');
  return { sha256: actual, metadata, state: stateEntry.data, stateInfo: parseState(stateEntry.data) };
}

function parseMetadata(data: Buffer): ArchiveMetadata | undefined {
  try {
    const m = JSON.parse(data.toString('utf8')) as ArchiveMetadata;
    if (!m || typeof m !== 'object' || typeof m.stateFile !== 'string' || typeof m.stateSha256 !== 'string')
      return undefined;
    return m;
  } catch {
    return undefined;
  }
}

/** A temp file older than this is left over from an interrupted backup (backups run under the lock). */
const STALE_TEMP_MS = 3_600_000;

/**
 * Deletes this state's archives (and their checksum files) beyond the newest `keep`, never `justMade`,
 * and temp files that interrupted backups of this state left behind. Other states' archives and
 * legacy-named ones are never touched.
 */
export async function applyRetention(
  backupDir: string,
  identity: StateIdentity,
  keep: number,
  justMade: string,
  now = Date.now(),
): Promise<string[]> {
  const names = await fsp.readdir(backupDir);
  const doomed = selectForDeletion(names, identity.stateName, identity.id, keep, justMade);
  for (const n of doomed) {
    await fsp.rm(path.join(backupDir, n), { force: true });
    await fsp.rm(checksumOf(backupDir, n), { force: true });
  }
  const tempPrefix = `.${identity.stateName}.${identity.id}.`;
  for (const n of names.filter((n) => n.startsWith(tempPrefix) && /\.tar\.gz\.tmp-/.test(n))) {
    const st = await fsp.stat(path.join(backupDir, n)).catch(() => undefined);
    if (st && now - st.mtimeMs > STALE_TEMP_MS) await fsp.rm(path.join(backupDir, n), { force: true });
  }
  return doomed;
}
