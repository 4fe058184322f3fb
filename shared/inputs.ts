import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as core from '@actions/core';
import { z } from 'zod';
import { urlCredentials, withoutUrlPassword } from './credentials.js';
import { InputError } from './errors.js';
import { redact, registerSecret } from './secrets.js';

/**
 * Inputs are declared once per action as a record of specs, each a zod schema over the raw string the
 * runner passes (`INPUT_<NAME>`). `readInputs` turns them into one typed, frozen settings object with
 * camelCase keys. Defaults are strings exactly as in action.yml and go through the same schema, so a
 * default can never be something a user could not type. A test keeps action.yml and these specs equal.
 */
export type InputKind =
  'text' | 'secret' | 'bool' | 'int' | 'number' | 'duration' | 'enum' | 'list' | 'map' | 'path' | 'url';

export interface InputSpec<T, Optional extends boolean = boolean> {
  readonly kind: InputKind;
  readonly schema: z.ZodType<T, string>;
  /** What a valid value looks like, for error messages and the generated docs. */
  readonly expected: string;
  readonly defaultValue?: string;
  /** A default computed from the run (workspace, server URL, …); action.yml then declares none. */
  readonly fallback?: (env: NodeJS.ProcessEnv) => string | undefined;
  readonly isRequired: boolean;
  readonly isSecret: boolean;
  /** Whether each line of a multi-line secret is registered (default true). */
  readonly secretLines?: boolean;
  /**
   * Secret parts of a value that is not secret as a whole (a password in a URL's user-info, an access
   * token inside an option line). Registered with the secret inputs, before any input is parsed, so no
   * validation error, report or log line can show them.
   */
  readonly credentials?: (raw: string) => string[];
  /**
   * How a value with credentials is shown in the report and in error messages (e.g. a URL with its
   * password replaced, so the user name stays readable); whatever it leaves is still redacted.
   */
  readonly display?: (raw: string) => string;
  readonly values?: readonly string[];
  readonly optional?: Optional;
  default(value: string): InputSpec<T, false>;
  fallbackTo(fn: (env: NodeJS.ProcessEnv) => string | undefined): InputSpec<T, Optional>;
  required(): InputSpec<T, false>;
  secret(): InputSpec<T, Optional>;
  withCredentials(fn: (raw: string) => string[], display?: (raw: string) => string): InputSpec<T, Optional>;
}

type AnySpec = InputSpec<unknown, boolean>;
export type InputSpecs = Record<string, AnySpec>;

