import { urlUserInfo } from '../../../../shared/credentials.js';

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
