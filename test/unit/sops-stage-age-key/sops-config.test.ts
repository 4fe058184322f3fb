import { describe, expect, test } from '@jest/globals';
import {
  checkRecipients,
  parseSopsConfig,
  SopsConfigError,
} from '../../../actions/sops-stage-age-key/src/sops-config.js';

describe('parseSopsConfig', () => {
  test.each([
    [
      'comma string with spaces and a trailing comma',
      'creation_rules:\n  - path_regex: prod/.*\n    age: "age1a, age1b,"\n',
      [{ rule: 'creation_rules[0] (path_regex: prod/.*)', recipients: ['age1a', 'age1b'] }],
    ],
    [
      'folded multi-line string',
      'creation_rules:\n  - age: >-\n      age1a,\n      age1b\n',
      [{ rule: 'creation_rules[0]', recipients: ['age1a', 'age1b'] }],
    ],
    [
      'list',
      'creation_rules:\n  - age: [age1a, "age1b,age1c"]\n',
      [{ rule: 'creation_rules[0]', recipients: ['age1a', 'age1b', 'age1c'] }],
    ],
    [
      'key groups with merge',
      'creation_rules:\n  - key_groups:\n      - age: [age1a]\n      - merge:\n          - age: [age1b]\n        pgp: [ABC]\n',
      [{ rule: 'creation_rules[0]', recipients: ['age1a', 'age1b'] }],
    ],
    [
      'destination rules',
      'destination_rules:\n  - path_regex: x\n    recreation_rule:\n      age: age1d\n',
      [{ rule: 'destination_rules[0].recreation_rule (path_regex: x)', recipients: ['age1d'] }],
    ],
    [
      'a rule without age',
      'creation_rules:\n  - pgp: ABC\n',
      [{ rule: 'creation_rules[0]', recipients: [] }],
    ],
    ['no rules', 'stores:\n  yaml:\n    indent: 2\n', []],
  ])('%s', (_name, text, want) => {
    expect(parseSopsConfig(text)).toEqual(want);
  });

  test.each([
    ['not YAML', 'creation_rules: [\n'],
    ['a scalar', 'just text'],
    ['age of the wrong type', 'creation_rules:\n  - age: {a: 1}\n'],
  ])('rejects %s', (_name, text) => {
    expect(() => parseSopsConfig(text)).toThrow(SopsConfigError);
  });
});

test.each([
  [['age1b'], ['r1'], ['age1a', 'age1b', 'age1c']],
  [['age1z'], [], ['age1a', 'age1b', 'age1c']],
  [['age1z', 'age1c'], ['r2'], ['age1a', 'age1b', 'age1c']],
])('checkRecipients(%j)', (ours, matched, expected) => {
  const rules = [
    { rule: 'r1', recipients: ['age1a', 'age1b'] },
    { rule: 'r2', recipients: ['age1b', 'age1c'] },
  ];
  const r = checkRecipients(rules, ours);
  expect(r.expected).toEqual(expected);
  expect(r.matchedRules).toEqual(ours.includes('age1b') ? ['r1', 'r2'] : matched);
});
