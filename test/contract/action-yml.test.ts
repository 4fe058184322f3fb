import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { REPO_ROOT, loadActionYml } from '../support/run-action.js';
import type { InputSpecs } from '../../shared/inputs.js';

/**
 * action.yml is the public contract; actions/<name>/src/inputs.ts is what the code reads. They must
 * declare exactly the same inputs with the same defaults, and every action keeps the suite's contracts.
 */
const actions = fs
  .readdirSync(path.join(REPO_ROOT, 'actions'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

interface FullYml {
  name?: string;
  description?: string;
  inputs?: Record<string, { description?: string; default?: unknown; required?: boolean }>;
  outputs?: Record<string, { description?: string }>;
  runs: { using: string; main: string; post?: string; pre?: string; 'post-if'?: string };
}

test('there is at least one action', () => {
  expect(actions.length).toBeGreaterThan(0);
});

describe.each(actions)('%s', (name) => {
  const dir = path.join(REPO_ROOT, 'actions', name);
  const yml = loadActionYml(dir) as unknown as FullYml;

  test('action.yml declares exactly the schema inputs with the same defaults', async () => {
    const { inputs } = (await import(path.join(dir, 'src', 'inputs.ts'))) as { inputs: InputSpecs };
    const fromYml = Object.fromEntries(
      Object.entries(yml.inputs ?? {}).map(([k, v]) => [
        k,
        { default: v.default === undefined ? undefined : String(v.default), required: v.required === true },
      ]),
    );
    const fromSchema = Object.fromEntries(
      Object.entries(inputs).map(([k, s]) => [k, { default: s.defaultValue, required: s.isRequired }]),
    );
    expect(fromYml).toEqual(fromSchema);
  });

  test('runs on node24 from the committed bundle, cleanup only in post', () => {
    expect(yml.runs.using).toBe('node24');
    expect(yml.runs.main).toBe(`../../dist/${name}/index.js`);
    expect(yml.runs.pre).toBeUndefined();
    if (yml.runs.post) {
      expect(yml.runs['post-if']).toBe('always()');
      expect(fs.existsSync(path.resolve(dir, yml.runs.post))).toBe(true);
    }
    expect(fs.existsSync(path.resolve(dir, yml.runs.main))).toBe(true);
  });

  test('every input and output is described, names are kebab-case, report-file is an output', () => {
    expect(yml.name).toBeTruthy();
    expect(yml.description).toBeTruthy();
    for (const [k, v] of [...Object.entries(yml.inputs ?? {}), ...Object.entries(yml.outputs ?? {})]) {
      expect(k).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
      expect(v.description?.trim()).toBeTruthy();
    }
    expect(Object.keys(yml.outputs ?? {})).toContain('report-file');
  });

  test('has a README', () => {
    expect(fs.existsSync(path.join(dir, 'README.md'))).toBe(true);
  });
});
