import {
  bool,
  duration,
  filePath,
  int,
  list,
  oneOf,
  secretText,
  text,
  url,
  Invalid,
} from '../../../shared/inputs.js';
import { reportArtifactInput } from '../../../shared/evidence.js';

import { forgeInputs } from '../../../shared/forge.js';

/** A branch or tag pattern: `refs/heads/*`, `refs/tags/v*`, `refs/heads/main`; `*` matches across `/`. */
export const REF_PATTERN = /^refs\/(heads|tags)\/[A-Za-z0-9._/*+@-]+$/;

function refPattern(item: string): string | Invalid {
  if (!REF_PATTERN.test(item) || item.includes('..') || item.includes('//') || item.endsWith('/')) {
    return new Invalid('a ref pattern under refs/heads/ or refs/tags/');
  }
  return item;
}

export const inputs = {
  mode: oneOf(['push', 'forgejo-sync'] as const).default('push'),
  'remote-url': url({ expected: 'an https URL of the mirror repository' }),
  token: secretText({ expected: 'an access token' }),
  username: text({
    pattern: /^[A-Za-z0-9._@-]{1,100}$/,
    expected: 'a user name without spaces or colons',
  }).default('x-access-token'),
  'source-dir': filePath({ mustExist: 'dir', expected: 'the path of an existing git repository' }).fallbackTo(
    (env) => env.GITHUB_WORKSPACE,
  ),
  refs: list({
    separator: 'whitespace',
    item: refPattern,
    itemExpected: 'ref patterns under refs/heads/ or refs/tags/',
    min: 1,
    max: 100,
  }).default('refs/heads/* refs/tags/*'),
  prune: bool().default('true'),
  force: bool().default('true'),
  retries: int({ min: 0, max: 10 }).default('3'),
  verify: bool().default('true'),
  lfs: oneOf(['false', 'true', 'auto'] as const).default('false'),
  'source-token': secretText({ expected: 'a token that may read the source repository' }).fallbackTo(
    (env) => env.FORGEJO_TOKEN || env.GITHUB_TOKEN,
  ),
  'dry-run': bool().default('false'),
  'forgejo-url': url({ expected: 'the http(s) URL of the Forgejo server' }).fallbackTo(
    (env) => env.GITHUB_SERVER_URL,
  ),
  repository: text({
    pattern: /^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/,
    expected: 'a repository as owner/name',
  }).fallbackTo((env) => env.GITHUB_REPOSITORY),
  'forgejo-token': secretText({ expected: 'a Forgejo access token' }).fallbackTo(
    (env) => env.FORGEJO_TOKEN || env.GITHUB_TOKEN,
  ),
  mirror: text({ expected: 'a single line of text (part of the push mirror remote address)' }),
  'wait-timeout': duration({ min: 1000, max: 6 * 3_600_000 }).default('5m'),
  'report-artifact': reportArtifactInput,

  ...forgeInputs,
};
