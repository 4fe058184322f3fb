import { InputError } from '../../../shared/errors.js';
import type { Settings } from '../../../shared/inputs.js';
import type { inputs } from './inputs.js';
import type { MirrorSettings } from './mirror.js';

export type Inputs = Settings<typeof inputs>;

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

/**
 * Rules that span inputs. A token must never travel in clear text, so the mirror URL has to be https;
 * plain http is accepted only for loopback addresses (local test servers).
 */
export function toMirrorSettings(s: Inputs, cwd: string = process.cwd()): MirrorSettings {
  if (s.remoteUrl && s.remoteUrl.protocol === 'http:' && !LOOPBACK.test(s.remoteUrl.hostname)) {
    throw new InputError('remote-url', 'an https URL (http only for localhost)', `'${s.remoteUrl.href}'`);
  }
  if (s.mode === 'push') {
    if (!s.remoteUrl)
      throw new InputError(
        'remote-url',
        'the https URL of the mirror (required when mode is push)',
        'nothing',
      );
    if (!s.token) throw new InputError('token', 'an access token (required when mode is push)', 'nothing');
  } else {
    if (!s.forgejoUrl)
      throw new InputError(
        'forgejo-url',
        'the URL of the Forgejo server (required for forgejo-sync)',
        'nothing',
      );
    if (!s.repository)
      throw new InputError('repository', 'a repository as owner/name (required for forgejo-sync)', 'nothing');
    if (!s.forgejoToken) {
      throw new InputError(
        'forgejo-token',
        'a Forgejo token with admin rights on the repository (required for forgejo-sync)',
        'nothing',
      );
    }
  }
  return {
    mode: s.mode,
    remoteUrl: s.remoteUrl,
    hasToken: Boolean(s.token),
    sourceDir: s.sourceDir ?? cwd,
    refs: s.refs,
    prune: s.prune,
    force: s.force,
    retries: s.retries,
    verify: s.verify,
    lfs: s.lfs,
    hasSourceToken: Boolean(s.sourceToken),
    dryRun: s.dryRun,
    repository: s.repository,
    mirror: s.mirror,
    waitTimeoutMs: s.waitTimeout,
  };
}
