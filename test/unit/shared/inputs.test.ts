import { describe, expect, test } from '@jest/globals';
import { InputError } from '../../../shared/errors.js';
import {
  bool,
  decimal,
  duration,
  filePath,
  int,
  keyValues,
  list,
  oneOf,
  parseDuration,
  readInputs,
  resolvePath,
  secretText,
  text,
  url,
  Invalid,
  type InputSpecs,
} from '../../../shared/inputs.js';
import { urlUserInfo, withoutUrlPassword } from '../../../shared/credentials.js';
import { redact, resetSecretsForTest } from '../../../shared/secrets.js';
import { thrown } from '../../support/thrown.js';

function read<S extends InputSpecs>(specs: S, raw: Record<string, string>) {
  return readInputs(specs, (name) => raw[name] ?? '', { HOME: '/home/op', GITHUB_WORKSPACE: '/work/ws' });
}

const errorOf = (fn: () => unknown) => thrown(fn, InputError);

describe('scalar parsers', () => {
  test.each([
    ['true', true],
    ['false', false],
  ])('bool accepts %s', (raw, want) => {
    expect(read({ flag: bool() }, { flag: raw }).settings.flag).toBe(want);
  });

  test.each(['yes', 'True', '1', 'no', 'on'])('bool rejects %s instead of reading it as false', (raw) => {
    const e = errorOf(() => read({ flag: bool() }, { flag: raw }));
    expect(e.message).toBe(`Input 'flag' is invalid: expected 'true' or 'false', got '${raw}'.`);
  });

  test.each([
    ['0', 0],
    ['30', 30],
    ['1000', 1000],
  ])('int in range accepts %s', (raw, want) => {
    expect(read({ n: int({ min: 0, max: 1000 }) }, { n: raw }).settings.n).toBe(want);
  });

  test.each(['-1', '1001', '1.5', 'abc', '1e3', ' 5x', '99999999999999999999'])('int rejects %s', (raw) => {
    expect(errorOf(() => read({ n: int({ min: 0, max: 1000 }) }, { n: raw })).message).toContain(
      "expected an integer from 0 to 1000, got '",
    );
  });

  test.each([
    ['90s', 90_000],
    ['5m', 300_000],
    ['26h', 93_600_000],
    ['1d', 86_400_000],
    ['1h30m', 5_400_000],
  ])('duration %s', (raw, ms) => {
    expect(parseDuration(raw)).toBe(ms);
    expect(read({ d: duration() }, { d: raw }).settings.d).toBe(ms);
  });

  test.each(['90', '5 m', 'm5', '1w', '-5m', '0s', '8d', ''])('duration rejects %j', (raw) => {
    if (raw === '') {
      expect(read({ d: duration() }, { d: raw }).settings.d).toBeUndefined();
      return;
    }
    expect(errorOf(() => read({ d: duration() }, { d: raw })).message).toMatch(
      /^Input 'd' is invalid: expected a duration like 90s, 5m, 26h or 1d/,
    );
  });

  test('enum names its values', () => {
    expect(read({ mode: oneOf(['plan', 'apply'] as const) }, { mode: 'apply' }).settings.mode).toBe('apply');
    expect(
      errorOf(() => read({ mode: oneOf(['plan', 'apply'] as const) }, { mode: 'destroy' })).message,
    ).toBe("Input 'mode' is invalid: expected one of plan|apply, got 'destroy'.");
  });

  test('decimal with unit', () => {
    expect(read({ p: decimal({ min: 0, max: 100, unit: '%' }) }, { p: '2.5%' }).settings.p).toBe(2.5);
    expect(read({ p: decimal({ min: 0, max: 100, unit: '%' }) }, { p: '7' }).settings.p).toBe(7);
    expect(() => read({ p: decimal({ min: 0, max: 100, unit: '%' }) }, { p: '101' })).toThrow(InputError);
  });

  test('text rejects newlines, NUL and very long values; pattern gives its own expectation', () => {
    expect(() => read({ t: text() }, { t: 'a\nb' })).toThrow(
      "expected a single line of text (a single line), got 'a\\nb'",
    );
    expect(() => read({ t: text() }, { t: 'a\u0000b' })).toThrow(InputError);
    expect(() => read({ t: text() }, { t: 'x'.repeat(5000) })).toThrow(/at most 4096 characters/);
    expect(() =>
      read({ t: text({ pattern: /^[a-z]+@[a-z.]+$/, expected: 'user@host' }) }, { t: 'x; rm -rf /' }),
    ).toThrow("Input 't' is invalid: expected user@host, got 'x; rm -rf /'.");
  });

  test('url refuses credentials and other schemes', () => {
    expect(read({ u: url() }, { u: 'https://github.com/o/r.git' }).settings.u?.hostname).toBe('github.com');
    expect(() => read({ u: url() }, { u: 'https://user:pw@github.com/o/r' })).toThrow(/without credentials/);
    expect(() => read({ u: url({ protocols: ['https:'] }) }, { u: 'ftp://x' })).toThrow(
      "expected a https URL, got 'ftp://x'",
    );
    expect(() => read({ u: url() }, { u: 'not a url' })).toThrow(InputError);
  });
});

