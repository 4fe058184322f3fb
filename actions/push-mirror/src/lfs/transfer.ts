import { ActionError } from '../../../../shared/errors.js';
import type { GitCli } from '../git-cli.js';
import type { LfsBatchApi } from './batch-api.js';
import { classifyLfsAnswer, LFS_HINTS, LfsError } from './errors.js';
import { formatBytes, totalBytes, type LfsObject } from './pointers.js';

/**
 * Carrying Git LFS objects to the mirror before any ref moves there (issue 19): list the pointers the
 * pushed commits reach, fetch what the local store lacks from the source (`origin`), ask the mirror's
 * batch API which objects it lacks, upload exactly those with git-lfs, and, after the refs are pushed,
 * ask the mirror for a download action per object so `verified=true` also means the files are there.
 */
export interface LfsCounts {
  objects: number;
  bytes: number;
  /** Downloaded from the source because the local store lacked them. */
  fetched: number;
  fetchedBytes: number;
  uploaded: number;
  uploadedBytes: number;
  /** Already on the mirror (the batch answer offered no upload). */
  present: number;
  presentBytes: number;
}

export interface LfsDeps {
  git: GitCli;
  mirror: LfsBatchApi;
  dir: string;
  mirrorUrl: string;
  info: (line: string) => void;
  /** Runs a network operation with the action's retry policy. */
  retry: <T>(what: string, fn: () => Promise<T>) => Promise<T>;
}

const SHOWN = 5;

function name(o: LfsObject): string {
  return `${o.path || '(unknown path)'} (oid ${o.oid})`;
}

function listed(objects: readonly LfsObject[]): string {
  const more = objects.length > SHOWN ? ` and ${objects.length - SHOWN} more` : '';
  return objects.slice(0, SHOWN).map(name).join(', ') + more;
}

/** Lists the LFS objects the commits reach. */
export async function scanLfs(
  git: GitCli,
  dir: string,
  revs: readonly string[],
  info: (l: string) => void,
): Promise<LfsObject[]> {
  const objects = await git.lfsPointers(dir, revs);
  info(
    `LFS: ${objects.length} object${objects.length === 1 ? '' : 's'} (${formatBytes(totalBytes(objects))}) reachable from the pushed refs.`,
  );
  return objects;
}

async function missingLocally(d: LfsDeps, objects: readonly LfsObject[]): Promise<LfsObject[]> {
  const missing: LfsObject[] = [];
  for (const o of objects) if (!(await d.git.lfsHasObject(d.dir, o))) missing.push(o);
  return missing;
}

/** Fetches what the local store lacks from the source; fails naming file and oid of what the source lacks. */
async function fetchFromSource(
  d: LfsDeps,
  objects: readonly LfsObject[],
  revs: readonly string[],
): Promise<LfsObject[]> {
  const lacking = await missingLocally(d, objects);
  if (lacking.length === 0) return [];
  d.info(
    `LFS: fetching ${lacking.length} object${lacking.length === 1 ? '' : 's'} (${formatBytes(totalBytes(lacking))}) from the source.`,
  );
  const failure = await d
    .retry('git lfs fetch', async () => {
      const e = await d.git.lfsFetch(d.dir, revs);
      if (e?.retryable) throw e;
      return e;
    })
    .catch((e: unknown) => e as LfsError);
  const still = await missingLocally(d, lacking);
  if (still.length > 0) {
    if (failure && failure.kind !== 'push-failed') throw failure;
    throw new ActionError(
      'lfs-missing-object',
      `The source has LFS pointers whose objects it does not have: ${listed(still)}.`,
      LFS_HINTS['lfs-missing-object'],
    );
  }
  return lacking;
}

function objectError(o: LfsObject, error: { code: number; message: string }): LfsError {
  const cls = classifyLfsAnswer(error.code, error.message, 'object');
  return new LfsError(
    cls.kind,
    false,
    `The mirror refused the LFS object ${name(o)}: [${error.code}] ${error.message.replace(/\.$/, '')}.`,
  );
}

/** Uploads what the mirror lacks; runs before any ref is pushed, and every failure says so. */
export async function transferLfs(
  d: LfsDeps,
  objects: readonly LfsObject[],
  revs: readonly string[],
): Promise<LfsCounts> {
  try {
    return await transfer(d, objects, revs);
  } catch (e) {
    if (!(e instanceof ActionError)) throw e;
    throw new ActionError(e.reason, `${e.message} No ref was pushed.`, e.hint);
  }
}

async function transfer(
  d: LfsDeps,
  objects: readonly LfsObject[],
  revs: readonly string[],
): Promise<LfsCounts> {
  const counts: LfsCounts = {
    objects: objects.length,
    bytes: totalBytes(objects),
    fetched: 0,
    fetchedBytes: 0,
    uploaded: 0,
    uploadedBytes: 0,
    present: 0,
    presentBytes: 0,
  };
  if (objects.length === 0) return counts;
  const fetched = await fetchFromSource(d, objects, revs);
  counts.fetched = fetched.length;
  counts.fetchedBytes = totalBytes(fetched);
  const answers = await d.retry('LFS batch (upload)', () => d.mirror.batch('upload', objects));
  const byOid = new Map(objects.map((o) => [o.oid, o]));
  const upload: LfsObject[] = [];
  for (const a of answers) {
    const o = byOid.get(a.oid);
    if (!o) continue;
    if (a.error) throw objectError(o, a.error);
    if (a.actions.includes('upload')) upload.push(o);
  }
  counts.present = objects.length - upload.length;
  counts.presentBytes = counts.bytes - totalBytes(upload);
  d.info(
    `LFS: the mirror has ${counts.present} of ${objects.length} objects; uploading ${upload.length} (${formatBytes(totalBytes(upload))}).`,
  );
  if (upload.length > 0) {
    await d.retry('git lfs push', () =>
      d.git.lfsPushObjects(
        d.dir,
        d.mirrorUrl,
        upload.map((o) => o.oid),
      ),
    );
  }
  counts.uploaded = upload.length;
  counts.uploadedBytes = totalBytes(upload);
  return counts;
}

/** The objects the mirror cannot serve: no download action, or a per-object error. */
export async function unresolvedOnMirror(
  d: Pick<LfsDeps, 'mirror' | 'retry'>,
  objects: readonly LfsObject[],
): Promise<LfsObject[]> {
  if (objects.length === 0) return [];
  const answers = await d.retry('LFS batch (download)', () => d.mirror.batch('download', objects));
  const ok = new Set(answers.filter((a) => !a.error && a.actions.includes('download')).map((a) => a.oid));
  return objects.filter((o) => !ok.has(o.oid));
}

export function describeUnresolved(objects: readonly LfsObject[]): string {
  return listed(objects);
}
