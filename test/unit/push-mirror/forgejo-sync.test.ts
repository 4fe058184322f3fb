import { describe, expect, test } from '@jest/globals';
import { ActionError } from '../../../shared/errors.js';
import type { ForgejoApi, PushMirror } from '../../../actions/push-mirror/src/forgejo-api.js';
import {
  displayAddress,
  selectMirrors,
  syncAndWait,
  syncedSince,
  syncProgress,
} from '../../../actions/push-mirror/src/forgejo-sync.js';

function mirror(address: string, lastUpdate: string | null, lastError = '', name = address): PushMirror {
  return { remote_name: name, remote_address: address, last_update: lastUpdate, last_error: lastError };
}

describe('syncedSince', () => {
  test.each([
    ['2026-03-01T10:00:05Z', '2026-03-01T10:00:00Z', true],
    ['2026-03-01T10:00:00Z', '2026-03-01T10:00:00Z', false],
    ['2026-03-01T12:00:01+02:00', '2026-03-01T10:00:00Z', true],
    ['2026-03-01T10:00:00Z', null, true],
    [null, null, false],
    ['0001-01-01T00:00:00Z', null, false],
    ['garbage', null, false],
  ])('%s after %s → %s', (now, before, want) => {
    expect(syncedSince(now, before)).toBe(want);
  });
});

describe('selectMirrors', () => {
  const all = [
    mirror('https://github.com/ex/infra.git', null),
    mirror('https://codeberg.org/ex/infra.git', null),
  ];
  test.each([
    [undefined, 2],
    ['github.com', 1],
    ['GITHUB.COM/ex', 1],
  ])('filter %s picks %d', (filter, n) => {
    expect(selectMirrors(all, filter, 'ex/infra')).toHaveLength(n);
  });
  test.each([
    [[], undefined, /has no push mirror/],
    [all, 'gitlab', /no push mirror .* containing 'gitlab' .*codeberg/i],
  ])('fails: %#', (mirrors, filter, message) => {
    expect(() => selectMirrors(mirrors, filter, 'ex/infra')).toThrow(message);
  });
});

test('displayAddress strips credentials', () => {
  expect(displayAddress('https://user:secret@github.com/a/b.git')).toBe('https://github.com/a/b.git');
});

describe('syncProgress', () => {
  const baseline = new Map<string, string | null>([
    ['a', '2026-03-01T10:00:00Z'],
    ['b', null],
  ]);
  test.each([
    [[mirror('x', '2026-03-01T10:00:00Z', '', 'a'), mirror('y', null, '', 'b')], 0, 0, 2],
    [[mirror('x', '2026-03-01T10:01:00Z', '', 'a'), mirror('y', null, '', 'b')], 1, 0, 1],
    [
      [mirror('x', '2026-03-01T10:01:00Z', '', 'a'), mirror('y', '2026-03-01T10:01:00Z', 'boom', 'b')],
      1,
      1,
      0,
    ],
    // An old error from before the trigger does not count.
    [
      [mirror('x', '2026-03-01T10:00:00Z', 'old', 'a'), mirror('y', '2026-03-01T10:01:00Z', '', 'b')],
      1,
      0,
      1,
    ],
  ])('%#', (current, done, failed, pending) => {
    const p = syncProgress(current, baseline);
    expect([p.done.length, p.failed.length, p.pending.length]).toEqual([done, failed, pending]);
  });
});

/** A fake Forgejo whose list answers come from a script, one per call. */
function fakeApi(lists: PushMirror[][], status = 200): ForgejoApi & { posts: number } {
  let i = 0;
  const api = {
    posts: 0,
    listPushMirrors: async () => lists[Math.min(i++, lists.length - 1)],
    syncPushMirrors: async () => {
      api.posts++;
      return { status, message: '' };
    },
  };
  return api;
}

function clock() {
  let t = 0;
  const slept: number[] = [];
  return {
    now: () => t,
    sleep: async (ms: number) => {
      slept.push(ms);
      t += ms;
    },
    slept,
  };
}

const base = {
  repository: 'ex/infra',
  pollMs: 2000,
  retry: <T>(_w: string, fn: () => Promise<T>) => fn(),
  info: () => undefined,
};

describe('syncAndWait', () => {
  const before = mirror('https://github.com/ex/infra.git', '2026-03-01T10:00:00Z');
  const after = mirror('https://github.com/ex/infra.git', '2026-03-01T10:00:07Z');

  test('waits until last_update moves, polling every 2 s', async () => {
    const c = clock();
    const api = fakeApi([[before], [before], [before], [after]]);
    const r = await syncAndWait(api, { ...base, waitTimeoutMs: 60_000, sleep: c.sleep, now: c.now });
    expect(r.mirrors[0].last_update).toBe(after.last_update);
    expect(api.posts).toBe(1);
    expect(c.slept).toEqual([2000, 2000]);
  });

  test('a last_error after the trigger fails with it', async () => {
    const c = clock();
    const failed = { ...after, last_error: 'fatal: Authentication failed' };
    await expect(
      syncAndWait(fakeApi([[before], [failed]], 500), {
        ...base,
        waitTimeoutMs: 60_000,
        sleep: c.sleep,
        now: c.now,
      }),
    ).rejects.toMatchObject({
      reason: 'forgejo-sync-failed',
      message: expect.stringContaining('Authentication failed'),
    });
  });

  test('never updating times out after wait-timeout, the last sleep cut to what is left', async () => {
    const c = clock();
    const err = await syncAndWait(fakeApi([[before]]), {
      ...base,
      waitTimeoutMs: 5000,
      sleep: c.sleep,
      now: c.now,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ActionError);
    expect((err as ActionError).reason).toBe('timeout');
    expect((err as ActionError).message).toContain('within 5s');
    expect(c.slept).toEqual([2000, 2000, 1000]);
  });
});
