import { describe, expect, test } from '@jest/globals';
import { nixOptionCredentials, refusedNixOption } from '../../../actions/colmena-apply/src/nix-options.js';

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
