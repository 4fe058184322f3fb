import { armor, Decrypter } from 'age-encryption';
import type { AgeIdentity } from './age-keys.js';
import type { AgeEntry, SopsAgeMetadata } from './sops-file.js';

/**
 * Proves a staged key can open a SOPS file by unwrapping the file's data key (or Shamir share) from the
 * `enc` entries, in-process with typage. The unwrapped bytes are wiped at once; no value of the file is
 * ever decrypted.
 */
export type UnwrapResult = 'opened' | 'not-ours' | 'malformed';

export interface DataKeyUnwrapper {
  unwrap(enc: string): Promise<UnwrapResult>;
}

export function createAgeUnwrapper(identities: readonly AgeIdentity[]): DataKeyUnwrapper {
  const decrypter = new Decrypter();
  for (const id of identities) decrypter.addIdentity(id.secret);
  return {
    async unwrap(enc) {
      let bytes: Uint8Array;
      try {
        bytes = armor.decode(enc);
      } catch {
        return 'malformed';
      }
      try {
        const key = await decrypter.decrypt(bytes);
        key.fill(0);
        return 'opened';
      } catch (e) {
        return /no identity matched/i.test((e as Error).message) ? 'not-ours' : 'malformed';
      }
    },
  };
}

export interface FileVerdict {
  readonly ok: boolean;
  /** Every age recipient the file is encrypted to. */
  readonly recipients: readonly string[];
  /** Recipients whose entry our key opened. */
  readonly openedAs: readonly string[];
  readonly groupsOpened: number;
  readonly groups: number;
  readonly threshold: number;
  readonly malformed: number;
}

async function openGroup(entries: readonly AgeEntry[], unwrapper: DataKeyUnwrapper, ours: Set<string>) {
  // Entries listed for one of our recipients first: usually the first attempt opens the group.
  const ordered = [...entries].sort((a, b) => Number(ours.has(b.recipient)) - Number(ours.has(a.recipient)));
  let malformed = 0;
  for (const entry of ordered) {
    const r = await unwrapper.unwrap(entry.enc);
    if (r === 'opened') return { opened: entry.recipient, malformed };
    if (r === 'malformed') malformed++;
  }
  return { opened: undefined, malformed };
}

export async function verifyMetadata(
  meta: SopsAgeMetadata,
  unwrapper: DataKeyUnwrapper,
  ourRecipients: readonly string[],
): Promise<FileVerdict> {
  const ours = new Set(ourRecipients);
  const openedAs: string[] = [];
  let malformed = 0;
  let groupsOpened = 0;
  for (const group of meta.groups) {
    const g = await openGroup(group, unwrapper, ours);
    malformed += g.malformed;
    if (g.opened !== undefined) {
      groupsOpened++;
      openedAs.push(g.opened);
    }
  }
  return {
    ok: groupsOpened >= meta.threshold,
    recipients: [...new Set(meta.groups.flat().map((e) => e.recipient))],
    openedAs: [...new Set(openedAs)],
    groupsOpened,
    groups: meta.groups.length,
    threshold: meta.threshold,
    malformed,
  };
}
