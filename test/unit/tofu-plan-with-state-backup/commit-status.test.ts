import { describe, expect, test } from '@jest/globals';
import { commitStatus } from '../../../actions/tofu-plan-with-state-backup/src/commit-status.js';
import type { Report } from '../../../shared/report.js';

const base: Report = {
  action: 'tofu-plan-with-state-backup',
  version: '1',
  status: 'success',
  startedAt: '',
  finishedAt: '',
  durationMs: 0,
  inputs: { mode: 'plan' },
  steps: [],
  result: {},
};
const stack = (name: string, add: number, change: number, destroy: number, serial = 44) => ({
  stack: name,
  hasChanges: add + change + destroy > 0,
  counts: { toAdd: add, toChange: change, toDestroy: destroy, toReplace: 0, outputChanges: 0 },
  applied: false,
  stateSerial: serial,
  stateLineage: 'l',
  stateEncrypted: false,
});

describe('tofu commit status', () => {
  test.each([
    [{ 'working-directory': '.', mode: 'plan', terramate: 'false' }, 'root (plan)'],
    [{ 'working-directory': './infra/web/', mode: 'apply', terramate: 'false' }, 'infra/web (apply)'],
    [
      { 'working-directory': '/home/runner/work/infra/infra/stacks/dns', mode: 'drift', terramate: 'false' },
      'stacks/dns (drift)',
    ],
    [{ 'working-directory': 'stacks', mode: 'plan', terramate: 'true' }, 'terramate (plan)'],
  ])('target of %j is %s', (given, want) => {
    expect(commitStatus.target((n) => (given as Record<string, string>)[n] ?? '')).toBe(want);
  });

  test.each([
    [
      'plan with changes',
      { mode: 'plan', stacks: [stack('web', 2, 1, 0)] },
      'success',
      undefined,
      'plan: +2 ~1 -0',
    ],
    [
      'plan of several stacks',
      { mode: 'plan', stacks: [stack('a', 1, 0, 0), stack('b', 0, 0, 3)] },
      'success',
      undefined,
      'plan: +1 ~0 -3 in 2 stacks',
    ],
    [
      'plan without changes',
      { mode: 'plan', stacks: [stack('web', 0, 0, 0)] },
      'success',
      undefined,
      'plan: no changes',
    ],
    [
      'drift found',
      { mode: 'drift', stacks: [stack('web', 0, 1, 0)] },
      'failed',
      { reason: 'drift-detected', message: 'Drift detected' },
      'drift: +0 ~1 -0',
    ],
    ['no drift', { mode: 'drift', stacks: [stack('web', 0, 0, 0)] }, 'success', undefined, 'no drift'],
    [
      'applied',
      { mode: 'apply', stacks: [stack('web', 2, 0, 0)] },
      'success',
      undefined,
      'applied: +2 ~0 -0',
    ],
    [
      'backup',
      { mode: 'backup', stacks: [stack('web', 0, 0, 0, 44)] },
      'success',
      undefined,
      'state archived: serial 44',
    ],
    [
      'restore',
      { mode: 'restore', stacks: [stack('web', 0, 0, 0, 43)] },
      'success',
      undefined,
      'state restored: serial 43',
    ],
    [
      'another failure',
      { mode: 'apply', stacks: [] },
      'failed',
      { reason: 'lock-timeout', message: 'The state lock was held.' },
      'lock-timeout: The state lock was held.',
    ],
  ] as const)('%s', (_n, result, status, failure, want) => {
    const report = {
      ...base,
      status,
      result: result as unknown as Record<string, unknown>,
      ...(failure ? { failure } : {}),
    } as Report;
    expect(commitStatus.describe(report)).toBe(want);
  });
});
