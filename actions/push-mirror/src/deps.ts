import type { ActionContext } from '../../../shared/run.js';
import { CancelledError } from '../../../shared/errors.js';
import { cancellation } from '../../../shared/tool.js';
import { createForgejoApi } from './forgejo-api.js';
import { createGitCli } from './git-cli.js';
import { basicCredential, gitAuthEnv } from './git-auth.js';
import { createBatchApi, lfsEndpoint } from './lfs/batch-api.js';
import { registerSecretForms } from '../../../shared/secrets.js';
import type { Inputs } from './settings.js';
import type { MirrorDeps, MirrorSettings } from './mirror.js';
import * as log from '../../../shared/log.js';

/** Forgejo's answer is polled every 2 s; wait-timeout bounds the whole wait. */
const POLL_MS = 2000;
const RETRY_BASE_MS = 2000;

/** The real clients for a run; tests of the orchestration build their own fakes instead. */
export function createDeps(
  ctx: ActionContext,
  s: MirrorSettings,
  raw: Inputs,
  credential: string | undefined,
): MirrorDeps {
  // git-lfs would ask the mirror's lock API before each upload (and note a missing one in .git/config);
  // a mirror has no locks of its own to respect.
  const remoteEnv = s.remoteUrl
    ? gitAuthEnv(s.remoteUrl, credential, process.env, [
        [`lfs.${lfsEndpoint(s.remoteUrl)}.locksverify`, 'false'],
        // git-lfs retries a refused object 8 times by default, answers like 413 and 507 included
        // (measured: 44 s for two objects); the action's own 'retries' repeat the whole upload after
        // network trouble.
        ['lfs.transfer.maxretries', '2'],
      ])
    : gitAuthEnv(new URL('https://invalid.'), undefined);
  // Forgejo reads the token from the password field whatever the user name (as actions/checkout sends it).
  const sourceCredential = raw.sourceToken ? basicCredential('x-access-token', raw.sourceToken) : undefined;
  if (raw.sourceToken && sourceCredential) registerSecretForms(raw.sourceToken, sourceCredential);
  return {
    git: createGitCli({
      remoteEnv,
      // The source token goes only to the source's origin (Forgejo), as a header like the mirror's.
      sourceEnv: (origin) =>
        gitAuthEnv(origin, origin.protocol.startsWith('http') ? sourceCredential : undefined),
    }),
    lfs: s.remoteUrl ? createBatchApi({ endpoint: lfsEndpoint(s.remoteUrl), credential }) : undefined,
    forgejo:
      s.mode === 'forgejo-sync' && raw.forgejoUrl && raw.repository && raw.forgejoToken
        ? createForgejoApi({
            baseUrl: raw.forgejoUrl,
            repository: raw.repository,
            token: raw.forgejoToken,
            syncTimeoutMs: s.waitTimeoutMs,
          })
        : undefined,
    step: (name, fn) => ctx.step(name, fn),
    skip: (name, why) => ctx.skip(name, why),
    info: (line) => log.info(line),
    warn: (line) => ctx.warning(line),
    sleep: async (ms) => {
      await new Promise((r) => setTimeout(r, ms));
      // Backoff and polling must not outlive a cancelled job (fetch is not a tool the lifecycle stops).
      const signal = cancellation();
      if (signal) throw new CancelledError(signal);
    },
    random: Math.random,
    now: Date.now,
    pollMs: POLL_MS,
    retryBaseMs: RETRY_BASE_MS,
  };
}
