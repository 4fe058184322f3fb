import { identityToRecipient } from 'age-encryption';
import { InputError } from '../../../shared/errors.js';
import { registerSecretForms } from '../../../shared/secrets.js';

/**
 * The `age-key` input: one or more X25519 identities, one per line, with `#` comments and blank lines
 * allowed (the layout of an age-keygen keys.txt). Recipients are derived in-process so the runner needs
 * no `age` binary, and no error ever quotes a key line.
 */
export interface AgeIdentity {
  /** `AGE-SECRET-KEY-1…` (upper case, as sops and age-keygen write it). */
  readonly secret: string;
  /** `age1…` */
  readonly recipient: string;
}

const EXPECTED = 'one or more AGE-SECRET-KEY-1… lines (comments with # allowed)';
/** bech32 of a 32-byte scalar: 52 data characters plus a 6-character checksum. */
const SECRET_KEY_LINE = /^AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}$/;

/** The key lines of the input (comments and blank lines dropped), or an InputError naming the bad line. */
export function keyLines(raw: string): string[] {
  const lines: string[] = [];
  const all = raw.split(/\r?\n/);
  for (let i = 0; i < all.length; i++) {
    const line = all[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    if (!SECRET_KEY_LINE.test(line.toUpperCase())) {
      throw new InputError('age-key', EXPECTED, `line ${i + 1}, which is not an age secret key (not shown)`);
    }
    const upper = line.toUpperCase();
    if (!lines.includes(upper)) lines.push(upper);
  }
  if (lines.length === 0) throw new InputError('age-key', EXPECTED, 'no key line (only comments or blanks)');
  return lines;
}

/**
 * Registers the forms a key may be printed in besides the raw line (which the input reader already
 * registered): upper and lower case (bech32 is case-insensitive) and base64 of each line and of the whole
 * input, so a tool that dumps any of them cannot leak it into our logs or files. Runs before validation:
 * a malformed line is still somebody's secret.
 */
export function registerKeyForms(raw: string): void {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  registerSecretForms(raw.trim(), b64(raw), b64(raw.trim()));
  for (const line of raw.split(/\r?\n/).map((l) => l.trim())) {
    if (line === '' || line.startsWith('#')) continue;
    const variants = [...new Set([line, line.toUpperCase(), line.toLowerCase()])];
    registerSecretForms(line, ...variants, ...variants.flatMap((v) => [b64(v), b64(`${v}\n`)]));
  }
}

/** Derives each key's recipient; a checksum or length error becomes an InputError without the key. */
export async function deriveIdentities(lines: readonly string[]): Promise<AgeIdentity[]> {
  const out: AgeIdentity[] = [];
  for (let i = 0; i < lines.length; i++) {
    let recipient: string;
    try {
      recipient = await identityToRecipient(lines[i]);
    } catch {
      // The library's bech32 errors quote the whole string they failed on: never pass them on.
      throw new InputError(
        'age-key',
        EXPECTED,
        `key ${i + 1} of ${lines.length}, whose checksum or length is wrong (not shown)`,
      );
    }
    out.push({ secret: lines[i], recipient });
  }
  return out;
}

/** The key file as sops and sops-nix read it: age-keygen's layout, one commented public key per key. */
export function renderKeyFile(identities: readonly AgeIdentity[]): string {
  return identities.map((id) => `# public key: ${id.recipient}\n${id.secret}\n`).join('');
}
