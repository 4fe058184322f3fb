import type { InputSpecs } from '../../shared/inputs.js';

/**
 * Bad values for every input, generated from its spec, so a new input or action joins the matrix by
 * existing. Each value must be rejected by validation alone: exit 1, one error line naming the input.
 */
export interface BadValue {
  input: string;
  value: string;
  why: string;
}

const HOSTILE = {
  newline: 'a\nb',
  nul: 'a\u0000b',
  subshell: '$(touch /tmp/pwned)',
  long: 'x'.repeat(70_000),
};

/** Values wrong for the input's kind. Free-text inputs only get what no text input accepts. */
function kindValues(kind: string, values: readonly string[] | undefined): [string, string][] {
  switch (kind) {
    case 'bool':
      return [
        ['yes', 'not true|false'],
        ['TRUE', 'wrong case'],
        [HOSTILE.subshell, 'hostile'],
      ];
    case 'int':
      return [
        ['abc', 'not a number'],
        ['1.5', 'not an integer'],
        ['-1', 'below range'],
        ['99999999999999999', 'above range'],
        ['5; rm -rf /', 'hostile'],
      ];
    case 'number':
      return [
        ['abc', 'not a number'],
        ['-3', 'below range'],
        ['1000001', 'above range'],
      ];
    case 'duration':
      return [
        ['90', 'no unit'],
        ['5 m', 'space'],
        ['1w', 'unknown unit'],
        ['0s', 'zero'],
        ['$(sleep 9)', 'hostile'],
      ];
    case 'enum':
      return [
        [`${values?.[0] ?? 'x'}-nope`, 'unknown enum value'],
        [`${values?.[0] ?? 'x'};id`, 'hostile'],
        [(values?.[0] ?? 'x').toUpperCase() + 'X', 'wrong case'],
      ];
    case 'url':
      return [
        ['not a url', 'malformed URL'],
        ['ftp://example.org/x', 'wrong scheme'],
        ['https://user:pw@example.org/x', 'credentials in URL'],
      ];
    case 'map':
      return [
        ['novalue', 'no KEY='],
        ['=x', 'empty key'],
        [HOSTILE.nul, 'NUL'],
        [`K=${HOSTILE.long}`, 'very long'],
      ];
    case 'list':
      return [
        [HOSTILE.nul, 'NUL'],
        [HOSTILE.long, 'very long'],
      ];
    case 'path':
      return [
        [HOSTILE.newline, 'newline in a path'],
        [HOSTILE.nul, 'NUL in a path'],
      ];
    case 'secret':
      return [
        [HOSTILE.nul, 'NUL in a secret'],
        // Registered (masked) before it is validated: an over-long secret must still end as one error line.
        [HOSTILE.long, 'very long secret'],
      ];
    case 'text':
    default:
      return [
        [HOSTILE.nul, 'NUL'],
        [HOSTILE.long, 'very long'],
      ];
  }
}

export function badValues(specs: InputSpecs): BadValue[] {
  const out: BadValue[] = [];
  for (const [input, spec] of Object.entries(specs)) {
    for (const [value, why] of kindValues(spec.kind, spec.values)) out.push({ input, value, why });
    if (spec.isRequired) out.push({ input, value: '', why: 'required input missing' });
  }
  return out;
}
