/**
 * Git LFS pointer files, as git-lfs writes them (git-lfs docs/spec.md): UTF-8 text below 1024 bytes,
 * `version https://git-lfs.github.com/spec/v1` first, then sorted `key value` lines with at least
 * `oid sha256:<64 hex>` and `size <bytes>`. A small blob that does not parse is an ordinary file.
 */
export interface LfsObject {
  oid: string;
  size: number;
  /** A path the pointer was found at (the first one seen), to name the file in messages. */
  path: string;
}

/** git-lfs only reads blobs below this size as pointers (lfs/gitscanner: blobSizeCutoff). */
export const POINTER_MAX_BYTES = 1024;

const VERSIONS = new Set(['https://git-lfs.github.com/spec/v1', 'https://hawser.github.com/spec/v1']);

export function parsePointer(text: string): { oid: string; size: number } | undefined {
  if (text.length >= POINTER_MAX_BYTES) return undefined;
  const lines = text.replace(/\n$/, '').split('\n');
  const fields = new Map<string, string>();
  for (const line of lines) {
    const m = /^([a-z0-9.-]+) (\S.*)$/.exec(line);
    if (!m) return undefined;
    fields.set(m[1], m[2]);
  }
  if (!VERSIONS.has(fields.get('version') ?? '') || lines[0].slice(0, 8) !== 'version ') return undefined;
  const oid = /^sha256:([0-9a-f]{64})$/.exec(fields.get('oid') ?? '')?.[1];
  const size = /^\d{1,15}$/.test(fields.get('size') ?? '') ? Number(fields.get('size')) : NaN;
  if (!oid || !Number.isSafeInteger(size)) return undefined;
  return { oid, size };
}

export interface BlobCandidate {
  sha: string;
  size: number;
  path: string;
}

/**
 * Blobs small enough to be pointers, from `git cat-file --batch-check='%(objectname) %(objecttype)
 * %(objectsize) %(rest)'` fed with `git rev-list --objects` lines (`<sha> <path>`). Blobs of the same
 * content appear once (git lists each object once).
 */
export function pointerCandidates(batchCheck: string): BlobCandidate[] {
  const out: BlobCandidate[] = [];
  for (const line of batchCheck.split('\n')) {
    const m = /^([0-9a-f]{40,64}) blob (\d+) ?(.*)$/.exec(line);
    if (!m) continue;
    const size = Number(m[2]);
    // The smallest valid pointer is well over 100 bytes; smaller blobs cannot be pointers.
    if (size < 100 || size >= POINTER_MAX_BYTES) continue;
    out.push({ sha: m[1], size, path: m[3] });
  }
  return out;
}

/**
 * Splits `git cat-file --batch` output (`<sha> <type> <size>\n<content>\n` per object) and parses each
 * blob as a pointer. Works on bytes: a small binary file must not shift the offsets.
 */
export function pointersFromBatch(raw: Buffer, candidates: readonly BlobCandidate[]): LfsObject[] {
  const pathOf = new Map(candidates.map((c) => [c.sha, c.path]));
  const found = new Map<string, LfsObject>();
  let at = 0;
  while (at < raw.length) {
    const nl = raw.indexOf(0x0a, at);
    if (nl < 0) break;
    const header = raw.subarray(at, nl).toString('latin1');
    const m = /^([0-9a-f]{40,64}) (\S+) (\d+)$/.exec(header);
    if (!m) break;
    const size = Number(m[3]);
    const body = raw.subarray(nl + 1, nl + 1 + size);
    at = nl + 1 + size + 1;
    if (m[2] !== 'blob') continue;
    const pointer = parsePointer(body.toString('utf8'));
    if (pointer && !found.has(pointer.oid)) {
      found.set(pointer.oid, { ...pointer, path: pathOf.get(m[1]) ?? '' });
    }
  }
  return [...found.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export function totalBytes(objects: readonly { size: number }[]): number {
  return objects.reduce((n, o) => n + o.size, 0);
}

/** `1.5 MB`-style byte counts for logs and summaries (decimal units, as GitHub bills LFS). */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let u = -1;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${units[u]}`;
}

/** True when `.gitattributes` text assigns the lfs filter to some pattern. */
export function hasLfsFilter(gitattributes: string): boolean {
  return gitattributes
    .split('\n')
    .some((line) => !line.trimStart().startsWith('#') && /(^|\s)filter=lfs(\s|$)/.test(line));
}
