import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { sha256 } from '../../../../shared/fsx.js';

/**
 * What the action needs to know about a local state file without tofu: serial and lineage (state v4
 * top level), or that it is encrypted (OpenTofu 1.7+: `{ meta, encrypted_data, encryption_version }`,
 * serial/lineage unreadable) and must be handled as opaque bytes.
 */
export interface StateInfo {
  exists: boolean;
  serial?: number;
  lineage?: string;
  encrypted: boolean;
  sha256?: string;
  size?: number;
}

const PRIVATE_FILE = 0o600;

export const NO_STATE: StateInfo = Object.freeze({ exists: false, encrypted: false });

export function parseState(bytes: Buffer): StateInfo {
  const info: StateInfo = { exists: true, encrypted: false, sha256: sha256(bytes), size: bytes.length };
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    return { ...info, encrypted: true };
  }
  if (!doc || typeof doc !== 'object') return { ...info, encrypted: true };
  const d = doc as Record<string, unknown>;
  if ('encrypted_data' in d) return { ...info, encrypted: true };
  return {
    ...info,
    serial: typeof d.serial === 'number' ? d.serial : undefined,
    lineage: typeof d.lineage === 'string' ? d.lineage : undefined,
  };
}

export async function readStateInfo(file: string): Promise<StateInfo> {
  const bytes = await fsp.readFile(file).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  return bytes ? parseState(bytes) : NO_STATE;
}

export function describeState(s: StateInfo): string {
  if (!s.exists) return 'no state';
  if (s.encrypted) return 'encrypted state (serial/lineage unknown)';
  return `serial ${s.serial ?? 'unknown'}, lineage ${s.lineage ?? 'unknown'}`;
}

/**
 * Why the directory of `statePath` may not hold a state: it exists and others than its owner can
 * enter or list it (issue 14: an existing 0755 directory let every runner user read the state). The
 * action refuses instead of tightening it: it cannot know who else relies on that directory's mode
 * (it may be `~` itself), and a state that sat there readable needs a human look, not a silent fix.
 * Undefined when the directory is private or does not exist yet (it is then created 0700).
 */
export async function stateDirProblem(statePath: string): Promise<string | undefined> {
  const dir = path.dirname(statePath);
  const st = await fsp.stat(dir).catch(() => undefined);
  if (!st?.isDirectory() || (st.mode & 0o077) === 0) return undefined;
  const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
  return `'${dir}' is mode ${mode} (check who could read the state there, then chmod 700 '${dir}')`;
}

/** tofu writes the state and its `.backup` with the umask's mode (0644): make both owner-only. */
export async function tightenStateFiles(statePath: string): Promise<void> {
  for (const f of [statePath, `${statePath}.backup`]) {
    await fsp.chmod(f, PRIVATE_FILE).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
  }
}
