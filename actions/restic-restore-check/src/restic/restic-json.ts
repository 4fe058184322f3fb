import { z } from 'zod';

/**
 * The JSON restic prints, read leniently: fields added by newer versions (`program_version` 0.16+,
 * `summary` 0.17+, `message_type` 0.17+) are optional and unknown fields are ignored, so 0.14–0.18 all parse.
 */
const snapshotSchema = z.object({
  id: z.string().regex(/^[0-9a-f]{64}$/),
  short_id: z.string().optional(),
  time: z.string(),
  paths: z.array(z.string()).default([]),
  hostname: z.string().default(''),
  username: z.string().optional(),
  tags: z.array(z.string()).nullish(),
  tree: z.string().optional(),
  parent: z.string().optional(),
  program_version: z.string().optional(),
  summary: z.record(z.string(), z.unknown()).optional(),
});

export interface Snapshot {
  id: string;
  shortId: string;
  time: Date;
  timeText: string;
  paths: string[];
  hostname: string;
  tags: string[];
  parent?: string;
  programVersion?: string;
}

export class ResticJsonError extends Error {}

export function parseSnapshots(stdout: string): Snapshot[] {
  let raw: unknown;
  try {
    // restic prints `null` instead of `[]` in some versions when nothing matches.
    raw = JSON.parse(stdout.trim() || '[]') ?? [];
  } catch {
    throw new ResticJsonError('`restic snapshots --json` did not print JSON');
  }
  const parsed = z.array(snapshotSchema).safeParse(raw);
  if (!parsed.success) throw new ResticJsonError('`restic snapshots --json` printed an unexpected shape');
  return parsed.data.map((s) => {
    const time = new Date(s.time);
    if (Number.isNaN(time.getTime()))
      throw new ResticJsonError(`snapshot ${s.id.slice(0, 8)} has an unreadable time '${s.time}'`);
    return {
      id: s.id,
      shortId: s.short_id ?? s.id.slice(0, 8),
      time,
      timeText: s.time,
      paths: s.paths,
      hostname: s.hostname,
      tags: s.tags ?? [],
      parent: s.parent,
      programVersion: s.program_version,
    };
  });
}

/**
 * The repository's id from `restic cat config` (`{"version", "id", "chunker_polynomial"}`, printed with
 * json.MarshalIndent by cmd_cat.go in 0.14–0.18): the name of the repository's directory in restic's
 * cache and the content part of its Actions cache key. Undefined when the output is not that shape.
 */
export function parseRepositoryId(stdout: string): string | undefined {
  // The object ends at the first line that is a lone `}` (MarshalIndent); anything printed after it
  // (a wrapper's extra lines) is not part of it. The id is checked for its shape either way.
  const end = /^\}\s*$/m.exec(stdout);
  try {
    const id = (JSON.parse(end ? stdout.slice(0, end.index + 1) : stdout) as { id?: unknown } | null)?.id;
    return typeof id === 'string' && /^[0-9a-f]{64}$/.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Snapshots `restic snapshots` could not load are left out of its listing, exit 0: 0.14 prints
 * `could not load snapshot <short id>: …` (internal/restic/snapshot_find.go), 0.15–0.18
 * `Ignoring "<id>": …` (cmd/restic/find.go FindFilteredSnapshots); `could not load snapshots: …` when
 * the listing itself failed. Returns those lines.
 */
export function unloadedSnapshotLines(stderr: string): string[] {
  return stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => /^could not load snapshots?\b/.test(l) || /^Ignoring "[0-9a-f]{64}": /.test(l));
}

export type NodeType =
  'file' | 'dir' | 'symlink' | 'dev' | 'chardev' | 'fifo' | 'socket' | 'irregular' | string;

export interface TreeNode {
  path: string;
  type: NodeType;
  size: number;
  /** Modification time (epoch ms) as recorded; restore gives the restored file the same. */
  mtimeMs?: number;
}

const lsLineSchema = z.object({
  message_type: z.string().optional(),
  struct_type: z.string().optional(),
  type: z.string().optional(),
  path: z.string().optional(),
  size: z.number().int().nonnegative().optional(),
  mtime: z.string().optional(),
});

/**
 * One line of `restic ls --json`: the snapshot line first, then one node per line. 0.14–0.16 mark lines
 * with `struct_type`, 0.17+ with `message_type` (and still `struct_type`, deprecated). Returns undefined for
 * anything that is not a node.
 */
export function parseLsLine(line: string): TreeNode | undefined {
  if (!line.trim().startsWith('{')) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    throw new ResticJsonError('`restic ls --json` printed a line that is not JSON');
  }
  const parsed = lsLineSchema.safeParse(raw);
  if (!parsed.success) throw new ResticJsonError('`restic ls --json` printed an unexpected shape');
  const l = parsed.data;
  const kind = l.message_type ?? l.struct_type;
  if (kind !== 'node' || !l.path || !l.type) return undefined;
  const mtimeMs = l.mtime === undefined ? NaN : Date.parse(l.mtime);
  return {
    path: l.path,
    type: l.type,
    size: l.size ?? 0,
    // Go's zero time (year 1) means "not recorded"; restore cannot give a file that time either.
    ...(Number.isFinite(mtimeMs) && mtimeMs > 0 ? { mtimeMs } : {}),
  };
}
