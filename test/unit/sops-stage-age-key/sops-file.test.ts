import { describe, expect, test } from '@jest/globals';
import { NotSopsFileError, readSopsAgeMetadata } from '../../../actions/sops-stage-age-key/src/sops-file.js';

const yamlOne = `password: ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]
sops:
    kms: []
    age:
        - recipient: age1a
          enc: |
            -----BEGIN AGE ENCRYPTED FILE-----
            AAAA
            -----END AGE ENCRYPTED FILE-----
        - recipient: age1b
          enc: E2
    lastmodified: "2026-01-01T00:00:00Z"
    version: 3.9.4
`;

describe('readSopsAgeMetadata', () => {
  test.each([
    ['YAML, one group', yamlOne, [['age1a', 'age1b']], 1],
    [
      'JSON, one group',
      JSON.stringify({ data: 'ENC[…]', sops: { age: [{ recipient: 'age1a', enc: 'E' }], version: '3.9.4' } }),
      [['age1a']],
      1,
    ],
    [
      'key groups, default threshold = all groups',
      'a: b\nsops:\n  age: null\n  key_groups:\n    - age: [{recipient: age1a, enc: E}]\n    - age: [{recipient: age1b, enc: E}]\n',
      [['age1a'], ['age1b']],
      2,
    ],
    [
      'key groups with shamir_threshold',
      'sops:\n  shamir_threshold: 1\n  key_groups:\n    - age: [{recipient: age1a, enc: E}]\n    - pgp: [{fp: X, enc: E}]\n',
      [['age1a'], []],
      1,
    ],
    [
      'multi-document YAML (metadata in a later document)',
      'a: 1\n---\nb: 2\nsops:\n  age: [{recipient: age1c, enc: E}]\n',
      [['age1c']],
      1,
    ],
  ])('%s', (_name, text, groups, threshold) => {
    const meta = readSopsAgeMetadata(text);
    expect(meta.groups.map((g) => g.map((e) => e.recipient))).toEqual(groups);
    expect(meta.threshold).toBe(threshold);
  });

  test.each([
    ['plain YAML', 'a: 1\n'],
    ['a dotenv file', 'sops_version=3.9.4\nsops_age__list_0__map_recipient=age1a\n'],
    ['sops metadata without age', 'sops:\n  pgp: [{fp: X, enc: E}]\n'],
    ['broken YAML', 'a: [\n'],
    ['binary garbage', '\u0000\u0001\u0002'],
  ])('rejects %s', (_name, text) => {
    expect(() => readSopsAgeMetadata(text)).toThrow(NotSopsFileError);
  });
});
