/**
 * Classifies a failed git command from its stderr. git exits 128 or 1 for nearly everything, so the text
 * is all there is; the patterns below are the messages git, curl and GitHub actually print (see the
 * tables in test/unit/push-mirror/git-errors.test.ts). Order matters: a rejected push also prints
 * "the remote end hung up", and a 403 also prints "RPC failed".
 */
export type GitFailureKind =
  'auth' | 'permission-workflows' | 'protected-branch' | 'network' | 'atomic-unsupported' | 'push-failed';

export interface GitFailureClass {
  kind: GitFailureKind;
  /** Only network trouble (including HTTP 5xx) can succeed on a second try. */
  retryable: boolean;
}

const RULES: ReadonlyArray<[GitFailureKind, RegExp]> = [
  // GitHub: "refusing to allow a Personal Access Token|an OAuth App|a GitHub App to create or update
  // workflow `.github/workflows/x.yml` without `workflow` scope|`workflows` permission".
  ['permission-workflows', /refusing to allow an? .{0,40}to create or update workflow/i],
  // GH006 (branch protection), GH013 (repository rules), and the ref status GitHub gives both.
  [
    'protected-branch',
    /\bGH006\b|\bGH013\b|protected branch hook declined|Cannot force-push to (a protected|this) branch/i,
  ],
  ['atomic-unsupported', /does not support --atomic push/i],
  // A ref the mirror refused (porcelain `!` line): git also prints "the remote end hung up", which
  // must not make a refusal look like a network failure worth retrying.
  ['push-failed', /^!\s.*\[(remote )?rejected\]/m],
  [
    'auth',
    /Authentication failed|Invalid username or (password|token)|terminal prompts disabled|could not read (Username|Password)|returned error: 40[13]\b|HTTP 40[13]\b|Permission to \S+ denied|Bad credentials/i,
  ],
  [
    'network',
    /returned error: 5\d\d\b|HTTP 5\d\d\b|Could not resolve (host|proxy)|Connection refused|Couldn't connect to server|Failed to connect to|Connection reset|Connection timed out|Operation timed out|Operation too slow|timed out|RPC failed|early EOF|unexpected disconnect while reading|the remote end hung up unexpectedly|SSL_ERROR|SSL_connect|gnutls_handshake|TLS connection was non-properly terminated|Empty reply from server|transfer closed with outstanding read data|Recv failure|Send failure|HTTP\/2 stream \d+ was not closed cleanly/i,
  ],
];

export function classifyGitFailure(stderr: string, opts: { timedOut?: boolean } = {}): GitFailureClass {
  for (const [kind, re] of RULES) {
    if (re.test(stderr)) return { kind, retryable: kind === 'network' };
  }
  if (opts.timedOut) return { kind: 'network', retryable: true };
  return { kind: 'push-failed', retryable: false };
}

/** The most telling line of git's stderr for a one-line message (the rejection, else the last fatal). */
export function tellingLine(stderr: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  const pick =
    lines.find((l) => /refusing to allow|GH006|GH013|Authentication failed|Invalid username/i.test(l)) ??
    lines.find((l) => /^!\s*(\S+\s+)?\[(remote )?rejected\]/.test(l) && !/atomic push failed/.test(l)) ??
    lines.find((l) => /^!\s*(\S+\s+)?\[(remote )?rejected\]/.test(l)) ??
    [...lines].reverse().find((l) => /^(fatal|error):/.test(l)) ??
    lines[lines.length - 1] ??
    '';
  return pick
    .replace(/^remote:\s*/, '')
    .replace(/\s+/g, ' ')
    .slice(0, 300);
}
