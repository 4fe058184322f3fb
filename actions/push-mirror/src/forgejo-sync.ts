import { ActionError } from '../../../shared/errors.js';
import { formatDuration } from '../../../shared/inputs.js';
import type { ForgejoApi, PushMirror } from './forgejo-api.js';

/**
 * Triggers Forgejo's own push mirror and waits until the chosen mirrors report a sync newer than the one
 * they showed before the trigger. Comparing with that earlier `last_update` rather than with the runner's
 * clock keeps clock skew between runner and Forgejo out of the decision.
 */

/** A remote address without user and password (Forgejo strips them, but a proxy might not). */
export function displayAddress(address: string): string {
  try {
    const u = new URL(address);
    u.username = '';
    u.password = '';
    return u.href;
  } catch {
    return address.replace(/\/\/[^@/]*@/, '//');
  }
}

/** The mirrors whose remote address contains `filter` (case-insensitive); all of them without one. */
export function selectMirrors(
  all: readonly PushMirror[],
  filter: string | undefined,
  repository: string,
): PushMirror[] {
  if (all.length === 0) {
    throw new ActionError(
      'forgejo-sync-failed',
      `${repository} has no push mirror on Forgejo.`,
      'Add one under Settings → Repository → Mirror settings, or use mode: push.',
    );
  }
  const wanted = filter?.toLowerCase();
  const chosen = wanted ? all.filter((m) => m.remote_address.toLowerCase().includes(wanted)) : [...all];
  if (chosen.length === 0) {
    throw new ActionError(
      'forgejo-sync-failed',
      `No push mirror of ${repository} has an address containing '${filter}' (there are: ${all.map((m) => displayAddress(m.remote_address)).join(', ')}).`,
      "Fix the 'mirror' input.",
    );
  }
  return chosen;
}

function time(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const t = Date.parse(value);
  // Go's zero time marshals as 0001-01-01T00:00:00Z: "never synced".
  return Number.isFinite(t) && t > 0 ? t : undefined;
}

/** True when `current` is a newer sync than `before` (an absent `before` means never synced). */
export function syncedSince(current: string | null | undefined, before: string | null | undefined): boolean {
  const now = time(current);
  if (now === undefined) return false;
  const then = time(before);
  return then === undefined || now > then;
}

export interface SyncProgress {
  done: PushMirror[];
  failed: PushMirror[];
  pending: PushMirror[];
}

export function syncProgress(
  current: readonly PushMirror[],
  baseline: ReadonlyMap<string, string | null>,
): SyncProgress {
  const out: SyncProgress = { done: [], failed: [], pending: [] };
  for (const name of baseline.keys()) {
    const m = current.find((c) => c.remote_name === name);
    if (!m || !syncedSince(m.last_update, baseline.get(name)))
      out.pending.push(m ?? ({ remote_name: name } as PushMirror));
    else if (m.last_error && m.last_error.trim() !== '') out.failed.push(m);
    else out.done.push(m);
  }
  return out;
}

export interface SyncWaitOptions {
  repository: string;
  filter?: string;
  waitTimeoutMs: number;
  pollMs: number;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  /** Wraps each API call (retries of network failures). */
  retry: <T>(what: string, fn: () => Promise<T>) => Promise<T>;
  info: (line: string) => void;
}

export interface SyncResult {
  mirrors: PushMirror[];
  triggerStatus: number;
}

export async function syncAndWait(api: ForgejoApi, o: SyncWaitOptions): Promise<SyncResult> {
  const selected = selectMirrors(
    await o.retry('list push mirrors', () => api.listPushMirrors()),
    o.filter,
    o.repository,
  );
  const baseline = new Map(selected.map((m) => [m.remote_name, m.last_update] as [string, string | null]));
  o.info(`Push mirrors to sync: ${selected.map((m) => displayAddress(m.remote_address)).join(', ')}.`);
  const started = o.now();
  const answer = await o.retry('trigger the sync', () => api.syncPushMirrors());
  if (answer.status !== 200)
    o.info(`Forgejo answered the sync request with HTTP ${answer.status}; reading last_error.`);
  for (;;) {
    const current = await o.retry('list push mirrors', () => api.listPushMirrors());
    const p = syncProgress(current, baseline);
    if (p.failed.length > 0) {
      const m = p.failed[0];
      throw new ActionError(
        'forgejo-sync-failed',
        `Forgejo's push mirror to ${displayAddress(m.remote_address)} failed: ${m.last_error.trim().replace(/\s+/g, ' ').slice(0, 400)}.`,
        "Fix the mirror's credentials or permissions in the repository's mirror settings, then re-run.",
      );
    }
    if (p.pending.length === 0) return { mirrors: p.done, triggerStatus: answer.status };
    const elapsed = o.now() - started;
    if (elapsed >= o.waitTimeoutMs) {
      const names = p.pending
        .map((m) => (m.remote_address ? displayAddress(m.remote_address) : m.remote_name))
        .join(', ');
      throw new ActionError(
        'timeout',
        `Forgejo's push mirror to ${names} did not report a new sync within ${formatDuration(o.waitTimeoutMs)}` +
          (answer.status !== 200
            ? ` (the sync request answered HTTP ${answer.status}${answer.message ? `: ${answer.message}` : ''})`
            : '') +
          '.',
        "Check the mirror's status in the repository settings or raise 'wait-timeout'.",
      );
    }
    await o.sleep(Math.min(o.pollMs, o.waitTimeoutMs - elapsed));
  }
}
