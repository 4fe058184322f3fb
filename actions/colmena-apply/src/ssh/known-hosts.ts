import { createHmac } from 'node:crypto';

/**
 * The pinned `known-hosts` input: validation and the "is this host pinned?" question.
 *
 * Why the action asks that itself: colmena passes `-o StrictHostKeyChecking=accept-new` on ssh's command
 * line (src/nix/host/ssh.rs `ssh_options`), which beats any config file, so ssh would silently accept and
 * record an unknown host even with a pinned file. A changed key still fails ("Host key verification
 * failed."), an unpinned host must be caught before colmena runs.
 *
 * Format (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"): `[@marker] patterns keytype base64-key [comment]`;
 * patterns are comma-separated, may use `*`/`?`, `!` negation, `[host]:port`, or be hashed `|1|salt|hash`.
 */
export interface KnownHostEntry {
  marker?: '@cert-authority' | '@revoked';
  patterns: string[];
  keyType: string;
}

export type KnownHostsParse = { entries: KnownHostEntry[] } | { error: string };

export function parseKnownHosts(content: string): KnownHostsParse {
  const entries: KnownHostEntry[] = [];
  const lines = content.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0].startsWith('@')) {
      if (fields[0] !== '@cert-authority' && fields[0] !== '@revoked')
        return { error: `line ${i + 1} has an unknown marker` };
      marker = fields.shift() as KnownHostEntry['marker'];
    }
    if (fields.length < 3) return { error: `line ${i + 1} is not "host key-type key"` };
    if (!/^[A-Za-z0-9+/]+={0,3}$/.test(fields[2]) || !blobMatchesType(fields[2], fields[1]))
      return { error: `line ${i + 1} has no ${fields[1]} public key` };
    entries.push({ marker, patterns: fields[0].split(','), keyType: fields[1] });
  }
  if (entries.length === 0) return { error: 'no host key lines' };
  return { entries };
}

/** An SSH public key blob starts with its key type as a length-prefixed string (RFC 4253 §6.6). */
function blobMatchesType(base64: string, keyType: string): boolean {
  const blob = Buffer.from(base64, 'base64');
  if (blob.length < 4) return false;
  const n = blob.readUInt32BE(0);
  return n > 0 && blob.length >= 4 + n && blob.subarray(4, 4 + n).toString('latin1') === keyType;
}

/** The name ssh looks up: `host`, or `[host]:port` for a non-default port. */
export function lookupName(host: string, port: number | undefined): string {
  return port === undefined || port === 22 ? host : `[${host}]:${port}`;
}

function wildcard(pattern: string, name: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 'i').test(name);
}

function hashedMatch(pattern: string, name: string): boolean {
  const [, magic, salt, hash] = pattern.split('|');
  if (magic !== '1' || !salt || !hash) return false;
  const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
  return digest === hash;
}

function entryMatches(entry: KnownHostEntry, name: string): boolean {
  let matched = false;
  for (const p of entry.patterns) {
    if (p.startsWith('|')) {
      if (hashedMatch(p, name)) matched = true;
    } else if (p.startsWith('!')) {
      if (wildcard(p.slice(1), name)) return false;
    } else if (wildcard(p, name)) {
      matched = true;
    }
  }
  return matched;
}

/** True when a non-revoked line covers the host (the name, and for a non-default port `[name]:port`). */
export function isPinned(entries: readonly KnownHostEntry[], host: string, port?: number): boolean {
  const name = lookupName(host.toLowerCase(), port);
  return entries.some((e) => e.marker !== '@revoked' && entryMatches(e, name));
}