type Camel<S extends string> = S extends `${infer H}-${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;
export type Settings<S extends InputSpecs> = {
  readonly [K in keyof S as Camel<K & string>]: S[K] extends InputSpec<infer T, infer O>
    ? O extends false
      ? T
      : T | undefined
    : never;
};

function spec<T>(
  kind: InputKind,
  schema: z.ZodType<T, string>,
  expected: string,
  extra: Partial<
    Pick<
      AnySpec,
      | 'defaultValue'
      | 'fallback'
      | 'isRequired'
      | 'isSecret'
      | 'secretLines'
      | 'values'
      | 'credentials'
      | 'display'
    >
  > = {},
): InputSpec<T, true> {
  const base = {
    kind,
    schema,
    expected,
    isRequired: false,
    isSecret: false,
    ...extra,
  };
  return {
    ...base,
    default: (value: string) => spec(kind, schema, expected, { ...base, defaultValue: value }),
    fallbackTo: (fn: (env: NodeJS.ProcessEnv) => string | undefined) =>
      spec(kind, schema, expected, { ...base, fallback: fn }),
    required: () => spec(kind, schema, expected, { ...base, isRequired: true }),
    secret: () => spec(kind, schema, expected, { ...base, isSecret: true }),
    withCredentials: (fn: (raw: string) => string[], display?: (raw: string) => string) =>
      spec(kind, schema, expected, { ...base, credentials: fn, display }),
  } as unknown as InputSpec<T, true>;
}

/** A zod schema from the raw string that reports failures with our own wording. */
function parser<T>(parse: (raw: string) => T | Invalid): z.ZodType<T, string> {
  return z.string().transform((raw, ctx) => {
    const out = parse(raw);
    if (out instanceof Invalid) {
      ctx.addIssue({
        code: 'custom',
        message: out.expected,
        params: out.item ? { item: out.item } : undefined,
      });
      return z.NEVER;
    }
    return out;
  }) as unknown as z.ZodType<T, string>;
}

/** Returned by a parser to say the value is not of the expected form (optionally a sharper expectation). */
export class Invalid {
  constructor(
    readonly expected?: string,
    /** The list item at fault: quoted for ordinary inputs, named by its position for secret ones. */
    readonly item?: { position: string; text: string; why: string },
  ) {}
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const MAX_TEXT = 4096;

function cleanText(raw: string, multiline: boolean): string | Invalid {
  if (raw.length > MAX_TEXT) return new Invalid(`at most ${MAX_TEXT} characters`);
  if (CONTROL.test(raw)) return new Invalid('text without control characters');
  if (!multiline && /[\r\n]/.test(raw)) return new Invalid('a single line');
  return raw;
}

export interface TextOptions {
  pattern?: RegExp;
  expected?: string;
  multiline?: boolean;
}

export function text(opts: TextOptions = {}) {
  const expected = opts.expected ?? (opts.multiline ? 'text' : 'a single line of text');
  return spec(
    'text',
    parser((raw) => {
      const t = cleanText(raw, opts.multiline ?? false);
      if (t instanceof Invalid) return new Invalid(`${expected} (${t.expected})`);
      if (opts.pattern && !opts.pattern.test(t)) return new Invalid(expected);
      return t;
    }),
    expected,
  );
}

/**
 * A secret value; registered (masked and redacted) before any input is parsed. A multi-line secret is
 * registered line by line unless `registerLines: false` — then the action must register the parts that
 * are secret itself (see registerSecret).
 */
export function secretText(opts: { multiline?: boolean; expected?: string; registerLines?: boolean } = {}) {
  const expected = opts.expected ?? 'a secret value';
  return spec(
    'secret',
    parser((raw) => {
      if (raw.length > 65536) return new Invalid(`${expected} of at most 65536 characters`);
      if (raw.includes('\u0000')) return new Invalid(`${expected} without NUL characters`);
      if (!opts.multiline && /[\r\n]/.test(raw.trim())) return new Invalid(`${expected} on a single line`);
      return raw;
    }),
    expected,
    { isSecret: true, secretLines: opts.registerLines ?? true },
  );
}

export function bool() {
  return spec(
    'bool',
    parser((raw) => (raw === 'true' ? true : raw === 'false' ? false : new Invalid())),
    "'true' or 'false'",
  );
}

export function int(opts: { min?: number; max?: number } = {}) {
  const min = opts.min ?? 0;
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  const expected =
    max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`;
  return spec(
    'int',
    parser((raw) => {
      if (!/^-?\d{1,15}$/.test(raw)) return new Invalid();
      const n = Number(raw);
      return n < min || n > max ? new Invalid() : n;
    }),
    expected,
  );
}

