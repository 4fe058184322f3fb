import { describe, expect, test } from '@jest/globals';
import {
  flakeUriCredentials,
  nixOptionCredentials,
  refusedNixOption,
} from '../../../actions/colmena-apply/src/nix-options.js';

describe('nixOptionCredentials (registered before the inputs are parsed)', () => {
  test('every token of an access-tokens line, typed or not, and the whole value', () => {
    const parts = nixOptionCredentials(
      'max-jobs=4\naccess-tokens = github.com=ghp_abc123 gitlab.com=PAT:glpat-xyz789\n',
    );
    expect(parts).toEqual(
      expect.arrayContaining([
        'github.com=ghp_abc123 gitlab.com=PAT:glpat-xyz789',
        'ghp_abc123',
        'PAT:glpat-xyz789',
        'glpat-xyz789',
      ]),
    );
    expect(parts).not.toContain('4');
  });

  test('extra-access-tokens and URL passwords in any option', () => {
    expect(nixOptionCredentials('extra-access-tokens=github.com=ghp_tok3n')).toContain('ghp_tok3n');
    expect(nixOptionCredentials('substituters=https://u:s3cr3t-pw@cache.example')).toContain('s3cr3t-pw');
  });

  test('ordinary options carry nothing to register', () => {
    expect(
      nixOptionCredentials('max-jobs=4\nbuilders=@/etc/nix/machines\nsubstituters=https://c.example'),
    ).toEqual([]);
  });
});

describe('refusedNixOption names the option, never the value', () => {
  test.each<[Record<string, string>, string | undefined]>([
    [{ 'max-jobs': '4' }, undefined],
    [{ 'access-tokens': 'github.com=ghp_x' }, "'access-tokens' (it carries access tokens)"],
    [{ 'extra-access-tokens': 'github.com=ghp_x' }, "'extra-access-tokens' (it carries access tokens)"],
    [
      { 'extra-substituters': 'https://u:pw12@c.example' },
      "'extra-substituters' (its URL carries a password)",
    ],
    [{ substituters: 'https://user@c.example' }, undefined],
  ])('%j', (options, why) => {
    expect(refusedNixOption(options)).toBe(why);
  });
});

describe('flakeUriCredentials (config: registered before the inputs are parsed, then refused)', () => {
  test.each<[string, string[]]>([
    ['git+https://ops:glpat-s3cr3t@forgejo.example.org/ops/hive', ['glpat-s3cr3t', 'ops:glpat-s3cr3t']],
    ['git+https://ghp_t0ken42@github.com/ops/hive.git?ref=main#edge', ['ghp_t0ken42']],
    ['https://ops:p%40ss-w0rd@forgejo.example.org/ops/hive/archive/main.tar.gz', ['p@ss-w0rd']],
  ])('%s', (uri, want) => {
    expect(flakeUriCredentials(uri)).toEqual(expect.arrayContaining(want));
  });

  test.each([
    'hive.nix',
    '.#',
    'github:ops/hive',
    'git+ssh://git@forgejo.example.org/ops/hive',
    'git+https://forgejo.example.org/ops/hive?ref=main',
    'path:/srv/hive',
  ])('%s carries none', (uri) => {
    expect(flakeUriCredentials(uri)).toEqual([]);
  });
});
