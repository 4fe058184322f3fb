import * as fsp from 'node:fs/promises';
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
