import { describe, expect, test } from '@jest/globals';
import type { Report } from '../../../shared/report.js';
import type { StackReport } from '../../../actions/tofu-plan-with-state-backup/src/run/outputs.js';
import { renderSummary } from '../../../actions/tofu-plan-with-state-backup/src/run/summary.js';

function report(stacks: StackReport[], failure?: Report['failure']): Report {
  return {
    action: 'tofu-plan-with-state-backup',
    version: '1.0.0',
    status: failure ? 'failed' : 'success',
    startedAt: '',
    finishedAt: '',
    durationMs: 0,
    inputs: {},
    steps: [{ name: 'apply edge', status: 'success', startedAt: '', durationMs: 1200 }],
    result: { stacks },
    ...(failure ? { failure } : {}),
  };
}

const applied: StackReport = {
  stack: 'edge',
  hasChanges: true,
  counts: { toAdd: 1, toChange: 2, toDestroy: 1, toReplace: 1, outputChanges: 0 },
  changes: { create: ['a.x'], update: ['b.y', 'c.z'], replace: ['d.w'] },
  applied: true,
  stateSerial: 7,
  stateLineage: 'L',
  stateEncrypted: false,
  backup: {
    archive: '/s/backups/t.tar.gz',
    sha256: 'f'.repeat(64),
    checksumFile: '/s/backups/t.tar.gz.sha256',
    remote: 'pcloud:x/t.tar.gz',
    deleted: ['old'],
  },
  handoffKeys: ['host_id', 'private_ip'],
};

describe('job summary', () => {
  test.each<[string, Report, (string | RegExp)[]]>([
    [
      'an apply shows counts, resources by action, the backup and the handoff keys',
      report([applied]),
      [
        '| edge | yes | 1 | 2 | 1 | 1 | 0 | yes |',
        '| edge | update | b.y, c.z |',
        'f'.repeat(64),
        'pcloud:x/t.tar.gz',
        'host_id, private_ip',
        '| apply edge | success | 1.2s |',
      ],
    ],
    [
      'a backup-only run has no counts table',
      report([
        { ...applied, counts: undefined, changes: undefined, hasChanges: undefined, handoffKeys: undefined },
      ]),
      ['**State backup**'],
    ],
    [
      'a failure is stated first',
      report([], { reason: 'backup-failed', message: 'State backup failed: x.' }),
      [/^\*\*Failed \(backup-failed\):\*\* State backup failed: x\./],
    ],
    [
      'a restore shows serial/lineage before and after',
      report([
        {
          ...applied,
          counts: undefined,
          backup: undefined,
          handoffKeys: undefined,
          restore: { archive: '/a.tar.gz', source: 'local', before: '9/L', after: '5/L' },
        },
      ]),
      ['| edge | /a.tar.gz | local | 9/L | 5/L |'],
    ],
  ])('%s', (_name, r, wants) => {
    const md = renderSummary(r);
    for (const w of wants) expect(md).toMatch(w);
  });

  test('no remote configured is said so', () => {
    const md = renderSummary(report([{ ...applied, backup: { ...applied.backup!, remote: undefined } }]));
    expect(md).toContain('not configured');
  });
});
