import { expect, test } from '@jest/globals';
import type { Report } from '../../../shared/report.js';
import { restoreCheckSummary } from '../../../actions/restic-restore-check/src/summary.js';

function report(overrides: Partial<Report>): Report {
  return {
    action: 'restic-restore-check',
    version: '1.0.0',
    status: 'success',
    startedAt: '2026-11-21T12:00:00Z',
    finishedAt: '2026-11-21T12:00:10Z',
    durationMs: 10_000,
    inputs: {},
    steps: [{ name: 'restore', status: 'success', startedAt: '2026-11-21T12:00:05Z', durationMs: 1500 }],
    result: {},
    ...overrides,
  };
}

test('success: snapshot, age, check, restored and verified files, seed and phase durations', () => {
  const md = restoreCheckSummary(
    report({
      result: {
        seed: 77,
        resticVersion: '0.14.0',
        snapshot: {
          id: 'ab'.repeat(32),
          shortId: 'abababab',
          time: '2026-11-21T03:00:00.000Z',
          host: 'forgejo',
          paths: ['/srv/a', '/srv/b'],
          tags: ['daily'],
        },
        snapshotAgeSeconds: 9 * 3600 + 5 * 60,
        check: { result: 'ok', readDataSubset: '5%', errors: [] },
        restore: { filesRestored: 21, bytesRestored: 1234, filesVerified: 21, mismatches: [] },
      },
    }),
  );
  expect(md).toContain('✅ The backup was restored and verified.');
  expect(md).toContain('| snapshot | abababab (' + 'ab'.repeat(32) + ') |');
  expect(md).toContain('| age | 9h 5m |');
  expect(md).toContain('| paths | /srv/a<br>/srv/b |');
  expect(md).toContain('| check | ok (read-data-subset 5%) |');
  expect(md).toContain('| files restored / verified | 21 / 21 |');
  expect(md).toContain('| sample seed | 77 |');
  expect(md).toContain('| restore | success | 1.5s |');
  expect(md).not.toContain('| spot check |');
});

test('failure: reason and message first, mismatches listed, no empty rows', () => {
  const md = restoreCheckSummary(
    report({
      status: 'failed',
      failure: { reason: 'restore-mismatch', message: '1 of 3 restored files do not match the repository.' },
      result: {
        restore: {
          filesRestored: 3,
          bytesRestored: 10,
          filesVerified: 2,
          mismatches: [{ path: '/srv/db.sql', problem: 'restored content differs' }],
        },
      },
    }),
  );
  expect(md.startsWith('❌ restore-mismatch: 1 of 3 restored files do not match the repository.')).toBe(true);
  expect(md).toContain('| /srv/db.sql | restored content differs |');
  expect(md).not.toContain('| snapshot |');
});

test('an input error has no table at all', () => {
  const md = restoreCheckSummary(
    report({
      status: 'failed',
      steps: [],
      failure: { reason: 'invalid-input', message: "Input 'check' is invalid." },
    }),
  );
  expect(md).toBe("❌ invalid-input: Input 'check' is invalid.\n");
});
