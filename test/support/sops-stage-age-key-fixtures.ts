import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { stringify as toYaml } from 'yaml';
import { requireTool } from './tools.js';

/**
 * Builds SOPS-encrypted files the way sops writes them, with the real `age` CLI for the key wrapping.
 * Layout from getsops/sops stores/stores.go (`Metadata`, `keygroup`, `agekey`: `sops.age[]` entries of
 * `{recipient, enc}`, or `sops.key_groups[].age[]` when there are several groups, plus `lastmodified`,
 * `mac`, `version`); values as `ENC[AES256_GCM,data:…,iv:…,tag:…,type:str]` with a 32-byte IV and the
 * value's path plus ':' as additional data (aes/cipher.go). With several key groups sops stores one Shamir
 * share per group; these fixtures put random 33-byte stand-ins there, because the action only ever proves
 * it can unwrap an entry and never combines shares.
 */
export interface AgeKeyPair {
  identity: string;
  recipient: string;
}

export function ageKeygen(): AgeKeyPair {
  requireTool('age-keygen');
  const out = execFileSync('age-keygen', [], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const identity = /^AGE-SECRET-KEY-1[0-9A-Z]+$/m.exec(out)?.[0];
  const recipient = /^# public key: (age1[0-9a-z]+)$/m.exec(out)?.[1];
  if (!identity || !recipient) throw new Error('age-keygen printed no key');
  return { identity, recipient };
}

/** The data key (or share) age-encrypted to one recipient, ASCII-armored: the `enc` field. */
export function wrapForRecipient(secret: Buffer, recipient: string): string {
  requireTool('age');
  return execFileSync('age', ['-r', recipient, '-a'], { input: secret, encoding: 'utf8' });
}

export function encryptValue(value: string, dataKey: Buffer, aad: string): string {
  const iv = randomBytes(32);
  const cipher = createCipheriv('aes-256-gcm', dataKey, iv);
  cipher.setAAD(Buffer.from(aad));
  const data = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return `ENC[AES256_GCM,data:${data.toString('base64')},iv:${iv.toString('base64')},tag:${tag.toString('base64')},type:str]`;
}

export interface SopsFileSpec {
  values: Record<string, string>;
  /** One key group: the file is encrypted to these recipients (top-level `sops.age`). */
  recipients?: string[];
  /** Several key groups (top-level `sops.key_groups`). */
  groups?: string[][];
  shamirThreshold?: number;
  format?: 'yaml' | 'json';
}

export function sopsFile(spec: SopsFileSpec): string {
  const dataKey = randomBytes(32);
  const lastmodified = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const doc: Record<string, unknown> = {};
  const mac = createHash('sha512');
  for (const [k, v] of Object.entries(spec.values)) {
    doc[k] = encryptValue(v, dataKey, `${k}:`);
    mac.update(v);
  }
  const sops: Record<string, unknown> = {};
  if (spec.groups) {
    sops.key_groups = spec.groups.map((g) => ({
      hc_vault: null,
      age: g.map((r) => ({ recipient: r, enc: wrapForRecipient(randomBytes(33), r) })),
    }));
    if (spec.shamirThreshold) sops.shamir_threshold = spec.shamirThreshold;
  }
  Object.assign(sops, {
    kms: null,
    gcp_kms: null,
    azure_kv: null,
    hc_vault: null,
    age: spec.groups
      ? null
      : (spec.recipients ?? []).map((r) => ({ recipient: r, enc: wrapForRecipient(dataKey, r) })),
    lastmodified,
    mac: encryptValue(mac.digest('hex').toUpperCase(), dataKey, lastmodified),
    pgp: null,
    unencrypted_suffix: '_unencrypted',
    version: '3.9.4',
  });
  doc.sops = sops;
  dataKey.fill(0);
  return spec.format === 'json' ? JSON.stringify(doc, null, '\t') + '\n' : toYaml(doc);
}
