import { expect, test } from '@jest/globals';
import { parseRestoreVerification } from '../../../actions/restic-restore-check/src/restic/restore-output.js';

/** Lines as restic 0.14.0 and 0.18.1 print them (cmd/restic/cmd_restore.go, internal/ui/restore/text.go). */
const T = '/tmp/r/restore';

test.each([
  [
    'passed (0.14)',
    `restoring <Snapshot 7a00fa5c of [/srv] at 2026-11-29 03:09:30 +0000 UTC by root@vm> to ${T}\nverifying files in ${T}\nfinished verifying 2 files in ${T} (took 24ms)\n`,
    '',
    { started: true, verified: 2, problems: [] },
  ],
  [
    'passed (0.18, with the summary line)',
    `Summary: Restored 5 files/dirs (26 B) in 0:00\nverifying files in ${T}\nfinished verifying 3 files in ${T} (took 1ms)\n`,
    '',
    { started: true, verified: 3, problems: [] },
  ],
  [
    'differences found',
    `verifying files in ${T}\n`,
    `ignoring error for ${T}/srv/a: Invalid file size for ${T}/srv/a: expected 13, got 0\nFatal: There were 1 errors\n`,
    {
      started: true,
      verified: undefined,
      problems: ['/srv/a: Invalid file size for /srv/a: expected 13, got 0'],
    },
  ],
  [
    'a read error before verification',
    `restoring <Snapshot …> to ${T}\n`,
    'ignoring error for /srv/a: load <data/1d2e3f4a>: ciphertext verification failed\nFatal: There were 1 errors\n',
    {
      started: false,
      verified: undefined,
      problems: ['/srv/a: load <data/1d2e3f4a>: ciphertext verification failed'],
    },
  ],
  ['nothing said', '', '', { started: false, verified: undefined, problems: [] }],
])('%s', (_name, stdout, stderr, want) => {
  expect(parseRestoreVerification(stdout, stderr, T)).toEqual(want);
});
