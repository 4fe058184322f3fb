import { expect, test } from '@jest/globals';
import {
  assertSupported,
  exitCodesOf,
  newerThanTested,
  parseResticVersion,
} from '../../../actions/restic-restore-check/src/restic/restic-version.js';

test.each([
  ['restic 0.14.0 compiled with go1.19.8 on linux/amd64', { major: 0, minor: 14, patch: 0, text: '0.14.0' }],
  ['restic 0.18.1 compiled with go1.24.4 on darwin/arm64', { major: 0, minor: 18, patch: 1, text: '0.18.1' }],
  [
    'restic 0.17.3-dev (compiled manually) compiled with go1.23.2 on linux/amd64',
    { major: 0, minor: 17, patch: 3, text: '0.17.3-dev' },
  ],
  ['not restic', undefined],
])('parseResticVersion(%j)', (raw, want) => {
  expect(parseResticVersion(raw)).toEqual(want);
});

test.each([
  ['0.14.0', {}],
  ['0.16.5', {}],
  ['0.17.0', { noRepository: 10, locked: 11 }],
  ['0.17.1', { noRepository: 10, locked: 11, wrongPassword: 12 }],
  ['0.18.1', { noRepository: 10, locked: 11, wrongPassword: 12 }],
])('exit codes of restic %s', (v, want) => {
  const codes = exitCodesOf(parseResticVersion(`restic ${v}`)!);
  expect(Object.fromEntries(Object.entries(codes).filter(([, c]) => c !== undefined))).toEqual(want);
});

test.each([
  ['restic 0.13.1', 'restic 0.13.1 is too old: this action needs restic 0.14.0 or newer.'],
  ['garbage', "Could not read the restic version from 'garbage'."],
])('assertSupported refuses %s', (raw, message) => {
  expect(() => assertSupported(parseResticVersion(raw), raw)).toThrow(message);
});

test.each([
  ['0.18.9', false],
  ['0.19.0', true],
  ['1.0.0', true],
  ['0.14.0', false],
])('newerThanTested(%s) = %s', (v, want) => {
  expect(newerThanTested(parseResticVersion(`restic ${v}`)!)).toBe(want);
});