describe('lists, maps and paths', () => {
  test('newline list skips blanks and comments', () => {
    expect(read({ l: list() }, { l: 'a\n\n  b  \n# c\r\nd' }).settings.l).toEqual(['a', 'b', 'd']);
  });

  test('comma list and item validation', () => {
    const spec = list({
      separator: 'comma',
      item: (s) => (/^@?[\w*-]+$/.test(s) ? s : new Invalid('a node name')),
      itemExpected: 'node names',
    });
    expect(read({ on: spec }, { on: 'edge-1, @web' }).settings.on).toEqual(['edge-1', '@web']);
    expect(errorOf(() => read({ on: spec }, { on: 'edge-1,$(id)' })).message).toContain(
      "item '$(id)' is not a node name",
    );
  });

  test('key=value lines', () => {
    expect(read({ m: keyValues() }, { m: 'A=1\nB_2 = x=y\n' }).settings.m).toEqual({ A: '1', B_2: 'x=y' });
    expect(() => read({ m: keyValues() }, { m: 'no-equals-here' })).toThrow(/KEY=VALUE/);
    expect(() => read({ m: keyValues() }, { m: '=value' })).toThrow(InputError);
  });

  test('paths expand ~ and resolve against the workspace', () => {
    expect(resolvePath('~/state/x.tfstate', { HOME: '/home/op' })).toBe('/home/op/state/x.tfstate');
    expect(resolvePath('stack', { GITHUB_WORKSPACE: '/work/ws' })).toBe('/work/ws/stack');
    expect(read({ p: filePath() }, { p: '~/a' }).settings.p).toBe('/home/op/a');
  });

  test('a path that must exist', () => {
    expect(
      errorOf(() => read({ p: filePath({ mustExist: 'file' }) }, { p: '/definitely/not/here' })).message,
    ).toBe("Input 'p' is invalid: expected the path of an existing file, got '/definitely/not/here'.");
  });
});

