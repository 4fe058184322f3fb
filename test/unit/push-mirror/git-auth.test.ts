import { describe, expect, test } from '@jest/globals';
import { basicCredential, gitAuthEnv } from '../../../actions/push-mirror/src/git-auth.js';

describe('gitAuthEnv', () => {
  const url = new URL('https://github.com/example/infra.git');
  const cred = basicCredential('x-access-token', 'ghp_token');

  test('the header goes to the mirror origin through GIT_CONFIG_* after a reset, with prompts off', () => {
    const env = gitAuthEnv(url, cred, {});
    expect(env).toMatchObject({
      GIT_CONFIG_COUNT: '3',
      GIT_CONFIG_KEY_0: 'credential.helper',
      GIT_CONFIG_VALUE_0: '',
      GIT_CONFIG_KEY_1: 'http.https://github.com/.extraheader',
      GIT_CONFIG_VALUE_1: '',
      GIT_CONFIG_KEY_2: 'http.https://github.com/.extraheader',
      GIT_CONFIG_VALUE_2: `AUTHORIZATION: basic ${Buffer.from('x-access-token:ghp_token').toString('base64')}`,
      GIT_TERMINAL_PROMPT: '0',
      GIT_ASKPASS: '',
      LC_ALL: 'C',
    });
  });

  test('config entries already in the environment are kept, ours come after them', () => {
    const env = gitAuthEnv(url, cred, { GIT_CONFIG_COUNT: '2' });
    expect(env.GIT_CONFIG_COUNT).toBe('5');
    expect(env.GIT_CONFIG_KEY_2).toBe('credential.helper');
    expect(env.GIT_CONFIG_KEY_0).toBeUndefined();
  });

  test('without a token only the no-prompt settings are given', () => {
    const env = gitAuthEnv(url, undefined, {});
    expect(env.GIT_CONFIG_COUNT).toBe('1');
    expect(JSON.stringify(env)).not.toMatch(/extraheader/);
  });

  test.each([
    ['https://github.com:8443/a/b.git', 'http.https://github.com:8443/.extraheader'],
    ['http://127.0.0.1:3000/m.git', 'http.http://127.0.0.1:3000/.extraheader'],
  ])('header key for %s', (u, key) => {
    expect(gitAuthEnv(new URL(u), cred, {}).GIT_CONFIG_KEY_1).toBe(key);
  });
});
