/**
 * Remote command lines, built safely. ssh joins its command arguments with spaces and the node's login
 * shell parses the result (ssh(1), "If a command is specified, it will be executed on the remote host
 * instead of a login shell"), so every word is quoted for a POSIX shell here and nothing the action sends
 * is ever interpreted twice. Values that end up inside a systemd unit (paths in the rollback command) must
 * also survive systemd's own `$`/`%` expansion (systemd-run(1): "the manager performs variable expansion";
 * systemd.service(5) "Command lines"): they are restricted to a character set without either.
 */

/** Characters a word may have and stay unquoted (and a path may have at all). */
const PLAIN = /^[A-Za-z0-9._+/:=@-]+$/;

export function shellQuote(word: string): string {
  if (word.length > 0 && PLAIN.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** One command line for the node's shell, every word quoted. */
export function commandLine(words: readonly string[]): string {
  return words.map(shellQuote).join(' ');
}

/**
 * An absolute path the action may put into a remote command and a systemd unit: letters, digits and
 * `. _ + / -` only, no `.`/`..` segments, no empty segments. Store paths (`/nix/store/<hash>-<name>`) and
 * NixOS profile links qualify; anything with `$`, `%`, quotes, spaces or newlines does not.
 */
export function isSafePath(p: string): boolean {
  if (!/^\/[A-Za-z0-9._+/-]*$/.test(p) || p.length > 1024) return false;
  const segments = p.split('/').slice(1);
  return segments.every((s, i) => (s !== '' || i === segments.length - 1) && s !== '.' && s !== '..');
}

/** A systemd unit name prefix of our own making (systemd.unit(5): ASCII letters, digits, `:-_.\`). */
export function isUnitName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,200}$/.test(name);
}

/**
 * `user@host` as ssh's destination. ssh re-reads options after the destination (ssh.c), so a host or user
 * starting with `-` could smuggle an option: both are checked, and the command follows `--`.
 */
export function sshDestination(user: string | null, host: string): string | undefined {
  if (!/^[A-Za-z0-9_.:[\]%-]+$/.test(host) || host.startsWith('-')) return undefined;
  if (user !== null && (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/.test(user) || user.length > 64)) return undefined;
  return user === null ? host : `${user}@${host}`;
}
