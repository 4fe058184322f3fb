import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { z } from 'zod';
import { sha256File } from './fsx.js';

/**
 * What a cache entry holds, written when it is saved and checked when it is restored: every regular
 * file with its size and sha256 (not its mode: tar applies the umask on extraction), every symbolic link with its target. A restored entry is used only
 * when the directory matches its manifest exactly — a truncated download, a corrupt archive, a file lost
 * or added on the way all turn into a clean miss instead of a tool run on half a cache.
 */
export const MANIFEST_FILE = '.edge-cache-manifest.json';

const entrySchema = z.union([
  z.object({
    path: z.string().min(1),
    size: z.number().int().nonnegative(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  }),
  z.object({ path: z.string().min(1), link: z.string() }),
]);

const manifestSchema = z.object({
  format: z.literal('edge-cache-manifest'),
  version: z.literal(1),
  key: z.string(),
  createdAt: z.string(),
  files: z.array(entrySchema),
  bytes: z.number().int().nonnegative(),
});

export type ManifestEntry = z.infer<typeof entrySchema>;
export type CacheManifest = z.infer<typeof manifestSchema>;

interface Found {
  path: string;
  abs: string;
  kind: 'file' | 'link';
  size: number;
}

/** Regular files and links under `dir` (relative POSIX paths, sorted); other file types are not cached. */
async function walk(dir: string, exclude: readonly string[]): Promise<Found[]> {
  const out: Found[] = [];
  const visit = async (rel: string) => {
    const entries = await fsp.readdir(path.join(dir, rel), { withFileTypes: true });
    for (const e of entries) {
      const relPath = rel ? `${rel}/${e.name}` : e.name;
      if (!rel && exclude.includes(e.name)) continue;
      const abs = path.join(dir, relPath);
      if (e.isDirectory()) await visit(relPath);
      else if (e.isFile() || e.isSymbolicLink()) {
        const st = await fsp.lstat(abs);
        out.push({ path: relPath, abs, kind: e.isFile() ? 'file' : 'link', size: st.size });
      }
    }
  };
  await visit('');
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export async function buildManifest(
  dir: string,
  key: string,
  exclude: readonly string[] = [MANIFEST_FILE],
): Promise<CacheManifest> {
  const files: ManifestEntry[] = [];
  let bytes = 0;
  for (const f of await walk(dir, exclude)) {
    if (f.kind === 'link') {
      files.push({ path: f.path, link: await fsp.readlink(f.abs) });
    } else {
      files.push({ path: f.path, size: f.size, sha256: await sha256File(f.abs) });
      bytes += f.size;
    }
  }
  return {
    format: 'edge-cache-manifest',
    version: 1,
    key,
    createdAt: new Date().toISOString(),
    files,
    bytes,
  };
}

/** Parses a manifest read back from a cache entry (untrusted: it came from the service or the disk). */
export function parseManifest(text: string): CacheManifest | string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return 'its manifest is not JSON';
  }
  const parsed = manifestSchema.safeParse(json);
  return parsed.success ? parsed.data : 'its manifest is not an edge cache manifest';
}

/** Same files with the same content (the comparison a save uses to skip an unchanged entry). */
export function sameContent(a: CacheManifest, b: CacheManifest): boolean {
  return JSON.stringify(a.files) === JSON.stringify(b.files);
}

/**
 * Undefined when `dir` holds exactly what the manifest lists; otherwise why not, in words. Sizes and
 * names are compared before any file is hashed, so a truncated entry is rejected without reading it all.
 */
export async function verifyManifest(
  dir: string,
  manifest: CacheManifest,
  exclude: readonly string[] = [MANIFEST_FILE],
): Promise<string | undefined> {
  const found = new Map((await walk(dir, exclude)).map((f) => [f.path, f]));
  for (const want of manifest.files) {
    const have = found.get(want.path);
    if (!have) return `'${want.path}' is missing`;
    if ('link' in want) {
      if (have.kind !== 'link') return `'${want.path}' is not a symbolic link`;
      continue;
    }
    if (have.kind !== 'file') return `'${want.path}' is not a regular file`;
    if (have.size !== want.size) return `'${want.path}' has ${have.size} bytes instead of ${want.size}`;
  }
  const listed = new Set(manifest.files.map((f) => f.path));
  const extra = [...found.keys()].find((p) => !listed.has(p));
  if (extra) return `'${extra}' is not in the manifest`;
  for (const want of manifest.files) {
    const abs = path.join(dir, want.path);
    if ('link' in want) {
      if ((await fsp.readlink(abs)) !== want.link) return `'${want.path}' points elsewhere`;
    } else if ((await sha256File(abs)) !== want.sha256) {
      return `'${want.path}' does not match its sha256`;
    }
  }
  return undefined;
}
