/**
 * Finds the credentials embedded in inputs that are not secret as a whole, so `readInputs` can register
 * them before any validation runs (see `InputSpec.credentials`). Each returns every form a tool or our
 * own code may print: as written, percent-decoded, and the `user:password` pair with its base64 (HTTP
 * Basic auth, which git, restic and rclone send and may echo in debug output).
 */

function decoded(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The password (and user:password forms) of every `scheme://user:password@host` in the text. */
export function urlUserInfo(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/\/\/([^/@:\s]*):([^/@\s]+)@/g)) {
    const [, user, password] = m;
    const pair = `${decoded(user)}:${decoded(password)}`;
    out.push(password, decoded(password), `${user}:${password}`, pair, Buffer.from(pair).toString('base64'));
  }
  return out;
}

/**
 * Every credential in the user-info of the text's URLs: the password forms of `urlUserInfo`, and a user
 * name given without a password (`https://<token>@host`, how git and many services take a token).
 */
export function urlCredentials(text: string): string[] {
  const out = urlUserInfo(text);
  for (const m of text.matchAll(/\/\/([^/@:\s]+)@/g)) out.push(m[1], decoded(m[1]));
  return out;
}

/** A URL with its user-info password replaced, for messages and reports. */
export function withoutUrlPassword(text: string): string {
  return text.replace(/(\/\/[^/@:\s]*):[^/@\s]+@/g, '$1:***@');
}

/**
 * A service's error text for a one-line message: its first line, at most 300 characters, every URL's
 * query dropped — signed URLs (artifact uploads, cache archives) carry their signature there.
 */
export function serviceMessage(text: string): string {
  const one = text.split('\n')[0].replace(/(https?:\/\/[^\s?]+)\?\S*/g, '$1?…');
  return one.length > 300 ? `${one.slice(0, 300)}…` : one;
}
