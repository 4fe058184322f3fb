import { describe, expect, test } from '@jest/globals';
import { InputError } from '../../../shared/errors.js';
import { readInputs } from '../../../shared/inputs.js';
import { inputs } from '../../../actions/push-mirror/src/inputs.js';
import { toMirrorSettings } from '../../../actions/push-mirror/src/settings.js';

const env = {
  GITHUB_WORKSPACE: '/tmp',
  GITHUB_SERVER_URL: 'https://forgejo.example.org',
  GITHUB_REPOSITORY: 'ops/infra',
};

function settingsOf(raw: Record<string, string>, e: NodeJS.ProcessEnv = env) {
  const defaults = Object.fromEntries(Object.entries(inputs).map(([k, s]) => [k, s.defaultValue ?? '']));
  const all = { ...defaults, ...raw };
  return toMirrorSettings(readInputs(inputs, (n) => all[n] ?? '', e).settings, '/cwd');
}

function inputOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof InputError) return e.input;
    throw e;
  }
  return 'none';
}

describe('toMirrorSettings', () => {
  test('defaults: push every branch and tag of the workspace, prune, force, verify, 3 retries', () => {
    const s = settingsOf({ 'remote-url': 'https://github.com/ex/infra.git', token: 't' });
    expect(s).toMatchObject({
      mode: 'push',
      sourceDir: '/tmp',
      refs: ['refs/heads/*', 'refs/tags/*'],
      prune: true,
      force: true,
      verify: true,
      retries: 3,
      dryRun: false,
      waitTimeoutMs: 300_000,
      repository: 'ops/infra',
    });
  });

  test.each([
    ['push without remote-url', { token: 't' }, 'remote-url'],
    ['push without token', { 'remote-url': 'https://github.com/ex/infra.git' }, 'token'],
    [
      'plain http to a real host',
      { 'remote-url': 'http://github.com/ex/infra.git', token: 't' },
      'remote-url',
    ],
    ['http on loopback is fine', { 'remote-url': 'http://127.0.0.1:8080/m.git', token: 't' }, 'none'],
    ['forgejo-sync without a token anywhere', { mode: 'forgejo-sync' }, 'forgejo-token'],
    ['forgejo-sync with the run token', { mode: 'forgejo-sync', 'forgejo-token': 'fj' }, 'none'],
    [
      'a ref pattern outside heads and tags',
      { 'remote-url': 'https://h/r.git', token: 't', refs: 'refs/pull/*' },
      'refs',
    ],
    [
      'a ref pattern with ..',
      { 'remote-url': 'https://h/r.git', token: 't', refs: 'refs/heads/../x' },
      'refs',
    ],
    [
      'a user name with a colon',
      { 'remote-url': 'https://h/r.git', token: 't', username: 'a:b' },
      'username',
    ],
  ])('%s → %s', (_what, raw, input) => {
    expect(inputOf(() => settingsOf(raw))).toBe(input);
  });

  test('forgejo-sync falls back to the run token', () => {
    expect(inputOf(() => settingsOf({ mode: 'forgejo-sync' }, { ...env, FORGEJO_TOKEN: 'fj' }))).toBe('none');
  });
});
