/**
 * Names of state archives and which of them retention keeps. Pure: works on file names only.
 *
 * `<state-file-name>.<YYYYMMDDTHHMMSSZ>.serial-<N>.tar.gz`; N is `unknown` for an encrypted state.
 * The timestamp sorts lexically, so "newest" never depends on file mtimes (a copy or restore of the
 * backup directory changes those).
 */
export const ARCHIVE_SUFFIX = '.tar.gz';
export const CHECKSUM_SUFFIX = '.sha256';

export interface ArchiveName {
  name: string;
  stateName: string;
  timestamp: string;
  serial: number | undefined;
}

export function utcStamp(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

export function archiveName(stateName: string, at: Date, serial: number | undefined): string {
  return `${stateName}.${utcStamp(at)}.serial-${serial ?? 'unknown'}${ARCHIVE_SUFFIX}`;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Parses an archive name of this state; anything else (other states, temp files) is undefined. */
export function parseArchiveName(name: string, stateName: string): ArchiveName | undefined {
  const re = new RegExp(`^${escapeRe(stateName)}\\.(\\d{8}T\\d{6}Z)\\.serial-(\\d+|unknown)\\.tar\\.gz$`);
  const m = re.exec(name);
  if (!m) return undefined;
  return { name, stateName, timestamp: m[1], serial: m[2] === 'unknown' ? undefined : Number(m[2]) };
}

/** Newest first: by timestamp, then by serial (two archives in one second). */
export function newestFirst(archives: ArchiveName[]): ArchiveName[] {
  return [...archives].sort(
    (a, b) => b.timestamp.localeCompare(a.timestamp) || (b.serial ?? -1) - (a.serial ?? -1),
  );
}

/** The archives of `stateName` among a directory listing, newest first. */
export function archivesIn(names: readonly string[], stateName: string): ArchiveName[] {
  return newestFirst(
    names.map((n) => parseArchiveName(n, stateName)).filter((a): a is ArchiveName => a !== undefined),
  );
}

/**
 * The archives retention deletes: everything beyond the newest `keep`, never `justMade` (a clock that
 * went backwards could otherwise sort the fresh archive last and delete it).
 */
export function selectForDeletion(
  names: readonly string[],
  stateName: string,
  keep: number,
  justMade?: string,
): string[] {
  const all = archivesIn(names, stateName);
  const kept = new Set<string>();
  if (justMade && all.some((a) => a.name === justMade)) kept.add(justMade);
  for (const a of all) {
    if (kept.size >= Math.max(keep, 1)) break;
    kept.add(a.name);
  }
  return all.filter((a) => !kept.has(a.name)).map((a) => a.name);
}

/** `latest` for restore: the newest archive that has its checksum file beside it. */
export function latestArchive(names: readonly string[], stateName: string): string | undefined {
  const present = new Set(names);
  return archivesIn(names, stateName).find((a) => present.has(a.name + CHECKSUM_SUFFIX))?.name;
}

/** One line as written by `sha256sum` (text mode, two spaces), readable by `sha256sum -c` and `shasum -c`. */
export function checksumLine(sha256: string, fileName: string): string {
  return `${sha256}  ${fileName}\n`;
}

/** Reads a checksum file (sha256sum text or binary mode); undefined when malformed or for another file. */
export function parseChecksumFile(content: string, fileName: string): string | undefined {
  for (const line of content.split(/\r?\n/)) {
    const m = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(line.trim());
    if (m && (m[2] === fileName || m[2].endsWith(`/${fileName}`))) return m[1].toLowerCase();
  }
  return undefined;
}
