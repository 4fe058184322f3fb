import { describe, expect, test } from '@jest/globals';
import {
  buildPlanMetadata,
  parsePlanMetadata,
  planMetaPath,
  stalePlanReason,
  type PlanMetadata,
} from '../../../actions/tofu-plan-with-state-backup/src/tofu/plan-freshness.js';
import type { StateInfo } from '../../../actions/tofu-plan-with-state-backup/src/archive/state-file.js';

const SHA = 'p'.repeat(64);
const STATE = '/srv/state/edge.tfstate';
const state = (o: Partial<StateInfo>): StateInfo => ({ exists: true, encrypted: false, ...o });

function meta(s: StateInfo): PlanMetadata {
  return buildPlanMetadata({
    planSha256: SHA,
    statePath: STATE,
    workingDirectory: '/ws/stack',
    state: s,
    hasChanges: true,
    tool: 'tofu',
    toolVersion: '1.9.0',
    runId: '7-1',
    createdAt: '2026-11-21T00:00:00Z',
  });
}

const planned = state({ serial: 4, lineage: 'L1', sha256: 's1' });

describe('stale plan check', () => {
  test.each<[string, PlanMetadata, string, string, StateInfo, RegExp | undefined]>([
    ['unchanged', meta(planned), SHA, STATE, planned, undefined],
    [
      'same serial, state rewritten identically',
      meta(planned),
      SHA,
      STATE,
      { ...planned, sha256: 's2' },
      undefined,
    ],
    ['plan file changed', meta(planned), 'x'.repeat(64), STATE, planned, /sha256/],
    [
      'other state path',
      meta(planned),
      SHA,
      '/srv/state/other.tfstate',
      planned,
      /planned against the state/,
    ],
    ['serial moved', meta(planned), SHA, STATE, { ...planned, serial: 5 }, /serial moved from 4 to 5/],
    ['lineage changed', meta(planned), SHA, STATE, { ...planned, lineage: 'L2' }, /lineage is now L2/],
    ['state deleted', meta(planned), SHA, STATE, { exists: false, encrypted: false }, /no longer exists/],
    [
      'empty state, still empty',
      meta({ exists: false, encrypted: false }),
      SHA,
      STATE,
      { exists: false, encrypted: false },
      undefined,
    ],
    [
      'empty state, written since',
      meta({ exists: false, encrypted: false }),
      SHA,
      STATE,
      planned,
      /empty state/,
    ],
    [
      'encrypted state unchanged',
      meta(state({ encrypted: true, sha256: 'e1' })),
      SHA,
      STATE,
      state({ encrypted: true, sha256: 'e1' }),
      undefined,
    ],
    [
      'encrypted state changed',
      meta(state({ encrypted: true, sha256: 'e1' })),
      SHA,
      STATE,
      state({ encrypted: true, sha256: 'e2' }),
      /encrypted/,
    ],
  ])('%s', (_name, m, planSha256, statePath, current, want) => {
    const why = stalePlanReason({ meta: m, planSha256, statePath, state: current });
    if (want) expect(why).toMatch(want);
    else expect(why).toBeUndefined();
  });
});

describe('metadata file', () => {
  test('lives beside the plan and round-trips', () => {
    expect(planMetaPath('/p/x.tfplan')).toBe('/p/x.tfplan.meta.json');
    const m = meta(planned);
    expect(parsePlanMetadata(JSON.stringify(m))).toEqual(m);
    expect(m).toMatchObject({ stateSerial: 4, stateLineage: 'L1', stateExists: true });
  });
  test.each(['', 'not json', '{}', JSON.stringify({ ...meta(planned), version: 99 })])(
    'rejects %j',
    (text) => {
      expect(parsePlanMetadata(text)).toBeUndefined();
    },
  );
});
