import { describe, expect, test } from '@jest/globals';
import { classifyGitFailure, tellingLine } from '../../../actions/push-mirror/src/git-errors.js';

/** Real messages from git 2.3x, curl and GitHub (sources in the comments), and what they must become. */
const CASES: Array<[string, string, string, boolean]> = [
  // [what, stderr, kind, retryable]
  [
    'bad GitHub token',
    "remote: Invalid username or password.\nfatal: Authentication failed for 'https://github.com/o/r.git/'",
    'auth',
    false,
  ],
  [
    'bad token, no prompt',
    "fatal: could not read Username for 'https://github.com': terminal prompts disabled",
    'auth',
    false,
  ],
  [
    'token without access',
    "remote: Permission to o/r.git denied to mirror-bot.\nfatal: unable to access 'https://github.com/o/r.git/': The requested URL returned error: 403",
    'auth',
    false,
  ],
  [
    '403 during push',
    'error: RPC failed; HTTP 403 curl 22 The requested URL returned error: 403\nfatal: the remote end hung up unexpectedly',
    'auth',
    false,
  ],
  [
    'workflow scope (PAT)', // flashcatcloud/categraf#34
    "To https://github.com/o/r.git\n ! [remote rejected] main -> main (refusing to allow a Personal Access Token to create or update workflow `.github/workflows/release.yaml` without `workflow` scope)\nerror: failed to push some refs to 'https://github.com/o/r.git'",
    'permission-workflows',
    false,
  ],
  [
    'workflow permission (GitHub App)', // peter-evans/create-pull-request#3558
    ' ! [remote rejected] auto -> auto (refusing to allow a GitHub App to create or update workflow `.github/workflows/b.yml` without `workflows` permission)',
    'permission-workflows',
    false,
  ],
  [
    'workflow scope printed by a hook',
    'remote: error: refusing to allow a Personal Access Token to create or update workflow `.github/workflows/ci.yml` without `workflow` scope\n ! [remote rejected] main -> main (pre-receive hook declined)',
    'permission-workflows',
    false,
  ],
  [
    'GH006 force push', // hexojs/hexo#2817
    'remote: error: GH006: Protected branch update failed for refs/heads/master.\nremote: error: Cannot force-push to a protected branch.\n ! [remote rejected] master -> master (protected branch hook declined)',
    'protected-branch',
    false,
  ],
  [
    'GH013 rulesets',
    'remote: error: GH013: Repository rule violations found for refs/heads/main.\nremote: - Cannot force-push to this branch\n ! [remote rejected] main -> main (push declined due to repository rule violations)',
    'protected-branch',
    false,
  ],
  [
    '503 from the front',
    "fatal: unable to access 'https://github.com/o/r.git/': The requested URL returned error: 503",
    'network',
    true,
  ],
  [
    '502 during push',
    'error: RPC failed; HTTP 502 curl 22 The requested URL returned error: 502\nsend-pack: unexpected disconnect while reading sideband packet\nfatal: the remote end hung up unexpectedly',
    'network',
    true,
  ],
  [
    'DNS',
    "fatal: unable to access 'https://github.com/o/r.git/': Could not resolve host: github.com",
    'network',
    true,
  ],
  [
    'refused (curl 7.88)',
    "fatal: unable to access 'https://127.0.0.1:1/r.git/': Failed to connect to 127.0.0.1 port 1 after 0 ms: Couldn't connect to server",
    'network',
    true,
  ],
  [
    'refused (older curl)',
    "fatal: unable to access 'https://h/r.git/': Failed to connect to h port 443: Connection refused",
    'network',
    true,
  ],
  [
    'HTTP/2 reset',
    'error: RPC failed; curl 92 HTTP/2 stream 0 was not closed cleanly: CANCEL (err 8)\nfatal: early EOF',
    'network',
    true,
  ],
  [
    'stall',
    'error: RPC failed; curl 28 Operation too slow. Less than 1000 bytes/sec transferred the last 60 seconds',
    'network',
    true,
  ],
  [
    'timeout',
    "fatal: unable to access 'https://h/r.git/': Operation timed out after 300000 milliseconds with 0 out of 0 bytes received",
    'network',
    true,
  ],
  [
    'TLS',
    "fatal: unable to access 'https://h/r.git/': gnutls_handshake() failed: The TLS connection was non-properly terminated.",
    'network',
    true,
  ],
  [
    'no atomic support',
    'fatal: the receiving end does not support --atomic push',
    'atomic-unsupported',
    false,
  ],
  [
    'non-fast-forward',
    " ! [rejected]        main -> main (non-fast-forward)\nerror: failed to push some refs to 'https://github.com/o/r.git'",
    'push-failed',
    false,
  ],
  ['tag exists', ' ! [rejected]        v1 -> v1 (already exists)', 'push-failed', false],
  [
    'no such repository',
    "remote: Repository not found.\nfatal: repository 'https://github.com/o/nope.git/' not found",
    'push-failed',
    false,
  ],
];

describe('classifyGitFailure', () => {
  test.each(CASES)('%s', (_what, stderr, kind, retryable) => {
    expect(classifyGitFailure(stderr)).toEqual({ kind, retryable });
  });

  test('a killed (timed out) git with no message is a retryable network failure', () => {
    expect(classifyGitFailure('', { timedOut: true })).toEqual({ kind: 'network', retryable: true });
  });
});

describe('tellingLine', () => {
  test.each([
    [
      'remote: error: GH006: Protected branch update failed for refs/heads/main.\nremote: error: x',
      'error: GH006: Protected branch update failed for refs/heads/main.',
    ],
    [
      ' ! [rejected]        main -> main (non-fast-forward)\nerror: failed to push some refs',
      '! [rejected] main -> main (non-fast-forward)',
    ],
    [
      "warning: x\nfatal: unable to access 'u': Could not resolve host: h",
      "fatal: unable to access 'u': Could not resolve host: h",
    ],
    ['', ''],
  ])('%j', (stderr, line) => {
    expect(tellingLine(stderr)).toBe(line);
  });
});