describe('readInputs', () => {
  test('defaults go through the schema; required inputs say so', () => {
    const specs = { keep: int({ min: 1 }).default('30'), state: text().required() };
    expect(read(specs, { state: 's' }).settings).toEqual({ keep: 30, state: 's' });
    expect(errorOf(() => read(specs, {})).message).toBe(
      "Input 'state' is invalid: expected a single line of text, got nothing (the input is required).",
    );
  });

  test('kebab-case names become camelCase keys and the settings are frozen', () => {
    const { settings } = read({ 'backup-keep': int().default('3') }, {});
    expect(settings.backupKeep).toBe(3);
    expect(Object.isFrozen(settings)).toBe(true);
  });

  test('a secret is never echoed in an error and is reported as ***', () => {
    const specs = { token: secretText(), name: text().default('x') };
    const e = errorOf(() => read(specs, { token: 'abc\ndef' }));
    expect(e.message).toBe(
      "Input 'token' is invalid: expected a secret value on a single line, got a value that is not shown because 'token' is secret.",
    );
    expect(read(specs, { token: 'canary-123' }).reported).toEqual({ token: '***', name: 'x' });
  });

  test('a secret list names a bad item by its line only, never a prefix of it', () => {
    const hosts = list({
      item: (l) => (l.split(' ').length >= 3 ? l : new Invalid('a known_hosts line')),
    }).secret();
    const long = `edge-1 ssh-ed25519 ${'A'.repeat(60)}`.replace(/ /g, '_') + ' tail';
    const e = errorOf(() => read({ 'known-hosts': hosts }, { 'known-hosts': `a b c\n\n${long}` }));
    expect(e.message).toBe(
      "Input 'known-hosts' is invalid: expected a list of values, one per line (line 3 is not a known_hosts line), got a value that is not shown because 'known-hosts' is secret.",
    );
    expect(e.message).not.toContain('edge-1');
    // An ordinary list still quotes the item, so the operator sees what to fix.
    const plain = list({ item: (l) => (l === 'ok' ? l : new Invalid('ok')) });
    expect(errorOf(() => read({ l: plain }, { l: 'ok\nbad-item' })).message).toContain(
      "(item 'bad-item' is not ok)",
    );
  });

  test('credentials inside a non-secret input are registered before any input can fail', () => {
    resetSecretsForTest();
    const specs = {
      repository: text().withCredentials(urlUserInfo).required(),
      later: int({ min: 1 }).required(),
    };
    const e = errorOf(() =>
      read(specs, {
        repository: 'rest:https://backup:Hunter2-S3cret%21@restic.example.net:8000/edge',
        later: 'x',
      }),
    );
    expect(e).toBeInstanceOf(InputError);
    expect(redact('pw Hunter2-S3cret%21 / Hunter2-S3cret! / backup:Hunter2-S3cret!')).toBe(
      'pw *** / *** / ***',
    );
    expect(redact(Buffer.from('backup:Hunter2-S3cret!').toString('base64'))).toBe('***');
    expect(withoutUrlPassword('rest:https://backup:x@h/e')).toBe('rest:https://backup:***@h/e');
  });

  test('url() registers the user-info it refuses, so its own error and the report cannot show it', () => {
    resetSecretsForTest();
    const server = url({ expected: 'an https URL' });
    for (const [raw, secret, shownAs] of [
      ['https://admin:S3cret-pw-42@k3s.example:6443', 'S3cret-pw-42', 'https://admin:***@k3s.example:6443'],
      ['https://ghp_TokenAsUser42@github.com/o/r', 'ghp_TokenAsUser42', 'https://***@github.com/o/r'],
    ]) {
      const e = errorOf(() => read({ server }, { server: raw }));
      expect(e.message).toContain('without credentials');
      expect(e.message).toContain(`got '${shownAs}'`);
      expect(e.message).not.toContain(secret);
      expect(redact(`x ${secret} y`)).toBe('x *** y');
    }
  });

  test('a credential input shows as its display says, in the report and in its own error', () => {
    resetSecretsForTest();
    const repository = text({ pattern: /^\S+$/ }).withCredentials(urlUserInfo, withoutUrlPassword);
    const good = 'rest:https://backup:Hunter2-S3cretPw@restic.example.net:8000/edge';
    expect(read({ repository }, { repository: good }).reported.repository).toBe(
      'rest:https://backup:***@restic.example.net:8000/edge',
    );
    // Longer than the 80 characters an error quotes, cut inside the password: the quote is redacted
    // before it is cut, so no unregistered prefix of the password is shown.
    const long = `rest:https://backup:${'P'.repeat(70)}-tail@restic.example.net/edge with space`;
    const e = errorOf(() => read({ repository }, { repository: long }));
    expect(e.message).toContain("got 'rest:https://backup:***@restic.example.net/edge with space'");
    expect(e.message).not.toContain('PPPP');
  });

  test('fallback applies when the input is empty', () => {
    const specs = { server: text().fallbackTo((env) => env.GITHUB_WORKSPACE) };
    expect(read(specs, {}).settings.server).toBe('/work/ws');
    expect(read(specs, { server: 'given' }).settings.server).toBe('given');
  });
});
