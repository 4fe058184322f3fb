import { parseAllDocuments } from 'yaml';

/**
 * The part of a SOPS-encrypted file this action reads: the age entries of the `sops:` metadata block
 * (stores/stores.go in getsops/sops). With one key group they sit in `sops.age[]` and each `enc` wraps the
 * 32-byte data key; with several groups they sit in `sops.key_groups[].age[]`, each group holding one
 * Shamir share, and sops needs `shamir_threshold` groups (all of them when unset). Values are never read.
 */
export interface AgeEntry {
  readonly recipient: string;
  /** The data key (or share), age-encrypted to `recipient` and ASCII-armored. */
  readonly enc: string;
}

export interface SopsAgeMetadata {
  /** One group when the file has top-level `age` entries, otherwise one per `key_groups` item. */
  readonly groups: readonly (readonly AgeEntry[])[];
  /** How many groups must open: 1 for a single group, else shamir_threshold or the number of groups. */
  readonly threshold: number;
}

export class NotSopsFileError extends Error {}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function ageEntries(value: unknown): AgeEntry[] {
  if (!Array.isArray(value)) return [];
  return value
    .filter(isObj)
    .filter((e) => typeof e.recipient === 'string' && typeof e.enc === 'string')
    .map((e) => ({ recipient: e.recipient as string, enc: e.enc as string }));
}

function metadataBlock(text: string): Obj | undefined {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{')) {
    try {
      const doc = JSON.parse(text) as unknown;
      return isObj(doc) && isObj(doc.sops) ? doc.sops : undefined;
    } catch {
      // Not JSON after all: YAML is a superset, try that.
    }
  }
  for (const doc of parseAllDocuments(text)) {
    if (!('contents' in doc) || doc.errors.length > 0) continue;
    const js = doc.toJS({ maxAliasCount: 100 }) as unknown;
    if (isObj(js) && isObj(js.sops)) return js.sops;
  }
  return undefined;
}

/** Reads the age metadata of a SOPS file in YAML or JSON form (also sops' binary format, which is JSON). */
export function readSopsAgeMetadata(text: string): SopsAgeMetadata {
  let sops: Obj | undefined;
  try {
    sops = metadataBlock(text);
  } catch {
    sops = undefined;
  }
  if (!sops) {
    throw new NotSopsFileError('it has no sops metadata block (only the YAML and JSON forms are read)');
  }
  const top = ageEntries(sops.age);
  const groups = Array.isArray(sops.key_groups)
    ? sops.key_groups.filter(isObj).map((g) => ageEntries(g.age))
    : [];
  if (top.length > 0 || groups.length === 0) {
    if (top.length === 0) throw new NotSopsFileError('its sops metadata lists no age recipients');
    return { groups: [top], threshold: 1 };
  }
  const declared = typeof sops.shamir_threshold === 'number' ? sops.shamir_threshold : 0;
  return { groups, threshold: declared > 0 ? Math.min(declared, groups.length) : groups.length };
}
