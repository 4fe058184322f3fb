import { InputError } from '../../../../shared/errors.js';
import type { OutputValue } from './tofu-cli.js';

/**
 * The handoff values for the runtime repository: the stack's non-sensitive root outputs, optionally
 * limited to an allowlist. A sensitive output is never handed off; naming one in the allowlist is an
 * input error (raised from the plan's configuration, before anything is applied). Pure.
 */
export function rejectSensitiveAllowlisted(
  allowlist: readonly string[] | undefined,
  sensitive: readonly string[],
): void {
  const bad = (allowlist ?? []).filter((n) => sensitive.includes(n));
  if (bad.length > 0)
    throw new InputError(
      'handoff-outputs',
      'names of non-sensitive outputs',
      `the sensitive output(s) ${bad.join(', ')}`,
    );
}

export interface Handoff {
  values: Record<string, unknown>;
  /** Allowlisted names the stack does not (yet) output. */
  missing: string[];
  /** Sensitive outputs left out. */
  withheld: string[];
}

export function selectHandoff(outputs: Record<string, OutputValue>, allowlist?: readonly string[]): Handoff {
  rejectSensitiveAllowlisted(
    allowlist,
    Object.entries(outputs)
      .filter(([, o]) => o.sensitive)
      .map(([n]) => n),
  );
  const wanted = allowlist && allowlist.length > 0 ? allowlist : Object.keys(outputs).sort();
  const values: Record<string, unknown> = {};
  const missing: string[] = [];
  const withheld: string[] = [];
  for (const name of wanted) {
    const o = outputs[name];
    if (!o) missing.push(name);
    else if (o.sensitive) withheld.push(name);
    else values[name] = o.value;
  }
  return { values, missing, withheld };
}

/** Sensitive output values as strings, to register as secrets (short ones would garble every log line). */
export function sensitiveOutputStrings(outputs: Record<string, OutputValue>, minLength = 6): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') out.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
    else if (v !== null && v !== undefined) out.push(String(v));
  };
  for (const o of Object.values(outputs)) {
    if (!o.sensitive) continue;
    walk(o.value);
    if (o.value && typeof o.value === 'object') out.push(JSON.stringify(o.value));
  }
  return out.filter((s) => s.trim().length >= minLength);
}
