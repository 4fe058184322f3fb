/**
 * Names of state archives and which of them retention keeps. Pure: works on file names only.
 *
 * `<state-file-name>.<state id>.<YYYYMMDDTHHMMSSZ>.serial-<N>.tar.gz`; the state id names the state the
 * archive belongs to (state-identity.ts), N is `unknown` for an encrypted state. Archives written by
 * the first release have no state id (`<state-file-name>.<stamp>.serial-<N>.tar.gz`, "legacy"): they
 * are never deleted by retention and count for `latest` only when their metadata names this state.
 * The timestamp sorts lexically, so "newest" never depends on file mtimes (a copy or restore of the
 * backup directory changes those).
 */
export const ARCHIVE_SUFFIX = '.tar.gz';
export const CHECKSUM_SUFFIX = '.sha256';

export interface ArchiveName {
  name: string;
  stateName: string;
  /** Undefined for a legacy name (no state id). */
  stateId: string | undefined;
  timestamp: string;
  serial: number | undefined;
}

export function utcStamp(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

/** The time a stamp names (`20261121T100000Z`). */
export function stampTime(stamp: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(stamp);
  if (!m) return new Date(NaN);
  return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
}

export function archiveName(
  stateName: string,
  stateId: string,
  at: Date,
  serial: number | undefined,
): string {
  return `${stateName}.${stateId}.${utcStamp(at)}.serial-${serial ?? 'unknown'}${ARCHIVE_SUFFIX}`;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Parses an archive name of a state file named `stateName`; anything else is undefined. */
export function parseArchiveName(name: string, stateName: string): ArchiveName | undefined {
  const re = new RegExp(
    `^${escapeRe(stateName)}\\.(?:([0-9a-f]{12})\\.)?(\\d{8}T\\d{6}Z)\\.serial-(\\d+|unknown)\\.tar\\.gz$`,
  );
  const m = re.exec(name);
  if (!m) return undefined;
  return {
    name,
    stateName,
    stateId: m[1],
    timestamp: m[2],
    serial: m[3] === 'unknown' ? undefined : Number(m[3]),
  };
}

/** Newest first: by timestamp, then by serial (two archives in one second). */
export function newestFirst(archives: ArchiveName[]): ArchiveName[] {
  return [...archives].sort(
    (a, b) => b.timestamp.localeCompare(a.timestamp) || (b.serial ?? -1) - (a.serial ?? -1),
  );
}

function parsed(names: readonly string[], stateName: string): ArchiveName[] {
  return names.map((n) => parseArchiveName(n, stateName)).filter((a): a is ArchiveName => a !== undefined);
}

/** The archives of the state `stateId` among a directory listing, newest first. */
export function archivesOf(names: readonly string[], stateName: string, stateId: string): ArchiveName[] {
  return newestFirst(parsed(names, stateName).filter((a) => a.stateId === stateId));
}

/** Legacy-named archives of a state file called `stateName` (which state: only their metadata says). */
export function legacyArchivesIn(names: readonly string[], stateName: string): ArchiveName[] {
  return newestFirst(parsed(names, stateName).filter((a) => a.stateId === undefined));
}

/**
 * The archives retention deletes: this state's beyond the newest `keep`, never `justMade` (a clock
 * that went backwards could otherwise sort the fresh archive last and delete it), never another
 * state's, never a legacy one (it may be another state's).
 */
export function selectForDeletion(
  names: readonly string[],
  stateName: string,
  stateId: string,
  keep: number,
  justMade?: string,
): string[] {
  const all = archivesOf(names, stateName, stateId);
  const kept = new Set<string>();
  if (justMade && all.some((a) => a.name === justMade)) kept.add(justMade);
  for (const a of all) {
    if (kept.size >= Math.max(keep, 1)) break;
    kept.add(a.name);
  }
  return all.filter((a) => !kept.has(a.name)).map((a) => a.name);
}

/**
 * Candidates for `latest`, newest first: this state's archives and legacy ones (the caller checks a
 * legacy archive's metadata before taking it), each with its checksum file beside it.
 */
export function latestCandidates(
  names: readonly string[],
  stateName: string,
  stateId: string,
): ArchiveName[] {
  const present = new Set(names);
  return newestFirst(
    parsed(names, stateName).filter(
      (a) => (a.stateId === stateId || a.stateId === undefined) && present.has(a.name + CHECKSUM_SUFFIX),
    ),
  );
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
