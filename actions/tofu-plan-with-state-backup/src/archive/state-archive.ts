import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import {
  ensurePrivateDir,
  pathExists,
  sha256,
  sha256File,
  syncDir,
  writeFileAtomic,
} from '../../../../shared/fsx.js';
import {
  CHECKSUM_SUFFIX,
  archiveName,
  checksumLine,
  parseChecksumFile,
  selectForDeletion,
} from './archive-naming.js';
import { parseState, type StateInfo } from './state-file.js';
import { readTarGz, writeTarGz, type TarSource } from './tar-gz.js';

/**
 * Local state archives: `<state>.<stamp>.serial-<N>.tar.gz` holding the state file, its `.backup` and
 * `metadata.json`, with a `sha256sum -c` compatible `.sha256` beside it.
 *
 * Crash safety: the archive is written and fsynced under a dot-temp name; the checksum file is written
 * (atomically) next, and only then is the archive renamed into place. An interrupted backup therefore
 * leaves a `.tmp-*` file or a checksum without archive, never an archive that looks complete.
 */
export const METADATA_ENTRY = 'metadata.json';

export interface ArchiveMetadata {
  format: 1;
  stateFile: string;
  statePath: string;
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
  statePath: string;
  backupDir: string;
  context: ArchiveContext;
  now?: () => Date;
}): Promise<ArchiveResult> {
  const now = o.now ?? (() => new Date());
  const stateName = path.basename(o.statePath);
  // Read once: the serial in the name and metadata must describe exactly the bytes archived.
  const stateBytes = await fsp.readFile(o.statePath);
  const state = parseState(stateBytes);
  const backupFile = `${o.statePath}.backup`;
  const backupBytes = await fsp.readFile(backupFile).catch(() => undefined);
  await ensurePrivateDir(o.backupDir);

  let at = now();
  let name = archiveName(stateName, at, state.serial);
  // Two backups within one second (restore archives the current state, then a re-run…): next second.
  while (
    (await pathExists(path.join(o.backupDir, name))) ||
    (await pathExists(checksumOf(o.backupDir, name)))
  ) {
    await new Promise((r) => setTimeout(r, 250));
    at = now();
    name = archiveName(stateName, at, state.serial);
  }
  const metadata: ArchiveMetadata = {
    format: 1,
    stateFile: stateName,
    statePath: o.statePath,
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
  metadata: ArchiveMetadata | undefined;
  state: Buffer;
  stateInfo: StateInfo;
}

export class ArchiveCheckError extends Error {}

/**
 * Re-reads an archive from disk: its sha256 against the checksum file beside it, then its content
 * (gunzip + tar in-process) so a truncated or corrupt archive never counts as a backup.
 */
export async function verifyArchive(archive: string, expectedStateName?: string): Promise<VerifiedArchive> {
  const name = path.basename(archive);
  const sumText = await fsp.readFile(archive + CHECKSUM_SUFFIX, 'utf8').catch(() => undefined);
  if (sumText === undefined)
    throw new ArchiveCheckError(`its checksum file '${name}${CHECKSUM_SUFFIX}' is missing`);
  const expected = parseChecksumFile(sumText, name);
  if (!expected) throw new ArchiveCheckError(`its checksum file does not list '${name}'`);
  const actual = await sha256File(archive);
  if (actual !== expected)
    throw new ArchiveCheckError(`sha256 mismatch: the file is ${actual}, its checksum file says ${expected}`);
  let entries;
  try {
    entries = await readTarGz(archive);
  } catch (e) {
    throw new ArchiveCheckError(`it cannot be read as .tar.gz (${(e as Error).message})`);
  }
  const metaEntry = entries.find((e) => e.name === METADATA_ENTRY);
  let metadata: ArchiveMetadata | undefined;
  try {
    metadata = metaEntry ? (JSON.parse(metaEntry.data.toString('utf8')) as ArchiveMetadata) : undefined;
  } catch {
    metadata = undefined;
  }
  const stateName = expectedStateName ?? metadata?.stateFile;
  const stateEntry = entries.find((e) => e.name === stateName);
  if (!stateEntry) throw new ArchiveCheckError(`it holds no state file named '${stateName ?? '?'}'`);
  if (metadata && metadata.stateSha256 !== sha256(stateEntry.data))
    throw new ArchiveCheckError('the state inside does not match the sha256 in its metadata.json');
  return { sha256: actual, metadata, state: stateEntry.data, stateInfo: parseState(stateEntry.data) };
}

/** A temp file older than this is left over from an interrupted backup (backups run under the lock). */
const STALE_TEMP_MS = 3_600_000;

/**
 * Deletes archives (and their checksum files) beyond the newest `keep`, never `justMade`, and temp files
 * that interrupted backups of this state left behind.
 */
export async function applyRetention(
  backupDir: string,
  stateName: string,
  keep: number,
  justMade: string,
  now = Date.now(),
): Promise<string[]> {
  const names = await fsp.readdir(backupDir);
  const doomed = selectForDeletion(names, stateName, keep, justMade);
  for (const n of doomed) {
    await fsp.rm(path.join(backupDir, n), { force: true });
    await fsp.rm(checksumOf(backupDir, n), { force: true });
  }
  for (const n of names.filter((n) => n.startsWith(`.${stateName}.`) && /\.tar\.gz\.tmp-/.test(n))) {
    const st = await fsp.stat(path.join(backupDir, n)).catch(() => undefined);
    if (st && now - st.mtimeMs > STALE_TEMP_MS) await fsp.rm(path.join(backupDir, n), { force: true });
  }
  return doomed;
}
