import { urlUserInfo } from '../../../shared/credentials.js';

/**
 * Credentials in `nix-options` (issue 15 item 6). The input is not secret: its values become
 * `--nix-option name value` in colmena's argv (world-readable), are echoed in the log and recorded in the
 * report. Nix options that carry credentials are therefore refused, and the safe places named instead:
 * a nix.conf or netrc on the runner, or NIX_CONFIG set from a secret in the step's `env`.
 *
 * - `access-tokens` / `extra-access-tokens` (nix.conf(5)): whitespace-separated `host=token` pairs,
 *   the token optionally typed (`gitlab.com=PAT:glpat-…`, `OAuth2:…`);
 * - any `scheme://user:password@host` in a value (a substituter or builder URL with a password).
 */
const TOKEN_OPTION = /^(extra-)?access-tokens$/;
const MIN_SECRET = 4;

/** Every secret part of the raw input, for registration before any input is parsed. */
export function nixOptionCredentials(raw: string): string[] {
  const out: string[] = [];
  for (const line of raw.split(/\r?\n/)) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const value = line.slice(eq + 1).trim();
    if (TOKEN_OPTION.test(line.slice(0, eq).trim().toLowerCase())) {
      out.push(value);
      for (const pair of value.split(/\s+/)) {
        const token = pair.includes('=') ? pair.slice(pair.indexOf('=') + 1) : pair;
        out.push(token, token.replace(/^(PAT|OAuth2):/, ''));
      }
    }
    out.push(...urlUserInfo(value));
  }
  return [...new Set(out)].filter((s) => s.length >= MIN_SECRET);
}

/**
 * The credentials a `config` flake URI can carry, for registration before any input is parsed: a
 * password in its user-info (`git+https://ops:<token>@forge.example.org/ops/hive`) and a token given as
 * the user of an http(s) URL (`git+https://<token>@…`, how git takes a token). The user of an ssh URL
 * (`git+ssh://git@…`) is an account name, not a secret. Like `nix-options`, the input reaches colmena's
 * argv, the log and the report, so a URI with credentials is refused after they are registered.
 */
export function flakeUriCredentials(raw: string): string[] {
  const out = urlUserInfo(raw);
  for (const m of raw.matchAll(/(?:^|[+\s])https?:\/\/([^/@:\s]+)@/g)) {
    out.push(m[1]);
    try {
      out.push(decodeURIComponent(m[1]));
    } catch {
      // Not percent-encoded text: the raw form is registered.
    }
  }
  return [...new Set(out)].filter((s) => s.length >= MIN_SECRET);
}

/** Why an option is refused (its name, never its value), or undefined when none is. */
export function refusedNixOption(options: Readonly<Record<string, string>>): string | undefined {
  for (const [name, value] of Object.entries(options)) {
    if (TOKEN_OPTION.test(name)) return `'${name}' (it carries access tokens)`;
    if (urlUserInfo(value).length > 0) return `'${name}' (its URL carries a password)`;
  }
  return undefined;
}

export const SAFE_CREDENTIALS_HINT =
  'put them in a nix.conf on the runner (~/.config/nix/nix.conf or /etc/nix/nix.conf, access-tokens = …), ' +
  "in NIX_CONFIG set from a secret in the step's env, or in a netrc-file for substituter passwords";
