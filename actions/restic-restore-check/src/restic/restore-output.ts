import { redact } from '../../../../shared/secrets.js';

/**
 * What `restic restore --verify` says about its verification. After writing every selected file,
 * restic reads each one back from disk and compares it, blob by blob, with the blob IDs the snapshot's
 * tree records (SHA-256 of the plaintext): internal/restorer/restorer.go, VerifyFiles and verifyFile.
 * Texts, unchanged from v0.14.0 to v0.18.1 (cmd/restic/cmd_restore.go, internal/ui/restore/text.go):
 *  - stdout `verifying files in <target>` when verification starts, `finished verifying <n> files in
 *    <target> (took …)` when it passed;
 *  - stderr `ignoring error for <path>: <error>` per problem, e.g. `Invalid file size for <file>:
 *    expected <n>, got <m>`, `Unexpected content in <file>, starting at offset <n>`, then
 *    `Fatal: There were <n> errors` and exit 1.
 */
export interface RestoreVerification {
  /** restic reached the verification phase. */
  started: boolean;
  /** Files restic verified, when it finished verifying. */
  verified?: number;
  /** The problems restic reported (redacted, target directory removed, at most a few). */
  problems: string[];
}

export function parseRestoreVerification(
  stdout: string,
  stderr: string,
  target: string,
  max = 5,
): RestoreVerification {
  const started = stdout.split(/\r?\n/).some((l) => l.startsWith(`verifying files in ${target}`));
  const finished = /^finished verifying (\d+) files in /m.exec(stdout);
  const problems = stderr
    .split(/\r?\n/)
    .filter((l) => l.startsWith('ignoring error for '))
    .map((l) => l.slice('ignoring error for '.length).split(target).join(''))
    .slice(0, max)
    .map((l) => redact(l).slice(0, 300));
  return { started, verified: finished ? Number(finished[1]) : undefined, problems };
}
