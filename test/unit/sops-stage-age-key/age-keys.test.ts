import { describe, expect, test } from '@jest/globals';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import { InputError } from '../../../shared/errors.js';
import {
  deriveIdentities,
  keyLines,
  renderKeyFile,
} from '../../../actions/sops-stage-age-key/src/age-keys.js';
import { thrown } from '../../support/thrown.js';

const inputError = (fn: () => unknown) => thrown(fn, InputError);

describe('keyLines', () => {
  test('drops comments and blank lines, keeps order, dedupes, upper-cases', async () => {
    const a = await generateIdentity();
    const b = await generateIdentity();
    const raw = `# created: 2026-01-01\n# public key: age1xyz\n${a}\n\n  ${b.toLowerCase()}  \r\n${a}\n`;
    expect(keyLines(raw)).toEqual([a, b]);
  });

  test.each([
    ['only comments', '# nothing here\n\n', /no key line/],
    ['a public key instead', 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p', /line 1/],
    ['an ssh key', '-----BEGIN OPENSSH PRIVATE KEY-----', /line 1/],
    ['too short', 'AGE-SECRET-KEY-1QQQ', /line 1/],
    ['second line bad', '# c\nAGE-SECRET-KEY-1' + 'Q'.repeat(58) + '\nnot-a-key', /line 3/],
  ])('rejects %s without echoing it', (_name, raw, where) => {
    const e = inputError(() => keyLines(raw));
    expect(e.input).toBe('age-key');
    expect(e.message).toMatch(where);
    for (const line of raw.split('\n').filter((l) => l.length > 12)) expect(e.message).not.toContain(line);
  });
});

describe('deriveIdentities', () => {
  test('derives the same recipients as the library', async () => {
    const a = await generateIdentity();
    const b = await generateIdentity();
    const ids = await deriveIdentities([a, b]);
    expect(ids.map((i) => i.recipient)).toEqual([await identityToRecipient(a), await identityToRecipient(b)]);
  });

  test('a bad checksum is an input error that does not quote the key', async () => {
    const good = await generateIdentity();
    const last = good.at(-1) === 'Q' ? 'P' : 'Q';
    const broken = good.slice(0, -1) + last;
    await expect(deriveIdentities([good, broken])).rejects.toThrow(
      /key 2 of 2, whose checksum or length is wrong/,
    );
    await deriveIdentities([broken]).catch((e: Error) => expect(e.message).not.toContain(broken.slice(16)));
  });
});

test('renderKeyFile writes the age-keygen layout', () => {
  const out = renderKeyFile([
    { secret: 'AGE-SECRET-KEY-1AAA', recipient: 'age1aaa' },
    { secret: 'AGE-SECRET-KEY-1BBB', recipient: 'age1bbb' },
  ]);
  expect(out).toBe(
    '# public key: age1aaa\nAGE-SECRET-KEY-1AAA\n# public key: age1bbb\nAGE-SECRET-KEY-1BBB\n',
  );
});
