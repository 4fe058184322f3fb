import { urlUserInfo } from '../../../../shared/credentials.js';

/**
 * rclone remote paths as the action accepts them in `backup-remote` and `restore-from`, and the
 * connection-string parameters it refuses there (issue 15, item 6). Pure.
 *
 * Syntax (rclone docs/content/docs.md, "Connection strings"):
 *   remote,parameter=value,parameter2=value2:path/to/dir
 *   :backend,parameter=value,parameter2=value2:path/to/dir
 * A value holding `:` or `,` is quoted with `"` or `'`, a quote inside doubled; a parameter without
 * `=value` means `=true`.
 *
 * Refused, because the value would travel in rclone's argv (world-readable) and in our log and report:
 * - credentials: every option rclone itself marks `IsPassword` or `Sensitive` in its backends
 *   (backend/ at rclone commit 64ab1ac, 2026-08), `headers` (HTTP headers carry Authorization/Cookie),
 *   a URL with a password in it, and any name that looks like a credential (pass, secret, token, key,
 *   credential, auth, cookie, session, signature, otp) unless its value is only a boolean (`env_auth`);
 *   the safe alternative is a named remote in the rclone config (`rclone config`, `rclone-config`).
 * - options that run programs: sftp `ssh` (runs the given command instead of the built-in client),
 *   sftp `server_command` and the `*sum_command` options (run on the server), webdav
 *   `bearer_token_command` (runs before any network access: reproduced with rclone 1.60), any
 *   `*_command`, and `global.*` / `override.*`, which set rclone's global flags for the process
 *   (`metadata_mapper`, `password_command`, `name_transform` … run programs).
 * Nested connection strings (crypt's `remote=`, union's `upstreams=`) are scanned too.
 */
export interface RcloneParam {
  name: string;
  /** Unquoted value; `undefined` when given without `=` (rclone reads it as true). */
  value?: string;
  /** The value as written (with its quotes). */
  raw?: string;
}

export interface RclonePath {
  /** `name` of a configured remote, or `:backend` for an on-the-fly one. */
  remote: string;
  params: RcloneParam[];
  path: string;
}

/** Remote names as `rclone config` accepts them (fs/config.go: letters, digits, `_ . - + @` and space). */
const REMOTE = /^(?::[A-Za-z0-9]+|[A-Za-z0-9_][A-Za-z0-9_. +@-]*)/;

/**
 * Parses `remote(,param(=value)?)*:path` the way rclone's fs/fspath/path.go Parse does; undefined when
 * it is not of that form (then it is refused, never guessed at).
 */
export function parseRclonePath(text: string): RclonePath | undefined {
  const head = REMOTE.exec(text);
  if (!head || /[\r\n]/.test(text)) return undefined;
  let i = head[0].length;
  const params: RcloneParam[] = [];
  while (text[i] === ',') {
    i++;
    // fs/fspath/path.go isConfigParam: 0-9 A-Z a-z _ .
    const key = /^[A-Za-z0-9_.]+/.exec(text.slice(i));
    if (!key) return undefined;
    i += key[0].length;
    const param: RcloneParam = { name: key[0] };
    if (text[i] === '=') {
      i++;
      const q = text[i];
      if (q === '"' || q === "'") {
        let value = '';
        let j = i + 1;
        for (;;) {
          if (j >= text.length) return undefined;
          if (text[j] === q) {
            if (text[j + 1] === q) {
              value += q;
              j += 2;
              continue;
            }
            break;
          }
          value += text[j++];
        }
        param.value = value;
        param.raw = text.slice(i, j + 1);
        i = j + 1;
      } else {
        // Unquoted: up to the next `,` or `:`; a quote only opens a quoted value as its first character.
        const m = /^[^,:]*/.exec(text.slice(i))!;
        param.value = m[0];
        param.raw = m[0];
        i += m[0].length;
      }
    }
    params.push(param);
  }
  if (text[i] !== ':') return undefined;
  return { remote: head[0], params, path: text.slice(i + 1) };
}

/** rclone's own list: options marked IsPassword or Sensitive in backend/*.go (see the file comment). */
const RCLONE_CREDENTIALS = new Set([
  'access_grant',
  'access_key_id',
  'access_token',
  'account',
  'account_id',
  'api_key',
  'api_password',
  'api_secret',
  'app_id',
  'application_credential_id',
  'application_credential_name',
  'application_credential_secret',
  'auth_token',
  'authorization',
  'bearer_token',
  'client_certificate_password',
  'client_id',
  'client_secret',
  'config_credentials',
  'connection_string',
  'cookies',
  'device_id',
  'domain',
  'email',
  'host',
  'impersonate',
  'impersonate_admin',
  'key',
  'key_file_pass',
  'key_pem',
  'library_key',
  'link_password',
  'mailbox_password',
  'master_keys',
  'mnemonic',
  'msi_client_id',
  'msi_mi_res_id',
  'msi_object_id',
  'otp_secret_key',
  'pass',
  'passphrase',
  'password',
  'password2',
  'permanent_token',
  'plex_password',
  'plex_token',
  'plex_username',
  'private_access_key',
  'private_key',
  'public_key',
  'refresh_token',
  'sas_url',
  'secret',
  'secret_access_key',
  'service_account_credentials',
  'service_principal_name',
  'session_token',
  'spn',
  'tenant',
  'tenant_id',
  'token',
  'trust_token',
  'user',
  'user_id',
  'username',
]);

