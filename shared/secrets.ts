import * as core from '@actions/core';

/**
 * One registry of secret values for the whole process. Registering masks the value in the runner log
 * (`::add-mask::`) and makes `redact()` remove it from every file the suite writes (reports, summaries,
 * streamed tool output) — the runner's mask only covers the log, not our files.
 */
const secrets = new Set<string>();
/** The compiled regex of short secrets; null when there are none, undefined when stale. */
let pattern: RegExp | null | undefined;

export const REDACTED = '***';

/**
 * Shorter values are not registered: masking `#`, `}` or `ab` everywhere would wreck the log and hide
 * nothing a reader could use. A whole secret that short is registered anyway.
 */
const MIN_LINE = 4;

/**
 * Registers a secret; a multi-line value is registered line by line (the runner masks per line), except
 * `#` comment lines (key files and PEM blocks carry comments, e.g. an age key's public key, that are not
 * secret and would otherwise mask unrelated text).
 */
export function registerSecret(value: string | undefined, o: { lines?: boolean } = {}): void {
  if (!value) return;
  // `lines: false` is for multi-line values that are mostly structure (a kubeconfig): the action then
  // registers the credential parts itself, so `users:` or `apiVersion: v1` are not masked everywhere.
  const lines = o.lines === false ? [value] : value.split(/\r?\n/).map((p) => p.trim());
  const parts =
    lines.length === 1
      ? [value.trim()].filter((p) => p.length > 0)
      : [value, ...lines.filter((l) => l.length >= MIN_LINE && !l.startsWith('#'))];
  for (const part of parts) {
    if (secrets.has(part)) continue;
    secrets.add(part);
    core.setSecret(part);
  }
  pattern = undefined;
}

/** Registers a secret together with the forms a tool may print it in (base64 of `user:token`, …). */
export function registerSecretForms(value: string, ...derived: string[]): void {
  registerSecret(value);
  for (const form of derived) registerSecret(form);
}

export function hasSecrets(): boolean {
  return secrets.size > 0;
}

export function isSecretText(text: string): boolean {
  for (const s of secrets) if (text.includes(s)) return true;
  return false;
}

/**
 * Secrets up to this length are matched by one regex (fast over long logs); longer ones (a whole
 * kubeconfig, an over-long bad input) by plain search — V8 refuses a regex source beyond ~32 KB.
 */
const REGEX_MAX = 1024;

function compiled(): RegExp | undefined {
  if (pattern === undefined) {
    // Longest first so a secret that contains another is removed whole.
    const alternatives = [...secrets]
      .filter((s) => s.length <= REGEX_MAX)
      .sort((a, b) => b.length - a.length)
      .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    pattern = alternatives.length > 0 ? new RegExp(alternatives.join('|'), 'g') : null;
  }
  return pattern ?? undefined;
}

export function redact(text: string): string {
  let out = text;
  for (const s of secrets) if (s.length > REGEX_MAX && out.includes(s)) out = out.split(s).join(REDACTED);
  const re = compiled();
  return re ? out.replace(re, REDACTED) : out;
}

/** Redacts every string inside a JSON-like value (before serialising, so escaping cannot hide a secret). */
export function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [redact(k), redactDeep(v)])) as T;
  }
  return value;
}

/** For tests only: forget every registered secret. */
export function resetSecretsForTest(): void {
  secrets.clear();
  pattern = undefined;
}
