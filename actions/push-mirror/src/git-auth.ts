import { registerSecretForms } from '../../../shared/secrets.js';

/**
 * How the token reaches git without touching argv, the URL or any config file: an
 * `http.<origin>/.extraheader` given through GIT_CONFIG_COUNT/KEY/VALUE environment variables, the
 * same header actions/checkout writes (src/git-auth-helper.ts), but never persisted. git reads these
 * variables as command-line config (git ≥ 2.31) and they die with the process.
 */
export function basicCredential(username: string, token: string): string {
  return Buffer.from(`${username}:${token}`, 'utf8').toString('base64');
}

/** Registers the token and its base64 form so neither can reach a log, report or output. */
export function registerAuthSecrets(username: string, token: string): string {
  const credential = basicCredential(username, token);
  registerSecretForms(token, credential);
  return credential;
}

export function gitAuthEnv(
  remote: URL,
  credential: string | undefined,
  base: NodeJS.ProcessEnv = process.env,
  /** Further `key, value` config pairs (not secret), e.g. git-lfs settings for this remote. */
  extra: ReadonlyArray<[string, string]> = [],
): Record<string, string> {
  const pairs: Array<[string, string]> = [
    // Nobody may prompt for, cache or store credentials: a CI job has no one to answer.
    ['credential.helper', ''],
  ];
  if (credential) {
    const key = `http.${remote.origin}/.extraheader`;
    // An empty value first resets headers inherited from global config (a second Authorization
    // header would make GitHub answer 400).
    pairs.push([key, ''], [key, `AUTHORIZATION: basic ${credential}`]);
  }
  pairs.push(...extra);
  const existing = Number.parseInt(base.GIT_CONFIG_COUNT ?? '0', 10);
  const start = Number.isFinite(existing) && existing > 0 ? existing : 0;
  const env: Record<string, string> = {
    GIT_CONFIG_COUNT: String(start + pairs.length),
    GIT_TERMINAL_PROMPT: '0',
    // Empty, not unset: git then skips core.askPass and SSH_ASKPASS as well.
    GIT_ASKPASS: '',
    GCM_INTERACTIVE: 'never',
    GIT_TRACE_REDACT: '1',
    // A stalled transfer fails (as a retryable network error) instead of hanging the job.
    GIT_HTTP_LOW_SPEED_LIMIT: '1000',
    GIT_HTTP_LOW_SPEED_TIME: '60',
    // Failure classification reads git's messages: keep them untranslated.
    LC_ALL: 'C',
    LANGUAGE: 'C',
  };
  pairs.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${start + i}`] = key;
    env[`GIT_CONFIG_VALUE_${start + i}`] = value;
  });
  return env;
}