/** A decimal number, e.g. a percentage. */
export function decimal(opts: { min: number; max: number; unit?: string }) {
  const expected = `a number from ${opts.min} to ${opts.max}${opts.unit ?? ''}`;
  return spec(
    'number',
    parser((raw) => {
      const body = opts.unit && raw.endsWith(opts.unit) ? raw.slice(0, -opts.unit.length) : raw;
      if (!/^\d{1,6}(\.\d{1,6})?$/.test(body)) return new Invalid();
      const n = Number(body);
      return n < opts.min || n > opts.max ? new Invalid() : n;
    }),
    expected,
  );
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `90s`, `5m`, `26h`, `1d`, `1h30m` into milliseconds; returns undefined when malformed. */
export function parseDuration(raw: string): number | undefined {
  if (!/^(\d{1,9}(ms|s|m|h|d))+$/.test(raw)) return undefined;
  let total = 0;
  for (const m of raw.matchAll(/(\d+)(ms|s|m|h|d)/g)) total += Number(m[1]) * UNIT_MS[m[2]];
  return total;
}

export function formatDuration(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

export function duration(opts: { min?: number; max?: number } = {}) {
  const min = opts.min ?? 1000;
  const max = opts.max ?? 7 * 86_400_000;
  const expected = `a duration like 90s, 5m, 26h or 1d (from ${formatDuration(min)} to ${formatDuration(max)})`;
  return spec(
    'duration',
    parser((raw) => {
      const ms = parseDuration(raw);
      return ms === undefined || ms < min || ms > max ? new Invalid() : ms;
    }),
    expected,
  );
}

export function oneOf<const V extends readonly string[]>(values: V) {
  return spec(
    'enum',
    parser((raw) => ((values as readonly string[]).includes(raw) ? (raw as V[number]) : new Invalid())),
    `one of ${values.join('|')}`,
    { values },
  );
}

export type ListSeparator = 'newline' | 'comma' | 'newline-or-comma' | 'whitespace';

const SPLITTERS: Record<ListSeparator, RegExp> = {
  newline: /\r?\n/,
  comma: /,/,
  whitespace: /\s+/,
  'newline-or-comma': /\r?\n|,/,
};

/** Splits a list input; blank lines and `#` comment lines are ignored. */
export function splitList(raw: string, separator: ListSeparator): string[] {
  return listItems(raw, separator).map((i) => i.text);
}

/** The items with their 1-based position in the input as written (the line number of a newline list). */
function listItems(raw: string, separator: ListSeparator): { text: string; position: number }[] {
  return raw
    .split(SPLITTERS[separator])
    .map((s, i) => ({ text: s.trim(), position: i + 1 }))
    .filter((s) => s.text.length > 0 && !s.text.startsWith('#'));
}

export interface ListOptions<T> {
  separator?: ListSeparator;
  /** Parses one item; return Invalid to reject it. */
  item?: (item: string) => T | Invalid;
  itemExpected?: string;
  min?: number;
  max?: number;
}

export function list<T = string>(opts: ListOptions<T> = {}) {
  const sep = opts.separator ?? 'newline';
  const sepText = {
    newline: 'one per line',
    comma: 'comma-separated',
    'newline-or-comma': 'one per line or comma-separated',
    whitespace: 'separated by spaces',
  }[sep];
  const expected = `a list of ${opts.itemExpected ?? 'values'}, ${sepText}`;
  return spec(
    'list',
    parser((raw) => {
      if (raw.includes('\u0000') || raw.length > 65536) return new Invalid();
      const items = listItems(raw, sep);
      if (opts.min !== undefined && items.length < opts.min)
        return new Invalid(`${expected}, at least ${opts.min}`);
      if (opts.max !== undefined && items.length > opts.max)
        return new Invalid(`${expected}, at most ${opts.max}`);
      const position = (n: number) => (sep === 'newline' ? `line ${n}` : `item ${n}`);
      const out: T[] = [];
      for (const { text: item, position: n } of items) {
        if (CONTROL.test(item))
          return new Invalid(expected, { position: position(n), text: item, why: 'has control characters' });
        const parsed = opts.item ? opts.item(item) : (item as T);
        if (parsed instanceof Invalid)
          return new Invalid(expected, {
            position: position(n),
            text: item,
            why: `is not ${parsed.expected ?? opts.itemExpected ?? 'valid'}`,
          });
        out.push(parsed);
      }
      return Object.freeze(out) as readonly T[];
    }),
    expected,
  );
}

/** `KEY=VALUE` lines into an ordered, frozen record. */
export function keyValues(opts: { keyPattern?: RegExp; keyExpected?: string } = {}) {
  const keyPattern = opts.keyPattern ?? /^[A-Za-z_][A-Za-z0-9_.-]*$/;
  const expected = `KEY=VALUE lines with ${opts.keyExpected ?? 'keys of letters, digits, _ . -'}`;
  return spec(
    'map',
    parser((raw) => {
      if (raw.includes('\u0000') || raw.length > 65536) return new Invalid();
      const out: Record<string, string> = {};
      for (const line of splitList(raw, 'newline')) {
        const eq = line.indexOf('=');
        const key = eq > 0 ? line.slice(0, eq).trim() : '';
        if (!keyPattern.test(key)) return new Invalid(`${expected} (a line has no valid KEY= part)`);
        out[key] = line.slice(eq + 1).trim();
      }
      return Object.freeze(out) as Readonly<Record<string, string>>;
    }),
    expected,
  );
}

/** Expands `~` and resolves relative paths against the workspace (the runner's checkout). */
export function resolvePath(raw: string, env: NodeJS.ProcessEnv = process.env): string {
  let p = raw;
  if (p === '~' || p.startsWith('~/')) p = path.join(env.HOME || os.homedir(), p.slice(1));
  return path.resolve(env.GITHUB_WORKSPACE || process.cwd(), p);
}

export function filePath(opts: { mustExist?: 'file' | 'dir'; expected?: string } = {}) {
  const expected =
    opts.expected ??
    (opts.mustExist === 'file'
      ? 'the path of an existing file'
      : opts.mustExist === 'dir'
        ? 'the path of an existing directory'
        : 'a file system path');
  return spec(
    'path',
    parser((raw) => {
      const t = cleanText(raw, false);
      if (t instanceof Invalid) return new Invalid(`${expected} (${t.expected})`);
      const resolved = resolvePath(t, parseEnv);
      if (opts.mustExist) {
        const st = fs.statSync(resolved, { throwIfNoEntry: false });
        if (!st || (opts.mustExist === 'file' ? !st.isFile() : !st.isDirectory())) return new Invalid();
      }
      return resolved;
    }),
    expected,
  );
}

export function url(opts: { protocols?: string[]; expected?: string } = {}) {
  const protocols = opts.protocols ?? ['https:', 'http:'];
  const expected = opts.expected ?? `a ${protocols.map((p) => p.replace(':', '')).join(' or ')} URL`;
  return spec(
    'url',
    parser((raw) => {
      const t = cleanText(raw, false);
      if (t instanceof Invalid || /\s/.test(raw)) return new Invalid();
      try {
        const u = new URL(raw);
        if (!protocols.includes(u.protocol) || !u.hostname) return new Invalid();
        if (u.username || u.password) return new Invalid(`${expected} without credentials in it`);
        return u;
      } catch {
        return new Invalid();
      }
    }),
    expected,
    // Refused above, but registered first (readInputs) so that the refusal cannot quote them.
    { credentials: urlCredentials, display: withoutUrlPassword },
  );
}

export type InputSource = (name: string) => string;

/** The environment paths resolve against while `readInputs` runs (zod transforms take no context). */
let parseEnv: NodeJS.ProcessEnv = process.env;

/** Reads INPUT_* the way the runner sets them (via @actions/core, which trims). */
export const runnerInputs: InputSource = (name) => core.getInput(name);

function camel(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** The value as the report shows it: secrets replaced, credentials as the spec displays them. */
function reportedValue(s: AnySpec, raw: string): string {
  if (s.isSecret && raw !== '') return '***';
  return s.display && raw !== '' ? s.display(raw) : raw;
}

function shown(raw: string, s: AnySpec, name: string): string {
  if (raw === '') return 'nothing';
  if (s.isSecret) return `a value that is not shown because '${name}' is secret`;
  // Redacted before it is cut to length: a cut through a registered credential would leave a prefix
  // that is not itself registered.
  const text = s.credentials ? redact(reportedValue(s, raw)) : raw;
  const json = JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
  return `'${json.slice(1, -1).replace(/'/g, "\\'")}'`;
}

export interface ReadInputs<S extends InputSpecs> {
  settings: Settings<S>;
  /** Raw values as given (after defaults) with secrets replaced, for the report. */
  reported: Record<string, string>;
}

/** Registers every secret input first, then parses all inputs; throws InputError on the first bad one. */
export function readInputs<S extends InputSpecs>(
  specs: S,
  source: InputSource = runnerInputs,
  env: NodeJS.ProcessEnv = process.env,
): ReadInputs<S> {
  const raws: Record<string, string> = {};
  const protect = (s: AnySpec, raw: string) => {
    if (s.isSecret) registerSecret(raw, { lines: s.secretLines });
    if (s.credentials && raw !== '') for (const part of s.credentials(raw)) registerSecret(part);
  };
  for (const [name, s] of Object.entries(specs)) {
    raws[name] = source(name);
    protect(s, raws[name]);
  }
  for (const [name, s] of Object.entries(specs)) {
    if (raws[name] === '' && s.fallback) {
      raws[name] = s.fallback(env) ?? '';
      protect(s, raws[name]);
    }
  }
  const settings: Record<string, unknown> = {};
  const reported: Record<string, string> = {};
  parseEnv = env;
  try {
    parseAll(specs, raws, settings, reported);
  } finally {
    parseEnv = process.env;
  }
  return { settings: Object.freeze(settings) as Settings<S>, reported };
}

function parseAll(
  specs: InputSpecs,
  raws: Record<string, string>,
  settings: Record<string, unknown>,
  reported: Record<string, string>,
): void {
  for (const [name, s] of Object.entries(specs)) {
    let raw = raws[name];
    if (raw === '' && s.defaultValue !== undefined) raw = s.defaultValue;
    reported[name] = reportedValue(s, raw);
    if (raw === '') {
      if (s.isRequired) throw new InputError(name, s.expected, 'nothing (the input is required)');
      settings[camel(name)] = undefined;
      continue;
    }
    const out = s.schema.safeParse(raw);
    if (!out.success) {
      const issue = out.error.issues[0] as
        { message?: string; params?: { item?: Invalid['item'] } } | undefined;
      const message = issue?.message;
      let expected = message && !message.startsWith('Invalid') ? message : s.expected;
      const item = issue?.params?.item;
      // A secret list (known hosts, keys) is named by position only: a quoted prefix of a registered
      // line is not itself registered, so it would leak.
      if (item)
        expected += s.isSecret
          ? ` (${item.position} ${item.why})`
          : ` (item '${item.text.slice(0, 80)}' ${item.why})`;
      throw new InputError(name, expected, shown(raw, s, name));
    }
    settings[camel(name)] = out.data;
  }
}
