import * as fsp from 'node:fs/promises';
import { CancelledError, errorMessage } from '../../../../shared/errors.js';
import {
  CHECKSUM_SUFFIX,
  archivesOf,
  legacyArchivesIn,
  newestFirst,
  stampTime,
} from '../archive/archive-naming.js';
import type { RcloneCli } from '../archive/rclone-cli.js';
import type { StateIdentity } from '../archive/state-identity.js';

/**
 * "What can I go back to": the archives of this state in the backup directory and off-site, newest
 * first, with serial and age from their names, and which exist only on this machine (lost with it).
 * Legacy-named archives are listed as such: their names do not say which state they belong to.
 */
export interface InventoryEntry {
  name: string;
  serial: number | null;
  createdAt: string;
  ageSeconds: number;
  legacy: boolean;
  local: boolean;
  /** Null when no backup-remote is configured (or it could not be listed). */
  remote: boolean | null;
}

export interface Inventory {
  entries: InventoryEntry[];
  /** Archives of this state present locally but missing off-site (only with a listed remote). */
  localOnly: string[];
  /** Why the remote could not be listed, when it could not. */
  remoteError?: string;
}

/** Only archives with their checksum file count: an archive without one cannot be restored. */
function restorable(names: readonly string[]): string[] {
  const present = new Set(names);
  return names.filter((n) => present.has(n + CHECKSUM_SUFFIX));
}

export function buildInventory(
  localNames: readonly string[],
  remoteNames: readonly string[] | undefined,
  identity: StateIdentity,
  now: Date,
): Inventory {
  const local = new Set(restorable(localNames));
  const remote = remoteNames ? new Set(restorable(remoteNames)) : undefined;
  const all = [...new Set([...local, ...(remote ?? [])])];
  const ours = [
    ...archivesOf(all, identity.stateName, identity.id),
    ...legacyArchivesIn(all, identity.stateName),
  ];
  const entries = newestFirst(ours).map((a) => {
    const created = stampTime(a.timestamp);
    return {
      name: a.name,
      serial: a.serial ?? null,
      createdAt: created.toISOString(),
      ageSeconds: Math.max(0, Math.floor((now.getTime() - created.getTime()) / 1000)),
      legacy: a.stateId === undefined,
      local: local.has(a.name),
      remote: remote ? remote.has(a.name) : null,
    };
  });
  const localOnly = remote ? entries.filter((e) => e.local && !e.remote && !e.legacy).map((e) => e.name) : [];
  return { entries, localOnly };
}

export async function takeInventory(
  o: { backupDir: string; remote?: string; identity: StateIdentity; remoteNames?: string[]; now?: Date },
  rclone: RcloneCli | undefined,
): Promise<Inventory> {
  const localNames = await fsp.readdir(o.backupDir).catch(() => [] as string[]);
  let remoteNames = o.remoteNames;
  let remoteError: string | undefined;
  if (o.remote && !remoteNames && rclone) {
    try {
      remoteNames = (await rclone.list(o.remote)).map((f) => f.name);
    } catch (e) {
      if (e instanceof CancelledError) throw e;
      remoteError = errorMessage(e);
    }
  }
  const inv = buildInventory(localNames, remoteNames, o.identity, o.now ?? new Date());
  return remoteError ? { ...inv, remoteError } : inv;
}
