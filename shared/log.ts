import * as core from '@actions/core';
import { redact } from './secrets.js';

/**
 * The one way the suite writes text to the job log. Everything printed here is redacted and
 * neutralised, so tool output, remote stderr, pod logs or API messages can never act as runner
 * commands (`::save-state …`, `::add-mask::…`, `::stop-commands::…`).
 *
 * How the runners find commands in a log line (actions/runner src/Runner.Common/ActionCommand.cs):
 * - `TryParseV2`: the line, after `TrimStart()`, starts with `::`;
 * - `TryParse` (legacy form): `##[` anywhere in the line.
 * forgejo-runner (act pkg/runner/command.go) matches the same two forms anchored at the line start.
 *
 * Neutralising per line, rather than wrapping output in `::stop-commands::<token>`, keeps every
 * command the action itself issues working at all times: a secret registered while a tool's output
 * is being echoed must still be masked, and a tool cannot end the stop with a token it learned.
 * The inserted U+200B (zero width space) is not whitespace to .NET's `TrimStart`, Go's
 * `unicode.IsSpace` or JavaScript's `\s`, and does not change what the reader sees.
 */
const ZWSP = '\u200b';
/** A line whose visible text starts with `::`: only spaces, controls or format characters before it. */
const LEADING_COMMAND = /^([^\p{L}\p{N}\p{P}\p{S}]*):(?=:)/u;
const LEGACY_COMMAND = /##\[/g;

/** One line made inert: it can no longer be read as a workflow command. */
function neutraliseLine(line: string): string {
  return line.replace(LEADING_COMMAND, `$1:${ZWSP}`).replace(LEGACY_COMMAND, `##${ZWSP}[`);
}

/** Redacts and neutralises text (any number of lines) so it is safe to print or put in a summary. */
export function untrusted(text: string): string {
  return redact(text).split('\n').map(neutraliseLine).join('\n');
}

/** True when some line of `text` would be taken as a workflow command by a runner. */
export function looksLikeCommand(text: string): boolean {
  return text.split('\n').some((l) => LEADING_COMMAND.test(l) || l.includes('##['));
}

/** Prints text (our own message, possibly quoting tool or remote text) to the log. */
export function info(text: string): void {
  process.stdout.write(untrusted(text) + '\n');
}

/** Prints lines as one write, so output of concurrent tools cannot interleave inside a line. */
export function lines(all: readonly string[]): void {
  if (all.length > 0) process.stdout.write(untrusted(all.join('\n')) + '\n');
}

/**
 * A collapsible section in the log (rendered by GitHub and Forgejo) around `body`, sync or async.
 * The title travels as command data, which the toolkit escapes, so it cannot start a command itself.
 */
export function group<T>(title: string, body: () => T): T {
  core.startGroup(redact(title));
  let result: T;
  try {
    result = body();
  } catch (e) {
    core.endGroup();
    throw e;
  }
  if (result instanceof Promise) return result.finally(() => core.endGroup()) as T;
  core.endGroup();
  return result;
}

export function startGroup(title: string): void {
  core.startGroup(redact(title));
}

export function endGroup(): void {
  core.endGroup();
}
