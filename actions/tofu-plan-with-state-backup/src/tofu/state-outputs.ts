import * as fsp from 'node:fs/promises';
import type { OutputValue } from './tofu-cli.js';

/**
 * The root outputs of a local state file, read from the file itself instead of `tofu output -json`
 * (issue 21: one tofu process fewer per run). Both print the same thing: `output -json` reads the
 * state through the local backend (the action points it at exactly this file) and prints each root
 * output's `{ sensitive, type, value }` as state v4 stores it under `outputs` (internal/states/statefile
 * version4.go `outputStateV4`; internal/command/output.go).
 *
 * `undefined` means "ask tofu": the state is encrypted (OpenTofu 1.7+ state encryption: only tofu holds
 * the key), not JSON, or not format version 4. A missing state has no outputs. Pure apart from the read.
 */
export async function outputsFromStateFile(
  statePath: string,
): Promise<Record<string, OutputValue> | undefined> {
  let bytes: Buffer;
  try {
    bytes = await fsp.readFile(statePath);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw e;
  }
  return parseStateOutputs(bytes.toString('utf8'));
}

export function parseStateOutputs(text: string): Record<string, OutputValue> | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return undefined;
  const d = doc as { version?: unknown; outputs?: unknown; encrypted_data?: unknown };
  if ('encrypted_data' in d || d.version !== 4) return undefined;
  if (d.outputs === undefined) return {};
  if (!d.outputs || typeof d.outputs !== 'object' || Array.isArray(d.outputs)) return undefined;
  const out: Record<string, OutputValue> = {};
  for (const [name, raw] of Object.entries(d.outputs as Record<string, unknown>)) {
    if (!raw || typeof raw !== 'object' || !('value' in raw)) return undefined;
    const o = raw as { value: unknown; type?: unknown; sensitive?: unknown };
    // The state omits `sensitive` when false (`json:"sensitive,omitempty"`); anything but a boolean is
    // not a state tofu wrote: ask tofu.
    if (o.sensitive !== undefined && typeof o.sensitive !== 'boolean') return undefined;
    out[name] = { sensitive: o.sensitive === true, type: o.type, value: o.value };
  }
  return out;
}
