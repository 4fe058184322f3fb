import * as fs from 'node:fs';
import { urlUserInfo } from '../../../../shared/credentials.js';
import { resolvePath, splitList } from '../../../../shared/inputs.js';

/**
 * The secrets the inputs carry besides the secret inputs themselves, found before any input is parsed
 * (`InputSpec.withCredentials`) so that no validation error, report or log line can show them.
 */

/**
 * The secrets a `repository` string can carry, found before any input is parsed (see
 * `InputSpec.withCredentials`), so no validation error, report or log line can show them:
 *  - a password in URL user-info (`rest:https://user:password@host/`): restic gets the repository
 *    through RESTIC_REPOSITORY, so it stays out of argv; it is registered with its derived forms;
 *  - rclone connection-string parameters (`rclone:remote,pass=…:path`, `rclone::s3,secret_access_key=…:b`):
 *    restic appends the remote to rclone's arguments (internal/backend/rclone/backend.go, `args =
 *    append(args, cfg.Remote)`), where any process on the runner can read them, so the action refuses
 *    them (see `rcloneParameters`) after registering them.
 */
export function repositoryCredentials(repository: string): string[] {
  const rclone = rcloneParameters(repository);
  return [
    ...urlUserInfo(repository),
    ...(rclone ? [rclone.section, ...rclone.values.flatMap((v) => [v.raw, v.value])] : []),
  ];
}

export interface RcloneParameters {
  /**
   * Everything from the first parameter to the last `:` of the string: a superset of the parameters
   * whatever their quoting, so registering it hides them all.
   */
  section: string;
  values: { name: string; raw: string; value: string }[];
}

/**
 * The connection-string parameters of an `rclone:` repository, or undefined when it has none. Syntax
 * (rclone docs, "Connection strings"): `remote,param=value,param2=value2:path` or
 * `:backend,param=value:path`; a value holding `:` or `,` is quoted with `"` or `'`, a quote inside
 * doubled; a parameter without `=value` means `=true`. A remote name cannot contain `,` or `:` (rclone
 * docs, "Valid remote names"), so a `,` before the first `:` of the remote is exactly "has parameters".
 */
export function rcloneParameters(repository: string): RcloneParameters | undefined {
  if (!repository.startsWith('rclone:')) return undefined;
  const remote = repository.slice('rclone:'.length).replace(/^:/, '');
  const comma = remote.indexOf(',');
  const colon = remote.indexOf(':');
  if (comma < 0 || (colon >= 0 && colon < comma)) return undefined;
  const last = remote.lastIndexOf(':');
  const section = remote.slice(comma + 1, last > comma ? last : undefined);
  const values: RcloneParameters['values'] = [];
  for (const m of section.matchAll(/([^,=:]+)(?:=("(?:[^"]|"")*"|'(?:[^']|'')*'|[^,:]*))?/g)) {
    const raw = m[2] ?? '';
    const quote = raw[0] === '"' || raw[0] === "'" ? raw[0] : '';
    const value = quote
      ? raw
          .slice(1, -1)
          .split(quote + quote)
          .join(quote)
      : raw;
    if (value) values.push({ name: m[1].trim(), raw, value });
  }
  return { section, values };
}

/**
 * Values that carry no secret: a flag or a small number (`RCLONE_S3_NO_CHECK_BUCKET=true`,
 * `RESTIC_COMPRESSION`-like settings). Registering them would mask every `true` or `3` in the log and
 * the report.
 */
const PLAIN_SETTING = /^(?:true|false|yes|no|on|off|\d{1,5})$/i;

/**
 * Every value of the `env` input, for registration before any input is parsed (the input is secret as a
 * whole, but a value alone is what a tool would print), and the HTTP Basic form restic's REST backend
 * sends when RESTIC_REST_USERNAME and RESTIC_REST_PASSWORD are set (0.16.1+).
 */
export function envCredentials(raw: string): string[] {
  const pairs = splitList(raw, 'newline')
    .filter((l) => l.indexOf('=') > 0)
    .map((l) => [l.slice(0, l.indexOf('=')).trim(), l.slice(l.indexOf('=') + 1).trim()] as const);
  const values = pairs.map(([, v]) => v).filter((v) => v.length > 0 && !PLAIN_SETTING.test(v));
  const env = Object.fromEntries(pairs);
  const basic =
    env.RESTIC_REST_USERNAME && env.RESTIC_REST_PASSWORD
      ? [Buffer.from(`${env.RESTIC_REST_USERNAME}:${env.RESTIC_REST_PASSWORD}`).toString('base64')]
      : [];
  return [...values, ...basic];
}

/**
 * The forms a password is printed in by the commands at hand: `base64` of the file as restic reads it
 * and of an `echo` of it (with its newline), wrapped at 76 columns as `base64` wraps them (each line
 * is registered).
 */
export function passwordForms(password: string): string[] {
  const b64 = (t: string) => Buffer.from(t).toString('base64');
  const wrapped = (t: string) => (t.match(/.{1,76}/g) ?? []).join('\n');
  return [b64(password), b64(`${password}\n`)].flatMap((f) => (f.length > 76 ? [f, wrapped(f)] : [f]));
}

/** Files larger than this are not password files; restic would not read them as one either. */
const MAX_PASSWORD_FILE = 64 * 1024;

/**
 * The content of the operator's `password-file` and its forms: the file is not the action's to remove,
 * and `verify-command` runs as the same user, so whatever it prints of the file must be masked. restic
 * uses the content with surrounding white space trimmed (cmd/restic/global.go, loadPasswordFromFile).
 */
export function passwordFileCredentials(raw: string): string[] {
  let content: string;
  try {
    const file = resolvePath(raw);
    const st = fs.statSync(file);
    if (!st.isFile() || st.size > MAX_PASSWORD_FILE) return [];
    content = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const password = content.trim();
  if (password === '') return [];
  return [password, ...passwordForms(password), Buffer.from(content).toString('base64')];
}
