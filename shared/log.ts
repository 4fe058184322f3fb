import { AsyncLocalStorage } from 'node:async_hooks';
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

/**
 * Lines the @actions/cache and @actions/artifact libraries print while they run, governed. The libraries
 * write straight to stdout through @actions/core: they annotate every failure themselves
 * (`core.warning`/`core.error` in cache.ts restoreCacheV1/saveCacheV1; cache service 5xx even become
 * `::error::` lines) and quote server answers in plain lines ("Attempt 1 of 5 failed with error: …").
 * The suite wants one warning of its own per service problem and never an error line from a best-effort
 * service, so inside `governed()` their `::warning::`/`::error::`/`::notice::` lines are collected for the
 * caller instead of issued, `::add-mask::` and `::debug::` lines pass unchanged (the libraries mask signed
 * URLs with them; core escapes their data to one line), and every other line is printed as untrusted text.
 * The scope follows the library's asynchronous work (AsyncLocalStorage), so whatever the suite itself
 * prints meanwhile — and anything after the call — is untouched.
 */
interface Governed {
  annotations: string[];
}
const governedScope = new AsyncLocalStorage<Governed>();
/** The wrapper in place; wrapped again if something replaced stdout.write since (test spies do). */
let governor: typeof process.stdout.write | undefined;
const ANNOTATION = /^::(warning|error|notice)(?: [^:]*)?::(.*)$/;
const PASS_THROUGH = /^::(add-mask|debug)::/;

/** The message of a workflow command, as @actions/core escaped it (command.ts escapeData). */
function unescapeCommandData(data: string): string {
  return data.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
}

/**
 * @actions/core writes each command as one chunk of one line (command.ts issueCommand); a plain message
 * (`core.info`) can hold several lines, and a server's text inside it must not pass as a command.
 * The libraries' plain messages start with their own words, never with `::`.
 */
function governChunk(chunk: string, scope: Governed): string {
  const single = /^[^\n]*\n?$/.test(chunk);
  const line = chunk.replace(/\n$/, '');
  if (single) {
    const annotation = ANNOTATION.exec(line);
    if (annotation) {
      scope.annotations.push(unescapeCommandData(annotation[2]));
      return '';
    }
    if (PASS_THROUGH.test(line)) return chunk;
  }
  return untrusted(line) + (chunk.endsWith('\n') ? '\n' : '');
}

function installGovernor(): void {
  if (governor && process.stdout.write === governor) return;
  const original = process.stdout.write.bind(process.stdout) as (...args: unknown[]) => boolean;
  governor = ((chunk: unknown, ...rest: unknown[]) => {
    const scope = governedScope.getStore();
    if (!scope || typeof chunk !== 'string') return original(chunk, ...rest);
    return original(governChunk(chunk, scope), ...rest);
  }) as typeof process.stdout.write;
  process.stdout.write = governor;
}

/** Runs `fn` (a call into an @actions/* library) with its log lines governed; annotations go to `annotations`. */
export function governed<T>(annotations: string[], fn: () => Promise<T>): Promise<T> {
  installGovernor();
  return governedScope.run({ annotations }, fn);
}

/** Resolves once everything written to stdout so far has been handed to the OS (before a deliberate exit). */
export function flushed(): Promise<void> {
  return new Promise((resolve) => process.stdout.write('', () => resolve()));
}
