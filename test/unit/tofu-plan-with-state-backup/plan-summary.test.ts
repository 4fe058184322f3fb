import { describe, expect, test } from '@jest/globals';
import {
  summarizePlan,
  type ShowPlanJson,
} from '../../../actions/tofu-plan-with-state-backup/src/tofu/plan-summary.js';

const rc = (address: string, ...actions: string[]) => ({ address, change: { actions } });
const out = (...actions: string[]) => ({ actions });

describe('counts from show -json', () => {
  test.each<[string, ShowPlanJson, Record<string, number | boolean>]>([
    ['empty plan', {}, { hasChanges: false, toAdd: 0, toChange: 0, toDestroy: 0, toReplace: 0 }],
    [
      'no-op resources and outputs',
      { resource_changes: [rc('a', 'no-op')], output_changes: { x: out('no-op') } },
      { hasChanges: false, toAdd: 0 },
    ],
    [
      'create, update, delete',
      { resource_changes: [rc('a', 'create'), rc('b', 'update'), rc('c', 'delete'), rc('d', 'create')] },
      { hasChanges: true, toAdd: 2, toChange: 1, toDestroy: 1, toReplace: 0 },
    ],
    [
      'replacements count as add + destroy, both orders',
      { resource_changes: [rc('a', 'delete', 'create'), rc('b', 'create', 'delete')] },
      { hasChanges: true, toAdd: 2, toDestroy: 2, toReplace: 2, toChange: 0 },
    ],
    [
      'a data source read alone is not a change',
      { resource_changes: [rc('data.x', 'read')] },
      { hasChanges: false },
    ],
    ['forget is a change', { resource_changes: [rc('a', 'forget')] }, { hasChanges: true, toDestroy: 0 }],
    [
      'an output-only change is a change (like -detailed-exitcode)',
      { output_changes: { ip: out('create') } },
      { hasChanges: true, toAdd: 0, outputChanges: 1 },
    ],
  ])('%s', (_name, plan, want) => {
    expect(summarizePlan(plan)).toMatchObject(want);
  });

  test('resources are listed by action', () => {
    const s = summarizePlan({
      resource_changes: [rc('a', 'create'), rc('b', 'delete', 'create'), rc('c', 'no-op'), rc('d', 'create')],
    });
    expect(s.changes).toEqual({ create: ['a', 'd'], replace: ['b'] });
  });
});

describe('sensitive configuration', () => {
  const plan: ShowPlanJson = {
    variables: {
      name: { value: 'edge' },
      token: { value: 'tok-secret' },
      nested: { value: { a: ['x-secret', 42], b: true } },
    },
    configuration: {
      root_module: {
        outputs: { ip: {}, token: { sensitive: true } },
        variables: { name: {}, token: { sensitive: true }, nested: { sensitive: true } },
      },
    },
  };
  test('sensitive outputs are named', () => {
    expect(summarizePlan(plan).sensitiveOutputs).toEqual(['token']);
  });
  test('sensitive variable values are collected leaf by leaf, others are not', () => {
    expect(summarizePlan(plan).sensitiveValues).toEqual(['tok-secret', 'x-secret', '42', 'true']);
  });
});
