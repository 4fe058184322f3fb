import { ActionError } from '../../../../shared/errors.js';

/**
 * What an LFS server's answer means for the mirror run. The message decides first, since servers put
 * their reason there and git-lfs prints only the message (git-lfs tq/api.go wraps it as "batch
 * response: …", without the status):
 *  - GitHub over quota, HTTP 403: "This repository is over its data quota. Account responsible for LFS
 *    bandwidth should purchase more data packs to restore access." (a trace in
 *    ARM-software/CMSIS_5#666; on upload nabla-c0d3/nassl#99, desktop/desktop#18221), and the newer
 *    "This repository exceeded its LFS budget. The account responsible for the budget should increase
 *    it to restore access." (dimensionalOS/dimos#1770, fluxerapp/fluxer#482);
 *  - Forgejo over its quota: HTTP 413 with message "quota exceeded" (services/lfs/server.go,
 *    BatchHandler, writeStatusMessage(ctx, http.StatusRequestEntityTooLarge, "quota exceeded"));
 *  - GitHub with LFS off: "Git LFS is disabled for this repository." (git-lfs/git-lfs#3260, #4664);
 *  - Forgejo and Gitea with LFS off (`LFS_START_SERVER = false`): a bare 404 for the whole /info/lfs
 *    route (routers/web/web.go, lfsServerEnabled), which git-lfs prints as "Repository or object not
 *    found: <url>/info/lfs/objects/batch" (lfshttp/errors.go; seen in gitmono-dev/mega#788);
 *  - per object `[422] Size must be less than or equal to 2147483648` (git-lfs/git-lfs#4101, #5492).
 * Status codes follow docs/api/batch.md: 401/403 authorization, 404 repository not found, 413 request
 * too large, 507 insufficient storage, 509 bandwidth exceeded, 429 and 5xx retryable.
 */
export type LfsFailureKind =
  'lfs-quota' | 'lfs-disabled' | 'lfs-too-large' | 'auth' | 'network' | 'push-failed';

const MESSAGE_RULES: ReadonlyArray<[LfsFailureKind, RegExp]> = [
  [
    'lfs-quota',
    /over its data quota|purchase more data packs|exceeded its LFS budget|increase it to restore access|quota exceeded|bandwidth limit|insufficient (server )?storage/i,
  ],
  ['lfs-disabled', /LFS is disabled|Repository or object not found: \S*\/info\/lfs\/objects\/batch/i],
  ['lfs-too-large', /size must be less than|entity too large|content too large|\[413\]|HTTP 413\b/i],
  [
    'auth',
    /authentication required|authorization error|bad credentials|invalid username or (password|token)|\[40[13]\]|HTTP 40[13]\b/i,
  ],
  [
    'network',
    /connection refused|connection reset|timed out|timeout|no such host|could not resolve|server error|\[5\d\d\]|HTTP 5\d\d\b|EOF|rate limit/i,
  ],
];

/**
 * `scope` tells a request's answer from one object's error inside a batch answer: a 404 for the whole
 * batch request means the server has no LFS endpoint for the repository (LFS off on Forgejo/Gitea, or
 * no such repository), while a 404 for one object means only that object is missing.
 */
export function classifyLfsAnswer(
  status: number | undefined,
  message: string,
  scope: 'request' | 'object' = 'request',
): { kind: LfsFailureKind; retryable: boolean } {
  for (const [kind, re] of MESSAGE_RULES) {
    if (re.test(message)) return { kind, retryable: kind === 'network' };
  }
  if (status === 404 && scope === 'request') return { kind: 'lfs-disabled', retryable: false };
  if (status === 401 || status === 403) return { kind: 'auth', retryable: false };
  if (status === 413) return { kind: 'lfs-too-large', retryable: false };
  if (status === 507 || status === 509) return { kind: 'lfs-quota', retryable: false };
  if (status === 429 || (status !== undefined && status >= 500)) return { kind: 'network', retryable: true };
  return { kind: 'push-failed', retryable: false };
}

export const LFS_HINTS: Record<LfsFailureKind | 'lfs-missing-object', string> = {
  'lfs-quota':
    "The mirror's LFS storage or bandwidth quota is used up: raise it or free space (GitHub: Settings → Billing, the Git LFS budget or data packs; Forgejo: the owner's quota groups), then re-run.",
  'lfs-disabled':
    'The mirror serves no Git LFS for this repository: enable it (GitHub: repository Settings → Archives / Git LFS, or ask GitHub support; Forgejo/Gitea: LFS_START_SERVER = true under [server] in app.ini), check that the repository exists and the token can see it, or mirror with lfs: false.',
  'lfs-too-large':
    'The mirror host refuses an object this large (GitHub: 2 GB per object on Free/Pro, up to 5 GB on Enterprise Cloud): keep such files out of the mirrored history.',
  auth: "The LFS endpoint refused the token: check that 'token' may write the mirror (or that 'source-token' may read the source). Not retried.",
  network: 'The LFS endpoint stayed unreachable after the retries; check the host and re-run.',
  'push-failed': 'Read the LFS answer above.',
  'lfs-missing-object':
    'The source repository has a pointer but not the object: upload it to Forgejo again (git lfs push --object-id origin <oid> from a clone that has it) or rewrite the history; the mirror was not changed.',
};

/** A failed LFS request or git-lfs command, classified. */
export class LfsError extends ActionError {
  constructor(
    readonly kind: LfsFailureKind,
    readonly retryable: boolean,
    message: string,
  ) {
    super(kind, message, LFS_HINTS[kind]);
    this.name = 'LfsError';
  }
}
