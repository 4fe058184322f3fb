import { beforeEach, expect, test } from '@jest/globals';
import {
  redact,
  redactDeep,
  registerSecret,
  registerSecretForms,
  resetSecretsForTest,
} from '../../../shared/secrets.js';

beforeEach(() => resetSecretsForTest());

test('multi-line secrets are registered line by line', () => {
  registerSecret('-----BEGIN KEY-----\nAAAA1111\nBBBB2222\n-----END KEY-----\n');
  expect(redact('line AAAA1111 and BBBB2222')).toBe('line *** and ***');
});

test('derived forms and regex metacharacters', () => {
  const token = 'tok.en+(1)';
  registerSecretForms(token, Buffer.from(`x-access-token:${token}`).toString('base64'));
  expect(redact(`a ${token} b ${Buffer.from(`x-access-token:${token}`).toString('base64')}`)).toBe(
    'a *** b ***',
  );
  expect(redact('tokXen+(1)')).toBe('tokXen+(1)');
});

test('the longest secret wins when one contains another', () => {
  registerSecret('abcd');
  registerSecret('abcdefgh');
  expect(redact('xabcdefghx')).toBe('x***x');
});

test('redactDeep redacts before serialisation so JSON escaping cannot hide a secret', () => {
  registerSecret('pa"ss\\word');
  const out = JSON.stringify(redactDeep({ a: ['pa"ss\\word'], 'pa"ss\\word': 1, n: 2 }));
  expect(out).toBe('{"a":["***"],"***":1,"n":2}');
});

test('nothing registered: text unchanged', () => {
  expect(redact('plain')).toBe('plain');
});

test('comment lines and trivially short lines of a multi-line secret are not registered', () => {
  registerSecret('# created: 2026-11-21\n# public key: age1abc\nAGE-SECRET-KEY-1QQQQ\n#\n}\n');
  expect(redact('# public key: age1abc and a # and a }')).toBe('# public key: age1abc and a # and a }');
  expect(redact('key AGE-SECRET-KEY-1QQQQ')).toBe('key ***');
});

test('a short single-line secret is still registered whole', () => {
  registerSecret('pw1');
  expect(redact('the pw1 here')).toBe('the *** here');
});

test('a secret far beyond the regex size limit (a whole kubeconfig) is redacted too', () => {
  const big = 'k'.repeat(70_000);
  registerSecret(big);
  registerSecret('short-secret');
  expect(redact(`a ${big} b short-secret c`)).toBe('a *** b *** c');
  expect(JSON.stringify(redactDeep({ v: big }))).toBe('{"v":"***"}');
});

test('lines: false registers only the whole value (structure lines stay readable)', () => {
  registerSecret('apiVersion: v1\nusers:\n- name: admin\n', { lines: false });
  expect(redact('users: apiVersion: v1')).toBe('users: apiVersion: v1');
});