/** Credential-looking names rclone may add in later versions (checked only with non-boolean values). */
const CREDENTIAL_WORD = /pass|secret|token|key|credential|auth|cookie|session|signature|otp|sas/;

/** Options that run a program (see the file comment). */
const PROGRAM_OPTIONS = new Set(['ssh', 'bearer_token_command', 'server_command']);

export type ParamProblem = { kind: 'credential' | 'program'; name: string; param: RcloneParam };

function normalise(name: string): string {
  return name.toLowerCase();
}

function isBoolean(p: RcloneParam): boolean {
  return p.value === undefined || /^(true|false)$/i.test(p.value);
}

function problemOf(p: RcloneParam): ParamProblem | undefined {
  const name = normalise(p.name);
  if (
    name.startsWith('global.') ||
    name.startsWith('override.') ||
    PROGRAM_OPTIONS.has(name) ||
    name.endsWith('_command')
  )
    return { kind: 'program', name: p.name, param: p };
  if (RCLONE_CREDENTIALS.has(name) || name === 'headers' || (CREDENTIAL_WORD.test(name) && !isBoolean(p)))
    return { kind: 'credential', name: p.name, param: p };
  if (p.value !== undefined && urlUserInfo(p.value).length > 0)
    return { kind: 'credential', name: p.name, param: p };
  return undefined;
}

/**
 * Parameter names (`,name` followed by `=`, `,`, `:` or the end) anywhere in a value: nested strings.
 * `unterminated` also takes a quote that never closes as running to the end (malformed input).
 */
function nestedParams(value: string, unterminated = false): RcloneParam[] {
  const out: RcloneParam[] = [];
  const quoted = unterminated ? `"[^"]*"?|'[^']*'?` : `"[^"]*"|'[^']*'`;
  const re = new RegExp(`,\\s*([A-Za-z0-9_.]+)\\s*(=\\s*(?:${quoted}|[^,:]*))?`, 'g');
  for (const m of value.matchAll(re)) {
    const raw = m[2]?.replace(/^=\s*/, '');
    out.push({ name: m[1], value: raw?.replace(/^["']|["']$/g, ''), raw });
  }
  return out;
}

/** Every refused parameter of an rclone path, nested ones included (reported against the outer one). */
export function refusedParams(p: RclonePath): ParamProblem[] {
  const out: ParamProblem[] = [];
  for (const param of p.params) {
    const own = problemOf(param);
    if (own) {
      out.push(own);
      continue;
    }
    for (const inner of nestedParams(param.value ?? '')) {
      const nested = problemOf(inner);
      // A credential deep inside a value: the whole outer value is what must stay secret.
      if (nested) out.push({ ...nested, name: `${param.name} (${nested.name})`, param });
    }
  }
  return out;
}

/**
 * The secret parts of an input that may hold an rclone path, for `InputSpec.withCredentials`: the
 * values of refused credential parameters as written and unquoted, and URL passwords. Registered
 * before any input is parsed, so the refusal's error, the log and the report never show them.
 */
export function rcloneCredentials(text: string): string[] {
  const out = urlUserInfo(text);
  const parsed = parseRclonePath(text.trim());
  // Malformed (an unterminated quote…): its error quotes the value, so scan it for `,name=value` pairs.
  const problems = parsed
    ? refusedParams(parsed)
    : nestedParams(text, true)
        .map(problemOf)
        .filter((p): p is ParamProblem => p !== undefined);
  for (const problem of problems) {
    if (problem.kind !== 'credential') continue;
    const { value, raw } = problem.param;
    for (const v of [value, raw]) if (v && !/^(true|false)$/i.test(v)) out.push(v);
  }
  return [...new Set(out)];
}

/** One sentence for an input error: which parameters, why, and the safe alternative. */
export function describeRefused(problems: readonly ParamProblem[]): string | undefined {
  if (problems.length === 0) return undefined;
  const names = (kind: ParamProblem['kind']) =>
    problems.filter((p) => p.kind === kind).map((p) => `'${p.name}'`);
  const parts: string[] = [];
  const creds = names('credential');
  const programs = names('program');
  if (creds.length > 0)
    parts.push(
      `credential parameter(s) ${creds.join(', ')} (put credentials in a named remote of the rclone config — rclone config, rclone-config — and use name:path)`,
    );
  if (programs.length > 0)
    parts.push(
      `parameter(s) ${programs.join(', ')} that run programs or change rclone's global flags (configure them in the remote's section of the rclone config)`,
    );
  return `a connection string with ${parts.join(' and ')}`;
}
