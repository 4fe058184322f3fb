import { expect, test } from '@jest/globals';
import {
  readInputs,
  bool,
  int,
  oneOf,
  duration,
  url,
  keyValues,
  list,
  filePath,
  secretText,
  text,
  decimal,
  type InputSpecs,
} from '../../../shared/inputs.js';
import { InputError } from '../../../shared/errors.js';
import { badValues } from '../../reliability/bad-input-values.js';

/** The generator must only produce values that the shared parsers really reject. */
const specs: InputSpecs = {
  b: bool().default('false'),
  i: int({ min: 0, max: 100 }).default('3'),
  n: decimal({ min: 0, max: 100, unit: '%' }),
  d: duration().default('5m'),
  e: oneOf(['plan', 'apply'] as const).default('plan'),
  u: url(),
  m: keyValues(),
  l: list(),
  p: filePath(),
  s: secretText(),
  t: text().required(),
};

test.each(badValues(specs).map((b) => [b.input, b.why, b] as const))(
  '%s: %s is rejected naming the input',
  (_i, _w, bad) => {
    const raw: Record<string, string> = { t: 'ok', [bad.input]: bad.value };
    let error: unknown;
    try {
      readInputs(specs, (name) => raw[name] ?? '', {});
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).input).toBe(bad.input);
    expect((error as InputError).message.split('\n')).toHaveLength(1);
  },
);
